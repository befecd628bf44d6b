//! `aws_cloudwatch_log_group` (import ID and `id`: the name). `arn` is the group's ARN
//! without the `:*` that DescribeLogGroups appends, as the AWS provider reports it, so it
//! is what `destination_arn` of an access log subscription takes.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::LogGroupClass;
use trellis_provider::{AttrType, AttributeDiagnostic, Block, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, hash_map, n, opt_num, opt_str, s, string_map};
use crate::sdk::error::{aws, is_not_found, required};
use crate::sdk::once;
use crate::sdk::schema::*;
use crate::sdk::values::{prefix_of, tags_value, unique_name, TagChange};

/// The retention periods CloudWatch Logs accepts (0: never expire).
const RETENTION: [i32; 23] = [
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub fn schema() -> ResourceSchema {
    resource(
        "a CloudWatch Logs log group",
        "log group name",
        tagged(id_arn(
            Block::new()
                .attr("name", opt_comp(string()).force_new())
                .attr("name_prefix", opt_comp(string()).force_new())
                .attr(
                    "retention_in_days",
                    opt(number()).with_default(Value::Number(0.0)),
                )
                .attr("kms_key_id", opt(string()))
                .attr("log_group_class", opt_comp(string()).force_new())
                .attr(
                    "skip_destroy",
                    opt(AttrType::Bool).with_default(Value::Bool(false)),
                ),
        )),
    )
}

pub fn validate(config: &Value) -> Vec<AttributeDiagnostic> {
    let mut out = Vec::new();
    let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
    if set("name") && set("name_prefix") {
        out.push(AttributeDiagnostic::error(
            Path::from_keys(["name_prefix"]),
            "name and name_prefix are both set; set one",
        ));
    }
    for (key, limit) in [("name", 512), ("name_prefix", 483)] {
        if let Some(name) = s(config, key) {
            if name.is_empty() || name.len() > limit {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys([key]),
                    format!("{key} must be 1 to {limit} characters, got {}", name.len()),
                ));
            } else if let Some(bad) = name
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "._-/#".contains(*c)))
            {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys([key]),
                    format!("{key} may not contain {bad:?} (letters, digits and ._-/# only)"),
                ));
            }
        }
    }
    if let Some(days) = n(config, "retention_in_days") {
        if !RETENTION.contains(&days) {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["retention_in_days"]),
                format!(
                    "retention_in_days {days} is not one of {}",
                    RETENTION.map(|d| d.to_string()).join(", ")
                ),
            ));
        }
    }
    if let Some(class) = s(config, "log_group_class") {
        if !["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"].contains(&class.as_str()) {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["log_group_class"]),
                format!(
                    "log_group_class {class:?} is not one of STANDARD, INFREQUENT_ACCESS, DELIVERY"
                ),
            ));
        }
    }
    out
}

async fn get(c: &Clients, name: &str) -> Result<Option<Value>, ProviderError> {
    let mut token = None;
    let group = loop {
        let o = c
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .set_next_token(token)
            .send()
            .await
            .map_err(aws)?;
        if let Some(g) = o
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
        {
            break g.clone();
        }
        match o.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => return Ok(None),
        }
    };
    let arn = group
        .arn()
        .map(|a| a.trim_end_matches(":*").to_string())
        .unwrap_or_default();
    let tags: BTreeMap<String, String> = match c
        .logs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
    {
        Ok(o) => o
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        Err(e) => {
            let e = aws(e);
            if is_not_found(&e) {
                return Ok(None);
            }
            return Err(e);
        }
    };
    Ok(Some(Value::object([
        ("id", Value::string(name)),
        ("name", Value::string(name)),
        ("name_prefix", prefix_of(name)),
        ("arn", Value::string(arn)),
        (
            "retention_in_days",
            opt_num(Some(group.retention_in_days().unwrap_or(0))),
        ),
        ("kms_key_id", opt_str(group.kms_key_id())),
        (
            "log_group_class",
            Value::string(
                group
                    .log_group_class()
                    .map(|c| c.as_str())
                    .unwrap_or("STANDARD"),
            ),
        ),
        ("tags_all", tags_value(&tags)),
    ])))
}

