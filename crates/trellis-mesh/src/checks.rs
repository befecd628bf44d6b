//! The mesh safety checks, over the planned (after) side.

use std::collections::BTreeMap;

use trellis_types::Value;

use crate::world::{
    Target, World, AUTH_POLICY, INGRESS_RULE, LISTENER, NETWORK, SECURITY_GROUP,
    SECURITY_GROUP_RULE, SERVICE, SERVICE_ASSOCIATION, VPC_ASSOCIATION,
};
use crate::{Finding, FindingKind, Route, LISTENERS_PER_SERVICE};

pub(crate) fn findings(world: &World<'_>, reachable: &[Route]) -> Vec<Finding> {
    let mut out = Vec::new();
    auth_policies(world, reachable, &mut out);
    listener_quota(world, &mut out);
    services_without_auth(world, &mut out);
    open_security_groups(world, &mut out);
    custom_domains_without_certificate(world, &mut out);
    out
}

/// HTTPS to a custom domain needs the service's `certificate_arn`: without one, VPC Lattice
/// serves its own certificate, which names the generated domain, and clients calling the
/// custom name fail the TLS handshake.
fn custom_domains_without_certificate(world: &World<'_>, out: &mut Vec<Finding>) {
    let set = |obj: &crate::world::Obj<'_>, key: &str| {
        obj.value
            .get(key)
            .is_some_and(|v| !v.unmarked().is_null() && v.unmarked().as_str() != Some(""))
    };
    let mut seen = std::collections::BTreeSet::new();
    for l in world.of_type(LISTENER) {
        let listener = &world.objs[l];
        if listener.value.get("protocol").and_then(Value::as_str) != Some("HTTPS") {
            continue;
        }
        let Some(Target::Obj(j)) = world.resolve(l, "service_identifier", &[SERVICE]) else {
            continue;
        };
        let service = &world.objs[j];
        if !set(service, "custom_domain_name") || set(service, "certificate_arn") {
            continue;
        }
        if !seen.insert(j) {
            continue;
        }
        let domain = if service.is_sensitive("custom_domain_name") {
            "(sensitive)".to_string()
        } else {
            service
                .value
                .get("custom_domain_name")
                .and_then(Value::as_str)
                .unwrap_or("(known after apply)")
                .to_string()
        };
        out.push(Finding {
            kind: FindingKind::CustomDomainWithoutCertificate,
            address: service.address.clone(),
            summary: format!(
                "{} has the custom domain {domain} and an HTTPS listener but no certificate_arn",
                service.address
            ),
            detail: format!(
                "without a certificate for {domain}, VPC Lattice serves its own, which names \
                 only the generated domain, so HTTPS clients of {domain} fail the TLS \
                 handshake ({}); set certificate_arn to an ACM certificate for the domain",
                listener.address
            ),
        });
    }
}

fn what(world: &World<'_>, target: &Target) -> String {
    match target {
        Target::Obj(j) => world.objs[*j].address.clone(),
        Target::External(id) => id.clone(),
    }
}

