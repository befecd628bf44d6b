//! AWS RAM: sharing a service network (or service) from the account that owns it with the
//! accounts that use it. `aws_ram_resource_share`, `aws_ram_resource_association`,
//! `aws_ram_principal_association` (owner side), `aws_ram_resource_share_accepter` (consumer
//! side) and the data source `aws_ram_resource_share`, with Terraform's IDs and import IDs.
//!
//! Ordering across accounts is the engine's, from references: an accepter names the share
//! through its principal association, and a consumer's association names the network through
//! the resource association and depends on the accepter.
//!
//! [`discover`] finds the shares that hold a discovered mesh, for `trellis import
//! -service-network=...`.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ram::types::{
    ResourceOwner, ResourceShare, ResourceShareAssociation, ResourceShareAssociationStatus,
    ResourceShareAssociationType, ResourceShareInvitationStatus, ResourceShareStatus, Tag,
    TagFilter,
};
use trellis_provider::{AttributeDiagnostic, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, filter_blocks, opt_str, s, string_list, string_map, timeout};
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::schema::*;
use crate::sdk::values::{set_of, tags_value, TagChange};
use crate::sdk::wait::{wait_for, Poll};

pub const SHARE: &str = "aws_ram_resource_share";
pub const RESOURCE_ASSOCIATION: &str = "aws_ram_resource_association";
pub const PRINCIPAL_ASSOCIATION: &str = "aws_ram_principal_association";
pub const ACCEPTER: &str = "aws_ram_resource_share_accepter";

const WAIT: Duration = Duration::from_secs(5 * 60);

pub fn schema(
    resources: &mut BTreeMap<String, ResourceSchema>,
    data_sources: &mut BTreeMap<String, ResourceSchema>,
) {
    use trellis_provider::{AttrType, Block};
    resources.insert(
        SHARE.into(),
        resource(
            "a RAM resource share (owner side)",
            "share ARN",
            tagged(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("name", req(string()))
                    .attr(
                        "allow_external_principals",
                        opt(AttrType::Bool).with_default(Value::Bool(false)),
                    )
                    .attr("permission_arns", opt_comp(string_set()).force_new()),
            ),
        ),
    );
    resources.insert(
        RESOURCE_ASSOCIATION.into(),
        resource(
            "a resource (service network or service) added to a RAM share",
            "share_arn,resource_arn",
            Block::new()
                .attr("id", comp(string()))
                .attr("resource_arn", req(string()).force_new())
                .attr("resource_share_arn", req(string()).force_new()),
        ),
    );
    resources.insert(
        PRINCIPAL_ASSOCIATION.into(),
        resource(
            "a principal (account ID, organization or OU ARN) added to a RAM share",
            "share_arn,principal",
            Block::new()
                .attr("id", comp(string()))
                .attr("principal", req(string()).force_new())
                .attr("resource_share_arn", req(string()).force_new()),
        ),
    );
    resources.insert(
        ACCEPTER.into(),
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
        ),
    );
    data_sources.insert(
        SHARE.into(),
        data(
            "a RAM resource share by name, owner and tags",
            filters(
                Block::new()
                    .attr("name", opt_comp(string()))
                    .attr("resource_owner", req(string()))
                    .attr("resource_share_status", opt(string()))
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("owning_account_id", comp(string()))
                    .attr("status", comp(string()))
                    .attr("resource_arns", comp(strings()))
                    .attr("tags", opt_comp(AttrType::Map(Box::new(AttrType::String)))),
            ),
        ),
    );
}

