//! One side of a plan (before or after) as a set of objects, with references between them
//! resolved, and the reachable pairs it implies.

use std::collections::{BTreeMap, HashMap};

use trellis_plan::{Action, Change, Plan};
use trellis_types::{Address, Mode, Path, Value};

use crate::{policy, Access, Endpoint, Gate, Route};

pub(crate) const NETWORK: &str = "aws_vpclattice_service_network";
pub(crate) const SERVICE: &str = "aws_vpclattice_service";
pub(crate) const VPC_ASSOCIATION: &str = "aws_vpclattice_service_network_vpc_association";
pub(crate) const SERVICE_ASSOCIATION: &str = "aws_vpclattice_service_network_service_association";
pub(crate) const AUTH_POLICY: &str = "aws_vpclattice_auth_policy";
pub(crate) const LISTENER: &str = "aws_vpclattice_listener";
pub(crate) const SECURITY_GROUP: &str = "aws_security_group";
pub(crate) const INGRESS_RULE: &str = "aws_vpc_security_group_ingress_rule";
pub(crate) const SECURITY_GROUP_RULE: &str = "aws_security_group_rule";
const VPC: &str = "aws_vpc";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Before,
    After,
}

/// One managed resource instance on one side of the plan.
pub(crate) struct Obj<'a> {
    pub change: &'a Change,
    pub value: &'a Value,
    pub address: String,
    /// The paths the plan marks sensitive on this side.
    pub sensitive: &'a [Path],
}

impl<'a> Obj<'a> {
    pub fn type_name(&self) -> &str {
        &self.change.type_name
    }

    /// Whether the plan marks a top-level attribute (or a part of it) sensitive.
    pub fn is_sensitive(&self, attr: &str) -> bool {
        let at = Path::from_keys([attr]);
        self.sensitive
            .iter()
            .any(|p| at.starts_with(p) || p.starts_with(&at))
            || self.value.get(attr).is_some_and(Value::contains_sensitive)
    }

    /// A known string attribute that is not sensitive: what may be shown or compared.
    pub fn str(&self, attr: &str) -> Option<&'a str> {
        if self.is_sensitive(attr) {
            return None;
        }
        self.value.get(attr).and_then(|v| v.unmarked().as_str())
    }

    /// A known string attribute even if sensitive, for checks that never show it (a policy
    /// document is judged, not printed).
    pub fn str_unshown(&self, attr: &str) -> Option<&'a str> {
        self.value.get(attr).and_then(|v| v.unmarked().as_str())
    }

    /// The account: from the provider's location, else from a known ARN.
    pub fn account(&self) -> Option<String> {
        if let Some(account) = self
            .change
            .location
            .as_ref()
            .and_then(|l| l.account.clone())
        {
            return Some(account);
        }
        self.str("arn").and_then(arn_account)
    }
}

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// An object of this side (its index).
    Obj(usize),
    /// An ID or ARN of an object this configuration does not manage.
    External(String),
}

/// The account field of an ARN (`arn:aws:vpc-lattice:us-east-1:111122223333:...`).
pub(crate) fn arn_account(arn: &str) -> Option<String> {
    let account = arn.strip_prefix("arn:")?.split(':').nth(3)?;
    (!account.is_empty()).then(|| account.to_string())
}

/// An ID or ARN reduced to the ID (the last path segment of an ARN), so that both compare
/// equal.
pub(crate) fn normalize_id(id: &str) -> &str {
    if id.starts_with("arn:") {
        match id.rsplit_once('/') {
            Some((_, last)) => last,
            None => id.rsplit(':').next().unwrap_or(id),
        }
    } else {
        id
    }
}

pub(crate) struct World<'a> {
    pub objs: Vec<Obj<'a>>,
    /// Normalised `id` and `arn` values to the objects that carry them.
    by_id: HashMap<&'a str, Vec<usize>>,
    /// Resource-level addresses (no instance key) to their instances.
    by_resource: HashMap<String, Vec<usize>>,
    /// Auth policies by the key of what they attach to.
    policies: BTreeMap<String, Vec<usize>>,
}

