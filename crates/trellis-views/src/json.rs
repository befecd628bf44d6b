//! The plan as JSON, in the shape of Terraform's JSON plan format, so that policy tools
//! written for `terraform show -json` read trellis plans.
//!
//! Differences from Terraform's format, on purpose:
//!
//! - **Sensitive values are redacted.** Terraform writes sensitive values in clear in
//!   `before`, `after`, `planned_values` and `prior_state` and only flags them in
//!   `before_sensitive` / `after_sensitive`. trellis never lets a secret reach a view, so
//!   every sensitive value is written as `null` (and flagged `true` in the matching
//!   `*_sensitive` structure, which keeps Terraform's shape). A sensitive output's `before`
//!   and `after` are `null`.
//! - `terraform_version` holds the trellis version.
//! - `configuration` and `relevant_attributes` are not written.
//! - Unknown values are left out of objects in `after` and `planned_values` (as Terraform
//!   does) and are `null` inside lists; `after_unknown` says where they are.
//! - A `trellis` object carries what Terraform has no field for: the state lineage and
//!   serial the plan was made against, the configuration hash and the plan options.
//! - Each entry of `resource_changes` and `resource_drift` whose provider knows where it
//!   acts carries `trellis_location`: the provider configuration (`provider_config_key`,
//!   `aws.network`: Terraform's `provider_name` cannot tell aliases apart) and the account
//!   (`account_id`) and `region` the change lands in, as separate fields (`null` when the
//!   provider does not know one), so that a policy can match on them without parsing text.

use serde_json::{json, Map, Value as Json};
use trellis_plan::{Action, Change, OutputChange, Plan, Reason};
use trellis_types::{InstanceKey, Mode, Path, PathStep, Value};

/// Terraform's JSON plan format version that this output follows.
pub const FORMAT_VERSION: &str = "1.2";

/// The plan as a JSON value (see the module documentation for the differences from
/// Terraform's format).
pub fn plan_json(plan: &Plan) -> Json {
    let outputs: Map<String, Json> = plan
        .outputs
        .iter()
        .map(|o| (o.name.clone(), output_change(o)))
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "terraform_version": plan.trellis_version,
        "planned_values": planned_values(plan),
        "resource_changes": plan.changes.iter().map(resource_change).collect::<Vec<_>>(),
        "resource_drift": plan.drift.iter().map(resource_change).collect::<Vec<_>>(),
        "output_changes": outputs,
        "prior_state": prior_state(plan),
        "connectivity": crate::connectivity::json_section(&trellis_mesh::analyze(plan)),
        "diagnostics": plan.warnings.iter().map(diagnostic).collect::<Vec<_>>(),
        "applyable": plan.has_changes(),
        "complete": true,
        "errored": false,
        "trellis": {
            "plan_format_version": plan.format_version,
            "lineage": plan.lineage,
            "serial": plan.serial,
            "config_hash": plan.config_hash,
            "destroy": plan.options.destroy,
            "refresh": plan.options.refresh,
        },
    })
}

/// A planner warning, in the shape of Terraform's machine-readable diagnostics.
fn diagnostic(d: &trellis_types::Diagnostic) -> Json {
    let mut obj = Map::new();
    obj.insert(
        "severity".into(),
        json!(match d.severity {
            trellis_types::Severity::Error => "error",
            trellis_types::Severity::Warning => "warning",
        }),
    );
    obj.insert("summary".into(), json!(d.summary));
    if let Some(detail) = &d.detail {
        obj.insert("detail".into(), json!(detail));
    }
    if let Some(address) = &d.address {
        obj.insert("address".into(), json!(address));
    }
    Json::Object(obj)
}

/// `registry.terraform.io/hashicorp/aws` for the built-in AWS provider (and its aliases),
/// the provider configuration name otherwise.
fn provider_name(provider: &str) -> String {
    let base = provider.split('.').next().unwrap_or(provider);
    if base == "aws" {
        "registry.terraform.io/hashicorp/aws".to_string()
    } else {
        provider.to_string()
    }
}

fn mode(m: Mode) -> &'static str {
    match m {
        Mode::Managed => "managed",
        Mode::Data => "data",
    }
}

fn index(key: &InstanceKey) -> Json {
    match key {
        InstanceKey::Int(i) => json!(i),
        InstanceKey::Str(s) => json!(s),
    }
}

/// The identifying fields every resource entry starts with.
fn resource_head(change: &Change) -> Map<String, Json> {
    let mut obj = Map::new();
    let address = &change.address;
    obj.insert("address".into(), json!(address.to_string()));
    let module = address.module_path();
    if !module.is_empty() {
        obj.insert("module_address".into(), json!(module));
    }
    obj.insert("mode".into(), json!(mode(address.mode)));
    obj.insert("type".into(), json!(change.type_name));
    obj.insert("name".into(), json!(address.name));
    if let Some(key) = &address.key {
        obj.insert("index".into(), index(key));
    }
    obj.insert(
        "provider_name".into(),
        json!(provider_name(&change.provider)),
    );
    obj
}

