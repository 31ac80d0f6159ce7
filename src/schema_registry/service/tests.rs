use super::admin::{plan_delete_subject, plan_delete_version};
use super::*;
use crate::schema_registry::api::VersionId;

fn req(schema: &str) -> SchemaRequest {
    SchemaRequest {
        schema: Some(schema.to_owned()),
        ..SchemaRequest::default()
    }
}

fn record(name: &str, fields: &[&str]) -> String {
    let fields: Vec<serde_json::Value> = fields
        .iter()
        .map(|f| serde_json::json!({"name": f, "type": "int"}))
        .collect();
    serde_json::json!({"type": "record", "name": name, "fields": fields}).to_string()
}

/// Apply a plan's records as the tailer would; returns the plan's result.
fn commit<T>(state: &mut State, plan: Plan<T>) -> T {
    match plan {
        Plan::Done(t) => t,
        Plan::Write {
            records,
            result,
            won,
        } => {
            for r in records {
                state.apply(r);
            }
            assert!(won(state), "own write did not win");
            result
        }
    }
}

fn register(state: &mut State, subject: &str, schema: &str) -> Result<Registered, ApiError> {
    let plan = plan_register(state, subject, &req(schema), CompatibilityLevel::None)?;
    Ok(commit(state, plan))
}

#[test]
fn re_register_is_idempotent_and_ids_are_shared_across_subjects() {
    let mut s = State::default();
    let a = record("A", &["x"]);
    assert_eq!(
        register(&mut s, "s", &a),
        Ok(Registered { id: 1, version: 1 })
    );
    let plan = plan_register(&s, "s", &req(&a), CompatibilityLevel::Backward).unwrap();
    assert!(matches!(plan, Plan::Done(Registered { id: 1, version: 1 })));
    assert_eq!(
        register(&mut s, "t", &a),
        Ok(Registered { id: 1, version: 1 })
    );
    assert_eq!(
        register(&mut s, "s", &record("B", &[])),
        Ok(Registered { id: 2, version: 2 })
    );
}

#[test]
fn versions_continue_after_soft_delete_and_deleted_schema_keeps_its_id() {
    let mut s = State::default();
    let a = record("A", &["x"]);
    register(&mut s, "s", &a).unwrap();
    let plan = plan_delete_version(&s, "s", VersionId::Exact(1), false).unwrap();
    assert_eq!(commit(&mut s, plan), 1);
    // The same schema again: a new version, but the id of the soft-deleted one.
    assert_eq!(
        register(&mut s, "s", &a),
        Ok(Registered { id: 1, version: 2 })
    );
}

#[test]
fn readonly_import_and_version_checks() {
    let mut s = State::default();
    s.apply(LogRecord::Mode {
        subject: Some("ro".into()),
        mode: Some(Mode::Readonly),
    });
    let e = register(&mut s, "ro", &record("A", &[])).unwrap_err();
    assert_eq!(e.code, 42205);
    // A body version that is not the next one is refused.
    let mut r = req(&record("A", &[]));
    r.version = Some(3);
    let e = plan_register(&s, "v", &r, CompatibilityLevel::None)
        .err()
        .unwrap();
    assert_eq!(e.code, 42201);
    // IMPORT takes the id from the body and refuses a clash.
    s.apply(LogRecord::Mode {
        subject: None,
        mode: Some(Mode::Import),
    });
    let mut r = req(&record("A", &[]));
    r.id = Some(42);
    let plan = plan_register(&s, "i", &r, CompatibilityLevel::None).unwrap();
    let got = commit(&mut s, plan);
    assert_eq!(got, Registered { id: 42, version: 1 });
    let mut r = req(&record("Other", &[]));
    r.id = Some(42);
    let e = plan_register(&s, "j", &r, CompatibilityLevel::None)
        .err()
        .unwrap();
    assert_eq!(e.code, 42207);
    let e = plan_register(&s, "k", &req(&record("C", &[])), CompatibilityLevel::None)
        .err()
        .unwrap();
    assert_eq!(e.code, 42201);
}

