//! The resolution table as fuzz seeds: for every row, a `registry_request` and a
//! `registry_http` input that register the writer schema, ask whether the reader is compatible
//! with it (verbose) and then register the reader, under BACKWARD. The files live in
//! `fuzz/seeds/TARGET/table_*`; this test fails when they differ from the table, and
//! `SCHEMAGATE_WRITE_SEEDS=1 cargo test --test compat_table fuzz_seeds` rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::rows::{Row, all_rows};

/// Separates requests in both targets' inputs (never part of UTF-8).
const SEPARATOR: u8 = 0xFF;
/// Byte 0 of both targets' inputs: index 0 of their level tables is BACKWARD.
const BACKWARD: u8 = 0;

fn body(schema: &str) -> Vec<u8> {
    serde_json::json!({ "schema": schema })
        .to_string()
        .into_bytes()
}

fn join(requests: Vec<Vec<u8>>) -> Vec<u8> {
    let mut input = vec![BACKWARD];
    for (i, request) in requests.into_iter().enumerate() {
        if i > 0 {
            input.push(SEPARATOR);
        }
        input.extend(request);
    }
    input
}

/// `registry_request`: an operation byte (bits 0–2 operation, 3–4 subject, 5–7 flags), then
/// the body. Register is 0; compatibility is 3 with flags 5 = against `latest`, verbose.
fn registry_request(row: &Row) -> Vec<u8> {
    let op = |code: u8, flags: u8, schema: &str| [vec![code | (flags << 5)], body(schema)].concat();
    join(vec![
        op(0, 0, &row.writer),
        op(3, 5, &row.reader),
        op(0, 0, &row.reader),
    ])
}

/// `registry_http`: an operation byte (bits 0–2 method, 3–4 content type, 5–7 route template),
/// a selector byte (bits 0–1 subject, 2–4 version, 5–7 query), then the body. POST is method 1,
/// the registry content type 1; template 1 registers, template 3 checks compatibility against
/// version 0 of the table (`latest`) with query 2 (`?verbose=true`).
fn registry_http(row: &Row) -> Vec<u8> {
    let post = |template: u8, selector: u8, schema: &str| {
        [vec![1 | (1 << 3) | (template << 5), selector], body(schema)].concat()
    };
    join(vec![
        post(1, 0, &row.writer),
        post(3, 2 << 5, &row.reader),
        post(1, 0, &row.reader),
    ])
}

fn file_name(row: &Row) -> String {
    let name: String = row
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("table_{name}")
}

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target)
}

/// Every seed file the table calls for, by path.
fn expected() -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for row in all_rows() {
        let name = file_name(&row);
        files.insert(
            seeds_dir("registry_request").join(&name),
            registry_request(&row),
        );
        files.insert(seeds_dir("registry_http").join(&name), registry_http(&row));
    }
    files
}

/// The `table_*` files present now.
fn present() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for target in ["registry_request", "registry_http"] {
        let entries = std::fs::read_dir(seeds_dir(target)).expect("seeds directory");
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let is_table = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("table_"));
            if is_table {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn fuzz_seeds_hold_every_row_of_the_table() {
    let expected = expected();
    assert!(
        expected.len() >= 200,
        "one seed per row and target: {}",
        expected.len()
    );
    if std::env::var_os("SCHEMAGATE_WRITE_SEEDS").is_some() {
        for stale in present().iter().filter(|p| !expected.contains_key(*p)) {
            std::fs::remove_file(stale).expect("remove a stale seed");
        }
        for (path, bytes) in &expected {
            std::fs::write(path, bytes).expect("write a seed");
        }
    }
    let rewrite =
        "rewrite them with SCHEMAGATE_WRITE_SEEDS=1 cargo test --test compat_table fuzz_seeds";
    for (path, bytes) in &expected {
        let on_disk = std::fs::read(path).unwrap_or_default();
        assert!(
            &on_disk == bytes,
            "{} differs from the table; {rewrite}",
            path.display()
        );
    }
    let stale: Vec<_> = present()
        .into_iter()
        .filter(|p| !expected.contains_key(p))
        .collect();
    assert!(
        stale.is_empty(),
        "seeds for rows no longer in the table: {stale:?}; {rewrite}"
    );
}
