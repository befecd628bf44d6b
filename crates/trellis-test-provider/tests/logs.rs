//! The plugin's stderr and its go-plugin stdio stream go to trellis's log (`tracing`, debug
//! level), with the provider's address. Its own test binary, since it installs the
//! process-wide subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};

use trellis_plugin::{PluginFactory, PluginSpec};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn plugin_output_is_logged_at_debug() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let dir = tempfile::tempdir().unwrap();
    let mut spec = PluginSpec::new(
        "registry.terraform.io/trellis/tptest",
        env!("CARGO_BIN_EXE_trellis-test-provider"),
    );
    spec.env = vec![(
        "TPTEST_STATE_FILE".into(),
        dir.path().join("o.json").display().to_string(),
    )];
    let factory = PluginFactory::start("tptest", spec).unwrap();
    // Shutdown makes the plugin write "shutting down" and close its stderr.
    factory.shutdown();
    let mut text = String::new();
    for _ in 0..3000 {
        text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        if text.contains("shutting down") && text.contains("hello from the plugin") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let line = text
        .lines()
        .find(|l| l.contains("trellis-test-provider serving protocol 6"))
        .unwrap_or_else(|| panic!("no plugin stderr in the log:\n{text}"));
    assert!(line.contains("DEBUG"), "{line}");
    assert!(
        line.contains("provider=registry.terraform.io/trellis/tptest"),
        "{line}"
    );
    assert!(text.contains("shutting down"), "{text}");
    // What go-plugin streams from the plugin's redirected stdout is logged too.
    let line = text
        .lines()
        .find(|l| l.contains("hello from the plugin's stdout"))
        .unwrap_or_else(|| panic!("no plugin stdio in the log:\n{text}"));
    assert!(
        line.contains("DEBUG") && line.contains("trellis_plugin::stdio"),
        "{line}"
    );
}
