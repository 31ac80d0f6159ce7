//! Issue 3, acceptance 4: the seed's producer settings (SASL_PLAINTEXT, SCRAM-SHA-512,
//! username, password) work through the proxy against a broker that requires them, and a
//! wrong password fails quickly with the broker's own authentication error.

mod common;

use std::time::{Duration, Instant};

use common::clients::{args, strings};
use common::tansu::TANSU_NODE_ID;
use common::{ClientOutput, Tansu, create_topic_with, python, random_topic_name, start_proxy};

const USER: &str = "user";
const PASSWORD: &str = "user";

fn sasl_settings(password: &str) -> Vec<String> {
    vec![
        "security.protocol=SASL_PLAINTEXT".to_owned(),
        "sasl.mechanisms=SCRAM-SHA-512".to_owned(),
        format!("sasl.username={USER}"),
        format!("sasl.password={password}"),
    ]
}

async fn seed_producer(bootstrap: &str, topic: &str, password: &str) -> ClientOutput {
    let arguments = args([bootstrap, topic, USER, password, "--timeout", "20"]);
    python("sasl_producer.py", &arguments, &[], Duration::from_secs(90)).await
}

/// The broker's reason, without librdkafka's per-connection prefix and timing suffix.
fn auth_reason(output: &ClientOutput) -> String {
    assert!(
        !output.success,
        "a wrong password must fail:\n{}",
        output.describe()
    );
    let error = output.json()["auth_error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let reason = error
        .split("SASL authentication error:")
        .nth(1)
        .unwrap_or(&error);
    reason
        .split("(after")
        .next()
        .unwrap_or(reason)
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_producer_config_authenticates_through_the_proxy() {
    let tansu = Tansu::start_with_scram(USER, PASSWORD).await;
    let proxy = start_proxy(&tansu.bootstrap()).await;
    let topic = random_topic_name("user-events");
    let settings = sasl_settings(PASSWORD);
    let extra: Vec<&str> = settings.iter().map(String::as_str).collect();
    create_topic_with(&proxy.bootstrap(), &topic, 1, &extra).await;

    let output = seed_producer(&proxy.bootstrap(), &topic, PASSWORD).await;
    let result = output.json();
    assert_eq!(result["delivered"], 3, "{}", output.describe());
    assert_eq!(
        strings(&result["consumed"]),
        ["user-0", "user-1", "user-2"],
        "{result}"
    );
    let connections = strings(&result["connections"]);
    proxy.assert_only_proxy_addresses(
        &[TANSU_NODE_ID],
        connections.iter().map(String::as_str),
        "seed producer",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_fails_fast_with_the_brokers_authentication_error() {
    let tansu = Tansu::start_with_scram(USER, PASSWORD).await;
    let proxy = start_proxy(&tansu.bootstrap()).await;
    let topic = random_topic_name("user-events");

    let direct = seed_producer(&tansu.bootstrap(), &topic, "wrong").await;
    let started = Instant::now();
    let proxied = seed_producer(&proxy.bootstrap(), &topic, "wrong").await;
    let elapsed = started.elapsed();

    assert!(
        proxied.json()["auth_error"].is_string(),
        "{}",
        proxied.describe()
    );
    let reason = auth_reason(&proxied);
    assert!(!reason.is_empty(), "{}", proxied.describe());
    assert_eq!(
        reason,
        auth_reason(&direct),
        "the proxy must pass the broker's error through unchanged"
    );
    assert!(
        elapsed < Duration::from_secs(15),
        "authentication failure took {elapsed:?}"
    );
}