impl<'a> World<'a> {
    pub fn build(plan: &'a Plan, side: Side) -> World<'a> {
        let mut objs = Vec::new();
        for change in &plan.changes {
            // Data sources take part only as what references point at: a shared network or
            // service looked up by name or ARN gives the pairs through it a name and a gate.
            if change.address.mode != Mode::Managed
                && !matches!(change.type_name.as_str(), NETWORK | SERVICE)
            {
                continue;
            }
            let (value, sensitive) = match side {
                Side::Before if matches!(change.action, Action::Create | Action::Read) => {
                    (None, &change.before_sensitive)
                }
                Side::Before => (change.before.as_ref(), &change.before_sensitive),
                Side::After if change.action == Action::Delete => (None, &change.after_sensitive),
                // A forgotten object stays in AWS, and so in the mesh.
                Side::After if change.action == Action::Forget => {
                    (change.before.as_ref(), &change.before_sensitive)
                }
                Side::After => (change.after.as_ref(), &change.after_sensitive),
            };
            let Some(value) = value.filter(|v| v.as_map().is_some()) else {
                continue;
            };
            objs.push(Obj {
                change,
                value,
                address: change.address.to_string(),
                sensitive,
            });
        }
        let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_resource: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, obj) in objs.iter().enumerate() {
            for attr in ["id", "arn"] {
                if let Some(id) = obj.str(attr) {
                    let entry = by_id.entry(normalize_id(id)).or_default();
                    if !entry.contains(&i) {
                        entry.push(i);
                    }
                }
            }
            by_resource
                .entry(resource_level(&obj.change.address))
                .or_default()
                .push(i);
        }
        let mut world = World {
            objs,
            by_id,
            by_resource,
            policies: BTreeMap::new(),
        };
        for i in world.of_type(AUTH_POLICY) {
            if let Some(target) = world.resolve(i, "resource_identifier", &[NETWORK, SERVICE]) {
                let key = world.target_key(&target);
                world.policies.entry(key).or_default().push(i);
            }
        }
        world
    }

    pub fn of_type(&self, type_name: &str) -> Vec<usize> {
        (0..self.objs.len())
            .filter(|i| self.objs[*i].type_name() == type_name)
            .collect()
    }

    fn lookup(&self, id: &str, types: &[&str]) -> Option<usize> {
        self.by_id
            .get(normalize_id(id))?
            .iter()
            .copied()
            .find(|j| types.contains(&self.objs[*j].type_name()))
    }

    /// The objects of `types` that object `i` depends on: the one such dependency, or among
    /// several the ones with the same instance key as `i`.
    fn by_dependency(&self, i: usize, types: &[&str]) -> Vec<usize> {
        let change = self.objs[i].change;
        let mut found: Vec<usize> = Vec::new();
        for dep in &change.dependencies {
            if !types.contains(&dep.type_name.as_str()) {
                continue;
            }
            for j in self
                .by_resource
                .get(&resource_level(dep))
                .into_iter()
                .flatten()
            {
                if *j != i && self.objs[*j].change.address.is_within(dep) && !found.contains(j) {
                    found.push(*j);
                }
            }
        }
        found
    }

    fn by_one_dependency(&self, i: usize, types: &[&str]) -> Option<usize> {
        let found = self.by_dependency(i, types);
        if found.len() == 1 {
            return Some(found[0]);
        }
        let key = &self.objs[i].change.address.key;
        let same_key: Vec<usize> = found
            .into_iter()
            .filter(|j| key.is_some() && self.objs[*j].change.address.key == *key)
            .collect();
        (same_key.len() == 1).then(|| same_key[0])
    }

    /// What attribute `attr` of object `i` refers to, among objects of `types`.
    pub fn resolve(&self, i: usize, attr: &str, types: &[&str]) -> Option<Target> {
        let sensitive = self.objs[i].is_sensitive(attr);
        match self.objs[i].value.get(attr).map(Value::unmarked) {
            // A sensitive identifier may name an object of this plan, but is never shown.
            Some(Value::String(id)) if sensitive => self.lookup(id, types).map(Target::Obj),
            Some(Value::String(id)) if !id.is_empty() => Some(
                self.lookup(id, types)
                    .map(Target::Obj)
                    .unwrap_or_else(|| Target::External(id.clone())),
            ),
            Some(Value::Unknown) => self.by_one_dependency(i, types).map(Target::Obj),
            _ => None,
        }
    }

