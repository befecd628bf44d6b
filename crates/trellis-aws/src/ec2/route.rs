//! `aws_route`: one route of a route table, and what `aws_route_table`'s inline `route`
//! blocks share with it: a route as a destination and one target ([`Spec`]), read from the
//! API's routes and sent with `CreateRoute`, `ReplaceRoute` and `DeleteRoute`.
//!
//! A route is unique by destination in its table, so a lost create is found again by its
//! destination and target; a route already there with another target is an error (as in
//! Terraform), not taken over. The ID is Terraform's: `r-`, the table ID and the CRC-32 of
//! the destination. The import ID is `ROUTETABLEID_DESTINATION`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Route, RouteOrigin, RouteTable};
use trellis_provider::{AttributeDiagnostic, Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::{no_retries, policy, WAIT};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_str, s, timeout};
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::once;
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::wait::{wait_for, Poll};

pub(crate) const NAME: &str = "aws_route";

/// The kinds of destination: the `aws_route` argument and the inline block's.
pub(crate) const DESTINATIONS: [(&str, &str); 3] = [
    ("destination_cidr_block", "cidr_block"),
    ("destination_ipv6_cidr_block", "ipv6_cidr_block"),
    ("destination_prefix_list_id", "destination_prefix_list_id"),
];

/// The kinds of target, named alike in `aws_route` and the inline blocks.
pub(crate) const TARGETS: [&str; 10] = [
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

/// One route: a destination (by kind, an index of [`DESTINATIONS`]) and its targets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Spec {
    pub kind: usize,
    pub destination: String,
    pub targets: BTreeMap<&'static str, String>,
}

impl Spec {
    /// The route a value describes, with the destination names of `aws_route` (`inline`
    /// false) or of the inline blocks; `None` without exactly one destination.
    pub fn of(value: &Value, inline: bool) -> Option<Spec> {
        let mut found = DESTINATIONS.iter().enumerate().filter_map(|(i, names)| {
            let name = if inline { names.1 } else { names.0 };
            s(value, name).filter(|d| !d.is_empty()).map(|d| (i, d))
        });
        let (kind, destination) = found.next()?;
        if found.next().is_some() {
            return None;
        }
        let targets = TARGETS
            .iter()
            .filter_map(|t| s(value, t).filter(|v| !v.is_empty()).map(|v| (*t, v)))
            .collect();
        Some(Spec {
            kind,
            destination,
            targets,
        })
    }

    /// A route as the API gives it; `None` for the table's `local` routes and routes
    /// propagated from a virtual private gateway, which Terraform leaves out too.
    pub fn from_api(r: &Route) -> Option<Spec> {
        if r.gateway_id() == Some("local")
            || r.origin() == Some(&RouteOrigin::EnableVgwRoutePropagation)
            || r.origin() == Some(&RouteOrigin::CreateRouteTable)
        {
            return None;
        }
        let (kind, destination) = [
            r.destination_cidr_block(),
            r.destination_ipv6_cidr_block(),
            r.destination_prefix_list_id(),
        ]
        .into_iter()
        .enumerate()
        .find_map(|(i, d)| d.filter(|d| !d.is_empty()).map(|d| (i, d.to_string())))?;
        let mut targets = BTreeMap::new();
        let mut put = |name: &'static str, v: Option<&str>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                targets.insert(name, v.to_string());
            }
        };
        // Gateway Load Balancer endpoints come back as a gateway ID.
        match r.gateway_id() {
            Some(g) if g.starts_with("vpce-") => put("vpc_endpoint_id", Some(g)),
            g => put("gateway_id", g),
        }
        put("carrier_gateway_id", r.carrier_gateway_id());
        put("core_network_arn", r.core_network_arn());
        put(
            "egress_only_gateway_id",
            r.egress_only_internet_gateway_id(),
        );
        put("local_gateway_id", r.local_gateway_id());
        put("nat_gateway_id", r.nat_gateway_id());
        put("transit_gateway_id", r.transit_gateway_id());
        put("vpc_peering_connection_id", r.vpc_peering_connection_id());
        // An instance route names the instance's interface; Terraform keeps the interface.
        put("network_interface_id", r.network_interface_id());
        Some(Spec {
            kind,
            destination,
            targets,
        })
    }

    /// Every destination and target attribute, null where unset, with the destination
    /// names of `aws_route` (`inline` false) or of the inline blocks.
    pub fn fields(&self, inline: bool) -> Vec<(&'static str, Value)> {
        let mut fields: Vec<(&'static str, Value)> = DESTINATIONS
            .iter()
            .enumerate()
            .map(|(i, names)| {
                let v = if i == self.kind {
                    Value::string(&self.destination)
                } else {
                    Value::Null
                };
                (if inline { names.1 } else { names.0 }, v)
            })
            .collect();
        fields.extend(TARGETS.iter().map(|t| {
            let v = self
                .targets
                .get(t)
                .map(Value::string)
                .unwrap_or(Value::Null);
            (*t, v)
        }));
        fields
    }

    /// The inline block's value: every attribute, null where unset.
    pub fn block_value(&self) -> Value {
        Value::object(self.fields(true))
    }

    fn target(&self, name: &str) -> Option<String> {
        self.targets.get(name).cloned()
    }
}