#[test]
fn prepare_validates_types_and_references() {
    let s = State::default();
    let mut r = req("{ \"type\" : \"object\" }");
    r.schema_type = Some("json".into());
    let p = prepare(&s, &r).unwrap();
    assert_eq!(p.content.schema, "{\"type\":\"object\"}");
    assert_eq!(p.content.schema_type, SchemaType::Json);
    r.schema = Some("[1".into());
    assert_eq!(prepare(&s, &r).unwrap_err().code, 42201);
    let mut r = req("message M {}");
    r.schema_type = Some("PROTOBUF".into());
    assert_eq!(prepare(&s, &r).unwrap().content.schema, "message M {}");
    r.schema_type = Some("XML".into());
    assert_eq!(prepare(&s, &r).unwrap_err().code, 42201);
    let mut r = req(&record("A", &[]));
    r.references = Some(vec![Reference {
        name: "B".into(),
        subject: "b".into(),
        version: 1,
    }]);
    let e = prepare(&s, &r).unwrap_err();
    assert_eq!(e.code, 42201);
    assert!(e.message.contains("'b'"), "{}", e.message);
    assert_eq!(prepare(&s, &req("  ")).unwrap_err().code, 42201);
}

#[test]
fn schema_type_change_is_incompatible() {
    let mut s = State::default();
    register(&mut s, "s", &record("A", &[])).unwrap();
    let mut r = req("{}");
    r.schema_type = Some("JSON".into());
    let e = plan_register(&s, "s", &r, CompatibilityLevel::Backward)
        .err()
        .unwrap();
    assert_eq!(e.code, 409);
    assert!(
        e.message.contains("Incompatible schema type"),
        "{}",
        e.message
    );
    // NONE skips every check.
    assert!(plan_register(&s, "s", &r, CompatibilityLevel::None).is_ok());
}

#[test]
fn subject_delete_plans() {
    let mut s = State::default();
    register(&mut s, "s", &record("A", &[])).unwrap();
    register(&mut s, "s", &record("B", &[])).unwrap();
    s.apply(LogRecord::Config {
        subject: Some("s".into()),
        level: Some(CompatibilityLevel::Full),
    });
    assert_eq!(
        plan_delete_subject(&s, "s", true).err().unwrap().code,
        40405
    );
    assert_eq!(
        plan_delete_version(&s, "s", VersionId::Exact(1), true)
            .err()
            .unwrap()
            .code,
        40407
    );
    let Plan::Write { records, .. } = plan_delete_subject(&s, "s", false).unwrap() else {
        panic!("soft delete writes");
    };
    assert_eq!(
        records,
        vec![LogRecord::DeleteSubject {
            subject: "s".into(),
            version: 2
        }]
    );
    let plan = plan_delete_subject(&s, "s", false).unwrap();
    assert_eq!(commit(&mut s, plan), vec![1, 2]);
    assert_eq!(
        plan_delete_subject(&s, "s", false).err().unwrap().code,
        40404
    );
    let Plan::Write { records, .. } = plan_delete_subject(&s, "s", true).unwrap() else {
        panic!("permanent delete writes");
    };
    let keys: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8(r.key_bytes()).unwrap())
        .collect();
    assert_eq!(
        keys,
        vec![
            r#"{"keytype":"SCHEMA","subject":"s","version":2,"magic":1}"#,
            r#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#,
            r#"{"keytype":"CONFIG","subject":"s","magic":0}"#,
        ]
    );
    assert!(records.iter().all(|r| r.value_bytes().is_none()));
    let plan = plan_delete_subject(&s, "s", true).unwrap();
    assert_eq!(commit(&mut s, plan), vec![1, 2]);
    assert!(s.versions("s").is_none());
    assert_eq!(s.config(Some("s")), None);
}
