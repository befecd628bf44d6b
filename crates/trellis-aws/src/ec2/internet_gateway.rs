//! `aws_internet_gateway`: an internet gateway, attached to the VPC `vpc_id` names (in
//! place: detached from the old VPC and attached to the new one). A lost create is found
//! again by exactly the planned tags (EC2 has no client token for `CreateInternetGateway`);
//! without tags a lost create cannot be told from another gateway, as for subnets.

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use trellis_provider::{Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::Value;

use super::{arn, no_retries, only_one, policy, tag_filters, tag_spec, tags_of, update_tags, WAIT};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_str, s, timeout};
use crate::sdk::error::{aws, required};
use crate::sdk::once::{self, Created};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::values::tags_value;
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_internet_gateway";

#[derive(Clone, Copy)]
pub(crate) struct InternetGateway;

#[async_trait]
impl AwsType for InternetGateway {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Ec2
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "an internet gateway, attached to a VPC",
            "internet gateway ID",
            timeouts(tagged(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("vpc_id", opt(string()))
                    .attr("owner_id", comp(string())),
            )),
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
        let sent = once::create(
            policy(c),
            || {
                c.ec2
                    .create_internet_gateway()
                    .set_tag_specifications(
                        tag_spec(ResourceType::InternetGateway, &tags).map(|t| vec![t]),
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
                .internet_gateway()
                .and_then(|g| g.internet_gateway_id())
                .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no gateway ID returned"))?
                .to_string(),
            Created::Found(id) => id,
        };
        finish(c, &id, planned).await?;
        get(c, &id)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "internet gateway vanished"))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = required(prior, "id")?;
        let (before, after) = (s(prior, "vpc_id"), s(planned, "vpc_id"));
        if before != after {
            if let Some(vpc) = &before {
                detach(c, &id, vpc).await?;
            }
            if let Some(vpc) = &after {
                attach(c, &id, vpc).await?;
            }
        }
        update_tags(c, &id, prior, planned).await?;
        get(c, &id)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let id = required(prior, "id")?;
        let limit = timeout(prior, "delete", WAIT);
        // Detach from whatever VPC it is attached to now, not only the one in state.
        if let Some(now) = get(c, &id).await? {
            if let Some(vpc) = s(&now, "vpc_id") {
                detach(c, &id, &vpc).await?;
            }
        } else {
            return Ok(());
        }
        delete_retrying(limit, || async {
            c.ec2
                .delete_internet_gateway()
                .internet_gateway_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(aws)
        })
        .await
    }

    /// A gateway made by a lost create carries exactly the planned tags (non-empty). The
    /// create may have stopped before the attachment: finish it.
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        match find(c, planned).await? {
            Some(id) => {
                finish(c, &id, planned).await?;
                get(c, &id).await
            }
            None => Ok(None),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        get(c, id).await
    }
}

/// Attaches a new gateway to its VPC unless it is attached there already (a settle after a
/// create cut short, or an attach retried after it was performed).
async fn finish(c: &Clients, id: &str, planned: &Value) -> Result<(), ProviderError> {
    let Some(vpc) = s(planned, "vpc_id") else {
        return Ok(());
    };
    let now = get(c, id).await?;
    if now.as_ref().and_then(|v| s(v, "vpc_id")).as_deref() == Some(vpc.as_str()) {
        return Ok(());
    }
    attach(c, id, &vpc).await
}

async fn attach(c: &Clients, id: &str, vpc: &str) -> Result<(), ProviderError> {
    c.ec2
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map(drop)
        .map_err(aws)
}

/// Detaches the gateway from `vpc`; already detached is done. Retried while the VPC still
/// has public addresses mapped (`DependencyViolation`), as Terraform does.
async fn detach(c: &Clients, id: &str, vpc: &str) -> Result<(), ProviderError> {
    delete_retrying(WAIT, || async {
        match c
            .ec2
            .detach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc)
            .send()
            .await
            .map_err(aws)
        {
            Ok(_) => Ok(()),
            Err(e) if e.code.as_deref() == Some("Gateway.NotAttached") => Ok(()),
            Err(e) => Err(e),
        }
    })
    .await
}

/// The one gateway with exactly the planned tags; none when the plan has no tags.
async fn find(c: &Clients, planned: &Value) -> Result<Option<String>, ProviderError> {
    let tags = c.tags_all(planned);
    if tags.is_empty() {
        return Ok(None);
    }
    let o = c
        .ec2
        .describe_internet_gateways()
        .set_filters(Some(tag_filters(&tags)))
        .send()
        .await
        .map_err(aws)?;
    let ids: Vec<String> = o
        .internet_gateways()
        .iter()
        .filter(|g| tags_of(g.tags()) == tags)
        .filter_map(|g| g.internet_gateway_id().map(str::to_string))
        .collect();
    Ok(only_one(ids))
}

pub(crate) async fn get(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    let o = c
        .ec2
        .describe_internet_gateways()
        .internet_gateway_ids(id)
        .send()
        .await
        .map_err(aws)?;
    let Some(g) = o
        .internet_gateways()
        .iter()
        .find(|g| g.internet_gateway_id() == Some(id))
    else {
        return Ok(None);
    };
    let owner = g.owner_id().unwrap_or_default().to_string();
    let vpc = g
        .attachments()
        .iter()
        .find(|a| {
            !matches!(
                a.state().map(|s| s.as_str()),
                Some("detached") | Some("detaching")
            )
        })
        .and_then(|a| a.vpc_id());
    Ok(Some(Value::object([
        ("id", Value::string(id)),
        (
            "arn",
            Value::string(arn(c, &owner, &format!("internet-gateway/{id}"))),
        ),
        ("vpc_id", opt_str(vpc)),
        ("owner_id", Value::string(&owner)),
        ("tags_all", tags_value(&tags_of(g.tags()))),
    ])))
}
