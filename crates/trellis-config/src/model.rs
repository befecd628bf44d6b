//! The typed, unevaluated configuration.
//!
//! Expressions stay as hcl-edit syntax trees ([`Expression`]) so that evaluation happens later,
//! with the values the planner knows at that time, and so that every sub-expression keeps its
//! byte span for diagnostics. `file` fields name the [`trellis_types::SourceFile`] an item
//! came from.

use std::collections::BTreeMap;

pub use hcl_edit::expr::Expression;
pub use hcl_edit::structure::Body;
use trellis_types::{Address, Mode, Path, Span};

/// A whole configuration directory (one module), with the modules it calls once
/// [`crate::load_modules`] has read them.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The directory of this module relative to the working directory (`modules/net`);
    /// empty for the root module.
    pub module_dir: String,
    pub terraform: Terraform,
    pub providers: Vec<ProviderConfig>,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, Local>,
    pub outputs: BTreeMap<String, Output>,
    /// Managed resources and data sources, in source order.
    pub resources: Vec<Resource>,
    pub moved: Vec<Moved>,
    /// `removed` blocks (root module only), in source order.
    pub removed: Vec<Removed>,
    pub imports: Vec<Import>,
    /// `check "NAME" { assert { ... } }` blocks, by name.
    pub checks: BTreeMap<String, Check>,
    /// `module "NAME" { ... }` blocks, by name.
    pub modules: BTreeMap<String, ModuleCall>,
    /// The configuration each module call loads, by call name (filled by
    /// [`crate::load_modules`]; a call whose module could not be loaded has none).
    pub children: BTreeMap<String, Config>,
}

impl Config {
    /// The module at a static path of call names (`["net", "inner"]` is
    /// `module.net.module.inner`); the empty path is this module.
    pub fn module(&self, path: &[String]) -> Option<&Config> {
        let mut at = self;
        for name in path {
            at = at.children.get(name)?;
        }
        Some(at)
    }

    /// Whether this configuration calls any module.
    pub fn has_modules(&self) -> bool {
        !self.modules.is_empty()
    }

    /// This module and every module below it, each with its static path, parents before
    /// their children.
    pub fn all_modules(&self) -> Vec<(Vec<String>, &Config)> {
        let mut out = Vec::new();
        let mut stack: Vec<(Vec<String>, &Config)> = vec![(Vec::new(), self)];
        while let Some((path, config)) = stack.pop() {
            for (name, child) in config.children.iter().rev() {
                let mut p = path.clone();
                p.push(name.clone());
                stack.push((p, child));
            }
            out.push((path, config));
        }
        out
    }

    /// The directory of this module as `path.module` shows it: `.` for the root module.
    pub fn dir(&self) -> &str {
        if self.module_dir.is_empty() {
            "."
        } else {
            &self.module_dir
        }
    }
}

/// `module "NAME" { source = "./modules/x" ... }`.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    /// The `source` as written: a local path starting with `./` or `../`, or a remote
    /// source (registry, git, archive URL) that `trellis init` installs.
    pub source: String,
    pub source_span: Span,
    /// The `version` constraint as written (registry modules only), and where.
    pub version: Option<(String, Span)>,
    pub count: Option<Expression>,
    pub for_each: Option<Expression>,
    pub depends_on: Vec<Traversal>,
    /// `providers = { aws = aws.network }`: (the name inside the module, the configuration
    /// of the calling module it stands for).
    pub providers: Vec<(ProviderRef, ProviderRef)>,
    /// Every other argument: a value for the module's input variable of that name.
    pub arguments: BTreeMap<String, ModuleArgument>,
    pub file: String,
    /// The whole block.
    pub span: Span,
    /// The block's type and label.
    pub header: Span,
}

/// One argument of a module call.
#[derive(Debug, Clone)]
pub struct ModuleArgument {
    pub name: String,
    pub expr: Expression,
    /// The argument's name.
    pub span: Span,
}

