//! `aws_route_table`, with Terraform's inline `route` blocks (attributes as blocks, a set):
//! with blocks (or `route = []`) the table's routes are managed exclusively; without, they
//! are read into state and left alone, for `aws_route` resources to manage. The table's
//! `local` routes and routes propagated from a virtual private gateway are never in the set.
//! Deleting a table first removes its subnet and gateway associations, as Terraform does.
//! A lost create is found again by VPC and exactly the planned tags.

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use trellis_provider::{
    AttributeDiagnostic, Block, ErrorKind, Nesting, ProviderError, ResourceSchema,
};
use trellis_types::{Path, Value};

use super::route::{
    create_route, delete_route, describe_table, replace_route, set_among, table_routes, Spec,
    DESTINATIONS, TARGETS,
};
use super::{
    arn, filter, no_retries, only_one, policy, tag_filters, tag_spec, tags_of, update_tags, WAIT,
};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_str, s, timeout};
use crate::sdk::error::{aws, required};
use crate::sdk::once::{self, Created};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::values::tags_value;
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_route_table";

#[derive(Clone, Copy)]
pub(crate) struct RouteTable;

/// The routes an inline `route` value holds; `None` when one is not known yet or is not a
/// route (no or several destinations).
fn specs(routes: &Value) -> Option<BTreeSet<Spec>> {
    routes
        .as_list()?
        .iter()
        .map(|r| Spec::of(r, true))
        .collect()
}

#[async_trait]
impl AwsType for RouteTable {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Ec2
    }

    fn schema(&self) -> ResourceSchema {
        let mut route = Block::new();
        for (_, name) in DESTINATIONS {
            route = route.attr(name, opt(string()));
        }
        for name in TARGETS {
            route = route.attr(name, opt(string()));
        }
        resource(
            "a route table of a VPC, with inline route blocks or aws_route resources",
            "route table ID",
            timeouts(tagged(
                Block::new()
                    .block("route", Nesting::Set, route)
                    .block_computed("route")
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("vpc_id", req(string()).force_new())
                    .attr("owner_id", comp(string())),
            )),
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
        let Some(routes) = config.get("route").and_then(Value::as_list) else {
            return out;
        };
        let destinations = DESTINATIONS.map(|d| d.1);
        for r in routes {
            for names in [&destinations[..], &TARGETS[..]] {
                if set_among(r, names).is_some_and(|n| n.len() != 1) {
                    out.push(AttributeDiagnostic::error(
                        Path::from_keys(["route"]),
                        format!("a route block needs exactly one of {}", names.join(", ")),
                    ));
                }
            }
        }
        out
    }

    /// Without `route` blocks the prior routes are kept (not managed); with them, the same
    /// set of routes as the prior's keeps the prior's spelling and order.
    fn plan_rules(
        &self,
        _region: &str,
        config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Vec<AttributeDiagnostic> {
        let configured = config.get("route").is_some_and(|v| !v.is_null());
        let Some(before) = prior.and_then(|p| p.get("route")) else {
            // A new table without blocks manages no routes: nothing to plan for them (the
            // create reads whatever routes the table has).
            if !configured {
                planned.set_path(&Path::from_keys(["route"]), Value::Null);
            }
            return Vec::new();
        };
        let keep = if configured {
            let now = planned.get("route").cloned().unwrap_or(Value::Null);
            matches!((specs(&now), specs(before)), (Some(a), Some(b)) if a == b)
        } else {
            true
        };
        if keep {
            planned.set_path(&Path::from_keys(["route"]), before.clone());
        }
        Vec::new()
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        get(c, &required(prior, "id")?).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Value, ProviderError> {
        let tags = c.tags_all(planned);
        let vpc = required(planned, "vpc_id")?;
        let sent = once::create(
            policy(c),
            || {
                c.ec2
                    .create_route_table()
                    .vpc_id(&vpc)
                    .set_tag_specifications(
                        tag_spec(ResourceType::RouteTable, &tags).map(|t| vec![t]),
                    )
                    .customize()
                    .config_override(no_retries())
                    .send()
            },
            || find(c, planned),
        )
        .await?;
        let id = match sent {
            Created::Sent(o) => o
                .route_table()
                .and_then(|t| t.route_table_id())
                .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no route table ID returned"))?
                .to_string(),
            Created::Found(id) => id,
        };
        if let Some(wanted) = planned.get("route").filter(|v| v.as_list().is_some()) {
            reconcile(c, &id, wanted).await?;
        }
        get(c, &id)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "route table vanished"))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = required(prior, "id")?;
        let wanted = planned.get("route").filter(|v| v.as_list().is_some());
        if let Some(wanted) = wanted.filter(|w| Some(*w) != prior.get("route")) {
            reconcile(c, &id, wanted).await?;
        }
        update_tags(c, &id, prior, planned).await?;
        get(c, &id)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let id = required(prior, "id")?;
        let limit = timeout(prior, "delete", WAIT);
        disassociate_all(c, &id).await?;
        delete_retrying(limit, || async {
            c.ec2
                .delete_route_table()
                .route_table_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(aws)
        })
        .await
    }

    /// A table made by a lost create is in the planned VPC with exactly the planned tags
    /// (non-empty); its routes may not have been written yet.
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let Some(id) = find(c, planned).await? else {
            return Ok(None);
        };
        if let Some(wanted) = planned.get("route").filter(|v| v.as_list().is_some()) {
            reconcile(c, &id, wanted).await?;
        }
        get(c, &id).await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        get(c, id).await
    }
}

