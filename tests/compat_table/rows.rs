//! The rows of the Avro schema-resolution table, grouped by the specification's rules.

/// One row: reader schema, writer schema, whether the reader can read the writer's data, and a
/// substring one of the messages must contain when it cannot.
pub struct Row {
    pub name: String,
    pub reader: String,
    pub writer: String,
    pub compatible: bool,
    pub message: String,
}

pub fn ok(name: &str, reader: &str, writer: &str) -> Row {
    Row {
        name: name.into(),
        reader: reader.into(),
        writer: writer.into(),
        compatible: true,
        message: String::new(),
    }
}

pub fn bad(name: &str, reader: &str, writer: &str, message: &str) -> Row {
    Row {
        name: name.into(),
        reader: reader.into(),
        writer: writer.into(),
        compatible: false,
        message: message.into(),
    }
}

/// A record `R` with the given fields (JSON text of the field objects).
pub fn rec(fields: &str) -> String {
    format!(r#"{{"type":"record","name":"R","fields":[{fields}]}}"#)
}

/// A record `R` with one field `f` of type `ty` (JSON text).
pub fn field(ty: &str) -> String {
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

fn field_rows() -> Vec<Row> {
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
    ]
}

fn record_name_rows() -> Vec<Row> {
    let id = r#"{"name":"id","type":"string"}"#;
    let email_no_default = r#"{"name":"email","type":"string"}"#;
    vec![
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

pub fn all_rows() -> Vec<Row> {
    let mut rows = primitive_rows();
    rows.extend(field_rows());
    rows.extend(record_name_rows());
    rows.extend(nested_rows());
    rows.extend(enum_rows());
    rows.extend(fixed_rows());
    rows.extend(super::type_rows::container_rows());
    rows.extend(super::type_rows::union_rows());
    rows.extend(super::type_rows::named_union_rows());
    rows.extend(super::type_rows::logical_rows());
    rows
}
