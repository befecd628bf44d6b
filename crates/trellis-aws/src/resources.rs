//! Operations on each VPC Lattice resource type: create (idempotent by client token, waiting
//! for ACTIVE), get (the full value), update, delete (retrying in-progress conflicts, waiting
//! until gone), and the lookups that settle and import use.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_vpclattice::types::{AuthType, ListenerProtocol, Target, TargetGroupConfig};
use aws_sdk_vpclattice::types::{IpAddressType, LambdaEventStructureVersion, TargetGroupProtocol};
use aws_sdk_vpclattice::types::{TargetGroupProtocolVersion, TargetGroupType};
use aws_sdk_vpclattice::Client;
use trellis_provider::{ErrorKind, ProviderError};
use trellis_types::Value;

use crate::convert::{
    block, hash_map, list, n, opt_num, opt_str, s, same_object, short_id, timeout,
};
use crate::error::{invalid, is_not_found, sdk};
use crate::sdkconv::{
    action_from_sdk, action_to_sdk, dns_from_sdk, health_check_from_sdk, health_check_to_sdk,
    match_from_sdk, match_to_sdk,
};

pub const SERVICE_NETWORK: &str = "aws_vpclattice_service_network";
pub const SERVICE: &str = "aws_vpclattice_service";
pub const TARGET_GROUP: &str = "aws_vpclattice_target_group";
pub const ATTACHMENT: &str = "aws_vpclattice_target_group_attachment";
pub const LISTENER: &str = "aws_vpclattice_listener";
pub const RULE: &str = "aws_vpclattice_listener_rule";
pub const SNSA: &str = "aws_vpclattice_service_network_service_association";
pub const SNVA: &str = "aws_vpclattice_service_network_vpc_association";
pub const AUTH_POLICY: &str = "aws_vpclattice_auth_policy";
pub const RESOURCE_POLICY: &str = "aws_vpclattice_resource_policy";
pub const ACCESS_LOG: &str = "aws_vpclattice_access_log_subscription";

const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

fn required(value: &Value, key: &str) -> Result<String, ProviderError> {
    s(value, key).ok_or_else(|| invalid(format!("{key} is required")))
}

fn id_of(value: &Value) -> Result<String, ProviderError> {
    required(value, "id")
}

/// What one look at an asynchronous status says.
pub enum Poll<T = ()> {
    Ready(T),
    Pending,
    Failed(String),
}

