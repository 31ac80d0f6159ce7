//! The in-flight FIFO and the response side of a session.
//!
//! Invariants: entries are queued in request order before the request is written upstream;
//! responses reach the client in that same order. A broker response is matched to the head
//! entry by correlation id (Kafka answers in order on one connection), and decoded with that
//! entry's api key and version. A locally answered entry ([`Reply::Local`]) is written only
//! when it reaches the head, i.e. after every earlier broker response.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, Stream, StreamExt};
use kafka_protocol::messages::ApiKey;
use tokio::sync::mpsc;

use crate::codec::CodecError;
use crate::frame;
use crate::produce::Rejected;
use crate::rewrite::{BrokerAddr, Decoded};
use crate::session::SessionError;
use crate::shutdown::Shutdown;
use crate::topology::TopicIds;

/// How the response to one request is produced.
#[derive(Debug)]
pub enum Reply {
    /// Relay the broker's response (rewritten when its API carries broker addresses).
    Broker,
    /// Relay the broker's Produce response after merging locally rejected partitions.
    Merge(Rejected),
    /// Answer with this locally made frame body (response header + body); nothing upstream.
    Local(Bytes),
}

/// One request awaiting its response.
#[derive(Debug)]
pub struct InFlight {
    pub correlation_id: i32,
    pub api_key: i16,
    pub api_version: i16,
    pub reply: Reply,
}

/// What the response side needs from the proxy to rewrite broker addresses.
pub trait BrokerRouter: Send + Sync {
    /// Record `broker`'s upstream address and make sure its proxy listener exists (created
    /// before the response naming it is relayed); returns the proxy port clients must use.
    fn proxy_port(
        &self,
        broker: &BrokerAddr,
    ) -> impl Future<Output = Result<u16, SessionError>> + Send;
    fn advertised_host(&self) -> &str;
    fn topic_ids(&self) -> &TopicIds;
}

/// How many recent `acks=0` correlation ids are remembered (see [`InFlightCount::no_reply`]).
const NO_REPLY_MEMORY: usize = 64;

/// Counts queued entries so the idle timeout never closes a connection that awaits a reply,
/// and remembers recent `acks=0` Produce correlation ids: Kafka never answers those, but
/// librdkafka's mock cluster does, and clients ignore such stray responses, so the proxy
/// drops them too instead of treating them as a protocol violation.
#[derive(Debug, Default)]
pub struct InFlightCount {
    count: AtomicUsize,
    no_reply: Mutex<VecDeque<i32>>,
}

