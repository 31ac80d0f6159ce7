use super::*;

fn minimal() -> Config {
    Config {
        bootstrap_servers: vec!["localhost:9092".to_owned()],
        ..Config::default()
    }
}

#[test]
fn example_config_parses_and_validates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/schemagate.example.yaml");
    let config = Config::load(&path).unwrap();
    assert_eq!(
        config.bootstrap_servers,
        vec!["kafka-1:9092", "kafka-2:9092"]
    );
    assert_eq!(config.broker_port_base, 19000);
    assert_eq!(config.limits.idle_timeout, Duration::from_secs(600));
    assert_eq!(config.validate(), Vec::<String>::new());
}

#[test]
fn defaults_match_kafka() {
    let c = Config::default();
    assert_eq!(c.listen, "127.0.0.1:9092".parse().unwrap());
    assert_eq!(c.advertised_host, "127.0.0.1");
    assert_eq!(c.limits.max_frame_bytes, 104_857_600);
    assert_eq!(c.limits.max_connections, 10_000);
    assert_eq!(c.limits.idle_timeout, Duration::from_secs(600));
    assert_eq!(c.limits.shutdown_grace, Duration::from_secs(30));
}

#[test]
fn toml_is_accepted() {
    let c = Config::from_toml(
        "bootstrap_servers = [\"b:9092\"]\nbroker_port_base = 0\n[limits]\nidle_timeout = \"5s\"\n",
    )
    .unwrap();
    assert_eq!(c.bootstrap_servers, vec!["b:9092"]);
    assert_eq!(c.limits.idle_timeout, Duration::from_secs(5));
}

#[test]
fn unknown_keys_are_rejected_in_both_formats() {
    let err = Config::from_yaml("bootstrap_servers: [b:1]\nlisten_port: 9\n").unwrap_err();
    assert!(err.contains("listen_port"), "{err}");
    let err = Config::from_toml("[limits]\nmax_conns = 3\n").unwrap_err();
    assert!(err.contains("max_conns"), "{err}");
}

#[test]
fn empty_yaml_means_defaults() {
    assert!(Config::from_yaml("").unwrap().bootstrap_servers.is_empty());
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut c = Config {
        bootstrap_servers: vec!["nohost".to_owned(), ":9092".to_owned(), "h:0".to_owned()],
        advertised_host: " ".to_owned(),
        broker_port_base: 65_000,
        node_id_range: NodeIdRange { min: 5, max: 1000 },
        ..Config::default()
    };
    c.limits.max_connections = 0;
    c.limits.max_frame_bytes = 1;
    c.limits.idle_timeout = Duration::ZERO;
    let problems = c.validate();
    assert_eq!(problems.len(), 8, "{problems:#?}");
    assert!(problems.iter().any(|p| p.contains("\"nohost\"")));
    assert!(problems.iter().any(|p| p.contains("exceeds port 65535")));
    assert!(problems.iter().any(|p| p.contains("idle_timeout")));
}

#[test]
fn missing_bootstrap_servers_is_reported() {
    let problems = Config::default().validate();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("bootstrap_servers"));
}

#[test]
fn listen_port_inside_broker_range_is_reported() {
    let c = Config {
        broker_port_base: 9000,
        ..minimal()
    };
    // listen 9092 = 9000 + 92, inside 9000..=10023.
    assert!(c.validate().iter().any(|p| p.contains("broker port range")));
    assert!(minimal().validate().is_empty());
}
