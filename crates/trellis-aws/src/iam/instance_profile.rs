//! `aws_iam_instance_profile` (import ID and `id`: its name), with at most one `role`.

use trellis_provider::{Block, ProviderError, ResourceSchema};
use trellis_types::Value;

use super::{date, no_retries, policy_of, sdk_tags, tags_of};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{s, string_map};
use crate::sdk::error::{aws, is_not_found, required};
use crate::sdk::once;
use crate::sdk::schema::*;
use crate::sdk::values::{prefix_of, unique_name};
use crate::sdk::values::{tags_value, TagChange};

pub fn schema() -> ResourceSchema {
    resource(
        "an IAM instance profile",
        "instance profile name",
        tagged(id_arn(
            Block::new()
                .attr("name", opt_comp(string()).force_new())
                .attr("name_prefix", opt_comp(string()).force_new())
                .attr(
                    "path",
                    opt(string()).with_default(Value::string("/")).force_new(),
                )
                .attr("role", opt(string()))
                .attr("create_date", comp(string()))
                .attr("unique_id", comp(string())),
        )),
    )
}

async fn get(c: &Clients, name: &str) -> Result<Option<Value>, ProviderError> {
    let o = match c
        .iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
    {
        Ok(o) => o,
        Err(e) => {
            let e = aws(e);
            return if is_not_found(&e) { Ok(None) } else { Err(e) };
        }
    };
    let Some(p) = o.instance_profile() else {
        return Ok(None);
    };
    Ok(Some(Value::object([
        ("id", Value::string(p.instance_profile_name())),
        ("name", Value::string(p.instance_profile_name())),
        ("name_prefix", prefix_of(p.instance_profile_name())),
        ("arn", Value::string(p.arn())),
        ("path", Value::string(p.path())),
        (
            "role",
            p.roles()
                .first()
                .map(|r| Value::string(r.role_name()))
                .unwrap_or(Value::Null),
        ),
        ("create_date", date(p.create_date())),
        ("unique_id", Value::string(p.instance_profile_id())),
        ("tags_all", tags_value(&tags_of(p.tags()))),
    ])))
}

fn gone(name: &str) -> ProviderError {
    ProviderError::new(
        trellis_provider::ErrorKind::NotFound,
        format!("instance profile {name} is gone"),
    )
}

pub async fn read(c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
    get(c, &required(prior, "name")?).await
}

async fn add_role(c: &Clients, name: &str, role: &str) -> Result<(), ProviderError> {
    c.iam
        .add_role_to_instance_profile()
        .instance_profile_name(name)
        .role_name(role)
        .send()
        .await
        .map(|_| ())
        .map_err(aws)
}

async fn remove_role(c: &Clients, name: &str, role: &str) -> Result<(), ProviderError> {
    match c
        .iam
        .remove_role_from_instance_profile()
        .instance_profile_name(name)
        .role_name(role)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = aws(e);
            if is_not_found(&e) {
                Ok(())
            } else {
                Err(e)
            }
        }
    }
}

pub async fn create(c: &Clients, planned: &Value, token: &str) -> Result<Value, ProviderError> {
    let name = unique_name(planned, token);
    let call = c
        .iam
        .create_instance_profile()
        .instance_profile_name(&name)
        .path(s(planned, "path").unwrap_or_else(|| "/".into()))
        .set_tags(sdk_tags(&c.tags_all(planned))?);
    once::create(
        policy_of(c),
        || {
            call.clone()
                .customize()
                .config_override(no_retries())
                .send()
        },
        || settle(c, planned, token),
    )
    .await?;
    if let Some(role) = s(planned, "role") {
        // A settled profile may hold the role already.
        let current = get(c, &name).await?.ok_or_else(|| gone(&name))?;
        if s(&current, "role").as_deref() != Some(role.as_str()) {
            add_role(c, &name, &role).await?;
        }
    }
    get(c, &name).await?.ok_or_else(|| gone(&name))
}

pub async fn update(c: &Clients, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let name = required(prior, "name")?;
    let (before, after) = (s(prior, "role"), s(planned, "role"));
    if before != after {
        if let Some(old) = before {
            remove_role(c, &name, &old).await?;
        }
        if let Some(new) = after {
            add_role(c, &name, &new).await?;
        }
    }
    let change = TagChange::between(
        &string_map(prior.get("tags_all")),
        &string_map(planned.get("tags_all")),
    );
    if !change.removed.is_empty() {
        c.iam
            .untag_instance_profile()
            .instance_profile_name(&name)
            .set_tag_keys(Some(change.removed))
            .send()
            .await
            .map_err(aws)?;
    }
    if let Some(tags) = sdk_tags(&change.changed)? {
        c.iam
            .tag_instance_profile()
            .instance_profile_name(&name)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(aws)?;
    }
    get(c, &name).await?.ok_or_else(|| gone(&name))
}

/// Takes the role out first: IAM refuses to delete a profile that holds one.
pub async fn delete(c: &Clients, prior: &Value) -> Result<(), ProviderError> {
    let name = required(prior, "name")?;
    let Some(current) = get(c, &name).await? else {
        return Ok(());
    };
    if let Some(role) = s(&current, "role") {
        remove_role(c, &name, &role).await?;
    }
    c.iam
        .delete_instance_profile()
        .instance_profile_name(&name)
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
    get(c, &unique_name(planned, token)).await
}

pub async fn import(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    get(c, id).await
}
