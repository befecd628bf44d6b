//! `aws_vpc`: a VPC, with its DNS attributes. A lost create is found again by CIDR and
//! exactly the planned tags (EC2 has no client token for `CreateVpc`).

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, Tenancy, VpcAttributeName};
use trellis_provider::{Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::Value;

use super::{
    arn, boolean, filter, find_network, no_retries, policy, tag_spec, tags_of, update_tags,
    vpc_attribute, WAIT,
};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, opt_str, s, timeout};
use crate::sdk::error::{aws, required};
use crate::sdk::once::{self, Created};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::values::tags_value;
use crate::sdk::wait::{delete_retrying, wait_for, Poll};

pub(crate) const NAME: &str = "aws_vpc";

#[derive(Clone, Copy)]
pub(crate) struct Vpc;

#[async_trait]
impl AwsType for Vpc {
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
        let limit = timeout(planned, "create", WAIT);
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
            || find_network(c, NAME, planned),
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
        get(c, &id)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "vpc vanished"))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = required(prior, "id")?;
        set_vpc_attributes(c, &id, Some(prior), planned).await?;
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
                .delete_vpc()
                .vpc_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(aws)
        })
        .await
    }

    /// A VPC made by a lost create carries exactly the planned tags (non-empty) and CIDR.
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
