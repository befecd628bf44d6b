//! The inline `ingress` and `egress` blocks of `aws_security_group`, as the Terraform AWS
//! provider has them (`from_port`, `to_port`, `protocol`, `cidr_blocks`, `ipv6_cidr_blocks`,
//! `prefix_list_ids`, `security_groups`, `self`, `description`).
//!
//! A block holds one protocol and port range and any number of sources; AWS holds one rule
//! per source. Both sides are compared as sets of those single rules ([`Atom`]s), so neither
//! the order of the blocks, nor how sources are grouped into blocks, nor the spelling of a
//! protocol (`-1` and `all`, `6` and `tcp`) makes a difference. With protocol `-1` the ports
//! are 0 (AWS reports none, or -1).
//!
//! A direction whose value is a list is managed exclusively: a rule that AWS has and the list
//! lacks is revoked, also when it was added outside trellis. A direction whose value is null
//! is not managed at all (the configuration had no such blocks), so that the
//! `aws_vpc_security_group_*_rule` resources can manage the group's rules instead.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, SecurityGroupRule, UserIdGroupPair,
};
use trellis_provider::{AttributeDiagnostic, ProviderError};
use trellis_types::{Path, PathStep, Value};

use super::{filter, no_retries, normal_protocol, policy};
use crate::sdk::clients::Clients;
use crate::sdk::convert::s;
use crate::sdk::error::{aws, invalid};
use crate::sdk::once;

/// The two inline block types, with whether each is egress.
pub const DIRECTIONS: [(&str, bool); 2] = [("ingress", false), ("egress", true)];

/// Where a single rule lets traffic come from (ingress) or go to (egress).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Ipv4(String),
    Ipv6(String),
    PrefixList(String),
    /// Another security group: `sg-...`, or `ACCOUNT/sg-...` for one of another account.
    Group(String),
    /// The group itself (`self = true`).
    SelfGroup,
}

/// One rule as AWS holds it: a protocol, a port range, one source and its description.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Atom {
    /// Normalized (`-1`, `tcp`, `udp`, `icmp`, `icmpv6`, or a number).
    pub protocol: String,
    pub from: i64,
    pub to: i64,
    pub source: Source,
    pub description: Option<String>,
}

/// Who the group is, to recognize `self` and this account's own groups in references.
#[derive(Debug, Clone, Copy, Default)]
pub struct Owner<'a> {
    pub group_id: Option<&'a str>,
    pub account: Option<&'a str>,
}

impl Owner<'_> {
    fn group(&self, reference: &str) -> Source {
        let (account, id) = match reference.split_once('/') {
            Some((account, id)) => (Some(account), id),
            None => (None, reference),
        };
        if self.group_id == Some(id) {
            return Source::SelfGroup;
        }
        match account {
            Some(a) if Some(a) != self.account => Source::Group(format!("{a}/{id}")),
            _ => Source::Group(id.to_string()),
        }
    }
}

fn number(block: &Value, key: &str) -> Option<i64> {
    block.get(key).and_then(Value::as_number).map(|n| n as i64)
}

fn strings<'a>(block: &'a Value, key: &str) -> Vec<&'a str> {
    block
        .get(key)
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

/// The single rules of a list of blocks; `None` when the value is not a known list (null:
/// not managed; unknown: known only after apply) or a block has an unknown part.
pub fn atoms(blocks: &Value, owner: Owner<'_>) -> Option<BTreeSet<Atom>> {
    if blocks.contains_unknown() {
        return None;
    }
    let mut out = BTreeSet::new();
    for block in blocks.as_list()? {
        let protocol = normal_protocol(&s(block, "protocol")?);
        let (from, to) = if protocol == "-1" {
            (0, 0)
        } else {
            (number(block, "from_port")?, number(block, "to_port")?)
        };
        let description = s(block, "description").filter(|d| !d.is_empty());
        let mut sources: Vec<Source> = Vec::new();
        sources.extend(
            strings(block, "cidr_blocks")
                .into_iter()
                .map(|c| Source::Ipv4(c.to_string())),
        );
        sources.extend(
            strings(block, "ipv6_cidr_blocks")
                .into_iter()
                .map(|c| Source::Ipv6(c.to_string())),
        );
        sources.extend(
            strings(block, "prefix_list_ids")
                .into_iter()
                .map(|p| Source::PrefixList(p.to_string())),
        );
        sources.extend(
            strings(block, "security_groups")
                .into_iter()
                .map(|g| owner.group(g)),
        );
        if block.get("self").and_then(Value::as_bool) == Some(true) {
            sources.push(Source::SelfGroup);
        }
        for source in sources {
            out.insert(Atom {
                protocol: protocol.clone(),
                from,
                to,
                source,
                description: description.clone(),
            });
        }
    }
    Some(out)
}

