//! IAM around the mesh: `aws_iam_role`, `aws_iam_role_policy`,
//! `aws_iam_role_policy_attachment`, `aws_iam_policy`, `aws_iam_instance_profile` (one file
//! each) and the data source `aws_iam_role`. IAM is global: the one client of the provider
//! block serves every region.
//!
//! Policy documents compare as JSON, as the AWS provider compares them: a document that means
//! the same as the one in state (another key order, whitespace, a bare string for a list of
//! one) keeps the state's spelling, so JSON from `data "aws_iam_policy_document"` or
//! `jsonencode` plans without a diff. IAM returns documents URL-encoded; they are decoded on
//! read. Not served here: a role's `inline_policy` and `managed_policy_arns` (use the
//! `aws_iam_role_policy` and `aws_iam_role_policy_attachment` types).

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;
use trellis_provider::{AttributeDiagnostic, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use crate::sdk::clients::Clients;
use crate::sdk::convert::{s, same_json};
use crate::sdk::error::invalid;
use crate::sdk::once;
use crate::sdk::values::SUFFIX_LEN;
#[cfg(test)]
use crate::sdk::values::{prefix_of, unique_name};

mod instance_profile;
mod policy;
mod role;
mod role_policy;
mod role_policy_attachment;

pub const ROLE: &str = "aws_iam_role";
pub const ROLE_POLICY: &str = "aws_iam_role_policy";
pub const ATTACHMENT: &str = "aws_iam_role_policy_attachment";
pub const POLICY: &str = "aws_iam_policy";
pub const INSTANCE_PROFILE: &str = "aws_iam_instance_profile";

pub fn schema(
    resources: &mut BTreeMap<String, ResourceSchema>,
    data_sources: &mut BTreeMap<String, ResourceSchema>,
) {
    resources.insert(ROLE.into(), role::schema());
    resources.insert(ROLE_POLICY.into(), role_policy::schema());
    resources.insert(ATTACHMENT.into(), role_policy_attachment::schema());
    resources.insert(POLICY.into(), policy::schema());
    resources.insert(INSTANCE_PROFILE.into(), instance_profile::schema());
    data_sources.insert(ROLE.into(), role::data_schema());
}

pub fn validate(type_name: &str, config: &Value) -> Vec<AttributeDiagnostic> {
    let mut out = Vec::new();
    match type_name {
        ROLE => {
            names(config, 64, &mut out);
            document(config, "assume_role_policy", &mut out);
            path_arg(config, &mut out);
            if let Some(d) = config
                .get("max_session_duration")
                .and_then(Value::as_number)
            {
                if !(3600.0..=43200.0).contains(&d) {
                    out.push(AttributeDiagnostic::error(
                        Path::from_keys(["max_session_duration"]),
                        format!("max_session_duration must be between 3600 and 43200, got {d}"),
                    ));
                }
            }
        }
        ROLE_POLICY => {
            names(config, 128, &mut out);
            document(config, "policy", &mut out);
        }
        POLICY => {
            names(config, 128, &mut out);
            document(config, "policy", &mut out);
            path_arg(config, &mut out);
        }
        INSTANCE_PROFILE => {
            names(config, 128, &mut out);
            path_arg(config, &mut out);
        }
        ATTACHMENT => {
            if let Some(arn) = s(config, "policy_arn") {
                if !arn.starts_with("arn:") {
                    out.push(AttributeDiagnostic::error(
                        Path::from_keys(["policy_arn"]),
                        format!("policy_arn must be an ARN, got {arn:?}"),
                    ));
                }
            }
        }
        _ => {}
    }
    out
}

/// `name` and `name_prefix`: not both, and within IAM's length (a prefix leaves room for the
/// 26 characters of the generated suffix).
fn names(config: &Value, max: usize, out: &mut Vec<AttributeDiagnostic>) {
    let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
    if set("name") && set("name_prefix") {
        out.push(AttributeDiagnostic::error(
            Path::from_keys(["name_prefix"]),
            "name and name_prefix are both set; set one",
        ));
    }
    for (key, limit) in [("name", max), ("name_prefix", max - SUFFIX_LEN)] {
        if let Some(n) = s(config, key) {
            if n.is_empty() || n.len() > limit {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys([key]),
                    format!("{key} must be 1 to {limit} characters, got {}", n.len()),
                ));
            } else if let Some(bad) = n
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
            {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys([key]),
                    format!("{key} may not contain {bad:?} (letters, digits and +=,.@_- only)"),
                ));
            }
        }
    }
}

