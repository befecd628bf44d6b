//! Shared by the reliability tests that run the flagship example, `examples/seed-mesh`
//! (optionally scaled with more services), against the emulator acting as its four
//! accounts: the configuration, and a census of everything the four accounts hold, read
//! with the AWS SDKs as each account, compared with what the configuration declares (by
//! account, kind and name: a duplicate is a name seen twice, an orphan a name not declared)
//! and with the state (by ID).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use trellis_emulator::Emulator;

pub const NETWORK: &str = "111111111111";
pub const SERVICE_A: &str = "222222222222";
pub const SERVICE_B: &str = "333333333333";
pub const SERVICE_C: &str = "444444444444";
pub const ACCOUNTS: [&str; 4] = [NETWORK, SERVICE_A, SERVICE_B, SERVICE_C];
pub const REGION: &str = "us-east-1";
pub const DOMAIN: &str = "mesh.internal";

/// Writes the seed mesh into `dir`: the example's files as they are, with `max_retries`
/// kept and, when `trial` is given, a `trial` tag added to every provider's
/// `default_tags`; and, when `extra` > 0, a file of `extra` more services (half in service
/// B's account, half in C's), each with a target group, a target, a listener, its
/// association with the shared network and a record in the zones of A and C.
pub fn write_seed_mesh(dir: &Path, trial: Option<u64>, extra: usize) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/seed-mesh");
    for entry in std::fs::read_dir(&from).expect("example dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            let mut text = std::fs::read_to_string(&path).expect("read example");
            if let Some(trial) = trial {
                let tagged = text.replace(
                    "example = \"seed-mesh\",",
                    &format!("example = \"seed-mesh\", trial = \"{trial}\","),
                );
                if path.file_name().is_some_and(|n| n == "providers.tf") {
                    assert_ne!(tagged, text, "providers.tf has default_tags to extend");
                }
                text = tagged;
            }
            std::fs::write(dir.join(path.file_name().unwrap()), text).expect("write");
        }
    }
    if extra > 0 {
        std::fs::write(dir.join("extra-services.tf"), extra_services(extra)).expect("write");
    }
}

/// The names of the extra services: `b00`, `b01`, ... in B, `c00`, ... in C.
pub fn extra_names(extra: usize) -> (Vec<String>, Vec<String>) {
    let b = (0..extra.div_ceil(2)).map(|i| format!("b{i:02}")).collect();
    let c = (0..extra / 2).map(|i| format!("c{i:02}")).collect();
    (b, c)
}