/// Plan-time checks of the blocks of both directions (known values only).
pub fn validate(config: &Value, out: &mut Vec<AttributeDiagnostic>) {
    for (direction, _) in DIRECTIONS {
        let Some(blocks) = config.get(direction).and_then(Value::as_list) else {
            continue;
        };
        for (i, block) in blocks.iter().enumerate() {
            let at = |key: &str| {
                Path::from_keys([direction])
                    .child(PathStep::Index(i))
                    .key(key)
            };
            let protocol = block.get("protocol").and_then(Value::as_str);
            if protocol.is_some_and(|p| normal_protocol(p) == "-1") {
                for key in ["from_port", "to_port"] {
                    if let Some(port) = number(block, key).filter(|p| *p != 0) {
                        out.push(AttributeDiagnostic::error(
                            at(key),
                            format!(
                                "{key} {port} is set but protocol {:?} means every port; \
                                 from_port and to_port must both be 0",
                                protocol.unwrap_or_default()
                            ),
                        ));
                    }
                }
            } else {
                for key in ["from_port", "to_port"] {
                    if let Some(port) = number(block, key).filter(|p| !(-1..=65535).contains(p)) {
                        out.push(AttributeDiagnostic::error(
                            at(key),
                            format!("{key} {port} is out of range -1 to 65535"),
                        ));
                    }
                }
            }
            let source_keys = [
                "cidr_blocks",
                "ipv6_cidr_blocks",
                "prefix_list_ids",
                "security_groups",
                "self",
            ];
            if source_keys
                .iter()
                .any(|k| block.get(k).is_some_and(Value::contains_unknown))
            {
                continue;
            }
            let has_source = source_keys[..4]
                .iter()
                .any(|k| !strings(block, k).is_empty())
                || block.get("self").and_then(Value::as_bool) == Some(true);
            if !has_source {
                out.push(AttributeDiagnostic::error(
                    at("cidr_blocks"),
                    format!(
                        "an {direction} block needs a source: cidr_blocks, ipv6_cidr_blocks, \
                         prefix_list_ids, security_groups or self = true"
                    ),
                ));
            }
        }
    }
}

/// One block per protocol, port range and description, with its sources sorted; the blocks in
/// the canonical order of a set.
pub fn blocks_of(rules: &[(Atom, String)]) -> Value {
    type Key = (String, i64, i64, Option<String>);
    let mut groups: BTreeMap<Key, Vec<&Source>> = BTreeMap::new();
    for (atom, spelled) in rules {
        groups
            .entry((
                spelled.clone(),
                atom.from,
                atom.to,
                atom.description.clone(),
            ))
            .or_default()
            .push(&atom.source);
    }
    let mut blocks: Vec<Value> = groups
        .into_iter()
        .map(|((protocol, from, to, description), sources)| {
            let pick = |f: fn(&Source) -> Option<&String>| {
                let mut items: Vec<&String> = sources.iter().filter_map(|s| f(s)).collect();
                items.sort();
                items.dedup();
                Value::List(items.into_iter().map(Value::string).collect())
            };
            Value::object([
                ("protocol", Value::string(protocol)),
                ("from_port", Value::Number(from as f64)),
                ("to_port", Value::Number(to as f64)),
                (
                    "cidr_blocks",
                    pick(|s| match s {
                        Source::Ipv4(c) => Some(c),
                        _ => None,
                    }),
                ),
                (
                    "ipv6_cidr_blocks",
                    pick(|s| match s {
                        Source::Ipv6(c) => Some(c),
                        _ => None,
                    }),
                ),
                (
                    "prefix_list_ids",
                    pick(|s| match s {
                        Source::PrefixList(p) => Some(p),
                        _ => None,
                    }),
                ),
                (
                    "security_groups",
                    pick(|s| match s {
                        Source::Group(g) => Some(g),
                        _ => None,
                    }),
                ),
                (
                    "self",
                    Value::Bool(sources.iter().any(|s| **s == Source::SelfGroup)),
                ),
                (
                    "description",
                    description.map(Value::string).unwrap_or(Value::Null),
                ),
            ])
        })
        .collect();
    blocks.sort_by_key(|v| v.to_string());
    Value::List(blocks)
}

