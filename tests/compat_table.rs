//! Avro schema-resolution table (reader, writer, compatible?, message) drawn from the Avro
//! specification's "Schema Resolution" rules, plus the seed's walkthrough per compatibility mode.

use schemagate::schema_registry::avro::{ParsedAvro, parse_avro};
use schemagate::schema_registry::compat::{CompatibilityLevel, check_compatibility, check_pair};

/// One row: reader schema, writer schema, whether the reader can read the writer's data, and a
/// substring one of the messages must contain when it cannot.
struct Row {
    name: String,
    reader: String,
    writer: String,
    compatible: bool,
    message: String,
}

fn ok(name: &str, reader: &str, writer: &str) -> Row {
    Row {
        name: name.into(),
        reader: reader.into(),
        writer: writer.into(),
        compatible: true,
        message: String::new(),
    }
}

fn bad(name: &str, reader: &str, writer: &str, message: &str) -> Row {
    Row {
        name: name.into(),
        reader: reader.into(),
        writer: writer.into(),
        compatible: false,
        message: message.into(),
    }
}

/// A record `R` with the given fields (JSON text of the field objects).
fn rec(fields: &str) -> String {
    format!(r#"{{"type":"record","name":"R","fields":[{fields}]}}"#)
}

/// A record `R` with one field `f` of type `ty` (JSON text).
fn field(ty: &str) -> String {
    rec(&format!(r#"{{"name":"f","type":{ty}}}"#))
}

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// Reader (row) can read writer (column): the specification's promotions, and nothing else.
const PROMOTION_GRID: [&str; 8] = [
    // writer: n b i l f d y s
    "Y.......", // reader null
    ".Y......", // reader boolean
    "..Y.....", // reader int
    "..YY....", // reader long
    "..YYY...", // reader float
    "..YYYY..", // reader double
    "......YY", // reader bytes
    "......YY", // reader string
];

fn primitive_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for (reader, grid_row) in PRIMITIVES.iter().zip(PROMOTION_GRID) {
        for (writer, cell) in PRIMITIVES.iter().zip(grid_row.chars()) {
            let name = format!("primitive {writer} read as {reader}");
            let (r, w) = (format!("\"{reader}\""), format!("\"{writer}\""));
            rows.push(if cell == 'Y' {
                ok(&name, &r, &w)
            } else {
                let message = format!(
                    "/type: writer type {writer} cannot be promoted to reader type {reader}"
                );
                bad(&name, &r, &w, &message)
            });
        }
    }
    rows
}

fn record_rows() -> Vec<Row> {
    let id = r#"{"name":"id","type":"string"}"#;
    let email_no_default = r#"{"name":"email","type":"string"}"#;
    let email_default = r#"{"name":"email","type":"string","default":""}"#;
    vec![
        ok(
            "field int read as long",
            &rec(r#"{"name":"age","type":"long"}"#),
            &rec(r#"{"name":"age","type":"int"}"#),
        ),
        bad(
            "field string read as int",
            &rec(r#"{"name":"age","type":"int"}"#),
            &rec(r#"{"name":"age","type":"string"}"#),
            "/fields/age/type: writer type string cannot be promoted to reader type int",
        ),
        bad(
            "reader adds field without default",
            &rec(&format!("{id},{email_no_default}")),
            &rec(id),
            "/fields/email: reader field without default is missing in writer",
        ),
        ok(
            "reader adds field with default",
            &rec(&format!("{id},{email_default}")),
            &rec(id),
        ),
        ok(
            "writer field unknown to reader is ignored",
            &rec(id),
            &rec(&format!("{id},{email_no_default}")),
        ),
        ok(
            "field order may change",
            &rec(&format!("{email_no_default},{id}")),
            &rec(&format!("{id},{email_no_default}")),
        ),
        ok(
            "reader field alias matches writer field",
            &rec(r#"{"name":"mail","type":"string","aliases":["email"]}"#),
            &rec(email_no_default),
        ),
        bad(
            "writer field alias is not used",
            &rec(r#"{"name":"mail","type":"string"}"#),
            &rec(r#"{"name":"email","type":"string","aliases":["mail"]}"#),
            "/fields/mail: reader field without default is missing in writer",
        ),
        ok(
            "reader default used for renamed field",
            &rec(r#"{"name":"mail","type":"string","default":"n/a"}"#),
            &rec(email_no_default),
        ),
        bad(
            "record names differ",
            r#"{"type":"record","name":"B","fields":[]}"#,
            r#"{"type":"record","name":"A","fields":[]}"#,
            "/name: writer record A does not match reader record B",
        ),
        ok(
            "reader record alias names the writer",
            r#"{"type":"record","name":"B","aliases":["A"],"fields":[]}"#,
            r#"{"type":"record","name":"A","fields":[]}"#,
        ),
        ok(
            "qualified reader alias names the writer",
            r#"{"type":"record","name":"B","namespace":"n2","aliases":["n1.A"],"fields":[]}"#,
            r#"{"type":"record","name":"A","namespace":"n1","fields":[]}"#,
        ),
        bad(
            "writer record alias is not used",
            r#"{"type":"record","name":"B","fields":[]}"#,
            r#"{"type":"record","name":"A","aliases":["B"],"fields":[]}"#,
            "writer record A does not match reader record B",
        ),
        ok(
            "namespaces may differ for the same name",
            r#"{"type":"record","name":"R","namespace":"new.ns","fields":[{"name":"a","type":"int"}]}"#,
            r#"{"type":"record","name":"R","namespace":"old.ns","fields":[{"name":"a","type":"int"}]}"#,
        ),
        ok(
            "empty reader record reads any record",
            &rec(""),
            &rec(&format!("{id},{email_no_default}")),
        ),
        bad(
            "record read from a primitive",
            &rec(id),
            r#""string""#,
            "/type: writer type string does not match reader type record R",
        ),
        bad(
            "primitive read from a record",
            r#""string""#,
            &rec(id),
            "/type: writer type record R does not match reader type string",
        ),
        ok(
            "reader default field of union type",
            &rec(&format!(
                r#"{id},{{"name":"nick","type":["null","string"],"default":null}}"#
            )),
            &rec(id),
        ),
        bad(
            "every missing field is named",
            &rec(r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#),
            &rec(""),
            "/fields/b: reader field without default is missing in writer",
        ),
    ]
}

fn address(fields: &str) -> String {
    rec(&format!(
        r#"{{"name":"address","type":{{"type":"record","name":"Address","fields":[{fields}]}}}}"#
    ))
}

fn nested_rows() -> Vec<Row> {
    let zip = r#"{"name":"zip","type":"string"}"#;
    let city = r#"{"name":"city","type":"string"}"#;
    let list = |extra: &str| {
        format!(
            r#"{{"type":"record","name":"LongList","fields":[{{"name":"value","type":"long"}},{{"name":"next","type":["null","LongList"],"default":null}}{extra}]}}"#
        )
    };
    let int_list = r#"{"type":"record","name":"LongList","fields":[{"name":"value","type":"int"},{"name":"next","type":["null","LongList"],"default":null}]}"#;
    let tree = |item: &str| {
        format!(
            r#"{{"type":"record","name":"Tree","fields":[{{"name":"label","type":"{item}"}},{{"name":"children","type":{{"type":"array","items":"Tree"}}}}]}}"#
        )
    };
    vec![
        ok(
            "nested record unchanged",
            &address(&format!("{zip},{city}")),
            &address(&format!("{zip},{city}")),
        ),
        bad(
            "nested record gains a field without default",
            &address(&format!("{zip},{city}")),
            &address(city),
            "/fields/address/fields/zip: reader field without default is missing in writer",
        ),
        ok(
            "nested record gains a field with default",
            &address(&format!(
                r#"{city},{{"name":"zip","type":"string","default":""}}"#
            )),
            &address(city),
        ),
        bad(
            "nested field type cannot be promoted",
            &address(r#"{"name":"zip","type":"int"}"#),
            &address(zip),
            "/fields/address/fields/zip/type: writer type string cannot be promoted to reader type int",
        ),
        ok("recursive record unchanged", &list(""), &list("")),
        ok(
            "recursive record gains a field with default",
            &list(r#",{"name":"tag","type":"string","default":""}"#),
            &list(""),
        ),
        bad(
            "recursive record gains a field without default",
            &list(r#",{"name":"tag","type":"string"}"#),
            &list(""),
            "/fields/tag: reader field without default is missing in writer",
        ),
        ok("recursive record with promoted value", &list(""), int_list),
        bad(
            "recursive record with narrowed value",
            int_list,
            &list(""),
            "/fields/value/type: writer type long cannot",
        ),
        ok(
            "recursive tree through an array",
            &tree("string"),
            &tree("string"),
        ),
        ok(
            "recursive tree with bytes read as string",
            &tree("string"),
            &tree("bytes"),
        ),
        bad(
            "recursive tree with string read as int",
            &tree("int"),
            &tree("string"),
            "/fields/label/type: writer type string",
        ),
    ]
}

fn color(symbols: &str, extra: &str) -> String {
    field(&format!(
        r#"{{"type":"enum","name":"Color","symbols":[{symbols}]{extra}}}"#
    ))
}

fn enum_rows() -> Vec<Row> {
    let rgb = r#""RED","GREEN","BLUE""#;
    let rgbp = r#""RED","GREEN","BLUE","PURPLE""#;
    vec![
        ok("enum unchanged", &color(rgb, ""), &color(rgb, "")),
        ok(
            "reader enum adds a symbol",
            &color(rgbp, ""),
            &color(rgb, ""),
        ),
        ok(
            "enum symbol order may change",
            &color(r#""BLUE","RED","GREEN""#, ""),
            &color(rgb, ""),
        ),
        bad(
            "writer symbol missing in reader enum without default",
            &color(rgb, ""),
            &color(rgbp, ""),
            "/fields/f/symbols: writer symbol PURPLE is missing in reader enum Color without default",
        ),
        ok(
            "writer symbol missing but reader enum has a default",
            &color(rgb, r#","default":"RED""#),
            &color(rgbp, ""),
        ),
        bad(
            "enum names differ",
            &field(r#"{"type":"enum","name":"Colour","symbols":["RED"]}"#),
            &field(r#"{"type":"enum","name":"Color","symbols":["RED"]}"#),
            "/fields/f/name: writer enum Color does not match reader enum Colour",
        ),
        ok(
            "reader enum alias names the writer",
            &field(r#"{"type":"enum","name":"Colour","aliases":["Color"],"symbols":["RED"]}"#),
            &field(r#"{"type":"enum","name":"Color","symbols":["RED"]}"#),
        ),
        bad(
            "enum read from a string",
            &color(rgb, ""),
            &field(r#""string""#),
            "/fields/f/type: writer type string does not match reader type enum Color",
        ),
        bad(
            "string read from an enum",
            &field(r#""string""#),
            &color(rgb, ""),
            "/fields/f/type: writer type enum Color does not match reader type string",
        ),
        bad(
            "top-level enum loses symbols",
            r#"{"type":"enum","name":"E","symbols":["A"]}"#,
            r#"{"type":"enum","name":"E","symbols":["A","B"]}"#,
            "/symbols: writer symbol B is missing in reader enum E without default",
        ),
    ]
}

fn fixed(name: &str, size: u32, extra: &str) -> String {
    rec(&format!(
        r#"{{"name":"payload","type":{{"type":"fixed","name":"{name}","size":{size}{extra}}}}}"#
    ))
}

fn fixed_rows() -> Vec<Row> {
    vec![
        ok(
            "fixed unchanged",
            &fixed("Hash", 16, ""),
            &fixed("Hash", 16, ""),
        ),
        bad(
            "fixed sizes differ",
            &fixed("Hash", 8, ""),
            &fixed("Hash", 16, ""),
            "/fields/payload/size: fixed size 16 in writer differs from 8 in reader",
        ),
        bad(
            "fixed names differ",
            &fixed("Digest", 16, ""),
            &fixed("Hash", 16, ""),
            "/fields/payload/name: writer fixed Hash does not match reader fixed Digest",
        ),
        ok(
            "reader fixed alias names the writer",
            &fixed("Digest", 16, r#","aliases":["Hash"]"#),
            &fixed("Hash", 16, ""),
        ),
        bad(
            "fixed read from bytes",
            &fixed("Hash", 16, ""),
            &rec(r#"{"name":"payload","type":"bytes"}"#),
            "/fields/payload/type: writer type bytes does not match reader type fixed Hash",
        ),
        bad(
            "bytes read from fixed",
            &rec(r#"{"name":"payload","type":"bytes"}"#),
            &fixed("Hash", 16, ""),
            "writer type fixed Hash does not match reader type bytes",
        ),
        bad(
            "top-level fixed sizes differ",
            r#"{"type":"fixed","name":"F","size":4}"#,
            r#"{"type":"fixed","name":"F","size":2}"#,
            "/size: fixed size 2 in writer differs from 4 in reader",
        ),
        ok(
            "fixed namespaces may differ",
            &fixed("Hash", 4, r#","namespace":"a""#),
            &fixed("Hash", 4, r#","namespace":"b""#),
        ),
    ]
}

fn container_rows() -> Vec<Row> {
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

fn union_rows() -> Vec<Row> {
    let point = r#"{"type":"record","name":"P","fields":[{"name":"x","type":"int"}]}"#;
    let point_y = r#"{"type":"record","name":"P","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]}"#;
    let other = r#"{"type":"record","name":"Q","fields":[{"name":"x","type":"int"}]}"#;
    let e2 = r#"{"type":"enum","name":"E","symbols":["A","B"]}"#;
    let e1 = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
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

fn logical_rows() -> Vec<Row> {
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

fn all_rows() -> Vec<Row> {
    let mut rows = primitive_rows();
    rows.extend(record_rows());
    rows.extend(nested_rows());
    rows.extend(enum_rows());
    rows.extend(fixed_rows());
    rows.extend(container_rows());
    rows.extend(union_rows());
    rows.extend(logical_rows());
    rows
}

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
