//! The log: `TRELLIS_LOG=trace|debug|info|warn|error` turns it on, on stderr.
//!
//! Library crates emit `tracing` events and never print; this is the one place that decides
//! whether and where those events, and the AWS SDK's own, are written. Without
//! `TRELLIS_LOG` nothing is logged.
//!
//! trellis's own events carry addresses, actions and timings, never resource values. The
//! AWS SDK's events at `trace` do carry request and response bodies, so every line goes
//! through a redacting writer: the commands register the sensitive values they know of
//! (sensitive variables, sensitive attributes in state and in a saved plan, the AWS secret
//! key and session token of the environment) with [`redact`], and the writer replaces each
//! with `(sensitive value)` before the line reaches stderr.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

use tracing_subscriber::filter::LevelFilter;

static ENABLED: AtomicBool = AtomicBool::new(false);
/// Longest first, so that a secret containing another is replaced whole.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Reads `TRELLIS_LOG` and installs the subscriber. An unknown level is an error.
pub fn init() -> Result<(), String> {
    let Some(raw) = std::env::var_os("TRELLIS_LOG") else {
        return Ok(());
    };
    let raw = raw.to_string_lossy();
    let level = match raw.trim().to_ascii_lowercase().as_str() {
        "" | "off" => return Ok(()),
        "trace" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "info" => LevelFilter::INFO,
        "warn" => LevelFilter::WARN,
        "error" => LevelFilter::ERROR,
        other => {
            return Err(format!(
                "TRELLIS_LOG={other} is not a log level; use trace, debug, info, warn, error or off"
            ))
        }
    };
    ENABLED.store(true, Ordering::SeqCst);
    redact(
        ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
            .iter()
            .filter_map(|k| std::env::var(k).ok()),
    );
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(|| Redacting)
        .with_ansi(false)
        .with_target(true)
        .try_init()
        .map_err(|e| format!("cannot start the log: {e}"))
}

/// Registers values that the log must never show. Cheap when logging is off.
pub fn redact(values: impl IntoIterator<Item = String>) {
    if !ENABLED.load(Ordering::SeqCst) {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    // Two characters or fewer would blank ordinary words out of every line.
    secrets.extend(values.into_iter().filter(|s| s.chars().count() >= 3));
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    secrets.dedup();
}

/// Registers the sensitive values of a state.
pub fn redact_state(state: &trellis_state::State) {
    if !ENABLED.load(Ordering::SeqCst) {
        return;
    }
    let mut values = Vec::new();
    for r in state.resources.values() {
        values.extend(trellis_plan::taint::secrets(&r.value, &r.sensitive_paths));
    }
    for i in state.intents.values() {
        values.extend(trellis_plan::taint::secrets(&i.planned, &i.sensitive_paths));
    }
    for o in state.outputs.values().filter(|o| o.sensitive) {
        values.extend(trellis_plan::taint::secrets(
            &o.value,
            &[trellis_types::Path::root()],
        ));
    }
    redact(values);
}

/// Registers the sensitive values of a plan (its changes and its variables).
pub fn redact_plan(plan: &trellis_plan::Plan) {
    if !ENABLED.load(Ordering::SeqCst) {
        return;
    }
    let mut values = Vec::new();
    for c in &plan.changes {
        if let Some(after) = &c.after {
            values.extend(trellis_plan::taint::secrets(after, &c.after_sensitive));
        }
        if let Some(before) = &c.before {
            values.extend(trellis_plan::taint::secrets(before, &c.before_sensitive));
        }
    }
    redact(values);
}

/// Registers sensitive variables (values that carry a sensitive mark).
pub fn redact_variables(variables: &std::collections::BTreeMap<String, trellis_types::Value>) {
    if !ENABLED.load(Ordering::SeqCst) {
        return;
    }
    let mut values = Vec::new();
    for v in variables.values() {
        values.extend(trellis_plan::taint::secrets(v, &[]));
    }
    redact(values);
}

/// Writes one formatted event to stderr with every registered secret replaced. The fmt
/// layer formats a whole event before it writes, so a secret is never split across writes.
struct Redacting;

impl Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let secrets = SECRETS.read().unwrap_or_else(|p| p.into_inner());
        let mut stderr = std::io::stderr().lock();
        if secrets.is_empty() {
            stderr.write_all(buf)?;
        } else {
            let mut text = String::from_utf8_lossy(buf).into_owned();
            for secret in secrets.iter() {
                if text.contains(secret.as_str()) {
                    text = text.replace(secret.as_str(), "(sensitive value)");
                }
                // JSON bodies quote strings: a secret with quotes or backslashes appears
                // escaped there.
                let escaped = secret.replace('\\', "\\\\").replace('"', "\\\"");
                if escaped != *secret && text.contains(escaped.as_str()) {
                    text = text.replace(escaped.as_str(), "(sensitive value)");
                }
            }
            stderr.write_all(text.as_bytes())?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