/// A rule as AWS reports it, as an [`Atom`] plus the protocol as AWS spells it.
fn atom_of(r: &SecurityGroupRule, group: &str) -> (Atom, String) {
    let spelled = r.ip_protocol().unwrap_or("-1").to_string();
    let protocol = normal_protocol(&spelled);
    let (from, to) = if protocol == "-1" {
        (0, 0)
    } else {
        (
            i64::from(r.from_port().unwrap_or(-1)),
            i64::from(r.to_port().unwrap_or(-1)),
        )
    };
    let source = if let Some(c) = r.cidr_ipv4() {
        Source::Ipv4(c.to_string())
    } else if let Some(c) = r.cidr_ipv6() {
        Source::Ipv6(c.to_string())
    } else if let Some(p) = r.prefix_list_id() {
        Source::PrefixList(p.to_string())
    } else {
        let info = r.referenced_group_info();
        let id = info.and_then(|g| g.group_id()).unwrap_or_default();
        let user = info.and_then(|g| g.user_id());
        if id == group {
            Source::SelfGroup
        } else {
            match user {
                Some(u) if Some(u) != r.group_owner_id() => Source::Group(format!("{u}/{id}")),
                _ => Source::Group(id.to_string()),
            }
        }
    };
    let spelled = if protocol == "-1" {
        "-1".to_string()
    } else {
        spelled
    };
    (
        Atom {
            protocol,
            from,
            to,
            source,
            description: r
                .description()
                .filter(|d| !d.is_empty())
                .map(str::to_string),
        },
        spelled,
    )
}

/// The group's rules of one direction: each as an atom, with its protocol as AWS spells it
/// and its rule ID.
async fn current(
    c: &Clients,
    group: &str,
    egress: bool,
) -> Result<Vec<(Atom, String, String)>, ProviderError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let o = c
            .ec2
            .describe_security_group_rules()
            .filters(filter("group-id", &[group]))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(aws)?;
        for r in o.security_group_rules() {
            if r.is_egress() != Some(egress) || r.group_id() != Some(group) {
                continue;
            }
            let (atom, spelled) = atom_of(r, group);
            let id = r.security_group_rule_id().unwrap_or_default().to_string();
            out.push((atom, spelled, id));
        }
        match o.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Sets `ingress` and `egress` of a group's value read from AWS: for each direction that
/// `shape` manages (a list), the rules AWS has, written as `shape` writes them when they are
/// the same set, else grouped by [`blocks_of`]; null for a direction not managed.
pub async fn fill(
    c: &Clients,
    value: &mut Value,
    shape: &Value,
    account: Option<&str>,
) -> Result<(), ProviderError> {
    let Some(group) = s(value, "id") else {
        return Ok(());
    };
    let owner = Owner {
        group_id: Some(&group),
        account,
    };
    for (direction, egress) in DIRECTIONS {
        let wanted = shape.get(direction).filter(|v| v.as_list().is_some());
        let filled = match wanted {
            None => Value::Null,
            Some(wanted) => {
                let rules = current(c, &group, egress).await?;
                let have: BTreeSet<Atom> = rules.iter().map(|(a, ..)| a.clone()).collect();
                if atoms(wanted, owner).as_ref() == Some(&have) {
                    wanted.clone()
                } else {
                    let pairs: Vec<(Atom, String)> = rules
                        .into_iter()
                        .map(|(a, spelled, _)| (a, spelled))
                        .collect();
                    blocks_of(&pairs)
                }
            }
        };
        value.set_path(&Path::from_keys([direction]), filled);
    }
    Ok(())
}

fn permission(atom: &Atom, group: &str) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(&atom.protocol);
    if atom.protocol != "-1" {
        p = p.from_port(atom.from as i32).to_port(atom.to as i32);
    }
    let description = atom.description.clone();
    match &atom.source {
        Source::Ipv4(cidr) => p.ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .set_description(description)
                .build(),
        ),
        Source::Ipv6(cidr) => p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(cidr)
                .set_description(description)
                .build(),
        ),
        Source::PrefixList(list) => p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(list)
                .set_description(description)
                .build(),
        ),
        Source::Group(reference) => {
            let (user, id) = match reference.split_once('/') {
                Some((user, id)) => (Some(user.to_string()), id),
                None => (None, reference.as_str()),
            };
            p.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(id)
                    .set_user_id(user)
                    .set_description(description)
                    .build(),
            )
        }
        Source::SelfGroup => p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(group)
                .set_description(description)
                .build(),
        ),
    }
    .build()
}

