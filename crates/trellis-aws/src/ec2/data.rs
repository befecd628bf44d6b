//! The EC2 data sources: `aws_vpc` (by ID, CIDR, default flag, state, tags or filters),
//! `aws_subnets`, `aws_availability_zones`, `aws_security_group` and
//! `aws_ec2_managed_prefix_list`.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, VpcAttributeName};
use trellis_provider::{ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::{arn, filter, tags_of, vpc_attribute};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, filter_blocks, list, opt_bool, opt_num, opt_str, s, string_map};
use crate::sdk::error::{aws, invalid};
use crate::sdk::schema::*;
use crate::sdk::values::tags_value;

pub(crate) const VPC: &str = "aws_vpc";
pub(crate) const SUBNETS: &str = "aws_subnets";
pub(crate) const AVAILABILITY_ZONES: &str = "aws_availability_zones";
pub(crate) const SECURITY_GROUP: &str = "aws_security_group";
pub(crate) const PREFIX_LIST: &str = "aws_ec2_managed_prefix_list";

/// The data sources' schemas.
pub(crate) fn schemas() -> BTreeMap<String, ResourceSchema> {
    use trellis_provider::{AttrType, Block};
    let number = || AttrType::Number;
    let boolean = || AttrType::Bool;
    let mut data_sources = BTreeMap::new();
    let map = || AttrType::Map(Box::new(AttrType::String));
    data_sources.insert(
        VPC.into(),
        data(
            "a VPC by ID, CIDR, default flag, tags or filters",
            filters(
                Block::new()
                    .attr("id", opt_comp(string()))
                    .attr("cidr_block", opt_comp(string()))
                    .attr("default", opt_comp(boolean()))
                    .attr("state", opt_comp(string()))
                    .attr("tags", opt_comp(map()))
                    .attr("arn", comp(string()))
                    .attr("owner_id", comp(string()))
                    .attr("instance_tenancy", comp(string()))
                    .attr("enable_dns_support", comp(boolean()))
                    .attr("enable_dns_hostnames", comp(boolean())),
            ),
        ),
    );
    data_sources.insert(
        SUBNETS.into(),
        data(
            "the IDs of the subnets that match tags and filters",
            filters(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("tags", opt(map()))
                    .attr("ids", comp(strings())),
            ),
        ),
    );
    data_sources.insert(
        AVAILABILITY_ZONES.into(),
        data(
            "the availability zones of the provider's region, by state and filters",
            filters(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("all_availability_zones", opt(boolean()))
                    .attr("state", opt(string()))
                    .attr("exclude_names", opt(strings()))
                    .attr("exclude_zone_ids", opt(strings()))
                    .attr("names", comp(strings()))
                    .attr("zone_ids", comp(strings()))
                    .attr("group_names", comp(strings())),
            ),
        ),
    );
    data_sources.insert(
        SECURITY_GROUP.into(),
        data(
            "a security group by ID, name, VPC, tags or filters",
            filters(
                Block::new()
                    .attr("id", opt_comp(string()))
                    .attr("name", opt_comp(string()))
                    .attr("vpc_id", opt_comp(string()))
                    .attr("tags", opt_comp(map()))
                    .attr("arn", comp(string()))
                    .attr("description", comp(string())),
            ),
        ),
    );
    data_sources.insert(
        PREFIX_LIST.into(),
        data(
            "a managed prefix list (such as com.amazonaws.REGION.vpc-lattice) by ID, name or filters",
            filters(
                Block::new()
                    .attr("id", opt_comp(string()))
                    .attr("name", opt_comp(string()))
                    .attr("arn", comp(string()))
                    .attr("address_family", comp(string()))
                    .attr("max_entries", comp(number()))
                    .attr("owner_id", comp(string()))
                    .attr("version", comp(number()))
                    .attr("tags", comp(map()))
                    .attr(
                        "entries",
                        comp(AttrType::List(Box::new(AttrType::Object(BTreeMap::from([
                            ("cidr".to_string(), AttrType::String),
                            ("description".to_string(), AttrType::String),
                        ]))))),
                    ),
            ),
        ),
    );
    data_sources
}