/// A policy document argument: JSON whose top level is an object.
fn document(config: &Value, key: &str, out: &mut Vec<AttributeDiagnostic>) {
    if let Some(text) = s(config, key) {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(_)) => {}
            Ok(_) => out.push(AttributeDiagnostic::error(
                Path::from_keys([key]),
                format!("{key} must be a JSON object"),
            )),
            Err(e) => out.push(AttributeDiagnostic::error(
                Path::from_keys([key]),
                format!("{key} is not valid JSON: {e}"),
            )),
        }
    }
}

fn path_arg(config: &Value, out: &mut Vec<AttributeDiagnostic>) {
    if let Some(p) = s(config, "path") {
        if !p.starts_with('/') || !p.ends_with('/') {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["path"]),
                format!("path must begin and end with /, got {p:?}"),
            ));
        }
    }
}

/// Keeps the prior's spelling of policy documents that mean the same.
pub fn plan_change(
    _type_name: &str,
    _region: &str,
    _config: &Value,
    prior: Option<&Value>,
    planned: &mut Value,
) -> Vec<AttributeDiagnostic> {
    if let Some(prior) = prior {
        for key in ["assume_role_policy", "policy"] {
            keep_document(planned, prior, key);
        }
    }
    Vec::new()
}

/// Where `value[key]` and `reference[key]` are equal JSON documents in other spellings, takes
/// `reference`'s spelling.
pub(crate) fn keep_document(value: &mut Value, reference: &Value, key: &str) {
    if let (Some(a), Some(b)) = (s(value, key), s(reference, key)) {
        if a != b && same_json(&a, &b) {
            value.set_path(&Path::from_keys([key]), Value::string(b));
        }
    }
}

/// A policy document as IAM returns it (URL-encoded), decoded.
pub(crate) fn decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

