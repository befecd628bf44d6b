//! Connectivity of a VPC Lattice mesh, derived from a plan, and the mesh's safety checks.
//!
//! A plan holds, for every resource instance, its value before and after. From the
//! `aws_vpclattice_*` values on each side this crate derives who can reach whom:
//!
//! - a **VPC association** (`aws_vpclattice_service_network_vpc_association`) makes the
//!   VPC a *client* of its service network;
//! - a **service association** (`aws_vpclattice_service_network_service_association`) makes
//!   the service a *server* of its service network;
//! - every client of a network can send requests to every server of the same network, gated
//!   by IAM auth: the network's and the service's `auth_type`, and whether an
//!   `aws_vpclattice_auth_policy` exists for each (with `AWS_IAM` and no policy, Lattice
//!   denies every request).
//!
//! [`analyze`] returns the reachable pairs after the plan, the pairs that appear, disappear
//! or change their gate, and [`Finding`]s: plan-time warnings about the planned mesh (an auth
//! policy that has no effect, more listeners than the quota, a policy that lets any principal
//! in without conditions on a network or service that clients can reach, a service without
//! auth in an IAM network, a VPC association's security group open to the internet, a custom
//! domain served over HTTPS without a certificate).
//!
//! Data sources of networks and services (`data "aws_vpclattice_service_network"`) take
//! part as what references point at, so a network shared from another account and looked up
//! here is named, and its `auth_type` known; its auth policy lives in the owner's
//! configuration, so its gate is "managed elsewhere" rather than "denies all".
//!
//! When this configuration holds only one side of a network it does not own (a service
//! team's configuration with its service and its association with a shared network), the
//! other side is shown as "any client VPC of the network (managed elsewhere)" or "any service
//! of the network (managed elsewhere)": joining a shared network is a connectivity change
//! even when the counterpart is in another repository.
//!
//! References between resources are resolved by ID or ARN (compared by their ID part, so an
//! ARN and an ID of the same object are equal). Where a value is unknown until apply (the ID
//! of a resource created by the same plan), the change's `dependencies` name the resource
//! instead: the one dependency of the expected type, or among several instances of one
//! resource the one with the same instance key (the `for_each = local.services` pattern).
//! A reference that neither way resolves is left out and counted in
//! [`Analysis::unresolved`], never guessed.
//!
//! What this crate is not: it calls no AWS API and does no I/O; it knows resource types only
//! by their Terraform names and reads plain [`Value`]s (the AWS provider crate is not a
//! dependency). It does not evaluate IAM: "any principal" means a statement that allows
//! `Principal: "*"` (or `{"AWS": "*"}`) without a `Condition`, nothing finer. It never reports
//! a value that the plan marks sensitive: findings name addresses and attributes, not values;
//! a sensitive name or identifier is never used as a label (the address is used instead), and
//! a sensitive identifier resolves only to an object of the plan, never to a shown ID.

mod checks;
mod policy;
mod world;

use std::collections::BTreeMap;

use serde::Serialize;
use trellis_plan::Plan;

pub use policy::allows_any_principal_unconditionally;

/// The default VPC Lattice quota of listeners per service.
pub const LISTENERS_PER_SERVICE: usize = 2;

/// One end of a reachable pair, or the network between them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Endpoint {
    /// A stable identity: the resource address when the object is managed by the plan,
    /// otherwise `id:` and the ID the configuration refers to.
    pub key: String,
    /// What people read: a DNS name for a service, the VPC ID for a client, the name of a
    /// network; the address when nothing better is known.
    pub label: String,
    /// The resource address, when the object is managed by this configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The AWS account, when known (from the provider's location or the ARN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl Endpoint {
    /// `label (account 111122223333)`, or the label alone.
    pub fn display(&self) -> String {
        match &self.account {
            Some(a) => format!("{} (account {a})", self.label),
            None => self.label.clone(),
        }
    }
}

/// Whether one level (network or service) checks IAM auth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// `auth_type = "NONE"`: no check at this level.
    None,
    /// `AWS_IAM` with an auth policy.
    Policy,
    /// `AWS_IAM` with an auth policy that allows any principal without conditions.
    OpenPolicy,
    /// `AWS_IAM` without an auth policy: every request is denied.
    DenyAll,
    /// Not known until apply.
    Unknown,
    /// Decided outside this configuration: the network or service is only referenced (by ID
    /// or ARN, or through a data source whose auth policy another configuration manages).
    Outside,
}

