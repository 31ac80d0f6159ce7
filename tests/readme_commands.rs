//! Issue 3, acceptance 7 (the static half; running `.ci/run` is the other): the README starts
//! with the two commands, they exist and are executable, and `.ci/run` runs the README's test
//! command, which checks formatting, denies clippy warnings and runs the whole suite.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn assert_executable(relative: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let mode = std::fs::metadata(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "{relative} is not executable");
}

#[test]
fn readme_opens_with_the_demo_and_test_commands() {
    let readme = read("README.md");
    let opening: Vec<&str> = readme.lines().take(6).collect();
    let opening = opening.join("\n");
    for command in ["scripts/demo.sh", "scripts/test.sh"] {
        assert!(
            opening.contains(command),
            "README's first lines lack {command}:\n{opening}"
        );
        assert_executable(command);
    }
}

#[test]
fn ci_runs_exactly_the_readme_test_command() {
    let ci = read(".ci/run");
    assert_executable(".ci/run");
    let commands: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter(|line| !line.starts_with("set ") && !line.starts_with("cd "))
        .collect();
    assert_eq!(commands, ["exec scripts/test.sh"], ".ci/run commands");
}

#[test]
fn test_command_installs_tools_then_checks_format_lints_and_the_suite() {
    let script = read("scripts/test.sh");
    let order = [
        "scripts/install-tansu.sh",
        "scripts/install-clients.sh",
        "cargo fmt --all -- --check",
        "cargo clippy --locked --all-targets -- -D warnings",
        "cargo check --locked --manifest-path fuzz/Cargo.toml --bins",
        "cargo nextest run",
        "cargo test --locked --no-fail-fast",
        "schemagate tests: PASS",
        "schemagate tests: FAIL",
    ];
    let mut from = 0;
    for step in order {
        let at = script[from..]
            .find(step)
            .unwrap_or_else(|| panic!("scripts/test.sh lacks (or misorders) {step:?}"));
        from += at + step.len();
    }
}
