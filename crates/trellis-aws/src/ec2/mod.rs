//! EC2 for meshes: `aws_vpc`, `aws_subnet`, `aws_security_group`,
//! `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule`, and the data
//! sources `aws_vpc`, `aws_subnets`, `aws_security_group` and `aws_ec2_managed_prefix_list`
//! (targets behind Lattice allow the `com.amazonaws.REGION.vpc-lattice` prefix lists).
//!
//! Security groups take inline `ingress`/`egress` blocks as Terraform does (see [`rules`]):
//! with blocks, the group's rules of that direction are managed exclusively; without, they are
//! left to the `aws_vpc_security_group_*_rule` resources. Like Terraform, a new group loses
//! the allow-all egress rule that AWS adds, so that its rules are exactly the configured ones.

mod rules;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType,
    SecurityGroupRuleRequest, SecurityGroupRuleUpdate, Tag, TagSpecification, Tenancy,
    UserIdGroupPair, VpcAttributeName,
};
use trellis_provider::{AttributeDiagnostic, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use crate::sdk::clients::Clients;
use crate::sdk::convert::{
    b, filter_blocks, list, n, opt_bool, opt_num, opt_str, s, string_map, timeout,
};
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::once::{self, Created};
use crate::sdk::schema::*;
use crate::sdk::values::{tags_value, TagChange};
use crate::sdk::wait::{delete_retrying, wait_for, Poll};

pub const VPC: &str = "aws_vpc";
pub const SUBNET: &str = "aws_subnet";
pub const SECURITY_GROUP: &str = "aws_security_group";
pub const INGRESS: &str = "aws_vpc_security_group_ingress_rule";
pub const EGRESS: &str = "aws_vpc_security_group_egress_rule";
pub const SUBNETS: &str = "aws_subnets";
pub const AVAILABILITY_ZONES: &str = "aws_availability_zones";
pub const PREFIX_LIST: &str = "aws_ec2_managed_prefix_list";

const WAIT: Duration = Duration::from_secs(10 * 60);
/// Terraform's default description; kept so that groups made by Terraform are not replaced.
const DEFAULT_DESCRIPTION: &str = "Managed by Terraform";

pub fn schema(
    resources: &mut BTreeMap<String, ResourceSchema>,
    data_sources: &mut BTreeMap<String, ResourceSchema>,
) {
    use trellis_provider::{AttrType, Block};
    let number = || AttrType::Number;
    let boolean = || AttrType::Bool;
    resources.insert(
        VPC.into(),
        resource(
            "a VPC",
            "VPC ID",
            tagged(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("cidr_block", req(string()).force_new())
                    .attr(
                        "instance_tenancy",
                        opt(string())
                            .with_default(Value::string("default"))
                            .force_new(),
                    )
                    .attr(
                        "enable_dns_support",
                        opt(boolean()).with_default(Value::Bool(true)),
                    )
                    .attr(
                        "enable_dns_hostnames",
                        opt(boolean()).with_default(Value::Bool(false)),
                    )
                    .attr("owner_id", comp(string()))
                    .attr("default_security_group_id", comp(string())),
            ),
        ),
    );
    resources.insert(
        SUBNET.into(),
        resource(
            "a subnet of a VPC",
            "subnet ID",
            tagged(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("vpc_id", req(string()).force_new())
                    .attr("cidr_block", req(string()).force_new())
                    .attr("availability_zone", opt_comp(string()).force_new())
                    .attr("availability_zone_id", comp(string()))
                    .attr(
                        "map_public_ip_on_launch",
                        opt(boolean()).with_default(Value::Bool(false)),
                    )
                    .attr("owner_id", comp(string())),
            ),
        ),
    );
    // Terraform's inline rule blocks: a set, managed only when present (attributes as
    // blocks, so `ingress = []` manages an empty set).
    let inline = || {
        Block::new()
            .attr("from_port", req(number()))
            .attr("to_port", req(number()))
            .attr("protocol", req(string()))
            .attr("cidr_blocks", opt(strings()))
            .attr("ipv6_cidr_blocks", opt(strings()))
            .attr("prefix_list_ids", opt(strings()))
            .attr("security_groups", opt(string_set()))
            .attr("self", opt(boolean()).with_default(Value::Bool(false)))
            .attr("description", opt(string()))
    };
    resources.insert(
        SECURITY_GROUP.into(),
        resource(
            "a security group, with inline ingress/egress blocks or aws_vpc_security_group_*_rule resources",
            "security group ID",
            tagged(
                Block::new()
                    .block("ingress", trellis_provider::Nesting::Set, inline())
                    .block("egress", trellis_provider::Nesting::Set, inline())
                    .block_computed("ingress")
                    .block_computed("egress")
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("name", opt_comp(string()).force_new())
                    .attr("name_prefix", opt(string()).force_new())
                    .attr(
                        "description",
                        opt(string())
                            .with_default(Value::string(DEFAULT_DESCRIPTION))
                            .force_new(),
                    )
                    .attr("vpc_id", opt_comp(string()).force_new())
                    .attr(
                        "revoke_rules_on_delete",
                        opt(boolean()).with_default(Value::Bool(false)),
                    )
                    .attr("owner_id", comp(string())),
            ),
        ),
    );
    let rule = |what: &str| {
        resource(
            what,
            "security group rule ID",
            tagged(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("security_group_rule_id", comp(string()))
                    .attr("security_group_id", req(string()).force_new())
                    .attr("ip_protocol", req(string()))
                    .attr("from_port", opt(number()))
                    .attr("to_port", opt(number()))
                    .attr("cidr_ipv4", opt(string()))
                    .attr("cidr_ipv6", opt(string()))
                    .attr("prefix_list_id", opt(string()))
                    .attr("referenced_security_group_id", opt(string()))
                    .attr("description", opt(string())),
            ),
        )
    };
    resources.insert(INGRESS.into(), rule("an inbound rule of a security group"));
    resources.insert(EGRESS.into(), rule("an outbound rule of a security group"));

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
}

pub fn validate(type_name: &str, config: &Value) -> Vec<AttributeDiagnostic> {
    let mut out = Vec::new();
    if matches!(type_name, INGRESS | EGRESS) {
        let targets: Vec<&str> = [
            "cidr_ipv4",
            "cidr_ipv6",
            "prefix_list_id",
            "referenced_security_group_id",
        ]
        .into_iter()
        .filter(|k| config.get(k).is_some_and(|v| !v.is_null()))
        .collect();
        let unknown = [
            "cidr_ipv4",
            "cidr_ipv6",
            "prefix_list_id",
            "referenced_security_group_id",
        ]
        .iter()
        .any(|k| config.get(k).is_some_and(Value::is_unknown));
        if targets.len() > 1 {
            out.push(AttributeDiagnostic::error(
                Path::from_keys([targets[1]]),
                format!(
                    "{} and {} are both set; a rule has exactly one of cidr_ipv4, cidr_ipv6, \
                     prefix_list_id and referenced_security_group_id",
                    targets[0], targets[1]
                ),
            ));
        } else if targets.is_empty() && !unknown {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["cidr_ipv4"]),
                "a rule needs one of cidr_ipv4, cidr_ipv6, prefix_list_id and \
                 referenced_security_group_id",
            ));
        }
        if let Some(p) = config.get("ip_protocol").and_then(Value::as_str) {
            let all = matches!(normal_protocol(p).as_str(), "-1");
            for key in ["from_port", "to_port"] {
                match config.get(key).and_then(Value::as_number) {
                    Some(port) if all => out.push(AttributeDiagnostic::error(
                        Path::from_keys([key]),
                        format!("{key} {port} is set but ip_protocol {p:?} means every port"),
                    )),
                    Some(port) if !(-1.0..=65535.0).contains(&port) => {
                        out.push(AttributeDiagnostic::error(
                            Path::from_keys([key]),
                            format!("{key} {port} is out of range -1 to 65535"),
                        ))
                    }
                    _ => {}
                }
            }
        }
    }
    if type_name == SECURITY_GROUP {
        rules::validate(config, &mut out);
    }
    if type_name == SECURITY_GROUP && config.get("name").is_some_and(|v| !v.is_null()) {
        if let Some(name) = config.get("name").and_then(Value::as_str) {
            if name.starts_with("sg-") {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["name"]),
                    format!("invalid name {name:?}: it may not start with \"sg-\""),
                ));
            }
        }
        if config.get("name_prefix").is_some_and(|v| !v.is_null()) {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["name_prefix"]),
                "name and name_prefix are both set; use one",
            ));
        }
    }
    out
}

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

