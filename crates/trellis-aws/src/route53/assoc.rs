//! Private hosted zones shared across accounts, with the Terraform AWS provider's names:
//! `aws_route53_vpc_association_authorization` (the account that owns the zone authorizes a
//! VPC of another account; ID `ZONEID:VPCID`) and `aws_route53_zone_association` (the account
//! that owns the VPC associates it with the zone; ID `ZONEID:VPCID:REGION`, imported also as
//! `ZONEID:VPCID` in the provider's region).
//!
//! An association is read through `ListHostedZonesByVPC`, as the VPC's account sees it (it
//! cannot read another account's zone). An association refused for want of an authorization
//! is an error that names the missing resource, not a bare `NotAuthorizedException`.

use async_trait::async_trait;
use aws_sdk_route53::types::{Vpc, VpcRegion};
use trellis_provider::{AttributeDiagnostic, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::{wait_change, zone_id, WAIT};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{s, timeout};
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;

const AUTHORIZATION: &str = "aws_route53_vpc_association_authorization";
const ASSOCIATION: &str = "aws_route53_zone_association";

/// One of the two association types: they share their arguments, reads and ID forms, and
/// differ in the calls.
#[derive(Clone, Copy)]
pub(crate) struct Assoc(&'static str);

/// `aws_route53_vpc_association_authorization`.
pub(crate) const VPC_ASSOCIATION_AUTHORIZATION: Assoc = Assoc(AUTHORIZATION);

/// `aws_route53_zone_association`.
pub(crate) const ZONE_ASSOCIATION: Assoc = Assoc(ASSOCIATION);

#[async_trait]
impl AwsType for Assoc {
    fn name(&self) -> &'static str {
        self.0
    }

    fn service(&self) -> Service {
        Service::Route53
    }

    fn schema(&self) -> ResourceSchema {
        use trellis_provider::Block;
        let base = Block::new()
            .attr("id", comp(string()))
            .attr("zone_id", req(string()).force_new())
            .attr("vpc_id", req(string()).force_new())
            .attr("vpc_region", opt_comp(string()).force_new());
        if self.0 == AUTHORIZATION {
            resource(
                "the zone owner's authorization for a VPC of another account to associate with a private hosted zone",
                "ZONEID:VPCID",
                base,
            )
        } else {
            resource(
                "a VPC associated with a private hosted zone (of this account, or of another account that authorized it)",
                "ZONEID:VPCID, or ZONEID:VPCID:REGION",
                base.attr("owning_account", comp(string())),
            )
        }
    }

    fn plan_rules(
        &self,
        region: &str,
        _config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Vec<AttributeDiagnostic> {
        plan_change(region, prior, planned);
        Vec::new()
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        read(c, self.0, prior).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Value, ProviderError> {
        create(c, self.0, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        delete(c, self.0, prior).await
    }

    /// Both creates are found again by their content after a lost response.
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        read(c, self.0, planned).await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        import(c, self.0, id).await
    }
}

/// `vpc_region` defaults to the provider's region, known at plan time; a zone ID spelled
/// `/hostedzone/Z...` is the same zone as `Z...`.
fn plan_change(region: &str, prior: Option<&Value>, planned: &mut Value) {
    if planned
        .get("vpc_region")
        .is_none_or(|v| v.is_null() || v.is_unknown())
    {
        planned.set_path(&Path::from_keys(["vpc_region"]), Value::string(region));
    }
    if let (Some(now), Some(before)) = (s(planned, "zone_id"), prior.and_then(|p| s(p, "zone_id")))
    {
        if now != before && zone_id(&now) == zone_id(&before) {
            planned.set_path(&Path::from_keys(["zone_id"]), Value::string(before));
        }
    }
}

fn vpc(vpc_id: &str, region: &str) -> Vpc {
    Vpc::builder()
        .vpc_id(vpc_id)
        .vpc_region(VpcRegion::from(region))
        .build()
}

/// Zone, VPC and region of a planned or prior value.
fn parts(c: &Clients, v: &Value) -> Result<(String, String, String), ProviderError> {
    Ok((
        zone_id(&required(v, "zone_id")?),
        required(v, "vpc_id")?,
        s(v, "vpc_region").unwrap_or_else(|| c.region().to_string()),
    ))
}

async fn get_authorization(
    c: &Clients,
    zone: &str,
    vpc_id: &str,
    region: Option<&str>,
) -> Result<Option<Value>, ProviderError> {
    let mut token: Option<String> = None;
    loop {
        let o = match c
            .route53
            .list_vpc_association_authorizations()
            .hosted_zone_id(zone)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(aws)
        {
            Ok(o) => o,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let found = o.vpcs().iter().find(|v| {
            v.vpc_id() == Some(vpc_id)
                && region.is_none_or(|r| v.vpc_region().map(|x| x.as_str()) == Some(r))
        });
        if let Some(v) = found {
            let region = v
                .vpc_region()
                .map(|r| r.as_str().to_string())
                .unwrap_or_default();
            return Ok(Some(Value::object([
                ("id", Value::string(format!("{zone}:{vpc_id}"))),
                ("zone_id", Value::string(zone)),
                ("vpc_id", Value::string(vpc_id)),
                ("vpc_region", Value::string(region)),
            ])));
        }
        match o.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(None),
        }
    }
}

async fn get_association(
    c: &Clients,
    zone: &str,
    vpc_id: &str,
    region: &str,
) -> Result<Option<Value>, ProviderError> {
    let mut token: Option<String> = None;
    loop {
        let o = c
            .route53
            .list_hosted_zones_by_vpc()
            .vpc_id(vpc_id)
            .vpc_region(VpcRegion::from(region))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(aws)?;
        if let Some(z) = o
            .hosted_zone_summaries()
            .iter()
            .find(|z| zone_id(z.hosted_zone_id()) == zone)
        {
            let owner = z
                .owner()
                .and_then(|o| o.owning_account())
                .map(Value::string)
                .unwrap_or(Value::Null);
            return Ok(Some(Value::object([
                ("id", Value::string(format!("{zone}:{vpc_id}:{region}"))),
                ("zone_id", Value::string(zone)),
                ("vpc_id", Value::string(vpc_id)),
                ("vpc_region", Value::string(region)),
                ("owning_account", owner),
            ])));
        }
        match o.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(None),
        }
    }
}

/// Reads by zone, VPC and region; keeps the prior's spelling of the zone ID.
async fn read(c: &Clients, type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
    let (zone, vpc_id, region) = parts(c, prior)?;
    let found = match type_name {
        AUTHORIZATION => get_authorization(c, &zone, &vpc_id, Some(&region)).await?,
        ASSOCIATION => get_association(c, &zone, &vpc_id, &region).await?,
        other => return Err(invalid(format!("unknown resource type {other}"))),
    };
    Ok(found.map(|v| crate::sdk::values::carry_over(v, prior)))
}

/// The error of an association that its zone's owner has not authorized: what is missing,
/// and AWS's words after it.
fn unauthorized(
    zone: &str,
    vpc_id: &str,
    region: &str,
    me: Option<&str>,
    error: &ProviderError,
) -> ProviderError {
    let of = me.map(|a| format!(" of account {a}")).unwrap_or_default();
    ProviderError::new(
        ErrorKind::AccessDenied,
        format!(
            "the VPC association authorization is missing: hosted zone {zone} belongs to \
             another account, which has not authorized VPC {vpc_id} ({region}){of} to \
             associate with it; add an aws_route53_vpc_association_authorization with the \
             zone owner's provider (zone_id = \"{zone}\", vpc_id = \"{vpc_id}\") and make this \
             association depend on it, for example by taking its zone_id and vpc_id from that \
             resource (AWS said: {error})"
        ),
    )
}

async fn create(c: &Clients, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
    let (zone, vpc_id, region) = parts(c, planned)?;
    let limit = timeout(planned, "create", WAIT);
    match type_name {
        AUTHORIZATION => {
            c.route53
                .create_vpc_association_authorization()
                .hosted_zone_id(&zone)
                .vpc(vpc(&vpc_id, &region))
                .send()
                .await
                .map_err(aws)?;
        }
        ASSOCIATION => {
            let o = match c
                .route53
                .associate_vpc_with_hosted_zone()
                .hosted_zone_id(&zone)
                .vpc(vpc(&vpc_id, &region))
                .send()
                .await
                .map_err(aws)
            {
                Ok(o) => o,
                Err(e) if e.code.as_deref() == Some("NotAuthorizedException") => {
                    let me = c.account().await.ok();
                    return Err(unauthorized(&zone, &vpc_id, &region, me.as_deref(), &e));
                }
                Err(e) => return Err(e),
            };
            if let Some(info) = o.change_info() {
                wait_change(c, info.id(), limit).await?;
            }
        }
        other => return Err(invalid(format!("unknown resource type {other}"))),
    }
    read(c, type_name, planned).await?.ok_or_else(|| {
        ProviderError::new(
            ErrorKind::NotFound,
            format!("{type_name} vanished after create"),
        )
    })
}

async fn delete(c: &Clients, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
    let (zone, vpc_id, region) = parts(c, prior)?;
    let limit = timeout(prior, "delete", WAIT);
    let result = match type_name {
        AUTHORIZATION => c
            .route53
            .delete_vpc_association_authorization()
            .hosted_zone_id(&zone)
            .vpc(vpc(&vpc_id, &region))
            .send()
            .await
            .map(drop)
            .map_err(aws),
        ASSOCIATION => match c
            .route53
            .disassociate_vpc_from_hosted_zone()
            .hosted_zone_id(&zone)
            .vpc(vpc(&vpc_id, &region))
            .send()
            .await
            .map_err(aws)
        {
            Ok(o) => match o.change_info() {
                Some(info) => wait_change(c, info.id(), limit).await,
                None => Ok(()),
            },
            Err(e) => Err(e),
        },
        other => return Err(invalid(format!("unknown resource type {other}"))),
    };
    match result {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

async fn import(c: &Clients, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
    let pieces: Vec<&str> = id.split(':').collect();
    match (type_name, pieces.as_slice()) {
        (AUTHORIZATION, [zone, vpc_id]) if !zone.is_empty() && !vpc_id.is_empty() => {
            get_authorization(c, &zone_id(zone), vpc_id, None).await
        }
        (ASSOCIATION, [zone, vpc_id]) if !zone.is_empty() && !vpc_id.is_empty() => {
            get_association(c, &zone_id(zone), vpc_id, c.region()).await
        }
        (ASSOCIATION, [zone, vpc_id, region])
            if !zone.is_empty() && !vpc_id.is_empty() && !region.is_empty() =>
        {
            get_association(c, &zone_id(zone), vpc_id, region).await
        }
        (AUTHORIZATION, _) => Err(invalid(format!(
            "import id {id:?} does not have the form ZONEID:VPCID"
        ))),
        (ASSOCIATION, _) => Err(invalid(format!(
            "import id {id:?} does not have the form ZONEID:VPCID or ZONEID:VPCID:REGION"
        ))),
        (other, _) => Err(invalid(format!("unknown resource type {other}"))),
    }
}
