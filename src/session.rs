//! One client connection paired with one upstream connection.
//!
//! The request side (this module) reads client frames, peeks their headers, queues an
//! [`in_flight::InFlight`] entry for every request that expects a response and forwards the
//! frame; the response side ([`in_flight::relay_responses`]) answers the entries in order.
//! Invariants: an error on either side closes both sockets of this session only; on graceful
//! shutdown the request side stops reading and every queued entry is still answered.

pub mod in_flight;
pub mod upstream;

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};
use kafka_protocol::protocol::Encodable;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::codec::{CodecError, KafkaCodec};
use crate::frame::{self, FrameError, RequestHeader};
use crate::produce::{ProduceAction, ProduceContext, ProduceError};

use crate::rewrite::RewriteError;
use crate::rewrite::api_versions::max_supported_version;
use crate::server::Proxy;
use in_flight::{InFlight, InFlightCount, Reply};
use upstream::{Target, UpstreamError};

/// Entries queued ahead of the response side; clients pipeline at most a handful (librdkafka
/// 5, Java 5), so this only bounds a misbehaving client.
const IN_FLIGHT_CAPACITY: usize = 256;

/// Kafka error code UNSUPPORTED_VERSION.
const UNSUPPORTED_VERSION: i16 = 35;

/// The side of the session a failure came from (for logs and metric labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Broker,
    Proxy,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Broker => "broker",
            Side::Proxy => "proxy",
        }
    }
}

/// Why a session ended early. Each one closes that session only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    #[error("client sent a bad frame: {0}")]
    ClientFrame(CodecError),
    #[error("client connection failed: {0}")]
    ClientIo(std::io::Error),
    #[error("broker connection failed: {0}")]
    BrokerIo(std::io::Error),
    #[error("client sent a malformed request: {0}")]
    ClientRequest(FrameError),
    #[error("cannot write to the client: {0}")]
    ClientWrite(CodecError),
    #[error("broker sent a bad frame: {0}")]
    BrokerFrame(CodecError),
    #[error("broker sent a malformed response: {0}")]
    BrokerResponse(FrameError),
    #[error("broker response has correlation id {got}, expected {expected} (api key {api_key})")]
    CorrelationMismatch {
        expected: i32,
        got: i32,
        api_key: i16,
    },
    #[error("broker closed the connection with {in_flight} request(s) in flight{}",
        .api_key.map(|k| format!(" (awaiting api key {k})")).unwrap_or_default())]
    BrokerClosed {
        in_flight: usize,
        api_key: Option<i16>,
    },
    #[error("broker sent a response while no request was in flight")]
    Unsolicited,
    #[error("cannot write to the broker: {0}")]
    BrokerWrite(CodecError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("cannot rewrite broker response: {0}")]
    Rewrite(RewriteError),
    #[error("produce enforcement failed: {0}")]
    Produce(ProduceError),
    #[error("cannot open the proxy listener for broker {node_id}: {reason}")]
    Listener { node_id: i32, reason: String },
    #[error("enforcement policy closed the connection: {0}")]
    PolicyClose(String),
    #[error("connection cut: the shutdown grace period ran out")]
    Aborted,
}

impl SessionError {
    /// A peer simply went away (reset, broken pipe): routine, logged below warning level.
    pub fn is_disconnect(&self) -> bool {
        use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
        let io = match self {
            SessionError::ClientIo(e) | SessionError::BrokerIo(e) => e,
            SessionError::ClientWrite(CodecError::Io(e)) => e,
            _ => return false,
        };
        matches!(io.kind(), ConnectionReset | BrokenPipe | ConnectionAborted)
    }

    /// Sort a broker-side read failure into an I/O failure or a framing problem.
    pub fn from_broker_read(e: CodecError) -> SessionError {
        match e {
            CodecError::Io(e) => SessionError::BrokerIo(e),
            e => SessionError::BrokerFrame(e),
        }
    }

    pub fn side(&self) -> Side {
        use SessionError::*;
        match self {
            ClientFrame(_) | ClientIo(_) | ClientRequest(_) | ClientWrite(_) => Side::Client,
            BrokerFrame(_)
            | BrokerIo(_)
            | BrokerResponse(_)
            | CorrelationMismatch { .. }
            | BrokerClosed { .. }
            | Unsolicited
            | BrokerWrite(_)
            | Upstream(_)
            | Rewrite(_) => Side::Broker,
            Produce(_) | PolicyClose(_) | Listener { .. } | Aborted => Side::Proxy,
        }
    }
}

