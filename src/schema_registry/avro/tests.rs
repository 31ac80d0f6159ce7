use super::*;

fn reason(schema: &str) -> String {
    match parse_avro(schema, &[]) {
        Ok(parsed) => panic!("accepted {schema} as {}", parsed.canonical),
        Err(e) => e.to_string(),
    }
}

fn assert_invalid(schema: &str, expected: &str) {
    let reason = reason(schema);
    assert!(reason.starts_with("Invalid schema: "), "{reason}");
    assert!(
        reason.contains(expected),
        "reason {reason:?} lacks {expected:?}"
    );
}

fn canonical(schema: &str) -> String {
    match parse_avro(schema, &[]) {
        Ok(parsed) => parsed.canonical,
        Err(e) => panic!("rejected {schema}: {e}"),
    }
}

fn record(fields: &str) -> String {
    format!(r#"{{"type":"record","name":"R","fields":[{fields}]}}"#)
}

#[test]
fn bad_json_is_invalid() {
    assert_invalid(r#"{"type":"record","#, "invalid JSON");
    assert_invalid("", "invalid JSON");
}

#[test]
fn non_schema_json_values_are_invalid() {
    assert_invalid("42", "is not a schema");
    assert_invalid("null", "is not a schema");
    assert_invalid(r#"{"name":"x"}"#, "missing \"type\"");
}

#[test]
fn unknown_type_name_is_invalid_with_its_path() {
    assert_invalid(
        &record(r#"{"name":"a","type":"strin"}"#),
        "unknown type 'strin' at /fields/a",
    );
    assert_invalid(r#""Nope""#, "unknown type 'Nope' at /");
    assert_invalid(
        &record(r#"{"name":"a","type":{"type":"array","items":"Missing"}}"#),
        "unknown type 'Missing' at /fields/a/items",
    );
}

#[test]
fn bad_int_default_names_field_and_type() {
    assert_invalid(
        &record(r#"{"name":"age","type":"int","default":"abc"}"#),
        "default 'abc' for field /fields/age is not a valid int",
    );
    assert_invalid(
        &record(r#"{"name":"age","type":"int","default":3000000000}"#),
        "default 3000000000 for field /fields/age is not a valid int",
    );
    assert_invalid(
        &record(r#"{"name":"age","type":"int","default":1.5}"#),
        "not a valid int",
    );
}

#[test]
fn defaults_of_every_primitive_are_checked() {
    for (ty, bad) in [
        ("null", "0"),
        ("boolean", "\"true\""),
        ("long", "\"1\""),
        ("float", "\"1.0\""),
        ("double", "true"),
        ("bytes", "1"),
        ("string", "null"),
    ] {
        let schema = record(&format!(r#"{{"name":"f","type":"{ty}","default":{bad}}}"#));
        assert_invalid(&schema, &format!("for field /fields/f is not a valid {ty}"));
    }
}

#[test]
fn good_defaults_are_accepted() {
    let schema = record(
        r#"{"name":"n","type":"null","default":null},
           {"name":"b","type":"boolean","default":false},
           {"name":"i","type":"int","default":-7},
           {"name":"l","type":"long","default":9007199254740993},
           {"name":"f","type":"float","default":1},
           {"name":"d","type":"double","default":"NaN"},
           {"name":"y","type":"bytes","default":"\u00ff"},
           {"name":"s","type":"string","default":"x"},
           {"name":"a","type":{"type":"array","items":"int"},"default":[1,2]},
           {"name":"m","type":{"type":"map","values":"long"},"default":{"k":1}},
           {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]},"default":"B"},
           {"name":"x","type":{"type":"fixed","name":"F","size":2},"default":"ab"},
           {"name":"u","type":["null","string"],"default":null},
           {"name":"r","type":{"type":"record","name":"In","fields":[
               {"name":"p","type":"int"},{"name":"q","type":"int","default":0}]},
            "default":{"p":1}}"#,
    );
    assert!(
        parse_avro(&schema, &[]).is_ok(),
        "{:?}",
        parse_avro(&schema, &[]).err()
    );
}

#[test]
fn union_default_must_match_the_first_branch() {
    assert_invalid(
        &record(r#"{"name":"u","type":["null","string"],"default":"x"}"#),
        "default 'x' for field /fields/u is not a valid null (the first type of its union)",
    );
    assert!(
        parse_avro(
            &record(r#"{"name":"u","type":["string","null"],"default":"x"}"#),
            &[]
        )
        .is_ok()
    );
}

#[test]
fn complex_defaults_are_checked_deeply() {
    assert_invalid(
        &record(r#"{"name":"a","type":{"type":"array","items":"int"},"default":[1,"x"]}"#),
        "is not a valid array of int",
    );
    assert_invalid(
        &record(r#"{"name":"m","type":{"type":"map","values":"int"},"default":[]}"#),
        "is not a valid map",
    );
    assert_invalid(
        &record(r#"{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]},"default":"Z"}"#),
        "not a valid symbol of enum E",
    );
    assert_invalid(
        &record(r#"{"name":"x","type":{"type":"fixed","name":"F","size":4},"default":"ab"}"#),
        "not a valid fixed F of size 4",
    );
    assert_invalid(
        &record(
            r#"{"name":"r","type":{"type":"record","name":"In","fields":[{"name":"p","type":"int"}]},"default":{}}"#,
        ),
        "not a valid record In (value for field p)",
    );
}

#[test]
fn duplicate_field_names_are_invalid() {
    assert_invalid(
        &record(r#"{"name":"a","type":"int"},{"name":"a","type":"string"}"#),
        "record R has more than one field named a",
    );
}

#[test]
fn duplicate_enum_symbols_are_invalid() {
    assert_invalid(
        r#"{"type":"enum","name":"Color","symbols":["RED","RED"]}"#,
        "enum Color has the symbol RED more than once",
    );
}

#[test]
fn enum_default_must_be_a_symbol() {
    assert_invalid(
        r#"{"type":"enum","name":"Color","symbols":["RED"],"default":"BLUE"}"#,
        "default 'BLUE' of enum Color is not one of its symbols",
    );
}

#[test]
fn invalid_names_are_rejected() {
    assert_invalid(
        r#"{"type":"record","name":"1abc","fields":[]}"#,
        "invalid record name '1abc'",
    );
    assert_invalid(
        r#"{"type":"record","name":"a-b","fields":[]}"#,
        "invalid record name",
    );
    assert_invalid(
        r#"{"type":"record","name":"R","namespace":"com..x","fields":[]}"#,
        "invalid record name 'com..x.R'",
    );
    assert_invalid(
        &record(r#"{"name":"my field","type":"int"}"#),
        "invalid field name",
    );
    assert_invalid(
        r#"{"type":"enum","name":"E","symbols":["ok","not ok"]}"#,
        "invalid symbol",
    );
    assert_invalid(
        r#"{"type":"record","name":"int","fields":[]}"#,
        "named after the primitive",
    );
}

#[test]
fn structural_requirements_are_enforced() {
    assert_invalid(
        r#"{"type":"fixed","name":"F"}"#,
        "fixed F has no valid \"size\"",
    );
    assert_invalid(
        r#"{"type":"fixed","name":"F","size":-1}"#,
        "has no valid \"size\"",
    );
    assert_invalid(
        r#"{"type":"record","name":"R"}"#,
        "record R has no \"fields\" array",
    );
    assert_invalid(
        r#"{"type":"enum","name":"E"}"#,
        "enum E has no \"symbols\" array",
    );
    assert_invalid(r#"{"type":"array"}"#, "\"items\" missing at /");
    assert_invalid(r#"{"type":"map"}"#, "\"values\" missing at /");
    assert_invalid(
        r#"{"type":"record","fields":[]}"#,
        "record at / has no \"name\"",
    );
    assert_invalid(
        &record(r#"{"name":"a"}"#),
        "field /fields/a has no \"type\"",
    );
}

#[test]
fn bad_unions_are_invalid() {
    assert_invalid(r#"["null","int","null"]"#, "contains null more than once");
    assert_invalid(r#"["null",["int"]]"#, "contains a union");
    assert_invalid(
        r#"[{"type":"array","items":"int"},{"type":"array","items":"long"}]"#,
        "contains array more than once",
    );
}

#[test]
fn redefining_a_name_is_invalid() {
    assert_invalid(
        &record(
            r#"{"name":"a","type":{"type":"fixed","name":"F","size":1}},
               {"name":"b","type":{"type":"fixed","name":"F","size":2}}"#,
        ),
        "type F is defined more than once",
    );
}

#[test]
fn recursive_records_and_forward_names_parse() {
    let schema = r#"{"type":"record","name":"Node","namespace":"t","fields":[
        {"name":"value","type":"int"},
        {"name":"next","type":["null","Node"],"default":null},
        {"name":"children","type":{"type":"array","items":"t.Node"},"default":[]}]}"#;
    let parsed = parse_avro(schema, &[]).expect("valid recursive schema");
    assert!(parsed.model.lookup("t.Node").is_some());
}

#[test]
fn references_provide_named_types() {
    let address = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"zip","type":"string"}]}"#;
    let user = r#"{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"}]}"#;
    let parsed = parse_avro(user, &[address.to_owned()]).expect("reference resolves");
    assert_eq!(parsed.referenced.len(), 1);
    assert!(parsed.model.lookup("com.acme.Address").is_some());
    assert_invalid(user, "unknown type 'Address' at /fields/home");
    let err = parse_avro(user, &["{".to_owned()]).expect_err("bad reference");
    assert!(
        err.to_string().contains("reference 0: invalid JSON"),
        "{err}"
    );
}

#[test]
fn canonical_form_ignores_whitespace() {
    let compact = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"string"}]}"#;
    let spaced = "{ \"type\" : \"record\",\n  \"name\": \"User\",\n  \"fields\": [\n    { \"name\": \"id\", \"type\": \"string\" }\n  ]\n}\n";
    assert_eq!(canonical(spaced), compact);
    assert_eq!(canonical(compact), compact);
}

#[test]
fn canonical_form_ignores_escapes() {
    let plain = r#"{"type":"record","name":"User","doc":"café/€","fields":[]}"#;
    let escaped = r#"{"type":"record","name":"\u0055ser","doc":"caf\u00e9\/\u20ac","fields":[]}"#;
    assert_eq!(canonical(escaped), canonical(plain));
    assert_eq!(canonical(plain), plain);
}

#[test]
fn canonical_form_keeps_attribute_order_docs_defaults_and_logical_types() {
    let schema = r#"{"name":"P","type":"record","doc":"d","aliases":["Q"],"fields":[{"type":{"type":"bytes","logicalType":"decimal","precision":4,"scale":2},"name":"price","default":"\u0000","x-custom":1}]}"#;
    let expected = r#"{"name":"P","type":"record","doc":"d","aliases":["Q"],"fields":[{"type":{"type":"bytes","logicalType":"decimal","precision":4,"scale":2},"name":"price","default":"\u0000","x-custom":1}]}"#;
    assert_eq!(canonical(schema), expected);
}

#[test]
fn canonical_form_writes_bare_primitive_objects_as_names() {
    let wrapped = record(
        r#"{"name":"a","type":{"type":"string"}},{"name":"b","type":["null",{"type":"int"}]}"#,
    );
    let bare = record(r#"{"name":"a","type":"string"},{"name":"b","type":["null","int"]}"#);
    assert_eq!(canonical(&wrapped), canonical(&bare));
    assert_eq!(canonical(r#"{"type":"long"}"#), r#""long""#);
    // Default values are data, not schemas: they are kept as written.
    let map_default =
        record(r#"{"name":"m","type":{"type":"map","values":"string"},"default":{"type":"int"}}"#);
    assert!(canonical(&map_default).contains(r#""default":{"type":"int"}"#));
}

#[test]
fn invalid_logical_types_are_ignored_like_java_avro() {
    let schema =
        record(r#"{"name":"d","type":{"type":"int","logicalType":"decimal","precision":2}}"#);
    let parsed = parse_avro(&schema, &[]).expect("invalid logical type is ignored");
    let Some(model::Named::Record(r)) = parsed.model.lookup("R") else {
        panic!("no record")
    };
    assert!(matches!(
        r.fields.first().map(|f| &f.node),
        Some(model::Node::Primitive { logical: None, .. })
    ));
}

#[test]
fn repeated_reference_texts_define_their_names_once() {
    let money = r#"{"type":"fixed","name":"Money","size":8}"#.to_owned();
    let schema = record(r#"{"name":"m","type":"Money"}"#);
    let parsed = parse_avro(&schema, &[money.clone(), money]).expect("shared dependency");
    assert_eq!(parsed.referenced.len(), 1);
}

#[test]
fn real_world_schemas_are_accepted() {
    let schemas = [
        // The seed's schema.
        r#"{"name":"live11.message.schema.avro.User","type":"record","fields":[
            {"name":"id","type":"string"},{"name":"address","type":["null","string"],"default":null}]}"#,
        // Debezium/Connect style: custom properties, nested named types, logical types.
        r#"{"type":"record","name":"Envelope","namespace":"db.public.orders","connect.name":"db.public.orders.Envelope",
            "fields":[
              {"name":"before","type":["null",{"type":"record","name":"Value","fields":[
                 {"name":"id","type":{"type":"int","connect.default":0},"default":0},
                 {"name":"created","type":{"type":"long","logicalType":"timestamp-millis"}},
                 {"name":"day","type":{"type":"int","logicalType":"date"}},
                 {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
                 {"name":"uid","type":{"type":"string","logicalType":"uuid"}},
                 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"],"default":"NEW"}},
                 {"name":"hash","type":{"type":"fixed","name":"Md5","size":16}}]}],"default":null},
              {"name":"after","type":["null","Value"],"default":null},
              {"name":"op","type":"string","order":"ignore","doc":"c, u or d"},
              {"name":"ts_ms","type":["null","long"],"default":null}]}"#,
        r#"{"type":"array","items":{"type":"map","values":["null","double"]}}"#,
        r#"["null","string",{"type":"record","name":"Ev","fields":[]}]"#,
        r#"{"type":"record","name":"Node","fields":[{"name":"kids","type":{"type":"array","items":"Node"},"default":[]}]}"#,
    ];
    for schema in schemas {
        if let Err(e) = parse_avro(schema, &[]) {
            panic!("{e}: {schema}");
        }
    }
}

#[test]
fn deeply_nested_input_is_refused_without_overflowing() {
    let depth = 5000;
    let text = format!(
        "{}\"int\"{}",
        r#"{"type":"array","items":"#.repeat(depth),
        "}".repeat(depth)
    );
    assert_invalid(&text, "invalid JSON");
}

#[test]
fn stored_schemas_skip_only_the_default_checks() {
    let later_branch_default = record(r#"{"name":"u","type":["null","string"],"default":"x"}"#);
    assert!(parse_avro(&later_branch_default, &[]).is_err());
    let stored = parse_avro_stored(&later_branch_default, &[]).expect("log is authoritative");
    assert_eq!(stored.canonical, later_branch_default);
    let duplicate = record(r#"{"name":"a","type":"int"},{"name":"a","type":"int"}"#);
    assert!(parse_avro_stored(&duplicate, &[]).is_err());
}

#[test]
fn canonical_form_is_a_fixed_point_for_float_attributes() {
    // Found by the registry_request fuzz target (fuzz/crashes/registry_request/): without
    // serde_json's `float_roundtrip`, an optimised build re-read the canonical text's
    // 2.2222222222222225e+23 one ulp off, so a stored schema prepared again to different text
    // and re-registering it did not find it. The debug build parsed it exactly even before the
    // fix; the release fuzz binary is what reproduced it.
    let stored = r#"{"type":"record","name":"User","-amespace":2.2222222222222225e+23,"fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"boolean":null},{"name":"age","type":"int"}]}"#;
    assert_eq!(canonical(stored), stored);
    for value in ["2.2222222222222225e+23", "0.1", "1e-300", "123456.789e3"] {
        let schema = format!(r#"{{"type":"record","name":"R","x-attr":{value},"fields":[]}}"#);
        let once = canonical(&schema);
        assert_eq!(canonical(&once), once, "{schema}");
    }
}