/// How requests from a client to a server are gated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Access {
    pub network: Gate,
    pub service: Gate,
}

impl Access {
    /// A short description: `open (no IAM auth)`, `IAM auth (network policy)`, ...
    pub fn describe(&self) -> String {
        let levels = [("network", self.network), ("service", self.service)];
        let denied: Vec<&str> = levels
            .iter()
            .filter(|(_, g)| *g == Gate::DenyAll)
            .map(|(n, _)| *n)
            .collect();
        if !denied.is_empty() {
            return format!(
                "denied (AWS_IAM without an auth policy on the {})",
                denied.join(" and the ")
            );
        }
        if levels.iter().all(|(_, g)| *g == Gate::None) {
            return "open (no IAM auth)".to_string();
        }
        let policies: Vec<String> = levels
            .iter()
            .filter_map(|(n, g)| match g {
                Gate::Policy => Some(format!("{n} policy")),
                Gate::OpenPolicy => Some(format!("{n} policy allows any principal")),
                Gate::Unknown => Some(format!("{n} auth known after apply")),
                Gate::Outside => Some(format!("{n} auth managed elsewhere")),
                Gate::None | Gate::DenyAll => None,
            })
            .collect();
        format!("IAM auth ({})", policies.join(", "))
    }
}

/// A client that can reach a server through a service network.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Route {
    pub network: Endpoint,
    pub client: Endpoint,
    pub server: Endpoint,
    pub access: Access,
}

impl Route {
    fn pair_key(&self) -> (String, String, String) {
        (
            self.network.key.clone(),
            self.client.key.clone(),
            self.server.key.clone(),
        )
    }
}

/// How one pair differs between before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteChangeKind {
    Added,
    Removed,
    /// Reachable before and after, gated differently.
    AccessChanged,
}

/// A pair that appears, disappears or changes its gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteChange {
    pub kind: RouteChangeKind,
    pub network: Endpoint,
    pub client: Endpoint,
    pub server: Endpoint,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_before: Option<Access>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_after: Option<Access>,
}

impl RouteChange {
    /// One line: `+ vpc-a (account 2222) -> orders.example.internal: IAM auth (...)`.
    pub fn line(&self) -> String {
        let pair = format!("{} -> {}", self.client.display(), self.server.display());
        match self.kind {
            RouteChangeKind::Added => format!(
                "+ {pair}: {}",
                self.access_after.map(|a| a.describe()).unwrap_or_default()
            ),
            RouteChangeKind::Removed => format!("- {pair}"),
            RouteChangeKind::AccessChanged => format!(
                "~ {pair}: {} -> {}",
                self.access_before.map(|a| a.describe()).unwrap_or_default(),
                self.access_after.map(|a| a.describe()).unwrap_or_default()
            ),
        }
    }
}

/// What a [`Finding`] is about; the `code` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// An auth policy on a network or service whose `auth_type` is `NONE`.
    AuthPolicyWithoutEffect,
    /// More listeners on one service than [`LISTENERS_PER_SERVICE`].
    ListenerQuotaExceeded,
    /// An auth policy that allows any principal without conditions, on a network or service
    /// that clients can reach.
    AuthPolicyAllowsAnyPrincipal,
    /// A service with `auth_type = "NONE"` associated with an `AWS_IAM` network.
    ServiceWithoutAuthInIamNetwork,
    /// A security group of a VPC association that allows ingress from anywhere.
    SecurityGroupOpenIngress,
    /// A service with a custom domain name and an HTTPS listener but no certificate.
    CustomDomainWithoutCertificate,
}

impl FindingKind {
    /// The kebab-case code, as in JSON.
    pub fn code(self) -> &'static str {
        match self {
            FindingKind::AuthPolicyWithoutEffect => "auth-policy-without-effect",
            FindingKind::ListenerQuotaExceeded => "listener-quota-exceeded",
            FindingKind::AuthPolicyAllowsAnyPrincipal => "auth-policy-allows-any-principal",
            FindingKind::ServiceWithoutAuthInIamNetwork => "service-without-auth-in-iam-network",
            FindingKind::SecurityGroupOpenIngress => "security-group-open-ingress",
            FindingKind::CustomDomainWithoutCertificate => "custom-domain-without-certificate",
        }
    }
}

