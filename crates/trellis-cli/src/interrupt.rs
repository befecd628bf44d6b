//! Interrupts during apply, and what the user is told about them.
//!
//! The first SIGINT or SIGTERM asks the executor to start no new operation; the ones running
//! finish and are recorded, and the apply ends with a summary. A second signal abandons the
//! running operations: the command stops waiting for them, says which they were, and exits.
//! Either way the state holds every operation that completed (it is written one resource at
//! a time), and a create that was abandoned mid-call has an intent that the next plan settles.
//!
//! This module only listens and counts; what an interrupt means for the executor is
//! `trellis_apply`'s `interrupt` input.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use trellis_plan::{Action, ApplyEvent, Plan};

/// Listens for SIGINT and SIGTERM for as long as it lives.
pub struct Signals {
    /// Becomes true on the first signal.
    pub stop: watch::Receiver<bool>,
    abandon: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Signals {
    /// Starts listening. Until a signal arrives nothing changes; the default action (exit)
    /// no longer applies to SIGINT and SIGTERM while the value lives.
    pub fn listen() -> Signals {
        let (tx, stop) = watch::channel(false);
        let abandon = Arc::new(Notify::new());
        let task = tokio::spawn(watch(tx, abandon.clone()));
        Signals {
            stop,
            abandon,
            task,
        }
    }

    /// Whether a first signal has arrived.
    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Completes when a second signal arrives.
    pub async fn abandoned(&self) {
        self.abandon.notified().await
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[allow(clippy::print_stderr)]
async fn watch(tx: watch::Sender<bool>, abandon: Arc<Notify>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    let mut count = 0;
    loop {
        let name = tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        };
        count += 1;
        tracing::warn!(signal = name, count, "signal received");
        if count == 1 {
            eprintln!(
                "\nInterrupt received ({name}): no new changes will start; waiting for the running ones to finish (interrupt again to abandon them)."
            );
            let _ = tx.send(true);
        } else {
            eprintln!("\nInterrupt received again ({name}): abandoning the running changes.");
            // A stored permit: the apply sees it even if it is not waiting at this moment.
            abandon.notify_one();
        }
    }
}

/// What an apply has done so far, from its events.
#[derive(Debug, Default)]
pub struct Progress {
    running: BTreeMap<String, Action>,
    /// Addresses that an operation started on, finished, was skipped or recorded.
    touched: BTreeSet<String>,
    completed: usize,
    failed: usize,
}

impl Progress {
    pub fn observe(&mut self, event: &ApplyEvent) {
        match event {
            ApplyEvent::Started { address, action } => {
                self.running.insert(address.to_string(), *action);
                self.touched.insert(address.to_string());
            }
            ApplyEvent::Completed { address, .. } => {
                self.running.remove(&address.to_string());
                self.completed += 1;
            }
            ApplyEvent::Failed { address, .. } => {
                self.running.remove(&address.to_string());
                self.failed += 1;
            }
            ApplyEvent::Skipped { address, .. } | ApplyEvent::Recorded { address, .. } => {
                self.touched.insert(address.to_string());
            }
            ApplyEvent::Settled { .. } | ApplyEvent::StillRunning { .. } => {}
        }
    }

    /// The changes of `plan` that no operation started on.
    pub fn not_started(&self, plan: &Plan) -> Vec<String> {
        plan.changes
            .iter()
            .filter(|c| c.has_work())
            .map(|c| c.address.to_string())
            .filter(|a| !self.touched.contains(a))
            .collect()
    }

    /// The list of changes that never started, after an interrupted apply.
    pub fn render_not_started(&self, plan: &Plan) -> String {
        let not_started = self.not_started(plan);
        let mut out = String::new();
        if !not_started.is_empty() {
            let _ = writeln!(out, "\nNot started (a later apply makes them):");
            for a in not_started {
                let _ = writeln!(out, "  {a}");
            }
        }
        out
    }

    /// The summary after running operations were abandoned.
    pub fn render_abandoned(&self, plan: &Plan) -> String {
        let not_started = self.not_started(plan);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nApply abandoned! Changes: {} completed, {} failed, {} abandoned while running, {} not started.",
            self.completed,
            self.failed,
            self.running.len(),
            not_started.len()
        );
        if !self.running.is_empty() {
            let _ = writeln!(
                out,
                "\nAbandoned while running (their outcome is unknown until the next plan reads them back; a create\nabandoned mid-call left an intent, so the next run adopts the object instead of creating it again):"
            );
            for (address, action) in &self.running {
                let _ = writeln!(out, "  {address} ({})", action_word(*action));
            }
        }
        if !not_started.is_empty() {
            let _ = writeln!(out, "\nNot started:");
            for a in not_started {
                let _ = writeln!(out, "  {a}");
            }
        }
        let _ = writeln!(
            out,
            "\nThe state holds every change that completed. Run trellis plan to see what is left."
        );
        out
    }
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "delete",
        Action::Read => "read",
        Action::DeleteThenCreate | Action::CreateThenDelete => "replace",
        Action::NoOp => "record",
        Action::Forget => "forget",
    }
}
