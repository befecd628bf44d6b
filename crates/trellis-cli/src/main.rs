//! The `trellis` binary: parses arguments, runs one operation, renders its result with a
//! view, and maps failures to exit codes (0 success, 1 error, 2 changes present under
//! `-detailed-exitcode`).
//!
//! It holds no planning or apply logic of its own; that lives in the library crates.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod backend;
mod commands;
mod files;
mod import;
mod init_providers;
mod interrupt;
mod logging;
mod migrate;
mod plugins;
mod remote_state;
mod workspace;

use std::io::IsTerminal;
use std::path::PathBuf;

use trellis_views::Style;
use workspace::Failure;

/// How a command talks to the user: output styles and the working directory.
pub struct Ui {
    pub style: Style,
    pub err_style: Style,
    pub dir: PathBuf,
}

fn main() {
    quiet_on_broken_pipe();
    if let Err(e) = logging::init() {
        eprintln!("Error: {e}");
        std::process::exit(1);
    }
    let argv: Vec<String> = std::env::args().skip(1).collect();
    tracing::debug!(version = env!("CARGO_PKG_VERSION"), "trellis started");
    let code = match args::parse(argv) {
        Err(e) => {
            eprintln!("Error: {e:#}\n\nRun trellis -help for usage.");
            1
        }
        Ok((global, command)) => {
            // NO_COLOR is honoured when set to anything but the empty string (no-color.org);
            // colour is also off whenever the stream is not a terminal (CI logs, pipes).
            let no_color =
                global.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let ui = Ui {
                style: style_for(!no_color && std::io::stdout().is_terminal()),
                err_style: style_for(!no_color && std::io::stderr().is_terminal()),
                dir: PathBuf::from(global.chdir.as_deref().unwrap_or(".")),
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("the tokio runtime starts");
            match runtime.block_on(commands::run(&ui, command)) {
                Ok(code) => code,
                Err(Failure::Diagnostics(diags, sources)) => {
                    eprint!(
                        "{}",
                        trellis_views::render_diagnostics(&diags, &sources, ui.err_style)
                    );
                    1
                }
                Err(Failure::Error(e)) => {
                    eprintln!("Error: {e:#}");
                    1
                }
            }
        }
    };
    std::process::exit(code);
}

/// A reader that goes away (`trellis show | head`) ends the process quietly with the
/// status a pipe writer killed by SIGPIPE has (141), instead of the panic that Rust's
/// `print!` raises on a closed stdout. What was already done stays done: state is written
/// per change, so stopping here is no different from any other interruption.
fn quiet_on_broken_pipe() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default_hook(info);
    }));
}

fn style_for(color: bool) -> Style {
    if color {
        Style::colored()
    } else {
        Style::plain()
    }
}
