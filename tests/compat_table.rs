//! Avro schema-resolution table (reader, writer, compatible?, message) drawn from the Avro
//! specification's "Schema Resolution" rules, plus the seed's walkthrough per compatibility mode.

use schemagate::schema_registry::avro::{ParsedAvro, parse_avro};
use schemagate::schema_registry::compat::{CompatibilityLevel, check_compatibility, check_pair};

#[path = "compat_table/fuzz_seeds.rs"]
mod fuzz_seeds;
#[path = "compat_table/rows.rs"]
mod rows;
#[path = "compat_table/type_rows.rs"]
mod type_rows;

use rows::{Row, all_rows};

fn parse(text: &str, row: &str) -> ParsedAvro {
    parse_avro(text, &[]).unwrap_or_else(|e| panic!("row {row:?}: {e} in {text}"))
}

/// Why `row` fails, or None when the checker agrees with it.
fn row_failure(row: &Row) -> Option<String> {
    let reader = parse(&row.reader, &row.name);
    let writer = parse(&row.writer, &row.name);
    let messages: Vec<String> = check_pair(&reader, &writer)
        .iter()
        .map(ToString::to_string)
        .collect();
    match (row.compatible, messages.is_empty()) {
        (true, true) => None,
        (true, false) => Some(format!(
            "{}: expected compatible, got {messages:?}",
            row.name
        )),
        (false, true) => Some(format!(
            "{}: expected incompatible, got no message",
            row.name
        )),
        (false, false) if messages.iter().any(|m| m.contains(&row.message)) => None,
        (false, false) => Some(format!(
            "{}: no message contains {:?}: {messages:?}",
            row.name, row.message
        )),
    }
}

#[test]
fn resolution_table_has_at_least_100_distinct_rows() {
    let rows = all_rows();
    assert!(rows.len() >= 100, "only {} rows", rows.len());
    let mut names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), rows.len(), "row names must be unique");
    assert!(rows.iter().filter(|r| r.compatible).count() >= 40);
    assert!(rows.iter().filter(|r| !r.compatible).count() >= 40);
}

#[test]
fn resolution_table_matches_the_avro_specification() {
    let failures: Vec<String> = all_rows().iter().filter_map(row_failure).collect();
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_table_schema_reads_itself_and_has_a_stable_canonical_form() {
    for row in all_rows() {
        for text in [&row.reader, &row.writer] {
            let schema = parse(text, &row.name);
            let found = check_pair(&schema, &schema);
            assert!(
                found.is_empty(),
                "{}: {text} cannot read itself: {found:?}",
                row.name
            );
            let again = parse(&schema.canonical, &row.name);
            assert_eq!(
                again.canonical, schema.canonical,
                "{}: canonical form not stable",
                row.name
            );
        }
    }
}

// --- The seed's walkthrough, per compatibility mode --------------------------------------

const USER_V1: &str = r#"{"type":"record","name":"User","namespace":"live11.message.schema.avro","fields":[
    {"name":"id","type":"string"},
    {"name":"name","type":"string"},
    {"name":"address","type":["null","string"],"default":null}]}"#;

fn user(fields: &str) -> ParsedAvro {
    let text = format!(
        r#"{{"type":"record","name":"User","namespace":"live11.message.schema.avro","fields":[{fields}]}}"#
    );
    parse(&text, "user")
}

fn v1() -> ParsedAvro {
    parse(USER_V1, "v1")
}

/// v1 without `name` (a field without default).
fn deleted_required_field() -> ParsedAvro {
    user(
        r#"{"name":"id","type":"string"},{"name":"address","type":["null","string"],"default":null}"#,
    )
}

