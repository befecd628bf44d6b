//! The RAM side of a discovered mesh, for `trellis import -service-network=...`: the shares
//! of this account that hold the mesh's networks and services, with their associations, and
//! this account's acceptances of the shares of other accounts' networks.

use std::collections::BTreeMap;

use aws_sdk_ram::types::{
    ResourceOwner, ResourceShareAssociationStatus, ResourceShareAssociationType,
    ResourceShareInvitationStatus,
};
use trellis_provider::ProviderError;
use trellis_types::Value;

use super::association::{PRINCIPAL, RESOURCE};
use super::association_value;
use super::resource_share::{self, ResourceShare};
use super::share_accepter::{self, ShareAccepter};
use crate::sdk::clients::Clients;
use crate::sdk::convert::s;
use crate::sdk::error::aws;
use crate::sdk::resource::AwsType;

/// One RAM object that discovery found, with the value `import` returns for it.
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
/// that matter), plus one read per share, as `import` reads it. An association of such a
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
                kind: resource_share::NAME.to_string(),
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
                kind: resource_share::NAME.to_string(),
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
                values.push(ResourceShare.import(c, share).await);
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
            type_name: resource_share::NAME,
            import_id: share.clone(),
            name: share_name.clone(),
            value,
        });
        for (_, entity) in resources.iter().filter(|(s, _)| s == share) {
            let import_id = format!("{share},{entity}");
            match mesh.get(entity) {
                Some(name) => out.found.push(Found {
                    type_name: RESOURCE.name(),
                    import_id,
                    name: format!("{share_name}-{name}"),
                    value: association_value("resource_arn", share, entity),
                }),
                None => out.skipped.push(trellis_provider::SkippedObject {
                    kind: RESOURCE.name().to_string(),
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
                type_name: PRINCIPAL.name(),
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
            kind: resource_share::NAME.to_string(),
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
        if let Some(value) = ShareAccepter.import(c, &share).await? {
            out.found.push(Found {
                type_name: share_accepter::NAME,
                import_id: share.clone(),
                name: if name.is_empty() { share } else { name },
                value,
            });
        }
    }
    Ok(())
}