/// Makes the table's routes exactly `wanted`: routes to other destinations deleted, routes
/// to a wanted destination with other targets replaced, missing ones created.
async fn reconcile(c: &Clients, table: &str, wanted: &Value) -> Result<(), ProviderError> {
    let wanted = specs(wanted).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Invalid,
            "a route block has no single destination",
        )
    })?;
    let current: Vec<Spec> = table_routes(c, table)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let same_destination = |a: &Spec, b: &Spec| a.kind == b.kind && a.destination == b.destination;
    for old in &current {
        if !wanted.iter().any(|w| same_destination(w, old)) {
            delete_route(c, table, old).await?;
        }
    }
    for want in &wanted {
        match current.iter().find(|old| same_destination(want, old)) {
            Some(old) if old == want => {}
            Some(_) => replace_route(c, table, want).await?,
            None => create_route(c, table, want).await?,
        }
    }
    Ok(())
}

/// Removes every non-main association of the table (subnets and gateways).
async fn disassociate_all(c: &Clients, table: &str) -> Result<(), ProviderError> {
    if let Some(t) = describe_table(c, table).await? {
        for a in t.associations() {
            if a.main() == Some(true) {
                continue;
            }
            let Some(id) = a.route_table_association_id() else {
                continue;
            };
            match c
                .ec2
                .disassociate_route_table()
                .association_id(id)
                .send()
                .await
                .map_err(aws)
            {
                Ok(_) => {}
                Err(e) if e.kind == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// The one table in the planned VPC with exactly the planned tags; none without tags.
async fn find(c: &Clients, planned: &Value) -> Result<Option<String>, ProviderError> {
    let tags = c.tags_all(planned);
    if tags.is_empty() {
        return Ok(None);
    }
    let Some(vpc) = s(planned, "vpc_id") else {
        return Ok(None);
    };
    let mut fs = vec![filter("vpc-id", &[&vpc])];
    fs.extend(tag_filters(&tags));
    let o = c
        .ec2
        .describe_route_tables()
        .set_filters(Some(fs))
        .send()
        .await
        .map_err(aws)?;
    let ids: Vec<String> = o
        .route_tables()
        .iter()
        .filter(|t| tags_of(t.tags()) == tags)
        .filter_map(|t| t.route_table_id().map(str::to_string))
        .collect();
    Ok(only_one(ids))
}

pub(crate) async fn get(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    let Some(t) = describe_table(c, id).await? else {
        return Ok(None);
    };
    let owner = t.owner_id().unwrap_or_default().to_string();
    let routes: BTreeSet<Spec> = t.routes().iter().filter_map(Spec::from_api).collect();
    Ok(Some(Value::object([
        ("id", Value::string(id)),
        (
            "arn",
            Value::string(arn(c, &owner, &format!("route-table/{id}"))),
        ),
        ("vpc_id", opt_str(t.vpc_id())),
        ("owner_id", Value::string(&owner)),
        (
            "route",
            Value::List(routes.iter().map(Spec::block_value).collect()),
        ),
        ("tags_all", tags_value(&tags_of(t.tags()))),
    ])))
}