/// Makes the group's rules of one direction exactly `wanted` (a list of blocks): revokes the
/// rules it lacks (those added outside trellis too), then authorizes the missing ones. Revoking
/// first lets a rule whose description changed be replaced (AWS refuses a second rule that
/// differs only in its description).
pub async fn reconcile(
    c: &Clients,
    group: &str,
    account: Option<&str>,
    egress: bool,
    wanted: &Value,
) -> Result<(), ProviderError> {
    let owner = Owner {
        group_id: Some(group),
        account,
    };
    let want = atoms(wanted, owner).ok_or_else(|| {
        invalid(format!(
            "the {} rules of {group} are not known at apply time",
            if egress { "egress" } else { "ingress" }
        ))
    })?;
    let have = current(c, group, egress).await?;
    let stale: Vec<String> = have
        .iter()
        .filter(|(a, ..)| !want.contains(a))
        .map(|(.., id)| id.clone())
        .collect();
    revoke_rules(c, group, egress, stale).await?;
    let present: BTreeSet<&Atom> = have.iter().map(|(a, ..)| a).collect();
    let missing: Vec<IpPermission> = want
        .iter()
        .filter(|a| !present.contains(a))
        .map(|a| permission(a, group))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // One authorize adds all of them or none: after an answer that may follow a performed
    // call, they are there if every wanted rule is.
    let done = || async {
        let now = current(c, group, egress).await?;
        let now: BTreeSet<&Atom> = now.iter().map(|(a, ..)| a).collect();
        Ok(want.iter().all(|a| now.contains(a)).then_some(()))
    };
    if egress {
        once::create(
            policy(c),
            || {
                c.ec2
                    .authorize_security_group_egress()
                    .group_id(group)
                    .set_ip_permissions(Some(missing.clone()))
                    .customize()
                    .config_override(no_retries())
                    .send()
            },
            done,
        )
        .await?;
    } else {
        once::create(
            policy(c),
            || {
                c.ec2
                    .authorize_security_group_ingress()
                    .group_id(group)
                    .set_ip_permissions(Some(missing.clone()))
                    .customize()
                    .config_override(no_retries())
                    .send()
            },
            done,
        )
        .await?;
    }
    Ok(())
}

/// At plan time: a direction the configuration leaves out keeps its prior value (null on a
/// create: not managed); a managed direction whose rules are the same set as the prior's
/// keeps the prior's spelling, so that order, grouping and protocol spellings plan no change.
pub fn plan_change(config: &Value, prior: Option<&Value>, planned: &mut Value) {
    let owner = Owner {
        group_id: prior.and_then(|p| p.get("id")).and_then(Value::as_str),
        account: prior
            .and_then(|p| p.get("owner_id"))
            .and_then(Value::as_str),
    };
    for (direction, _) in DIRECTIONS {
        let configured = config.get(direction).unwrap_or(&Value::Null);
        let before = prior.and_then(|p| p.get(direction));
        let planned_value = match (configured.is_null(), before) {
            (true, Some(before)) => before.clone(),
            (true, None) => Value::Null,
            (false, Some(before)) => {
                let now = planned.get(direction).cloned().unwrap_or(Value::Null);
                match (atoms(&now, owner), atoms(before, owner)) {
                    (Some(a), Some(b)) if a == b => before.clone(),
                    _ => now,
                }
            }
            (false, None) => continue,
        };
        planned.set_path(&Path::from_keys([direction]), planned_value);
    }
}

/// Revokes the rules `ids` (all of one direction) of `group`; nothing when there are none.
pub(crate) async fn revoke_rules(
    c: &Clients,
    group: &str,
    egress: bool,
    ids: Vec<String>,
) -> Result<(), ProviderError> {
    match revoke(c, group, egress, ids.clone()).await {
        // A rule is already gone: the SDK retried a revoke that was performed, or someone
        // removed it meanwhile. AWS refused the whole batch, so revoke those still there.
        Err(e) if e.code.as_deref() == Some("InvalidPermission.NotFound") => {
            let o = c
                .ec2
                .describe_security_group_rules()
                .filters(filter("group-id", &[group]))
                .send()
                .await
                .map_err(aws)?;
            let left: Vec<String> = o
                .security_group_rules()
                .iter()
                .filter_map(|r| r.security_group_rule_id())
                .filter(|id| ids.iter().any(|x| x == id))
                .map(str::to_string)
                .collect();
            revoke(c, group, egress, left).await
        }
        other => other,
    }
}