fn extra_services(extra: usize) -> String {
    let (b, c) = extra_names(extra);
    let mut text = format!(
        "# {extra} more services for the reliability tests: eight resources each.\n\n\
         locals {{\n  extra_b = {{ for i in range({}) : format(\"b%02d\", i) => i }}\n  \
         extra_c = {{ for i in range({}) : format(\"c%02d\", i) => i }}\n  \
         extra   = merge(aws_vpclattice_service.extra_b, aws_vpclattice_service.extra_c)\n}}\n",
        b.len(),
        c.len()
    );
    for (x, net) in [("b", "2"), ("c", "3")] {
        text.push_str(&format!(
            r#"
resource "aws_vpclattice_service" "extra_{x}" {{
  provider           = aws.service_{x}
  for_each           = local.extra_{x}
  name               = "extra-${{each.key}}"
  auth_type          = "AWS_IAM"
  custom_domain_name = "${{each.key}}.${{var.domain}}"
}}

resource "aws_vpclattice_target_group" "extra_{x}" {{
  provider = aws.service_{x}
  for_each = local.extra_{x}
  name     = "extra-${{each.key}}"
  type     = "IP"
  config {{
    vpc_identifier = aws_vpc.{x}.id
    port           = 8080
    protocol       = "HTTP"
  }}
}}

resource "aws_vpclattice_target_group_attachment" "extra_{x}" {{
  provider                = aws.service_{x}
  for_each                = local.extra_{x}
  target_group_identifier = aws_vpclattice_target_group.extra_{x}[each.key].id
  target {{
    id   = "10.{net}.1.${{20 + each.value}}"
    port = 8080
  }}
}}

resource "aws_vpclattice_listener" "extra_{x}" {{
  provider           = aws.service_{x}
  for_each           = local.extra_{x}
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.extra_{x}[each.key].id
  default_action {{
    forward {{
      target_groups {{
        target_group_identifier = aws_vpclattice_target_group.extra_{x}[each.key].id
      }}
    }}
  }}
}}

resource "aws_vpclattice_listener_rule" "extra_{x}" {{
  provider            = aws.service_{x}
  for_each            = local.extra_{x}
  name                = "health"
  service_identifier  = aws_vpclattice_service.extra_{x}[each.key].id
  listener_identifier = aws_vpclattice_listener.extra_{x}[each.key].listener_id
  priority            = 10
  match {{
    http_match {{
      path_match {{
        case_sensitive = false
        match {{
          prefix = "/health"
        }}
      }}
    }}
  }}
  action {{
    fixed_response {{
      status_code = 200
    }}
  }}
}}

resource "aws_vpclattice_service_network_service_association" "extra_{x}" {{
  provider                   = aws.service_{x}
  for_each                   = local.extra_{x}
  service_identifier         = aws_vpclattice_service.extra_{x}[each.key].arn
  service_network_identifier = local.shared_network_arn
  depends_on                 = [aws_ram_resource_share_accepter.service_{x}]
}}
"#
        ));
    }
    text.push_str(
        r#"
resource "aws_route53_record" "extra_a" {
  provider = aws.service_a
  for_each = local.extra
  zone_id  = aws_route53_zone.a.zone_id
  name     = each.value.custom_domain_name
  type     = "CNAME"
  ttl      = 300
  records  = [each.value.dns_entry[0].domain_name]
}

resource "aws_route53_record" "extra_c" {
  provider = aws.service_c
  for_each = local.extra
  zone_id  = aws_route53_zone.c.zone_id
  name     = each.value.custom_domain_name
  type     = "A"
  alias {
    name                   = each.value.dns_entry[0].domain_name
    zone_id                = each.value.dns_entry[0].hosted_zone_id
    evaluate_target_health = false
  }
}
"#,
    );
    text
}

/// How many resources (managed instances) the seed mesh with `extra` services declares.
pub fn resource_count(extra: usize) -> usize {
    expected(extra)
        .iter()
        .filter(|(_, kind, _)| state_type(kind).is_some())
        .count()
}

/// One object an account holds.
#[derive(Debug, Clone)]
pub struct Object {
    pub account: String,
    pub kind: &'static str,
    /// What identifies it in the mesh: its name, or for unnamed objects what it joins.
    pub name: String,
    /// The ID trellis keeps in state for it: Terraform's ID of the resource type.
    pub id: String,
    /// Its tags, for the kinds that carry the provider's `default_tags`.
    pub tags: Option<BTreeMap<String, String>>,
}

/// The trellis resource type whose state IDs the objects of `kind` are, if any (the
/// accepted invitation is checked by name only).
pub fn state_type(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "service network" => "aws_vpclattice_service_network",
        "auth policy" => "aws_vpclattice_auth_policy",
        "service" => "aws_vpclattice_service",
        "target group" => "aws_vpclattice_target_group",
        "target" => "aws_vpclattice_target_group_attachment",
        "listener" => "aws_vpclattice_listener",
        "rule" => "aws_vpclattice_listener_rule",
        "service association" => "aws_vpclattice_service_network_service_association",
        "vpc association" => "aws_vpclattice_service_network_vpc_association",
        "resource share" => "aws_ram_resource_share",
        "shared resource" => "aws_ram_resource_association",
        "share principal" => "aws_ram_principal_association",
        "accepted share" => "aws_ram_resource_share_accepter",
        "vpc" => "aws_vpc",
        "subnet" => "aws_subnet",
        "security group" => "aws_security_group",
        "ingress rule" => "aws_vpc_security_group_ingress_rule",
        "egress rule" => "aws_vpc_security_group_egress_rule",
        "hosted zone" => "aws_route53_zone",
        "record" => "aws_route53_record",
        _ => return None,
    })
}