/// Which of `names` a route (of `aws_route`, or an inline block) sets, an empty string
/// counting as unset as in Terraform; `None` while one of them is not known yet.
pub(crate) fn set_among<'a>(value: &Value, names: &[&'a str]) -> Option<Vec<&'a str>> {
    if names
        .iter()
        .any(|n| value.get(n).is_some_and(Value::is_unknown))
    {
        return None;
    }
    Some(
        names
            .iter()
            .copied()
            .filter(|n| {
                value
                    .get(n)
                    .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
            })
            .collect(),
    )
}

/// Sets a route's destination and targets on a `CreateRoute` or `ReplaceRoute` builder
/// (the two have the same setters).
macro_rules! route_call {
    ($call:expr, $spec:expr) => {{
        let spec: &Spec = $spec;
        let d = |i: usize| (spec.kind == i).then(|| spec.destination.clone());
        $call
            .set_destination_cidr_block(d(0))
            .set_destination_ipv6_cidr_block(d(1))
            .set_destination_prefix_list_id(d(2))
            .set_carrier_gateway_id(spec.target("carrier_gateway_id"))
            .set_core_network_arn(spec.target("core_network_arn"))
            .set_egress_only_internet_gateway_id(spec.target("egress_only_gateway_id"))
            .set_gateway_id(spec.target("gateway_id"))
            .set_local_gateway_id(spec.target("local_gateway_id"))
            .set_nat_gateway_id(spec.target("nat_gateway_id"))
            .set_network_interface_id(spec.target("network_interface_id"))
            .set_transit_gateway_id(spec.target("transit_gateway_id"))
            .set_vpc_endpoint_id(spec.target("vpc_endpoint_id"))
            .set_vpc_peering_connection_id(spec.target("vpc_peering_connection_id"))
    }};
}

