//! CloudWatch Logs: `aws_cloudwatch_log_group` ([`log_group`]), the access-log destination
//! of `aws_vpclattice_access_log_subscription`.

use std::collections::BTreeMap;

use trellis_provider::{AttributeDiagnostic, ProviderError, ResourceSchema};
use trellis_types::Value;

use crate::sdk::clients::Clients;
use crate::sdk::error::invalid;

mod log_group;

pub const LOG_GROUP: &str = "aws_cloudwatch_log_group";

pub fn schema(
    resources: &mut BTreeMap<String, ResourceSchema>,
    _data_sources: &mut BTreeMap<String, ResourceSchema>,
) {
    resources.insert(LOG_GROUP.into(), log_group::schema());
}

pub fn validate(type_name: &str, config: &Value) -> Vec<AttributeDiagnostic> {
    match type_name {
        LOG_GROUP => log_group::validate(config),
        _ => Vec::new(),
    }
}

fn unknown(type_name: &str) -> ProviderError {
    invalid(format!("unknown resource type {type_name}"))
}

pub async fn read(
    c: &Clients,
    type_name: &str,
    prior: &Value,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        LOG_GROUP => log_group::read(c, prior).await,
        other => Err(unknown(other)),
    }
}

pub async fn create(
    c: &Clients,
    type_name: &str,
    planned: &Value,
    token: &str,
) -> Result<Value, ProviderError> {
    match type_name {
        LOG_GROUP => log_group::create(c, planned, token).await,
        other => Err(unknown(other)),
    }
}

pub async fn update(
    c: &Clients,
    type_name: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    match type_name {
        LOG_GROUP => log_group::update(c, prior, planned).await,
        other => Err(unknown(other)),
    }
}

pub async fn delete(c: &Clients, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
    match type_name {
        LOG_GROUP => log_group::delete(c, prior).await,
        other => Err(unknown(other)),
    }
}

pub async fn settle(
    c: &Clients,
    type_name: &str,
    planned: &Value,
    token: &str,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        LOG_GROUP => log_group::settle(c, planned, token).await,
        _ => Ok(None),
    }
}

pub async fn import(
    c: &Clients,
    type_name: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        LOG_GROUP => log_group::import(c, id).await,
        other => Err(unknown(other)),
    }
}

pub async fn read_data(
    _c: &Clients,
    type_name: &str,
    _config: &Value,
) -> Result<Value, ProviderError> {
    Err(invalid(format!("unknown data source {type_name}")))
}

named_service!(Api, Logs, plan: |_, _, _, _, _| Vec::new(), defaults: log_group::drop_defaults);
