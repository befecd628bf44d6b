//! `aws_iam_role` (import ID: the role name) and the data source `aws_iam_role`.

use std::time::Duration;

use trellis_provider::{AttrType, Block, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::{date, decoded, keep_document, no_retries, policy_of, sdk_tags, tags_of};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, n, opt_num, opt_str, s, string_map};
use crate::sdk::error::{aws, is_not_found, required};
use crate::sdk::once::{self, Created};
use crate::sdk::schema::*;
use crate::sdk::values::{prefix_of, unique_name};
use crate::sdk::values::{tags_value, TagChange};
use crate::sdk::wait::delete_retrying;

/// How long a delete retries IAM's DeleteConflict (an attachment going away meanwhile).
const DELETE_WAIT: Duration = Duration::from_secs(60);

pub fn schema() -> ResourceSchema {
    resource(
        "an IAM role",
        "role name",
        tagged(id_arn(
            Block::new()
                .attr("name", opt_comp(string()).force_new())
                .attr("name_prefix", opt_comp(string()).force_new())
                .attr("assume_role_policy", req(string()))
                .attr("description", opt(string()))
                .attr(
                    "force_detach_policies",
                    opt(AttrType::Bool).with_default(Value::Bool(false)),
                )
                .attr(
                    "max_session_duration",
                    opt(number()).with_default(Value::Number(3600.0)),
                )
                .attr(
                    "path",
                    opt(string()).with_default(Value::string("/")).force_new(),
                )
                .attr("permissions_boundary", opt(string()))
                .attr("create_date", comp(string()))
                .attr("unique_id", comp(string())),
        )),
    )
}

pub fn data_schema() -> ResourceSchema {
    data(
        "an IAM role by name",
        Block::new()
            .attr("name", req(string()))
            .attr("id", comp(string()))
            .attr("arn", comp(string()))
            .attr("assume_role_policy", comp(string()))
            .attr("create_date", comp(string()))
            .attr("description", comp(string()))
            .attr("max_session_duration", comp(number()))
            .attr("path", comp(string()))
            .attr("permissions_boundary", comp(string()))
            .attr("unique_id", comp(string()))
            .attr("tags", opt_comp(crate::sdk::schema::string_map())),
    )
}

/// The role `name` as it is, with `reference`'s spelling of an equal trust policy; `None`
/// when it is gone.
async fn get(c: &Clients, name: &str, reference: &Value) -> Result<Option<Value>, ProviderError> {
    let o = match c.iam.get_role().role_name(name).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = aws(e);
            return if is_not_found(&e) { Ok(None) } else { Err(e) };
        }
    };
    let Some(r) = o.role() else {
        return Ok(None);
    };
    let mut v = Value::object([
        ("id", Value::string(r.role_name())),
        ("name", Value::string(r.role_name())),
        ("name_prefix", prefix_of(r.role_name())),
        ("arn", Value::string(r.arn())),
        (
            "assume_role_policy",
            opt_str(r.assume_role_policy_document().map(decoded).as_deref()),
        ),
        (
            "description",
            opt_str(r.description().filter(|d| !d.is_empty())),
        ),
        (
            "max_session_duration",
            opt_num(Some(r.max_session_duration().unwrap_or(3600))),
        ),
        ("path", Value::string(r.path())),
        (
            "permissions_boundary",
            opt_str(
                r.permissions_boundary()
                    .and_then(|p| p.permissions_boundary_arn()),
            ),
        ),
        ("create_date", date(r.create_date())),
        ("unique_id", Value::string(r.role_id())),
        ("tags_all", tags_value(&tags_of(r.tags()))),
    ]);
    keep_document(&mut v, reference, "assume_role_policy");
    Ok(Some(v))
}

pub async fn read(c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
    get(c, &required(prior, "name")?, prior).await
}

pub async fn create(c: &Clients, planned: &Value, token: &str) -> Result<Value, ProviderError> {
    let name = unique_name(planned, token);
    let call = c
        .iam
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(required(planned, "assume_role_policy")?)
        .path(s(planned, "path").unwrap_or_else(|| "/".into()))
        .set_description(s(planned, "description"))
        .set_max_session_duration(n(planned, "max_session_duration"))
        .set_permissions_boundary(s(planned, "permissions_boundary"))
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
    .await
    .map(|_: Created<_, Value>| ())?;
    get(c, &name, planned).await?.ok_or_else(|| aws_gone(&name))
}

fn aws_gone(name: &str) -> ProviderError {
    ProviderError::new(
        trellis_provider::ErrorKind::NotFound,
        format!("role {name} is gone right after its create"),
    )
}

