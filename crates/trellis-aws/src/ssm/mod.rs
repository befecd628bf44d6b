//! SSM Parameter Store: the data source `aws_ssm_parameter` ([`parameter`]). No resource
//! types: configurations around the mesh read parameters (AMI IDs, shared settings), they do
//! not manage them here.

use std::collections::BTreeMap;

use trellis_provider::{AttributeDiagnostic, ProviderError, ResourceSchema};
use trellis_types::Value;

use crate::sdk::clients::Clients;
use crate::sdk::error::invalid;

mod parameter;

pub const PARAMETER: &str = "aws_ssm_parameter";

pub fn schema(
    _resources: &mut BTreeMap<String, ResourceSchema>,
    data_sources: &mut BTreeMap<String, ResourceSchema>,
) {
    data_sources.insert(PARAMETER.into(), parameter::schema());
}

pub fn validate(_type_name: &str, _config: &Value) -> Vec<AttributeDiagnostic> {
    Vec::new()
}

fn no_resources(type_name: &str) -> ProviderError {
    invalid(format!("unknown resource type {type_name}"))
}

pub async fn read(
    _c: &Clients,
    type_name: &str,
    _prior: &Value,
) -> Result<Option<Value>, ProviderError> {
    Err(no_resources(type_name))
}

pub async fn create(
    _c: &Clients,
    type_name: &str,
    _planned: &Value,
    _token: &str,
) -> Result<Value, ProviderError> {
    Err(no_resources(type_name))
}

pub async fn update(
    _c: &Clients,
    type_name: &str,
    _prior: &Value,
    _planned: &Value,
) -> Result<Value, ProviderError> {
    Err(no_resources(type_name))
}

pub async fn delete(_c: &Clients, type_name: &str, _prior: &Value) -> Result<(), ProviderError> {
    Err(no_resources(type_name))
}

pub async fn settle(
    _c: &Clients,
    _type_name: &str,
    _planned: &Value,
    _token: &str,
) -> Result<Option<Value>, ProviderError> {
    Ok(None)
}

pub async fn import(
    _c: &Clients,
    type_name: &str,
    _id: &str,
) -> Result<Option<Value>, ProviderError> {
    Err(no_resources(type_name))
}

pub async fn read_data(
    c: &Clients,
    type_name: &str,
    config: &Value,
) -> Result<Value, ProviderError> {
    match type_name {
        PARAMETER => parameter::read(c, config).await,
        other => Err(invalid(format!("unknown data source {other}"))),
    }
}

named_service!(Api, Ssm, plan: |_, _, _, _, _| Vec::new(), defaults: |_, _| {});
