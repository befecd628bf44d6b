//! S3: `aws_s3_bucket` ([`bucket`]) as an access-log destination. Only the bucket itself:
//! its policy, versioning, encryption and lifecycle are separate types in the AWS provider
//! and are not served here.

use std::collections::BTreeMap;

use trellis_provider::{AttributeDiagnostic, ProviderError, ResourceSchema};
use trellis_types::Value;

use crate::sdk::clients::Clients;
use crate::sdk::error::invalid;

mod bucket;

pub const BUCKET: &str = "aws_s3_bucket";

pub fn schema(
    resources: &mut BTreeMap<String, ResourceSchema>,
    _data_sources: &mut BTreeMap<String, ResourceSchema>,
) {
    resources.insert(BUCKET.into(), bucket::schema());
}

pub fn validate(type_name: &str, config: &Value) -> Vec<AttributeDiagnostic> {
    match type_name {
        BUCKET => bucket::validate(config),
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
        BUCKET => bucket::read(c, prior).await,
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
        BUCKET => bucket::create(c, planned, token).await,
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
        BUCKET => bucket::update(c, prior, planned).await,
        other => Err(unknown(other)),
    }
}

pub async fn delete(c: &Clients, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
    match type_name {
        BUCKET => bucket::delete(c, prior).await,
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
        BUCKET => bucket::settle(c, planned, token).await,
        _ => Ok(None),
    }
}

pub async fn import(
    c: &Clients,
    type_name: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        BUCKET => bucket::import(c, id).await,
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

named_service!(Api, S3, plan: |_, _, _, _, _| Vec::new(), defaults: |_, arguments| {
    for key in ["force_destroy", "object_lock_enabled"] {
        if arguments.get(key) == Some(&Value::Bool(false)) {
            arguments.remove(key);
        }
    }
});
