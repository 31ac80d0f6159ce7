//! Any bytes as a Produce request frame (header + body) through `Enforcer::check`, with a
//! payload-level policy (topic `orders` by rule, every other topic by default) and an in-memory
//! registry holding the User schema under ids 1 (orders-value) and 3 (orders-key). Nothing
//! panics; what is forwarded is either the original frame or a request that still parses as a
//! Produce request of the same version.
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use schemagate::frame::peek_request_header;
use schemagate::produce::{Enforcer, ProduceAction, ProduceContext};
use schemagate::registry::{LocalRegistry, RegistryConfig, SchemaSource, SchemaText, SchemaType};
use schemagate::topology::TopicIds;

const USER: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"email","type":"string"}]}"#;
const POLICY: &str = "default: {value: {level: payload}}\n\
rules: [{match: {topic: orders}, key: {level: payload}, value: {level: payload}}]\n";

#[derive(Debug)]
struct Fixed(HashMap<i32, &'static str>);

impl LocalRegistry for Fixed {
    fn schema_text(&self, id: i32) -> Option<SchemaText> {
        self.0.get(&id).map(|_| SchemaText {
            schema_type: SchemaType::Avro,
            schema: USER.to_owned(),
            references: vec![],
        })
    }
    fn subject_versions_of(&self, id: i32) -> Vec<(String, i32)> {
        self.0
            .get(&id)
            .map(|s| vec![((*s).to_owned(), 1)])
            .unwrap_or_default()
    }
    fn is_ready(&self) -> bool {
        true
    }
}

struct World {
    runtime: tokio::runtime::Runtime,
    enforcer: Enforcer,
    topic_ids: TopicIds,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let registry = Fixed(HashMap::from([(1, "orders-value"), (3, "orders-key")]));
        let enforcer = Enforcer::new(
            serde_yaml_ng::from_str(POLICY).unwrap(),
            SchemaSource::Embedded(std::sync::Arc::new(registry)),
            &RegistryConfig::default(),
        )
        .unwrap();
        let topic_ids = TopicIds::default();
        topic_ids.insert(uuid::Uuid::from_u128(0xa1), "orders");
        World {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            enforcer,
            topic_ids,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let frame = Bytes::copy_from_slice(data);
    // The session hands the enforcer only frames whose header says Produce.
    let Ok(header) = peek_request_header(&frame) else {
        return;
    };
    if header.api_key != 0 {
        return;
    }
    let w = world();
    let ctx = ProduceContext {
        api_version: header.api_version,
        correlation_id: header.correlation_id,
        topic_ids: &w.topic_ids,
    };
    let action = w.runtime.block_on(w.enforcer.check(ctx, frame.clone()));
    if let Ok(ProduceAction::Partial { request, .. }) = action {
        let again = peek_request_header(&request);
        assert!(
            again.is_ok_and(|h| h.api_key == 0 && h.api_version == header.api_version),
            "partial request lost its Produce header"
        );
    }
});
