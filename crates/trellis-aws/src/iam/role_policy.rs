//! `aws_iam_role_policy`: an inline policy of a role (import ID and `id`: `role:name`).
//! `PutRolePolicy` is idempotent, so creates and updates are the same call.

use trellis_provider::{Block, ProviderError, ResourceSchema};
use trellis_types::Value;

use super::{decoded, keep_document};
use crate::sdk::clients::Clients;
use crate::sdk::error::{aws, invalid, is_not_found, required};
use crate::sdk::schema::*;
use crate::sdk::values::{prefix_of, unique_name};

pub fn schema() -> ResourceSchema {
    resource(
        "an inline policy of an IAM role",
        "role:name",
        Block::new()
            .attr("id", comp(string()))
            .attr("role", req(string()).force_new())
            .attr("name", opt_comp(string()).force_new())
            .attr("name_prefix", opt_comp(string()).force_new())
            .attr("policy", req(string())),
    )
}

async fn get(
    c: &Clients,
    role: &str,
    name: &str,
    reference: &Value,
) -> Result<Option<Value>, ProviderError> {
    let o = match c
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
    {
        Ok(o) => o,
        Err(e) => {
            let e = aws(e);
            return if is_not_found(&e) { Ok(None) } else { Err(e) };
        }
    };
    let mut v = Value::object([
        ("id", Value::string(format!("{role}:{name}"))),
        ("role", Value::string(o.role_name())),
        ("name", Value::string(o.policy_name())),
        ("name_prefix", prefix_of(o.policy_name())),
        ("policy", Value::string(decoded(o.policy_document()))),
    ]);
    keep_document(&mut v, reference, "policy");
    Ok(Some(v))
}

async fn put(c: &Clients, planned: &Value, name: &str) -> Result<Value, ProviderError> {
    let role = required(planned, "role")?;
    c.iam
        .put_role_policy()
        .role_name(&role)
        .policy_name(name)
        .policy_document(required(planned, "policy")?)
        .send()
        .await
        .map_err(aws)?;
    get(c, &role, name, planned).await?.ok_or_else(|| {
        ProviderError::new(
            trellis_provider::ErrorKind::NotFound,
            format!("policy {name} of role {role} is gone right after it was put"),
        )
    })
}

pub async fn read(c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
    get(
        c,
        &required(prior, "role")?,
        &required(prior, "name")?,
        prior,
    )
    .await
}

pub async fn create(c: &Clients, planned: &Value, token: &str) -> Result<Value, ProviderError> {
    put(c, planned, &unique_name(planned, token)).await
}

pub async fn update(c: &Clients, planned: &Value) -> Result<Value, ProviderError> {
    put(c, planned, &required(planned, "name")?).await
}

pub async fn delete(c: &Clients, prior: &Value) -> Result<(), ProviderError> {
    c.iam
        .delete_role_policy()
        .role_name(required(prior, "role")?)
        .policy_name(required(prior, "name")?)
        .send()
        .await
        .map(|_| ())
        .map_err(aws)
}

pub async fn settle(
    c: &Clients,
    planned: &Value,
    token: &str,
) -> Result<Option<Value>, ProviderError> {
    get(
        c,
        &required(planned, "role")?,
        &unique_name(planned, token),
        planned,
    )
    .await
}

pub fn parse_id(id: &str) -> Result<(&str, &str), ProviderError> {
    match id.split_once(':') {
        Some((role, name)) if !role.is_empty() && !name.is_empty() => Ok((role, name)),
        _ => Err(invalid(format!(
            "import id {id:?} does not have the form role:name"
        ))),
    }
}

pub async fn import(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    let (role, name) = parse_id(id)?;
    get(c, role, name, &Value::Null).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn import_ids_are_role_colon_name() {
        assert_eq!(super::parse_id("app:invoke").ok(), Some(("app", "invoke")));
        assert!(super::parse_id("app").is_err());
        assert!(super::parse_id(":invoke").is_err());
    }
}
