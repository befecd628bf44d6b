//! `aws_security_group`, with Terraform's inline `ingress`/`egress` blocks (see
//! [`super::rules`]): with blocks, the group's rules of that direction are managed
//! exclusively; without, they are left to the `aws_vpc_security_group_*_rule` resources. Like
//! Terraform, a new group loses the allow-all egress rule that AWS adds, so that its rules are
//! exactly the configured ones. A group is unique by name in its VPC, so a lost create is
//! found again by name.

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use trellis_provider::{AttributeDiagnostic, Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::rules::{self, revoke_rules};
use super::{arn, filter, no_retries, policy, tag_spec, tags_of, update_tags, WAIT};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, opt_str, s, timeout};
use crate::sdk::error::{aws, required};
use crate::sdk::once::{self, Created};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::values::tags_value;
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_security_group";

/// Terraform's default description; kept so that groups made by Terraform are not replaced.
const DEFAULT_DESCRIPTION: &str = "Managed by Terraform";

#[derive(Clone, Copy)]
pub(crate) struct SecurityGroup;

#[async_trait]
impl AwsType for SecurityGroup {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Ec2
    }

    fn schema(&self) -> ResourceSchema {
        use trellis_provider::AttrType;
        let number = || AttrType::Number;
        let boolean = || AttrType::Bool;
        // Terraform's inline rule blocks: a set, managed only when present (attributes as
        // blocks, so `ingress = []` manages an empty set).
        let inline = || {
            Block::new()
                .attr("from_port", req(number()))
                .attr("to_port", req(number()))
                .attr("protocol", req(string()))
                .attr("cidr_blocks", opt(strings()))
                .attr("ipv6_cidr_blocks", opt(strings()))
                .attr("prefix_list_ids", opt(strings()))
                .attr("security_groups", opt(string_set()))
                .attr("self", opt(boolean()).with_default(Value::Bool(false)))
                .attr("description", opt(string()))
        };
        resource(
            "a security group, with inline ingress/egress blocks or aws_vpc_security_group_*_rule resources",
            "security group ID",
            tagged(
                Block::new()
                    .block("ingress", trellis_provider::Nesting::Set, inline())
                    .block("egress", trellis_provider::Nesting::Set, inline())
                    .block_computed("ingress")
                    .block_computed("egress")
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("name", opt_comp(string()).force_new())
                    .attr("name_prefix", opt(string()).force_new())
                    .attr(
                        "description",
                        opt(string())
                            .with_default(Value::string(DEFAULT_DESCRIPTION))
                            .force_new(),
                    )
                    .attr("vpc_id", opt_comp(string()).force_new())
                    .attr(
                        "revoke_rules_on_delete",
                        opt(boolean()).with_default(Value::Bool(false)),
                    )
                    .attr("owner_id", comp(string())),
            ),
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
        rules::validate(config, &mut out);
        if config.get("name").is_some_and(|v| !v.is_null()) {
            if let Some(name) = config.get("name").and_then(Value::as_str) {
                if name.starts_with("sg-") {
                    out.push(AttributeDiagnostic::error(
                        Path::from_keys(["name"]),
                        format!("invalid name {name:?}: it may not start with \"sg-\""),
                    ));
                }
            }
            if config.get("name_prefix").is_some_and(|v| !v.is_null()) {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["name_prefix"]),
                    "name and name_prefix are both set; use one",
                ));
            }
        }
        out
    }

    /// Keeps the prior inline rules of a group when they are the same set.
    fn plan_rules(
        &self,
        _region: &str,
        config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Vec<AttributeDiagnostic> {
        rules::plan_change(config, prior, planned);
        Vec::new()
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        get_shaped(c, &required(prior, "id")?, prior).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        let tags = c.tags_all(planned);
        let name = match (s(planned, "name"), s(planned, "name_prefix")) {
            (Some(name), _) => name,
            (None, Some(prefix)) => format!("{prefix}{}", short_token(token)),
            (None, None) => format!("trellis-{}", short_token(token)),
        };
        let vpc = s(planned, "vpc_id");
        let sent = once::create(
            policy(c),
            || {
                c.ec2
                    .create_security_group()
                    .group_name(&name)
                    .description(
                        s(planned, "description").unwrap_or_else(|| DEFAULT_DESCRIPTION.into()),
                    )
                    .set_vpc_id(vpc.clone())
                    .set_tag_specifications(
                        tag_spec(ResourceType::SecurityGroup, &tags).map(|t| vec![t]),
                    )
                    .customize()
                    .config_override(no_retries())
                    .send()
            },
            || find_group(c, &name, vpc.as_deref()),
        )
        .await?;
        let id = match sent {
            Created::Sent(o) => o
                .group_id()
                .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no group ID returned"))?
                .to_string(),
            Created::Found(id) => id,
        };
        finish_group(c, &id, planned).await?;
        get_shaped(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "security group vanished"))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = required(prior, "id")?;
        let account = s(prior, "owner_id");
        for (direction, egress) in rules::DIRECTIONS {
            let wanted = planned.get(direction).filter(|v| v.as_list().is_some());
            if let Some(wanted) = wanted.filter(|w| Some(*w) != prior.get(direction)) {
                rules::reconcile(c, &id, account.as_deref(), egress, wanted).await?;
            }
        }
        update_tags(c, &id, prior, planned).await?;
        // The inline rules come back written as planned when they are the planned set.
        get_shaped(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let id = required(prior, "id")?;
        let limit = timeout(prior, "delete", WAIT);
        if b(prior, "revoke_rules_on_delete") == Some(true) {
            revoke_all(c, &id).await?;
        }
        delete_retrying(limit, || async {
            c.ec2
                .delete_security_group()
                .group_id(&id)
                .send()
                .await
                .map(drop)
                .map_err(aws)
        })
        .await
    }

    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let name = match (s(planned, "name"), s(planned, "name_prefix")) {
            (Some(name), _) => name,
            (None, Some(prefix)) => format!("{prefix}{}", short_token(token)),
            (None, None) => format!("trellis-{}", short_token(token)),
        };
        match find_group(c, &name, s(planned, "vpc_id").as_deref()).await? {
            // The create may have stopped before it removed AWS's default egress rule
            // or wrote the inline rules: finish it.
            Some(id) => {
                finish_group(c, &id, planned).await?;
                get_shaped(c, &id, planned).await
            }
            None => Ok(None),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        // An imported group's inline rules are read in full (as Terraform imports them).
        let shape = Value::object([
            ("id", Value::string(id)),
            ("ingress", Value::List(Vec::new())),
            ("egress", Value::List(Vec::new())),
        ]);
        let found = get_shaped(c, id, &shape).await?;
        Ok(found.map(|mut v| {
            // Arguments that only the configuration holds take their defaults.
            v.set_path(
                &Path::from_keys(["revoke_rules_on_delete"]),
                Value::Bool(false),
            );
            v.set_path(&Path::from_keys(["name_prefix"]), Value::Null);
            v
        }))
    }
}