/// A plan-time warning about the planned mesh.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    #[serde(rename = "code")]
    pub kind: FindingKind,
    /// The resource the warning is about.
    pub address: String,
    /// One short line.
    pub summary: String,
    /// Why it matters and what to do.
    pub detail: String,
}

/// Everything derived from one plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Analysis {
    /// Reachable pairs after the plan, sorted by network, client, server.
    pub reachable: Vec<Route>,
    /// Reachable pairs before the plan (the state, refreshed).
    #[serde(skip)]
    pub reachable_before: Vec<Route>,
    /// Pairs that appear, disappear or change their gate, sorted.
    pub changes: Vec<RouteChange>,
    /// Warnings about the planned mesh, sorted by address.
    pub findings: Vec<Finding>,
    /// Lattice references (of associations, policies, listeners) that could not be resolved
    /// to an object, on either side; their pairs are not shown.
    pub unresolved: usize,
}

impl Analysis {
    /// Whether the plan has anything to do with a Lattice mesh worth showing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.findings.is_empty()
    }

    /// The changes grouped by network, in order.
    pub fn changes_by_network(&self) -> Vec<(&Endpoint, Vec<&RouteChange>)> {
        let mut groups: Vec<(&Endpoint, Vec<&RouteChange>)> = Vec::new();
        for c in &self.changes {
            match groups.iter_mut().find(|(n, _)| n.key == c.network.key) {
                Some((_, list)) => list.push(c),
                None => groups.push((&c.network, vec![c])),
            }
        }
        groups
    }
}

/// Derives reachability before and after the plan, its changes, and the findings.
pub fn analyze(plan: &Plan) -> Analysis {
    let before = world::World::build(plan, world::Side::Before);
    let after = world::World::build(plan, world::Side::After);
    let (reachable_before, unresolved_before) = before.routes();
    let (reachable, unresolved_after) = after.routes();
    let changes = diff_routes(&reachable_before, &reachable);
    let mut findings = checks::findings(&after, &reachable);
    findings
        .sort_by(|a, b| (&a.address, a.kind, &a.summary).cmp(&(&b.address, b.kind, &b.summary)));
    findings.dedup();
    Analysis {
        reachable,
        reachable_before,
        changes,
        findings,
        unresolved: unresolved_before + unresolved_after,
    }
}

fn diff_routes(before: &[Route], after: &[Route]) -> Vec<RouteChange> {
    let old: BTreeMap<_, &Route> = before.iter().map(|r| (r.pair_key(), r)).collect();
    let new: BTreeMap<_, &Route> = after.iter().map(|r| (r.pair_key(), r)).collect();
    let mut out = Vec::new();
    for (k, r) in &new {
        match old.get(k) {
            None => out.push(RouteChange {
                kind: RouteChangeKind::Added,
                network: r.network.clone(),
                client: r.client.clone(),
                server: r.server.clone(),
                access_before: None,
                access_after: Some(r.access),
            }),
            Some(o) if o.access != r.access && !after_only_unknown(o.access, r.access) => {
                out.push(RouteChange {
                    kind: RouteChangeKind::AccessChanged,
                    network: r.network.clone(),
                    client: r.client.clone(),
                    server: r.server.clone(),
                    access_before: Some(o.access),
                    access_after: Some(r.access),
                })
            }
            Some(_) => {}
        }
    }
    for (k, r) in &old {
        if !new.contains_key(k) {
            out.push(RouteChange {
                kind: RouteChangeKind::Removed,
                network: r.network.clone(),
                client: r.client.clone(),
                server: r.server.clone(),
                access_before: Some(r.access),
                access_after: None,
            });
        }
    }
    out.sort_by(|a, b| {
        (
            &a.network.label,
            &a.network.key,
            a.kind,
            &a.client,
            &a.server,
        )
            .cmp(&(
                &b.network.label,
                &b.network.key,
                b.kind,
                &b.client,
                &b.server,
            ))
    });
    out
}

/// A gate that only became unknown (an auth type recomputed at apply) is not a change worth
/// showing; a gate that became known-different is.
fn after_only_unknown(before: Access, after: Access) -> bool {
    let same_or_unknown = |b: Gate, a: Gate| a == b || a == Gate::Unknown;
    same_or_unknown(before.network, after.network) && same_or_unknown(before.service, after.service)
}