/// The `terraform { }` block(s), merged.
#[derive(Debug, Clone, Default)]
pub struct Terraform {
    pub required_version: Option<String>,
    /// `required_providers { aws = { source, version } }`: name to source (accepted, unused).
    pub required_providers: BTreeMap<String, String>,
    pub backend: Option<Backend>,
    pub span: Option<Span>,
}

/// `terraform { backend "s3" { ... } }`.
#[derive(Debug, Clone)]
pub struct Backend {
    /// `s3` or `local`.
    pub kind: String,
    pub body: Body,
    /// The arguments, checked against the backend's known ones and rendered as text:
    /// strings as they are, booleans as `true` / `false`, numbers in decimal. Arguments of
    /// nested blocks have dotted names (`assume_role.role_arn`, `endpoints.s3`), the same
    /// names `-backend-config=KEY=VALUE` takes.
    pub settings: BTreeMap<String, BackendSetting>,
    pub file: String,
    pub span: Span,
}

/// One argument of a backend block.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendSetting {
    pub value: String,
    pub span: Span,
}

/// The backend types trellis has, and the arguments each takes (dotted for nested blocks).
pub const BACKEND_ARGUMENTS: &[(&str, &[&str])] = &[
    ("local", &["path"]),
    (
        "s3",
        &[
            "bucket",
            "key",
            "region",
            "use_lockfile",
            "profile",
            "shared_config_files",
            "shared_credentials_files",
            "encrypt",
            "kms_key_id",
            "acl",
            "endpoint",
            "endpoints.s3",
            "endpoints.sts",
            "sts_endpoint",
            "use_path_style",
            "force_path_style",
            "role_arn",
            "session_name",
            "external_id",
            "assume_role.role_arn",
            "assume_role.session_name",
            "assume_role.external_id",
            "assume_role.duration",
            "max_retries",
            "skip_credentials_validation",
            "skip_region_validation",
            "skip_requesting_account_id",
            "skip_metadata_api_check",
            "skip_s3_checksum",
        ],
    ),
];

/// A `provider "aws" { alias = "network" ... }` block.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    /// The block body without `alias`.
    pub body: Body,
    pub file: String,
    pub span: Span,
}

impl ProviderConfig {
    /// `aws` or `aws.network`.
    pub fn key(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{}.{alias}", self.name),
            None => self.name.clone(),
        }
    }
}

/// A type constraint of a variable, as written (`list(object({ a = string, b = optional(number, 1) }))`).
/// Defined in trellis-types, which the evaluator shares.
pub use trellis_types::{ObjectAttribute, TypeConstraint};

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub ty: Option<TypeConstraint>,
    pub default: Option<Expression>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Validation>,
    pub file: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Validation {
    pub condition: Expression,
    pub error_message: Expression,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub expr: Expression,
    pub file: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub value: Expression,
    pub description: Option<String>,
    pub sensitive: bool,
    pub depends_on: Vec<Traversal>,
    pub file: String,
    pub span: Span,
}

/// A reference written as a bare traversal in a meta-argument (`depends_on`,
/// `ignore_changes`, `replace_triggered_by`, `provider`).
#[derive(Debug, Clone, PartialEq)]
pub struct Traversal {
    /// The dotted text, e.g. `aws_vpclattice_service.orders` or `tags["team"]`.
    pub text: String,
    pub span: Span,
}

/// `provider = aws.network`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRef {
    pub name: String,
    pub alias: Option<String>,
    pub span: Span,
}

impl ProviderRef {
    pub fn key(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{}.{alias}", self.name),
            None => self.name.clone(),
        }
    }
}

/// `lifecycle { }`.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    /// References to resources (or their attributes) whose replacement replaces this one.
    pub replace_triggered_by: Vec<Expression>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum IgnoreChanges {
    #[default]
    None,
    /// `ignore_changes = all`.
    All,
    /// Attribute paths, e.g. `tags["team"]`, `config.health_check`.
    Paths(Vec<Path>),
}