async fn get_group(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    let o = c
        .ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .map_err(aws)?;
    let Some(g) = o
        .security_groups()
        .iter()
        .find(|g| g.group_id() == Some(id))
    else {
        return Ok(None);
    };
    let owner = g.owner_id().unwrap_or_default().to_string();
    Ok(Some(Value::object([
        ("id", Value::string(id)),
        (
            "arn",
            g.security_group_arn()
                .map(Value::string)
                .unwrap_or_else(|| Value::string(arn(c, &owner, &format!("security-group/{id}")))),
        ),
        ("name", opt_str(g.group_name())),
        ("description", opt_str(g.description())),
        ("vpc_id", opt_str(g.vpc_id())),
        ("owner_id", Value::string(&owner)),
        ("tags_all", tags_value(&tags_of(g.tags()))),
    ])))
}

/// A group with its inline rules, for each direction that `shape` manages (a list there).
async fn get_shaped(c: &Clients, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(mut group) = get_group(c, id).await? else {
        return Ok(None);
    };
    let owner = s(&group, "owner_id");
    rules::fill(c, &mut group, shape, owner.as_deref()).await?;
    Ok(Some(group))
}

/// Sixteen characters of the idempotency token, for generated names.
fn short_token(token: &str) -> String {
    token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// What a security group's create does after `CreateSecurityGroup`: its rules become exactly
/// the configured ones (AWS's allow-all egress rule removed unless egress blocks manage it,
/// inline blocks reconciled). Settle repeats it for a group whose create was cut short, so
/// it must be safe to run twice.
async fn finish_group(c: &Clients, id: &str, planned: &Value) -> Result<(), ProviderError> {
    let managed = |direction: &str| planned.get(direction).and_then(Value::as_list);
    if managed("egress").is_none() {
        revoke_default_egress(c, id).await?;
    }
    let account = c.account().await.ok();
    for (direction, egress) in rules::DIRECTIONS {
        if let Some(wanted) = planned.get(direction).filter(|v| v.as_list().is_some()) {
            rules::reconcile(c, id, account.as_deref(), egress, wanted).await?;
        }
    }
    Ok(())
}

/// Removes the allow-all egress rule that AWS gives every new VPC security group.
async fn revoke_default_egress(c: &Clients, group: &str) -> Result<(), ProviderError> {
    let o = c
        .ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &[group]))
        .send()
        .await
        .map_err(aws)?;
    let defaults: Vec<String> = o
        .security_group_rules()
        .iter()
        .filter(|r| {
            r.is_egress() == Some(true)
                && r.ip_protocol() == Some("-1")
                && (r.cidr_ipv4() == Some("0.0.0.0/0") || r.cidr_ipv6() == Some("::/0"))
        })
        .filter_map(|r| r.security_group_rule_id().map(str::to_string))
        .collect();
    revoke_rules(c, group, true, defaults).await
}

async fn revoke_all(c: &Clients, group: &str) -> Result<(), ProviderError> {
    let o = c
        .ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &[group]))
        .send()
        .await
        .map_err(aws)?;
    for egress in [false, true] {
        let ids: Vec<String> = o
            .security_group_rules()
            .iter()
            .filter(|r| r.is_egress() == Some(egress))
            .filter_map(|r| r.security_group_rule_id().map(str::to_string))
            .collect();
        revoke_rules(c, group, egress, ids).await?;
    }
    Ok(())
}

/// The ID of the security group named `name` in `vpc`: unique there, so a group made by a
/// create whose answer was lost.
async fn find_group(
    c: &Clients,
    name: &str,
    vpc: Option<&str>,
) -> Result<Option<String>, ProviderError> {
    let mut call = c
        .ec2
        .describe_security_groups()
        .filters(filter("group-name", &[name]));
    if let Some(vpc) = vpc {
        call = call.filters(filter("vpc-id", &[vpc]));
    }
    let o = call.send().await.map_err(aws)?;
    Ok(o.security_groups()
        .first()
        .and_then(|g| g.group_id())
        .map(str::to_string))
}