/// Keeps the prior spelling of a rule's protocol when it means the same, and the prior inline
/// rules of a group when they are the same set (see [`rules::plan_change`]).
pub fn plan_change(
    type_name: &str,
    config: &Value,
    prior: Option<&Value>,
    planned: &mut Value,
) -> Vec<AttributeDiagnostic> {
    if type_name == SECURITY_GROUP {
        rules::plan_change(config, prior, planned);
    }
    if let (true, Some(prior)) = (matches!(type_name, INGRESS | EGRESS), prior) {
        if let (Some(a), Some(b)) = (s(planned, "ip_protocol"), s(prior, "ip_protocol")) {
            if a != b && normal_protocol(&a) == normal_protocol(&b) {
                planned.set_path(&Path::from_keys(["ip_protocol"]), Value::string(b));
            }
        }
    }
    Vec::new()
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn tag_spec(kind: ResourceType, tags: &BTreeMap<String, String>) -> Option<TagSpecification> {
    (!tags.is_empty()).then(|| {
        TagSpecification::builder()
            .resource_type(kind)
            .set_tags(Some(sdk_tags(tags)))
            .build()
    })
}

fn tags_of(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

pub(crate) fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
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

fn arn(c: &Clients, account: &str, path: &str) -> String {
    format!("arn:{}:ec2:{}:{account}:{path}", c.partition(), c.region())
}

async fn vpc_attribute(
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

async fn get_vpc(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    let o = c
        .ec2
        .describe_vpcs()
        .vpc_ids(id)
        .send()
        .await
        .map_err(aws)?;
    let Some(vpc) = o.vpcs().iter().find(|v| v.vpc_id() == Some(id)) else {
        return Ok(None);
    };
    let owner = vpc.owner_id().unwrap_or_default().to_string();
    let groups = c
        .ec2
        .describe_security_groups()
        .filters(filter("vpc-id", &[id]))
        .filters(filter("group-name", &["default"]))
        .send()
        .await
        .map_err(aws)?;
    let default_group = groups
        .security_groups()
        .first()
        .and_then(|g| g.group_id())
        .map(Value::string)
        .unwrap_or(Value::Null);
    Ok(Some(Value::object([
        ("id", Value::string(id)),
        ("arn", Value::string(arn(c, &owner, &format!("vpc/{id}")))),
        ("cidr_block", opt_str(vpc.cidr_block())),
        (
            "instance_tenancy",
            opt_str(vpc.instance_tenancy().map(|t| t.as_str())),
        ),
        (
            "enable_dns_support",
            vpc_attribute(c, id, VpcAttributeName::EnableDnsSupport).await?,
        ),
        (
            "enable_dns_hostnames",
            vpc_attribute(c, id, VpcAttributeName::EnableDnsHostnames).await?,
        ),
        ("owner_id", Value::string(&owner)),
        ("default_security_group_id", default_group),
        ("tags_all", tags_value(&tags_of(vpc.tags()))),
    ])))
}

async fn get_subnet(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    let o = c
        .ec2
        .describe_subnets()
        .subnet_ids(id)
        .send()
        .await
        .map_err(aws)?;
    let Some(sn) = o.subnets().iter().find(|x| x.subnet_id() == Some(id)) else {
        return Ok(None);
    };
    let owner = sn.owner_id().unwrap_or_default().to_string();
    Ok(Some(Value::object([
        ("id", Value::string(id)),
        (
            "arn",
            sn.subnet_arn()
                .map(Value::string)
                .unwrap_or_else(|| Value::string(arn(c, &owner, &format!("subnet/{id}")))),
        ),
        ("vpc_id", opt_str(sn.vpc_id())),
        ("cidr_block", opt_str(sn.cidr_block())),
        ("availability_zone", opt_str(sn.availability_zone())),
        ("availability_zone_id", opt_str(sn.availability_zone_id())),
        (
            "map_public_ip_on_launch",
            Value::Bool(sn.map_public_ip_on_launch().unwrap_or(false)),
        ),
        ("owner_id", Value::string(&owner)),
        ("tags_all", tags_value(&tags_of(sn.tags()))),
    ])))
}

async fn get_group(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    let o = c
        .ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .map_err(aws)?;
    let Some(g) = o
        .security_groups()
        .iter()
        .find(|g| g.group_id() == Some(id))
    else {
        return Ok(None);
    };
    let owner = g.owner_id().unwrap_or_default().to_string();
    Ok(Some(Value::object([
        ("id", Value::string(id)),
        (
            "arn",
            g.security_group_arn()
                .map(Value::string)
                .unwrap_or_else(|| Value::string(arn(c, &owner, &format!("security-group/{id}")))),
        ),
        ("name", opt_str(g.group_name())),
        ("description", opt_str(g.description())),
        ("vpc_id", opt_str(g.vpc_id())),
        ("owner_id", Value::string(&owner)),
        ("tags_all", tags_value(&tags_of(g.tags()))),
    ])))
}

/// A group with its inline rules, for each direction that `shape` manages (a list there).
async fn get_group_shaped(
    c: &Clients,
    id: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let Some(mut group) = get_group(c, id).await? else {
        return Ok(None);
    };
    let owner = s(&group, "owner_id");
    rules::fill(c, &mut group, shape, owner.as_deref()).await?;
    Ok(Some(group))
}

async fn get_rule(
    c: &Clients,
    group: Option<&str>,
    id: &str,
    egress: bool,
) -> Result<Option<Value>, ProviderError> {
    let mut call = c
        .ec2
        .describe_security_group_rules()
        .security_group_rule_ids(id);
    if let Some(g) = group {
        call = c
            .ec2
            .describe_security_group_rules()
            .filters(filter("group-id", &[g]));
    }
    let o = call.send().await.map_err(aws)?;
    let Some(r) = o
        .security_group_rules()
        .iter()
        .find(|r| r.security_group_rule_id() == Some(id) && r.is_egress() == Some(egress))
    else {
        return Ok(None);
    };
    let owner = r.group_owner_id().unwrap_or_default().to_string();
    let protocol = r.ip_protocol().unwrap_or("-1");
    let ports = |p: Option<i32>| {
        if normal_protocol(protocol) == "-1" {
            Value::Null
        } else {
            opt_num(p)
        }
    };
    Ok(Some(Value::object([
        ("id", Value::string(id)),
        ("security_group_rule_id", Value::string(id)),
        (
            "arn",
            r.security_group_rule_arn()
                .map(Value::string)
                .unwrap_or_else(|| {
                    Value::string(arn(c, &owner, &format!("security-group-rule/{id}")))
                }),
        ),
        ("security_group_id", opt_str(r.group_id())),
        ("ip_protocol", Value::string(protocol)),
        ("from_port", ports(r.from_port())),
        ("to_port", ports(r.to_port())),
        ("cidr_ipv4", opt_str(r.cidr_ipv4())),
        ("cidr_ipv6", opt_str(r.cidr_ipv6())),
        ("prefix_list_id", opt_str(r.prefix_list_id())),
        (
            "referenced_security_group_id",
            opt_str(r.referenced_group_info().and_then(|g| g.group_id())),
        ),
        ("description", opt_str(r.description())),
        ("tags_all", tags_value(&tags_of(r.tags()))),
    ])))
}

pub async fn read(
    c: &Clients,
    type_name: &str,
    prior: &Value,
) -> Result<Option<Value>, ProviderError> {
    let id = required(prior, "id")?;
    match type_name {
        VPC => get_vpc(c, &id).await,
        SUBNET => get_subnet(c, &id).await,
        SECURITY_GROUP => get_group_shaped(c, &id, prior).await,
        INGRESS | EGRESS => {
            let group = s(prior, "security_group_id");
            get_rule(c, group.as_deref(), &id, type_name == EGRESS).await
        }
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

fn boolean(v: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(v).build()
}

fn rule_permission(planned: &Value) -> Result<IpPermission, ProviderError> {
    let protocol = required(planned, "ip_protocol")?;
    let all = normal_protocol(&protocol) == "-1";
    let description = s(planned, "description");
    let mut p = IpPermission::builder().ip_protocol(if all { "-1".into() } else { protocol });
    if !all {
        p = p
            .set_from_port(n(planned, "from_port"))
            .set_to_port(n(planned, "to_port"));
    }
    if let Some(cidr) = s(planned, "cidr_ipv4") {
        p = p.ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .set_description(description.clone())
                .build(),
        );
    }
    if let Some(cidr) = s(planned, "cidr_ipv6") {
        p = p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(cidr)
                .set_description(description.clone())
                .build(),
        );
    }
    if let Some(list) = s(planned, "prefix_list_id") {
        p = p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(list)
                .set_description(description.clone())
                .build(),
        );
    }
    if let Some(group) = s(planned, "referenced_security_group_id") {
        p = p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(group)
                .set_description(description)
                .build(),
        );
    }
    Ok(p.build())
}

fn rule_request(planned: &Value) -> Result<SecurityGroupRuleRequest, ProviderError> {
    let protocol = required(planned, "ip_protocol")?;
    let all = normal_protocol(&protocol) == "-1";
    let mut r = SecurityGroupRuleRequest::builder()
        .ip_protocol(if all { "-1".into() } else { protocol })
        .set_cidr_ipv4(s(planned, "cidr_ipv4"))
        .set_cidr_ipv6(s(planned, "cidr_ipv6"))
        .set_prefix_list_id(s(planned, "prefix_list_id"))
        .set_referenced_group_id(s(planned, "referenced_security_group_id"))
        .set_description(s(planned, "description"));
    if !all {
        r = r
            .set_from_port(n(planned, "from_port"))
            .set_to_port(n(planned, "to_port"));
    }
    Ok(r.build())
}

pub async fn create(
    c: &Clients,
    type_name: &str,
    planned: &Value,
    token: &str,
) -> Result<Value, ProviderError> {
    let tags = c.tags_all(planned);
    let limit = timeout(planned, "create", WAIT);
    match type_name {
        VPC => {
            let cidr = required(planned, "cidr_block")?;
            let sent = once::create(
                policy(c),
                || {
                    c.ec2
                        .create_vpc()
                        .cidr_block(&cidr)
                        .set_instance_tenancy(
                            s(planned, "instance_tenancy").map(|t| Tenancy::from(t.as_str())),
                        )
                        .set_tag_specifications(tag_spec(ResourceType::Vpc, &tags).map(|t| vec![t]))
                        .customize()
                        .config_override(no_retries())
                        .send()
                },
                || find_network(c, VPC, planned),
            )
            .await?;
            let id = match sent {
                Created::Sent(o) => o
                    .vpc()
                    .and_then(|v| v.vpc_id())
                    .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no VPC ID returned"))?
                    .to_string(),
                Created::Found(id) => id,
            };
            wait_for("vpc to become available", limit, || async {
                let o = c.ec2.describe_vpcs().vpc_ids(&id).send().await;
                Ok(match o {
                    Ok(o)
                        if o.vpcs()
                            .iter()
                            .any(|v| v.state().map(|s| s.as_str()) == Some("available")) =>
                    {
                        Poll::Ready(())
                    }
                    Ok(_) => Poll::Pending,
                    Err(e) => {
                        let e = aws(e);
                        if e.kind == ErrorKind::NotFound {
                            Poll::Pending
                        } else {
                            return Err(e);
                        }
                    }
                })
            })
            .await?;
            set_vpc_attributes(c, &id, None, planned).await?;
            get_vpc(c, &id)
                .await?
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "vpc vanished"))
        }
        SUBNET => {
            let (vpc, cidr) = (
                required(planned, "vpc_id")?,
                required(planned, "cidr_block")?,
            );
            let sent = once::create(
                policy(c),
                || {
                    c.ec2
                        .create_subnet()
                        .vpc_id(&vpc)
                        .cidr_block(&cidr)
                        .set_availability_zone(s(planned, "availability_zone"))
                        .set_tag_specifications(
                            tag_spec(ResourceType::Subnet, &tags).map(|t| vec![t]),
                        )
                        .customize()
                        .config_override(no_retries())
                        .send()
                },
                || find_network(c, SUBNET, planned),
            )
            .await?;
            let id = match sent {
                Created::Sent(o) => o
                    .subnet()
                    .and_then(|v| v.subnet_id())
                    .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no subnet ID returned"))?
                    .to_string(),
                Created::Found(id) => id,
            };
            if b(planned, "map_public_ip_on_launch") == Some(true) {
                c.ec2
                    .modify_subnet_attribute()
                    .subnet_id(&id)
                    .map_public_ip_on_launch(boolean(true))
                    .send()
                    .await
                    .map_err(aws)?;
            }
            get_subnet(c, &id)
                .await?
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "subnet vanished"))
        }
        SECURITY_GROUP => {
            let name = match (s(planned, "name"), s(planned, "name_prefix")) {
                (Some(name), _) => name,
                (None, Some(prefix)) => format!("{prefix}{}", short_token(token)),
                (None, None) => format!("trellis-{}", short_token(token)),
            };
            let vpc = s(planned, "vpc_id");
            let sent = once::create(
                policy(c),
                || {
                    c.ec2
                        .create_security_group()
                        .group_name(&name)
                        .description(
                            s(planned, "description").unwrap_or_else(|| DEFAULT_DESCRIPTION.into()),
                        )
                        .set_vpc_id(vpc.clone())
                        .set_tag_specifications(
                            tag_spec(ResourceType::SecurityGroup, &tags).map(|t| vec![t]),
                        )
                        .customize()
                        .config_override(no_retries())
                        .send()
                },
                || find_group(c, &name, vpc.as_deref()),
            )
            .await?;
            let id = match sent {
                Created::Sent(o) => o
                    .group_id()
                    .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no group ID returned"))?
                    .to_string(),
                Created::Found(id) => id,
            };
            finish_group(c, &id, planned).await?;
            get_group_shaped(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "security group vanished"))
        }
        INGRESS | EGRESS => {
            let group = required(planned, "security_group_id")?;
            let permission = rule_permission(planned)?;
            let spec = tag_spec(ResourceType::SecurityGroupRule, &tags).map(|t| vec![t]);
            // A rule made by a call whose answer was lost is found by its content.
            let found = || settle(c, type_name, planned, token);
            let sent = if type_name == INGRESS {
                match once::create(
                    policy(c),
                    || {
                        c.ec2
                            .authorize_security_group_ingress()
                            .group_id(&group)
                            .ip_permissions(permission.clone())
                            .set_tag_specifications(spec.clone())
                            .customize()
                            .config_override(no_retries())
                            .send()
                    },
                    found,
                )
                .await?
                {
                    Created::Sent(o) => Created::Sent(o.security_group_rules().to_vec()),
                    Created::Found(v) => Created::Found(v),
                }
            } else {
                match once::create(
                    policy(c),
                    || {
                        c.ec2
                            .authorize_security_group_egress()
                            .group_id(&group)
                            .ip_permissions(permission.clone())
                            .set_tag_specifications(spec.clone())
                            .customize()
                            .config_override(no_retries())
                            .send()
                    },
                    found,
                )
                .await?
                {
                    Created::Sent(o) => Created::Sent(o.security_group_rules().to_vec()),
                    Created::Found(v) => Created::Found(v),
                }
            };
            let rules = match sent {
                Created::Sent(rules) => rules,
                Created::Found(v) => return Ok(v),
            };
            let id = rules
                .first()
                .and_then(|r| r.security_group_rule_id())
                .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no rule ID returned"))?
                .to_string();
            get_rule(c, Some(&group), &id, type_name == EGRESS)
                .await?
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "rule vanished"))
        }
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

