//! AWS RAM: sharing a service network (or service) from the account that owns it with the
//! accounts that use it. One file per resource type: [`resource_share`]
//! (`aws_ram_resource_share`), [`association`] (`aws_ram_resource_association` and
//! `aws_ram_principal_association`, owner side) and [`share_accepter`]
//! (`aws_ram_resource_share_accepter`, consumer side), with Terraform's IDs and import IDs; the
//! data source `aws_ram_resource_share` in [`data`].
//!
//! Ordering across accounts is the engine's, from references: an accepter names the share
//! through its principal association, and a consumer's association names the network through
//! the resource association and depends on the accepter.
//!
//! [`discover`] finds the shares that hold a discovered mesh, for `trellis import
//! -service-network=...`.

pub(crate) mod association;
pub(crate) mod data;
pub(crate) mod discover;
pub(crate) mod resource_share;
pub(crate) mod share_accepter;

pub(crate) use discover::discover;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ram::types::{
    ResourceOwner, ResourceShare, ResourceShareAssociation, ResourceShareAssociationStatus,
    ResourceShareAssociationType, ResourceShareInvitationStatus, ResourceShareStatus, Tag,
};
use trellis_provider::ProviderError;
use trellis_types::Value;

use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_str, tag_map};
use crate::sdk::error::aws;
use crate::sdk::values::tags_value;

pub(crate) const WAIT: Duration = Duration::from_secs(5 * 60);

pub(crate) fn sdk_tags(tags: &BTreeMap<String, String>) -> Result<Option<Vec<Tag>>, ProviderError> {
    if tags.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect(),
    ))
}

/// A share's tags.
pub(crate) fn share_tags(share: &ResourceShare) -> BTreeMap<String, String> {
    tag_map(share.tags().iter().map(|t| (t.key(), t.value())))
}

pub(crate) fn share_value(share: &ResourceShare) -> Value {
    let arn = share.resource_share_arn().unwrap_or_default();
    let tags = share_tags(share);
    Value::object([
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        ("name", opt_str(share.name())),
        (
            "allow_external_principals",
            Value::Bool(share.allow_external_principals().unwrap_or(false)),
        ),
        ("tags_all", tags_value(&tags)),
    ])
}

/// The share with `arn` as `owner` sees it, unless deleted.
pub(crate) async fn get_share(
    c: &Clients,
    arn: &str,
    owner: ResourceOwner,
) -> Result<Option<ResourceShare>, ProviderError> {
    let o = c
        .ram
        .get_resource_shares()
        .resource_owner(owner)
        .resource_share_arns(arn)
        .send()
        .await
        .map_err(aws)?;
    Ok(o.resource_shares()
        .iter()
        .find(|s| {
            s.resource_share_arn() == Some(arn)
                && !matches!(
                    s.status(),
                    Some(ResourceShareStatus::Deleted | ResourceShareStatus::Deleting)
                )
        })
        .cloned())
}

/// The live association of `entity` with share `arn` (not disassociated).
pub(crate) async fn get_association(
    c: &Clients,
    kind: ResourceShareAssociationType,
    share: &str,
    entity: &str,
) -> Result<Option<ResourceShareAssociation>, ProviderError> {
    let mut call = c
        .ram
        .get_resource_share_associations()
        .association_type(kind.clone())
        .resource_share_arns(share);
    call = match kind {
        ResourceShareAssociationType::Resource => call.resource_arn(entity),
        _ => call.principal(entity),
    };
    let o = call.send().await.map_err(aws)?;
    Ok(o.resource_share_associations()
        .iter()
        .find(|a| {
            a.associated_entity() == Some(entity)
                && !matches!(
                    a.status(),
                    Some(
                        ResourceShareAssociationStatus::Disassociated
                            | ResourceShareAssociationStatus::Disassociating
                    )
                )
        })
        .cloned())
}

pub(crate) fn association_value(kind: &str, share: &str, entity: &str) -> Value {
    Value::object([
        ("id", Value::string(format!("{share},{entity}"))),
        ("resource_share_arn", Value::string(share)),
        (kind, Value::string(entity)),
    ])
}

/// The invitation to `share_arn` addressed to this account, with its status; only one in
/// `status` when given.
pub(crate) async fn find_invitation(
    c: &Clients,
    share_arn: &str,
    status: Option<ResourceShareInvitationStatus>,
) -> Result<Option<(String, ResourceShareInvitationStatus)>, ProviderError> {
    let me = c.account().await?;
    let o = c
        .ram
        .get_resource_share_invitations()
        .resource_share_arns(share_arn)
        .send()
        .await
        .map_err(aws)?;
    Ok(o.resource_share_invitations()
        .iter()
        .filter(|i| i.receiver_account_id() == Some(me.as_str()))
        .filter(|i| status.is_none() || i.status() == status.as_ref())
        .find_map(|i| {
            Some((
                i.resource_share_invitation_arn()?.to_string(),
                i.status()?.clone(),
            ))
        }))
}

/// The ARN of a share from `owner` whose invitation to this account is still pending.
pub(crate) async fn pending_invitation_from(
    c: &Clients,
    owner: &str,
) -> Result<Option<String>, ProviderError> {
    let o = c
        .ram
        .get_resource_share_invitations()
        .send()
        .await
        .map_err(aws)?;
    Ok(o.resource_share_invitations()
        .iter()
        .find(|i| {
            i.sender_account_id() == Some(owner)
                && i.status() == Some(&ResourceShareInvitationStatus::Pending)
        })
        .and_then(|i| i.resource_share_arn().map(str::to_string)))
}
