//! The plan: plain, serializable data. A saved plan file is this, as JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trellis_types::{Address, Diagnostic, Location, Path, Value};

/// What apply will do to one resource instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    /// A data source read at apply time (its configuration depends on pending changes).
    Read,
    Update,
    /// Replace: the old object is deleted first (the default).
    DeleteThenCreate,
    /// Replace under `lifecycle { create_before_destroy = true }`.
    CreateThenDelete,
    Delete,
    /// A `removed` block with `lifecycle { destroy = false }`: the object leaves the state
    /// and stays where it is, with no provider call.
    Forget,
}

impl Action {
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// Terraform's action list for this action (`["delete", "create"]`).
    pub fn terraform_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
            Action::Forget => &["forget"],
        }
    }
}

/// Why an action was chosen, when it is not obvious.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Reason {
    /// Attributes that cannot be updated in place changed (listed in `replace_paths`).
    ReplaceBecauseCannotUpdate,
    /// `-replace=ADDR`.
    ReplaceByRequest,
    /// `lifecycle { replace_triggered_by }`: the named references change.
    ReplaceByTriggers { triggers: Vec<String> },
    /// The resource is no longer in the configuration.
    DeleteBecauseNoResourceConfig,
    /// The instance key is out of the new `count` range.
    DeleteBecauseCountIndex,
    /// The instance key is no longer in `for_each`.
    DeleteBecauseEachKey,
    /// The module instance it belongs to is no longer in the configuration (its module
    /// block was removed, or its key left the call's `count` or `for_each`).
    DeleteBecauseNoModule,
    /// `plan -destroy` or `trellis destroy`.
    DeleteBecauseDestroy,
    /// A data source whose configuration depends on pending changes.
    ReadBecauseDependencyPending,
    /// The object is a deposed object of the address (left by a create_before_destroy
    /// replacement whose delete did not complete); `key` is its deposed key. The change is
    /// a delete of that object, not of the address's current object.
    DeleteBecauseDeposed { key: String },
}

/// The planned change of one resource instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub type_name: String,
    /// The provider configuration (`aws`, `aws.network`).
    pub provider: String,
    /// Where the change lands (account and region), when the provider says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub action: Action,
    /// The value before (refreshed state); no sensitive marks.
    pub before: Option<Value>,
    /// The value after; [`Value::Unknown`] where only apply can know; no sensitive marks.
    pub after: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before_sensitive: Vec<Path>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after_sensitive: Vec<Path>,
    /// The attributes that force a replace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace_paths: Vec<Path>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Managed instances this one depends on (from the configuration, or from state for
    /// deletes). Apply orders by them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Address>,
    /// The address in state before a `moved` block renamed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<Address>,
    /// The import ID when this change imports an existing object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importing: Option<String>,
    /// A create intent of an earlier run was settled: the object exists and apply records it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    pub schema_version: u32,
}

impl Change {
    /// The deposed key when this change deletes a deposed object of its address (then
    /// it is not the address's current object: `changes` may hold another entry, for the
    /// current object, at the same address).
    pub fn deposed(&self) -> Option<&str> {
        match &self.reason {
            Some(Reason::DeleteBecauseDeposed { key }) => Some(key),
            _ => None,
        }
    }

    /// Whether apply has work to do for this change.
    pub fn has_work(&self) -> bool {
        self.action != Action::NoOp
            || self.moved_from.is_some()
            || self.importing.is_some()
            || self.adopted
    }
}

/// A planned change of an output value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

/// Options a plan was made with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanOptions {
    pub destroy: bool,
    pub refresh: bool,
    /// Refresh reads every object in full instead of letting providers skip the objects
    /// their private data says are unchanged (`-refresh=full`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full_refresh: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<Address>,
}

/// Everything apply needs, and everything a reviewer reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub trellis_version: String,
    /// The state the plan was made against.
    pub lineage: String,
    pub serial: u64,
    /// A hash of every configuration file; apply refuses a plan whose configuration changed.
    pub config_hash: String,
    pub options: PlanOptions,
    /// Input variable values (with sensitive marks), so apply evaluates as plan did.
    pub variables: BTreeMap<String, Value>,
    /// One entry per resource instance, no-ops included, sorted by address; after the
    /// entry of an address come the deletes of its deposed objects, by deposed key.
    pub changes: Vec<Change>,
    /// Differences between state and the real world found by refresh.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Change>,
    /// Provider private data that refresh learned anew (see [`trellis_provider::Private`];
    /// `null` when the provider dropped it); apply records it for the objects it leaves
    /// alone, so that later refreshes can skip them. Never shown.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refreshed_private: BTreeMap<Address, serde_json::Value>,
    /// Provider private data that planning returned for the changes apply carries out (a
    /// plugin's PlanResourceChange `planned_private`), by address; apply hands it back with
    /// the change. Never shown.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub planned_private: BTreeMap<Address, serde_json::Value>,
    pub outputs: Vec<OutputChange>,
    /// Warnings found while planning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
}