/// What the seed mesh with `extra` services declares: (account, kind, name).
pub fn expected(extra: usize) -> Vec<(String, &'static str, String)> {
    let mut out = Vec::new();
    let mut add = |account: &str, kind: &'static str, name: &str| {
        out.push((account.to_string(), kind, name.to_string()));
    };
    add(NETWORK, "service network", "seed-mesh");
    add(NETWORK, "auth policy", "seed-mesh");
    add(NETWORK, "resource share", "seed-mesh");
    add(NETWORK, "shared resource", "seed-mesh");
    for principal in [SERVICE_A, SERVICE_B, SERVICE_C] {
        add(NETWORK, "share principal", principal);
    }
    let (b, c) = extra_names(extra);
    let mut served: Vec<String> = vec!["b".into(), "c".into()];
    served.extend(b.iter().chain(&c).cloned());
    for (account, x) in [(SERVICE_A, "a"), (SERVICE_B, "b"), (SERVICE_C, "c")] {
        add(account, "accepted share", "seed-mesh");
        add(account, "vpc", &format!("service-{x}"));
        add(account, "subnet", &format!("service-{x}"));
    }
    // Service A: a client.
    add(SERVICE_A, "security group", "service-a-lattice-clients");
    add(SERVICE_A, "ingress rule", "service-a-lattice-clients/80");
    add(SERVICE_A, "egress rule", "service-a-lattice-clients/80");
    add(SERVICE_A, "vpc association", "service-a");
    add(SERVICE_A, "hosted zone", DOMAIN);
    // Service B: a server with two targets.
    add(SERVICE_B, "security group", "service-b-targets");
    add(SERVICE_B, "ingress rule", "service-b-targets/8080");
    add(SERVICE_B, "service", "service-b");
    add(SERVICE_B, "target group", "service-b");
    add(SERVICE_B, "target", "service-b/10.2.1.10");
    add(SERVICE_B, "target", "service-b/10.2.1.11");
    add(SERVICE_B, "listener", "service-b/http");
    add(SERVICE_B, "service association", "service-b");
    // Service C: both.
    add(SERVICE_C, "security group", "service-c-targets");
    add(SERVICE_C, "ingress rule", "service-c-targets/8080");
    add(SERVICE_C, "security group", "service-c-lattice-clients");
    add(SERVICE_C, "ingress rule", "service-c-lattice-clients/80");
    add(SERVICE_C, "service", "service-c");
    add(SERVICE_C, "target group", "service-c");
    add(SERVICE_C, "target", "service-c/10.3.1.10");
    add(SERVICE_C, "listener", "service-c/http");
    add(SERVICE_C, "service association", "service-c");
    add(SERVICE_C, "vpc association", "service-c");
    add(SERVICE_C, "hosted zone", DOMAIN);
    for (account, names, net) in [(SERVICE_B, &b, "2"), (SERVICE_C, &c, "3")] {
        for (i, x) in names.iter().enumerate() {
            let name = format!("extra-{x}");
            add(account, "service", &name);
            add(account, "target group", &name);
            add(account, "target", &format!("{name}/10.{net}.1.{}", 20 + i));
            add(account, "listener", &format!("{name}/http"));
            add(account, "rule", &format!("{name}/http/health"));
            add(account, "service association", &name);
        }
    }
    for s in &served {
        add(SERVICE_A, "record", &format!("{s}.{DOMAIN}/CNAME"));
        add(SERVICE_C, "record", &format!("{s}.{DOMAIN}/A"));
    }
    out
}

