//! Connection lifecycle through `App` against a scripted in-process broker: graceful drain,
//! grace-period cut-off, connection limit and idle timeout.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use schemagate::app::App;
use schemagate::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A broker that answers every request with its correlation id after `delay`, in order.
async fn slow_broker(delay: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                while let Some(frame) = read_frame(&mut s).await {
                    tokio::time::sleep(delay).await;
                    let mut out = Vec::new();
                    out.extend_from_slice(&8i32.to_be_bytes());
                    out.extend_from_slice(&frame[4..8]); // correlation id
                    out.extend_from_slice(&0i32.to_be_bytes()); // heartbeat v0: error + pad
                    if s.write_all(&out).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

async fn read_frame(s: &mut TcpStream) -> Option<Vec<u8>> {
    let len = s.read_i32().await.ok()?;
    let mut buf = vec![0; usize::try_from(len).ok()?];
    s.read_exact(&mut buf).await.ok()?;
    Some(buf)
}

/// Heartbeat v0 request (opaque to the proxy) with `corr`.
fn heartbeat(corr: i32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&12i16.to_be_bytes());
    body.extend_from_slice(&0i16.to_be_bytes());
    body.extend_from_slice(&corr.to_be_bytes());
    body.extend_from_slice(&1i16.to_be_bytes());
    body.push(b't');
    body.extend_from_slice(&[0, 1, b'g', 0, 0, 0, 1, 0, 1, b'm']);
    let mut frame = (body.len() as i32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

fn config(broker: SocketAddr) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        bootstrap_servers: vec![broker.to_string()],
        ..Config::default()
    }
}

async fn correlation_of(s: &mut TcpStream) -> Option<i32> {
    let frame = read_frame(s).await?;
    Some(i32::from_be_bytes(frame[..4].try_into().unwrap()))
}

#[tokio::test]
async fn shutdown_answers_every_request_in_flight_then_closes() {
    let broker = slow_broker(Duration::from_millis(400)).await;
    let app = App::start(config(broker)).await.unwrap();
    let addr = app.bootstrap_addr();
    let mut client = TcpStream::connect(addr).await.unwrap();
    for corr in 1..=3 {
        client.write_all(&heartbeat(corr)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let trigger = app.shutdown_trigger();
    let waiting = tokio::spawn(app.wait());
    trigger.trigger();
    for corr in 1..=3 {
        assert_eq!(correlation_of(&mut client).await, Some(corr));
    }
    assert_eq!(
        correlation_of(&mut client).await,
        None,
        "closed after the drain"
    );
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("drain finishes")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
}

#[tokio::test]
async fn grace_period_cuts_connections_that_do_not_finish() {
    let broker = slow_broker(Duration::from_secs(30)).await;
    let mut cfg = config(broker);
    cfg.limits.shutdown_grace = Duration::from_millis(300);
    let app = App::start(cfg).await.unwrap();
    let mut client = TcpStream::connect(app.bootstrap_addr()).await.unwrap();
    client.write_all(&heartbeat(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    app.shutdown().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(correlation_of(&mut client).await, None);
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_and_others_carry_on() {
    let broker = slow_broker(Duration::ZERO).await;
    let mut cfg = config(broker);
    cfg.limits.max_connections = 1;
    let app = App::start(cfg).await.unwrap();
    let mut first = TcpStream::connect(app.bootstrap_addr()).await.unwrap();
    first.write_all(&heartbeat(5)).await.unwrap();
    assert_eq!(correlation_of(&mut first).await, Some(5));
    let mut second = TcpStream::connect(app.bootstrap_addr()).await.unwrap();
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(2), second.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    first.write_all(&heartbeat(6)).await.unwrap();
    assert_eq!(correlation_of(&mut first).await, Some(6));
    drop(first);
    // The permit comes back once the first session ends.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(app.bootstrap_addr()).await.unwrap();
    third.write_all(&heartbeat(7)).await.unwrap();
    assert_eq!(correlation_of(&mut third).await, Some(7));
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn idle_connections_close_but_waiting_ones_do_not() {
    let broker = slow_broker(Duration::from_millis(600)).await;
    let mut cfg = config(broker);
    cfg.limits.idle_timeout = Duration::from_millis(200);
    let app = App::start(cfg).await.unwrap();
    let mut waiting = TcpStream::connect(app.bootstrap_addr()).await.unwrap();
    waiting.write_all(&heartbeat(1)).await.unwrap();
    assert_eq!(
        correlation_of(&mut waiting).await,
        Some(1),
        "in flight is not idle"
    );
    let mut idle = TcpStream::connect(app.bootstrap_addr()).await.unwrap();
    let started = Instant::now();
    assert_eq!(correlation_of(&mut idle).await, None);
    assert!(started.elapsed() < Duration::from_secs(2));
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn unreachable_upstream_closes_the_client_and_is_not_ready() {
    // Bind then drop to get a port nobody listens on.
    let dead = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let mut cfg = config(dead);
    cfg.limits.connect_timeout = Duration::from_millis(300);
    let app = App::start(cfg).await.unwrap();
    let mut client = TcpStream::connect(app.bootstrap_addr()).await.unwrap();
    client.write_all(&heartbeat(1)).await.unwrap();
    assert_eq!(correlation_of(&mut client).await, None);
    app.shutdown().await.unwrap();
}

/// A broker that answers Metadata (non-flexible versions) naming `node_id` at its own address, and Heartbeat v0
/// with its correlation id.
async fn metadata_broker(node_id: i32) -> SocketAddr {
    use kafka_protocol::messages::metadata_response::MetadataResponseBroker;
    use kafka_protocol::messages::{BrokerId, MetadataResponse};
    use kafka_protocol::protocol::{Encodable, StrBytes};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                while let Some(frame) = read_frame(&mut s).await {
                    let mut out = frame[4..8].to_vec(); // correlation id
                    if frame[..2] == 3i16.to_be_bytes() {
                        let body = MetadataResponse::default().with_brokers(vec![
                            MetadataResponseBroker::default()
                                .with_node_id(BrokerId(node_id))
                                .with_host(StrBytes::from_static_str("127.0.0.1"))
                                .with_port(i32::from(addr.port())),
                        ]);
                        let version = i16::from_be_bytes([frame[2], frame[3]]);
                        let mut buf = bytes::BytesMut::new();
                        body.encode(&mut buf, version).unwrap();
                        out.extend_from_slice(&buf);
                    } else {
                        out.extend_from_slice(&0i16.to_be_bytes());
                    }
                    let mut wire = (out.len() as i32).to_be_bytes().to_vec();
                    wire.extend_from_slice(&out);
                    if s.write_all(&wire).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// Metadata v1 request (header v1, `topics: null` = all topics).
fn metadata_request(corr: i32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&3i16.to_be_bytes());
    body.extend_from_slice(&1i16.to_be_bytes());
    body.extend_from_slice(&corr.to_be_bytes());
    body.extend_from_slice(&(-1i16).to_be_bytes());
    body.extend_from_slice(&(-1i32).to_be_bytes());
    let mut frame = (body.len() as i32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

#[tokio::test]
async fn broker_listener_sits_at_base_plus_node_id_and_reaches_that_broker() {
    let node_id = 7;
    let broker = metadata_broker(node_id).await;
    let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let mut cfg = config(broker);
    cfg.broker_port_base = port - node_id as u16;
    cfg.node_id_range.max = 100;
    let app = App::start(cfg).await.unwrap();
    let mut client = TcpStream::connect(app.bootstrap_addr()).await.unwrap();
    client.write_all(&metadata_request(1)).await.unwrap();
    let frame = read_frame(&mut client).await.unwrap();
    let listener = app
        .broker_addr(node_id)
        .expect("listener created before the response");
    assert_eq!(listener.port(), port);
    // brokers[0]: node id, host "127.0.0.1" as the advertised host, proxy port.
    assert_eq!(&frame[4..8], &1i32.to_be_bytes());
    assert_eq!(&frame[8..12], &node_id.to_be_bytes());
    assert_eq!(
        &frame[12..23],
        &[0, 9, b'1', b'2', b'7', b'.', b'0', b'.', b'0', b'.', b'1']
    );
    assert_eq!(&frame[23..27], &i32::from(port).to_be_bytes());
    let mut direct = TcpStream::connect(listener).await.unwrap();
    direct.write_all(&heartbeat(9)).await.unwrap();
    assert_eq!(correlation_of(&mut direct).await, Some(9));
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_broker_outside_the_node_id_range_closes_the_connection_without_leaking() {
    let broker = metadata_broker(500).await;
    let mut cfg = config(broker);
    cfg.node_id_range.max = 100;
    let app = App::start(cfg).await.unwrap();
    let mut client = TcpStream::connect(app.bootstrap_addr()).await.unwrap();
    client.write_all(&metadata_request(1)).await.unwrap();
    assert_eq!(read_frame(&mut client).await, None);
    assert_eq!(app.broker_addr(500), None);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn brokers_are_learned_at_start_up_without_any_client() {
    let broker = metadata_broker(3).await;
    let app = App::start(config(broker)).await.unwrap();
    let mut listener = None;
    for _ in 0..50 {
        listener = app.broker_addr(3);
        if listener.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut direct = TcpStream::connect(listener.expect("listener opened at start-up"))
        .await
        .unwrap();
    direct.write_all(&heartbeat(4)).await.unwrap();
    assert_eq!(correlation_of(&mut direct).await, Some(4));
    app.shutdown().await.unwrap();
}
