//! `aws_route53_record`: a record set (`records`, or an `alias` block), ID
//! `ZONEID_name_TYPE` (and `_setidentifier`). `CREATE` is not safe to send twice, so it goes
//! through [`once::create`]; a lost create is adopted when the record exists with the planned
//! content.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use trellis_provider::{AttributeDiagnostic, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::{expand_name, no_retries, normal_name, policy, wait_change, zone_name, WAIT};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, list, opt_str, s, timeout};
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::once::{self, Created};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;

pub(crate) const NAME: &str = "aws_route53_record";

#[derive(Clone, Copy)]
pub(crate) struct Record;

#[async_trait]
impl AwsType for Record {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Route53
    }

    fn schema(&self) -> ResourceSchema {
        use trellis_provider::{AttrType, Block, Nesting};
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
        resource(
            "a Route53 record (records, or an alias)",
            "ZONEID_name_TYPE, or ZONEID_name_TYPE_setidentifier",
            record,
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
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
        out
    }

    /// Keeps the prior spelling of the name, records and alias when they mean the same.
    fn plan_rules(
        &self,
        _region: &str,
        _config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Vec<AttributeDiagnostic> {
        let out = Vec::new();
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
        out
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        match get(c, prior).await {
            Err(e) if e.code.as_deref() == Some("NoSuchHostedZone") => Ok(None),
            other => other,
        }
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        let limit = timeout(planned, "create", WAIT);
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
                || self.settle(c, planned, token),
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
        get(c, planned)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "record vanished"))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let limit = timeout(planned, "update", WAIT);
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
        get(c, planned)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "record vanished"))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", WAIT);
        let Some(current) = get(c, prior).await? else {
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

    /// A record is adopted when it exists with the planned content.
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let Some(found) = get(c, planned).await? else {
            return Ok(None);
        };
        let same = normal_records(found.get("records")) == normal_records(planned.get("records"))
            && normal_alias(found.get("alias")) == normal_alias(planned.get("alias"));
        Ok(same.then_some(found))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
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
        Ok(get(c, &probe).await?.map(|mut v| {
            v.set_path(&Path::from_keys(["allow_overwrite"]), Value::Null);
            v
        }))
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

/// The record of `prior` as it is now, in `prior`'s spelling where equal.
async fn get(c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