async fn revoke(
    c: &Clients,
    group: &str,
    egress: bool,
    ids: Vec<String>,
) -> Result<(), ProviderError> {
    if ids.is_empty() {
        return Ok(());
    }
    if egress {
        c.ec2
            .revoke_security_group_egress()
            .group_id(group)
            .set_security_group_rule_ids(Some(ids))
            .send()
            .await
            .map_err(aws)?;
    } else {
        c.ec2
            .revoke_security_group_ingress()
            .group_id(group)
            .set_security_group_rule_ids(Some(ids))
            .send()
            .await
            .map_err(aws)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(protocol: &str, from: i64, to: i64, cidrs: &[&str]) -> Value {
        Value::object([
            ("protocol", Value::string(protocol)),
            ("from_port", Value::Number(from as f64)),
            ("to_port", Value::Number(to as f64)),
            (
                "cidr_blocks",
                Value::List(cidrs.iter().map(|c| Value::string(*c)).collect()),
            ),
        ])
    }

    #[test]
    fn grouping_order_and_protocol_spelling_do_not_matter() {
        let one = Value::List(vec![
            block("tcp", 443, 443, &["10.0.0.0/8", "10.1.0.0/16"]),
            block("all", 0, 0, &["10.2.0.0/16"]),
        ]);
        let other = Value::List(vec![
            block("-1", 0, 0, &["10.2.0.0/16"]),
            block("6", 443, 443, &["10.1.0.0/16"]),
            block("TCP", 443, 443, &["10.0.0.0/8"]),
        ]);
        let owner = Owner::default();
        assert_eq!(atoms(&one, owner), atoms(&other, owner));
        assert_eq!(atoms(&one, owner).unwrap().len(), 3);
        let changed = Value::List(vec![block("tcp", 443, 443, &["10.0.0.0/8"])]);
        assert_ne!(atoms(&one, owner), atoms(&changed, owner));
    }

    #[test]
    fn self_and_own_account_references_are_the_same_rule() {
        let owner = Owner {
            group_id: Some("sg-1"),
            account: Some("111111111111"),
        };
        assert_eq!(owner.group("sg-1"), Source::SelfGroup);
        assert_eq!(
            owner.group("111111111111/sg-2"),
            Source::Group("sg-2".into())
        );
        assert_eq!(
            owner.group("222222222222/sg-3"),
            Source::Group("222222222222/sg-3".into())
        );
    }

    #[test]
    fn blocks_of_round_trips_as_a_set() {
        let blocks = Value::List(vec![
            block("tcp", 443, 443, &["10.0.0.0/8", "10.1.0.0/16"]),
            block("-1", 0, 0, &["10.2.0.0/16"]),
        ]);
        let owner = Owner::default();
        let set = atoms(&blocks, owner).unwrap();
        let pairs: Vec<(Atom, String)> = set
            .iter()
            .map(|a| (a.clone(), a.protocol.clone()))
            .collect();
        let back = blocks_of(&pairs);
        assert_eq!(back.as_list().unwrap().len(), 2);
        assert_eq!(atoms(&back, owner).unwrap(), set);
    }

    #[test]
    fn unmanaged_directions_keep_the_prior_and_creates_are_null() {
        let config = Value::object([("ingress", Value::Null)]);
        let mut planned = Value::object([("ingress", Value::Unknown)]);
        plan_change(&config, None, &mut planned);
        assert_eq!(planned.get("ingress"), Some(&Value::Null));
        assert_eq!(planned.get("egress"), Some(&Value::Null));

        let prior = Value::object([
            ("id", Value::string("sg-1")),
            (
                "ingress",
                Value::List(vec![block("tcp", 80, 80, &["10.0.0.0/8"])]),
            ),
        ]);
        let mut planned = Value::object([("ingress", Value::Null)]);
        plan_change(&config, Some(&prior), &mut planned);
        assert_eq!(planned.get("ingress"), prior.get("ingress"));
    }

    #[test]
    fn validation_names_the_block() {
        let config = Value::object([(
            "ingress",
            Value::List(vec![
                block("-1", 0, 443, &["10.0.0.0/8"]),
                block("tcp", 80, 80, &[]),
            ]),
        )]);
        let mut out = Vec::new();
        validate(&config, &mut out);
        let paths: Vec<String> = out.iter().map(|d| d.path.to_string()).collect();
        assert_eq!(
            paths,
            vec!["ingress[0].to_port", "ingress[1].cidr_blocks"],
            "{out:?}"
        );
    }
}