/// v1 without `address` (a field with default).
fn deleted_optional_field() -> ParsedAvro {
    user(r#"{"name":"id","type":"string"},{"name":"name","type":"string"}"#)
}

/// v1 plus `email` with a default.
fn added_optional_field() -> ParsedAvro {
    user(
        r#"{"name":"id","type":"string"},{"name":"name","type":"string"},
           {"name":"address","type":["null","string"],"default":null},
           {"name":"email","type":"string","default":""}"#,
    )
}

/// v1 plus `email` without a default.
fn added_required_field() -> ParsedAvro {
    user(
        r#"{"name":"id","type":"string"},{"name":"name","type":"string"},
           {"name":"address","type":["null","string"],"default":null},
           {"name":"email","type":"string"}"#,
    )
}

fn verdict(level: CompatibilityLevel, new: &ParsedAvro) -> Vec<String> {
    check_compatibility(level, new, &[v1()])
}

#[test]
fn backward_accepts_deleted_fields_and_added_fields_with_default() {
    use CompatibilityLevel::Backward;
    assert_eq!(
        verdict(Backward, &deleted_required_field()),
        Vec::<String>::new()
    );
    assert_eq!(
        verdict(Backward, &deleted_optional_field()),
        Vec::<String>::new()
    );
    assert_eq!(
        verdict(Backward, &added_optional_field()),
        Vec::<String>::new()
    );
}

#[test]
fn backward_refuses_an_added_field_without_default_with_its_path() {
    let messages = verdict(CompatibilityLevel::Backward, &added_required_field());
    assert_eq!(
        messages,
        vec!["/fields/email: reader field without default is missing in writer".to_owned()]
    );
}

#[test]
fn forward_accepts_added_fields_and_deleted_fields_with_default() {
    use CompatibilityLevel::Forward;
    assert_eq!(
        verdict(Forward, &added_required_field()),
        Vec::<String>::new()
    );
    assert_eq!(
        verdict(Forward, &added_optional_field()),
        Vec::<String>::new()
    );
    assert_eq!(
        verdict(Forward, &deleted_optional_field()),
        Vec::<String>::new()
    );
}

#[test]
fn forward_refuses_a_deleted_field_without_default_with_its_path() {
    let messages = verdict(CompatibilityLevel::Forward, &deleted_required_field());
    assert_eq!(
        messages,
        vec!["/fields/name: reader field without default is missing in writer".to_owned()]
    );
}

#[test]
fn full_accepts_only_changes_to_fields_with_default() {
    use CompatibilityLevel::Full;
    assert_eq!(verdict(Full, &added_optional_field()), Vec::<String>::new());
    assert_eq!(
        verdict(Full, &deleted_optional_field()),
        Vec::<String>::new()
    );
    assert_eq!(
        verdict(Full, &added_required_field()),
        vec!["/fields/email: reader field without default is missing in writer".to_owned()]
    );
    assert_eq!(
        verdict(Full, &deleted_required_field()),
        vec!["/fields/name: reader field without default is missing in writer".to_owned()]
    );
}

#[test]
fn none_accepts_anything() {
    let unrelated = parse(r#""string""#, "unrelated");
    assert!(check_compatibility(CompatibilityLevel::None, &unrelated, &[v1()]).is_empty());
}

/// Transitive history: each row is (level, v1, v2, v3) where v2 is compatible with v1, v3 is
/// compatible with v2 but not with v1.
fn transitive_history(level: CompatibilityLevel) -> [ParsedAvro; 3] {
    let a = r#"{"name":"a","type":"int"}"#;
    let b_default = r#"{"name":"b","type":"string","default":"x"}"#;
    let b_required = r#"{"name":"b","type":"string"}"#;
    match level {
        // v3 reads v2 (b present) but not v1 (b missing, no default).
        CompatibilityLevel::BackwardTransitive | CompatibilityLevel::FullTransitive => [
            user(a),
            user(&format!("{a},{b_default}")),
            user(&format!("{a},{b_required}")),
        ],
        // v2 reads v3 (b defaulted) but v1 does not (b required).
        _ => [
            user(&format!("{a},{b_required}")),
            user(&format!("{a},{b_default}")),
            user(a),
        ],
    }
}

#[test]
fn transitive_levels_refuse_a_v3_incompatible_with_v1_only() {
    for (transitive, plain) in [
        (
            CompatibilityLevel::BackwardTransitive,
            CompatibilityLevel::Backward,
        ),
        (
            CompatibilityLevel::ForwardTransitive,
            CompatibilityLevel::Forward,
        ),
        (CompatibilityLevel::FullTransitive, CompatibilityLevel::Full),
    ] {
        let [v1, v2, v3] = transitive_history(transitive);
        assert!(
            check_compatibility(transitive, &v2, std::slice::from_ref(&v1)).is_empty(),
            "{transitive:?} v2"
        );
        let history = [v1, v2];
        assert_eq!(
            check_compatibility(transitive, &v3, &history),
            vec!["/fields/b: reader field without default is missing in writer".to_owned()],
            "{transitive:?} v3"
        );
        assert!(
            check_compatibility(plain, &v3, &history).is_empty(),
            "{plain:?} accepts v3"
        );
    }
}

#[test]
fn no_existing_versions_is_always_compatible() {
    for level in [
        CompatibilityLevel::Backward,
        CompatibilityLevel::FullTransitive,
    ] {
        assert!(check_compatibility(level, &added_required_field(), &[]).is_empty());
    }
}