/// Sixteen characters of the idempotency token, for generated names.
fn short_token(token: &str) -> String {
    token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// What a security group's create does after `CreateSecurityGroup`: its rules become exactly
/// the configured ones (AWS's allow-all egress rule removed unless egress blocks manage it,
/// inline blocks reconciled). Settle repeats it for a group whose create was cut short, so
/// it must be safe to run twice.
async fn finish_group(c: &Clients, id: &str, planned: &Value) -> Result<(), ProviderError> {
    let managed = |direction: &str| planned.get(direction).and_then(Value::as_list);
    if managed("egress").is_none() {
        revoke_default_egress(c, id).await?;
    }
    let account = c.account().await.ok();
    for (direction, egress) in rules::DIRECTIONS {
        if let Some(wanted) = planned.get(direction).filter(|v| v.as_list().is_some()) {
            rules::reconcile(c, id, account.as_deref(), egress, wanted).await?;
        }
    }
    Ok(())
}

/// Removes the allow-all egress rule that AWS gives every new VPC security group.
async fn revoke_default_egress(c: &Clients, group: &str) -> Result<(), ProviderError> {
    let o = c
        .ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &[group]))
        .send()
        .await
        .map_err(aws)?;
    let defaults: Vec<String> = o
        .security_group_rules()
        .iter()
        .filter(|r| {
            r.is_egress() == Some(true)
                && r.ip_protocol() == Some("-1")
                && (r.cidr_ipv4() == Some("0.0.0.0/0") || r.cidr_ipv6() == Some("::/0"))
        })
        .filter_map(|r| r.security_group_rule_id().map(str::to_string))
        .collect();
    revoke_rules(c, group, true, defaults).await
}

