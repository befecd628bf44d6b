//! `aws_vpclattice_target_group_attachment`: a target registered with a target group. It
//! has no ID of its own: it is found in its group's `ListTargets`, which refresh also reads
//! once per target group.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_vpclattice::types::Target;
use aws_sdk_vpclattice::Client;
use tokio::sync::Semaphore;
use trellis_provider::{
    AttributeDiagnostic, Block, ErrorKind, Nesting, ProviderError, ReadItem, ResourceSchema,
};
use trellis_types::{Path, Value};

use super::checks::check_port;
use super::{required_block, tf_attr, LatticeType, DEFAULT_CREATE_TIMEOUT, DEFAULT_DELETE_TIMEOUT};
use crate::sdk::convert::{block, n, opt_num, s, short_id, timeout};
use crate::sdk::error::{invalid, is_not_found, required, sdk};
use crate::sdk::schema::{comp, number, opt_comp, req, resource, string, timeouts};
use crate::sdk::wait::{delete_retrying, wait_for, Poll};

pub(crate) const NAME: &str = "aws_vpclattice_target_group_attachment";

#[derive(Clone, Copy)]
pub(crate) struct TargetGroupAttachment;

#[async_trait]
impl LatticeType for TargetGroupAttachment {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a target registered with a target group",
            "target_group_id/target_id/port",
            timeouts(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("target_group_identifier", req(string()).force_new())
                    .block(
                        "target",
                        Nesting::Single,
                        Block::new()
                            .attr("id", req(string()).force_new())
                            .attr("port", opt_comp(number()).force_new()),
                    )
                    .block_force_new("target"),
            ),
        )
    }

    fn tagged(&self) -> bool {
        false
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        if let Some(t) = block(config, "target") {
            check_port(t.get("port"), Path::from_keys(["target", "port"]), out);
        }
    }

    async fn get(&self, c: &Client, prior: &Value) -> Result<Value, ProviderError> {
        let tg = required(prior, "target_group_identifier")?;
        let target = block(prior, "target").cloned().unwrap_or(Value::Null);
        let found = list_targets(c, &tg).await?;
        find_target(&found, &tg, &required(&target, "id")?, n(&target, "port"))
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "target is not registered"))
    }

    async fn create(
        &self,
        c: &Client,
        planned: &Value,
        _token: &str,
        _tags: Option<HashMap<String, String>>,
    ) -> Result<Value, ProviderError> {
        let limit = timeout(planned, "create", DEFAULT_CREATE_TIMEOUT);
        let tg = required(planned, "target_group_identifier")?;
        let target = required_block(planned, "target")?;
        let id = required(target, "id")?;
        let port = n(target, "port");
        let o = c
            .register_targets()
            .target_group_identifier(&tg)
            .targets(
                Target::builder()
                    .id(&id)
                    .set_port(port)
                    .build()
                    .map_err(|e| invalid(e.to_string()))?,
            )
            .send()
            .await
            .map_err(sdk)?;
        if let Some(failure) = o.unsuccessful().first() {
            return Err(ProviderError::new(
                ErrorKind::Other,
                failure
                    .failure_message()
                    .unwrap_or("target registration failed"),
            )
            .with_code(failure.failure_code().unwrap_or("RegisterTargetsFailure")));
        }
        wait_for("target to finish its initial health check", limit, || {
            let (tg, id) = (&tg, &id);
            async move {
                let targets = list_targets(c, tg).await?;
                let status = targets
                    .iter()
                    .find(|(t, p, _)| t == id && (port.is_none() || *p == port))
                    .map(|(_, _, s)| s.clone());
                Ok(match status.as_deref() {
                    Some("INITIAL") | None => Poll::Pending,
                    Some(_) => match find_target(&targets, tg, id, port) {
                        Some(v) => Poll::Ready(v),
                        None => Poll::Pending,
                    },
                })
            }
        })
        .await
    }

    async fn update(
        &self,
        c: &Client,
        prior: &Value,
        _planned: &Value,
    ) -> Result<Value, ProviderError> {
        self.get(c, prior).await
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let tg = required(prior, "target_group_identifier")?;
        let target = block(prior, "target").cloned().unwrap_or(Value::Null);
        let id = required(&target, "id")?;
        let port = n(&target, "port");
        let t = Target::builder()
            .id(&id)
            .set_port(port)
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        delete_retrying(limit, || async {
            c.deregister_targets()
                .target_group_identifier(&tg)
                .targets(t.clone())
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await?;
        // Draining ends when the target leaves the list; the target group can only be
        // deleted after that.
        wait_for("target to finish draining", limit, || async {
            match list_targets(c, &tg).await {
                Ok(targets) => Ok(
                    if targets
                        .iter()
                        .any(|(t, p, _)| *t == id && (port.is_none() || *p == port))
                    {
                        Poll::Pending
                    } else {
                        Poll::Ready(())
                    },
                ),
                Err(e) if is_not_found(&e) => Ok(Poll::Ready(())),
                Err(e) => Err(e),
            }
        })
        .await
    }

    fn probe(&self, id: &str) -> Result<Value, ProviderError> {
        let parts: Vec<&str> = id.split('/').collect();
        let [tg, target, port] = parts.as_slice() else {
            return Err(super::bad_import_id(id, &self.schema()));
        };
        let port: Option<f64> =
            if port.is_empty() {
                None
            } else {
                Some(port.parse().map_err(|_| {
                    invalid(format!("import id {id:?}: port {port:?} is not a number"))
                })?)
            };
        Ok(Value::object([
            ("target_group_identifier", Value::string(*tg)),
            (
                "target",
                Value::object([
                    ("id", Value::string(*target)),
                    ("port", port.map(Value::Number).unwrap_or(Value::Null)),
                ]),
            ),
        ]))
    }

    async fn read_all(
        &self,
        c: &Client,
        items: &[ReadItem],
        limit: &Arc<Semaphore>,
    ) -> Option<Result<Vec<Option<Value>>, ProviderError>> {
        Some(read_all(c, items, limit).await)
    }

    fn terraform_import_id(&self, attributes: &serde_json::Value) -> Option<String> {
        let target = attributes.get("target").and_then(|t| match t {
            serde_json::Value::Array(items) => items.first(),
            other => Some(other),
        })?;
        let id = target.get("id").and_then(serde_json::Value::as_str)?;
        let port = target
            .get("port")
            .and_then(serde_json::Value::as_i64)
            .map(|p| p.to_string())
            .unwrap_or_default();
        Some(format!(
            "{}/{id}/{port}",
            short_id(&tf_attr(attributes, "target_group_identifier")?)
        ))
    }
}

/// Every attachment of `items` from one `ListTargets` per target group, all groups at once.
async fn read_all(
    c: &Client,
    items: &[ReadItem],
    limit: &Arc<Semaphore>,
) -> Result<Vec<Option<Value>>, ProviderError> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let tg = s(&item.prior, "target_group_identifier").unwrap_or_default();
        groups.entry(short_id(&tg).to_string()).or_default().push(i);
    }
    let mut out = vec![None; items.len()];
    let mut lists = tokio::task::JoinSet::new();
    for (tg, indices) in groups {
        let (c, limit) = (c.clone(), limit.clone());
        lists.spawn(async move {
            let _permit = limit.acquire().await;
            let targets = match list_targets(&c, &tg).await {
                Ok(t) => Ok(t),
                Err(e) if is_not_found(&e) => Ok(Vec::new()),
                Err(e) => Err(e),
            };
            (indices, targets)
        });
    }
    while let Some(joined) = lists.join_next().await {
        let (indices, listed) = joined.map_err(super::refresh::task_failed)?;
        let listed = listed?;
        for i in indices {
            let prior = &items[i].prior;
            let target = block(prior, "target").cloned().unwrap_or(Value::Null);
            out[i] = find_target(
                &listed,
                &s(prior, "target_group_identifier").unwrap_or_default(),
                &s(&target, "id").unwrap_or_default(),
                n(&target, "port"),
            );
        }
    }
    Ok(out)
}

