//! `aws_iam_policy`: a customer managed policy (import ID and `id`: its ARN). A new document
//! is a new default version; the oldest other version goes first when IAM's five are used.

use trellis_provider::{AttrType, Block, ProviderError, ResourceSchema};
use trellis_types::Value;

use super::{decoded, keep_document, no_retries, policy_of, sdk_tags, tags_of};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_num, opt_str, s, string_map};
use crate::sdk::error::{aws, is_not_found, required};
use crate::sdk::once::{self, Created};
use crate::sdk::schema::*;
use crate::sdk::values::{prefix_of, unique_name};
use crate::sdk::values::{tags_value, TagChange};

/// IAM keeps at most five versions of a policy.
const MAX_VERSIONS: usize = 5;

pub fn schema() -> ResourceSchema {
    resource(
        "an IAM customer managed policy",
        "policy ARN",
        tagged(id_arn(
            Block::new()
                .attr("name", opt_comp(string()).force_new())
                .attr("name_prefix", opt_comp(string()).force_new())
                .attr(
                    "path",
                    opt(string()).with_default(Value::string("/")).force_new(),
                )
                .attr("description", opt(string()).force_new())
                .attr("policy", req(string()))
                .attr("policy_id", comp(string()))
                .attr("attachment_count", comp(AttrType::Number)),
        )),
    )
}

async fn get(c: &Clients, arn: &str, reference: &Value) -> Result<Option<Value>, ProviderError> {
    let o = match c.iam.get_policy().policy_arn(arn).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = aws(e);
            return if is_not_found(&e) { Ok(None) } else { Err(e) };
        }
    };
    let Some(p) = o.policy() else {
        return Ok(None);
    };
    let version = p.default_version_id().unwrap_or("v1");
    let document = c
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(aws)?
        .policy_version()
        .and_then(|v| v.document())
        .map(decoded);
    let name = p.policy_name().unwrap_or_default();
    let mut v = Value::object([
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        ("name", Value::string(name)),
        ("name_prefix", prefix_of(name)),
        ("path", Value::string(p.path().unwrap_or("/"))),
        (
            "description",
            opt_str(p.description().filter(|d| !d.is_empty())),
        ),
        ("policy", opt_str(document.as_deref())),
        ("policy_id", opt_str(p.policy_id())),
        ("attachment_count", opt_num(p.attachment_count())),
        ("tags_all", tags_value(&tags_of(p.tags()))),
    ]);
    keep_document(&mut v, reference, "policy");
    Ok(Some(v))
}

fn arn_of(c: &Clients, account: &str, planned: &Value, name: &str) -> String {
    let path = s(planned, "path").unwrap_or_else(|| "/".into());
    format!("arn:{}:iam::{account}:policy{path}{name}", c.partition())
}

pub async fn read(c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
    get(c, &required(prior, "arn")?, prior).await
}

pub async fn create(c: &Clients, planned: &Value, token: &str) -> Result<Value, ProviderError> {
    let name = unique_name(planned, token);
    let call = c
        .iam
        .create_policy()
        .policy_name(&name)
        .path(s(planned, "path").unwrap_or_else(|| "/".into()))
        .set_description(s(planned, "description"))
        .policy_document(required(planned, "policy")?)
        .set_tags(sdk_tags(&c.tags_all(planned))?);
    let arn = match once::create(
        policy_of(c),
        || {
            call.clone()
                .customize()
                .config_override(no_retries())
                .send()
        },
        || settle(c, planned, token),
    )
    .await?
    {
        Created::Sent(o) => o
            .policy()
            .and_then(|p| p.arn())
            .map(str::to_string)
            .unwrap_or(arn_of(c, &c.account().await?, planned, &name)),
        Created::Found(v) => required(&v, "arn")?,
    };
    get(c, &arn, planned).await?.ok_or_else(|| gone(&arn))
}

fn gone(arn: &str) -> ProviderError {
    ProviderError::new(
        trellis_provider::ErrorKind::NotFound,
        format!("policy {arn} is gone"),
    )
}

pub async fn update(c: &Clients, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let arn = required(prior, "arn")?;
    if s(prior, "policy") != s(planned, "policy") {
        let versions = c
            .iam
            .list_policy_versions()
            .policy_arn(&arn)
            .send()
            .await
            .map_err(aws)?;
        let mut others: Vec<_> = versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
            .collect();
        if versions.versions().len() >= MAX_VERSIONS {
            others.sort_by_key(|v| v.create_date().map(|d| (d.secs(), d.subsec_nanos())));
            if let Some(oldest) = others.first().and_then(|v| v.version_id()) {
                c.iam
                    .delete_policy_version()
                    .policy_arn(&arn)
                    .version_id(oldest)
                    .send()
                    .await
                    .map_err(aws)?;
            }
        }
        c.iam
            .create_policy_version()
            .policy_arn(&arn)
            .policy_document(required(planned, "policy")?)
            .set_as_default(true)
            .send()
            .await
            .map_err(aws)?;
    }
    let change = TagChange::between(
        &string_map(prior.get("tags_all")),
        &string_map(planned.get("tags_all")),
    );
    if !change.removed.is_empty() {
        c.iam
            .untag_policy()
            .policy_arn(&arn)
            .set_tag_keys(Some(change.removed))
            .send()
            .await
            .map_err(aws)?;
    }
    if let Some(tags) = sdk_tags(&change.changed)? {
        c.iam
            .tag_policy()
            .policy_arn(&arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(aws)?;
    }
    get(c, &arn, planned).await?.ok_or_else(|| gone(&arn))
}

/// Deletes the policy's other versions first (IAM refuses to delete a policy that has them).
pub async fn delete(c: &Clients, prior: &Value) -> Result<(), ProviderError> {
    let arn = required(prior, "arn")?;
    let versions = match c.iam.list_policy_versions().policy_arn(&arn).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = aws(e);
            return if is_not_found(&e) { Ok(()) } else { Err(e) };
        }
    };
    for v in versions.versions() {
        if let (false, Some(id)) = (v.is_default_version(), v.version_id()) {
            c.iam
                .delete_policy_version()
                .policy_arn(&arn)
                .version_id(id)
                .send()
                .await
                .map_err(aws)?;
        }
    }
    c.iam
        .delete_policy()
        .policy_arn(&arn)
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
    let arn = arn_of(
        c,
        &c.account().await?,
        planned,
        &unique_name(planned, token),
    );
    get(c, &arn, planned).await
}

pub async fn import(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    get(c, id, &Value::Null).await
}
