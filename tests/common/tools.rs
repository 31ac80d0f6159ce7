//! Where the external tools live. `scripts/test.sh` exports the paths; a plain `cargo test`
//! falls back to the cache the install scripts fill. A missing tool fails the test with the
//! command that installs it: a test that needs a broker never silently passes without one.

use std::path::PathBuf;

fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SCHEMAGATE_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".cache/schemagate")
}

fn locate(env: &str, default: PathBuf, install: &str) -> PathBuf {
    let path = std::env::var_os(env).map_or(default, PathBuf::from);
    assert!(
        path.exists(),
        "{} not found (set {env} or run {install} first)",
        path.display()
    );
    path
}

/// The tansu broker binary.
pub fn tansu_binary() -> PathBuf {
    locate(
        "SCHEMAGATE_TANSU",
        cache_dir().join("tansu-0.6.0/bin/tansu"),
        "scripts/install-tansu.sh",
    )
}

/// The venv Python with confluent-kafka and kafka-python.
pub fn python_binary() -> PathBuf {
    locate(
        "SCHEMAGATE_PYTHON",
        cache_dir().join("venv/bin/python"),
        "scripts/install-clients.sh",
    )
}

/// The directory whose `node_modules` holds kafkajs.
pub fn node_dir() -> PathBuf {
    locate(
        "SCHEMAGATE_NODE_DIR",
        cache_dir().join("node"),
        "scripts/install-clients.sh",
    )
}

/// `tests/clients/<name>`.
pub fn client_program(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(name);
    assert!(
        path.exists(),
        "client program {} is missing",
        path.display()
    );
    path
}
