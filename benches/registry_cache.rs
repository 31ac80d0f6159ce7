//! The registry cache hit path (id → compiled schema, and (subject, id) membership) under
//! contention from several tasks on a multi-threaded runtime.
//!
//! Run: `cargo bench --bench registry_cache`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use schemagate::registry::{
    CacheConfig, CachedRegistry, LocalRegistry, SchemaSource, SchemaText, SchemaType,
};

const IDS: i32 = 100;
const LOOKUPS_PER_TASK: usize = 1_000;

#[derive(Debug)]
struct Static;

impl LocalRegistry for Static {
    fn schema_text(&self, id: i32) -> Option<SchemaText> {
        let schema = format!(
            r#"{{"type":"record","name":"R{id}","fields":[{{"name":"a","type":"long"}}]}}"#
        );
        Some(SchemaText {
            schema_type: SchemaType::Avro,
            schema,
            references: vec![],
        })
    }
    fn subject_versions_of(&self, id: i32) -> Vec<(String, i32)> {
        vec![(format!("t{id}-value"), 1)]
    }
    fn is_ready(&self) -> bool {
        true
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cache = CachedRegistry::new(
        SchemaSource::Embedded(Arc::new(Static)),
        &CacheConfig::default(),
    );
    let subjects: Arc<Vec<String>> = Arc::new((0..IDS).map(|id| format!("t{id}-value")).collect());
    rt.block_on(async {
        for id in 0..IDS {
            cache.schema(id).await.unwrap();
            cache.is_member(&subjects[id as usize], id).await.unwrap();
        }
    });
    let mut group = c.benchmark_group("registry_cache");
    for tasks in [1usize, 4, 16] {
        group.throughput(Throughput::Elements((tasks * LOOKUPS_PER_TASK) as u64));
        group.bench_function(format!("schema_hit/{tasks}_tasks"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let handles: Vec<_> = (0..tasks)
                        .map(|t| {
                            let cache = cache.clone();
                            tokio::spawn(async move {
                                for i in 0..LOOKUPS_PER_TASK {
                                    let id = ((i + t) % IDS as usize) as i32;
                                    black_box(cache.schema(id).await.unwrap());
                                }
                            })
                        })
                        .collect();
                    for h in handles {
                        h.await.unwrap();
                    }
                })
            })
        });
        group.bench_function(format!("membership_hit/{tasks}_tasks"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let handles: Vec<_> = (0..tasks)
                        .map(|t| {
                            let (cache, subjects) = (cache.clone(), subjects.clone());
                            tokio::spawn(async move {
                                for i in 0..LOOKUPS_PER_TASK {
                                    let id = (i + t) % IDS as usize;
                                    black_box(
                                        cache.is_member(&subjects[id], id as i32).await.unwrap(),
                                    );
                                }
                            })
                        })
                        .collect();
                    for h in handles {
                        h.await.unwrap();
                    }
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
