//! Route53 names for meshes: `aws_route53_zone` (public, or private with `vpc` blocks),
//! `aws_route53_record` (`records`, or an `alias` block such as a Lattice service's
//! `dns_entry`), the data source `aws_route53_zone`, and the cross-account association of a
//! private zone with another account's VPC ([`assoc`]). Every change waits for INSYNC.
//!
//! Names compare as DNS does: without case and without the trailing dot, and a record name
//! relative to its zone (`orders`) is the same as the full one (`orders.mesh.internal`), so
//! neither spelling causes a change.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, HostedZoneConfig, ResourceRecord,
    ResourceRecordSet, RrType, Tag, TagResourceType, Vpc, VpcRegion,
};
use trellis_provider::{AttributeDiagnostic, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, list, opt_str, s, string_map, timeout};
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::once::{self, Created};
use crate::sdk::schema::*;
use crate::sdk::values::{set_of, tags_value, TagChange};
use crate::sdk::wait::{wait_for, Poll};

mod assoc;

pub use assoc::{ASSOCIATION, AUTHORIZATION};

pub const ZONE: &str = "aws_route53_zone";
pub const RECORD: &str = "aws_route53_record";

const WAIT: Duration = Duration::from_secs(30 * 60);
/// Terraform's default comment; kept so that zones made by Terraform show no change.
const DEFAULT_COMMENT: &str = "Managed by Terraform";

pub fn schema(
    resources: &mut BTreeMap<String, ResourceSchema>,
    data_sources: &mut BTreeMap<String, ResourceSchema>,
) {
    use trellis_provider::{AttrType, Block, Nesting};
    let mut zone = tagged(
        Block::new()
            .attr("id", comp(string()))
            .attr("zone_id", comp(string()))
            .attr("arn", comp(string()))
            .attr("name", req(string()).force_new())
            .attr(
                "comment",
                opt(string()).with_default(Value::string(DEFAULT_COMMENT)),
            )
            .attr(
                "force_destroy",
                opt(AttrType::Bool).with_default(Value::Bool(false)),
            )
            .attr("name_servers", comp(strings()))
            .attr("primary_name_server", comp(string()))
            .block(
                "vpc",
                Nesting::Set,
                Block::new()
                    .attr("vpc_id", req(string()))
                    .attr("vpc_region", opt_comp(string())),
            ),
    );
    zone = zone.block(
        "timeouts",
        Nesting::Single,
        Block::new()
            .attr("create", opt(string()))
            .attr("update", opt(string()))
            .attr("delete", opt(string())),
    );
    resources.insert(
        ZONE.into(),
        resource("a Route53 hosted zone, public or private", "zone ID", zone),
    );
    let mut record = Block::new()
        .attr("id", comp(string()))
        .attr("zone_id", req(string()).force_new())
        .attr("name", req(string()).force_new())
        .attr("type", req(string()).force_new())
        .attr("ttl", opt(AttrType::Number))
        .attr("records", opt(string_set()))
        .attr("set_identifier", opt(string()).force_new())
        .attr("health_check_id", opt(string()))
        .attr("allow_overwrite", opt(AttrType::Bool))
        .attr("fqdn", comp(string()))
        .block(
            "alias",
            Nesting::Set,
            Block::new()
                .attr("name", req(string()))
                .attr("zone_id", req(string()))
                .attr("evaluate_target_health", req(AttrType::Bool)),
        );
    if let Some(alias) = record.blocks.get_mut("alias") {
        alias.max_items = Some(1);
    }
    resources.insert(
        RECORD.into(),
        resource(
            "a Route53 record (records, or an alias)",
            "ZONEID_name_TYPE, or ZONEID_name_TYPE_setidentifier",
            record,
        ),
    );
    assoc::schema(resources);
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
}

