//! `aws_vpclattice_listener`: a listener of a service, with its default action.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_vpclattice::types::ListenerProtocol;
use aws_sdk_vpclattice::Client;
use trellis_provider::{AttributeDiagnostic, Block, Nesting, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::blocks::action_block;
use super::checks::{check_action, check_enum, check_name, check_port};
use super::convert::{action_from_sdk, action_to_sdk};
use super::{
    id_of, required_block, service_of, stamp_value, tf_attr, LatticeType, DEFAULT_DELETE_TIMEOUT,
    STAMP,
};
use crate::sdk::convert::{n, opt_num, opt_str, s, short_id, timeout};
use crate::sdk::error::{invalid, required, sdk};
use crate::sdk::schema::{comp, id_arn, number, opt_comp, req, resource, string, tagged};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_listener";

#[derive(Clone, Copy)]
pub(crate) struct Listener;

#[async_trait]
impl LatticeType for Listener {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a listener of a VPC Lattice service",
            "service_id/listener_id",
            tagged(id_arn(
                Block::new()
                    .attr("name", req(string()).force_new())
                    .attr("protocol", req(string()).force_new())
                    .attr("port", opt_comp(number()).force_new())
                    .attr("service_identifier", opt_comp(string()).force_new())
                    .attr("service_arn", opt_comp(string()).force_new())
                    .attr("listener_id", comp(string()))
                    .block("default_action", Nesting::Single, action_block()),
            )),
        )
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        check_name(config, Some("listener-"), (3, 63), out);
        check_port(config.get("port"), Path::from_keys(["port"]), out);
        check_enum(
            config.get("protocol"),
            Path::from_keys(["protocol"]),
            &["HTTP", "HTTPS", "TLS_PASSTHROUGH"],
            out,
        );
        check_action(config.get("default_action"), "default_action", out);
    }

    async fn get(&self, c: &Client, prior: &Value) -> Result<Value, ProviderError> {
        let service = service_of(prior).ok_or_else(|| invalid("service_identifier is required"))?;
        get(c, &service, &id_of(prior)?).await
    }

    async fn create(
        &self,
        c: &Client,
        planned: &Value,
        token: &str,
        tags: Option<HashMap<String, String>>,
    ) -> Result<Value, ProviderError> {
        let service = s(planned, "service_identifier")
            .or_else(|| s(planned, "service_arn"))
            .ok_or_else(|| invalid("service_identifier or service_arn is required"))?;
        let action = required_block(planned, "default_action")?;
        let o = c
            .create_listener()
            .client_token(token)
            .service_identifier(&service)
            .name(required(planned, "name")?)
            .protocol(ListenerProtocol::from(
                required(planned, "protocol")?.as_str(),
            ))
            .set_port(n(planned, "port"))
            .default_action(action_to_sdk(action)?)
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        get(c, &service, o.id().unwrap_or_default()).await
    }

    async fn update(
        &self,
        c: &Client,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let service = service_of(prior).ok_or_else(|| invalid("service_identifier is required"))?;
        let id = id_of(prior)?;
        if prior.get("default_action") != planned.get("default_action") {
            let action = required_block(planned, "default_action")?;
            c.update_listener()
                .service_identifier(&service)
                .listener_identifier(&id)
                .default_action(action_to_sdk(action)?)
                .send()
                .await
                .map_err(sdk)?;
        }
        get(c, &service, &id).await
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let service = service_of(prior).unwrap_or_default();
        let id = id_of(prior)?;
        delete_retrying(limit, || async {
            c.delete_listener()
                .service_identifier(&service)
                .listener_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let name = s(planned, "name").unwrap_or_default();
        let service = s(planned, "service_identifier")
            .or_else(|| s(planned, "service_arn"))
            .unwrap_or_default();
        let o = c
            .list_listeners()
            .service_identifier(service)
            .max_results(100)
            .into_paginator()
            .items()
            .send();
        any_item!(o, x => x.name() == Some(name.as_str()))
    }

    fn probe(&self, id: &str) -> Result<Value, ProviderError> {
        let parts: Vec<&str> = id.split('/').collect();
        let [service, listener] = parts.as_slice() else {
            return Err(super::bad_import_id(id, &self.schema()));
        };
        Ok(Value::object([
            ("id", Value::string(*listener)),
            ("service_identifier", Value::string(*service)),
        ]))
    }

    fn scope(&self, prior: &Value) -> Option<Vec<String>> {
        Some(vec![short_id(&service_of(prior)?).to_string()])
    }

    fn pages(&self, c: &Client, scope: &[String]) -> super::refresh::Pager {
        pager!(
            c.list_listeners().service_identifier(&scope[0]),
            |x| stamped!(x)
        )
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        // The listener names its service once.
        arguments.remove("service_arn");
    }

    fn terraform_import_id(&self, attributes: &serde_json::Value) -> Option<String> {
        let get = |key: &str| tf_attr(attributes, key);
        Some(format!(
            "{}/{}",
            short_id(&get("service_identifier").or_else(|| get("service_arn"))?),
            get("listener_id")?
        ))
    }
}

/// A listener of `service` in full.
pub(crate) async fn get(c: &Client, service: &str, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_listener()
        .service_identifier(service)
        .listener_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("listener_id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("name", opt_str(o.name())),
        ("protocol", opt_str(o.protocol().map(|p| p.as_str()))),
        ("port", opt_num(o.port())),
        ("service_identifier", opt_str(o.service_id())),
        ("service_arn", opt_str(o.service_arn())),
        ("default_action", action_from_sdk(o.default_action())),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_checked() {
        let config = Value::object([
            ("name", Value::string("http")),
            ("protocol", Value::string("HTTP")),
            ("port", Value::Number(70000.0)),
        ]);
        let mut d = Vec::new();
        Listener.validate(&config, &mut d);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, Path::from_keys(["port"]));
    }
}
