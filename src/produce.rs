//! Produce enforcement: the contract between a [`crate::session`] and the enforcer.
//!
//! The session hands every Produce request frame (the bytes after the 4-byte length prefix)
//! to [`Enforcer::check`] before forwarding it, and acts on the returned [`ProduceAction`].
//! A schema rejection is a value ([`ProduceAction::Respond`] / [`ProduceAction::Partial`]),
//! never an `Err`; an `Err` means the connection must be closed.

use bytes::Bytes;

use crate::topology::TopicIds;

/// What the session knows about a Produce request when it asks the enforcer.
#[derive(Debug, Clone, Copy)]
pub struct ProduceContext<'a> {
    pub api_version: i16,
    pub correlation_id: i32,
    /// Topic-id → name map learned from Metadata responses (Produce v13 names topics by id).
    pub topic_ids: &'a TopicIds,
}

/// What the session must do with a Produce request.
#[derive(Debug)]
pub enum ProduceAction {
    /// Forward these bytes (normally the original frame, untouched) and relay the broker's
    /// response unchanged.
    Forward(Bytes),
    /// Forward `request` (re-encoded without the rejected partitions), then, when the broker's
    /// response arrives, pass it through [`Rejected::merge_into`] before relaying it.
    Partial { request: Bytes, rejected: Rejected },
    /// Answer locally with this complete response frame body (response header + body, without
    /// the length prefix); nothing is forwarded. The session must still emit it in order.
    Respond(Bytes),
    /// `acks=0` request with rejected records: forward nothing, send nothing.
    Drop,
    /// Close the client connection (policy for `acks=0` rejections), with a reason to log.
    Close(String),
}

/// Partitions the enforcer refused, to merge into the broker's response to the rest.
#[derive(Debug, Default)]
pub struct Rejected {
    /// Opaque to the session; the enforcer fills it.
    pub(crate) partitions: Vec<RejectedPartition>,
}

/// One refused partition of a Produce request.
#[derive(Debug, Clone)]
pub struct RejectedPartition {
    pub topic: String,
    pub topic_id: Option<uuid::Uuid>,
    pub partition: i32,
    pub error_code: i16,
    pub error_message: String,
    /// (batch-relative record index, message) for Produce v8+ `record_errors`.
    pub record_errors: Vec<(i32, String)>,
}

/// Errors that close the connection (not schema rejections).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProduceError {
    #[error("cannot decode Produce v{version} request: {reason}")]
    Decode { version: i16, reason: String },
    #[error("cannot encode Produce v{version} {what}: {reason}")]
    Encode {
        version: i16,
        what: &'static str,
        reason: String,
    },
}

impl Rejected {
    /// Merge the refused partitions into the broker's response frame body (response header +
    /// ProduceResponse) for a request of `api_version`, keeping the client's topic order.
    pub fn merge_into(
        &self,
        broker_response: Bytes,
        api_version: i16,
    ) -> Result<Bytes, ProduceError> {
        // Placeholder until enforcement lands: nothing is ever rejected yet.
        let _ = api_version;
        debug_assert!(self.partitions.is_empty());
        Ok(broker_response)
    }
}

/// The Produce enforcer. Cheap to clone (shared state behind `Arc`s).
#[derive(Debug, Clone, Default)]
pub struct Enforcer {}

impl Enforcer {
    /// Decide what to do with one Produce request frame (header + body, no length prefix).
    pub async fn check(
        &self,
        ctx: ProduceContext<'_>,
        frame: Bytes,
    ) -> Result<ProduceAction, ProduceError> {
        let _ = ctx;
        Ok(ProduceAction::Forward(frame))
    }
}