/// Polls `check` with backoff until it is ready, failed, or `limit` has passed.
pub async fn wait_for<T, F, Fut>(
    what: &str,
    limit: Duration,
    mut check: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ProviderError>>,
{
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_millis(50);
    loop {
        match check().await? {
            Poll::Ready(v) => return Ok(v),
            Poll::Failed(reason) => {
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    format!("{what}: {reason}"),
                ))
            }
            Poll::Pending => {}
        }
        if Instant::now() >= deadline {
            return Err(ProviderError::new(
                ErrorKind::Timeout,
                format!("timed out after {}s waiting for {what}", limit.as_secs()),
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// Runs a delete call, retrying conflicts (an association or create still in progress) with
/// backoff until `limit`. NotFound is success: the object is gone already.
async fn delete_retrying<F, Fut>(limit: Duration, mut call: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ProviderError>>,
{
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_millis(100);
    loop {
        match call().await {
            Ok(()) => return Ok(()),
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) if e.kind == ErrorKind::Conflict && Instant::now() < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Waits until `get` reports NotFound.
async fn wait_gone<F, Fut>(what: &str, limit: Duration, mut get: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Value, ProviderError>>,
{
    wait_for(what, limit, || {
        let fut = get();
        async move {
            match fut.await {
                Ok(v) if s(&v, "status").as_deref() == Some("DELETE_FAILED") => {
                    Ok(Poll::Failed("delete failed".to_string()))
                }
                Ok(_) => Ok(Poll::Pending),
                Err(e) if is_not_found(&e) => Ok(Poll::Ready(())),
                Err(e) => Err(e),
            }
        }
    })
    .await
}

/// Waits for `get` to report ACTIVE; fails with the resource's failure message.
async fn wait_active<F, Fut>(
    what: &str,
    limit: Duration,
    mut get: F,
) -> Result<Value, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Value, ProviderError>>,
{
    wait_for(what, limit, || {
        let fut = get();
        async move {
            let v = fut.await?;
            let status = s(&v, "status").unwrap_or_default();
            let failure = s(&v, "failure_message");
            Ok(match status.as_str() {
                "ACTIVE" | "" => Poll::Ready(v),
                s if s.ends_with("_FAILED") => {
                    Poll::Failed(format!("{s}: {}", failure.unwrap_or_default()))
                }
                _ => Poll::Pending,
            })
        }
    })
    .await
}

fn drop_failure(mut v: Value) -> Value {
    if let Value::Map(m) = &mut v {
        m.remove("failure_message");
    }
    v
}

/// Where a Get puts the object's `lastUpdatedAt` (as [`crate::refresh`] writes stamps) in the
/// value it returns, for the provider to keep as private data: the Get that ends a create, an
/// update or a full read thus also gives the stamp that cheap refreshes compare, with no call
/// of its own. Never part of a resource's state: [`take_stamp`] removes it.
pub(crate) const STAMP: &str = "__trellis_last_updated_at";

fn stamp_value(at: Option<&aws_sdk_vpclattice::primitives::DateTime>) -> Value {
    at.map_or(Value::Null, |d| {
        Value::string(crate::refresh::stamp_text(d))
    })
}

/// Removes the stamp a Get put into `value` and returns it.
pub(crate) fn take_stamp(value: &mut Value) -> Option<String> {
    match value {
        Value::Map(m) => m.remove(STAMP).and_then(|v| v.as_str().map(str::to_string)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Gets: the full current value of one object (without tags and timeouts, which the caller
// carries over).

pub async fn get(c: &Client, type_name: &str, prior: &Value) -> Result<Value, ProviderError> {
    match type_name {
        SERVICE_NETWORK => get_service_network(c, &id_of(prior)?).await,
        SERVICE => get_service(c, &id_of(prior)?).await.map(drop_failure),
        TARGET_GROUP => get_target_group(c, &id_of(prior)?).await.map(drop_failure),
        LISTENER => {
            let service = s(prior, "service_arn")
                .or_else(|| s(prior, "service_identifier"))
                .ok_or_else(|| invalid("service_identifier is required"))?;
            get_listener(c, &service, &id_of(prior)?).await
        }
        RULE => {
            get_rule(
                c,
                &required(prior, "service_identifier")?,
                &required(prior, "listener_identifier")?,
                &id_of(prior)?,
            )
            .await
        }
        SNSA => get_snsa(c, &id_of(prior)?).await.map(drop_failure),
        SNVA => get_snva(c, &id_of(prior)?).await.map(drop_failure),
        AUTH_POLICY => get_auth_policy(c, &required(prior, "resource_identifier")?).await,
        RESOURCE_POLICY => get_resource_policy(c, &required(prior, "resource_arn")?).await,
        ACCESS_LOG => get_access_log(c, &id_of(prior)?).await,
        ATTACHMENT => {
            let tg = required(prior, "target_group_identifier")?;
            let target = block(prior, "target").cloned().unwrap_or(Value::Null);
            let found = list_targets(c, &tg).await?;
            find_target(&found, &tg, &required(&target, "id")?, n(&target, "port"))
                .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "target is not registered"))
        }
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

async fn get_service_network(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_service_network()
        .service_network_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("name", opt_str(o.name())),
        ("auth_type", opt_str(o.auth_type().map(|a| a.as_str()))),
    ]))
}

pub async fn get_service(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_service()
        .service_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("name", opt_str(o.name())),
        ("auth_type", opt_str(o.auth_type().map(|a| a.as_str()))),
        ("certificate_arn", opt_str(o.certificate_arn())),
        ("custom_domain_name", opt_str(o.custom_domain_name())),
        ("status", opt_str(o.status().map(|x| x.as_str()))),
        ("dns_entry", dns_from_sdk(o.dns_entry())),
        ("failure_message", opt_str(o.failure_message())),
    ]))
}

async fn get_target_group(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_target_group()
        .target_group_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    let config = o.config().map(|cfg| {
        Value::object([
            ("port", opt_num(cfg.port())),
            ("protocol", opt_str(cfg.protocol().map(|p| p.as_str()))),
            (
                "protocol_version",
                opt_str(cfg.protocol_version().map(|p| p.as_str())),
            ),
            (
                "ip_address_type",
                opt_str(cfg.ip_address_type().map(|p| p.as_str())),
            ),
            ("vpc_identifier", opt_str(cfg.vpc_identifier())),
            (
                "lambda_event_structure_version",
                opt_str(cfg.lambda_event_structure_version().map(|p| p.as_str())),
            ),
            ("health_check", health_check_from_sdk(cfg.health_check())),
        ])
    });
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("name", opt_str(o.name())),
        ("type", opt_str(o.r#type().map(|t| t.as_str()))),
        ("status", opt_str(o.status().map(|x| x.as_str()))),
        ("config", config.unwrap_or(Value::Null)),
        ("failure_message", opt_str(o.failure_message())),
    ]))
}

pub(crate) async fn get_listener(
    c: &Client,
    service: &str,
    id: &str,
) -> Result<Value, ProviderError> {
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

async fn get_rule(
    c: &Client,
    service: &str,
    listener: &str,
    id: &str,
) -> Result<Value, ProviderError> {
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

async fn get_snsa(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_service_network_service_association()
        .service_network_service_association_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    let mut value = snsa_value(SnsaFields {
        id: o.id(),
        arn: o.arn(),
        status: o.status().map(|x| x.as_str()),
        created_by: o.created_by(),
        service_id: o.service_id(),
        service_network_id: o.service_network_id(),
        custom_domain_name: o.custom_domain_name(),
        dns_entry: dns_from_sdk(o.dns_entry()),
    });
    value.set_path(
        &trellis_types::Path::from_keys(["failure_message"]),
        opt_str(o.failure_message()),
    );
    Ok(value)
}

/// What a service-network service association's Get and list summary both say.
pub(crate) struct SnsaFields<'a> {
    pub id: Option<&'a str>,
    pub arn: Option<&'a str>,
    pub status: Option<&'a str>,
    pub created_by: Option<&'a str>,
    pub service_id: Option<&'a str>,
    pub service_network_id: Option<&'a str>,
    pub custom_domain_name: Option<&'a str>,
    pub dns_entry: Value,
}

/// The value of a service-network service association.
pub(crate) fn snsa_value(f: SnsaFields<'_>) -> Value {
    Value::object([
        ("id", opt_str(f.id)),
        ("arn", opt_str(f.arn)),
        ("status", opt_str(f.status)),
        ("created_by", opt_str(f.created_by)),
        ("service_identifier", opt_str(f.service_id)),
        ("service_network_identifier", opt_str(f.service_network_id)),
        ("custom_domain_name", opt_str(f.custom_domain_name)),
        ("dns_entry", f.dns_entry),
    ])
}

async fn get_snva(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_service_network_vpc_association()
        .service_network_vpc_association_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    let mut groups: Vec<String> = o.security_group_ids().to_vec();
    groups.sort();
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("status", opt_str(o.status().map(|x| x.as_str()))),
        ("created_by", opt_str(o.created_by())),
        ("vpc_identifier", opt_str(o.vpc_id())),
        (
            "service_network_identifier",
            opt_str(o.service_network_id()),
        ),
        (
            "security_group_ids",
            Value::List(groups.into_iter().map(Value::String).collect()),
        ),
        ("failure_message", opt_str(o.failure_message())),
    ]))
}

pub(crate) async fn get_auth_policy(c: &Client, resource: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_auth_policy()
        .resource_identifier(resource)
        .send()
        .await
        .map_err(sdk)?;
    let Some(policy) = o.policy().filter(|p| !p.is_empty()) else {
        return Err(ProviderError::new(ErrorKind::NotFound, "no auth policy"));
    };
    Ok(Value::object([
        ("id", Value::string(resource)),
        ("resource_identifier", Value::string(resource)),
        ("policy", Value::string(policy)),
        ("state", opt_str(o.state().map(|x| x.as_str()))),
    ]))
}

pub(crate) async fn get_resource_policy(c: &Client, arn: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_resource_policy()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk)?;
    let Some(policy) = o.policy().filter(|p| !p.is_empty()) else {
        return Err(ProviderError::new(
            ErrorKind::NotFound,
            "no resource policy",
        ));
    };
    Ok(Value::object([
        ("id", Value::string(arn)),
        ("resource_arn", Value::string(arn)),
        ("policy", Value::string(policy)),
    ]))
}

async fn get_access_log(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_access_log_subscription()
        .access_log_subscription_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        ("id", Value::string(o.id())),
        ("arn", Value::string(o.arn())),
        ("resource_identifier", Value::string(o.resource_id())),
        ("resource_arn", Value::string(o.resource_arn())),
        ("destination_arn", Value::string(o.destination_arn())),
    ]))
}

