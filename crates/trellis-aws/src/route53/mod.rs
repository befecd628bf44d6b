//! Route53 names for meshes, one file per resource type: [`zone`] (`aws_route53_zone`,
//! public, or private with `vpc` blocks), [`record`] (`aws_route53_record`: `records`, or an
//! `alias` block such as a Lattice service's `dns_entry`) and [`assoc`] (the cross-account
//! association of a private zone with another account's VPC); the data source
//! `aws_route53_zone` in [`data`]. Every change waits for INSYNC.
//!
//! Names compare as DNS does: without case and without the trailing dot, and a record name
//! relative to its zone (`orders`) is the same as the full one (`orders.mesh.internal`), so
//! neither spelling causes a change.

pub(crate) mod assoc;
pub(crate) mod data;
pub(crate) mod record;
pub(crate) mod zone;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_route53::types::{ChangeStatus, TagResourceType};
use trellis_provider::{ErrorKind, ProviderError};
use trellis_types::Value;

use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_str, s, tag_map};
use crate::sdk::error::aws;
use crate::sdk::once;
use crate::sdk::values::{set_of, tags_value};
use crate::sdk::wait::{wait_for, Poll};

pub(crate) const WAIT: Duration = Duration::from_secs(30 * 60);

/// A DNS name as Route53 compares it: lowercase, without the trailing dot, `*` unescaped.
pub fn normal_name(name: &str) -> String {
    name.trim_end_matches('.')
        .replace("\\052", "*")
        .to_ascii_lowercase()
}

/// The full name of record `name` in zone `zone` (a relative name gets the zone appended).
pub fn expand_name(name: &str, zone: &str) -> String {
    let (n, z) = (normal_name(name), normal_name(zone));
    if n.is_empty() {
        z
    } else if n == z || n.ends_with(&format!(".{z}")) {
        n
    } else {
        format!("{n}.{z}")
    }
}

pub(crate) fn zone_id(raw: &str) -> String {
    raw.rsplit('/').next().unwrap_or(raw).to_string()
}

pub(crate) async fn wait_change(
    c: &Clients,
    change: &str,
    limit: Duration,
) -> Result<(), ProviderError> {
    wait_for("route53 change to be INSYNC", limit, || async {
        let o = c
            .route53
            .get_change()
            .id(change)
            .send()
            .await
            .map_err(aws)?;
        Ok(match o.change_info().map(|i| i.status()) {
            Some(ChangeStatus::Insync) => Poll::Ready(()),
            _ => Poll::Pending,
        })
    })
    .await
}

pub(crate) async fn zone_tags(
    c: &Clients,
    id: &str,
) -> Result<BTreeMap<String, String>, ProviderError> {
    let o = c
        .route53
        .list_tags_for_resource()
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(id)
        .send()
        .await
        .map_err(aws)?;
    Ok(o.resource_tag_set()
        .map(|set| tag_map(set.tags().iter().map(|t| (t.key(), t.value()))))
        .unwrap_or_default())
}

/// The zone `id` as it is now, in `reference`'s spelling of its name where equal.
pub(crate) async fn get_zone(
    c: &Clients,
    id: &str,
    reference: &Value,
) -> Result<Option<Value>, ProviderError> {
    let o = match c.route53.get_hosted_zone().id(id).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = aws(e);
            return if e.kind == ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            };
        }
    };
    let Some(zone) = o.hosted_zone() else {
        return Ok(None);
    };
    let id = zone_id(zone.id());
    let mut name = normal_name(zone.name());
    if let Some(spelled) = s(reference, "name") {
        if normal_name(&spelled) == name {
            name = spelled;
        }
    }
    let servers: Vec<String> = o
        .delegation_set()
        .map(|d| d.name_servers().to_vec())
        .unwrap_or_default();
    let vpcs = set_of(
        o.vpcs()
            .iter()
            .map(|v| {
                Value::object([
                    ("vpc_id", opt_str(v.vpc_id())),
                    ("vpc_region", opt_str(v.vpc_region().map(|r| r.as_str()))),
                ])
            })
            .collect(),
    );
    Ok(Some(Value::object([
        ("id", Value::string(&id)),
        ("zone_id", Value::string(&id)),
        (
            "arn",
            Value::string(format!("arn:{}:route53:::hostedzone/{id}", c.partition())),
        ),
        ("name", Value::string(name)),
        (
            "comment",
            Value::string(zone.config().and_then(|x| x.comment()).unwrap_or_default()),
        ),
        (
            "primary_name_server",
            servers.first().map(Value::string).unwrap_or(Value::Null),
        ),
        (
            "name_servers",
            Value::List(servers.into_iter().map(Value::String).collect()),
        ),
        ("vpc", vpcs),
        ("tags_all", tags_value(&zone_tags(c, &id).await?)),
    ])))
}

/// The zone's name, as DNS compares it.
pub(crate) async fn zone_name(c: &Clients, zone: &str) -> Result<String, ProviderError> {
    let o = c
        .route53
        .get_hosted_zone()
        .id(zone)
        .send()
        .await
        .map_err(aws)?;
    Ok(o.hosted_zone()
        .map(|z| normal_name(z.name()))
        .unwrap_or_default())
}

/// Route53's `CREATE` and `CreateHostedZone` are not safe to send twice (the second fails
/// with "already exists"): [`once::create`] sends them.
pub(crate) fn policy(c: &Clients) -> once::Policy {
    once::Policy::of(c.route53.config().retry_config())
}

pub(crate) fn no_retries() -> aws_sdk_route53::config::Builder {
    aws_sdk_route53::config::Builder::default().retry_config(once::no_sdk_retries())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_as_dns_does() {
        assert_eq!(normal_name("Orders.Mesh.Internal."), "orders.mesh.internal");
        assert_eq!(normal_name("\\052.mesh.internal."), "*.mesh.internal");
        assert_eq!(
            expand_name("orders", "mesh.internal."),
            "orders.mesh.internal"
        );
        assert_eq!(
            expand_name("orders.mesh.internal", "mesh.internal"),
            "orders.mesh.internal"
        );
        assert_eq!(expand_name("", "mesh.internal"), "mesh.internal");
    }
}
