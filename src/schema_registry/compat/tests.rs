use super::*;
use crate::schema_registry::avro::parse_avro;

fn parsed(text: &str) -> ParsedAvro {
    parse_avro(text, &[]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn rec(fields: &str) -> ParsedAvro {
    parsed(&format!(
        r#"{{"type":"record","name":"R","fields":[{fields}]}}"#
    ))
}

#[test]
fn incompatibility_displays_path_then_message() {
    let found = check_pair(&rec(r#"{"name":"email","type":"string"}"#), &rec(""));
    assert_eq!(
        found,
        vec![Incompatibility {
            path: "/fields/email".to_owned(),
            message: "reader field without default is missing in writer".to_owned(),
        }]
    );
    assert_eq!(
        found[0].to_string(),
        "/fields/email: reader field without default is missing in writer"
    );
}

#[test]
fn root_problems_use_the_root_path() {
    let found = check_pair(&parsed(r#""int""#), &parsed(r#""string""#));
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].to_string(),
        "/type: writer type string cannot be promoted to reader type int"
    );
}

#[test]
fn every_problem_is_reported() {
    let reader =
        rec(r#"{"name":"a","type":"int"},{"name":"b","type":"int"},{"name":"c","type":"int"}"#);
    let writer = rec(r#"{"name":"a","type":"string"}"#);
    let found: Vec<String> = check_pair(&reader, &writer)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        vec![
            "/fields/a/type: writer type string cannot be promoted to reader type int",
            "/fields/b: reader field without default is missing in writer",
            "/fields/c: reader field without default is missing in writer",
        ]
    );
}

#[test]
fn mutually_recursive_records_terminate() {
    let text = |extra: &str| {
        format!(
            r#"{{"type":"record","name":"A","fields":[
                {{"name":"b","type":["null",{{"type":"record","name":"B","fields":[
                    {{"name":"a","type":["null","A"]}}{extra}]}}]}}]}}"#
        )
    };
    assert!(check_pair(&parsed(&text("")), &parsed(&text(""))).is_empty());
    let found = check_pair(
        &parsed(&text(r#",{"name":"n","type":"int"}"#)),
        &parsed(&text("")),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "/fields/b/fields/n");
}

#[test]
fn shared_named_type_is_reported_once() {
    let text = |zip: &str| {
        format!(
            r#"{{"type":"record","name":"R","fields":[
                {{"name":"home","type":{{"type":"record","name":"Addr","fields":[{zip}]}}}},
                {{"name":"work","type":"Addr"}}]}}"#
        )
    };
    let found = check_pair(
        &parsed(&text(r#"{"name":"zip","type":"string"}"#)),
        &parsed(&text("")),
    );
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn full_transitive_deduplicates_messages_across_versions() {
    let new = rec(r#"{"name":"x","type":"int"}"#);
    let old = rec("");
    let found = check_compatibility(
        CompatibilityLevel::FullTransitive,
        &new,
        &[old.clone(), old],
    );
    assert_eq!(
        found,
        vec!["/fields/x: reader field without default is missing in writer".to_owned()]
    );
}

#[test]
fn non_transitive_levels_check_only_the_latest_version() {
    let v1 = rec(r#"{"name":"x","type":"string"}"#);
    let v2 = rec(r#"{"name":"x","type":"int"}"#);
    let new = rec(r#"{"name":"x","type":"long"}"#);
    assert!(
        check_compatibility(
            CompatibilityLevel::Backward,
            &new,
            &[v1.clone(), v2.clone()]
        )
        .is_empty()
    );
    let transitive = check_compatibility(CompatibilityLevel::BackwardTransitive, &new, &[v1, v2]);
    assert_eq!(
        transitive,
        vec![
            "/fields/x/type: writer type string cannot be promoted to reader type long".to_owned()
        ]
    );
}

#[test]
fn forward_swaps_reader_and_writer() {
    let old = rec(r#"{"name":"x","type":"long"}"#);
    let new = rec(r#"{"name":"x","type":"int"}"#);
    assert!(
        check_compatibility(
            CompatibilityLevel::Backward,
            &new,
            std::slice::from_ref(&old)
        )
        .len()
            == 1
    );
    assert!(
        check_compatibility(
            CompatibilityLevel::Forward,
            &new,
            std::slice::from_ref(&old)
        )
        .is_empty()
    );
}

#[test]
fn levels_use_confluent_names() {
    let json = serde_json::to_string(&CompatibilityLevel::FullTransitive).unwrap_or_default();
    assert_eq!(json, "\"FULL_TRANSITIVE\"");
    let level: Result<CompatibilityLevel, _> = serde_json::from_str("\"BACKWARD_TRANSITIVE\"");
    assert_eq!(level.ok(), Some(CompatibilityLevel::BackwardTransitive));
}

#[test]
fn references_take_part_in_resolution() {
    let address = |fields: &str| {
        format!(r#"{{"type":"record","name":"Address","namespace":"a","fields":[{fields}]}}"#)
    };
    let user = r#"{"type":"record","name":"User","namespace":"a","fields":[{"name":"home","type":"Address"}]}"#;
    let reader = parse_avro(user, &[address(r#"{"name":"zip","type":"string"}"#)]);
    let writer = parse_avro(user, &[address("")]);
    let (Ok(reader), Ok(writer)) = (reader, writer) else {
        panic!("references parse")
    };
    let found: Vec<String> = check_pair(&reader, &writer)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        vec!["/fields/home/fields/zip: reader field without default is missing in writer"]
    );
}

#[test]
fn level_names_round_trip_case_insensitively() {
    for level in CompatibilityLevel::ALL {
        let json = serde_json::to_string(&level).unwrap_or_default();
        assert_eq!(json, format!("\"{level}\""));
        assert_eq!(
            level.as_str().to_lowercase().parse::<CompatibilityLevel>(),
            Ok(level)
        );
    }
    assert_eq!(
        "sideways".parse::<CompatibilityLevel>(),
        Err(UnknownCompatibilityLevel("sideways".to_owned()))
    );
}

#[test]
fn messages_name_the_field_path_and_the_rule() {
    let reader = rec(r#"{"name":"email","type":"string"},
           {"name":"age","type":"int"},
           {"name":"color","type":{"type":"enum","name":"Color","symbols":["RED"]}},
           {"name":"payload","type":{"type":"fixed","name":"Payload","size":8}}"#);
    let writer = rec(r#"{"name":"age","type":"string"},
           {"name":"color","type":{"type":"enum","name":"Color","symbols":["RED","PURPLE"]}},
           {"name":"payload","type":{"type":"fixed","name":"Payload","size":16}}"#);
    let found: Vec<String> = check_pair(&reader, &writer)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        vec![
            "/fields/email: reader field without default is missing in writer",
            "/fields/age/type: writer type string cannot be promoted to reader type int",
            "/fields/color/symbols: writer symbol PURPLE is missing in reader enum Color without default",
            "/fields/payload/size: fixed size 16 in writer differs from 8 in reader",
        ]
    );
}
