//! In-process end-to-end checks of the proxy core against librdkafka's mock cluster (3 brokers
//! on loopback, started through the project venv's confluent-kafka), driven by real clients.
//! Set SCHEMAGATE_PYTHON to use another interpreter than the project venv.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use schemagate::app::App;
use schemagate::config::Config;

const VENV_PYTHON: &str = "/root/.cache/schemagate/venv/bin/python";

fn python() -> String {
    std::env::var("SCHEMAGATE_PYTHON").unwrap_or_else(|_| VENV_PYTHON.to_owned())
}

/// A librdkafka mock cluster; killed on drop.
struct MockCluster {
    child: Child,
    bootstrap: String,
}

impl MockCluster {
    fn start() -> MockCluster {
        let script = "import time\nfrom confluent_kafka import Producer\n\
            p = Producer({'test.mock.num.brokers': 3, 'bootstrap.servers': ''})\n\
            md = p.list_topics(timeout=10)\n\
            print(','.join(f'{b.host}:{b.port}' for b in md.brokers.values()), flush=True)\n\
            time.sleep(600)\n";
        let mut child = Command::new(python())
            .args(["-c", script])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the mock cluster with the project venv python");
        let stdout = child.stdout.take().expect("stdout");
        // Owned from here on, so a failed start still kills the process.
        let mut mock = MockCluster {
            child,
            bootstrap: String::new(),
        };
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("mock cluster bootstrap line");
        mock.bootstrap = line.trim().to_owned();
        assert_eq!(mock.bootstrap.split(',').count(), 3, "mock said {line:?}");
        mock
    }
}

impl Drop for MockCluster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(bootstrap: &str) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        admin_listen: Some("127.0.0.1:0".parse().unwrap()),
        bootstrap_servers: bootstrap.split(',').map(str::to_owned).collect(),
        ..Config::default()
    }
}

/// Produce `n` idempotent zstd records to a fresh topic, consume them in a group with commits,
/// and print the broker addresses the client learned, one `id host port` per line.
const ROUND_TRIP: &str = r#"
import sys, uuid, time
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bs, n = sys.argv[1], int(sys.argv[2])
topic = "t-" + uuid.uuid4().hex[:8]
if len(sys.argv) > 3 and sys.argv[3] == "create":
    admin = AdminClient({'bootstrap.servers': bs})
    for f in admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)]).values():
        f.result()
p = Producer({'bootstrap.servers': bs, 'enable.idempotence': True, 'compression.type': 'zstd', 'linger.ms': 5})
errs = []
for i in range(n):
    p.produce(topic, key=str(i), value=f"v{i}", on_delivery=lambda e, m: e and errs.append(e))
    p.poll(0)