fn resource_change(change: &Change) -> Json {
    let mut obj = resource_head(change);
    if let Some(from) = &change.moved_from {
        obj.insert("previous_address".into(), json!(from.to_string()));
    }
    // As Terraform: a deposed object's entry names its key and gives no action_reason.
    if let Some(key) = change.deposed() {
        obj.insert("deposed".into(), json!(key));
    }
    let before = match change.action {
        Action::Create | Action::Read => None,
        _ => change.before.as_ref(),
    };
    let after = match change.action {
        Action::Delete => None,
        _ => change.after.as_ref(),
    };
    let mut inner = Map::new();
    inner.insert("actions".into(), json!(change.action.terraform_actions()));
    inner.insert(
        "before".into(),
        redacted_or_null(before, &change.before_sensitive),
    );
    inner.insert(
        "after".into(),
        redacted_or_null(after, &change.after_sensitive),
    );
    inner.insert(
        "after_unknown".into(),
        after.map_or(json!(false), unknown_shape),
    );
    inner.insert(
        "before_sensitive".into(),
        before.map_or(json!(false), |v| {
            sensitive_shape(v, &change.before_sensitive)
        }),
    );
    inner.insert(
        "after_sensitive".into(),
        after.map_or(json!(false), |v| {
            sensitive_shape(v, &change.after_sensitive)
        }),
    );
    if !change.replace_paths.is_empty() {
        inner.insert(
            "replace_paths".into(),
            Json::Array(change.replace_paths.iter().map(path_json).collect()),
        );
    }
    if let Some(id) = &change.importing {
        inner.insert("importing".into(), json!({ "id": id }));
    }
    obj.insert("change".into(), Json::Object(inner));
    if let Some(reason) = change.reason.as_ref().and_then(action_reason) {
        obj.insert("action_reason".into(), json!(reason));
    }
    if let Some(location) = &change.location {
        obj.insert(
            "trellis_location".into(),
            json!({
                "provider_config_key": change.provider,
                "account_id": location.account,
                "region": location.region,
            }),
        );
    }
    Json::Object(obj)
}

/// Terraform's name for a reason; `None` where Terraform writes no reason.
fn action_reason(reason: &Reason) -> Option<&'static str> {
    Some(match reason {
        Reason::ReplaceBecauseCannotUpdate => "replace_because_cannot_update",
        Reason::ReplaceByRequest => "replace_by_request",
        Reason::ReplaceByTriggers { .. } => "replace_by_triggers",
        Reason::DeleteBecauseNoResourceConfig => "delete_because_no_resource_config",
        Reason::DeleteBecauseCountIndex => "delete_because_count_index",
        Reason::DeleteBecauseEachKey => "delete_because_each_key",
        Reason::DeleteBecauseNoModule => "delete_because_no_module",
        Reason::ReadBecauseDependencyPending => "read_because_dependency_pending",
        Reason::DeleteBecauseDestroy | Reason::DeleteBecauseDeposed { .. } => return None,
    })
}

fn output_change(o: &OutputChange) -> Json {
    let before = match o.action {
        Action::Create => None,
        _ => o.before.as_ref(),
    };
    let after = match o.action {
        Action::Delete => None,
        _ => o.after.as_ref(),
    };
    let root = if o.sensitive {
        vec![Path::root()]
    } else {
        Vec::new()
    };
    json!({
        "actions": o.action.terraform_actions(),
        "before": redacted_or_null(before, &root),
        "after": redacted_or_null(after, &root),
        "after_unknown": after.map_or(json!(false), unknown_shape),
        "before_sensitive": before.map_or(json!(o.sensitive), |v| sensitive_shape(v, &root)),
        "after_sensitive": after.map_or(json!(o.sensitive), |v| sensitive_shape(v, &root)),
    })
}

fn path_json(path: &Path) -> Json {
    Json::Array(
        path.steps()
            .iter()
            .map(|step| match step {
                PathStep::Key(k) => json!(k),
                PathStep::Index(i) => json!(i),
            })
            .collect(),
    )
}

fn redacted_or_null(value: Option<&Value>, sensitive: &[Path]) -> Json {
    value.map_or(Json::Null, |v| redact(v, sensitive, &mut Path::root()))
}

fn is_sensitive(v: &Value, sensitive: &[Path], at: &Path) -> bool {
    v.is_sensitive() || sensitive.iter().any(|p| at.starts_with(p))
}

/// The value as JSON with sensitive parts replaced by `null` and unknown attributes left out.
fn redact(v: &Value, sensitive: &[Path], at: &mut Path) -> Json {
    if is_sensitive(v, sensitive, at) {
        return Json::Null;
    }
    match v {
        Value::List(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    at.push(PathStep::Index(i));
                    let j = redact(item, sensitive, at);
                    at.pop();
                    j
                })
                .collect(),
        ),
        Value::Map(map) => Json::Object(
            map.iter()
                .filter(|(_, item)| !item.is_unknown())
                .map(|(k, item)| {
                    at.push(PathStep::Key(k.clone()));
                    let j = redact(item, sensitive, at);
                    at.pop();
                    (k.clone(), j)
                })
                .collect(),
        ),
        other => other.to_json(),
    }
}

