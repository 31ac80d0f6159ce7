use super::*;

fn yaml(text: &str) -> PolicyConfig {
    match serde_yaml_ng::from_str(text) {
        Ok(p) => p,
        Err(e) => panic!("bad yaml: {e}"),
    }
}

const EXAMPLE: &str = r#"
default: { value: { level: wire-format } }
rules:
  - match: { prefix: "orders." }
    value: { level: payload }
  - match: { prefix: "orders.eu." }
    value: { level: subject }
  - match: { topic: "orders.legacy" }
    value: { level: none }
  - match: { regex: "payments-[0-9]+" }
    key: { level: subject, subject_strategy: topic_record_name }
    value: { level: registered, allow_null: false }
    mode: audit
  - match: { regex: "pay.*" }
    value: { level: payload }
reject_scope: request
acks0: close
registry_unavailable: fail-open
max_decompressed_bytes: 1024
"#;

#[test]
fn example_parses_with_every_option() {
    let p = yaml(EXAMPLE);
    assert_eq!(p.rules.len(), 5);
    assert_eq!(p.reject_scope, RejectScope::Request);
    assert_eq!(p.acks0, Acks0Action::Close);
    assert_eq!(p.registry_unavailable, RegistryUnavailable::FailOpen);
    assert_eq!(p.max_decompressed_bytes, 1024);
    let r = &p.rules[3];
    assert_eq!(
        r.matches.selector(),
        Some(TopicMatch::Regex("payments-[0-9]+".into()))
    );
    assert_eq!(r.key.subject_strategy, SubjectStrategy::TopicRecordName);
    assert!(!r.value.allow_null);
    assert!(r.key.allow_null, "allow_null defaults to true");
    assert_eq!(r.mode, Mode::Audit);
    assert!(p.validate().is_empty());
}

#[test]
fn precedence_is_exact_then_longest_prefix_then_first_regex_then_default() {
    let c = yaml(EXAMPLE).compile().unwrap_or_else(|e| panic!("{e:?}"));
    let level = |t: &str| c.rule_for(t).map(|r| r.value.level);
    assert_eq!(level("orders.legacy"), Some(Level::None));
    assert_eq!(level("orders.eu.fr"), Some(Level::Subject));
    assert_eq!(level("orders.us"), Some(Level::Payload));
    assert_eq!(level("payments-12"), Some(Level::Registered));
    assert_eq!(level("payx"), Some(Level::Payload));
    assert_eq!(
        level("xpayments-12"),
        Some(Level::WireFormat),
        "regexes are anchored"
    );
    assert_eq!(level("other"), Some(Level::WireFormat));
    assert!(!c.is_inert());
}

#[test]
fn no_rules_match_nothing_and_are_inert() {
    let c = PolicyConfig::default()
        .compile()
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(c.rule_for("anything").is_none());
    assert!(c.is_inert());
}

#[test]
fn cli_default_levels_create_the_default_rule() {
    let mut p = PolicyConfig::default();
    p.set_default_value_level("payload".parse().unwrap_or_else(|e: String| panic!("{e}")));
    p.set_default_key_level(Level::WireFormat);
    let c = p.compile().unwrap_or_else(|e| panic!("{e:?}"));
    let rule = c.rule_for("t").cloned().unwrap_or_default();
    assert_eq!(
        (rule.key.level, rule.value.level),
        (Level::WireFormat, Level::Payload)
    );
    assert!("bogus".parse::<Level>().is_err());
}

#[test]
fn validate_reports_every_problem_at_once() {
    let p = yaml(
        r#"
rules:
  - match: { regex: "(" }
  - match: { topic: a }
  - match: { topic: a }
  - match: { prefix: p }
  - match: { prefix: p }
  - match: { prefix: q, topic: q }
max_decompressed_bytes: 0
"#,
    );
    let problems = p.validate();
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert!(
        problems[0].starts_with("policy.rules[0]: invalid regex"),
        "{problems:?}"
    );
    assert!(p.compile().is_err());
}

#[test]
fn unknown_keys_are_refused() {
    assert!(
        serde_yaml_ng::from_str::<PolicyConfig>("rules: [{match: {topic: a}, vaule: {}}]").is_err()
    );
    assert!(serde_yaml_ng::from_str::<PolicyConfig>("rules: [{match: {name: a}}]").is_err());
    assert!(serde_yaml_ng::from_str::<PolicyConfig>("default: {value: {level: strict}}").is_err());
}

#[test]
fn toml_config_parses_too() {
    let text = r#"
reject_scope = "request"
[default.value]
level = "wire-format"
[[rules]]
match = { prefix = "orders." }
value = { level = "payload", subject_strategy = "record_name" }
mode = "audit"
"#;
    let p: PolicyConfig = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.rules[0].value.level, Level::Payload);
    assert_eq!(
        p.rules[0].value.subject_strategy,
        SubjectStrategy::RecordName
    );
    assert_eq!(p.rules[0].mode, Mode::Audit);
    assert_eq!(p.default.map(|d| d.value.level), Some(Level::WireFormat));
}
