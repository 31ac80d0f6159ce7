use super::*;

fn schema(subject: &str, version: i32, id: i32, text: &str, deleted: bool) -> LogRecord {
    LogRecord::Schema {
        subject: subject.into(),
        version,
        value: Some(SchemaValue {
            subject: subject.into(),
            version,
            id,
            schema_type: SchemaType::Avro,
            references: vec![],
            schema: text.into(),
            deleted,
        }),
    }
}

fn tombstone(subject: &str, version: i32) -> LogRecord {
    LogRecord::Schema {
        subject: subject.into(),
        version,
        value: None,
    }
}

#[test]
fn id_reuse_for_different_content_is_ignored() {
    let mut s = State::default();
    assert!(s.apply(schema("a", 1, 1, "\"int\"", false)));
    assert!(!s.apply(schema("b", 1, 1, "\"long\"", false)));
    assert!(s.versions("b").is_none());
    assert_eq!(s.schema(1).unwrap().schema, "\"int\"");
    // The same content under the same id in another subject is fine.
    assert!(s.apply(schema("b", 1, 1, "\"int\"", false)));
    assert_eq!(
        s.subject_versions_of(1, false),
        vec![("a".into(), 1), ("b".into(), 1)]
    );
}

#[test]
fn existing_subject_version_with_other_id_is_ignored() {
    let mut s = State::default();
    s.apply(schema("a", 1, 1, "\"int\"", false));
    assert!(!s.apply(schema("a", 1, 2, "\"long\"", false)));
    assert_eq!(s.version_id("a", 1), Some(1));
    assert!(s.schema(2).is_none());
    assert_eq!(s.next_id(), 2);
}

#[test]
fn soft_delete_flag_updates_and_undeletes() {
    let mut s = State::default();
    s.apply(schema("a", 1, 1, "\"int\"", false));
    assert!(s.apply(schema("a", 1, 1, "\"int\"", true)));
    assert!(s.visible_versions("a", false).is_empty());
    assert_eq!(s.visible_versions("a", true).len(), 1);
    assert!(s.subject_names(false).is_empty());
    assert_eq!(s.subject_names(true), vec!["a".to_owned()]);
    // The id stays resolvable after a soft delete.
    assert!(s.schema(1).is_some());
    assert!(s.apply(schema("a", 1, 1, "\"int\"", false)));
    assert_eq!(s.visible_versions("a", false).len(), 1);
}

#[test]
fn delete_subject_marks_up_to_version() {
    let mut s = State::default();
    s.apply(schema("a", 1, 1, "\"int\"", false));
    s.apply(schema("a", 2, 2, "\"long\"", false));
    s.apply(schema("a", 3, 3, "\"float\"", false));
    assert!(s.apply(LogRecord::DeleteSubject {
        subject: "a".into(),
        version: 2
    }));
    let live: Vec<i32> = s
        .visible_versions("a", false)
        .iter()
        .map(|(v, _)| *v)
        .collect();
    assert_eq!(live, vec![3]);
    assert_eq!(s.next_version("a"), 4);
}

#[test]
fn tombstone_permanently_deletes_and_frees_unused_id() {
    let mut s = State::default();
    s.apply(schema("a", 1, 1, "\"int\"", false));
    s.apply(schema("b", 1, 1, "\"int\"", false));
    s.apply(schema("a", 2, 2, "\"long\"", false));
    assert!(s.apply(tombstone("a", 2)));
    assert!(s.schema(2).is_none());
    assert!(s.apply(tombstone("a", 1)));
    assert!(s.versions("a").is_none());
    // Still used by b.
    assert!(s.schema(1).is_some());
    // Ids are never handed out twice.
    assert_eq!(s.next_id(), 3);
    assert!(!s.apply(tombstone("a", 1)));
}

#[test]
fn config_and_mode_are_last_write_wins() {
    let mut s = State::default();
    let cfg = |subject: Option<&str>, level| LogRecord::Config {
        subject: subject.map(str::to_owned),
        level,
    };
    s.apply(cfg(None, Some(CompatibilityLevel::Full)));
    s.apply(cfg(Some("a"), Some(CompatibilityLevel::None)));
    s.apply(cfg(Some("a"), Some(CompatibilityLevel::Forward)));
    assert_eq!(s.config(None), Some(CompatibilityLevel::Full));
    assert_eq!(s.config(Some("a")), Some(CompatibilityLevel::Forward));
    s.apply(cfg(Some("a"), None));
    assert_eq!(s.config(Some("a")), None);
    s.apply(LogRecord::Mode {
        subject: None,
        mode: Some(Mode::Readonly),
    });
    assert_eq!(s.effective_mode("x"), Mode::Readonly);
    s.apply(LogRecord::Mode {
        subject: Some("x".into()),
        mode: Some(Mode::Import),
    });
    assert_eq!(s.effective_mode("x"), Mode::Import);
}

#[test]
fn clear_subject_drops_soft_deleted_versions() {
    let mut s = State::default();
    s.apply(schema("a", 1, 1, "\"int\"", true));
    s.apply(schema("a", 2, 2, "\"long\"", false));
    assert!(s.apply(LogRecord::ClearSubject {
        subject: "a".into()
    }));
    assert_eq!(s.visible_versions("a", true).len(), 1);
    assert!(s.schema(1).is_none());
}

#[test]
fn key_and_value_disagreeing_is_ignored() {
    let mut s = State::default();
    let LogRecord::Schema { value, .. } = schema("a", 1, 1, "\"int\"", false) else {
        unreachable!()
    };
    assert!(!s.apply(LogRecord::Schema {
        subject: "other".into(),
        version: 1,
        value,
    }));
    assert_eq!(s, State::default());
}

#[test]
fn same_log_in_same_order_converges() {
    // Two writers raced for id 1 and for a/1; both readers must end identical.
    let log = vec![
        schema("a", 1, 1, "\"int\"", false),
        schema("b", 1, 1, "\"string\"", false),
        schema("a", 1, 2, "\"long\"", false),
        schema("b", 1, 2, "\"string\"", false),
    ];
    let mut x = State::default();
    let mut y = State::default();
    for r in log.clone() {
        x.apply(r);
    }
    for r in log {
        y.apply(r);
    }
    assert_eq!(x, y);
    assert_eq!(x.version_id("a", 1), Some(1));
    assert_eq!(x.version_id("b", 1), Some(2));
}

#[test]
fn references_resolve_dependencies_first() {
    let mut s = State::default();
    s.apply(schema("leaf", 1, 1, "LEAF", false));
    let with_refs = |subject: &str, id, text: &str, refs: Vec<Reference>| LogRecord::Schema {
        subject: subject.into(),
        version: 1,
        value: Some(SchemaValue {
            subject: subject.into(),
            version: 1,
            id,
            schema_type: SchemaType::Avro,
            references: refs,
            schema: text.into(),
            deleted: false,
        }),
    };
    let r = |subject: &str| Reference {
        name: subject.into(),
        subject: subject.into(),
        version: 1,
    };
    s.apply(with_refs("mid", 2, "MID", vec![r("leaf")]));
    s.apply(with_refs("top", 3, "TOP", vec![r("mid"), r("leaf")]));
    let refs = s.schema(3).unwrap().references.clone();
    assert_eq!(s.resolve_references(&refs).unwrap(), vec!["LEAF", "MID"]);
    assert_eq!(s.referenced_by("leaf", 1, false), vec![2, 3]);
    assert_eq!(s.resolve_references(&[r("missing")]), Err(r("missing")));
}
