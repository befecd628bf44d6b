//! `aws_route53_zone`: a hosted zone, public, or private with `vpc` blocks. A lost create is
//! found again by its caller reference (the create's token).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, HostedZoneConfig, ResourceRecordSet, RrType, Tag,
    TagResourceType, Vpc, VpcRegion,
};
use trellis_provider::{AttributeDiagnostic, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::{get_zone, no_retries, normal_name, policy, wait_change, zone_id, zone_name, WAIT};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, list, s, string_map, timeout};
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::once::{self, Created};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::values::{set_of, TagChange};

pub(crate) const NAME: &str = "aws_route53_zone";

/// Terraform's default comment; kept so that zones made by Terraform show no change.
const DEFAULT_COMMENT: &str = "Managed by Terraform";

#[derive(Clone, Copy)]
pub(crate) struct Zone;

#[async_trait]
impl AwsType for Zone {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Route53
    }

    fn schema(&self) -> ResourceSchema {
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
        resource("a Route53 hosted zone, public or private", "zone ID", zone)
    }

    /// Fills `vpc_region`, keeps the prior spelling of the name, and refuses a move between
    /// public and private (AWS cannot change that in place).
    fn plan_rules(
        &self,
        region: &str,
        _config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
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
        out
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        get_zone(c, &required(prior, "id")?, prior).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        let limit = timeout(planned, "create", WAIT);
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
            || self.settle(c, planned, token),
        )
        .await?;
        let o = match sent {
            Created::Sent(o) => o,
            // Made by a call whose answer was lost; the rest of the create still runs.
            Created::Found(found) => {
                let id = s(&found, "zone_id")
                    .ok_or_else(|| ProviderError::new(ErrorKind::Other, "found zone has no ID"))?;
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

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let limit = timeout(planned, "update", WAIT);
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

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", WAIT);
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

    /// A zone made by a lost create carries the create's token as its caller reference.
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError> {
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

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(get_zone(c, &zone_id(id), &Value::Null).await?.map(|mut v| {
            v.set_path(&Path::from_keys(["force_destroy"]), Value::Bool(false));
            v
        }))
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
