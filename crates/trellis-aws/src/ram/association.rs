//! `aws_ram_resource_association` (a resource added to a share) and
//! `aws_ram_principal_association` (a principal added to a share), owner side. The two differ
//! only in what they add, so one [`Association`] serves both ([`RESOURCE`], [`PRINCIPAL`]).
//! Both are idempotent in RAM, so a repeated create is safe; the import ID is
//! `share_arn,entity`.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ram::types::{ResourceShareAssociationStatus, ResourceShareAssociationType};
use trellis_provider::{AttributeDiagnostic, Block, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::{association_value, get_association, WAIT};
use crate::sdk::clients::Clients;
use crate::sdk::convert::timeout;
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::wait::{wait_for, Poll};

/// One kind of share association: the type name, and the argument that names the entity.
#[derive(Clone, Copy)]
pub(crate) struct Association {
    name: &'static str,
    key: &'static str,
}

pub(crate) const RESOURCE: Association = Association {
    name: "aws_ram_resource_association",
    key: "resource_arn",
};

pub(crate) const PRINCIPAL: Association = Association {
    name: "aws_ram_principal_association",
    key: "principal",
};

impl Association {
    fn kind(&self) -> ResourceShareAssociationType {
        if self.key == "resource_arn" {
            ResourceShareAssociationType::Resource
        } else {
            ResourceShareAssociationType::Principal
        }
    }
}

#[async_trait]
impl AwsType for Association {
    fn name(&self) -> &'static str {
        self.name
    }

    fn service(&self) -> Service {
        Service::Ram
    }

    fn schema(&self) -> ResourceSchema {
        let (what, id) = if self.key == "resource_arn" {
            (
                "a resource (service network or service) added to a RAM share",
                "share_arn,resource_arn",
            )
        } else {
            (
                "a principal (account ID, organization or OU ARN) added to a RAM share",
                "share_arn,principal",
            )
        };
        resource(
            what,
            id,
            Block::new()
                .attr("id", comp(string()))
                .attr(self.key, req(string()).force_new())
                .attr("resource_share_arn", req(string()).force_new()),
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
        if self.key != "principal" {
            return out;
        }
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
        out
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let (kind, key) = (self.kind(), self.key);
        let share = required(prior, "resource_share_arn")?;
        let entity = required(prior, key)?;
        Ok(get_association(c, kind, &share, &entity)
            .await?
            .map(|_| association_value(key, &share, &entity)))
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        let limit = timeout(planned, "create", WAIT);
        let (kind, key) = (self.kind(), self.key);
        let share = required(planned, "resource_share_arn")?;
        let entity = required(planned, key)?;
        let call = c
            .ram
            .associate_resource_share()
            .resource_share_arn(&share)
            .client_token(token);
        let call = if self.key == "resource_arn" {
            call.resource_arns(&entity)
        } else {
            call.principals(&entity)
        };
        call.send().await.map_err(aws)?;
        wait_association(c, kind, &share, &entity, limit).await?;
        Ok(association_value(key, &share, &entity))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", WAIT);
        let (kind, key) = (self.kind(), self.key);
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
        let call = if self.key == "resource_arn" {
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

    /// Associations are idempotent: one made by a lost create is simply there.
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let (kind, key) = (self.kind(), self.key);
        let share = required(planned, "resource_share_arn")?;
        let entity = required(planned, key)?;
        Ok(get_association(c, kind, &share, &entity)
            .await?
            .map(|_| association_value(key, &share, &entity)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let (share, entity) = split_pair(id)?;
        let probe = association_value(self.key, &share, &entity);
        self.read(c, &probe).await
    }
}

fn split_pair(id: &str) -> Result<(String, String), ProviderError> {
    match id.split_once(',') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_string(), b.to_string())),
        _ => Err(invalid(format!(
            "import id {id:?} does not have the form share_arn,entity"
        ))),
    }
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
