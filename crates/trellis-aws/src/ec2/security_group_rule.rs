//! `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule`: one rule
//! of a security group, by its security group rule ID. The two types differ only in the
//! direction, so one [`Rule`] serves both ([`INGRESS`], [`EGRESS`]). A lost create is found
//! again by the rule's content.

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroupRuleRequest,
    SecurityGroupRuleUpdate, UserIdGroupPair,
};
use trellis_provider::{AttributeDiagnostic, Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::{arn, filter, no_retries, normal_protocol, policy, tag_spec, tags_of, update_tags};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{n, opt_num, opt_str, s};
use crate::sdk::error::{aws, required};
use crate::sdk::once::{self, Created};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::values::tags_value;

/// One direction of security group rules.
#[derive(Clone, Copy)]
pub(crate) struct Rule {
    name: &'static str,
    egress: bool,
}

pub(crate) const INGRESS: Rule = Rule {
    name: "aws_vpc_security_group_ingress_rule",
    egress: false,
};

pub(crate) const EGRESS: Rule = Rule {
    name: "aws_vpc_security_group_egress_rule",
    egress: true,
};

#[async_trait]
impl AwsType for Rule {
    fn name(&self) -> &'static str {
        self.name
    }

    fn service(&self) -> Service {
        Service::Ec2
    }

    fn schema(&self) -> ResourceSchema {
        use trellis_provider::AttrType;
        let number = || AttrType::Number;
        resource(
            if self.egress {
                "an outbound rule of a security group"
            } else {
                "an inbound rule of a security group"
            },
            "security group rule ID",
            tagged(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("security_group_rule_id", comp(string()))
                    .attr("security_group_id", req(string()).force_new())
                    .attr("ip_protocol", req(string()))
                    .attr("from_port", opt(number()))
                    .attr("to_port", opt(number()))
                    .attr("cidr_ipv4", opt(string()))
                    .attr("cidr_ipv6", opt(string()))
                    .attr("prefix_list_id", opt(string()))
                    .attr("referenced_security_group_id", opt(string()))
                    .attr("description", opt(string())),
            ),
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
        let targets: Vec<&str> = [
            "cidr_ipv4",
            "cidr_ipv6",
            "prefix_list_id",
            "referenced_security_group_id",
        ]
        .into_iter()
        .filter(|k| config.get(k).is_some_and(|v| !v.is_null()))
        .collect();
        let unknown = [
            "cidr_ipv4",
            "cidr_ipv6",
            "prefix_list_id",
            "referenced_security_group_id",
        ]
        .iter()
        .any(|k| config.get(k).is_some_and(Value::is_unknown));
        if targets.len() > 1 {
            out.push(AttributeDiagnostic::error(
                Path::from_keys([targets[1]]),
                format!(
                    "{} and {} are both set; a rule has exactly one of cidr_ipv4, cidr_ipv6, \
                     prefix_list_id and referenced_security_group_id",
                    targets[0], targets[1]
                ),
            ));
        } else if targets.is_empty() && !unknown {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["cidr_ipv4"]),
                "a rule needs one of cidr_ipv4, cidr_ipv6, prefix_list_id and \
                 referenced_security_group_id",
            ));
        }
        if let Some(p) = config.get("ip_protocol").and_then(Value::as_str) {
            let all = matches!(normal_protocol(p).as_str(), "-1");
            for key in ["from_port", "to_port"] {
                match config.get(key).and_then(Value::as_number) {
                    Some(port) if all => out.push(AttributeDiagnostic::error(
                        Path::from_keys([key]),
                        format!("{key} {port} is set but ip_protocol {p:?} means every port"),
                    )),
                    Some(port) if !(-1.0..=65535.0).contains(&port) => {
                        out.push(AttributeDiagnostic::error(
                            Path::from_keys([key]),
                            format!("{key} {port} is out of range -1 to 65535"),
                        ))
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// Keeps the prior spelling of the protocol when it means the same.
    fn plan_rules(
        &self,
        _region: &str,
        _config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Vec<AttributeDiagnostic> {
        if let Some(prior) = prior {
            if let (Some(a), Some(b)) = (s(planned, "ip_protocol"), s(prior, "ip_protocol")) {
                if a != b && normal_protocol(&a) == normal_protocol(&b) {
                    planned.set_path(&Path::from_keys(["ip_protocol"]), Value::string(b));
                }
            }
        }
        Vec::new()
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let id = required(prior, "id")?;
        let group = s(prior, "security_group_id");
        get(c, group.as_deref(), &id, self.egress).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        let tags = c.tags_all(planned);
        let group = required(planned, "security_group_id")?;
        let permission = rule_permission(planned)?;
        let spec = tag_spec(ResourceType::SecurityGroupRule, &tags).map(|t| vec![t]);
        // A rule made by a call whose answer was lost is found by its content.
        let found = || self.settle(c, planned, token);
        let sent = if !self.egress {
            match once::create(
                policy(c),
                || {
                    c.ec2
                        .authorize_security_group_ingress()
                        .group_id(&group)
                        .ip_permissions(permission.clone())
                        .set_tag_specifications(spec.clone())
                        .customize()
                        .config_override(no_retries())
                        .send()
                },
                found,
            )
            .await?
            {
                Created::Sent(o) => Created::Sent(o.security_group_rules().to_vec()),
                Created::Found(v) => Created::Found(v),
            }
        } else {
            match once::create(
                policy(c),
                || {
                    c.ec2
                        .authorize_security_group_egress()
                        .group_id(&group)
                        .ip_permissions(permission.clone())
                        .set_tag_specifications(spec.clone())
                        .customize()
                        .config_override(no_retries())
                        .send()
                },
                found,
            )
            .await?
            {
                Created::Sent(o) => Created::Sent(o.security_group_rules().to_vec()),
                Created::Found(v) => Created::Found(v),
            }
        };
        let rules = match sent {
            Created::Sent(rules) => rules,
            Created::Found(v) => return Ok(v),
        };
        let id = rules
            .first()
            .and_then(|r| r.security_group_rule_id())
            .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no rule ID returned"))?
            .to_string();
        get(c, Some(&group), &id, self.egress)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "rule vanished"))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = required(prior, "id")?;
        let keys = [
            "ip_protocol",
            "from_port",
            "to_port",
            "cidr_ipv4",
            "cidr_ipv6",
            "prefix_list_id",
            "referenced_security_group_id",
            "description",
        ];
        if keys.iter().any(|k| prior.get(k) != planned.get(k)) {
            c.ec2
                .modify_security_group_rules()
                .group_id(required(prior, "security_group_id")?)
                .security_group_rules(
                    SecurityGroupRuleUpdate::builder()
                        .security_group_rule_id(&id)
                        .security_group_rule(rule_request(planned)?)
                        .build(),
                )
                .send()
                .await
                .map_err(aws)?;
        }
        update_tags(c, &id, prior, planned).await?;
        self.read(c, prior)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let id = required(prior, "id")?;
        let group = required(prior, "security_group_id")?;
        let result = if !self.egress {
            c.ec2
                .revoke_security_group_ingress()
                .group_id(&group)
                .security_group_rule_ids(&id)
                .send()
                .await
                .map(drop)
                .map_err(aws)
        } else {
            c.ec2
                .revoke_security_group_egress()
                .group_id(&group)
                .security_group_rule_ids(&id)
                .send()
                .await
                .map(drop)
                .map_err(aws)
        };
        match result {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// EC2 has no client token for rules: a rule made by a lost create is found by its
    /// content.
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let group = required(planned, "security_group_id")?;
        let o = c
            .ec2
            .describe_security_group_rules()
            .filters(filter("group-id", &[&group]))
            .send()
            .await
            .map_err(aws)?;
        for r in o.security_group_rules() {
            let Some(id) = r.security_group_rule_id() else {
                continue;
            };
            if let Some(v) = get(c, Some(&group), id, self.egress).await? {
                let same = [
                    "from_port",
                    "to_port",
                    "cidr_ipv4",
                    "cidr_ipv6",
                    "prefix_list_id",
                    "referenced_security_group_id",
                ]
                .iter()
                .all(|k| v.get(k) == planned.get(k))
                    && s(&v, "ip_protocol").map(|p| normal_protocol(&p))
                        == s(planned, "ip_protocol").map(|p| normal_protocol(&p));
                if same {
                    return Ok(Some(v));
                }
            }
        }
        Ok(None)
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        get(c, None, id, self.egress).await
    }
}

async fn get(
    c: &Clients,
    group: Option<&str>,
    id: &str,
    egress: bool,
) -> Result<Option<Value>, ProviderError> {
    let mut call = c
        .ec2
        .describe_security_group_rules()
        .security_group_rule_ids(id);
    if let Some(g) = group {
        call = c
            .ec2
            .describe_security_group_rules()
            .filters(filter("group-id", &[g]));
    }
    let o = call.send().await.map_err(aws)?;
    let Some(r) = o
        .security_group_rules()
        .iter()
        .find(|r| r.security_group_rule_id() == Some(id) && r.is_egress() == Some(egress))
    else {
        return Ok(None);
    };
    let owner = r.group_owner_id().unwrap_or_default().to_string();
    let protocol = r.ip_protocol().unwrap_or("-1");
    let ports = |p: Option<i32>| {
        if normal_protocol(protocol) == "-1" {
            Value::Null
        } else {
            opt_num(p)
        }
    };
    Ok(Some(Value::object([
        ("id", Value::string(id)),
        ("security_group_rule_id", Value::string(id)),
        (
            "arn",
            r.security_group_rule_arn()
                .map(Value::string)
                .unwrap_or_else(|| {
                    Value::string(arn(c, &owner, &format!("security-group-rule/{id}")))
                }),
        ),
        ("security_group_id", opt_str(r.group_id())),
        ("ip_protocol", Value::string(protocol)),
        ("from_port", ports(r.from_port())),
        ("to_port", ports(r.to_port())),
        ("cidr_ipv4", opt_str(r.cidr_ipv4())),
        ("cidr_ipv6", opt_str(r.cidr_ipv6())),
        ("prefix_list_id", opt_str(r.prefix_list_id())),
        (
            "referenced_security_group_id",
            opt_str(r.referenced_group_info().and_then(|g| g.group_id())),
        ),
        ("description", opt_str(r.description())),
        ("tags_all", tags_value(&tags_of(r.tags()))),
    ])))
}

fn rule_permission(planned: &Value) -> Result<IpPermission, ProviderError> {
    let protocol = required(planned, "ip_protocol")?;
    let all = normal_protocol(&protocol) == "-1";
    let description = s(planned, "description");
    let mut p = IpPermission::builder().ip_protocol(if all { "-1".into() } else { protocol });
    if !all {
        p = p
            .set_from_port(n(planned, "from_port"))
            .set_to_port(n(planned, "to_port"));
    }
    if let Some(cidr) = s(planned, "cidr_ipv4") {
        p = p.ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .set_description(description.clone())
                .build(),
        );
    }
    if let Some(cidr) = s(planned, "cidr_ipv6") {
        p = p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(cidr)
                .set_description(description.clone())
                .build(),
        );
    }
    if let Some(list) = s(planned, "prefix_list_id") {
        p = p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(list)
                .set_description(description.clone())
                .build(),
        );
    }
    if let Some(group) = s(planned, "referenced_security_group_id") {
        p = p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(group)
                .set_description(description)
                .build(),
        );
    }
    Ok(p.build())
}

fn rule_request(planned: &Value) -> Result<SecurityGroupRuleRequest, ProviderError> {
    let protocol = required(planned, "ip_protocol")?;
    let all = normal_protocol(&protocol) == "-1";
    let mut r = SecurityGroupRuleRequest::builder()
        .ip_protocol(if all { "-1".into() } else { protocol })
        .set_cidr_ipv4(s(planned, "cidr_ipv4"))
        .set_cidr_ipv6(s(planned, "cidr_ipv6"))
        .set_prefix_list_id(s(planned, "prefix_list_id"))
        .set_referenced_group_id(s(planned, "referenced_security_group_id"))
        .set_description(s(planned, "description"));
    if !all {
        r = r
            .set_from_port(n(planned, "from_port"))
            .set_to_port(n(planned, "to_port"));
    }
    Ok(r.build())
}
