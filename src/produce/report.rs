//! Metrics and rate-limited logs for enforcement outcomes.
//!
//! Counters (Prometheus names):
//! - `schemagate_records_total{topic, part, result, reason}`: checked keys/values; `part` is
//!   `key|value|record` (`record` when a whole batch failed before its records were seen),
//!   `result` is `accepted`, `rejected`, `audited` (invalid but forwarded by an `audit`
//!   rule) or `unchecked` (registry unavailable);
//! - `schemagate_batches_total{topic, result, reason}`: per partition check (one or more
//!   batches), same `result` values.
//!
//! Logs: at most one rejection line per topic-partition per second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Outcome;
use crate::policy::Mode;

const LOG_INTERVAL: Duration = Duration::from_secs(1);
/// The limiter forgets everything past this many partitions rather than grow without bound.
const MAX_TRACKED: usize = 10_000;

/// Remembers when each topic-partition last logged a rejection.
#[derive(Debug, Default)]
pub struct LogLimiter {
    last: Mutex<HashMap<(String, i32), Instant>>,
}

impl LogLimiter {
    /// True when a line for `(topic, partition)` may be logged now.
    pub fn allow(&self, topic: &str, partition: i32) -> bool {
        let Ok(mut last) = self.last.lock() else {
            return false;
        };
        let now = Instant::now();
        if last.len() >= MAX_TRACKED {
            last.clear();
        }
        let key = (topic.to_owned(), partition);
        match last.get(&key) {
            Some(at) if now.duration_since(*at) < LOG_INTERVAL => false,
            _ => {
                last.insert(key, now);
                true
            }
        }
    }
}

/// Count and (rate-limited) log the outcome of one partition.
pub fn record(logs: &LogLimiter, topic: &str, partition: i32, mode: Mode, outcome: &Outcome) {
    let topic_label = topic.to_owned();
    match outcome {
        Outcome::Accepted { checked } => {
            count_records(&topic_label, "accepted", "ok", *checked);
            metrics::counter!("schemagate_batches_total", "topic" => topic_label, "result" => "accepted", "reason" => "ok")
                .increment(1);
        }
        Outcome::Invalid {
            message,
            reason,
            counts,
            ..
        } => {
            let result = if mode == Mode::Audit {
                "audited"
            } else {
                "rejected"
            };
            if counts.is_empty() {
                metrics::counter!("schemagate_records_total", "topic" => topic_label.clone(), "part" => "record",
                    "result" => result, "reason" => *reason)
                .increment(1);
            }
            for (side, why, n) in counts {
                metrics::counter!("schemagate_records_total", "topic" => topic_label.clone(), "part" => side.as_str(),
                    "result" => result, "reason" => *why)
                .increment(*n);
            }
            metrics::counter!("schemagate_batches_total", "topic" => topic_label, "result" => result, "reason" => *reason)
                .increment(1);
            if logs.allow(topic, partition) {
                tracing::warn!(topic, partition, reason, mode = ?mode, "produce refused: {message}");
            }
        }
        Outcome::Unavailable { message } => {
            metrics::counter!("schemagate_batches_total", "topic" => topic_label, "result" => "unchecked",
                "reason" => "registry_unavailable")
            .increment(1);
            if logs.allow(topic, partition) {
                tracing::warn!(topic, partition, "produce not checked: {message}");
            }
        }
    }
}

fn count_records(topic: &str, result: &'static str, reason: &'static str, by_side: [u64; 2]) {
    for (part, n) in [("key", by_side[0]), ("value", by_side[1])] {
        if n > 0 {
            metrics::counter!("schemagate_records_total", "topic" => topic.to_owned(), "part" => part,
                "result" => result, "reason" => reason)
            .increment(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LogLimiter;

    #[test]
    fn one_line_per_partition_per_interval() {
        let logs = LogLimiter::default();
        assert!(logs.allow("t", 0));
        assert!(
            !logs.allow("t", 0),
            "second line within a second is suppressed"
        );
        assert!(logs.allow("t", 1), "other partitions have their own budget");
        assert!(logs.allow("u", 0));
    }
}