pub(crate) fn sdk_tags(tags: &BTreeMap<String, String>) -> Result<Option<Vec<Tag>>, ProviderError> {
    if tags.is_empty() {
        return Ok(None);
    }
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| invalid(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

pub(crate) fn tags_of(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

pub(crate) use crate::sdk::convert::date;

/// IAM's creates are not idempotent (a second `CreateRole` fails with EntityAlreadyExists):
/// [`once::create`] sends them.
pub(crate) fn policy_of(c: &Clients) -> once::Policy {
    once::Policy::of(c.iam.config().retry_config())
}

pub(crate) fn no_retries() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default().retry_config(once::no_sdk_retries())
}

pub async fn read(
    c: &Clients,
    type_name: &str,
    prior: &Value,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        ROLE => role::read(c, prior).await,
        ROLE_POLICY => role_policy::read(c, prior).await,
        ATTACHMENT => role_policy_attachment::read(c, prior).await,
        POLICY => policy::read(c, prior).await,
        INSTANCE_PROFILE => instance_profile::read(c, prior).await,
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

pub async fn create(
    c: &Clients,
    type_name: &str,
    planned: &Value,
    token: &str,
) -> Result<Value, ProviderError> {
    match type_name {
        ROLE => role::create(c, planned, token).await,
        ROLE_POLICY => role_policy::create(c, planned, token).await,
        ATTACHMENT => role_policy_attachment::create(c, planned).await,
        POLICY => policy::create(c, planned, token).await,
        INSTANCE_PROFILE => instance_profile::create(c, planned, token).await,
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

pub async fn update(
    c: &Clients,
    type_name: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    match type_name {
        ROLE => role::update(c, prior, planned).await,
        ROLE_POLICY => role_policy::update(c, planned).await,
        POLICY => policy::update(c, prior, planned).await,
        INSTANCE_PROFILE => instance_profile::update(c, prior, planned).await,
        other => Err(invalid(format!("{other} does not change in place"))),
    }
}

pub async fn delete(c: &Clients, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
    match type_name {
        ROLE => role::delete(c, prior).await,
        ROLE_POLICY => role_policy::delete(c, prior).await,
        ATTACHMENT => role_policy_attachment::delete(c, prior).await,
        POLICY => policy::delete(c, prior).await,
        INSTANCE_PROFILE => instance_profile::delete(c, prior).await,
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

/// The object a lost create made: the one with the name the create used.
pub async fn settle(
    c: &Clients,
    type_name: &str,
    planned: &Value,
    token: &str,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        ROLE => role::settle(c, planned, token).await,
        ROLE_POLICY => role_policy::settle(c, planned, token).await,
        ATTACHMENT => role_policy_attachment::read(c, planned).await,
        POLICY => policy::settle(c, planned, token).await,
        INSTANCE_PROFILE => instance_profile::settle(c, planned, token).await,
        _ => Ok(None),
    }
}

pub async fn import(
    c: &Clients,
    type_name: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        ROLE => role::import(c, id).await,
        ROLE_POLICY => role_policy::import(c, id).await,
        ATTACHMENT => role_policy_attachment::import(c, id).await,
        POLICY => policy::import(c, id).await,
        INSTANCE_PROFILE => instance_profile::import(c, id).await,
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

pub async fn read_data(
    c: &Clients,
    type_name: &str,
    config: &Value,
) -> Result<Value, ProviderError> {
    match type_name {
        ROLE => role::read_data(c, config).await,
        other => Err(invalid(format!("unknown data source {other}"))),
    }
}

named_service!(Api, Iam, plan: plan_change, defaults: |_, _| {});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_documents_keep_the_prior_spelling() {
        let prior = Value::object([(
            "assume_role_policy",
            Value::string("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\"}]\n}"),
        )]);
        let mut planned = Value::object([(
            "assume_role_policy",
            Value::string(
                r#"{"Statement":[{"Action":["sts:AssumeRole"],"Effect":"Allow"}],"Version":"2012-10-17"}"#,
            ),
        )]);
        plan_change(ROLE, "us-east-1", &Value::Null, Some(&prior), &mut planned);
        assert_eq!(planned, prior);
        let mut changed = Value::object([(
            "assume_role_policy",
            Value::string(r#"{"Statement":[{"Action":"sts:TagSession","Effect":"Allow"}]}"#),
        )]);
        let before = changed.clone();
        plan_change(ROLE, "us-east-1", &Value::Null, Some(&prior), &mut changed);
        assert_eq!(changed, before);
    }

    #[test]
    fn generated_names_follow_the_token() {
        let with_prefix = Value::object([("name_prefix", Value::string("mesh-"))]);
        let a = unique_name(&with_prefix, "token-1");
        assert!(a.starts_with("mesh-") && a.len() == 5 + SUFFIX_LEN, "{a}");
        assert_eq!(a, unique_name(&with_prefix, "token-1"));
        assert_ne!(a, unique_name(&with_prefix, "token-2"));
        assert!(unique_name(&Value::Null, "t").starts_with("terraform-"));
        let named = Value::object([("name", Value::string("orders"))]);
        assert_eq!(unique_name(&named, "t"), "orders");
        assert_eq!(prefix_of(&a), Value::string("mesh-"));
        assert_eq!(prefix_of("orders"), Value::Null);
    }

    #[test]
    fn documents_are_url_decoded() {
        assert_eq!(
            decoded("%7B%22Version%22%3A%222012-10-17%22%7D"),
            r#"{"Version":"2012-10-17"}"#
        );
    }

    #[test]
    fn bad_names_documents_and_durations_are_refused_where_they_are() {
        let config = Value::object([
            ("name", Value::string("orders role")),
            ("assume_role_policy", Value::string("{not json")),
            ("max_session_duration", Value::Number(60.0)),
            ("path", Value::string("service-role")),
        ]);
        let paths: Vec<String> = validate(ROLE, &config)
            .iter()
            .map(|d| d.path.to_string())
            .collect();
        assert_eq!(paths.len(), 4, "{paths:?}");
        for key in ["name", "assume_role_policy", "max_session_duration", "path"] {
            assert!(paths.iter().any(|p| p.contains(key)), "{key} in {paths:?}");
        }
        let both = Value::object([
            ("name", Value::string("a")),
            ("name_prefix", Value::string("b")),
        ]);
        assert_eq!(validate(POLICY, &both).len(), 1);
        assert!(validate(
            ROLE,
            &Value::object([(
                "assume_role_policy",
                Value::string(r#"{"Version":"2012-10-17"}"#)
            )])
        )
        .is_empty());
    }
}