pub fn validate(type_name: &str, config: &Value) -> Vec<AttributeDiagnostic> {
    let mut out = Vec::new();
    if type_name == PRINCIPAL_ASSOCIATION {
        if let Some(p) = config.get("principal").and_then(Value::as_str) {
            let account = p.len() == 12 && p.chars().all(|c| c.is_ascii_digit());
            let org = p.starts_with("arn:") && (p.contains(":organization/") || p.contains(":ou/"));
            if p.starts_with("arn:") && p.contains(":iam::") {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["principal"]),
                    format!(
                        "{p:?} is an IAM principal; VPC Lattice resources can be shared only \
                         with accounts, organizations and OUs"
                    ),
                ));
            } else if !account && !org {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["principal"]),
                    format!("{p:?} is neither a 12-digit account ID nor an organization or OU ARN"),
                ));
            }
        }
    }
    if type_name == SHARE && config.get("resource_owner").is_some() {
        // Data source only.
        check_owner(config, &mut out);
    }
    out
}

fn check_owner(config: &Value, out: &mut Vec<AttributeDiagnostic>) {
    if let Some(o) = config.get("resource_owner").and_then(Value::as_str) {
        if !matches!(o, "SELF" | "OTHER-ACCOUNTS") {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["resource_owner"]),
                format!("{o:?} is not one of SELF, OTHER-ACCOUNTS"),
            ));
        }
    }
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Result<Option<Vec<Tag>>, ProviderError> {
    if tags.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect(),
    ))
}

fn share_value(share: &ResourceShare) -> Value {
    let arn = share.resource_share_arn().unwrap_or_default();
    let tags: BTreeMap<String, String> = share
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
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
async fn get_share(
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
async fn get_association(
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

fn split_pair(id: &str) -> Result<(String, String), ProviderError> {
    match id.split_once(',') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_string(), b.to_string())),
        _ => Err(invalid(format!(
            "import id {id:?} does not have the form share_arn,entity"
        ))),
    }
}