pub const PLAN_FORMAT_VERSION: u32 = 1;

/// Counts for the closing line `Plan: X to add, Y to change, Z to destroy.`
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub import: usize,
    pub moved: usize,
    /// Objects that leave the state and stay in AWS (`removed` with `destroy = false`).
    #[serde(default)]
    pub forget: usize,
}

impl Summary {
    /// Counts one change (a replace is one add and one destroy, as Terraform counts it).
    fn count(&mut self, c: &Change) {
        match c.action {
            Action::Create => self.add += 1,
            Action::Update => self.change += 1,
            Action::Delete => self.destroy += 1,
            Action::Forget => self.forget += 1,
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                self.add += 1;
                self.destroy += 1;
            }
            Action::NoOp | Action::Read => {}
        }
        if c.importing.is_some() {
            self.import += 1;
        }
        if c.moved_from.is_some() {
            self.moved += 1;
        }
    }

    /// Whether nothing is counted.
    pub fn is_empty(&self) -> bool {
        *self == Summary::default()
    }
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            s.count(c);
        }
        s
    }

    /// Whether apply has refreshed values or private data to record, changes or not.
    pub fn records_refresh(&self) -> bool {
        !self.drift.is_empty() || !self.refreshed_private.is_empty()
    }

    /// [`Plan::summary`] per location (the account and region of each change's provider),
    /// ordered by location, changes whose provider gave none first (under `None`). Locations
    /// whose changes are all no-ops and reads are left out.
    pub fn summary_by_location(&self) -> Vec<(Option<Location>, Summary)> {
        let mut by: BTreeMap<Option<Location>, Summary> = BTreeMap::new();
        for c in &self.changes {
            let mut s = Summary::default();
            s.count(c);
            if !s.is_empty() {
                by.entry(c.location.clone()).or_default().count(c);
            }
        }
        by.into_iter().collect()
    }

    /// Whether applying would change anything (resources, outputs, moves or imports).
    pub fn has_changes(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.has_work() && c.action != Action::Read)
            || self.outputs.iter().any(|o| o.action != Action::NoOp)
    }
}

/// What the executor reports while it applies a plan, for views to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum ApplyEvent {
    /// A create intent left by an earlier run was found to exist and was recorded.
    Settled {
        address: Address,
        id: Option<String>,
    },
    /// An operation started. `action` is Create, Update, Delete or Read (the halves of a
    /// replace are reported as Delete and Create).
    Started { address: Address, action: Action },
    /// An operation finished; `id` is the object's ID when it has one.
    Completed {
        address: Address,
        action: Action,
        elapsed_ms: u64,
        id: Option<String>,
    },
    /// An operation is still running (sent every 10 seconds).
    StillRunning {
        address: Address,
        action: Action,
        elapsed_ms: u64,
    },
    Failed {
        address: Address,
        action: Action,
        message: String,
    },
    /// Not attempted because something it depends on failed.
    Skipped {
        address: Address,
        action: Action,
        because: Address,
    },
    /// Recorded in state without a remote call (import, moved, adopted).
    Recorded { address: Address, note: String },
}

/// The outcome of an apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApplySummary {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub imported: usize,
    /// Objects removed from the state and left in place (`removed` with `destroy = false`).
    #[serde(default)]
    pub forgotten: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Set when an interrupt stopped the apply before every change was started.
    pub interrupted: bool,
    /// Operations not started because of the interrupt.
    pub not_started: usize,
    pub errors: Vec<Diagnostic>,
    /// Warnings found after the apply: `check` assertions that failed.
    #[serde(default)]
    pub warnings: Vec<Diagnostic>,
    pub outputs: BTreeMap<String, OutputValue>,
}

/// An output value after apply, for views.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputValue {
    pub value: Value,
    pub sensitive: bool,
}
