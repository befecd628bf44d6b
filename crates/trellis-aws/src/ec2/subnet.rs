//! `aws_subnet`: a subnet of a VPC. A lost create is found again by CIDR and exactly the
//! planned tags (EC2 has no client token for `CreateSubnet`).

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use trellis_provider::{Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::Value;

use super::{arn, boolean, find_network, no_retries, policy, tag_spec, tags_of, update_tags, WAIT};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, opt_str, s, timeout};
use crate::sdk::error::{aws, required};
use crate::sdk::once::{self, Created};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::values::tags_value;
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_subnet";

#[derive(Clone, Copy)]
pub(crate) struct Subnet;

#[async_trait]
impl AwsType for Subnet {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Ec2
    }

    fn schema(&self) -> ResourceSchema {
        use trellis_provider::AttrType;
        let boolean = || AttrType::Bool;
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
        )
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
                    .set_tag_specifications(tag_spec(ResourceType::Subnet, &tags).map(|t| vec![t]))
                    .customize()
                    .config_override(no_retries())
                    .send()
            },
            || find_network(c, NAME, planned),
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
        get(c, &id)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "subnet vanished"))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = required(prior, "id")?;
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
        update_tags(c, &id, prior, planned).await?;
        get(c, &id)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let id = required(prior, "id")?;
        let limit = timeout(prior, "delete", WAIT);
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

    /// A subnet made by a lost create carries exactly the planned tags (non-empty) and CIDR.
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        match find_network(c, NAME, planned).await? {
            Some(id) => get(c, &id).await,
            None => Ok(None),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        get(c, id).await
    }
}

pub(crate) async fn get(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
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
