//! Client-facing listening sockets.
//!
//! Invariant: the accept queue holds [`LISTEN_BACKLOG`] connections (the kernel caps it at
//! `net.core.somaxconn`), not the standard library's 128. A burst of connections larger than
//! the queue (clients reconnecting after a restart, thousands of clients starting together)
//! leaves the surplus waiting for SYN retransmissions, a second or more each; with SYN
//! cookies a client can even end up "connected" to a socket the proxy never accepts.

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

/// Connections the kernel queues before the accept loop takes them.
pub const LISTEN_BACKLOG: u32 = 1024;

/// Binds a listener on `addr` with a [`LISTEN_BACKLOG`]-deep accept queue.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As the standard library does on Unix: a restarted proxy rebinds its ports even while
    // connections of the previous run linger in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::net::TcpStream;

    use super::*;

    /// More than the standard library's backlog of 128, within the kernel's cap.
    fn burst() -> usize {
        let somaxconn = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|text| text.trim().parse::<usize>().ok())
            .unwrap_or(4096);
        somaxconn.min(300)
    }

    #[tokio::test]
    async fn a_burst_beyond_the_default_backlog_is_queued_whole() {
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let burst = burst();
        // Nothing accepts while the burst connects: every connection must fit in the queue.
        // With a backlog of 128 the 130th SYN is dropped and its connect waits a second.
        let mut clients = Vec::with_capacity(burst);
        for index in 0..burst {
            let connect =
                tokio::time::timeout(Duration::from_millis(800), TcpStream::connect(addr));
            let client = connect
                .await
                .unwrap_or_else(|_| panic!("connection {index} of {burst} was not queued"))
                .expect("connect");
            clients.push(client);
        }
        let mut accepted = 0;
        while accepted < burst {
            let next = tokio::time::timeout(Duration::from_millis(500), listener.accept()).await;
            match next {
                Ok(Ok(_)) => accepted += 1,
                other => panic!("accepted {accepted} of {burst}, then {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn binds_ipv4_and_reports_the_port() {
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
        let addr = listener.local_addr().expect("local addr");
        assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
        // The port is taken while the listener lives.
        let again = bind(addr);
        assert!(again.is_err(), "a second listener bound {addr}");
    }
}