pub async fn read(
    c: &Clients,
    type_name: &str,
    prior: &Value,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        SHARE => {
            let arn = s(prior, "arn")
                .or_else(|| s(prior, "id"))
                .ok_or_else(|| invalid("arn is required"))?;
            Ok(get_share(c, &arn, ResourceOwner::SelfValue)
                .await?
                .map(|sh| share_value(&sh)))
        }
        RESOURCE_ASSOCIATION | PRINCIPAL_ASSOCIATION => {
            let (kind, key) = association_kind(type_name);
            let share = required(prior, "resource_share_arn")?;
            let entity = required(prior, key)?;
            Ok(get_association(c, kind, &share, &entity)
                .await?
                .map(|_| association_value(key, &share, &entity)))
        }
        ACCEPTER => read_accepter(c, &required(prior, "share_arn")?, prior).await,
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

fn association_kind(type_name: &str) -> (ResourceShareAssociationType, &'static str) {
    if type_name == RESOURCE_ASSOCIATION {
        (ResourceShareAssociationType::Resource, "resource_arn")
    } else {
        (ResourceShareAssociationType::Principal, "principal")
    }
}

async fn read_accepter(
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

/// The invitation to `share_arn` addressed to this account, with its status; only one in
/// `status` when given.
async fn find_invitation(
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

pub async fn create(
    c: &Clients,
    type_name: &str,
    planned: &Value,
    token: &str,
) -> Result<Value, ProviderError> {
    let limit = timeout(planned, "create", WAIT);
    match type_name {
        SHARE => {
            let tags = c.tags_all(planned);
            let o = c
                .ram
                .create_resource_share()
                .name(required(planned, "name")?)
                .allow_external_principals(b(planned, "allow_external_principals").unwrap_or(false))
                .set_permission_arns(strings_of(planned, "permission_arns"))
                .set_tags(sdk_tags(&tags)?)
                .client_token(token)
                .send()
                .await
                .map_err(aws)?;
            let arn = o
                .resource_share()
                .and_then(|s| s.resource_share_arn())
                .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no share ARN returned"))?
                .to_string();
            let mut value = wait_share(c, &arn, limit).await?;
            // RAM attaches its default permission when none is named; the emulator does not
            // model permissions, so an unset list stays empty.
            let permissions = match planned.get("permission_arns") {
                Some(Value::List(items)) => Value::List(items.clone()),
                _ => Value::List(Vec::new()),
            };
            value.set_path(&Path::from_keys(["permission_arns"]), permissions);
            Ok(value)
        }
        RESOURCE_ASSOCIATION | PRINCIPAL_ASSOCIATION => {
            let (kind, key) = association_kind(type_name);
            let share = required(planned, "resource_share_arn")?;
            let entity = required(planned, key)?;
            let call = c
                .ram
                .associate_resource_share()
                .resource_share_arn(&share)
                .client_token(token);
            let call = if type_name == RESOURCE_ASSOCIATION {
                call.resource_arns(&entity)
            } else {
                call.principals(&entity)
            };
            call.send().await.map_err(aws)?;
            wait_association(c, kind, &share, &entity, limit).await?;
            Ok(association_value(key, &share, &entity))
        }
        ACCEPTER => {
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
            read_accepter(c, &share, &Value::Null)
                .await?
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "share not visible"))
        }
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

fn strings_of(value: &Value, key: &str) -> Option<Vec<String>> {
    let items = string_list(value, key);
    (!items.is_empty()).then_some(items)
}

async fn wait_share(c: &Clients, arn: &str, limit: Duration) -> Result<Value, ProviderError> {
    wait_for("resource share to become ACTIVE", limit, || async {
        let o = c
            .ram
            .get_resource_shares()
            .resource_owner(ResourceOwner::SelfValue)
            .resource_share_arns(arn)
            .send()
            .await
            .map_err(aws)?;
        let Some(share) = o.resource_shares().first() else {
            return Ok(Poll::Pending);
        };
        Ok(match share.status() {
            Some(ResourceShareStatus::Active) => Poll::Ready(share_value(share)),
            Some(ResourceShareStatus::Failed) => Poll::Failed(
                share
                    .status_message()
                    .unwrap_or("share creation failed")
                    .to_string(),
            ),
            _ => Poll::Pending,
        })
    })
    .await
}

/// Waits until the association is ASSOCIATED, or ASSOCIATING for an external principal that
/// still has to accept its invitation (that is the accepter's job, in the other account).
async fn wait_association(
    c: &Clients,
    kind: ResourceShareAssociationType,
    share: &str,
    entity: &str,
    limit: Duration,
) -> Result<(), ProviderError> {
    wait_for("resource share association", limit, || {
        let kind = kind.clone();
        async move {
            let Some(a) = get_association(c, kind, share, entity).await? else {
                return Ok(Poll::Pending);
            };
            Ok(match a.status() {
                Some(ResourceShareAssociationStatus::Associated) => Poll::Ready(()),
                Some(ResourceShareAssociationStatus::Associating) if a.external() == Some(true) => {
                    Poll::Ready(())
                }
                Some(ResourceShareAssociationStatus::Failed) => Poll::Failed(
                    a.status_message()
                        .unwrap_or("association failed")
                        .to_string(),
                ),
                _ => Poll::Pending,
            })
        }
    })
    .await
}

pub async fn update(
    c: &Clients,
    type_name: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    if type_name != SHARE {
        // Every other argument is force-new.
        return read(c, type_name, prior)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"));
    }
    let arn = required(prior, "arn")?;
    if s(prior, "name") != s(planned, "name")
        || b(prior, "allow_external_principals") != b(planned, "allow_external_principals")
    {
        c.ram
            .update_resource_share()
            .resource_share_arn(&arn)
            .set_name(s(planned, "name"))
            .allow_external_principals(b(planned, "allow_external_principals").unwrap_or(false))
            .send()
            .await
            .map_err(aws)?;
    }
    let before = string_map(prior.get("tags_all"));
    let after = c.tags_all(planned);
    let TagChange { removed, changed } = TagChange::between(&before, &after);
    if !removed.is_empty() {
        c.ram
            .untag_resource()
            .resource_share_arn(&arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(aws)?;
    }
    if let Some(tags) = sdk_tags(&changed)? {
        c.ram
            .tag_resource()
            .resource_share_arn(&arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(aws)?;
    }
    get_share(c, &arn, ResourceOwner::SelfValue)
        .await?
        .map(|sh| share_value(&sh))
        .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "share gone during update"))
}

pub async fn delete(c: &Clients, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
    let limit = timeout(prior, "delete", WAIT);
    match type_name {
        SHARE => {
            let arn = required(prior, "arn")?;
            c.ram
                .delete_resource_share()
                .resource_share_arn(&arn)
                .send()
                .await
                .map_err(aws)?;
            wait_for("resource share to be deleted", limit, || async {
                Ok(match get_share(c, &arn, ResourceOwner::SelfValue).await? {
                    None => Poll::Ready(()),
                    Some(_) => Poll::Pending,
                })
            })
            .await
        }
        RESOURCE_ASSOCIATION | PRINCIPAL_ASSOCIATION => {
            let (kind, key) = association_kind(type_name);
            let share = required(prior, "resource_share_arn")?;
            let entity = required(prior, key)?;
            if get_association(c, kind.clone(), &share, &entity)
                .await?
                .is_none()
            {
                return Ok(());
            }
            let call = c
                .ram
                .disassociate_resource_share()
                .resource_share_arn(&share);
            let call = if type_name == RESOURCE_ASSOCIATION {
                call.resource_arns(&entity)
            } else {
                call.principals(&entity)
            };
            call.send().await.map_err(aws)?;
            wait_for("resource share disassociation", limit, || {
                let kind = kind.clone();
                let (share, entity) = (&share, &entity);
                async move {
                    Ok(match get_association(c, kind, share, entity).await? {
                        None => Poll::Ready(()),
                        Some(_) => Poll::Pending,
                    })
                }
            })
            .await
        }
        ACCEPTER => {
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
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

pub async fn import(
    c: &Clients,
    type_name: &str,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    let probe = match type_name {
        SHARE => Value::object([("arn", Value::string(id))]),
        RESOURCE_ASSOCIATION | PRINCIPAL_ASSOCIATION => {
            let (share, entity) = split_pair(id)?;
            let (_, key) = association_kind(type_name);
            association_value(key, &share, &entity)
        }
        ACCEPTER => Value::object([("share_arn", Value::string(id))]),
        other => return Err(invalid(format!("unknown resource type {other}"))),
    };
    let found = read(c, type_name, &probe).await?;
    Ok(found.map(|mut v| {
        if type_name == SHARE {
            // Terraform leaves permission_arns empty unless configured.
            v.set_path(&Path::from_keys(["permission_arns"]), Value::Null);
        }
        v
    }))
}

/// A share made by a create whose outcome was lost is found again through its client token
/// (RAM returns the first share for the same token and parameters); associations and
/// acceptance are idempotent, so a repeated create is safe and settle finds nothing to adopt.
pub async fn settle(
    c: &Clients,
    type_name: &str,
    planned: &Value,
    token: &str,
) -> Result<Option<Value>, ProviderError> {
    match type_name {
        SHARE => {
            let name = required(planned, "name")?;
            let o = c
                .ram
                .get_resource_shares()
                .resource_owner(ResourceOwner::SelfValue)
                .name(&name)
                .send()
                .await
                .map_err(aws)?;
            if o.resource_shares().iter().all(|s| {
                matches!(
                    s.status(),
                    Some(ResourceShareStatus::Deleted | ResourceShareStatus::Deleting)
                )
            }) {
                return Ok(None);
            }
            match create(c, type_name, planned, token).await {
                Ok(v) => Ok(Some(v)),
                Err(e) if e.code.as_deref() == Some("IdempotentParameterMismatchException") => {
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        }
        RESOURCE_ASSOCIATION | PRINCIPAL_ASSOCIATION => {
            let (kind, key) = association_kind(type_name);
            let share = required(planned, "resource_share_arn")?;
            let entity = required(planned, key)?;
            Ok(get_association(c, kind, &share, &entity)
                .await?
                .map(|_| association_value(key, &share, &entity)))
        }
        ACCEPTER => read_accepter(c, &required(planned, "share_arn")?, planned).await,
        _ => Ok(None),
    }
}

pub async fn read_data(
    c: &Clients,
    type_name: &str,
    config: &Value,
) -> Result<Value, ProviderError> {
    if type_name != SHARE {
        return Err(invalid(format!("unknown data source {type_name}")));
    }
    let owner = match s(config, "resource_owner").as_deref() {
        Some("SELF") => ResourceOwner::SelfValue,
        Some("OTHER-ACCOUNTS") => ResourceOwner::OtherAccounts,
        other => {
            return Err(invalid(format!(
                "resource_owner {other:?} is not one of SELF, OTHER-ACCOUNTS"
            )))
        }
    };
    let mut call = c
        .ram
        .get_resource_shares()
        .resource_owner(owner.clone())
        .set_name(s(config, "name"));
    if let Some(status) = s(config, "resource_share_status") {
        call = call.resource_share_status(ResourceShareStatus::from(status.as_str()));
    }
    let filters = filter_blocks(config);
    for (name, values) in &filters {
        call = call.tag_filters(
            TagFilter::builder()
                .set_tag_key(name.clone())
                .set_tag_values(Some(values.clone()))
                .build(),
        );
    }
    let o = call.send().await.map_err(aws)?;
    let wanted_tags = string_map(config.get("tags"));
    let matches: Vec<&ResourceShare> = o
        .resource_shares()
        .iter()
        .filter(|sh| {
            let tags: BTreeMap<&str, &str> = sh
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
                .collect();
            wanted_tags
                .iter()
                .all(|(k, v)| tags.get(k.as_str()) == Some(&v.as_str()))
                && filters.iter().all(|(k, vs)| {
                    tags.get(k.as_deref().unwrap_or_default())
                        .is_some_and(|v| vs.iter().any(|w| w == v))
                })
        })
        .filter(|sh| {
            s(config, "resource_share_status").is_some()
                || !matches!(sh.status(), Some(ResourceShareStatus::Deleted))
        })
        .collect();
    let share = match matches.as_slice() {
        [one] => *one,
        [] => {
            return Err(ProviderError::new(
                ErrorKind::NotFound,
                "no resource share matches the arguments (a share from another account is \
                 visible only after it is accepted)",
            ))
        }
        many => {
            return Err(invalid(format!(
                "{} resource shares match the arguments; narrow them with name or filter",
                many.len()
            )))
        }
    };
    let arn = share.resource_share_arn().unwrap_or_default().to_string();
    let resources = c
        .ram
        .list_resources()
        .resource_owner(owner)
        .resource_share_arns(&arn)
        .send()
        .await
        .map_err(aws)?;
    let arns = set_of(
        resources
            .resources()
            .iter()
            .filter_map(|r| r.arn().map(Value::string))
            .collect(),
    );
    let tags: BTreeMap<String, String> = share
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    let mut out = config.clone();
    for (k, v) in [
        ("id", Value::string(&arn)),
        ("arn", Value::string(&arn)),
        ("name", opt_str(share.name())),
        ("owning_account_id", opt_str(share.owning_account_id())),
        ("status", opt_str(share.status().map(|x| x.as_str()))),
        ("resource_arns", arns),
        ("tags", tags_value(&tags)),
    ] {
        out.set_path(&Path::from_keys([k]), v);
    }
    Ok(out)
}

/// One RAM object that discovery found, with the value [`import`] returns for it.
pub(crate) struct Found {
    pub type_name: &'static str,
    pub import_id: String,
    pub name: String,
    pub value: Value,
}

/// What [`discover`] found, what it left out and how many calls it made.
#[derive(Default)]
pub(crate) struct Discovered {
    pub found: Vec<Found>,
    pub skipped: Vec<trellis_provider::SkippedObject>,
    pub calls: u64,
}

/// The RAM side of a discovered mesh.
///
/// `mesh` holds the ARN and name of every network and service of this account that
/// discovery found: the shares of this account that hold any of them are returned with
/// their resource and principal associations. Three list calls find them however many
/// shares the account has (all resource associations, then the principals of the shares
/// that matter), plus one read per share, as [`import`] reads it. An association of such a
/// share with a resource outside the mesh is listed as skipped: the share is imported, the
/// association is left to whoever manages that resource.
///
/// `foreign` holds the ARNs of networks of other accounts that are shared with this one:
/// the shares that carry them are listed as skipped with their owner, and this account's
/// acceptance of each (`aws_ram_resource_share_accepter`, when it accepted an invitation) is
/// returned.
///
/// A failure of RAM (credentials without RAM permissions, say) does not fail discovery: it
/// is reported as a skipped entry that says what could not be listed.
pub(crate) async fn discover(
    c: &Clients,
    mesh: &BTreeMap<String, String>,
    foreign: &[String],
) -> Discovered {
    let mut out = Discovered::default();
    if !mesh.is_empty() {
        if let Err(e) = own_shares(c, mesh, &mut out).await {
            out.skipped.push(trellis_provider::SkippedObject {
                kind: SHARE.to_string(),
                id: "(every share of this account)".to_string(),
                owner: None,
                reason: format!(
                    "the shares that hold the mesh cannot be listed with the current \
                     credentials, so none is imported: {e}"
                ),
            });
        }
    }
    if !foreign.is_empty() {
        if let Err(e) = foreign_shares(c, foreign, &mut out).await {
            out.skipped.push(trellis_provider::SkippedObject {
                kind: SHARE.to_string(),
                id: "(shares from other accounts)".to_string(),
                owner: None,
                reason: format!(
                    "the shares of the networks of other accounts cannot be listed with the \
                     current credentials: {e}"
                ),
            });
        }
    }
    out
}

/// Every live association of `kind` of this account's shares (of `shares` only, when given).
async fn associations(
    c: &Clients,
    kind: ResourceShareAssociationType,
    shares: &[String],
    calls: &mut u64,
) -> Result<Vec<(String, String)>, ProviderError> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        *calls += 1;
        let o = c
            .ram
            .get_resource_share_associations()
            .association_type(kind.clone())
            .set_resource_share_arns((!shares.is_empty()).then(|| shares.to_vec()))
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(aws)?;
        for a in o.resource_share_associations() {
            let live = matches!(
                a.status(),
                Some(
                    ResourceShareAssociationStatus::Associated
                        | ResourceShareAssociationStatus::Associating
                )
            );
            if let (true, Some(share), Some(entity)) =
                (live, a.resource_share_arn(), a.associated_entity())
            {
                out.push((share.to_string(), entity.to_string()));
            }
        }
        next = o.next_token().map(str::to_string);
        if next.is_none() {
            out.sort();
            out.dedup();
            return Ok(out);
        }
    }
}

async fn own_shares(
    c: &Clients,
    mesh: &BTreeMap<String, String>,
    out: &mut Discovered,
) -> Result<(), ProviderError> {
    let resources = associations(
        c,
        ResourceShareAssociationType::Resource,
        &[],
        &mut out.calls,
    )
    .await?;
    let shares: Vec<String> = resources
        .iter()
        .filter(|(_, entity)| mesh.contains_key(entity))
        .map(|(share, _)| share.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if shares.is_empty() {
        return Ok(());
    }
    let mut principals_calls = 0;
    let (principals, values) = tokio::join!(
        associations(
            c,
            ResourceShareAssociationType::Principal,
            &shares,
            &mut principals_calls
        ),
        async {
            let mut values = Vec::new();
            for share in &shares {
                values.push(import(c, SHARE, share).await);
            }
            values
        }
    );
    out.calls += principals_calls + shares.len() as u64;
    let principals = principals?;
    for (share, value) in shares.iter().zip(values) {
        let Some(value) = value? else {
            continue; // deleted meanwhile
        };
        let share_name = s(&value, "name").unwrap_or_else(|| share.clone());
        out.found.push(Found {
            type_name: SHARE,
            import_id: share.clone(),
            name: share_name.clone(),
            value,
        });
        for (_, entity) in resources.iter().filter(|(s, _)| s == share) {
            let import_id = format!("{share},{entity}");
            match mesh.get(entity) {
                Some(name) => out.found.push(Found {
                    type_name: RESOURCE_ASSOCIATION,
                    import_id,
                    name: format!("{share_name}-{name}"),
                    value: association_value("resource_arn", share, entity),
                }),
                None => out.skipped.push(trellis_provider::SkippedObject {
                    kind: RESOURCE_ASSOCIATION.to_string(),
                    id: import_id,
                    owner: None,
                    reason: format!(
                        "share {share_name} also holds {entity}, which is not part of the \
                         discovered mesh; the share is imported without it (discover that \
                         network too, or import the association with trellis import)"
                    ),
                }),
            }
        }
        for (_, principal) in principals.iter().filter(|(s, _)| s == share) {
            out.found.push(Found {
                type_name: PRINCIPAL_ASSOCIATION,
                import_id: format!("{share},{principal}"),
                name: format!("{share_name}-{principal}"),
                value: association_value("principal", share, principal),
            });
        }
    }
    Ok(())
}

async fn foreign_shares(
    c: &Clients,
    networks: &[String],
    out: &mut Discovered,
) -> Result<(), ProviderError> {
    let mut shares: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut next: Option<String> = None;
    loop {
        out.calls += 1;
        let o = c
            .ram
            .list_resources()
            .resource_owner(ResourceOwner::OtherAccounts)
            .set_resource_arns(Some(networks.to_vec()))
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(aws)?;
        for r in o.resources() {
            if let (Some(share), Some(arn)) = (r.resource_share_arn(), r.arn()) {
                shares
                    .entry(share.to_string())
                    .or_default()
                    .push(arn.to_string());
            }
        }
        next = o.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    if shares.is_empty() {
        return Ok(());
    }
    for (share, networks) in &shares {
        out.skipped.push(trellis_provider::SkippedObject {
            kind: SHARE.to_string(),
            id: share.clone(),
            owner: crate::sdk::convert::arn_account(share).map(str::to_string),
            reason: format!(
                "owned by another account, which shares {} with this one; import it with \
                 that account's credentials",
                networks.join(", ")
            ),
        });
    }
    // This account's acceptance of each share, when it accepted an invitation (inside an
    // organization with sharing enabled there is none to accept).
    out.calls += 1;
    let me = c.account().await?;
    // Every page: an account may hold more invitations than one page shows.
    let pages = c
        .ram
        .get_resource_share_invitations()
        .set_resource_share_arns(Some(shares.keys().cloned().collect()))
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(aws)?;
    let mut accepted: Vec<(String, String)> = pages
        .iter()
        .flat_map(|page| page.resource_share_invitations())
        .filter(|i| {
            i.receiver_account_id() == Some(me.as_str())
                && i.status() == Some(&ResourceShareInvitationStatus::Accepted)
        })
        .filter_map(|i| {
            Some((
                i.resource_share_arn()?.to_string(),
                i.resource_share_name().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    accepted.sort();
    accepted.dedup();
    for (share, name) in accepted {
        // get_share, invitations, resources.
        out.calls += 3;
        if let Some(value) = import(c, ACCEPTER, &share).await? {
            out.found.push(Found {
                type_name: ACCEPTER,
                import_id: share.clone(),
                name: if name.is_empty() { share } else { name },
                value,
            });
        }
    }
    Ok(())
}

named_service!(Api, Ram, plan: |_, _, _, _, _| Vec::new(), defaults: drop_defaults);

/// RAM's default in generated configuration: a share open to accounts of this organization
/// only.
fn drop_defaults(type_name: &str, arguments: &mut BTreeMap<String, Value>) {
    if type_name == SHARE
        && arguments
            .get("allow_external_principals")
            .and_then(Value::as_bool)
            == Some(false)
    {
        arguments.remove("allow_external_principals");
    }
}
