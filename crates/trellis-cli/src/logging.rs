//! The log: `TRELLIS_LOG=trace|debug|info|warn|error` turns it on, on stderr.
//!
//! Library crates emit `tracing` events and never print; this is the one place that decides
//! whether and where those events, and the AWS SDK's own, are written. Without
//! `TRELLIS_LOG` nothing is logged. Events carry addresses, actions and timings, never
//! resource values, so sensitive values cannot reach the log through trellis's own events.

use tracing_subscriber::filter::LevelFilter;

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
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(true)
        .try_init()
        .map_err(|e| format!("cannot start the log: {e}"))
}
