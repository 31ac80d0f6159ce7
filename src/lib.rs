//! schemagate: a Kafka wire-protocol proxy that enforces Confluent-framed schemas inline.
//!
//! Tour of the crate (one module per concern):
//! - [`cli`], [`config`]: command line and configuration file (YAML or TOML).
//! - [`app`]: wires the proxy, the admin listener and the registry together and runs them.
//! - [`server`]: listeners (bootstrap + one per broker), accept loop, connection limit, graceful drain.
//! - [`codec`], [`frame`]: length-prefixed framing and the lazily decoded request header.
//! - [`session`]: one client connection paired with one broker connection, in-flight FIFO.
//! - [`rewrite`]: responses that leak broker addresses (Metadata, FindCoordinator,
//!   DescribeCluster) and the ApiVersions clamp.
//! - [`topology`]: upstream brokers by node id, proxy ports, topic-id → name map.
//! - [`produce`]: Produce enforcement; [`records`]: record-batch iteration and capped decompression.
//! - [`policy`]: per-topic rules; [`wire_format`]: the Confluent envelope.
//! - [`registry`]: schema lookups for enforcement (embedded or HTTP) behind a cache.
//! - [`schema_registry`]: the embedded Confluent-compatible registry (state in `_schemas`).
//! - [`validate`]: compiled payload validators (Avro).
//! - [`admin`], [`metrics`]: `/health`, `/ready`, `/metrics`.
#![forbid(unsafe_code)]

pub mod admin;
pub mod app;
pub mod cli;
pub mod codec;
pub mod config;
pub mod frame;
pub mod metrics;
pub mod policy;
pub mod produce;
pub mod records;
pub mod registry;
pub mod rewrite;
pub mod schema_registry;
pub mod server;
pub mod session;
pub mod shutdown;
pub mod topology;
pub mod validate;
pub mod wire_format;
