//! `aws_vpclattice_listener_rule`: a rule of a listener (match, action, priority).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_vpclattice::Client;
use trellis_provider::{AttributeDiagnostic, Block, Nesting, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::blocks::{action_block, rule_match_block};
use super::checks::{check_action, check_name};
use super::convert::{action_from_sdk, action_to_sdk, match_from_sdk, match_to_sdk};
use super::{
    id_of, required_block, stamp_value, tf_attr, LatticeType, DEFAULT_DELETE_TIMEOUT, STAMP,
};
use crate::sdk::convert::{block, n, opt_num, opt_str, s, short_id, timeout};
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{comp, id_arn, number, req, resource, string, tagged};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_listener_rule";

#[derive(Clone, Copy)]
pub(crate) struct ListenerRule;

#[async_trait]
impl LatticeType for ListenerRule {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a rule of a VPC Lattice listener",
            "service_id/listener_id/rule_id",
            tagged(id_arn(
                Block::new()
                    .attr("name", req(string()).force_new())
                    .attr("service_identifier", req(string()).force_new())
                    .attr("listener_identifier", req(string()).force_new())
                    .attr("priority", req(number()))
                    .attr("rule_id", comp(string()))
                    .block("match", Nesting::Single, rule_match_block())
                    .block("action", Nesting::Single, action_block()),
            )),
        )
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        check_name(config, Some("rule-"), (3, 63), out);
        if let Some(p) = config.get("priority").and_then(Value::as_number) {
            if !(1.0..=100.0).contains(&p) || p.fract() != 0.0 {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["priority"]),
                    format!("priority {p} is out of range 1 to 100"),
                ));
            }
        }
        check_action(config.get("action"), "action", out);
    }

    async fn get(&self, c: &Client, prior: &Value) -> Result<Value, ProviderError> {
        get(
            c,
            &required(prior, "service_identifier")?,
            &required(prior, "listener_identifier")?,
            &id_of(prior)?,
        )
        .await
    }

    async fn create(
        &self,
        c: &Client,
        planned: &Value,
        token: &str,
        tags: Option<HashMap<String, String>>,
    ) -> Result<Value, ProviderError> {
        let service = required(planned, "service_identifier")?;
        let listener = required(planned, "listener_identifier")?;
        let o = c
            .create_rule()
            .client_token(token)
            .service_identifier(&service)
            .listener_identifier(&listener)
            .name(required(planned, "name")?)
            .set_priority(n(planned, "priority"))
            .r#match(match_to_sdk(required_block(planned, "match")?)?)
            .action(action_to_sdk(required_block(planned, "action")?)?)
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        get(c, &service, &listener, o.id().unwrap_or_default()).await
    }

    async fn update(
        &self,
        c: &Client,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let changed = |key: &str| prior.get(key) != planned.get(key);
        let service = required(prior, "service_identifier")?;
        let listener = required(prior, "listener_identifier")?;
        let id = id_of(prior)?;
        if changed("match") || changed("action") || changed("priority") {
            let mut call = c
                .update_rule()
                .service_identifier(&service)
                .listener_identifier(&listener)
                .rule_identifier(&id);
            if changed("priority") {
                call = call.set_priority(n(planned, "priority"));
            }
            if changed("match") {
                if let Some(m) = block(planned, "match") {
                    call = call.r#match(match_to_sdk(m)?);
                }
            }
            if changed("action") {
                if let Some(a) = block(planned, "action") {
                    call = call.action(action_to_sdk(a)?);
                }
            }
            call.send().await.map_err(sdk)?;
        }
        get(c, &service, &listener, &id).await
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let service = required(prior, "service_identifier")?;
        let listener = required(prior, "listener_identifier")?;
        let id = id_of(prior)?;
        delete_retrying(limit, || async {
            c.delete_rule()
                .service_identifier(&service)
                .listener_identifier(&listener)
                .rule_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let name = s(planned, "name").unwrap_or_default();
        let o = c
            .list_rules()
            .service_identifier(required(planned, "service_identifier")?)
            .listener_identifier(required(planned, "listener_identifier")?)
            .max_results(100)
            .into_paginator()
            .items()
            .send();
        any_item!(o, x => x.name() == Some(name.as_str()))
    }

    fn probe(&self, id: &str) -> Result<Value, ProviderError> {
        let parts: Vec<&str> = id.split('/').collect();
        let [service, listener, rule] = parts.as_slice() else {
            return Err(super::bad_import_id(id, &self.schema()));
        };
        Ok(Value::object([
            ("id", Value::string(*rule)),
            ("service_identifier", Value::string(*service)),
            ("listener_identifier", Value::string(*listener)),
        ]))
    }

    fn scope(&self, prior: &Value) -> Option<Vec<String>> {
        let id = |key: &str| s(prior, key).map(|v| short_id(&v).to_string());
        Some(vec![id("service_identifier")?, id("listener_identifier")?])
    }

    fn pages(&self, c: &Client, scope: &[String]) -> super::refresh::Pager {
        pager!(
            c.list_rules()
                .service_identifier(&scope[0])
                .listener_identifier(&scope[1]),
            |x| stamped!(x)
        )
    }

    fn terraform_import_id(&self, attributes: &serde_json::Value) -> Option<String> {
        let get = |key: &str| tf_attr(attributes, key);
        Some(format!(
            "{}/{}/{}",
            short_id(&get("service_identifier")?),
            short_id(&get("listener_identifier")?),
            get("rule_id")?
        ))
    }
}

async fn get(c: &Client, service: &str, listener: &str, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_rule()
        .service_identifier(service)
        .listener_identifier(listener)
        .rule_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("rule_id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("name", opt_str(o.name())),
        ("priority", opt_num(o.priority())),
        ("service_identifier", Value::string(service)),
        ("listener_identifier", Value::string(listener)),
        ("match", match_from_sdk(o.r#match())),
        ("action", action_from_sdk(o.action())),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_are_checked() {
        let rule = Value::object([("priority", Value::Number(0.0))]);
        let mut d = Vec::new();
        ListenerRule.validate(&rule, &mut d);
        assert_eq!(d.len(), 1);
    }
}