pub fn validate(type_name: &str, config: &Value) -> Vec<AttributeDiagnostic> {
    let mut out = Vec::new();
    if type_name == RECORD {
        let has_records = config.get("records").is_some_and(|v| !v.is_null());
        let has_alias = !list(config, "alias").is_empty();
        if has_records && has_alias {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["alias"]),
                "records and alias are both set; a record has one or the other",
            ));
        }
        if has_alias && config.get("ttl").is_some_and(|v| !v.is_null()) {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["ttl"]),
                "an alias record takes its TTL from its target; remove ttl",
            ));
        }
        if has_records && config.get("ttl").is_some_and(Value::is_null) {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["ttl"]),
                "a record with records needs a ttl",
            ));
        }
        if let Some(t) = config.get("type").and_then(Value::as_str) {
            const TYPES: [&str; 13] = [
                "A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV",
                "TXT",
            ];
            if !TYPES.contains(&t) {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["type"]),
                    format!("{t:?} is not one of {}", TYPES.join(", ")),
                ));
            }
            if t == "CNAME" && list(config, "records").len() > 1 {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["records"]),
                    "a CNAME record has exactly one value",
                ));
            }
        }
    }
    out
}

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

fn normal_records(value: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = value
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(normal_name))
        .collect();
    out.sort();
    out
}

fn normal_alias(value: Option<&Value>) -> Option<(String, String, Option<bool>)> {
    let a = value?.as_list()?.first()?;
    Some((
        normal_name(&s(a, "name")?),
        s(a, "zone_id")?,
        b(a, "evaluate_target_health"),
    ))
}

/// Keeps the prior spelling of names that mean the same, fills `vpc_region`, and refuses a
/// zone's move between public and private (AWS cannot change that in place).
pub fn plan_change(
    type_name: &str,
    region: &str,
    prior: Option<&Value>,
    planned: &mut Value,
) -> Vec<AttributeDiagnostic> {
    let mut out = Vec::new();
    match type_name {
        ZONE => {
            let vpcs: Vec<Value> = list(planned, "vpc")
                .iter()
                .map(|v| {
                    let mut v = v.clone();
                    if v.get("vpc_region")
                        .is_none_or(|r| r.is_null() || r.is_unknown())
                    {
                        v.set_path(&Path::from_keys(["vpc_region"]), Value::string(region));
                    }
                    v
                })
                .collect();
            if planned.get("vpc").is_some() {
                planned.set_path(&Path::from_keys(["vpc"]), set_of(vpcs.clone()));
            }
            if let Some(prior) = prior {
                if let (Some(a), Some(b)) = (s(planned, "name"), s(prior, "name")) {
                    if a != b && normal_name(&a) == normal_name(&b) {
                        planned.set_path(&Path::from_keys(["name"]), Value::string(b));
                    }
                }
                let was_private = !list(prior, "vpc").is_empty();
                let is_private = !vpcs.is_empty();
                if was_private != is_private && !planned.get("vpc").is_some_and(Value::is_unknown) {
                    out.push(AttributeDiagnostic::error(
                        Path::from_keys(["vpc"]),
                        "a hosted zone cannot change between public and private in place; \
                         replace it (trellis apply -replace=ADDRESS) or keep at least one vpc",
                    ));
                }
            }
        }
        RECORD => {
            let Some(prior) = prior else {
                return out;
            };
            if let (Some(a), Some(fqdn), Some(b)) =
                (s(planned, "name"), s(prior, "fqdn"), s(prior, "name"))
            {
                if a != b
                    && (normal_name(&a) == normal_name(&fqdn) || normal_name(&a) == normal_name(&b))
                {
                    planned.set_path(&Path::from_keys(["name"]), Value::string(b));
                }
            }
            if planned.get("records") != prior.get("records")
                && !normal_records(planned.get("records")).is_empty()
                && normal_records(planned.get("records")) == normal_records(prior.get("records"))
            {
                if let Some(r) = prior.get("records") {
                    planned.set_path(&Path::from_keys(["records"]), r.clone());
                }
            }
            if planned.get("alias") != prior.get("alias")
                && normal_alias(planned.get("alias")).is_some()
                && normal_alias(planned.get("alias")) == normal_alias(prior.get("alias"))
            {
                if let Some(a) = prior.get("alias") {
                    planned.set_path(&Path::from_keys(["alias"]), a.clone());
                }
            }
        }
        AUTHORIZATION | ASSOCIATION => assoc::plan_change(region, prior, planned),
        _ => {}
    }
    out
}

