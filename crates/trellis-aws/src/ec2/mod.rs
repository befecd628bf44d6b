//! EC2 for meshes, one file per resource type: [`vpc`], [`subnet`], [`security_group`] (with
//! inline `ingress`/`egress` blocks, see [`rules`]) and [`security_group_rule`]
//! (`aws_vpc_security_group_ingress_rule` and `_egress_rule`); the routing around them:
//! [`internet_gateway`], [`route_table`] (with inline `route` blocks), [`route`] and
//! [`route_table_association`]; the data sources (`aws_vpc`,
//! `aws_subnets`, `aws_availability_zones`, `aws_security_group`,
//! `aws_ec2_managed_prefix_list`: targets behind Lattice allow the
//! `com.amazonaws.REGION.vpc-lattice` prefix lists) are in [`data`].
//!
//! What the types share is here: EC2 tags (set at create through tag specifications, changed
//! with `CreateTags`/`DeleteTags`), filters, ARNs, and the non-idempotent create path: EC2's
//! creates take no client token, so they go through [`once::create`] with the SDK's own
//! retries off, and a lost create is found again by what identifies the object.
//!
//! Adding a type: copy the file of a similar one (`subnet.rs`), implement
//! [`AwsType`](crate::sdk::resource::AwsType), add `mod` below and one line to
//! `crate::registry::TYPES`.

pub(crate) mod data;
pub(crate) mod internet_gateway;
pub(crate) mod route;
pub(crate) mod route_table;
pub(crate) mod route_table_association;
pub(crate) mod rules;
pub(crate) mod security_group;
pub(crate) mod security_group_rule;
pub(crate) mod subnet;
pub(crate) mod vpc;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, ResourceType, Tag, TagSpecification, VpcAttributeName,
};
use trellis_provider::ProviderError;
use trellis_types::Value;

use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_bool, string_map, tag_map};
use crate::sdk::error::{aws, required};
use crate::sdk::once;
use crate::sdk::values::TagChange;

pub(crate) const WAIT: Duration = Duration::from_secs(10 * 60);

/// `-1` for every protocol (`all`, `-1`), else the lowercase name (`6` is `tcp`).
pub(crate) fn normal_protocol(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        other => other.into(),
    }
}

pub(crate) fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(crate) fn tag_spec(
    kind: ResourceType,
    tags: &BTreeMap<String, String>,
) -> Option<TagSpecification> {
    (!tags.is_empty()).then(|| {
        TagSpecification::builder()
            .resource_type(kind)
            .set_tags(Some(sdk_tags(tags)))
            .build()
    })
}

pub(crate) fn tags_of(tags: &[Tag]) -> BTreeMap<String, String> {
    tag_map(tags.iter().map(|t| (t.key(), t.value())))
}

pub(crate) fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// A `tag:KEY` filter per tag: objects carrying at least these tags.
pub(crate) fn tag_filters(tags: &BTreeMap<String, String>) -> Vec<Filter> {
    tags.iter()
        .map(|(k, v)| filter(&format!("tag:{k}"), &[v]))
        .collect()
}

/// The ID when there is exactly one: a lost create is taken only when nothing else could be
/// mistaken for it.
pub(crate) fn only_one(ids: Vec<String>) -> Option<String> {
    match <[String; 1]>::try_from(ids) {
        Ok([one]) => Some(one),
        Err(_) => None,
    }
}

pub(crate) fn arn(c: &Clients, account: &str, path: &str) -> String {
    format!("arn:{}:ec2:{}:{account}:{path}", c.partition(), c.region())
}

pub(crate) async fn vpc_attribute(
    c: &Clients,
    id: &str,
    name: VpcAttributeName,
) -> Result<Value, ProviderError> {
    let o = c
        .ec2
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(name.clone())
        .send()
        .await
        .map_err(aws)?;
    let v = match name {
        VpcAttributeName::EnableDnsSupport => o.enable_dns_support(),
        _ => o.enable_dns_hostnames(),
    };
    Ok(opt_bool(v.and_then(|x| x.value())))
}

pub(crate) fn boolean(v: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(v).build()
}

/// Moves an object's EC2 tags from the prior `tags_all` to the planned one.
pub(crate) async fn update_tags(
    c: &Clients,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    let before = string_map(prior.get("tags_all"));
    let after = c.tags_all(planned);
    let TagChange { removed, changed } = TagChange::between(&before, &after);
    let removed: Vec<Tag> = removed
        .iter()
        .map(|k| Tag::builder().key(k).build())
        .collect();
    if !removed.is_empty() {
        c.ec2
            .delete_tags()
            .resources(id)
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(aws)?;
    }
    if !changed.is_empty() {
        c.ec2
            .create_tags()
            .resources(id)
            .set_tags(Some(sdk_tags(&changed)))
            .send()
            .await
            .map_err(aws)?;
    }
    Ok(())
}

/// The ID of the one VPC or subnet with the planned CIDR and exactly the planned tags; none
/// when the plan has no tags, since an untagged object cannot be told from another's.
pub(crate) async fn find_network(
    c: &Clients,
    type_name: &str,
    planned: &Value,
) -> Result<Option<String>, ProviderError> {
    let tags = c.tags_all(planned);
    if tags.is_empty() {
        return Ok(None);
    }
    let cidr = required(planned, "cidr_block")?;
    let mut fs = vec![filter("cidr-block", &[&cidr])];
    fs.extend(tag_filters(&tags));
    let ids: Vec<String> = if type_name == vpc::NAME {
        let o = c
            .ec2
            .describe_vpcs()
            .set_filters(Some(fs))
            .send()
            .await
            .map_err(aws)?;
        o.vpcs()
            .iter()
            .filter_map(|v| v.vpc_id().map(str::to_string))
            .collect()
    } else {
        let o = c
            .ec2
            .describe_subnets()
            .set_filters(Some(fs))
            .send()
            .await
            .map_err(aws)?;
        o.subnets()
            .iter()
            .filter_map(|v| v.subnet_id().map(str::to_string))
            .collect()
    };
    Ok(only_one(ids))
}

/// EC2's creates here take no client token: [`once::create`] sends them.
pub(crate) fn policy(c: &Clients) -> once::Policy {
    once::Policy::of(c.ec2.config().retry_config())
}

pub(crate) fn no_retries() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_config(once::no_sdk_retries())
}