fn gone(name: &str) -> ProviderError {
    ProviderError::new(
        trellis_provider::ErrorKind::NotFound,
        format!("log group {name} is gone"),
    )
}

pub async fn read(c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
    get(c, &required(prior, "name")?).await
}

async fn set_retention(c: &Clients, name: &str, days: i32) -> Result<(), ProviderError> {
    if days == 0 {
        c.logs
            .delete_retention_policy()
            .log_group_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(aws)
    } else {
        c.logs
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .map(|_| ())
            .map_err(aws)
    }
}

/// `CreateLogGroup` fails when sent twice (ResourceAlreadyExistsException): [`once::create`]
/// sends it, and a lost create settles on the group with the name it used.
pub async fn create(c: &Clients, planned: &Value, token: &str) -> Result<Value, ProviderError> {
    let name = unique_name(planned, token);
    let call = c
        .logs
        .create_log_group()
        .log_group_name(&name)
        .set_kms_key_id(s(planned, "kms_key_id"))
        .set_log_group_class(s(planned, "log_group_class").map(|c| LogGroupClass::from(c.as_str())))
        .set_tags(hash_map(&c.tags_all(planned)));
    once::create(
        once::Policy::of(c.logs.config().retry_config()),
        || {
            call.clone()
                .customize()
                .config_override(
                    aws_sdk_cloudwatchlogs::config::Builder::default()
                        .retry_config(once::no_sdk_retries()),
                )
                .send()
        },
        || settle(c, planned, token),
    )
    .await?;
    if let Some(days) = n(planned, "retention_in_days").filter(|d| *d != 0) {
        set_retention(c, &name, days).await?;
    }
    get(c, &name).await?.ok_or_else(|| gone(&name))
}

pub async fn update(c: &Clients, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let name = required(prior, "name")?;
    let days = n(planned, "retention_in_days").unwrap_or(0);
    if n(prior, "retention_in_days").unwrap_or(0) != days {
        set_retention(c, &name, days).await?;
    }
    if s(prior, "kms_key_id") != s(planned, "kms_key_id") {
        match s(planned, "kms_key_id") {
            Some(key) => {
                c.logs
                    .associate_kms_key()
                    .log_group_name(&name)
                    .kms_key_id(key)
                    .send()
                    .await
                    .map_err(aws)?;
            }
            None => {
                c.logs
                    .disassociate_kms_key()
                    .log_group_name(&name)
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
    let arn = required(prior, "arn")?;
    if !change.removed.is_empty() {
        c.logs
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(change.removed))
            .send()
            .await
            .map_err(aws)?;
    }
    if !change.changed.is_empty() {
        c.logs
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(hash_map(&change.changed))
            .send()
            .await
            .map_err(aws)?;
    }
    get(c, &name).await?.ok_or_else(|| gone(&name))
}

/// With `skip_destroy`, the group stays in AWS and only leaves the state (as the provider).
pub async fn delete(c: &Clients, prior: &Value) -> Result<(), ProviderError> {
    if b(prior, "skip_destroy") == Some(true) {
        return Ok(());
    }
    c.logs
        .delete_log_group()
        .log_group_name(required(prior, "name")?)
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
    Ok(get(c, id).await?.map(|mut v| {
        v.set_path(&Path::from_keys(["skip_destroy"]), Value::Bool(false));
        v
    }))
}

/// Discovery and generated configuration leave out what the API defaults.
pub fn drop_defaults(_type_name: &str, arguments: &mut BTreeMap<String, Value>) {
    if arguments.get("log_group_class") == Some(&Value::string("STANDARD")) {
        arguments.remove("log_group_class");
    }
    if arguments.get("retention_in_days") == Some(&Value::Number(0.0)) {
        arguments.remove("retention_in_days");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_and_names_are_checked_where_they_are() {
        let config = Value::object([
            ("name", Value::string("access logs")),
            ("retention_in_days", Value::Number(10.0)),
        ]);
        let paths: Vec<String> = validate(&config)
            .iter()
            .map(|d| d.path.to_string())
            .collect();
        assert_eq!(paths.len(), 2, "{paths:?}");
        assert!(validate(&Value::object([
            ("name", Value::string("/aws/vpclattice/orders")),
            ("retention_in_days", Value::Number(30.0)),
        ]))
        .is_empty());
    }
}
