//! Serde helper for durations written as `250ms`, `30s`, `10m`, `1h` or plain milliseconds.

use std::time::Duration;

use serde::Deserialize;

pub fn deserialize<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Millis(u64),
        Text(String),
    }
    match Raw::deserialize(de)? {
        Raw::Millis(ms) => Ok(Duration::from_millis(ms)),
        Raw::Text(text) => parse(&text).map_err(serde::de::Error::custom),
    }
}

/// Parse `<number><unit>` with unit `ms`, `s`, `m` or `h` (a bare number is milliseconds).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: expected e.g. 250ms, 30s, 10m, 1h"))?;
    let secs = |mult: u64| {
        n.checked_mul(mult)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("duration {text:?} is too large"))
    };
    match unit.trim() {
        "" | "ms" => Ok(Duration::from_millis(n)),
        "s" => secs(1),
        "m" => secs(60),
        "h" => secs(3600),
        other => Err(format!(
            "invalid duration unit {other:?} in {text:?}: use ms, s, m or h"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1500"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn rejects_unknown_units_and_garbage() {
        assert!(parse("5 days").is_err());
        assert!(parse("s").is_err());
        assert!(parse("").is_err());
    }
}