/// Every target of a target group: (id, port, status).
pub(crate) async fn list_targets(
    c: &Client,
    tg: &str,
) -> Result<Vec<(String, Option<i32>, String)>, ProviderError> {
    let mut stream = c
        .list_targets()
        .target_group_identifier(tg)
        .max_results(100)
        .into_paginator()
        .items()
        .send();
    let mut out = Vec::new();
    while let Some(t) = stream.next().await {
        let t = t.map_err(sdk)?;
        out.push((
            t.id().unwrap_or_default().to_string(),
            t.port(),
            t.status()
                .map(|x| x.as_str().to_string())
                .unwrap_or_default(),
        ));
    }
    Ok(out)
}

/// The attachment value for a registered target, unless it is draining away.
pub(crate) fn find_target(
    targets: &[(String, Option<i32>, String)],
    tg: &str,
    id: &str,
    port: Option<i32>,
) -> Option<Value> {
    targets
        .iter()
        .find(|(tid, tport, status)| {
            tid == id && (port.is_none() || *tport == port) && status != "DRAINING"
        })
        .map(|(tid, tport, _)| attachment_value(tg, tid, *tport))
}

fn attachment_value(tg: &str, id: &str, port: Option<i32>) -> Value {
    Value::object([
        (
            "id",
            Value::string(format!(
                "{}/{id}/{}",
                short_id(tg),
                port.map(|p| p.to_string()).unwrap_or_default()
            )),
        ),
        ("target_group_identifier", Value::string(tg)),
        (
            "target",
            Value::object([("id", Value::string(id)), ("port", opt_num(port))]),
        ),
    ])
}