pub async fn update(c: &Clients, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let name = required(prior, "name")?;
    if s(prior, "assume_role_policy") != s(planned, "assume_role_policy") {
        c.iam
            .update_assume_role_policy()
            .role_name(&name)
            .policy_document(required(planned, "assume_role_policy")?)
            .send()
            .await
            .map_err(aws)?;
    }
    if s(prior, "description") != s(planned, "description")
        || n(prior, "max_session_duration") != n(planned, "max_session_duration")
    {
        c.iam
            .update_role()
            .role_name(&name)
            // An empty description clears it (a missing one leaves it as it is).
            .description(s(planned, "description").unwrap_or_default())
            .set_max_session_duration(n(planned, "max_session_duration"))
            .send()
            .await
            .map_err(aws)?;
    }
    if s(prior, "permissions_boundary") != s(planned, "permissions_boundary") {
        match s(planned, "permissions_boundary") {
            Some(arn) => {
                c.iam
                    .put_role_permissions_boundary()
                    .role_name(&name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map_err(aws)?;
            }
            None => {
                c.iam
                    .delete_role_permissions_boundary()
                    .role_name(&name)
                    .send()
                    .await
                    .map_err(aws)?;
            }
        }
    }
    let change = TagChange::between(
        &string_map(prior.get("tags_all")),
        &string_map(planned.get("tags_all")),
    );
    if !change.removed.is_empty() {
        c.iam
            .untag_role()
            .role_name(&name)
            .set_tag_keys(Some(change.removed))
            .send()
            .await
            .map_err(aws)?;
    }
    if let Some(tags) = sdk_tags(&change.changed)? {
        c.iam
            .tag_role()
            .role_name(&name)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(aws)?;
    }
    get(c, &name, planned).await?.ok_or_else(|| aws_gone(&name))
}

/// Deletes the role after taking it out of its instance profiles (as the AWS provider does)
/// and, with `force_detach_policies`, after detaching its managed and deleting its inline
/// policies.
pub async fn delete(c: &Clients, prior: &Value) -> Result<(), ProviderError> {
    let name = required(prior, "name")?;
    let profiles = match c
        .iam
        .list_instance_profiles_for_role()
        .role_name(&name)
        .send()
        .await
    {
        Ok(o) => o.instance_profiles().to_vec(),
        Err(e) => {
            let e = aws(e);
            return if is_not_found(&e) { Ok(()) } else { Err(e) };
        }
    };
    for p in profiles {
        match c
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(p.instance_profile_name())
            .role_name(&name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => {
                let e = aws(e);
                if !is_not_found(&e) {
                    return Err(e);
                }
            }
        }
    }
    if b(prior, "force_detach_policies") == Some(true) {
        let attached = c
            .iam
            .list_attached_role_policies()
            .role_name(&name)
            .send()
            .await
            .map_err(aws)?;
        for p in attached.attached_policies() {
            if let Some(arn) = p.policy_arn() {
                c.iam
                    .detach_role_policy()
                    .role_name(&name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(aws)?;
            }
        }
        let inline = c
            .iam
            .list_role_policies()
            .role_name(&name)
            .send()
            .await
            .map_err(aws)?;
        for policy in inline.policy_names() {
            c.iam
                .delete_role_policy()
                .role_name(&name)
                .policy_name(policy)
                .send()
                .await
                .map_err(aws)?;
        }
    }
    delete_retrying(DELETE_WAIT, || async {
        c.iam
            .delete_role()
            .role_name(&name)
            .send()
            .await
            .map(|_| ())
            .map_err(aws)
    })
    .await
}

pub async fn settle(
    c: &Clients,
    planned: &Value,
    token: &str,
) -> Result<Option<Value>, ProviderError> {
    get(c, &unique_name(planned, token), planned).await
}

pub async fn import(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    Ok(get(c, id, &Value::Null).await?.map(|mut v| {
        v.set_path(
            &Path::from_keys(["force_detach_policies"]),
            Value::Bool(false),
        );
        v
    }))
}

pub async fn read_data(c: &Clients, config: &Value) -> Result<Value, ProviderError> {
    let name = required(config, "name")?;
    let mut v = get(c, &name, &Value::Null).await?.ok_or_else(|| {
        ProviderError::new(
            trellis_provider::ErrorKind::NotFound,
            format!("no IAM role named {name}"),
        )
    })?;
    if let Value::Map(map) = &mut v {
        map.remove("name_prefix");
        if let Some(all) = map.remove("tags_all") {
            map.insert("tags".into(), all);
        }
    }
    Ok(v)
}