/// The route table `table`, `None` when it is gone.
pub(crate) async fn describe_table(
    c: &Clients,
    table: &str,
) -> Result<Option<RouteTable>, ProviderError> {
    match c
        .ec2
        .describe_route_tables()
        .route_table_ids(table)
        .send()
        .await
        .map_err(aws)
    {
        Ok(o) => Ok(o
            .route_tables()
            .iter()
            .find(|t| t.route_table_id() == Some(table))
            .cloned()),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The routes of table `table` that Terraform manages (see [`Spec::from_api`]), with the
/// API's routes; `None` when the table is gone.
pub(crate) async fn table_routes(
    c: &Clients,
    table: &str,
) -> Result<Option<Vec<(Spec, Route)>>, ProviderError> {
    Ok(describe_table(c, table).await?.map(|t| {
        t.routes()
            .iter()
            .filter_map(|r| Spec::from_api(r).map(|s| (s, r.clone())))
            .collect()
    }))
}

/// Sends `CreateRoute`; after an answer that may follow a performed call, a route with the
/// same destination and targets is the one it made.
pub(crate) async fn create_route(
    c: &Clients,
    table: &str,
    spec: &Spec,
) -> Result<(), ProviderError> {
    once::create(
        policy(c),
        || {
            route_call!(c.ec2.create_route().route_table_id(table), spec)
                .customize()
                .config_override(no_retries())
                .send()
        },
        || async {
            let routes = table_routes(c, table).await?.unwrap_or_default();
            Ok(routes.iter().any(|(s, _)| s == spec).then_some(()))
        },
    )
    .await
    .map(drop)
}

pub(crate) async fn replace_route(
    c: &Clients,
    table: &str,
    spec: &Spec,
) -> Result<(), ProviderError> {
    route_call!(c.ec2.replace_route().route_table_id(table), spec)
        .send()
        .await
        .map(drop)
        .map_err(aws)
}

/// Deletes the route to `spec`'s destination; already gone is done.
pub(crate) async fn delete_route(
    c: &Clients,
    table: &str,
    spec: &Spec,
) -> Result<(), ProviderError> {
    let d = |i: usize| (spec.kind == i).then(|| spec.destination.clone());
    match c
        .ec2
        .delete_route()
        .route_table_id(table)
        .set_destination_cidr_block(d(0))
        .set_destination_ipv6_cidr_block(d(1))
        .set_destination_prefix_list_id(d(2))
        .send()
        .await
        .map_err(aws)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Terraform's route ID: `r-`, the table ID and the CRC-32 (IEEE) of the destination.
pub(crate) fn route_id(table: &str, destination: &str) -> String {
    format!("r-{table}{}", crc32fast::hash(destination.as_bytes()))
}

#[derive(Clone, Copy)]
pub(crate) struct RouteType;

#[async_trait]
impl AwsType for RouteType {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Ec2
    }

    fn schema(&self) -> ResourceSchema {
        let mut block = Block::new()
            .attr("id", comp(string()))
            .attr("route_table_id", req(string()).force_new())
            .attr("instance_id", comp(string()))
            .attr("instance_owner_id", comp(string()))
            .attr("origin", comp(string()))
            .attr("state", comp(string()));
        for (name, _) in DESTINATIONS {
            block = block.attr(name, opt(string()).force_new());
        }
        for name in TARGETS {
            // An instance's route reads back with the instance's interface.
            let a = if name == "network_interface_id" {
                opt_comp(string())
            } else {
                opt(string())
            };
            block = block.attr(name, a);
        }
        resource(
            "a route of a route table",
            "ROUTETABLEID_DESTINATION",
            timeouts(block),
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
        let destinations = DESTINATIONS.map(|d| d.0);
        if set_among(config, &destinations).is_some_and(|d| d.len() != 1) {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["route_table_id"]),
                format!("exactly one of {} must be set", destinations.join(", ")),
            ));
        }
        if let Some(targets) = set_among(config, &TARGETS).filter(|t| t.len() != 1) {
            let at = targets.get(1).copied().unwrap_or("route_table_id");
            out.push(AttributeDiagnostic::error(
                Path::from_keys([at]),
                format!("exactly one of {} must be set", TARGETS.join(", ")),
            ));
        }
        out
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let table = required(prior, "route_table_id")?;
        let spec = Spec::of(prior, false).ok_or_else(|| invalid("a route needs a destination"))?;
        get(c, &table, spec.kind, &spec.destination, prior).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Value, ProviderError> {
        let table = required(planned, "route_table_id")?;
        let spec =
            Spec::of(planned, false).ok_or_else(|| invalid("a route needs one destination"))?;
        if let Some((there, _)) = table_routes(c, &table)
            .await?
            .unwrap_or_default()
            .into_iter()
            .find(|(s, _)| s.kind == spec.kind && s.destination == spec.destination)
        {
            if there != spec {
                return Err(ProviderError::new(
                    ErrorKind::Conflict,
                    format!(
                        "route table {table} already has a route to {}; import it as \
                         aws_route with ID {table}_{}",
                        spec.destination, spec.destination
                    ),
                ));
            }
        } else {
            create_route(c, &table, &spec).await?;
        }
        wait_ready(c, &table, &spec, timeout(planned, "create", WAIT)).await?;
        get(c, &table, spec.kind, &spec.destination, planned)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "route vanished"))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let table = required(prior, "route_table_id")?;
        let spec =
            Spec::of(planned, false).ok_or_else(|| invalid("a route needs one destination"))?;
        if Spec::of(prior, false).as_ref() != Some(&spec) {
            replace_route(c, &table, &spec).await?;
        }
        get(c, &table, spec.kind, &spec.destination, planned)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let table = required(prior, "route_table_id")?;
        let Some(spec) = Spec::of(prior, false) else {
            return Ok(());
        };
        delete_route(c, &table, &spec).await
    }

    /// A lost create left a route with the planned destination and targets.
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let table = required(planned, "route_table_id")?;
        let Some(spec) = Spec::of(planned, false) else {
            return Ok(None);
        };
        let found = table_routes(c, &table)
            .await?
            .unwrap_or_default()
            .into_iter()
            .any(|(s, _)| s == spec);
        if !found {
            return Ok(None);
        }
        get(c, &table, spec.kind, &spec.destination, planned).await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let (table, destination) = id.split_once('_').ok_or_else(|| {
            invalid(format!(
                "import ID {id:?}: expected ROUTETABLEID_DESTINATION (rtb-0123_10.0.0.0/16)"
            ))
        })?;
        let kind = if destination.starts_with("pl-") {
            2
        } else if destination.contains(':') {
            1
        } else {
            0
        };
        get(c, table, kind, destination, &Value::Null).await
    }
}