    /// What a list attribute (`security_group_ids`) refers to. Unknown elements are
    /// resolved through dependencies (all of them: a list may name several).
    pub fn resolve_list(&self, i: usize, attr: &str, types: &[&str]) -> Vec<Target> {
        let mut out = Vec::new();
        let mut unknown = false;
        let sensitive = self.objs[i].is_sensitive(attr);
        match self.objs[i].value.get(attr).map(Value::unmarked) {
            Some(Value::List(items)) => {
                for item in items {
                    match item.unmarked() {
                        Value::String(id) if sensitive => {
                            out.extend(self.lookup(id, types).map(Target::Obj))
                        }
                        Value::String(id) => out.push(
                            self.lookup(id, types)
                                .map(Target::Obj)
                                .unwrap_or_else(|| Target::External(id.clone())),
                        ),
                        Value::Unknown => unknown = true,
                        _ => {}
                    }
                }
            }
            Some(Value::Unknown) => unknown = true,
            _ => {}
        }
        if unknown {
            for j in self.by_dependency(i, types) {
                if !out.contains(&Target::Obj(j)) {
                    out.push(Target::Obj(j));
                }
            }
        }
        out
    }

    pub fn target_key(&self, target: &Target) -> String {
        match target {
            Target::Obj(j) => self.objs[*j].address.clone(),
            Target::External(id) => format!("id:{}", normalize_id(id)),
        }
    }

    /// The network or service a target names, for people.
    pub fn endpoint(&self, target: &Target) -> Endpoint {
        match target {
            Target::Obj(j) => {
                let obj = &self.objs[*j];
                let label = if obj.type_name() == SERVICE {
                    service_label(obj)
                } else {
                    obj.str("name").map(str::to_string)
                };
                Endpoint {
                    key: obj.address.clone(),
                    label: label.unwrap_or_else(|| obj.address.clone()),
                    address: Some(obj.address.clone()),
                    account: obj.account(),
                }
            }
            Target::External(id) => Endpoint {
                key: self.target_key(target),
                label: normalize_id(id).to_string(),
                address: None,
                account: arn_account(id),
            },
        }
    }

    /// The client a VPC association makes: keyed by the association (a VPC has at most one),
    /// labelled with the VPC.
    fn client(&self, i: usize) -> Endpoint {
        let obj = &self.objs[i];
        let label = match obj.str("vpc_identifier") {
            Some(vpc) => vpc.to_string(),
            None => self
                .by_one_dependency(i, &[VPC])
                .map(|j| self.objs[j].address.clone())
                .unwrap_or_else(|| format!("the VPC of {}", obj.address)),
        };
        Endpoint {
            key: obj.address.clone(),
            label,
            address: Some(obj.address.clone()),
            account: obj.account(),
        }
    }

    /// The `auth_type` of a network or service: `Some("NONE")`, `Some("AWS_IAM")`, or `None`
    /// when unknown or outside this configuration.
    pub fn auth_type(&self, target: &Target) -> Option<&str> {
        match target {
            Target::Obj(j) => {
                let obj = &self.objs[*j];
                match obj.value.get("auth_type").map(Value::unmarked) {
                    _ if obj.is_sensitive("auth_type") => None,
                    Some(Value::String(s)) => Some(s.as_str()),
                    // The provider's default.
                    None | Some(Value::Null) => Some("NONE"),
                    _ => None,
                }
            }
            Target::External(_) => None,
        }
    }