assert p.flush(30) == 0 and not errs, errs
c = Consumer({'bootstrap.servers': bs, 'group.id': 'g' + topic, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe([topic])
got, deadline = 0, time.time() + 60
while got < n and time.time() < deadline:
    m = c.poll(1.0)
    if m is not None and not m.error():
        got += 1
c.commit(asynchronous=False)
md = c.list_topics(topic, timeout=10)
parts = list(md.topics[topic].partitions)
committed = c.committed([TopicPartition(topic, q) for q in parts], timeout=10)
for b in md.brokers.values():
    print("broker", b.id, b.host, b.port)
print("partitions", len(parts))
print("consumed", got, "committed", sum(tp.offset for tp in committed))
c.close()
"#;

fn run_python(script: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

const TANSU: &str = "/root/.cache/schemagate/tansu-0.6.0/bin/tansu";

/// A tansu broker with memory storage on a free loopback port; killed on drop.
struct Tansu {
    child: Child,
    addr: String,
}

fn tansu_bin() -> String {
    std::env::var("SCHEMAGATE_TANSU").unwrap_or_else(|_| TANSU.to_owned())
}

impl Tansu {
    fn start() -> Tansu {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_with(port, "memory://tansu/", &[], std::path::Path::new("."))
    }

    fn start_with(port: u16, storage: &str, extra: &[&str], dir: &std::path::Path) -> Tansu {
        let bin = tansu_bin();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(&bin)
            .current_dir(dir)
            .args(["broker", "--storage-engine", storage])
            .args(["--listener-url", &url, "--advertised-listener-url", &url])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start tansu from {bin} (scripts/install-tansu.sh): {e}"));
        // Owned from here on, so a start-up failure still kills the process.
        let tansu = Tansu {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if TcpStream::connect(&tansu.addr).is_ok() {
                return tansu;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("tansu did not listen on {}", tansu.addr);
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tansu_round_trip_with_admin_idempotence_zstd_and_group_commits() {
    let tansu = Tansu::start();
    let app = App::start(config(&tansu.addr)).await.unwrap();
    let bootstrap = app.bootstrap_addr().to_string();
    let out = tokio::task::spawn_blocking(move || {
        run_python(ROUND_TRIP, &[&bootstrap, "10000", "create"])
    })
    .await
    .unwrap();
    assert!(out.contains("partitions 3"), "{out}");
    assert!(out.contains("consumed 10000 committed 10000"), "{out}");
    let proxy_broker = app
        .broker_addr(111)
        .expect("tansu's node 111 got a listener");
    assert!(
        out.contains(&format!("broker 111 127.0.0.1 {}", proxy_broker.port())),
        "{out}"
    );
    app.shutdown().await.unwrap();
}

/// Create a topic and produce one record with SCRAM-SHA-512 credentials; prints the outcome.
const SASL_PRODUCE: &str = r#"
import sys, uuid
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
bs, user, pw = sys.argv[1], sys.argv[2], sys.argv[3]
conf = {'bootstrap.servers': bs, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'SCRAM-SHA-512',
        'sasl.username': user, 'sasl.password': pw}
errors = []
topic = "s-" + uuid.uuid4().hex[:8]
p = Producer(dict(conf, error_cb=lambda e: errors.append(str(e))))
admin = AdminClient(conf)
try:
    for f in admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)], request_timeout=10).values():
        f.result()
except Exception as e:
    errors.append(str(e))
delivered = []
p.produce(topic, b"hello", on_delivery=lambda e, m: delivered.append(e is None))
p.flush(10)
print("delivered", delivered == [True])
print("errors", errors)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_scram_passes_through_and_a_wrong_password_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let storage = "sqlite://tansu.db";
    {
        let open = Tansu::start_with(port, storage, &[], dir.path());
        let status = Command::new(tansu_bin())
            .current_dir(dir.path())
            .args([
                "user",
                "create",
                "--broker",
                &format!("tcp://{}", open.addr),
            ])
            .args(["alice", "alice-secret"])
            .status()
            .unwrap();
        assert!(status.success(), "tansu user create");
    }
    let tansu = Tansu::start_with(port, storage, &["--authentication"], dir.path());
    let app = App::start(config(&tansu.addr)).await.unwrap();
    let bootstrap = app.bootstrap_addr().to_string();
    let good = bootstrap.clone();
    let out = tokio::task::spawn_blocking(move || {
        run_python(SASL_PRODUCE, &[&good, "alice", "alice-secret"])
    })
    .await
    .unwrap();
    assert!(out.contains("delivered True"), "{out}");
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        run_python(SASL_PRODUCE, &[&bootstrap, "alice", "wrong"])
    })
    .await
    .unwrap();
    assert!(out.contains("delivered False"), "{out}");
    assert!(out.contains("_AUTHENTICATION"), "{out}");
    assert!(started.elapsed() < Duration::from_secs(30));
    app.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_work_through_the_proxy_and_only_learn_proxy_addresses() {
    let mock = MockCluster::start();
    let app = App::start(config(&mock.bootstrap)).await.unwrap();
    let bootstrap = app.bootstrap_addr().to_string();
    let admin = app.admin_addr().unwrap();
    let out = tokio::task::spawn_blocking(move || run_python(ROUND_TRIP, &[&bootstrap, "2000"]))
        .await
        .unwrap();
    assert!(out.contains("consumed 2000 committed 2000"), "{out}");
    let brokers: Vec<(i32, String)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("broker "))
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[0].parse().unwrap(), format!("{}:{}", f[1], f[2]))
        })
        .collect();
    assert_eq!(brokers.len(), 3, "{out}");
    for (id, addr) in &brokers {
        let proxy = app.broker_addr(*id).expect("a listener for every broker");
        assert_eq!(
            addr,
            &proxy.to_string(),
            "broker {id} must be a proxy address"
        );
        assert!(
            !mock.bootstrap.contains(addr.as_str()),
            "{addr} leaked a broker address"
        );
    }
    let (status, _) = tokio::task::spawn_blocking(move || http_get(admin, "/ready"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (status, body) = tokio::task::spawn_blocking(move || http_get(admin, "/metrics"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("schemagate_connections_accepted_total"),
        "{body}"
    );
    app.shutdown().await.unwrap();
}

/// Bad input on its own connections: each is closed; a healthy client keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_closes_only_its_own_connection() {
    let mock = MockCluster::start();
    let app = App::start(config(&mock.bootstrap)).await.unwrap();
    let addr = app.bootstrap_addr();
    let bad: Vec<Vec<u8>> = vec![
        (-1i32).to_be_bytes().to_vec(),
        i32::MAX.to_be_bytes().to_vec(),
        b"GET / HTTP/1.1\r\n\r\n".to_vec(),
        [&3i32.to_be_bytes()[..], b"abc"].concat(),
    ];
    let closed = tokio::task::spawn_blocking(move || {
        bad.iter()
            .map(|bytes| {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                s.write_all(bytes).unwrap();
                let mut buf = [0u8; 16];
                matches!(s.read(&mut buf), Ok(0) | Err(_))
            })
            .collect::<Vec<bool>>()
    })
    .await
    .unwrap();
    assert_eq!(closed, vec![true; 4]);
    let bootstrap = addr.to_string();
    let out = tokio::task::spawn_blocking(move || run_python(ROUND_TRIP, &[&bootstrap, "200"]))
        .await
        .unwrap();
    assert!(out.contains("consumed 200 committed 200"), "{out}");
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn invalid_config_reports_every_problem() {
    let mut c = config("");
    c.bootstrap_servers.clear();
    c.limits.max_connections = 0;
    match App::start(c).await {
        Err(schemagate::app::AppError::Config(problems)) => {
            assert_eq!(problems.len(), 2, "{problems:?}")
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}
