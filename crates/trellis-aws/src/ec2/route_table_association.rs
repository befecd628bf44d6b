//! `aws_route_table_association`: a subnet's or a gateway's association with a route table.
//! Moving it to another table is in place (`ReplaceRouteTableAssociation`, which gives the
//! association a new ID, as in Terraform). A subnet or gateway has one association at most,
//! so a lost create is found again by the table and the subnet or gateway. The import ID is
//! Terraform's: `SUBNETID/ROUTETABLEID` or `GATEWAYID/ROUTETABLEID`.

use async_trait::async_trait;
use aws_sdk_ec2::types::RouteTableAssociation;
use trellis_provider::{AttributeDiagnostic, Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::route::describe_table;
use super::{filter, no_retries, policy};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_str, s};
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::once::{self, Created};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;

pub(crate) const NAME: &str = "aws_route_table_association";

#[derive(Clone, Copy)]
pub(crate) struct Association;

#[async_trait]
impl AwsType for Association {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Ec2
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a subnet's or gateway's association with a route table",
            "SUBNETID/ROUTETABLEID or GATEWAYID/ROUTETABLEID",
            timeouts(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("route_table_id", req(string()))
                    .attr("subnet_id", opt(string()).force_new())
                    .attr("gateway_id", opt(string()).force_new()),
            ),
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        let set = |name: &str| config.get(name).is_some_and(|v| !v.is_null());
        match (set("subnet_id"), set("gateway_id")) {
            (true, true) => vec![AttributeDiagnostic::error(
                Path::from_keys(["gateway_id"]),
                "subnet_id and gateway_id are both set; use one",
            )],
            (false, false) => vec![AttributeDiagnostic::error(
                Path::from_keys(["route_table_id"]),
                "one of subnet_id or gateway_id must be set",
            )],
            _ => Vec::new(),
        }
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let id = required(prior, "id")?;
        let o = c
            .ec2
            .describe_route_tables()
            .filters(filter("association.route-table-association-id", &[&id]))
            .send()
            .await
            .map_err(aws)?;
        Ok(o.route_tables()
            .iter()
            .flat_map(|t| t.associations())
            .find(|a| a.route_table_association_id() == Some(id.as_str()) && live(a))
            .map(value))
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Value, ProviderError> {
        let table = required(planned, "route_table_id")?;
        let (subnet, gateway) = (s(planned, "subnet_id"), s(planned, "gateway_id"));
        let sent = once::create(
            policy(c),
            || {
                c.ec2
                    .associate_route_table()
                    .route_table_id(&table)
                    .set_subnet_id(subnet.clone())
                    .set_gateway_id(gateway.clone())
                    .customize()
                    .config_override(no_retries())
                    .send()
            },
            || {
                find(
                    c,
                    &table,
                    subnet.as_deref().or(gateway.as_deref()).unwrap_or(""),
                )
            },
        )
        .await?;
        let id = match sent {
            Created::Sent(o) => o
                .association_id()
                .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no association ID returned"))?
                .to_string(),
            Created::Found(a) => a
                .route_table_association_id()
                .unwrap_or_default()
                .to_string(),
        };
        self.read(c, &Value::object([("id", Value::string(&id))]))
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "association vanished"))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = required(prior, "id")?;
        let table = required(planned, "route_table_id")?;
        let o = c
            .ec2
            .replace_route_table_association()
            .association_id(&id)
            .route_table_id(&table)
            .send()
            .await
            .map_err(aws)?;
        let new_id = o.new_association_id().unwrap_or(&id).to_string();
        self.read(c, &Value::object([("id", Value::string(&new_id))]))
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"))
    }

    /// An association already gone is done (the adapter takes not-found as deleted).
    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        c.ec2
            .disassociate_route_table()
            .association_id(required(prior, "id")?)
            .send()
            .await
            .map(drop)
            .map_err(aws)
    }

    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let table = required(planned, "route_table_id")?;
        let Some(member) = s(planned, "subnet_id").or_else(|| s(planned, "gateway_id")) else {
            return Ok(None);
        };
        Ok(find(c, &table, &member).await?.as_ref().map(value))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let (member, table) = id.split_once('/').ok_or_else(|| {
            invalid(format!(
                "import ID {id:?}: expected SUBNETID/ROUTETABLEID or GATEWAYID/ROUTETABLEID"
            ))
        })?;
        Ok(find(c, table, member).await?.as_ref().map(value))
    }
}

fn live(a: &RouteTableAssociation) -> bool {
    !matches!(
        a.association_state()
            .and_then(|s| s.state())
            .map(|s| s.as_str()),
        Some("disassociated") | Some("disassociating") | Some("failed")
    )
}

fn value(a: &RouteTableAssociation) -> Value {
    Value::object([
        ("id", opt_str(a.route_table_association_id())),
        ("route_table_id", opt_str(a.route_table_id())),
        ("subnet_id", opt_str(a.subnet_id())),
        ("gateway_id", opt_str(a.gateway_id())),
    ])
}

/// The live association of `table` with the subnet or gateway `member`.
async fn find(
    c: &Clients,
    table: &str,
    member: &str,
) -> Result<Option<RouteTableAssociation>, ProviderError> {
    Ok(describe_table(c, table)
        .await?
        .iter()
        .flat_map(|t| t.associations())
        .find(|a| live(a) && (a.subnet_id() == Some(member) || a.gateway_id() == Some(member)))
        .cloned())
}
