//! The data sources that read one Lattice object by its identifiers, in the Terraform AWS
//! provider's shape: `aws_vpclattice_listener`, `aws_vpclattice_auth_policy` and
//! `aws_vpclattice_resource_policy`. They reuse the resources' Get calls.

use std::collections::BTreeMap;

use trellis_provider::{ErrorKind, ProviderError};
use trellis_types::{Path, Value};

use crate::convert::s;
use crate::error::{invalid, is_not_found};
use crate::resources::{get_auth_policy, get_listener, get_resource_policy};

pub(crate) const LISTENER: &str = "aws_vpclattice_listener";
pub(crate) const AUTH_POLICY: &str = "aws_vpclattice_auth_policy";
pub(crate) const RESOURCE_POLICY: &str = "aws_vpclattice_resource_policy";

/// A listener by service and listener identifier (ID or ARN each); the caller adds tags.
pub(crate) async fn listener(
    c: &aws_sdk_vpclattice::Client,
    config: &Value,
) -> Result<Value, ProviderError> {
    let service =
        s(config, "service_identifier").ok_or_else(|| invalid("service_identifier is required"))?;
    let listener = s(config, "listener_identifier")
        .ok_or_else(|| invalid("listener_identifier is required"))?;
    let found = get_listener(c, &service, &listener).await?;
    let get = |k: &str| found.get(k).cloned().unwrap_or(Value::Null);
    // Terraform's data source has `service_id` and a list-shaped `default_action`.
    let default_action = match get("default_action") {
        Value::Null => Value::List(Vec::new()),
        action => Value::List(vec![action]),
    };
    Ok(Value::object([
        ("service_identifier", Value::string(&service)),
        ("listener_identifier", Value::string(&listener)),
        ("id", get("id")),
        ("listener_id", get("listener_id")),
        ("arn", get("arn")),
        ("name", get("name")),
        ("port", get("port")),
        ("protocol", get("protocol")),
        ("service_arn", get("service_arn")),
        ("service_id", get("service_identifier")),
        ("default_action", default_action),
        ("tags", Value::Map(BTreeMap::new())),
    ]))
}

/// The auth policy of a network or service. A resource without one is an error, as in
/// Terraform: a data source that finds nothing fails the plan.
pub(crate) async fn auth_policy(
    c: &aws_sdk_vpclattice::Client,
    config: &Value,
) -> Result<Value, ProviderError> {
    let resource = s(config, "resource_identifier")
        .ok_or_else(|| invalid("resource_identifier is required"))?;
    let found = get_auth_policy(c, &resource)
        .await
        .map_err(|e| not_found_as(e, format!("{resource} has no auth policy")))?;
    Ok(pick(
        &found,
        &["resource_identifier", "policy", "state"],
        &resource,
    ))
}

/// The resource policy of a network or service, by ARN.
pub(crate) async fn resource_policy(
    c: &aws_sdk_vpclattice::Client,
    config: &Value,
) -> Result<Value, ProviderError> {
    let arn = s(config, "resource_arn").ok_or_else(|| invalid("resource_arn is required"))?;
    let found = get_resource_policy(c, &arn)
        .await
        .map_err(|e| not_found_as(e, format!("{arn} has no resource policy")))?;
    Ok(pick(&found, &["resource_arn", "policy"], &arn))
}

/// `keys` of `value`, plus `id`.
fn pick(value: &Value, keys: &[&str], id: &str) -> Value {
    let mut out = Value::Map(
        keys.iter()
            .map(|k| (k.to_string(), value.get(k).cloned().unwrap_or(Value::Null)))
            .collect(),
    );
    out.set_path(&Path::from_keys(["id"]), Value::string(id));
    out
}

fn not_found_as(e: ProviderError, message: String) -> ProviderError {
    if is_not_found(&e) {
        ProviderError::new(ErrorKind::NotFound, message)
    } else {
        e
    }
}