    /// The auth policies attached to a target.
    pub fn policies_of(&self, target: &Target) -> &[usize] {
        self.policies
            .get(&self.target_key(target))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn policy_is_open(&self, p: usize) -> bool {
        self.objs[p]
            .str_unshown("policy")
            .is_some_and(policy::allows_any_principal_unconditionally)
    }

    pub fn gate(&self, target: &Target) -> Gate {
        match self.auth_type(target) {
            Some("NONE") => Gate::None,
            Some("AWS_IAM") => {
                let policies = self.policies_of(target);
                let looked_up = matches!(target, Target::Obj(j)
                    if self.objs[*j].change.address.mode != Mode::Managed);
                if policies.is_empty() && looked_up {
                    Gate::Outside
                } else if policies.is_empty() {
                    Gate::DenyAll
                } else if policies.iter().any(|p| self.policy_is_open(*p)) {
                    Gate::OpenPolicy
                } else {
                    Gate::Policy
                }
            }
            Some(_) => Gate::Unknown,
            None if matches!(target, Target::External(_)) => Gate::Outside,
            None => Gate::Unknown,
        }
    }

    /// The pairs this side makes reachable, and the number of references that could not be
    /// resolved.
    pub fn routes(&self) -> (Vec<Route>, usize) {
        let mut unresolved = 0;
        // Network key to (network target, clients, servers).
        let mut networks: BTreeMap<String, Members> = BTreeMap::new();
        for i in self.of_type(VPC_ASSOCIATION) {
            let Some(net) = self.resolve(i, "service_network_identifier", &[NETWORK]) else {
                unresolved += 1;
                continue;
            };
            let entry = networks
                .entry(self.target_key(&net))
                .or_insert_with(|| (net, Vec::new(), Vec::new()));
            entry.1.push(self.client(i));
        }
        for i in self.of_type(SERVICE_ASSOCIATION) {
            let net = self.resolve(i, "service_network_identifier", &[NETWORK]);
            let svc = self.resolve(i, "service_identifier", &[SERVICE]);
            let (Some(net), Some(svc)) = (net, svc) else {
                unresolved += 1;
                continue;
            };
            let server = self.endpoint(&svc);
            let entry = networks
                .entry(self.target_key(&net))
                .or_insert_with(|| (net, Vec::new(), Vec::new()));
            entry.2.push((svc, server));
        }
        let mut routes = Vec::new();
        for (net, clients, servers) in networks.values_mut() {
            // A network this configuration only references (shared from another account):
            // its other members are managed elsewhere, and still reach or are reached.
            let elsewhere = match net {
                Target::External(_) => true,
                Target::Obj(j) => self.objs[*j].change.address.mode != Mode::Managed,
            };
            if elsewhere && clients.is_empty() && !servers.is_empty() {
                clients.push(Endpoint {
                    key: format!("elsewhere:clients:{}", self.target_key(net)),
                    label: "any client VPC of the network (managed elsewhere)".to_string(),
                    address: None,
                    account: None,
                });
            }
            if elsewhere && servers.is_empty() && !clients.is_empty() {
                let key = format!("elsewhere:servers:{}", self.target_key(net));
                servers.push((
                    Target::External(key.clone()),
                    Endpoint {
                        key,
                        label: "any service of the network (managed elsewhere)".to_string(),
                        address: None,
                        account: None,
                    },
                ));
            }
            if clients.is_empty() || servers.is_empty() {
                continue;
            }
            let network = self.endpoint(net);
            let network_gate = self.gate(net);
            for (svc, server) in servers.iter() {
                let access = Access {
                    network: network_gate,
                    service: self.gate(svc),
                };
                for client in clients.iter() {
                    routes.push(Route {
                        network: network.clone(),
                        client: client.clone(),
                        server: server.clone(),
                        access,
                    });
                }
            }
        }
        routes.sort();
        routes.dedup();
        (routes, unresolved)
    }
}

/// A network, its clients and its servers.
type Members = (Target, Vec<Endpoint>, Vec<(Target, Endpoint)>);

/// A service's name for people: its custom domain, its Lattice DNS name, its name.
fn service_label(obj: &Obj<'_>) -> Option<String> {
    if let Some(domain) = obj.str("custom_domain_name").filter(|d| !d.is_empty()) {
        return Some(domain.to_string());
    }
    if obj.is_sensitive("dns_entry") {
        return obj.str("name").map(str::to_string);
    }
    let dns = obj.value.get("dns_entry").map(Value::unmarked);
    let entry = match dns {
        Some(Value::List(items)) => items.first(),
        Some(v @ Value::Map(_)) => Some(v),
        _ => None,
    };
    if let Some(name) = entry
        .and_then(|e| e.get("domain_name"))
        .and_then(|v| v.unmarked().as_str())
        .filter(|d| !d.is_empty())
    {
        return Some(name.to_string());
    }
    obj.str("name").map(str::to_string)
}

fn resource_level(address: &Address) -> String {
    Address {
        key: None,
        ..address.clone()
    }
    .to_string()
}