/// Kinds whose objects must carry the provider's `default_tags`.
pub const TAGGED: [&str; 10] = [
    "service network",
    "service",
    "target group",
    "listener",
    "rule",
    "service association",
    "vpc association",
    "resource share",
    "vpc",
    "security group",
];

type Res<T> = Result<T, String>;

fn err(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

fn tag_map<'a>(
    pairs: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string())))
        .collect()
}

/// Everything the four accounts hold, by the kinds of the seed mesh (default VPCs, default
/// security groups, a zone's NS and SOA records and the Lattice default rules excluded:
/// AWS makes those).
pub async fn census(emulator: &Emulator) -> Res<Vec<Object>> {
    let mut out = Vec::new();
    let mut vpc_names: BTreeMap<String, String> = BTreeMap::new();
    for account in ACCOUNTS {
        let config = emulator.sdk_config(account, REGION).await.map_err(err)?;
        ec2_census(
            account,
            &aws_sdk_ec2::Client::new(&config),
            &mut out,
            &mut vpc_names,
        )
        .await?;
    }
    for account in ACCOUNTS {
        let config = emulator.sdk_config(account, REGION).await.map_err(err)?;
        lattice_census(
            account,
            &aws_sdk_vpclattice::Client::new(&config),
            &vpc_names,
            &mut out,
        )
        .await?;
        ram_census(account, &aws_sdk_ram::Client::new(&config), &mut out).await?;
        route53_census(account, &aws_sdk_route53::Client::new(&config), &mut out).await?;
    }
    Ok(out)
}

async fn ec2_census(
    account: &str,
    ec2: &aws_sdk_ec2::Client,
    out: &mut Vec<Object>,
    vpc_names: &mut BTreeMap<String, String>,
) -> Res<()> {
    let push = |out: &mut Vec<Object>, kind, name: String, id: &str, tags| {
        out.push(Object {
            account: account.to_string(),
            kind,
            name,
            id: id.to_string(),
            tags,
        })
    };
    let vpcs = ec2.describe_vpcs().send().await.map_err(err)?;
    let mut ours = BTreeSet::new();
    for v in vpcs.vpcs() {
        if v.is_default() == Some(true) {
            continue;
        }
        let tags = tag_map(v.tags().iter().map(|t| (t.key(), t.value())));
        let name = tags.get("Name").cloned().unwrap_or_default();
        let id = v.vpc_id().unwrap_or_default();
        ours.insert(id.to_string());
        vpc_names.insert(id.to_string(), name.clone());
        push(out, "vpc", name, id, Some(tags));
    }
    let subnets = ec2.describe_subnets().send().await.map_err(err)?;
    for s in subnets.subnets() {
        let vpc = s.vpc_id().unwrap_or_default();
        if !ours.contains(vpc) {
            continue;
        }
        let tags = tag_map(s.tags().iter().map(|t| (t.key(), t.value())));
        push(
            out,
            "subnet",
            vpc_names[vpc].clone(),
            s.subnet_id().unwrap_or_default(),
            Some(tags),
        );
    }
    let groups = ec2.describe_security_groups().send().await.map_err(err)?;
    let mut group_names = BTreeMap::new();
    for g in groups.security_groups() {
        if g.group_name() == Some("default") {
            continue;
        }
        let id = g.group_id().unwrap_or_default();
        let name = g.group_name().unwrap_or_default().to_string();
        group_names.insert(id.to_string(), name.clone());
        let tags = tag_map(g.tags().iter().map(|t| (t.key(), t.value())));
        push(out, "security group", name, id, Some(tags));
    }
    let rules = ec2
        .describe_security_group_rules()
        .send()
        .await
        .map_err(err)?;
    for r in rules.security_group_rules() {
        let Some(group) = r.group_id().and_then(|g| group_names.get(g)) else {
            continue;
        };
        let kind = if r.is_egress() == Some(true) {
            "egress rule"
        } else {
            "ingress rule"
        };
        let port = r.from_port().unwrap_or(-1);
        push(
            out,
            kind,
            format!("{group}/{port}"),
            r.security_group_rule_id().unwrap_or_default(),
            None,
        );
    }
    Ok(())
}