/// Waits until the route is `active` (a blackhole route, whose target is gone, is an
/// error), as Terraform does after a create.
async fn wait_ready(
    c: &Clients,
    table: &str,
    spec: &Spec,
    limit: std::time::Duration,
) -> Result<(), ProviderError> {
    wait_for(
        &format!("the route to {}", spec.destination),
        limit,
        || async {
            let routes = table_routes(c, table).await?.unwrap_or_default();
            let Some((_, r)) = routes
                .iter()
                .find(|(s, _)| s.destination == spec.destination)
            else {
                return Ok(Poll::Pending);
            };
            Ok(match r.state().map(|s| s.as_str()) {
                Some("blackhole") => {
                    Poll::Failed("the route is a blackhole: its target is gone".into())
                }
                _ => Poll::Ready(()),
            })
        },
    )
    .await
}

/// The route to `destination` (of destination kind `kind`) in `table`, `None` when the
/// table or the route is gone. `shape`'s timeouts are kept.
async fn get(
    c: &Clients,
    table: &str,
    kind: usize,
    destination: &str,
    shape: &Value,
) -> Result<Option<Value>, ProviderError> {
    let Some(routes) = table_routes(c, table).await? else {
        return Ok(None);
    };
    let Some((spec, r)) = routes
        .into_iter()
        .find(|(s, _)| s.kind == kind && s.destination == destination)
    else {
        return Ok(None);
    };
    let mut fields: Vec<(&str, Value)> = vec![
        ("id", Value::string(route_id(table, destination))),
        ("route_table_id", Value::string(table)),
        ("instance_id", opt_str(r.instance_id())),
        ("instance_owner_id", opt_str(r.instance_owner_id())),
        ("origin", opt_str(r.origin().map(|o| o.as_str()))),
        ("state", opt_str(r.state().map(|s| s.as_str()))),
    ];
    fields.extend(spec.fields(false));
    let mut v = Value::object(fields);
    if let Some(t) = shape.get("timeouts") {
        v.set_path(&Path::from_keys(["timeouts"]), t.clone());
    }
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_ids_are_terraforms() {
        // Terraform's ID for this route: r- + table + crc32("0.0.0.0/0").
        assert_eq!(crc32fast::hash(b"0.0.0.0/0"), 1_080_289_494);
        assert_eq!(route_id("rtb-0a1b", "0.0.0.0/0"), "r-rtb-0a1b1080289494");
    }

    #[test]
    fn a_spec_needs_exactly_one_destination() {
        let one = Value::object([
            ("cidr_block", Value::string("10.0.0.0/8")),
            ("gateway_id", Value::string("igw-1")),
            ("nat_gateway_id", Value::string("")),
        ]);
        let spec = Spec::of(&one, true).unwrap();
        assert_eq!((spec.kind, spec.destination.as_str()), (0, "10.0.0.0/8"));
        assert_eq!(
            spec.targets.len(),
            1,
            "empty strings are unset, as in Terraform"
        );
        let two = Value::object([
            ("cidr_block", Value::string("10.0.0.0/8")),
            ("ipv6_cidr_block", Value::string("::/0")),
        ]);
        assert!(Spec::of(&two, true).is_none());
        assert!(Spec::of(
            &Value::object([("gateway_id", Value::string("igw-1"))]),
            true
        )
        .is_none());
    }
}