async fn set_vpc_attributes(
    c: &Clients,
    id: &str,
    prior: Option<&Value>,
    planned: &Value,
) -> Result<(), ProviderError> {
    let defaults = [
        ("enable_dns_support", true),
        ("enable_dns_hostnames", false),
    ];
    for (key, default) in defaults {
        let want = b(planned, key).unwrap_or(default);
        let have = prior.and_then(|p| b(p, key)).unwrap_or(default);
        if want == have {
            continue;
        }
        let call = c.ec2.modify_vpc_attribute().vpc_id(id);
        let call = if key == "enable_dns_support" {
            call.enable_dns_support(boolean(want))
        } else {
            call.enable_dns_hostnames(boolean(want))
        };
        call.send().await.map_err(aws)?;
    }
    Ok(())
}

async fn update_tags(
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

pub async fn update(
    c: &Clients,
    type_name: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let id = required(prior, "id")?;
    match type_name {
        VPC => set_vpc_attributes(c, &id, Some(prior), planned).await?,
        SUBNET => {
            let want = b(planned, "map_public_ip_on_launch").unwrap_or(false);
            if b(prior, "map_public_ip_on_launch").unwrap_or(false) != want {
                c.ec2
                    .modify_subnet_attribute()
                    .subnet_id(&id)
                    .map_public_ip_on_launch(boolean(want))
                    .send()
                    .await
                    .map_err(aws)?;
            }
        }
        SECURITY_GROUP => {
            let account = s(prior, "owner_id");
            for (direction, egress) in rules::DIRECTIONS {
                let wanted = planned.get(direction).filter(|v| v.as_list().is_some());
                if let Some(wanted) = wanted.filter(|w| Some(*w) != prior.get(direction)) {
                    rules::reconcile(c, &id, account.as_deref(), egress, wanted).await?;
                }
            }
        }
        INGRESS | EGRESS => {
            let keys = [
                "ip_protocol",
                "from_port",
                "to_port",
                "cidr_ipv4",
                "cidr_ipv6",
                "prefix_list_id",
                "referenced_security_group_id",
                "description",
            ];
            if keys.iter().any(|k| prior.get(k) != planned.get(k)) {
                c.ec2
                    .modify_security_group_rules()
                    .group_id(required(prior, "security_group_id")?)
                    .security_group_rules(
                        SecurityGroupRuleUpdate::builder()
                            .security_group_rule_id(&id)
                            .security_group_rule(rule_request(planned)?)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(aws)?;
            }
        }
        _ => {}
    }
    update_tags(c, &id, prior, planned).await?;
    // A group's inline rules come back written as planned when they are the planned set.
    let shape = if type_name == SECURITY_GROUP {
        planned
    } else {
        prior
    };
    read(c, type_name, shape)
        .await?
        .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"))
}

pub async fn delete(c: &Clients, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
    let id = required(prior, "id")?;
    let limit = timeout(prior, "delete", WAIT);
    match type_name {
        VPC => {
            delete_retrying(limit, || async {
                c.ec2
                    .delete_vpc()
                    .vpc_id(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(aws)
            })
            .await
        }
        SUBNET => {
            delete_retrying(limit, || async {
                c.ec2
                    .delete_subnet()
                    .subnet_id(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(aws)
            })
            .await
        }
        SECURITY_GROUP => {
            if b(prior, "revoke_rules_on_delete") == Some(true) {
                revoke_all(c, &id).await?;
            }
            delete_retrying(limit, || async {
                c.ec2
                    .delete_security_group()
                    .group_id(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(aws)
            })
            .await
        }
        INGRESS | EGRESS => {
            let group = required(prior, "security_group_id")?;
            let result = if type_name == INGRESS {
                c.ec2
                    .revoke_security_group_ingress()
                    .group_id(&group)
                    .security_group_rule_ids(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(aws)
            } else {
                c.ec2
                    .revoke_security_group_egress()
                    .group_id(&group)
                    .security_group_rule_ids(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(aws)
            };
            match result {
                Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
                other => other,
            }
        }
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

async fn revoke_all(c: &Clients, group: &str) -> Result<(), ProviderError> {
    let o = c
        .ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &[group]))
        .send()
        .await
        .map_err(aws)?;
    for egress in [false, true] {
        let ids: Vec<String> = o
            .security_group_rules()
            .iter()
            .filter(|r| r.is_egress() == Some(egress))
            .filter_map(|r| r.security_group_rule_id().map(str::to_string))
            .collect();
        revoke_rules(c, group, egress, ids).await?;
    }
    Ok(())
}

/// Revokes the rules `ids` (all of one direction) of `group`; nothing when there are none.
pub(crate) async fn revoke_rules(
    c: &Clients,
    group: &str,
    egress: bool,
    ids: Vec<String>,
) -> Result<(), ProviderError> {
    match revoke(c, group, egress, ids.clone()).await {
        // A rule is already gone: the SDK retried a revoke that was performed, or someone
        // removed it meanwhile. AWS refused the whole batch, so revoke those still there.
        Err(e) if e.code.as_deref() == Some("InvalidPermission.NotFound") => {
            let o = c
                .ec2
                .describe_security_group_rules()
                .filters(filter("group-id", &[group]))
                .send()
                .await
                .map_err(aws)?;
            let left: Vec<String> = o
                .security_group_rules()
                .iter()
                .filter_map(|r| r.security_group_rule_id())
                .filter(|id| ids.iter().any(|x| x == id))
                .map(str::to_string)
                .collect();
            revoke(c, group, egress, left).await
        }
        other => other,
    }
}

async fn revoke(
    c: &Clients,
    group: &str,
    egress: bool,
    ids: Vec<String>,
) -> Result<(), ProviderError> {
    if ids.is_empty() {
        return Ok(());
    }
    if egress {
        c.ec2
            .revoke_security_group_egress()
            .group_id(group)
            .set_security_group_rule_ids(Some(ids))
            .send()
            .await
            .map_err(aws)?;
    } else {
        c.ec2
            .revoke_security_group_ingress()
            .group_id(group)
            .set_security_group_rule_ids(Some(ids))
            .send()
            .await
            .map_err(aws)?;
    }
    Ok(())
}

pub async fn import(
    c: &Clients,
    type_name: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    // An imported group's inline rules are read in full (as Terraform imports them).
    let shape = Value::object([
        ("id", Value::string(id)),
        ("ingress", Value::List(Vec::new())),
        ("egress", Value::List(Vec::new())),
    ]);
    let found = read(c, type_name, &shape).await?;
    Ok(found.map(|mut v| {
        // Arguments that only the configuration holds take their defaults.
        let defaults: &[(&str, Value)] = match type_name {
            SECURITY_GROUP => &[
                ("revoke_rules_on_delete", Value::Bool(false)),
                ("name_prefix", Value::Null),
            ],
            _ => &[],
        };
        for (k, d) in defaults {
            v.set_path(&Path::from_keys([*k]), d.clone());
        }
        v
    }))
}

/// The ID of the security group named `name` in `vpc`: unique there, so a group made by a
/// create whose answer was lost.
async fn find_group(
    c: &Clients,
    name: &str,
    vpc: Option<&str>,
) -> Result<Option<String>, ProviderError> {
    let mut call = c
        .ec2
        .describe_security_groups()
        .filters(filter("group-name", &[name]));
    if let Some(vpc) = vpc {
        call = call.filters(filter("vpc-id", &[vpc]));
    }
    let o = call.send().await.map_err(aws)?;
    Ok(o.security_groups()
        .first()
        .and_then(|g| g.group_id())
        .map(str::to_string))
}

/// The ID of the one VPC or subnet with the planned CIDR and exactly the planned tags; none
/// when the plan has no tags, since an untagged object cannot be told from another's.
async fn find_network(
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
    fs.extend(tags.iter().map(|(k, v)| filter(&format!("tag:{k}"), &[v])));
    let ids: Vec<String> = if type_name == VPC {
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
    Ok(match <[String; 1]>::try_from(ids) {
        Ok([one]) => Some(one),
        Err(_) => None,
    })
}

/// EC2's creates here take no client token: [`once::create`] sends them.
pub(crate) fn policy(c: &Clients) -> once::Policy {
    once::Policy::of(c.ec2.config().retry_config())
}

pub(crate) fn no_retries() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_config(once::no_sdk_retries())
}

/// EC2 has no client tokens for these creates. A security group is unique by name in its VPC,
/// so a group made by a lost create is found by name; a VPC or subnet is found only when it
/// carries exactly the planned tags (non-empty) and CIDR; rules are found by their content.
pub async fn settle(
    c: &Clients,
    type_name: &str,
    planned: &Value,
    token: &str,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        SECURITY_GROUP => {
            let name = match (s(planned, "name"), s(planned, "name_prefix")) {
                (Some(name), _) => name,
                (None, Some(prefix)) => format!("{prefix}{}", short_token(token)),
                (None, None) => format!("trellis-{}", short_token(token)),
            };
            match find_group(c, &name, s(planned, "vpc_id").as_deref()).await? {
                // The create may have stopped before it removed AWS's default egress rule
                // or wrote the inline rules: finish it.
                Some(id) => {
                    finish_group(c, &id, planned).await?;
                    get_group_shaped(c, &id, planned).await
                }
                None => Ok(None),
            }
        }
        VPC | SUBNET => match find_network(c, type_name, planned).await? {
            Some(id) if type_name == VPC => get_vpc(c, &id).await,
            Some(id) => get_subnet(c, &id).await,
            None => Ok(None),
        },
        INGRESS | EGRESS => {
            let group = required(planned, "security_group_id")?;
            let o = c
                .ec2
                .describe_security_group_rules()
                .filters(filter("group-id", &[&group]))
                .send()
                .await
                .map_err(aws)?;
            for r in o.security_group_rules() {
                let Some(id) = r.security_group_rule_id() else {
                    continue;
                };
                if let Some(v) = get_rule(c, Some(&group), id, type_name == EGRESS).await? {
                    let same = [
                        "from_port",
                        "to_port",
                        "cidr_ipv4",
                        "cidr_ipv6",
                        "prefix_list_id",
                        "referenced_security_group_id",
                    ]
                    .iter()
                    .all(|k| v.get(k) == planned.get(k))
                        && s(&v, "ip_protocol").map(|p| normal_protocol(&p))
                            == s(planned, "ip_protocol").map(|p| normal_protocol(&p));
                    if same {
                        return Ok(Some(v));
                    }
                }
            }
            Ok(None)
        }
        _ => Ok(None),
    }
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

pub async fn read_data(
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

named_service!(Api, Ec2, plan: |type_name, _, config, prior, planned| plan_change(type_name, config, prior, planned), defaults: |_, _| {});