fn kind_of(world: &World<'_>, target: &Target) -> &'static str {
    match target {
        Target::Obj(j) if world.objs[*j].type_name() == NETWORK => "service network",
        Target::Obj(_) => "service",
        Target::External(id) if id.contains("servicenetwork/") || id.starts_with("sn-") => {
            "service network"
        }
        Target::External(_) => "service",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Policies without effect, and open policies on what clients can reach.
fn auth_policies(world: &World<'_>, reachable: &[Route], out: &mut Vec<Finding>) {
    for p in world.of_type(AUTH_POLICY) {
        let Some(target) = world.resolve(p, "resource_identifier", &[NETWORK, SERVICE]) else {
            continue;
        };
        let policy = &world.objs[p];
        let name = what(world, &target);
        let kind = kind_of(world, &target);
        match world.auth_type(&target) {
            Some("NONE") => out.push(Finding {
                kind: FindingKind::AuthPolicyWithoutEffect,
                address: policy.address.clone(),
                summary: format!("auth policy on {name} has no effect"),
                detail: format!(
                    "the {kind} {name} has auth_type = \"NONE\", so VPC Lattice does not \
                     evaluate this policy and every client of its network can call it; set \
                     auth_type = \"AWS_IAM\" to enforce the policy, or remove the policy"
                ),
            }),
            Some(_) | None => {
                if !world.policy_is_open(p) {
                    continue;
                }
                let key = world.target_key(&target);
                let clients: std::collections::BTreeSet<&str> = reachable
                    .iter()
                    .filter(|r| r.network.key == key || r.server.key == key)
                    .map(|r| r.client.key.as_str())
                    .collect();
                if clients.is_empty() {
                    continue;
                }
                out.push(Finding {
                    kind: FindingKind::AuthPolicyAllowsAnyPrincipal,
                    address: policy.address.clone(),
                    summary: format!(
                        "auth policy on {name} allows any principal without conditions"
                    ),
                    detail: format!(
                        "{} can reach the {kind} {name}, and this policy lets any \
                         authenticated principal of any account call it; name the principals, \
                         or add a Condition such as aws:PrincipalOrgID",
                        plural(clients.len(), "client VPC", "client VPCs")
                    ),
                });
            }
        }
    }
}

fn listener_quota(world: &World<'_>, out: &mut Vec<Finding>) {
    let mut by_service: BTreeMap<String, (Target, Vec<String>)> = BTreeMap::new();
    for l in world.of_type(LISTENER) {
        let Some(svc) = world.resolve(l, "service_identifier", &[SERVICE]) else {
            continue;
        };
        by_service
            .entry(world.target_key(&svc))
            .or_insert_with(|| (svc, Vec::new()))
            .1
            .push(world.objs[l].address.clone());
    }
    for (svc, listeners) in by_service.into_values() {
        if listeners.len() <= LISTENERS_PER_SERVICE {
            continue;
        }
        let name = what(world, &svc);
        out.push(Finding {
            kind: FindingKind::ListenerQuotaExceeded,
            address: name.clone(),
            summary: format!(
                "{} on {name}; VPC Lattice allows {LISTENERS_PER_SERVICE} per service",
                plural(listeners.len(), "listener", "listeners")
            ),
            detail: format!(
                "apply will fail with ServiceQuotaExceededException unless the quota was \
                 raised for this account: {}",
                listeners.join(", ")
            ),
        });
    }
}

fn services_without_auth(world: &World<'_>, out: &mut Vec<Finding>) {
    for a in world.of_type(SERVICE_ASSOCIATION) {
        let net = world.resolve(a, "service_network_identifier", &[NETWORK]);
        let svc = world.resolve(a, "service_identifier", &[SERVICE]);
        let (Some(net), Some(svc)) = (net, svc) else {
            continue;
        };
        if world.auth_type(&svc) == Some("NONE") && world.auth_type(&net) == Some("AWS_IAM") {
            let name = what(world, &svc);
            out.push(Finding {
                kind: FindingKind::ServiceWithoutAuthInIamNetwork,
                address: name.clone(),
                summary: format!(
                    "service {name} has auth_type = \"NONE\" in the AWS_IAM network {}",
                    what(world, &net)
                ),
                detail: "only the network's auth policy guards it: any principal that policy \
                         admits can call every path of this service; set auth_type = \
                         \"AWS_IAM\" and give the service its own auth policy"
                    .to_string(),
            });
        }
    }
}

/// Whether a list attribute holds `needle`.
fn list_has(value: Option<&Value>, needle: &str) -> bool {
    value
        .and_then(|v| v.unmarked().as_list())
        .is_some_and(|items| items.iter().any(|i| i.unmarked().as_str() == Some(needle)))
}

const ANYWHERE_V4: &str = "0.0.0.0/0";
const ANYWHERE_V6: &str = "::/0";

/// Where a security group allows ingress from anywhere: descriptions of the rules.
fn open_ingress(world: &World<'_>, sg: usize) -> Vec<String> {
    let mut found = Vec::new();
    let group = &world.objs[sg];
    if let Some(blocks) = group
        .value
        .get("ingress")
        .and_then(|v| v.unmarked().as_list())
    {
        for block in blocks {
            for (attr, cidr) in [
                ("cidr_blocks", ANYWHERE_V4),
                ("ipv6_cidr_blocks", ANYWHERE_V6),
            ] {
                if list_has(block.get(attr), cidr) {
                    found.push(format!("an ingress block of {} ({cidr})", group.address));
                }
            }
        }
    }
    for r in world.of_type(INGRESS_RULE) {
        if world.resolve(r, "security_group_id", &[SECURITY_GROUP]) != Some(Target::Obj(sg)) {
            continue;
        }
        let rule = &world.objs[r];
        for (attr, cidr) in [("cidr_ipv4", ANYWHERE_V4), ("cidr_ipv6", ANYWHERE_V6)] {
            if rule.str(attr) == Some(cidr) {
                found.push(format!("{} ({cidr})", rule.address));
            }
        }
    }
    for r in world.of_type(SECURITY_GROUP_RULE) {
        let rule = &world.objs[r];
        if rule.str("type") != Some("ingress")
            || world.resolve(r, "security_group_id", &[SECURITY_GROUP]) != Some(Target::Obj(sg))
        {
            continue;
        }
        for (attr, cidr) in [
            ("cidr_blocks", ANYWHERE_V4),
            ("ipv6_cidr_blocks", ANYWHERE_V6),
        ] {
            if list_has(rule.value.get(attr), cidr) {
                found.push(format!("{} ({cidr})", rule.address));
            }
        }
    }
    found
}

fn open_security_groups(world: &World<'_>, out: &mut Vec<Finding>) {
    for a in world.of_type(VPC_ASSOCIATION) {
        for target in world.resolve_list(a, "security_group_ids", &[SECURITY_GROUP]) {
            let Target::Obj(sg) = target else {
                continue;
            };
            let rules = open_ingress(world, sg);
            if rules.is_empty() {
                continue;
            }
            let group = &world.objs[sg].address;
            out.push(Finding {
                kind: FindingKind::SecurityGroupOpenIngress,
                address: group.clone(),
                summary: format!(
                    "security group {group} of {} allows ingress from anywhere",
                    world.objs[a].address
                ),
                detail: format!(
                    "the security groups of a VPC association decide which sources may send \
                     to the service network; {} lets any source that routes into the VPC use \
                     it; allow only the clients' CIDR ranges or security groups",
                    rules.join(", ")
                ),
            });
        }
    }
}