impl InFlightCount {
    pub fn add(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
    }
    fn done(&self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
    pub fn get(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Record a forwarded request that expects no response (`acks=0` Produce).
    pub fn no_reply(&self, correlation_id: i32) {
        if let Ok(mut ids) = self.no_reply.lock() {
            if ids.len() == NO_REPLY_MEMORY {
                ids.pop_front();
            }
            ids.push_back(correlation_id);
        }
    }

    /// True (and forgotten) when `correlation_id` belongs to an `acks=0` request.
    fn take_no_reply(&self, correlation_id: i32) -> bool {
        let Ok(mut ids) = self.no_reply.lock() else {
            return false;
        };
        match ids.iter().position(|id| *id == correlation_id) {
            Some(at) => ids.remove(at).is_some(),
            None => false,
        }
    }

    /// True when `frame` is a stray response to an `acks=0` request, to be dropped.
    fn is_stray(&self, frame: &[u8]) -> bool {
        let stray =
            frame::peek_response_header(frame, 0).is_ok_and(|(corr, _)| self.take_no_reply(corr));
        if stray {
            tracing::debug!("dropping the broker's response to an acks=0 produce request");
        }
        stray
    }
}

/// Write responses to the client in request order until the request side hangs up and every
/// queued entry is answered, or an error occurs.
pub async fn relay_responses<U, C, R>(
    mut entries: mpsc::Receiver<InFlight>,
    mut upstream: U,
    mut client: C,
    router: &R,
    count: &InFlightCount,
    shutdown: &Shutdown,
) -> Result<(), SessionError>
where
    U: Stream<Item = Result<Bytes, CodecError>> + Unpin,
    C: futures_util::Sink<Bytes, Error = CodecError> + Unpin,
    R: BrokerRouter,
{
    loop {
        let entry = tokio::select! {
            biased;
            () = shutdown.aborted() => return Err(SessionError::Aborted),
            entry = entries.recv() => match entry {
                Some(entry) => entry,
                None => return Ok(()),
            },
            // Nothing is in flight: the broker may only close the connection.
            frame = upstream.next() => match frame {
                Some(Ok(frame)) if count.is_stray(&frame) => continue,
                None => return Err(SessionError::BrokerClosed { in_flight: 0, api_key: None }),
                Some(Ok(_)) => return Err(SessionError::Unsolicited),
                Some(Err(e)) => return Err(SessionError::from_broker_read(e)),
            },
        };
        let out = match entry.reply {
            Reply::Local(ref body) => body.clone(),
            Reply::Broker | Reply::Merge(_) => {
                let frame = next_response(&mut upstream, &entry, count, shutdown).await?;
                answer(entry, frame, router).await?
            }
        };
        client.send(out).await.map_err(SessionError::ClientWrite)?;
        count.done();
    }
}

/// The broker's next frame for `entry`, skipping stray answers to `acks=0` requests.
async fn next_response<U>(
    upstream: &mut U,
    entry: &InFlight,
    count: &InFlightCount,
    shutdown: &Shutdown,
) -> Result<Bytes, SessionError>
where
    U: Stream<Item = Result<Bytes, CodecError>> + Unpin,
{
    loop {
        let frame = tokio::select! {
            biased;
            () = shutdown.aborted() => return Err(SessionError::Aborted),
            frame = upstream.next() => match frame {
                Some(Ok(frame)) => frame,
                Some(Err(e)) => return Err(SessionError::from_broker_read(e)),
                None => return Err(SessionError::BrokerClosed {
                    in_flight: count.get(),
                    api_key: Some(entry.api_key),
                }),
            },
        };
        let matches = frame::peek_response_header(&frame, 0)
            .is_ok_and(|(corr, _)| corr == entry.correlation_id);
        if matches || !count.is_stray(&frame) {
            return Ok(frame);
        }
    }
}

/// Turn the broker's response frame for `entry` into what the client receives.
async fn answer<R: BrokerRouter>(
    entry: InFlight,
    frame: Bytes,
    router: &R,
) -> Result<Bytes, SessionError> {
    let Ok(api) = ApiKey::try_from(entry.api_key) else {
        // Unknown api key: header layout unknown, but every header starts with the id.
        let (got, _) =
            frame::peek_response_header(&frame, 0).map_err(SessionError::BrokerResponse)?;
        check_correlation(&entry, got)?;
        return Ok(frame);
    };
    let header_version = api.response_header_version(entry.api_version);
    let (got, _, _) =
        frame::split_response(&frame, header_version).map_err(SessionError::BrokerResponse)?;
    check_correlation(&entry, got)?;
    let frame = match entry.reply {
        Reply::Merge(rejected) => rejected
            .merge_into(frame, entry.api_version)
            .map_err(SessionError::Produce)?,
        _ => frame,
    };
    let (_, header, body) =
        frame::split_response(&frame, header_version).map_err(SessionError::BrokerResponse)?;
    let Some(mut decoded) =
        Decoded::decode(api, entry.api_version, &body).map_err(SessionError::Rewrite)?
    else {
        return Ok(frame);
    };
    decoded.record_topic_ids(router.topic_ids());
    if !decoded.changed() {
        return Ok(frame);
    }
    let mut ports = HashMap::new();
    for broker in decoded.brokers() {
        if let std::collections::hash_map::Entry::Vacant(slot) = ports.entry(broker.node_id) {
            slot.insert(router.proxy_port(&broker).await?);
        }
    }
    decoded
        .rewrite(&ports, router.advertised_host())
        .map_err(SessionError::Rewrite)?;
    let new_body = decoded
        .encode(entry.api_version)
        .map_err(SessionError::Rewrite)?;
    let mut out = BytesMut::with_capacity(header.len() + new_body.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&new_body);
    Ok(out.freeze())
}

fn check_correlation(entry: &InFlight, got: i32) -> Result<(), SessionError> {
    if got == entry.correlation_id {
        Ok(())
    } else {
        Err(SessionError::CorrelationMismatch {
            expected: entry.correlation_id,
            got,
            api_key: entry.api_key,
        })
    }
}

#[cfg(test)]
mod tests;