/// Terraform's `after_unknown`: `true` where unknown; objects keep only entries that are not
/// `false`; lists keep one entry per element.
fn unknown_shape(v: &Value) -> Json {
    match v.unmarked() {
        Value::Unknown => json!(true),
        Value::List(items) => Json::Array(items.iter().map(unknown_shape).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(k, item)| (k.clone(), unknown_shape(item)))
                .filter(|(_, j)| *j != json!(false))
                .collect(),
        ),
        _ => json!(false),
    }
}

/// Terraform's `*_sensitive`: the same shape as [`unknown_shape`], `true` where sensitive.
fn sensitive_shape(v: &Value, sensitive: &[Path]) -> Json {
    fn walk(v: &Value, sensitive: &[Path], at: &mut Path) -> Json {
        if is_sensitive(v, sensitive, at) {
            return json!(true);
        }
        match v {
            Value::List(items) => Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        at.push(PathStep::Index(i));
                        let j = walk(item, sensitive, at);
                        at.pop();
                        j
                    })
                    .collect(),
            ),
            Value::Map(map) => Json::Object(
                map.iter()
                    .filter_map(|(k, item)| {
                        at.push(PathStep::Key(k.clone()));
                        let j = walk(item, sensitive, at);
                        at.pop();
                        (j != json!(false)).then(|| (k.clone(), j))
                    })
                    .collect(),
            ),
            _ => json!(false),
        }
    }
    walk(v, sensitive, &mut Path::root())
}

/// One resource of `planned_values` or `prior_state`.
fn resource_values(change: &Change, value: &Value, sensitive: &[Path]) -> Json {
    let mut obj = resource_head(change);
    obj.insert("schema_version".into(), json!(change.schema_version));
    obj.insert("values".into(), redact(value, sensitive, &mut Path::root()));
    obj.insert("sensitive_values".into(), sensitive_shape(value, sensitive));
    Json::Object(obj)
}

/// A module tree (`root_module` with nested `child_modules`) of resources.
fn module_tree(entries: Vec<(&Change, Json)>) -> Json {
    fn build(prefix: usize, address: Option<String>, entries: Vec<(&Change, Json)>) -> Json {
        let mut resources = Vec::new();
        let mut children: Vec<(String, Vec<(&Change, Json)>)> = Vec::new();
        for (change, json) in entries {
            let module = &change.address.module;
            if module.len() <= prefix {
                resources.push(json);
                continue;
            }
            let child = trellis_types::Address {
                module: module[..=prefix].to_vec(),
                ..change.address.clone()
            }
            .module_path();
            match children.iter_mut().find(|(name, _)| *name == child) {
                Some((_, list)) => list.push((change, json)),
                None => children.push((child, vec![(change, json)])),
            }
        }
        let mut obj = Map::new();
        if let Some(address) = address {
            obj.insert("address".into(), json!(address));
        }
        obj.insert("resources".into(), Json::Array(resources));
        if !children.is_empty() {
            children.sort_by(|a, b| a.0.cmp(&b.0));
            let modules = children
                .into_iter()
                .map(|(name, list)| build(prefix + 1, Some(name), list))
                .collect();
            obj.insert("child_modules".into(), Json::Array(modules));
        }
        Json::Object(obj)
    }
    build(0, None, entries)
}

fn planned_values(plan: &Plan) -> Json {
    let entries = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Delete)
        .filter_map(|c| {
            let after = c.after.as_ref()?;
            Some((c, resource_values(c, after, &c.after_sensitive)))
        })
        .collect();
    let outputs: Map<String, Json> = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::Delete)
        .map(|o| {
            let mut obj = Map::new();
            obj.insert("sensitive".into(), json!(o.sensitive));
            if let Some(v) = o.after.as_ref().filter(|v| !v.is_unknown()) {
                if !o.sensitive {
                    obj.insert("value".into(), redact(v, &[], &mut Path::root()));
                }
            }
            (o.name.clone(), Json::Object(obj))
        })
        .collect();
    json!({ "outputs": outputs, "root_module": module_tree(entries) })
}

fn prior_state(plan: &Plan) -> Json {
    let entries = plan
        .changes
        .iter()
        .filter(|c| !matches!(c.action, Action::Create | Action::Read) && c.importing.is_none())
        .filter_map(|c| {
            let before = c.before.as_ref()?;
            Some((c, resource_values(c, before, &c.before_sensitive)))
        })
        .collect();
    let outputs: Map<String, Json> = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::Create)
        .filter_map(|o| {
            let before = o.before.as_ref()?;
            let mut obj = Map::new();
            obj.insert("sensitive".into(), json!(o.sensitive));
            if !o.sensitive && !before.is_unknown() {
                obj.insert("value".into(), redact(before, &[], &mut Path::root()));
            }
            Some((o.name.clone(), Json::Object(obj)))
        })
        .collect();
    json!({
        "format_version": "1.0",
        "terraform_version": plan.trellis_version,
        "values": { "outputs": outputs, "root_module": module_tree(entries) },
    })
}
