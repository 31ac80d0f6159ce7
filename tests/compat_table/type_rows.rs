//! Table rows for arrays, maps, unions and logical types.

use super::rows::{Row, bad, field, ok};

pub fn container_rows() -> Vec<Row> {
    let array = |items: &str| field(&format!(r#"{{"type":"array","items":{items}}}"#));
    let map = |values: &str| field(&format!(r#"{{"type":"map","values":{values}}}"#));
    let point = |fields: &str| format!(r#"{{"type":"record","name":"P","fields":[{fields}]}}"#);
    vec![
        ok("array items equal", &array(r#""int""#), &array(r#""int""#)),
        ok(
            "array items promoted",
            &array(r#""long""#),
            &array(r#""int""#),
        ),
        bad(
            "array items narrowed",
            &array(r#""int""#),
            &array(r#""long""#),
            "/fields/f/items/type: writer type long cannot be promoted to reader type int",
        ),
        ok(
            "array of arrays promoted",
            &array(r#"{"type":"array","items":"double"}"#),
            &array(r#"{"type":"array","items":"float"}"#),
        ),
        bad(
            "array of records missing a field",
            &array(&point(
                r#"{"name":"x","type":"int"},{"name":"y","type":"int"}"#,
            )),
            &array(&point(r#"{"name":"x","type":"int"}"#)),
            "/fields/f/items/fields/y: reader field without default is missing in writer",
        ),
        bad(
            "array read from a map",
            &array(r#""int""#),
            &map(r#""int""#),
            "/fields/f/type: writer type map does not match reader type array",
        ),
        ok("map values equal", &map(r#""string""#), &map(r#""string""#)),
        ok("map values promoted", &map(r#""long""#), &map(r#""int""#)),
        bad(
            "map values not promotable",
            &map(r#""int""#),
            &map(r#""string""#),
            "/fields/f/values/type: writer type string cannot be promoted to reader type int",
        ),
        ok(
            "map of records with reader default",
            &map(&point(r#"{"name":"x","type":"int","default":0}"#)),
            &map(&point("")),
        ),
        bad(
            "map read from an array",
            &map(r#""int""#),
            &array(r#""int""#),
            "writer type array does not match reader type map",
        ),
        bad(
            "array read from a primitive",
            &array(r#""int""#),
            &field(r#""int""#),
            "writer type int does not match reader type array",
        ),
    ]
}

pub fn union_rows() -> Vec<Row> {
    vec![
        ok(
            "union reads its member",
            &field(r#"["null","string"]"#),
            &field(r#""string""#),
        ),
        ok(
            "union reads null",
            &field(r#"["null","string"]"#),
            &field(r#""null""#),
        ),
        bad(
            "union has no member for the writer",
            &field(r#"["null","string"]"#),
            &field(r#""int""#),
            "/fields/f/type: writer type int does not match any type in reader union [null, string]",
        ),
        ok(
            "union member reached by promotion",
            &field(r#"["null","long"]"#),
            &field(r#""int""#),
        ),
        ok(
            "union member reached by string to bytes",
            &field(r#"["null","bytes"]"#),
            &field(r#""string""#),
        ),
        bad(
            "non-union reader of a nullable writer",
            &field(r#""string""#),
            &field(r#"["null","string"]"#),
            "/fields/f/type: writer union branch null does not match reader type string",
        ),
        ok(
            "non-union reader of promotable writer branches",
            &field(r#""long""#),
            &field(r#"["int","long"]"#),
        ),
        ok(
            "reader union adds a branch",
            &field(r#"["null","string","int"]"#),
            &field(r#"["null","string"]"#),
        ),
        bad(
            "reader union lacks a writer branch",
            &field(r#"["null","string"]"#),
            &field(r#"["null","string","int"]"#),
            "/fields/f/type: writer union branch int has no matching type in reader union [null, string]",
        ),
        ok(
            "union branches promoted",
            &field(r#"["null","long"]"#),
            &field(r#"["null","int"]"#),
        ),
        ok(
            "union order may change",
            &field(r#"["string","null"]"#),
            &field(r#"["null","string"]"#),
        ),
        ok(
            "all numeric writer branches reach double",
            &field(r#"["null","double"]"#),
            &field(r#"["null","int","long","float"]"#),
        ),
        ok(
            "single-branch union reads its type",
            &field(r#"["int"]"#),
            &field(r#""int""#),
        ),
        ok(
            "plain reader reads single-branch union",
            &field(r#""int""#),
            &field(r#"["int"]"#),
        ),
    ]
}

pub fn named_union_rows() -> Vec<Row> {
    let point = r#"{"type":"record","name":"P","fields":[{"name":"x","type":"int"}]}"#;
    let point_y = r#"{"type":"record","name":"P","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]}"#;
    let other = r#"{"type":"record","name":"Q","fields":[{"name":"x","type":"int"}]}"#;
    let e2 = r#"{"type":"enum","name":"E","symbols":["A","B"]}"#;
    let e1 = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
    vec![
        ok(
            "union of records reads a record",
            &field(&format!(r#"["null",{point}]"#)),
            &field(point),
        ),
        bad(
            "union record branch resolved deeply",
            &field(&format!(r#"["null",{point_y}]"#)),
            &field(point),
            "/fields/f/fields/y: reader field without default is missing in writer",
        ),
        bad(
            "union record branch of another name",
            &field(&format!(r#"["null",{other}]"#)),
            &field(point),
            "writer type record P does not match any type in reader union [null, record Q]",
        ),
        ok(
            "union array branch with promoted items",
            &field(r#"["null",{"type":"array","items":"long"}]"#),
            &field(r#"{"type":"array","items":"int"}"#),
        ),
        bad(
            "union array branch with bad items",
            &field(r#"["null",{"type":"array","items":"int"}]"#),
            &field(r#"{"type":"array","items":"string"}"#),
            "/fields/f/items/type: writer type string cannot be promoted to reader type int",
        ),
        bad(
            "union enum branch loses a symbol",
            &field(&format!(r#"["null",{e1}]"#)),
            &field(&format!(r#"["null",{e2}]"#)),
            "/fields/f/symbols: writer symbol B is missing in reader enum E without default",
        ),
        ok(
            "union map branch",
            &field(r#"["null",{"type":"map","values":"double"}]"#),
            &field(r#"{"type":"map","values":"float"}"#),
        ),
        bad(
            "writer union with a record the reader lacks",
            &field(r#"["null","string"]"#),
            &field(&format!(r#"["null",{point}]"#)),
            "writer union branch record P has no matching type in reader union [null, string]",
        ),
        ok(
            "exact branch preferred over promotion",
            &field(r#"["long","int"]"#),
            &field(r#""int""#),
        ),
        bad(
            "top-level union narrowed",
            r#"["null","int"]"#,
            r#"["null","long"]"#,
            "/type: writer union branch long has no matching type",
        ),
    ]
}

pub fn logical_rows() -> Vec<Row> {
    let decimal = |p: u32, s: u32| {
        field(&format!(
            r#"{{"type":"bytes","logicalType":"decimal","precision":{p},"scale":{s}}}"#
        ))
    };
    let fixed_decimal = |p: u32, s: u32| {
        field(&format!(
            r#"{{"type":"fixed","name":"Money","size":8,"logicalType":"decimal","precision":{p},"scale":{s}}}"#
        ))
    };
    let logical =
        |base: &str, name: &str| field(&format!(r#"{{"type":"{base}","logicalType":"{name}"}}"#));
    vec![
        ok(
            "date reads int",
            &logical("int", "date"),
            &field(r#""int""#),
        ),
        ok(
            "int reads date",
            &field(r#""int""#),
            &logical("int", "date"),
        ),
        ok(
            "timestamp units resolve by the underlying long",
            &logical("long", "timestamp-millis"),
            &logical("long", "timestamp-micros"),
        ),
        ok(
            "local timestamp reads timestamp",
            &logical("long", "local-timestamp-millis"),
            &logical("long", "timestamp-millis"),
        ),
        ok(
            "timestamp reads a date by int promotion",
            &logical("long", "timestamp-millis"),
            &logical("int", "date"),
        ),
        bad(
            "date cannot read a long timestamp",
            &logical("int", "date"),
            &logical("long", "timestamp-millis"),
            "/fields/f/type: writer type long cannot be promoted to reader type int",
        ),
        ok(
            "uuid reads string",
            &logical("string", "uuid"),
            &field(r#""string""#),
        ),
        ok("decimal equal", &decimal(10, 2), &decimal(10, 2)),
        bad(
            "decimal scale differs",
            &decimal(10, 3),
            &decimal(10, 2),
            "/fields/f/type: writer decimal(10,2) does not match reader decimal(10,3)",
        ),
        bad(
            "decimal precision differs",
            &decimal(12, 2),
            &decimal(10, 2),
            "writer decimal(10,2) does not match reader decimal(12,2)",
        ),
        ok(
            "decimal reads plain bytes",
            &decimal(10, 2),
            &field(r#""bytes""#),
        ),
        ok(
            "fixed decimal equal",
            &fixed_decimal(18, 4),
            &fixed_decimal(18, 4),
        ),
        bad(
            "fixed decimal scale differs",
            &fixed_decimal(18, 4),
            &fixed_decimal(18, 2),
            "writer decimal(18,2) does not match reader decimal(18,4)",
        ),
        bad(
            "bytes decimal from fixed decimal",
            &decimal(18, 4),
            &fixed_decimal(18, 4),
            "writer type fixed Money does not match reader type bytes",
        ),
    ]
}