/// Run one client connection to completion, logging how it ended.
pub async fn run(
    proxy: Arc<Proxy>,
    client: TcpStream,
    target: Target,
    conn_id: u64,
    permit: OwnedSemaphorePermit,
) {
    let peer = client
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (listener, broker_id) = match target {
        Target::Bootstrap => ("bootstrap", None),
        Target::Broker(id) => ("broker", Some(id)),
    };
    let span = tracing::info_span!(
        "conn",
        conn_id,
        %peer,
        listener,
        broker_id,
        client_id = tracing::field::Empty
    );
    metrics::gauge!(crate::metrics::CONNECTIONS_ACTIVE, "listener" => listener).increment(1);
    async {
        tracing::debug!("connection accepted");
        match serve(&proxy, client, target).await {
            Ok(()) => tracing::debug!("connection closed"),
            Err(e) if e.is_disconnect() => {
                tracing::info!(side = e.side().as_str(), error = %e, "connection closed by peer");
            }
            Err(e) => {
                let side = e.side().as_str();
                metrics::counter!(crate::metrics::CONNECTION_ERRORS, "side" => side).increment(1);
                tracing::warn!(side, error = %e, "connection closed");
            }
        }
    }
    .instrument(span)
    .await;
    metrics::gauge!(crate::metrics::CONNECTIONS_ACTIVE, "listener" => listener).decrement(1);
    drop(permit);
}

async fn serve(proxy: &Arc<Proxy>, client: TcpStream, target: Target) -> Result<(), SessionError> {
    let (upstream, upstream_addr) = proxy.connect_upstream(target).await?;
    tracing::debug!(upstream = %upstream_addr, "upstream connected");
    let limits = &proxy.limits;
    let (client_rd, client_wr) = client.into_split();
    let (up_rd, up_wr) = upstream.into_split();
    let client_rd = FramedRead::new(client_rd, KafkaCodec::new(limits.max_frame_bytes));
    let client_wr = FramedWrite::new(client_wr, KafkaCodec::new(limits.max_response_frame_bytes));
    let up_rd = FramedRead::new(up_rd, KafkaCodec::new(limits.max_response_frame_bytes));
    let up_wr = FramedWrite::new(up_wr, KafkaCodec::new(limits.max_frame_bytes));
    let (tx, rx) = mpsc::channel(IN_FLIGHT_CAPACITY);
    let count = InFlightCount::default();
    let failed = CancellationToken::new();
    let requests = async {
        let result = forward_requests(proxy, client_rd, up_wr, tx, &count, &failed).await;
        if result.is_err() {
            failed.cancel();
        }
        result
    };
    let responses = async {
        let result =
            in_flight::relay_responses(rx, up_rd, client_wr, proxy, &count, &proxy.shutdown).await;
        if result.is_err() {
            failed.cancel();
        }
        result
    };
    let (req, resp) = tokio::join!(requests, responses);
    // The first failure is the cause; the other side usually just saw the cancellation.
    req.and(resp)
}

/// Read client requests until EOF, idle timeout, drain or failure; queue and forward each.
async fn forward_requests<C, U>(
    proxy: &Proxy,
    mut client: C,
    mut upstream: U,
    entries: mpsc::Sender<InFlight>,
    count: &InFlightCount,
    failed: &CancellationToken,
) -> Result<(), SessionError>
where
    C: Stream<Item = Result<Bytes, CodecError>> + Unpin,
    U: Sink<Bytes, Error = CodecError> + Unpin,
{
    let idle = proxy.limits.idle_timeout;
    let mut client_id_logged = false;
    loop {
        let next = tokio::select! {
            biased;
            () = failed.cancelled() => return Ok(()),
            () = proxy.shutdown.draining() => return Ok(()),
            next = tokio::time::timeout(idle, client.next()) => next,
        };
        let frame = match next {
            Err(_) if count.get() > 0 => continue,
            Err(_) => {
                tracing::info!(idle_timeout = ?idle, "closing idle connection");
                return Ok(());
            }
            Ok(None) => return Ok(()),
            Ok(Some(Err(CodecError::Io(e)))) => return Err(SessionError::ClientIo(e)),
            Ok(Some(Err(e))) => return Err(SessionError::ClientFrame(e)),
            Ok(Some(Ok(frame))) => frame,
        };
        let header = frame::peek_request_header(&frame).map_err(SessionError::ClientRequest)?;
        if !client_id_logged && let Some(id) = &header.client_id {
            tracing::Span::current().record("client_id", id.as_str());
            client_id_logged = true;
        }
        let Some(step) = plan(proxy, frame, &header).await? else {
            continue;
        };
        if let Some(reply) = step.reply {
            count.add();
            let entry = InFlight {
                correlation_id: header.correlation_id,
                api_key: header.api_key,
                api_version: header.api_version,
                reply,
            };
            if entries.send(entry).await.is_err() {
                // The response side ended (with its own error); nothing more to do here.
                return Ok(());
            }
        } else if header.known_key() == Some(ApiKey::Produce) {
            count.no_reply(header.correlation_id);
        }
        if let Some(request) = step.forward {
            upstream
                .send(request)
                .await
                .map_err(SessionError::BrokerWrite)?;
        }
    }
}

