//! `aws_ram_resource_share`: a RAM resource share (owner side). RAM takes a client token,
//! so a lost create is repeated with the same token and returns the share it made.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ram::types::{ResourceOwner, ResourceShareStatus};
use trellis_provider::{AttributeDiagnostic, Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use crate::sdk::clients::Clients;
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;

use super::{get_share, sdk_tags, share_value, WAIT};
use crate::sdk::convert::{b, s, string_list, string_map, timeout};
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::values::TagChange;
use crate::sdk::wait::{wait_for, Poll};

pub(crate) const NAME: &str = "aws_ram_resource_share";

#[derive(Clone, Copy)]
pub(crate) struct ResourceShare;

#[async_trait]
impl AwsType for ResourceShare {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Ram
    }

    fn schema(&self) -> ResourceSchema {
        use trellis_provider::AttrType;
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
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
        if config.get("resource_owner").is_some() {
            // The data source of the same name.
            super::data::check_owner(config, &mut out);
        }
        out
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let arn = s(prior, "arn")
            .or_else(|| s(prior, "id"))
            .ok_or_else(|| invalid("arn is required"))?;
        Ok(get_share(c, &arn, ResourceOwner::SelfValue)
            .await?
            .map(|sh| share_value(&sh)))
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        let limit = timeout(planned, "create", WAIT);
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

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
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

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", WAIT);
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

    /// A share made by a create whose outcome was lost is found again through its client
    /// token (RAM returns the first share for the same token and parameters).
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError> {
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
        match self.create(c, planned, token).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.code.as_deref() == Some("IdempotentParameterMismatchException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let probe = Value::object([("arn", Value::string(id))]);
        let found = self.read(c, &probe).await?;
        Ok(found.map(|mut v| {
            // Terraform leaves permission_arns empty unless configured.
            v.set_path(&Path::from_keys(["permission_arns"]), Value::Null);
            v
        }))
    }

    /// RAM's default in generated configuration: a share open to accounts of this
    /// organization only.
    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        if arguments
            .get("allow_external_principals")
            .and_then(Value::as_bool)
            == Some(false)
        {
            arguments.remove("allow_external_principals");
        }
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
