//! The data source `aws_route53_zone`: a hosted zone by ID, or by name with
//! `private_zone`, `vpc_id` and tags.

use std::collections::BTreeMap;

use trellis_provider::{ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::{get_zone, normal_name, zone_id, zone_tags};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, list, opt_str, s, string_map};
use crate::sdk::error::{aws, invalid};
use crate::sdk::schema::*;
use crate::sdk::values::tags_value;

pub(crate) const ZONE: &str = "aws_route53_zone";

/// The data sources' schemas.
pub(crate) fn schemas() -> BTreeMap<String, ResourceSchema> {
    use trellis_provider::{AttrType, Block};
    let mut data_sources = BTreeMap::new();
    data_sources.insert(
        ZONE.into(),
        data(
            "a hosted zone by ID, or by name with private_zone, vpc_id and tags",
            Block::new()
                .attr("zone_id", opt_comp(string()))
                .attr("name", opt_comp(string()))
                .attr(
                    "private_zone",
                    opt(AttrType::Bool).with_default(Value::Bool(false)),
                )
                .attr("vpc_id", opt_comp(string()))
                .attr("tags", opt_comp(AttrType::Map(Box::new(AttrType::String))))
                .attr("id", comp(string()))
                .attr("arn", comp(string()))
                .attr("comment", comp(string()))
                .attr("caller_reference", comp(string()))
                .attr("name_servers", comp(strings()))
                .attr("primary_name_server", comp(string()))
                .attr("resource_record_set_count", comp(AttrType::Number)),
        ),
    );
    data_sources
}

/// Reads the data source `type_name`.
pub(crate) async fn read(
    c: &Clients,
    type_name: &str,
    config: &Value,
) -> Result<Value, ProviderError> {
    if type_name != ZONE {
        return Err(invalid(format!("unknown data source {type_name}")));
    }
    let wanted_private = b(config, "private_zone").unwrap_or(false);
    let id = match s(config, "zone_id") {
        Some(id) => zone_id(&id),
        None => {
            let name = s(config, "name")
                .map(|n| normal_name(&n))
                .ok_or_else(|| invalid("set zone_id or name"))?;
            let wanted_tags = string_map(config.get("tags"));
            let vpc = s(config, "vpc_id");
            let mut found = Vec::new();
            let mut marker: Option<String> = None;
            loop {
                let o = c
                    .route53
                    .list_hosted_zones()
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(aws)?;
                for z in o.hosted_zones() {
                    let private = z.config().map(|x| x.private_zone()).unwrap_or(false);
                    if normal_name(z.name()) == name && private == wanted_private {
                        found.push(zone_id(z.id()));
                    }
                }
                if !o.is_truncated() {
                    break;
                }
                marker = o.next_marker().map(str::to_string);
            }
            let mut matching = Vec::new();
            for id in found {
                if !wanted_tags.is_empty() {
                    let tags = zone_tags(c, &id).await?;
                    if !wanted_tags.iter().all(|(k, v)| tags.get(k) == Some(v)) {
                        continue;
                    }
                }
                if let Some(vpc) = &vpc {
                    let zone = get_zone(c, &id, &Value::Null).await?;
                    let has = zone
                        .as_ref()
                        .map(|z| {
                            list(z, "vpc")
                                .iter()
                                .any(|v| s(v, "vpc_id").as_ref() == Some(vpc))
                        })
                        .unwrap_or(false);
                    if !has {
                        continue;
                    }
                }
                matching.push(id);
            }
            match matching.as_slice() {
                [one] => one.clone(),
                [] => {
                    return Err(ProviderError::new(
                        ErrorKind::NotFound,
                        format!(
                            "no {} hosted zone named {name:?} matches",
                            if wanted_private { "private" } else { "public" }
                        ),
                    ))
                }
                many => {
                    return Err(invalid(format!(
                        "{} hosted zones match; narrow them with vpc_id or tags",
                        many.len()
                    )))
                }
            }
        }
    };
    let o = c
        .route53
        .get_hosted_zone()
        .id(&id)
        .send()
        .await
        .map_err(aws)?;
    let zone = o
        .hosted_zone()
        .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "no such hosted zone"))?;
    let servers: Vec<String> = o
        .delegation_set()
        .map(|d| d.name_servers().to_vec())
        .unwrap_or_default();
    let mut out = config.clone();
    for (k, v) in [
        ("id", Value::string(&id)),
        ("zone_id", Value::string(&id)),
        (
            "arn",
            Value::string(format!("arn:{}:route53:::hostedzone/{id}", c.partition())),
        ),
        ("name", Value::string(normal_name(zone.name()))),
        ("comment", opt_str(zone.config().and_then(|x| x.comment()))),
        ("caller_reference", Value::string(zone.caller_reference())),
        (
            "private_zone",
            Value::Bool(zone.config().map(|x| x.private_zone()).unwrap_or(false)),
        ),
        (
            "resource_record_set_count",
            zone.resource_record_set_count()
                .map(|n| Value::Number(n as f64))
                .unwrap_or(Value::Null),
        ),
        (
            "primary_name_server",
            servers.first().map(Value::string).unwrap_or(Value::Null),
        ),
        (
            "name_servers",
            Value::List(servers.into_iter().map(Value::String).collect()),
        ),
        ("tags", tags_value(&zone_tags(c, &id).await?)),
    ] {
        out.set_path(&Path::from_keys([k]), v);
    }
    if s(config, "vpc_id").is_none() {
        out.set_path(&Path::from_keys(["vpc_id"]), Value::Null);
    }
    Ok(out)
}