/// Decide what one request needs: Produce goes through the enforcer, an ApiVersions request
/// newer than we can decode is answered locally, everything else is forwarded as is.
async fn plan(
    proxy: &Proxy,
    frame: Bytes,
    header: &RequestHeader,
) -> Result<Option<Step>, SessionError> {
    let known = header.known_key();
    let api_label = known.map_or("unknown", api_name);
    metrics::counter!(crate::metrics::REQUESTS, "api" => api_label).increment(1);
    Ok(match known {
        Some(ApiKey::Produce) => produce_step(proxy, frame, header).await?,
        Some(ApiKey::ApiVersions)
            if max_supported_version(ApiKey::ApiVersions)
                .is_some_and(|max| header.api_version > max) =>
        {
            Step::local(unsupported_api_versions(header.correlation_id))
        }
        _ => Step::forward(frame, Reply::Broker),
    })
}

/// What to do with one request: forward bytes upstream and/or expect a reply.
struct Step {
    forward: Option<Bytes>,
    reply: Option<Reply>,
}

impl Step {
    fn forward(frame: Bytes, reply: Reply) -> Option<Step> {
        Some(Step {
            forward: Some(frame),
            reply: Some(reply),
        })
    }
    fn local(body: Bytes) -> Option<Step> {
        Some(Step {
            forward: None,
            reply: Some(Reply::Local(body)),
        })
    }
}

/// Ask the enforcer about a Produce request and map its decision to a [`Step`]. An `acks=0`
/// request gets no reply entry: the broker sends no response and neither may the proxy.
async fn produce_step(
    proxy: &Proxy,
    frame: Bytes,
    header: &RequestHeader,
) -> Result<Option<Step>, SessionError> {
    let acks = frame::peek_produce_acks(&frame, header).map_err(SessionError::ClientRequest)?;
    let expects_reply = acks != 0;
    let ctx = ProduceContext {
        api_version: header.api_version,
        correlation_id: header.correlation_id,
        topic_ids: &proxy.topic_ids,
    };
    let action = proxy
        .enforcer
        .check(ctx, frame)
        .await
        .map_err(SessionError::Produce)?;
    let reply = |r: Reply| expects_reply.then_some(r);
    Ok(match action {
        ProduceAction::Forward(request) => Some(Step {
            forward: Some(request),
            reply: reply(Reply::Broker),
        }),
        ProduceAction::Partial { request, rejected } => Some(Step {
            forward: Some(request),
            reply: reply(Reply::Merge(rejected)),
        }),
        ProduceAction::Respond(body) if expects_reply => Step::local(body),
        ProduceAction::Respond(_) | ProduceAction::Drop => {
            tracing::debug!(
                acks,
                "produce request answered locally without a response (acks=0)"
            );
            None
        }
        ProduceAction::Close(reason) => {
            tracing::info!(%reason, "closing connection on enforcement policy");
            return Err(SessionError::PolicyClose(reason));
        }
    })
}

/// ApiVersions v0 error response, as a broker sends for a request version it does not know:
/// the client retries with the highest version listed for ApiVersions.
fn unsupported_api_versions(correlation_id: i32) -> Bytes {
    let max = max_supported_version(ApiKey::ApiVersions).unwrap_or(0);
    let response = ApiVersionsResponse::default()
        .with_error_code(UNSUPPORTED_VERSION)
        .with_api_keys(vec![
            ApiVersion::default()
                .with_api_key(ApiKey::ApiVersions as i16)
                .with_min_version(0)
                .with_max_version(max),
        ]);
    let mut out = BytesMut::new();
    out.put_i32(correlation_id);
    // Encoding a fixed, valid v0 message into a growable buffer cannot fail.
    if response.encode(&mut out, 0).is_err() {
        tracing::error!("cannot encode the ApiVersions fallback response");
    }
    out.freeze()
}

/// Short, stable api name for metric labels.
fn api_name(key: ApiKey) -> &'static str {
    match key {
        ApiKey::Produce => "produce",
        ApiKey::Fetch => "fetch",
        ApiKey::Metadata => "metadata",
        ApiKey::ApiVersions => "api_versions",
        ApiKey::FindCoordinator => "find_coordinator",
        ApiKey::DescribeCluster => "describe_cluster",
        ApiKey::SaslHandshake | ApiKey::SaslAuthenticate => "sasl",
        _ => "other",
    }
}

#[cfg(test)]
mod tests;
