//! The data source `aws_ram_resource_share`: a share by name, owner, status, tags and tag
//! filters.

use std::collections::BTreeMap;

use aws_sdk_ram::types::{ResourceOwner, ResourceShare, ResourceShareStatus, TagFilter};
use trellis_provider::{AttributeDiagnostic, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::share_tags;
use crate::sdk::clients::Clients;
use crate::sdk::convert::{filter_blocks, opt_str, s, string_map};
use crate::sdk::error::{aws, invalid};
use crate::sdk::schema::*;
use crate::sdk::values::{set_of, tags_value};

pub(crate) const SHARE: &str = "aws_ram_resource_share";

/// The data sources' schemas.
pub(crate) fn schemas() -> BTreeMap<String, ResourceSchema> {
    use trellis_provider::{AttrType, Block};
    let mut data_sources = BTreeMap::new();
    data_sources.insert(
        SHARE.into(),
        data(
            "a RAM resource share by name, owner and tags",
            filters(
                Block::new()
                    .attr("name", opt_comp(string()))
                    .attr("resource_owner", req(string()))
                    .attr("resource_share_status", opt(string()))
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("owning_account_id", comp(string()))
                    .attr("status", comp(string()))
                    .attr("resource_arns", comp(strings()))
                    .attr("tags", opt_comp(AttrType::Map(Box::new(AttrType::String)))),
            ),
        ),
    );
    data_sources
}

pub(crate) fn check_owner(config: &Value, out: &mut Vec<AttributeDiagnostic>) {
    if let Some(o) = config.get("resource_owner").and_then(Value::as_str) {
        if !matches!(o, "SELF" | "OTHER-ACCOUNTS") {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["resource_owner"]),
                format!("{o:?} is not one of SELF, OTHER-ACCOUNTS"),
            ));
        }
    }
}

/// Reads the data source `type_name`.
pub(crate) async fn read(
    c: &Clients,
    type_name: &str,
    config: &Value,
) -> Result<Value, ProviderError> {
    if type_name != SHARE {
        return Err(invalid(format!("unknown data source {type_name}")));
    }
    let owner = match s(config, "resource_owner").as_deref() {
        Some("SELF") => ResourceOwner::SelfValue,
        Some("OTHER-ACCOUNTS") => ResourceOwner::OtherAccounts,
        other => {
            return Err(invalid(format!(
                "resource_owner {other:?} is not one of SELF, OTHER-ACCOUNTS"
            )))
        }
    };
    let mut call = c
        .ram
        .get_resource_shares()
        .resource_owner(owner.clone())
        .set_name(s(config, "name"));
    if let Some(status) = s(config, "resource_share_status") {
        call = call.resource_share_status(ResourceShareStatus::from(status.as_str()));
    }
    let filters = filter_blocks(config);
    for (name, values) in &filters {
        call = call.tag_filters(
            TagFilter::builder()
                .set_tag_key(name.clone())
                .set_tag_values(Some(values.clone()))
                .build(),
        );
    }
    let o = call.send().await.map_err(aws)?;
    let wanted_tags = string_map(config.get("tags"));
    let matches: Vec<&ResourceShare> = o
        .resource_shares()
        .iter()
        .filter(|sh| {
            let tags = share_tags(sh);
            wanted_tags.iter().all(|(k, v)| tags.get(k) == Some(v))
                && filters.iter().all(|(k, vs)| {
                    tags.get(k.as_deref().unwrap_or_default())
                        .is_some_and(|v| vs.contains(v))
                })
        })
        .filter(|sh| {
            s(config, "resource_share_status").is_some()
                || !matches!(sh.status(), Some(ResourceShareStatus::Deleted))
        })
        .collect();
    let share = match matches.as_slice() {
        [one] => *one,
        [] => {
            return Err(ProviderError::new(
                ErrorKind::NotFound,
                "no resource share matches the arguments (a share from another account is \
                 visible only after it is accepted)",
            ))
        }
        many => {
            return Err(invalid(format!(
                "{} resource shares match the arguments; narrow them with name or filter",
                many.len()
            )))
        }
    };
    let arn = share.resource_share_arn().unwrap_or_default().to_string();
    let resources = c
        .ram
        .list_resources()
        .resource_owner(owner)
        .resource_share_arns(&arn)
        .send()
        .await
        .map_err(aws)?;
    let arns = set_of(
        resources
            .resources()
            .iter()
            .filter_map(|r| r.arn().map(Value::string))
            .collect(),
    );
    let tags = share_tags(share);
    let mut out = config.clone();
    for (k, v) in [
        ("id", Value::string(&arn)),
        ("arn", Value::string(&arn)),
        ("name", opt_str(share.name())),
        ("owning_account_id", opt_str(share.owning_account_id())),
        ("status", opt_str(share.status().map(|x| x.as_str()))),
        ("resource_arns", arns),
        ("tags", tags_value(&tags)),
    ] {
        out.set_path(&Path::from_keys([k]), v);
    }
    Ok(out)
}