async fn lattice_tags(
    client: &aws_sdk_vpclattice::Client,
    arn: &str,
) -> Res<Option<BTreeMap<String, String>>> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| format!("tags of {arn}: {e:?}"))?;
    Ok(Some(
        out.tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    ))
}

async fn lattice_census(
    account: &str,
    client: &aws_sdk_vpclattice::Client,
    vpc_names: &BTreeMap<String, String>,
    out: &mut Vec<Object>,
) -> Res<()> {
    let obj = |kind, name: String, id: &str, tags| Object {
        account: account.to_string(),
        kind,
        name,
        id: id.to_string(),
        tags,
    };
    let networks = client
        .list_service_networks()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(err)?;
    for n in networks {
        // Listed by the network's owner only; the accounts it is shared with see it too.
        if !n
            .arn()
            .unwrap_or_default()
            .contains(&format!(":{account}:"))
        {
            continue;
        }
        let (id, arn, name) = (
            n.id().unwrap_or_default(),
            n.arn().unwrap_or_default(),
            n.name().unwrap_or_default().to_string(),
        );
        out.push(obj(
            "service network",
            name.clone(),
            id,
            lattice_tags(client, arn).await?,
        ));
        // Only "no policy" means no policy: any other read error fails the census, so that a
        // broken read cannot hide an orphan policy.
        match client
            .get_auth_policy()
            .resource_identifier(id)
            .send()
            .await
        {
            Ok(p) if p.policy().is_some_and(|p| !p.is_empty()) => {
                out.push(obj("auth policy", name.clone(), arn, None));
            }
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(e) => return Err(format!("auth policy of {id}: {}", err(e))),
        }
        // Associations are listed by the network's owner and attributed to their makers.
        let services = client
            .list_service_network_service_associations()
            .service_network_identifier(id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err)?;
        for a in services {
            out.push(Object {
                account: a.created_by().unwrap_or_default().to_string(),
                ..obj(
                    "service association",
                    a.service_name().unwrap_or_default().to_string(),
                    a.id().unwrap_or_default(),
                    lattice_tags(client, a.arn().unwrap_or_default()).await?,
                )
            });
        }
        let vpcs = client
            .list_service_network_vpc_associations()
            .service_network_identifier(id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err)?;
        for a in vpcs {
            let vpc = a.vpc_id().unwrap_or_default();
            out.push(Object {
                account: a.created_by().unwrap_or_default().to_string(),
                ..obj(
                    "vpc association",
                    vpc_names
                        .get(vpc)
                        .cloned()
                        .unwrap_or_else(|| vpc.to_string()),
                    a.id().unwrap_or_default(),
                    lattice_tags(client, a.arn().unwrap_or_default()).await?,
                )
            });
        }
    }
    let services = client
        .list_services()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(err)?;
    for s in services {
        let (id, name) = (s.id().unwrap_or_default(), s.name().unwrap_or_default());
        out.push(obj(
            "service",
            name.to_string(),
            id,
            lattice_tags(client, s.arn().unwrap_or_default()).await?,
        ));
        let listeners = client
            .list_listeners()
            .service_identifier(id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err)?;
        for l in listeners {
            let listener = format!("{name}/{}", l.name().unwrap_or_default());
            let listener_id = l.id().unwrap_or_default();
            out.push(obj(
                "listener",
                listener.clone(),
                listener_id,
                lattice_tags(client, l.arn().unwrap_or_default()).await?,
            ));
            // Rules, so that an orphan rule is seen; the default rule is the listener's own.
            let rules = client
                .list_rules()
                .service_identifier(id)
                .listener_identifier(listener_id)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(err)?;
            for r in rules.iter().filter(|r| r.is_default() != Some(true)) {
                out.push(obj(
                    "rule",
                    format!("{listener}/{}", r.name().unwrap_or_default()),
                    r.id().unwrap_or_default(),
                    lattice_tags(client, r.arn().unwrap_or_default()).await?,
                ));
            }
        }
    }
    let groups = client
        .list_target_groups()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(err)?;
    for g in groups {
        let (id, name) = (g.id().unwrap_or_default(), g.name().unwrap_or_default());
        out.push(obj(
            "target group",
            name.to_string(),
            id,
            lattice_tags(client, g.arn().unwrap_or_default()).await?,
        ));
        let targets = client
            .list_targets()
            .target_group_identifier(id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err)?;
        for t in targets {
            let target = t.id().unwrap_or_default();
            // Terraform's attachment ID: GROUP/TARGET/PORT.
            let port = t.port().map(|p| p.to_string()).unwrap_or_default();
            out.push(obj(
                "target",
                format!("{name}/{target}"),
                &format!("{id}/{target}/{port}"),
                None,
            ));
        }
    }
    Ok(())
}