/// `filter` blocks and a `tags` map of a data source as EC2 filters.
fn filters_of(config: &Value) -> Vec<Filter> {
    let mut out: Vec<Filter> = filter_blocks(config)
        .into_iter()
        .map(|(name, values)| {
            Filter::builder()
                .set_name(name)
                .set_values(Some(values))
                .build()
        })
        .collect();
    for (k, v) in string_map(config.get("tags")) {
        out.push(filter(&format!("tag:{k}"), &[&v]));
    }
    out
}

fn one<'a, T>(items: &'a [T], what: &str) -> Result<&'a T, ProviderError> {
    match items {
        [one] => Ok(one),
        [] => Err(ProviderError::new(
            ErrorKind::NotFound,
            format!("no {what} matches the arguments"),
        )),
        many => Err(invalid(format!(
            "{} {what}s match the arguments; narrow them with filters or tags",
            many.len()
        ))),
    }
}

/// Reads the data source `type_name`.
pub(crate) async fn read(
    c: &Clients,
    type_name: &str,
    config: &Value,
) -> Result<Value, ProviderError> {
    let mut out = config.clone();
    let mut set = |k: &str, v: Value| {
        out.set_path(&Path::from_keys([k]), v);
    };
    let fs = filters_of(config);
    match type_name {
        VPC => {
            let mut fs = fs;
            if let Some(cidr) = s(config, "cidr_block") {
                fs.push(filter("cidr", &[&cidr]));
            }
            if let Some(d) = b(config, "default") {
                fs.push(filter("is-default", &[if d { "true" } else { "false" }]));
            }
            if let Some(state) = s(config, "state") {
                fs.push(filter("state", &[&state]));
            }
            let o = c
                .ec2
                .describe_vpcs()
                .set_vpc_ids(s(config, "id").map(|i| vec![i]))
                .set_filters((!fs.is_empty()).then_some(fs))
                .send()
                .await
                .map_err(aws)?;
            let vpc = one(o.vpcs(), "vpc")?;
            let id = vpc.vpc_id().unwrap_or_default().to_string();
            let owner = vpc.owner_id().unwrap_or_default().to_string();
            set("id", Value::string(&id));
            set("arn", Value::string(arn(c, &owner, &format!("vpc/{id}"))));
            set("cidr_block", opt_str(vpc.cidr_block()));
            set("default", opt_bool(vpc.is_default()));
            set("state", opt_str(vpc.state().map(|x| x.as_str())));
            set("owner_id", Value::string(&owner));
            set(
                "instance_tenancy",
                opt_str(vpc.instance_tenancy().map(|x| x.as_str())),
            );
            set("tags", tags_value(&tags_of(vpc.tags())));
            set(
                "enable_dns_support",
                vpc_attribute(c, &id, VpcAttributeName::EnableDnsSupport).await?,
            );
            set(
                "enable_dns_hostnames",
                vpc_attribute(c, &id, VpcAttributeName::EnableDnsHostnames).await?,
            );
        }
        SUBNETS => {
            let o = c
                .ec2
                .describe_subnets()
                .set_filters((!fs.is_empty()).then_some(fs))
                .send()
                .await
                .map_err(aws)?;
            let mut ids: Vec<String> = o
                .subnets()
                .iter()
                .filter_map(|x| x.subnet_id().map(str::to_string))
                .collect();
            ids.sort();
            set("id", Value::string(c.region()));
            set(
                "ids",
                Value::List(ids.into_iter().map(Value::String).collect()),
            );
        }
        AVAILABILITY_ZONES => {
            let mut fs = fs;
            if let Some(state) = s(config, "state") {
                fs.push(filter("state", &[&state]));
            }
            let o = c
                .ec2
                .describe_availability_zones()
                .set_all_availability_zones(b(config, "all_availability_zones"))
                .set_filters((!fs.is_empty()).then_some(fs))
                .send()
                .await
                .map_err(aws)?;
            let excluded = |key: &str, v: Option<&str>| {
                list(config, key)
                    .iter()
                    .any(|x| x.as_str().is_some() && x.as_str() == v)
            };
            // As the AWS provider: by zone name, names and zone IDs in that one order.
            let mut zones: Vec<(String, String, String)> = o
                .availability_zones()
                .iter()
                .filter(|z| !excluded("exclude_names", z.zone_name()))
                .filter(|z| !excluded("exclude_zone_ids", z.zone_id()))
                .map(|z| {
                    (
                        z.zone_name().unwrap_or_default().to_string(),
                        z.zone_id().unwrap_or_default().to_string(),
                        z.group_name().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            zones.sort();
            let strings = |v: Vec<String>| Value::List(v.into_iter().map(Value::String).collect());
            let mut groups: Vec<String> = zones.iter().map(|z| z.2.clone()).collect();
            groups.sort();
            groups.dedup();
            set("id", Value::string(c.region()));
            set(
                "names",
                strings(zones.iter().map(|z| z.0.clone()).collect()),
            );
            set(
                "zone_ids",
                strings(zones.iter().map(|z| z.1.clone()).collect()),
            );
            set("group_names", strings(groups));
        }
        SECURITY_GROUP => {
            let mut fs = fs;
            if let Some(name) = s(config, "name") {
                fs.push(filter("group-name", &[&name]));
            }
            if let Some(vpc) = s(config, "vpc_id") {
                fs.push(filter("vpc-id", &[&vpc]));
            }
            let o = c
                .ec2
                .describe_security_groups()
                .set_group_ids(s(config, "id").map(|i| vec![i]))
                .set_filters((!fs.is_empty()).then_some(fs))
                .send()
                .await
                .map_err(aws)?;
            let g = one(o.security_groups(), "security group")?;
            let id = g.group_id().unwrap_or_default().to_string();
            let owner = g.owner_id().unwrap_or_default().to_string();
            set("id", Value::string(&id));
            set(
                "arn",
                Value::string(arn(c, &owner, &format!("security-group/{id}"))),
            );
            set("name", opt_str(g.group_name()));
            set("vpc_id", opt_str(g.vpc_id()));
            set("description", opt_str(g.description()));
            set("tags", tags_value(&tags_of(g.tags())));
        }
        PREFIX_LIST => {
            let mut fs = fs;
            if let Some(name) = s(config, "name") {
                fs.push(filter("prefix-list-name", &[&name]));
            }
            let o = c
                .ec2
                .describe_managed_prefix_lists()
                .set_prefix_list_ids(s(config, "id").map(|i| vec![i]))
                .set_filters((!fs.is_empty()).then_some(fs))
                .send()
                .await
                .map_err(aws)?;
            let p = one(o.prefix_lists(), "managed prefix list")?;
            let id = p.prefix_list_id().unwrap_or_default().to_string();
            let entries = c
                .ec2
                .get_managed_prefix_list_entries()
                .prefix_list_id(&id)
                .send()
                .await
                .map_err(aws)?;
            set("id", Value::string(&id));
            set("arn", opt_str(p.prefix_list_arn()));
            set("name", opt_str(p.prefix_list_name()));
            set("address_family", opt_str(p.address_family()));
            set("max_entries", opt_num(p.max_entries()));
            set("owner_id", opt_str(p.owner_id()));
            set(
                "version",
                p.version()
                    .map(|v| Value::Number(v as f64))
                    .unwrap_or(Value::Null),
            );
            set("tags", tags_value(&tags_of(p.tags())));
            set(
                "entries",
                Value::List(
                    entries
                        .entries()
                        .iter()
                        .map(|e| {
                            Value::object([
                                ("cidr", opt_str(e.cidr())),
                                ("description", opt_str(e.description())),
                            ])
                        })
                        .collect(),
                ),
            );
        }
        other => return Err(invalid(format!("unknown data source {other}"))),
    }
    Ok(out)
}
