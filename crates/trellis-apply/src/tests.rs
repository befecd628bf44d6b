//! Unit tests of the executor's helpers. The executor itself is tested end to end through
//! the binary (crates/trellis-cli/tests) and by the benchmark.

use trellis_types::{Path, Value};

use super::replace_secrets;

#[test]
fn provider_errors_that_echo_a_secret_are_redacted() {
    // AWS validation messages quote the value they refuse.
    let after = Value::object([
        ("name", Value::string("s3cret-name")),
        ("token", Value::string("s3cret").into_sensitive()),
        ("port", Value::Number(80.0)),
    ]);
    let secrets = trellis_plan::taint::secrets(&after, &[Path::from_keys(["name"])]);
    let message = "ValidationException: Value 's3cret-name' at 'name' failed; s3cret too";
    assert_eq!(
        replace_secrets(message, secrets),
        "ValidationException: Value '(sensitive value)' at 'name' failed; (sensitive value) too"
    );
    assert_eq!(
        replace_secrets("nothing to hide", Vec::new()),
        "nothing to hide"
    );
}

fn change(addr: &str, action: trellis_plan::Action, deps: &[&str]) -> trellis_plan::Change {
    trellis_plan::Change {
        address: trellis_types::Address::parse(addr).unwrap(),
        type_name: addr.split('.').next().unwrap().to_string(),
        provider: "trellis".to_string(),
        location: None,
        action,
        before: Some(Value::Null),
        after: None,
        before_sensitive: Vec::new(),
        after_sensitive: Vec::new(),
        replace_paths: Vec::new(),
        reason: None,
        dependencies: deps
            .iter()
            .map(|d| trellis_types::Address::parse(d).unwrap())
            .collect(),
        moved_from: None,
        importing: None,
        adopted: false,
        create_before_destroy: false,
        schema_version: 0,
    }
}

#[test]
fn a_deposed_object_is_deleted_after_its_dependents_and_its_replacement_moved() {
    use trellis_plan::{Action, Reason};
    // tg has a deposed object; its current object is created again in this run (the create
    // of an interrupted replacement), and the rule that uses it is updated.
    let mut deposed = change("x_tg.tg", Action::Delete, &[]);
    deposed.reason = Some(Reason::DeleteBecauseDeposed {
        key: "1a2b3c4d".to_string(),
    });
    let changes = vec![
        change("x_tg.tg", Action::Create, &[]),
        deposed,
        change("x_rule.r", Action::Update, &["x_tg.tg"]),
    ];
    let ops = super::operations(&changes);
    let op_of = |i: usize| ops.iter().position(|o| o.change == i).unwrap();
    let delete = &ops[op_of(1)];
    assert_eq!(delete.kind, super::OpKind::Delete);
    assert!(delete.waits_for.contains(&op_of(0)), "waits for the create");
    assert!(
        delete.waits_for.contains(&op_of(2)),
        "waits for the dependent"
    );
    // A plain delete of another address waits for neither.
    let plain = vec![
        change("x_tg.tg", Action::Create, &[]),
        change("x_tg.other", Action::Delete, &[]),
    ];
    let ops = super::operations(&plain);
    assert!(ops.iter().all(|o| o.waits_for.is_empty()));
}
