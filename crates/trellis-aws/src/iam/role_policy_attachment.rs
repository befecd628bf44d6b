//! `aws_iam_role_policy_attachment`: a managed policy attached to a role (import ID
//! `role/policy_arn`). Nothing changes in place. `AttachRolePolicy` is idempotent.
//!
//! The AWS provider's `id` is a generated `role-<timestamp>`; here it is the import ID, which
//! is as unique and lets a lost create settle without a search.

use trellis_provider::{Block, ProviderError, ResourceSchema};
use trellis_types::Value;

use crate::sdk::clients::Clients;
use crate::sdk::error::{aws, invalid, is_not_found, required};
use crate::sdk::schema::*;

pub fn schema() -> ResourceSchema {
    resource(
        "a managed policy attached to an IAM role",
        "role/policy_arn",
        Block::new()
            .attr("id", comp(string()))
            .attr("role", req(string()).force_new())
            .attr("policy_arn", req(string()).force_new()),
    )
}

/// The attachment of `arn` to `role`, when the role lists it.
async fn get(c: &Clients, role: &str, arn: &str) -> Result<Option<Value>, ProviderError> {
    let mut marker = None;
    loop {
        let o = match c
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .set_marker(marker)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                let e = aws(e);
                return if is_not_found(&e) { Ok(None) } else { Err(e) };
            }
        };
        if o.attached_policies()
            .iter()
            .any(|p| p.policy_arn() == Some(arn))
        {
            return Ok(Some(Value::object([
                ("id", Value::string(format!("{role}/{arn}"))),
                ("role", Value::string(role)),
                ("policy_arn", Value::string(arn)),
            ])));
        }
        if !o.is_truncated() {
            return Ok(None);
        }
        marker = o.marker().map(str::to_string);
    }
}

pub async fn read(c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
    get(
        c,
        &required(prior, "role")?,
        &required(prior, "policy_arn")?,
    )
    .await
}

pub async fn create(c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
    let (role, arn) = (required(planned, "role")?, required(planned, "policy_arn")?);
    c.iam
        .attach_role_policy()
        .role_name(&role)
        .policy_arn(&arn)
        .send()
        .await
        .map_err(aws)?;
    Ok(Value::object([
        ("id", Value::string(format!("{role}/{arn}"))),
        ("role", Value::string(role)),
        ("policy_arn", Value::string(arn)),
    ]))
}

pub async fn delete(c: &Clients, prior: &Value) -> Result<(), ProviderError> {
    c.iam
        .detach_role_policy()
        .role_name(required(prior, "role")?)
        .policy_arn(required(prior, "policy_arn")?)
        .send()
        .await
        .map(|_| ())
        .map_err(aws)
}

/// `role/arn`: the role name is everything before the first `/` (role names have none; the
/// policy ARN has several).
pub fn parse_id(id: &str) -> Result<(&str, &str), ProviderError> {
    match id.split_once('/') {
        Some((role, arn)) if !role.is_empty() && arn.starts_with("arn:") => Ok((role, arn)),
        _ => Err(invalid(format!(
            "import id {id:?} does not have the form role/policy_arn"
        ))),
    }
}

pub async fn import(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    let (role, arn) = parse_id(id)?;
    get(c, role, arn).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn import_ids_are_role_slash_arn() {
        assert_eq!(
            super::parse_id("app/arn:aws:iam::aws:policy/service-role/X").ok(),
            Some(("app", "arn:aws:iam::aws:policy/service-role/X"))
        );
        assert!(super::parse_id("app/X").is_err());
        assert!(super::parse_id("app").is_err());
    }
}