/// A `resource` or `data` block.
#[derive(Debug, Clone)]
pub struct Resource {
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    pub provider: Option<ProviderRef>,
    pub count: Option<Expression>,
    pub for_each: Option<Expression>,
    pub depends_on: Vec<Traversal>,
    pub lifecycle: Lifecycle,
    /// The body without meta-arguments (`count`, `for_each`, `provider`, `depends_on`,
    /// `lifecycle`); it still holds `dynamic` blocks, which evaluation expands.
    pub body: Body,
    pub file: String,
    /// The whole block.
    pub span: Span,
    /// The type label, for "unknown resource type" diagnostics.
    pub type_span: Span,
}

impl Resource {
    /// The address of the resource (no instance key), in the root module.
    pub fn address(&self) -> Address {
        match self.mode {
            Mode::Managed => Address::managed(&self.type_name, &self.name),
            Mode::Data => Address::data(&self.type_name, &self.name),
        }
    }

    /// The name of the provider that serves this resource: the explicit `provider`
    /// meta-argument, else the type's prefix before the first underscore.
    pub fn provider_key(&self) -> String {
        match &self.provider {
            Some(p) => p.key(),
            None => implied_provider(&self.type_name).to_string(),
        }
    }
}

/// The provider a resource type belongs to by name: `aws_vpclattice_service` is `aws`.
pub fn implied_provider(type_name: &str) -> &str {
    type_name.split('_').next().unwrap_or(type_name)
}

/// `moved { from = aws_x.a  to = aws_x.b }`.
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: Address,
    pub to: Address,
    pub file: String,
    pub span: Span,
}

/// `removed { from = aws_x.a  lifecycle { destroy = false } }`: a resource, or everything
/// of a module call, taken out of the configuration on purpose. With `destroy = false` its
/// objects leave the state and stay in AWS; with `destroy = true` (the default) they are
/// destroyed, as if the block were simply gone.
#[derive(Debug, Clone)]
pub struct Removed {
    /// The module calls `from` goes through (`module.a.module.b.aws_x.c` is `["a", "b"]`);
    /// for a removed module call, its whole path.
    pub module: Vec<String>,
    /// The resource's type and name; `None` when `from` names a module call.
    pub resource: Option<(String, String)>,
    pub destroy: bool,
    pub file: String,
    /// The span of `from`'s value.
    pub span: Span,
}

impl Removed {
    /// `from` as written: `aws_x.a`, `module.a`, `module.a.aws_x.b`.
    pub fn from_text(&self) -> String {
        let mut parts: Vec<String> = self.module.iter().map(|m| format!("module.{m}")).collect();
        if let Some((type_name, name)) = &self.resource {
            parts.push(format!("{type_name}.{name}"));
        }
        parts.join(".")
    }

    /// Whether the resource instance at `module` (call names, keys dropped), `type_name`
    /// and `name` is one this block removes.
    pub fn covers(&self, module: &[String], type_name: &str, name: &str) -> bool {
        match &self.resource {
            Some((t, n)) => module == self.module.as_slice() && t == type_name && n == name,
            None => module.starts_with(&self.module),
        }
    }
}

/// `check "NAME" { assert { condition, error_message } }`: assertions evaluated after plan
/// and after apply; a failed one is a warning, not an error.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    /// The `assert` blocks, in source order (a [`Validation`] each: its span is the
    /// condition's).
    pub asserts: Vec<Validation>,
    pub file: String,
    /// The block's type and label.
    pub header: Span,
}

/// `import { to = aws_x.a  id = "..." }`.
#[derive(Debug, Clone)]
pub struct Import {
    /// The target address as written; it may contain `each.key` in its key, so it stays an
    /// expression-bearing traversal text until evaluation.
    pub to: Traversal,
    /// The instance key of `to` when it is an expression (`aws_x.a[each.key]`), evaluated
    /// per `for_each` element.
    pub to_key: Option<Expression>,
    pub id: Expression,
    pub provider: Option<ProviderRef>,
    pub for_each: Option<Expression>,
    pub file: String,
    pub span: Span,
}