async fn ram_census(account: &str, ram: &aws_sdk_ram::Client, out: &mut Vec<Object>) -> Res<()> {
    use aws_sdk_ram::types::{ResourceOwner, ResourceShareStatus};
    let obj = |kind, name: &str, id: &str, tags| Object {
        account: account.to_string(),
        kind,
        name: name.to_string(),
        id: id.to_string(),
        tags,
    };
    let shares = ram
        .get_resource_shares()
        .resource_owner(ResourceOwner::SelfValue)
        .send()
        .await
        .map_err(err)?;
    let mut names = BTreeMap::new();
    for s in shares.resource_shares() {
        if s.status() == Some(&ResourceShareStatus::Deleted) {
            continue;
        }
        let arn = s.resource_share_arn().unwrap_or_default();
        let name = s.name().unwrap_or_default();
        names.insert(arn.to_string(), name.to_string());
        let tags = tag_map(s.tags().iter().map(|t| (t.key(), t.value())));
        out.push(obj("resource share", name, arn, Some(tags)));
    }
    if !names.is_empty() {
        let resources = ram
            .list_resources()
            .resource_owner(ResourceOwner::SelfValue)
            .send()
            .await
            .map_err(err)?;
        for r in resources.resources() {
            // Named by the shared network's name, found through the share it is in.
            let share = r.resource_share_arn().unwrap_or_default();
            if let Some(name) = names.get(share) {
                // Terraform's ID: SHARE_ARN,RESOURCE_ARN.
                let id = format!("{share},{}", r.arn().unwrap_or_default());
                out.push(obj("shared resource", name, &id, None));
            }
        }
        let principals = ram
            .list_principals()
            .resource_owner(ResourceOwner::SelfValue)
            .send()
            .await
            .map_err(err)?;
        for p in principals.principals() {
            // Terraform's ID: SHARE_ARN,PRINCIPAL.
            let principal = p.id().unwrap_or_default();
            let id = format!("{},{principal}", p.resource_share_arn().unwrap_or_default());
            out.push(obj("share principal", principal, &id, None));
        }
    }
    // A share this account accepted and still belongs to: one of another account that
    // lists this account as an associated principal (an accepted invitation alone is
    // history: it stays ACCEPTED after the account leaves or the share is deleted).
    let received = ram
        .get_resource_shares()
        .resource_owner(ResourceOwner::OtherAccounts)
        .send()
        .await
        .map_err(err)?;
    for s in received.resource_shares() {
        if s.status() == Some(&ResourceShareStatus::Deleted) {
            continue;
        }
        out.push(obj(
            "accepted share",
            s.name().unwrap_or_default(),
            s.resource_share_arn().unwrap_or_default(),
            None,
        ));
    }
    Ok(())
}

