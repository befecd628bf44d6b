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