/// Every target of a target group: (id, port, status).
pub async fn list_targets(
    c: &Client,
    tg: &str,
) -> Result<Vec<(String, Option<i32>, String)>, ProviderError> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let o = c
            .list_targets()
            .target_group_identifier(tg)
            .set_next_token(next.clone())
            .max_results(100)
            .send()
            .await
            .map_err(sdk)?;
        for t in o.items() {
            out.push((
                t.id().unwrap_or_default().to_string(),
                t.port(),
                t.status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
            ));
        }
        next = o.next_token().map(str::to_string);
        if next.is_none() {
            return Ok(out);
        }
    }
}

/// The attachment value for a registered target, unless it is draining away.
pub fn find_target(
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

// ---------------------------------------------------------------------------------------------
// Creates.

/// Creates the object `planned` describes with `token` as client token, waits until it is
/// usable, and returns its full value (tags excluded).
pub async fn create(
    c: &Client,
    type_name: &str,
    planned: &Value,
    token: &str,
    tags: &BTreeMap<String, String>,
) -> Result<Value, ProviderError> {
    let limit = timeout(planned, "create", DEFAULT_CREATE_TIMEOUT);
    let tags = hash_map(tags);
    match type_name {
        SERVICE_NETWORK => {
            let o = c
                .create_service_network()
                .client_token(token)
                .name(required(planned, "name")?)
                .set_auth_type(s(planned, "auth_type").map(|a| AuthType::from(a.as_str())))
                .set_tags(tags)
                .send()
                .await
                .map_err(sdk)?;
            get_service_network(c, o.id().unwrap_or_default()).await
        }
        SERVICE => {
            let o = c
                .create_service()
                .client_token(token)
                .name(required(planned, "name")?)
                .set_auth_type(s(planned, "auth_type").map(|a| AuthType::from(a.as_str())))
                .set_certificate_arn(s(planned, "certificate_arn"))
                .set_custom_domain_name(s(planned, "custom_domain_name"))
                .set_tags(tags)
                .send()
                .await
                .map_err(sdk)?;
            let id = o.id().unwrap_or_default().to_string();
            wait_active("service to become ACTIVE", limit, || get_service(c, &id))
                .await
                .map(drop_failure)
        }
        TARGET_GROUP => {
            let config = block(planned, "config").map(|cfg| {
                TargetGroupConfig::builder()
                    .set_port(n(cfg, "port"))
                    .set_protocol(s(cfg, "protocol").map(|p| TargetGroupProtocol::from(p.as_str())))
                    .set_protocol_version(
                        s(cfg, "protocol_version")
                            .map(|p| TargetGroupProtocolVersion::from(p.as_str())),
                    )
                    .set_ip_address_type(
                        s(cfg, "ip_address_type").map(|p| IpAddressType::from(p.as_str())),
                    )
                    .set_vpc_identifier(s(cfg, "vpc_identifier"))
                    .set_lambda_event_structure_version(
                        s(cfg, "lambda_event_structure_version")
                            .map(|p| LambdaEventStructureVersion::from(p.as_str())),
                    )
                    .set_health_check(block(cfg, "health_check").map(health_check_to_sdk))
                    .build()
            });
            let o = c
                .create_target_group()
                .client_token(token)
                .name(required(planned, "name")?)
                .r#type(TargetGroupType::from(required(planned, "type")?.as_str()))
                .set_config(config)
                .set_tags(tags)
                .send()
                .await
                .map_err(sdk)?;
            let id = o.id().unwrap_or_default().to_string();
            wait_active("target group to become ACTIVE", limit, || {
                get_target_group(c, &id)
            })
            .await
            .map(drop_failure)
        }
        LISTENER => {
            let service = s(planned, "service_identifier")
                .or_else(|| s(planned, "service_arn"))
                .ok_or_else(|| invalid("service_identifier or service_arn is required"))?;
            let action = block(planned, "default_action")
                .ok_or_else(|| invalid("default_action is required"))?;
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
            get_listener(c, &service, o.id().unwrap_or_default()).await
        }
        RULE => {
            let service = required(planned, "service_identifier")?;
            let listener = required(planned, "listener_identifier")?;
            let o = c
                .create_rule()
                .client_token(token)
                .service_identifier(&service)
                .listener_identifier(&listener)
                .name(required(planned, "name")?)
                .set_priority(n(planned, "priority"))
                .r#match(match_to_sdk(
                    block(planned, "match").ok_or_else(|| invalid("match is required"))?,
                )?)
                .action(action_to_sdk(
                    block(planned, "action").ok_or_else(|| invalid("action is required"))?,
                )?)
                .set_tags(tags)
                .send()
                .await
                .map_err(sdk)?;
            get_rule(c, &service, &listener, o.id().unwrap_or_default()).await
        }
        SNSA => {
            let o = c
                .create_service_network_service_association()
                .client_token(token)
                .service_identifier(required(planned, "service_identifier")?)
                .service_network_identifier(required(planned, "service_network_identifier")?)
                .set_tags(tags)
                .send()
                .await
                .map_err(sdk)?;
            let id = o.id().unwrap_or_default().to_string();
            wait_active("service association to become ACTIVE", limit, || {
                get_snsa(c, &id)
            })
            .await
            .map(drop_failure)
        }
        SNVA => {
            let groups: Vec<String> = list(planned, "security_group_ids")
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            let o = c
                .create_service_network_vpc_association()
                .client_token(token)
                .vpc_identifier(required(planned, "vpc_identifier")?)
                .service_network_identifier(required(planned, "service_network_identifier")?)
                .set_security_group_ids((!groups.is_empty()).then_some(groups))
                .set_tags(tags)
                .send()
                .await
                .map_err(sdk)?;
            let id = o.id().unwrap_or_default().to_string();
            wait_active("vpc association to become ACTIVE", limit, || {
                get_snva(c, &id)
            })
            .await
            .map(drop_failure)
        }
        AUTH_POLICY => {
            let resource = required(planned, "resource_identifier")?;
            c.put_auth_policy()
                .resource_identifier(&resource)
                .policy(required(planned, "policy")?)
                .send()
                .await
                .map_err(sdk)?;
            get_auth_policy(c, &resource).await
        }
        RESOURCE_POLICY => {
            let arn = required(planned, "resource_arn")?;
            c.put_resource_policy()
                .resource_arn(&arn)
                .policy(required(planned, "policy")?)
                .send()
                .await
                .map_err(sdk)?;
            get_resource_policy(c, &arn).await
        }
        ACCESS_LOG => {
            let o = c
                .create_access_log_subscription()
                .client_token(token)
                .resource_identifier(required(planned, "resource_identifier")?)
                .destination_arn(required(planned, "destination_arn")?)
                .set_tags(tags)
                .send()
                .await
                .map_err(sdk)?;
            get_access_log(c, o.id()).await
        }
        ATTACHMENT => {
            let tg = required(planned, "target_group_identifier")?;
            let target = block(planned, "target").ok_or_else(|| invalid("target is required"))?;
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
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

// ---------------------------------------------------------------------------------------------
// Updates (tags are updated by the caller).

pub async fn update(
    c: &Client,
    type_name: &str,
    prior: &Value,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let changed = |key: &str| prior.get(key) != planned.get(key);
    match type_name {
        SERVICE_NETWORK => {
            let id = id_of(prior)?;
            if changed("auth_type") {
                if let Some(auth) = s(planned, "auth_type") {
                    c.update_service_network()
                        .service_network_identifier(&id)
                        .auth_type(AuthType::from(auth.as_str()))
                        .send()
                        .await
                        .map_err(sdk)?;
                }
            }
            get_service_network(c, &id).await
        }
        SERVICE => {
            let id = id_of(prior)?;
            if changed("auth_type") || changed("certificate_arn") {
                c.update_service()
                    .service_identifier(&id)
                    .set_auth_type(s(planned, "auth_type").map(|a| AuthType::from(a.as_str())))
                    .set_certificate_arn(s(planned, "certificate_arn"))
                    .send()
                    .await
                    .map_err(sdk)?;
            }
            let limit = timeout(planned, "update", DEFAULT_CREATE_TIMEOUT);
            wait_active("service to become ACTIVE", limit, || get_service(c, &id))
                .await
                .map(drop_failure)
        }
        TARGET_GROUP => {
            let id = id_of(prior)?;
            let before = block(prior, "config").and_then(|c| c.get("health_check"));
            let after = block(planned, "config").and_then(|c| block(c, "health_check"));
            if let (Some(after), true) = (after, before != after) {
                c.update_target_group()
                    .target_group_identifier(&id)
                    .health_check(health_check_to_sdk(after))
                    .send()
                    .await
                    .map_err(sdk)?;
            }
            let limit = timeout(planned, "update", DEFAULT_CREATE_TIMEOUT);
            wait_active("target group to become ACTIVE", limit, || {
                get_target_group(c, &id)
            })
            .await
            .map(drop_failure)
        }
        LISTENER => {
            let service = s(prior, "service_arn")
                .or_else(|| s(prior, "service_identifier"))
                .ok_or_else(|| invalid("service_identifier is required"))?;
            let id = id_of(prior)?;
            if changed("default_action") {
                let action = block(planned, "default_action")
                    .ok_or_else(|| invalid("default_action is required"))?;
                c.update_listener()
                    .service_identifier(&service)
                    .listener_identifier(&id)
                    .default_action(action_to_sdk(action)?)
                    .send()
                    .await
                    .map_err(sdk)?;
            }
            get_listener(c, &service, &id).await
        }
        RULE => {
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
            get_rule(c, &service, &listener, &id).await
        }
        SNVA => {
            let id = id_of(prior)?;
            if changed("security_group_ids") {
                let groups: Vec<String> = list(planned, "security_group_ids")
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                c.update_service_network_vpc_association()
                    .service_network_vpc_association_identifier(&id)
                    .set_security_group_ids(Some(groups))
                    .send()
                    .await
                    .map_err(sdk)?;
            }
            let limit = timeout(planned, "update", DEFAULT_CREATE_TIMEOUT);
            wait_active("vpc association to become ACTIVE", limit, || {
                get_snva(c, &id)
            })
            .await
            .map(drop_failure)
        }
        AUTH_POLICY | RESOURCE_POLICY => create(c, type_name, planned, "", &BTreeMap::new()).await,
        SNSA | ACCESS_LOG | ATTACHMENT => get(c, type_name, prior).await,
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

// ---------------------------------------------------------------------------------------------
// Deletes.

pub async fn delete(c: &Client, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
    let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
    match type_name {
        SERVICE_NETWORK => {
            let id = id_of(prior)?;
            delete_retrying(limit, || async {
                c.delete_service_network()
                    .service_network_identifier(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(sdk)
            })
            .await
        }
        SERVICE => {
            let id = id_of(prior)?;
            delete_retrying(limit, || async {
                c.delete_service()
                    .service_identifier(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(sdk)
            })
            .await?;
            wait_gone("service to be deleted", limit, || get_service(c, &id)).await
        }
        TARGET_GROUP => {
            let id = id_of(prior)?;
            delete_retrying(limit, || async {
                c.delete_target_group()
                    .target_group_identifier(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(sdk)
            })
            .await?;
            wait_gone("target group to be deleted", limit, || {
                get_target_group(c, &id)
            })
            .await
        }
        LISTENER => {
            let service = s(prior, "service_arn")
                .or_else(|| s(prior, "service_identifier"))
                .unwrap_or_default();
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
        RULE => {
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
        SNSA => {
            let id = id_of(prior)?;
            delete_retrying(limit, || async {
                c.delete_service_network_service_association()
                    .service_network_service_association_identifier(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(sdk)
            })
            .await?;
            wait_gone("service association to be deleted", limit, || {
                get_snsa(c, &id)
            })
            .await
        }
        SNVA => {
            let id = id_of(prior)?;
            delete_retrying(limit, || async {
                c.delete_service_network_vpc_association()
                    .service_network_vpc_association_identifier(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(sdk)
            })
            .await?;
            wait_gone("vpc association to be deleted", limit, || get_snva(c, &id)).await
        }
        AUTH_POLICY => {
            let resource = required(prior, "resource_identifier")?;
            delete_retrying(limit, || async {
                c.delete_auth_policy()
                    .resource_identifier(&resource)
                    .send()
                    .await
                    .map(drop)
                    .map_err(sdk)
            })
            .await
        }
        RESOURCE_POLICY => {
            let arn = required(prior, "resource_arn")?;
            delete_retrying(limit, || async {
                c.delete_resource_policy()
                    .resource_arn(&arn)
                    .send()
                    .await
                    .map(drop)
                    .map_err(sdk)
            })
            .await
        }
        ACCESS_LOG => {
            let id = id_of(prior)?;
            delete_retrying(limit, || async {
                c.delete_access_log_subscription()
                    .access_log_subscription_identifier(&id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(sdk)
            })
            .await
        }
        ATTACHMENT => {
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
        other => Err(invalid(format!("unknown resource type {other}"))),
    }
}

/// Whether any item of a paginated list stream satisfies a condition on `$x`.
macro_rules! any_item {
    ($stream:expr, $x:ident => $cond:expr) => {{
        let mut stream = $stream;
        let mut found = false;
        while let Some(item) = stream.next().await {
            let $x = item.map_err(sdk)?;
            if $cond {
                found = true;
                break;
            }
        }
        Ok(found)
    }};
}

// ---------------------------------------------------------------------------------------------
// Lookups for settle: does an object that this create may have made exist (by unique name or
// by its unique parent pair)?

pub async fn exists_like(
    c: &Client,
    type_name: &str,
    planned: &Value,
) -> Result<bool, ProviderError> {
    let name = s(planned, "name").unwrap_or_default();
    match type_name {
        SERVICE_NETWORK => {
            let o = c
                .list_service_networks()
                .max_results(100)
                .into_paginator()
                .items()
                .send();
            any_item!(o, x => x.name() == Some(name.as_str()))
        }
        SERVICE => {
            let o = c
                .list_services()
                .max_results(100)
                .into_paginator()
                .items()
                .send();
            any_item!(o, x => x.name() == Some(name.as_str()))
        }
        TARGET_GROUP => {
            let o = c
                .list_target_groups()
                .max_results(100)
                .into_paginator()
                .items()
                .send();
            any_item!(o, x => x.name() == Some(name.as_str()))
        }
        LISTENER => {
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
        RULE => {
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
        SNSA => {
            let service = required(planned, "service_identifier")?;
            let o = c
                .list_service_network_service_associations()
                .service_network_identifier(required(planned, "service_network_identifier")?)
                .max_results(100)
                .into_paginator()
                .items()
                .send();
            any_item!(o, x => {
                x.service_id().is_some_and(|id| same_object(id, &service))
            })
        }
        SNVA => {
            let network = required(planned, "service_network_identifier")?;
            let o = c
                .list_service_network_vpc_associations()
                .vpc_identifier(required(planned, "vpc_identifier")?)
                .max_results(100)
                .into_paginator()
                .items()
                .send();
            any_item!(o, x => {
                x.service_network_id().is_some_and(|id| same_object(id, &network))
            })
        }
        ACCESS_LOG => {
            let destination = required(planned, "destination_arn")?;
            let o = c
                .list_access_log_subscriptions()
                .resource_identifier(required(planned, "resource_identifier")?)
                .max_results(100)
                .into_paginator()
                .items()
                .send();
            any_item!(o, x => x.destination_arn() == destination)
        }
        _ => Ok(false),
    }
}