async fn route53_census(
    account: &str,
    r53: &aws_sdk_route53::Client,
    out: &mut Vec<Object>,
) -> Res<()> {
    let zones = r53.list_hosted_zones().send().await.map_err(err)?;
    for z in zones.hosted_zones() {
        let id = z.id().trim_start_matches("/hostedzone/").to_string();
        let zone_name = z.name().trim_end_matches('.').to_string();
        out.push(Object {
            account: account.to_string(),
            kind: "hosted zone",
            name: zone_name,
            id: id.clone(),
            tags: None,
        });
        let records = r53
            .list_resource_record_sets()
            .hosted_zone_id(&id)
            .send()
            .await
            .map_err(err)?;
        for r in records.resource_record_sets() {
            let kind = r.r#type().as_str();
            if kind == "NS" || kind == "SOA" {
                continue;
            }
            let name = r.name().trim_end_matches('.');
            // Terraform's ID: ZONEID_NAME_TYPE (and _SETIDENTIFIER).
            let id = match r.set_identifier() {
                Some(set) => format!("{id}_{name}_{kind}_{set}"),
                None => format!("{id}_{name}_{kind}"),
            };
            out.push(Object {
                account: account.to_string(),
                kind: "record",
                name: format!("{name}/{kind}"),
                id,
                tags: None,
            });
        }
    }
    Ok(())
}