fn zone_id(raw: &str) -> String {
    raw.rsplit('/').next().unwrap_or(raw).to_string()
}

async fn wait_change(c: &Clients, change: &str, limit: Duration) -> Result<(), ProviderError> {
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

async fn zone_tags(c: &Clients, id: &str) -> Result<BTreeMap<String, String>, ProviderError> {
    let o = c
        .route53
        .list_tags_for_resource()
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(id)
        .send()
        .await
        .map_err(aws)?;
    Ok(o.resource_tag_set()
        .map(|set| {
            set.tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default())
}

async fn get_zone(
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

/// The record of `prior` as it is now, in `prior`'s spelling where equal.
async fn get_record(c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
    let zone = required(prior, "zone_id")?;
    let zone_name = zone_name(c, &zone).await?;
    let name = required(prior, "name")?;
    let fqdn = expand_name(&name, &zone_name);
    let kind = required(prior, "type")?;
    let set_id = s(prior, "set_identifier");
    let Some(set) = find_record(c, &zone, &fqdn, &kind, set_id.as_deref()).await? else {
        return Ok(None);
    };
    let mut records: Vec<Value> = set
        .resource_records()
        .iter()
        .map(|r| Value::string(r.value()))
        .collect();
    let alias = set.alias_target().map(|a| {
        Value::List(vec![Value::object([
            ("name", Value::string(normal_name(a.dns_name()))),
            ("zone_id", Value::string(a.hosted_zone_id())),
            (
                "evaluate_target_health",
                Value::Bool(a.evaluate_target_health()),
            ),
        ])])
    });
    let mut value = Value::object([
        (
            "id",
            Value::string(record_id(&zone, &fqdn, &kind, set_id.as_deref())),
        ),
        ("zone_id", Value::string(&zone)),
        ("name", Value::string(&name)),
        ("type", Value::string(set.r#type().as_str())),
        (
            "ttl",
            set.ttl()
                .map(|t| Value::Number(t as f64))
                .unwrap_or(Value::Null),
        ),
        (
            "records",
            if records.is_empty() {
                Value::Null
            } else {
                records.sort_by_key(|v| v.to_string());
                Value::List(std::mem::take(&mut records))
            },
        ),
        ("set_identifier", opt_str(set.set_identifier())),
        ("health_check_id", opt_str(set.health_check_id())),
        ("fqdn", Value::string(&fqdn)),
        ("alias", alias.unwrap_or(Value::List(Vec::new()))),
    ]);
    // Keep the caller's spelling of values that DNS compares without case or trailing dot.
    if normal_records(value.get("records")) == normal_records(prior.get("records")) {
        if let Some(r) = prior.get("records").filter(|r| !r.is_null()) {
            value.set_path(&Path::from_keys(["records"]), r.clone());
        }
    }
    if normal_alias(value.get("alias")) == normal_alias(prior.get("alias")) {
        if let Some(a) = prior.get("alias") {
            value.set_path(&Path::from_keys(["alias"]), a.clone());
        }
    }
    Ok(Some(value))
}

async fn zone_name(c: &Clients, zone: &str) -> Result<String, ProviderError> {
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

async fn find_record(
    c: &Clients,
    zone: &str,
    fqdn: &str,
    kind: &str,
    set_id: Option<&str>,
) -> Result<Option<ResourceRecordSet>, ProviderError> {
    let mut start_name = Some(fqdn.to_string());
    let mut start_type = Some(RrType::from(kind));
    for _ in 0..100 {
        let o = c
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .set_start_record_name(start_name.clone())
            .set_start_record_type(start_type.clone())
            .send()
            .await
            .map_err(aws)?;
        if let Some(found) = o.resource_record_sets().iter().find(|r| {
            normal_name(r.name()) == fqdn
                && r.r#type().as_str() == kind
                && r.set_identifier() == set_id
        }) {
            return Ok(Some(found.clone()));
        }
        if !o.is_truncated() {
            return Ok(None);
        }
        start_name = o.next_record_name().map(str::to_string);
        start_type = o.next_record_type().cloned();
    }
    Ok(None)
}

/// Terraform's record ID: `ZONEID_name_TYPE` (and `_setidentifier`).
fn record_id(zone: &str, fqdn: &str, kind: &str, set_id: Option<&str>) -> String {
    match set_id {
        Some(set) => format!("{zone}_{fqdn}_{kind}_{set}"),
        None => format!("{zone}_{fqdn}_{kind}"),
    }
}

/// Splits a record import ID into zone, name, type and set identifier.
pub fn parse_record_id(id: &str) -> Option<(String, String, String, Option<String>)> {
    const TYPES: [&str; 13] = [
        "A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "TXT",
    ];
    let (zone, rest) = id.split_once('_')?;
    for t in TYPES {
        let marker = format!("_{t}");
        let mut search = 0;
        while let Some(pos) = rest[search..].find(&marker) {
            let at = search + pos;
            let after = &rest[at + marker.len()..];
            if after.is_empty() || after.starts_with('_') {
                let name = &rest[..at];
                let set = after.strip_prefix('_').map(str::to_string);
                if !name.is_empty() {
                    return Some((zone.to_string(), name.to_string(), t.to_string(), set));
                }
            }
            search = at + 1;
        }
    }
    None
}

fn record_set(planned: &Value, fqdn: &str) -> Result<ResourceRecordSet, ProviderError> {
    let kind = required(planned, "type")?;
    let mut r = ResourceRecordSet::builder()
        .name(fqdn)
        .r#type(RrType::from(kind.as_str()))
        .set_set_identifier(s(planned, "set_identifier"))
        .set_health_check_id(s(planned, "health_check_id"));
    if let Some(alias) = list(planned, "alias").first() {
        r = r.alias_target(
            AliasTarget::builder()
                .dns_name(required(alias, "name")?)
                .hosted_zone_id(required(alias, "zone_id")?)
                .evaluate_target_health(b(alias, "evaluate_target_health").unwrap_or(false))
                .build()
                .map_err(|e| invalid(e.to_string()))?,
        );
    } else {
        r = r.set_ttl(
            planned
                .get("ttl")
                .and_then(Value::as_number)
                .map(|t| t as i64),
        );
        for v in list(planned, "records") {
            if let Some(v) = v.as_str() {
                r = r.resource_records(
                    ResourceRecord::builder()
                        .value(v)
                        .build()
                        .map_err(|e| invalid(e.to_string()))?,
                );
            }
        }
    }
    r.build().map_err(|e| invalid(e.to_string()))
}

async fn change_record(
    c: &Clients,
    zone: &str,
    action: ChangeAction,
    set: ResourceRecordSet,
    limit: Duration,
) -> Result<(), ProviderError> {
    let o = c
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch(action, set)?)
        .send()
        .await
        .map_err(aws)?;
    if let Some(info) = o.change_info() {
        wait_change(c, info.id(), limit).await?;
    }
    Ok(())
}

fn batch(action: ChangeAction, set: ResourceRecordSet) -> Result<ChangeBatch, ProviderError> {
    ChangeBatch::builder()
        .changes(
            Change::builder()
                .action(action)
                .resource_record_set(set)
                .build()
                .map_err(|e| invalid(e.to_string()))?,
        )
        .build()
        .map_err(|e| invalid(e.to_string()))
}

/// Route53's `CREATE` and `CreateHostedZone` are not safe to send twice (the second fails
/// with "already exists"): [`once::create`] sends them.
fn policy(c: &Clients) -> once::Policy {
    once::Policy::of(c.route53.config().retry_config())
}

fn no_retries() -> aws_sdk_route53::config::Builder {
    aws_sdk_route53::config::Builder::default().retry_config(once::no_sdk_retries())
}

pub async fn read(
    c: &Clients,
    type_name: &str,
    prior: &Value,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        ZONE => get_zone(c, &required(prior, "id")?, prior).await,
        RECORD => match get_record(c, prior).await {
            Err(e) if e.code.as_deref() == Some("NoSuchHostedZone") => Ok(None),
            other => other,
        },
        AUTHORIZATION | ASSOCIATION => assoc::read(c, type_name, prior).await,
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

fn vpc_of(v: &Value, region: &str) -> Result<Vpc, ProviderError> {
    Ok(Vpc::builder()
        .vpc_id(required(v, "vpc_id")?)
        .vpc_region(VpcRegion::from(
            s(v, "vpc_region")
                .unwrap_or_else(|| region.to_string())
                .as_str(),
        ))
        .build())
}

pub async fn create(
    c: &Clients,
    type_name: &str,
    planned: &Value,
    token: &str,
) -> Result<Value, ProviderError> {
    let limit = timeout(planned, "create", WAIT);
    match type_name {
        ZONE => {
            let vpcs = list(planned, "vpc");
            let mut call = c
                .route53
                .create_hosted_zone()
                // DNS names are case-insensitive; send the canonical spelling.
                .name(normal_name(&required(planned, "name")?))
                .caller_reference(token)
                .hosted_zone_config(
                    HostedZoneConfig::builder()
                        .comment(s(planned, "comment").unwrap_or_else(|| DEFAULT_COMMENT.into()))
                        .private_zone(!vpcs.is_empty())
                        .build(),
                );
            if let Some(first) = vpcs.first() {
                call = call.vpc(vpc_of(first, c.region())?);
            }
            let sent = once::create(
                policy(c),
                || {
                    call.clone()
                        .customize()
                        .config_override(no_retries())
                        .send()
                },
                // The zone carrying this caller reference is the one the call made.
                || settle(c, ZONE, planned, token),
            )
            .await?;
            let o = match sent {
                Created::Sent(o) => o,
                // Made by a call whose answer was lost; the rest of the create still runs.
                Created::Found(found) => {
                    let id = s(&found, "zone_id").ok_or_else(|| {
                        ProviderError::new(ErrorKind::Other, "found zone has no ID")
                    })?;
                    return finish_zone(c, &id, vpcs, planned, limit).await;
                }
            };
            let id = zone_id(
                o.hosted_zone()
                    .map(|z| z.id())
                    .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no zone returned"))?,
            );
            if let Some(info) = o.change_info() {
                wait_change(c, info.id(), limit).await?;
            }
            finish_zone(c, &id, vpcs, planned, limit).await
        }
        RECORD => {
            let zone = required(planned, "zone_id")?;
            let fqdn = expand_name(&required(planned, "name")?, &zone_name(c, &zone).await?);
            let set = record_set(planned, &fqdn)?;
            if b(planned, "allow_overwrite") == Some(true) {
                change_record(c, &zone, ChangeAction::Upsert, set, limit).await?;
            } else {
                let batch = batch(ChangeAction::Create, set)?;
                let sent = once::create(
                    policy(c),
                    || {
                        c.route53
                            .change_resource_record_sets()
                            .hosted_zone_id(&zone)
                            .change_batch(batch.clone())
                            .customize()
                            .config_override(no_retries())
                            .send()
                    },
                    // The same record is there: the create was performed.
                    || settle(c, RECORD, planned, token),
                )
                .await?;
                match sent {
                    Created::Sent(o) => {
                        if let Some(info) = o.change_info() {
                            wait_change(c, info.id(), limit).await?;
                        }
                    }
                    Created::Found(v) => return Ok(v),
                }
            }
            get_record(c, planned)
                .await?
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "record vanished"))
        }
        AUTHORIZATION | ASSOCIATION => assoc::create(c, type_name, planned).await,
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

/// What a zone's create does after `CreateHostedZone`: the other VPCs and the tags.
async fn finish_zone(
    c: &Clients,
    id: &str,
    vpcs: &[Value],
    planned: &Value,
    limit: Duration,
) -> Result<Value, ProviderError> {
    for v in vpcs.iter().skip(1) {
        associate(c, id, v, limit).await?;
    }
    set_zone_tags(c, id, &BTreeMap::new(), &c.tags_all(planned)).await?;
    get_zone(c, id, planned)
        .await?
        .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "zone vanished"))
}

async fn associate(
    c: &Clients,
    zone: &str,
    v: &Value,
    limit: Duration,
) -> Result<(), ProviderError> {
    let o = c
        .route53
        .associate_vpc_with_hosted_zone()
        .hosted_zone_id(zone)
        .vpc(vpc_of(v, c.region())?)
        .send()
        .await
        .map_err(aws)?;
    if let Some(info) = o.change_info() {
        wait_change(c, info.id(), limit).await?;
    }
    Ok(())
}

async fn set_zone_tags(
    c: &Clients,
    id: &str,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let TagChange { removed, changed } = TagChange::between(before, after);
    let changed: Vec<Tag> = changed
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    if removed.is_empty() && changed.is_empty() {
        return Ok(());
    }
    c.route53
        .change_tags_for_resource()
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(id)
        .set_add_tags((!changed.is_empty()).then_some(changed))
        .set_remove_tag_keys((!removed.is_empty()).then_some(removed))
        .send()
        .await
        .map_err(aws)?;
    Ok(())
}

pub async fn update(
    c: &Clients,
    type_name: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let limit = timeout(planned, "update", WAIT);
    match type_name {
        // Every argument forces a replacement: nothing to update.
        AUTHORIZATION | ASSOCIATION => {
            return assoc::read(c, type_name, prior)
                .await?
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"));
        }
        ZONE => {
            let id = required(prior, "id")?;
            if s(prior, "comment") != s(planned, "comment") {
                c.route53
                    .update_hosted_zone_comment()
                    .id(&id)
                    .set_comment(s(planned, "comment"))
                    .send()
                    .await
                    .map_err(aws)?;
            }
            let key = |v: &Value| s(v, "vpc_id").unwrap_or_default();
            let before: Vec<&Value> = list(prior, "vpc").iter().collect();
            let after: Vec<&Value> = list(planned, "vpc").iter().collect();
            // Associate first: a private zone must keep at least one VPC throughout.
            for v in &after {
                if !before.iter().any(|p| key(p) == key(v)) {
                    associate(c, &id, v, limit).await?;
                }
            }
            for v in &before {
                if !after.iter().any(|p| key(p) == key(v)) {
                    let o = c
                        .route53
                        .disassociate_vpc_from_hosted_zone()
                        .hosted_zone_id(&id)
                        .vpc(vpc_of(v, c.region())?)
                        .send()
                        .await
                        .map_err(aws)?;
                    if let Some(info) = o.change_info() {
                        wait_change(c, info.id(), limit).await?;
                    }
                }
            }
            set_zone_tags(
                c,
                &id,
                &string_map(prior.get("tags_all")),
                &c.tags_all(planned),
            )
            .await?;
            get_zone(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "zone vanished"))
        }
        RECORD => {
            let zone = required(prior, "zone_id")?;
            let fqdn = s(prior, "fqdn").unwrap_or_default();
            change_record(
                c,
                &zone,
                ChangeAction::Upsert,
                record_set(planned, &fqdn)?,
                limit,
            )
            .await?;
            get_record(c, planned)
                .await?
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "record vanished"))
        }
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

pub async fn delete(c: &Clients, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
    let limit = timeout(prior, "delete", WAIT);
    match type_name {
        AUTHORIZATION | ASSOCIATION => assoc::delete(c, type_name, prior).await,
        ZONE => {
            let id = required(prior, "id")?;
            if b(prior, "force_destroy") == Some(true) {
                empty_zone(c, &id, limit).await?;
            }
            let o = c
                .route53
                .delete_hosted_zone()
                .id(&id)
                .send()
                .await
                .map_err(|e| {
                    let e = aws(e);
                    if e.code.as_deref() == Some("HostedZoneNotEmpty") {
                        ProviderError::new(
                            ErrorKind::Conflict,
                            format!(
                                "hosted zone {id} still has records that trellis does not \
                                 manage; delete them or set force_destroy = true"
                            ),
                        )
                        .with_code("HostedZoneNotEmpty")
                    } else {
                        e
                    }
                })?;
            if let Some(info) = o.change_info() {
                match wait_change(c, info.id(), limit).await {
                    Err(e) if e.kind == ErrorKind::NotFound => {}
                    other => other?,
                }
            }
            Ok(())
        }
        RECORD => {
            let Some(current) = get_record(c, prior).await? else {
                return Ok(());
            };
            let zone = required(prior, "zone_id")?;
            let fqdn = s(&current, "fqdn").unwrap_or_default();
            change_record(
                c,
                &zone,
                ChangeAction::Delete,
                record_set(&current, &fqdn)?,
                limit,
            )
            .await
        }
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

/// Deletes every record of a zone except its own SOA and NS records.
async fn empty_zone(c: &Clients, zone: &str, limit: Duration) -> Result<(), ProviderError> {
    let apex = zone_name(c, zone).await?;
    let o = c
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .map_err(aws)?;
    let doomed: Vec<ResourceRecordSet> = o
        .resource_record_sets()
        .iter()
        .filter(|r| {
            !(normal_name(r.name()) == apex && matches!(r.r#type(), RrType::Soa | RrType::Ns))
        })
        .cloned()
        .collect();
    if doomed.is_empty() {
        return Ok(());
    }
    let changes = doomed
        .into_iter()
        .map(|set| {
            Change::builder()
                .action(ChangeAction::Delete)
                .resource_record_set(set)
                .build()
                .map_err(|e| invalid(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let o = c
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .map_err(|e| invalid(e.to_string()))?,
        )
        .send()
        .await
        .map_err(aws)?;
    if let Some(info) = o.change_info() {
        wait_change(c, info.id(), limit).await?;
    }
    Ok(())
}

pub async fn import(
    c: &Clients,
    type_name: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        AUTHORIZATION | ASSOCIATION => assoc::import(c, type_name, id).await,
        ZONE => Ok(get_zone(c, &zone_id(id), &Value::Null).await?.map(|mut v| {
            v.set_path(&Path::from_keys(["force_destroy"]), Value::Bool(false));
            v
        })),
        RECORD => {
            let (zone, name, kind, set) = parse_record_id(id).ok_or_else(|| {
                invalid(format!(
                    "import id {id:?} does not have the form ZONEID_name_TYPE or \
                     ZONEID_name_TYPE_setidentifier"
                ))
            })?;
            let probe = Value::object([
                ("zone_id", Value::string(zone)),
                ("name", Value::string(name)),
                ("type", Value::string(kind)),
                (
                    "set_identifier",
                    set.map(Value::String).unwrap_or(Value::Null),
                ),
            ]);
            Ok(get_record(c, &probe).await?.map(|mut v| {
                v.set_path(&Path::from_keys(["allow_overwrite"]), Value::Null);
                v
            }))
        }
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

/// A zone made by a lost create carries the create's token as its caller reference; a record
/// is adopted when it exists with the planned content.
pub async fn settle(
    c: &Clients,
    type_name: &str,
    planned: &Value,
    token: &str,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        ZONE => {
            let mut marker: Option<String> = None;
            loop {
                let o = c
                    .route53
                    .list_hosted_zones()
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(aws)?;
                if let Some(z) = o
                    .hosted_zones()
                    .iter()
                    .find(|z| z.caller_reference() == token)
                {
                    return get_zone(c, &zone_id(z.id()), planned).await;
                }
                if !o.is_truncated() {
                    return Ok(None);
                }
                marker = o.next_marker().map(str::to_string);
            }
        }
        RECORD => {
            let Some(found) = get_record(c, planned).await? else {
                return Ok(None);
            };
            let same = normal_records(found.get("records"))
                == normal_records(planned.get("records"))
                && normal_alias(found.get("alias")) == normal_alias(planned.get("alias"));
            Ok(same.then_some(found))
        }
        AUTHORIZATION | ASSOCIATION => assoc::settle(c, type_name, planned).await,
        _ => Ok(None),
    }
}

pub async fn read_data(
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

named_service!(Api, Route53, plan: |type_name, region, _, prior, planned| plan_change(type_name, region, prior, planned), defaults: |_, _| {});

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

    #[test]
    fn record_import_ids() {
        assert_eq!(
            parse_record_id("Z123_orders.mesh.internal_CNAME"),
            Some((
                "Z123".into(),
                "orders.mesh.internal".into(),
                "CNAME".into(),
                None
            ))
        );
        assert_eq!(
            parse_record_id("Z123__acme.mesh.internal_TXT_blue"),
            Some((
                "Z123".into(),
                "_acme.mesh.internal".into(),
                "TXT".into(),
                Some("blue".into())
            ))
        );
        assert_eq!(parse_record_id("Z123"), None);
    }
}
