//! Opening the upstream (broker) side of a session.

use std::time::Duration;

use tokio::net::TcpStream;

/// Where a client connection's upstream goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Any configured bootstrap server, tried in order.
    Bootstrap,
    /// The broker with this node id, at the address last seen in a response.
    Broker(i32),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Bootstrap => f.write_str("bootstrap"),
            Target::Broker(id) => write!(f, "broker {id}"),
        }
    }
}

/// Failure to open the upstream connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    #[error("no upstream address is known for broker {0}")]
    UnknownBroker(i32),
    #[error("cannot connect to any bootstrap server: {0}")]
    Bootstrap(String),
    #[error("cannot connect to broker {node_id} at {addr}: {reason}")]
    Broker {
        node_id: i32,
        addr: String,
        reason: String,
    },
}

/// Connect to `addr` within `timeout`, with Nagle disabled (Kafka requests are small and
/// latency-sensitive).
pub async fn connect_one(addr: &str, timeout: Duration) -> Result<TcpStream, String> {
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err(format!("timed out after {timeout:?}")),
    };
    // Nagle only delays small frames; failing to disable it is harmless.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Try each bootstrap server in order; the first that accepts wins.
pub async fn connect_bootstrap(
    servers: &[String],
    timeout: Duration,
) -> Result<(TcpStream, String), UpstreamError> {
    let mut failures = Vec::new();
    for server in servers {
        match connect_one(server, timeout).await {
            Ok(stream) => return Ok((stream, server.clone())),
            Err(reason) => failures.push(format!("{server}: {reason}")),
        }
    }
    Err(UpstreamError::Bootstrap(failures.join("; ")))
}