/// Compares a census with what the configuration declares, per account and kind, as
/// multisets of names: duplicates, orphans and missing objects are each reported. When
/// `trial` is given, every object of a [`TAGGED`] kind must carry `trial = "<trial>"`.
pub fn check_census(
    census: &[Object],
    expected: &[(String, &'static str, String)],
    trial: Option<u64>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut found: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for o in census {
        found
            .entry((o.account.as_str(), o.kind))
            .or_default()
            .push(o.name.as_str());
    }
    let mut want: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for (account, kind, name) in expected {
        want.entry((account.as_str(), kind))
            .or_default()
            .push(name.as_str());
    }
    let keys: BTreeSet<(&str, &str)> = found.keys().chain(want.keys()).copied().collect();
    for key in keys {
        let mut f = found.get(&key).cloned().unwrap_or_default();
        let mut w = want.get(&key).cloned().unwrap_or_default();
        f.sort_unstable();
        w.sort_unstable();
        if f == w {
            continue;
        }
        let distinct: BTreeSet<&str> = f.iter().copied().collect();
        let duplicates: Vec<&str> = distinct
            .iter()
            .copied()
            .filter(|n| {
                f.iter().filter(|x| x == &n).count() > w.iter().filter(|x| x == &n).count().max(1)
            })
            .collect();
        let want_set: BTreeSet<&str> = w.iter().copied().collect();
        let orphans: Vec<&&str> = distinct.difference(&want_set).collect();
        let missing: Vec<&&str> = want_set.difference(&distinct).collect();
        problems.push(format!(
            "account {} {}: {} found, {} expected; duplicates {duplicates:?}, orphans {orphans:?}, missing {missing:?}",
            key.0,
            key.1,
            f.len(),
            w.len()
        ));
    }
    if let Some(trial) = trial {
        for o in census.iter().filter(|o| TAGGED.contains(&o.kind)) {
            let tagged = o
                .tags
                .as_ref()
                .is_some_and(|t| t.get("trial") == Some(&trial.to_string()));
            if !tagged {
                problems.push(format!(
                    "account {} {} {} ({}) lacks the trial's tag: {:?}",
                    o.account, o.kind, o.name, o.id, o.tags
                ));
            }
        }
    }
    problems
}

/// Compares the state with a census: no unsettled intent, the declared number of
/// resources, and per resource type the same number of objects with exactly the same IDs
/// (an empty ID on either side is a problem of its own).
pub fn check_state(
    state: &trellis_state::State,
    census: &[Object],
    resources: usize,
) -> Vec<String> {
    let mut problems = Vec::new();
    if !state.intents.is_empty() {
        problems.push(format!(
            "{} intents left unsettled: {:?}",
            state.intents.len(),
            state
                .intents
                .keys()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
        ));
    }
    if state.resources.len() != resources {
        problems.push(format!(
            "state holds {} resources, {resources} expected",
            state.resources.len()
        ));
    }
    let mut by_type: BTreeMap<&str, Vec<&Object>> = BTreeMap::new();
    for o in census {
        if let Some(t) = state_type(o.kind) {
            by_type.entry(t).or_default().push(o);
        }
    }
    for (type_name, objects) in by_type {
        let in_state: Vec<String> = state
            .resources
            .values()
            .filter(|r| r.type_name == type_name)
            .filter_map(|r| {
                r.value
                    .get("id")
                    .and_then(trellis_types::Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        let census_ids: Vec<(&str, &str)> = objects
            .iter()
            .map(|o| (o.name.as_str(), o.id.as_str()))
            .collect();
        problems.extend(compare_ids(type_name, &census_ids, &in_state));
    }
    problems
}

/// Problems between the IDs the accounts hold, as (name, ID), and those the state holds, for
/// one type: they must be the same multiset, exactly; an empty ID on either side is a
/// problem of its own (a containment match would accept anything then).
pub fn compare_ids(type_name: &str, census: &[(&str, &str)], in_state: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some((name, _)) = census.iter().find(|(_, id)| id.is_empty()) {
        problems.push(format!("{type_name}: {name} has an empty id"));
    }
    if in_state.iter().any(String::is_empty) {
        problems.push(format!("{type_name}: a state record has an empty id"));
    }
    let mut want: Vec<&str> = census.iter().map(|(_, id)| *id).collect();
    let mut have: Vec<&str> = in_state.iter().map(String::as_str).collect();
    want.sort_unstable();
    have.sort_unstable();
    if want != have {
        let missing: Vec<String> = census
            .iter()
            .filter(|(_, id)| !have.contains(id))
            .map(|(name, id)| format!("{name} ({id})"))
            .collect();
        let extra: Vec<&&str> = have.iter().filter(|s| !want.contains(s)).collect();
        problems.push(format!(
            "{type_name}: state has {} ids, the accounts {}; not in state: {missing:?}; in state only: {extra:?}",
            in_state.len(),
            census.len()
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::compare_ids;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ids_must_match_exactly_not_by_containment() {
        // A state ID that merely contains the account's ID (or an ARN around it) is another
        // object: the old containment match accepted it.
        let census = [("orders", "svc-1")];
        assert!(compare_ids("t", &census, &ids(&["svc-1"])).is_empty());
        assert_eq!(compare_ids("t", &census, &ids(&["svc-10"])).len(), 1);
        assert_eq!(
            compare_ids(
                "t",
                &census,
                &ids(&["arn:aws:vpc-lattice:r:1:service/svc-1"])
            )
            .len(),
            1
        );
        // Duplicates count: two objects in the account, one in state.
        let two = [("orders", "svc-1"), ("orders", "svc-1")];
        assert_eq!(compare_ids("t", &two, &ids(&["svc-1"])).len(), 1);
    }

    #[test]
    fn an_empty_id_on_either_side_is_a_problem() {
        assert!(!compare_ids("t", &[("orders", "")], &ids(&["svc-1"])).is_empty());
        assert!(!compare_ids("t", &[("orders", "svc-1")], &ids(&["", "svc-1"])).is_empty());
        // Even when both sides are empty alike.
        assert!(!compare_ids("t", &[("orders", "")], &ids(&[""])).is_empty());
    }
}
