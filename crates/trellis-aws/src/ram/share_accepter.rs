//! `aws_ram_resource_share_accepter`: the acceptance of a RAM share invitation (consumer
//! side); import ID the share ARN. Acceptance is idempotent, so a repeated create is safe.

use async_trait::async_trait;
use aws_sdk_ram::types::{ResourceOwner, ResourceShareInvitationStatus};
use trellis_provider::{Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::Value;

use super::{find_invitation, get_share, WAIT};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_str, s, timeout};
use crate::sdk::error::{aws, required};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::wait::{wait_for, Poll};

pub(crate) const NAME: &str = "aws_ram_resource_share_accepter";

#[derive(Clone, Copy)]
pub(crate) struct ShareAccepter;

#[async_trait]
impl AwsType for ShareAccepter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Ram
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "the acceptance of a RAM share invitation (consumer side)",
            "share ARN",
            Block::new()
                .attr("id", comp(string()))
                .attr("share_arn", req(string()).force_new())
                .attr("invitation_arn", comp(string()))
                .attr("share_id", comp(string()))
                .attr("share_name", comp(string()))
                .attr("status", comp(string()))
                .attr("receiver_account_id", comp(string()))
                .attr("sender_account_id", comp(string()))
                .attr("resources", comp(strings())),
        )
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        read(c, &required(prior, "share_arn")?, prior).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        let limit = timeout(planned, "create", WAIT);
        let share = required(planned, "share_arn")?;
        let invitation =
            find_invitation(c, &share, Some(ResourceShareInvitationStatus::Pending)).await?;
        match invitation {
            Some((arn, _)) => {
                c.ram
                    .accept_resource_share_invitation()
                    .resource_share_invitation_arn(&arn)
                    .client_token(token)
                    .send()
                    .await
                    .map_err(aws)?;
            }
            None => {
                // Already a member (accepted earlier, or in the owner's organization with
                // sharing enabled): nothing to accept; adopt it.
                if get_share(c, &share, ResourceOwner::OtherAccounts)
                    .await?
                    .is_none()
                {
                    let me = c.account().await?;
                    return Err(ProviderError::new(
                        ErrorKind::NotFound,
                        format!(
                            "no invitation to resource share {share} for account {me}: the \
                                 share's owner must add an aws_ram_principal_association for \
                                 {me} first (make share_arn refer to it)"
                        ),
                    ));
                }
            }
        }
        wait_for("resource share to be accepted", limit, || async {
            Ok(
                match get_share(c, &share, ResourceOwner::OtherAccounts).await? {
                    Some(_) => Poll::Ready(()),
                    None => Poll::Pending,
                },
            )
        })
        .await?;
        read(c, &share, &Value::Null)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "share not visible"))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", WAIT);
        // Leaving a share: the receiver disassociates itself.
        let share = required(prior, "share_arn")?;
        if get_share(c, &share, ResourceOwner::OtherAccounts)
            .await?
            .is_none()
        {
            return Ok(());
        }
        let me = c.account().await?;
        c.ram
            .disassociate_resource_share()
            .resource_share_arn(&share)
            .principals(&me)
            .send()
            .await
            .map_err(aws)?;
        wait_for("leaving the resource share", limit, || async {
            Ok(
                match get_share(c, &share, ResourceOwner::OtherAccounts).await? {
                    None => Poll::Ready(()),
                    Some(_) => Poll::Pending,
                },
            )
        })
        .await
    }

    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        read(c, &required(planned, "share_arn")?, planned).await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let probe = Value::object([("share_arn", Value::string(id))]);
        self.read(c, &probe).await
    }
}

async fn read(
    c: &Clients,
    share_arn: &str,
    reference: &Value,
) -> Result<Option<Value>, ProviderError> {
    let Some(share) = get_share(c, share_arn, ResourceOwner::OtherAccounts).await? else {
        return Ok(None);
    };
    let me = c.account().await?;
    let invitation = match s(reference, "invitation_arn") {
        Some(arn) => Some(arn),
        None => find_invitation(c, share_arn, None)
            .await?
            .map(|(arn, _)| arn),
    };
    let o = c
        .ram
        .list_resources()
        .resource_owner(ResourceOwner::OtherAccounts)
        .resource_share_arns(share_arn)
        .send()
        .await
        .map_err(aws)?;
    let mut resources: Vec<String> = o
        .resources()
        .iter()
        .filter_map(|r| r.arn().map(str::to_string))
        .collect();
    resources.sort();
    Ok(Some(Value::object([
        ("id", Value::string(share_arn)),
        ("share_arn", Value::string(share_arn)),
        (
            "invitation_arn",
            invitation.map(Value::String).unwrap_or(Value::Null),
        ),
        (
            "share_id",
            Value::string(share_arn.rsplit('/').next().unwrap_or(share_arn)),
        ),
        ("share_name", opt_str(share.name())),
        ("status", Value::string("ACCEPTED")),
        ("receiver_account_id", Value::string(me)),
        ("sender_account_id", opt_str(share.owning_account_id())),
        (
            "resources",
            Value::List(resources.into_iter().map(Value::String).collect()),
        ),
    ])))
}
