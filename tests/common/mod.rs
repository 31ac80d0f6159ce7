//! Shared harness for the integration tests: real brokers (tansu, librdkafka's mock cluster),
//! real clients (the Python and Node programs in `tests/clients`), the in-process proxy and a
//! minimal raw Kafka connection for requests no client library exposes.
//!
//! Every test binary compiles this module and uses a different part of it.
#![allow(dead_code, unused_imports)]

pub mod clients;
pub mod faults;
pub mod learned;
pub mod mock;
pub mod net;
pub mod proxy;
pub mod tansu;
pub mod tools;
pub mod wire;

pub use clients::{ClientOutput, create_topic, create_topic_with, node, python};
pub use mock::MockCluster;
pub use net::{free_port, random_topic_name};
pub use proxy::{Proxy, start_proxy, tansu_behind_proxy};
pub use tansu::Tansu;
