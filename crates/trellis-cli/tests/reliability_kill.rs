//! Kill anywhere, lose nothing: the real `trellis` binary applies a 100-resource VPC Lattice
//! mesh against the emulator (with latency added to every call), is sent SIGKILL at a
//! seeded random moment, and is run again. After the re-run the trial checks, through the
//! AWS SDK, that
//!
//! - the re-run exits 0;
//! - the emulator holds exactly the configured objects: every name once (no duplicates),
//!   nothing unconfigured (no orphans), each with the trial's tags;
//! - the state holds exactly the emulator's objects (same IDs, no intent left unsettled);
//! - a further `plan -detailed-exitcode` shows no changes.
//!
//! The regular suite runs 3 trials. `TRELLIS_KILL_TRIALS=50` runs more, `TRELLIS_KILL_SEED`
//! picks the seed, `TRELLIS_KILL_LATENCY_MS` the latency (default 50), and
//! `TRELLIS_KILL_REPORT=FILE` writes the figures as JSON, and `TRELLIS_KILL_BIN` runs another
//! trellis binary (docs/reliability.md records a run).

#![allow(clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_vpclattice::Client;
use trellis_emulator::{Emulator, DEFAULT_ACCOUNT};

/// Services in the mesh; each brings five resources (service, target group, listener, rule,
/// service-network association). With the network, its auth policy, its VPC association and
/// two target registrations that makes 100.
const SERVICES: usize = 19;
const RESOURCES: usize = SERVICES * 5 + 5;
const TARGETS: [&str; 2] = ["10.0.0.10", "10.0.0.11"];

fn mesh(endpoint: &str, vpc: &str, trial: u64) -> String {
    format!(
        r#"provider "aws" {{
  region      = "us-east-1"
  max_retries = 10
  endpoints {{
    vpclattice = "{endpoint}"
    sts        = "{endpoint}"
  }}
  default_tags {{
    tags = {{ trial = "{trial}", managed-by = "trellis" }}
  }}
}}

locals {{
  services = toset([for i in range({SERVICES}) : format("svc%02d", i)])
}}

resource "aws_vpclattice_service_network" "mesh" {{
  name      = "kill-mesh"
  auth_type = "AWS_IAM"
}}

resource "aws_vpclattice_auth_policy" "mesh" {{
  resource_identifier = aws_vpclattice_service_network.mesh.arn
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = "*"
      Action    = "vpc-lattice-svcs:Invoke"
      Resource  = "*"
    }}]
  }})
}}

resource "aws_vpclattice_service_network_vpc_association" "clients" {{
  vpc_identifier             = "{vpc}"
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}}

resource "aws_vpclattice_service" "svc" {{
  for_each  = local.services
  name      = each.key
  auth_type = "NONE"
}}

resource "aws_vpclattice_target_group" "svc" {{
  for_each = local.services
  name     = "${{each.key}}-ip"
  type     = "IP"
  config {{
    vpc_identifier = "{vpc}"
    port           = 8080
    protocol       = "HTTP"
  }}
}}

resource "aws_vpclattice_listener" "http" {{
  for_each           = local.services
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.svc[each.key].id
  default_action {{
    forward {{
      target_groups {{
        target_group_identifier = aws_vpclattice_target_group.svc[each.key].id
      }}
    }}
  }}
}}

resource "aws_vpclattice_listener_rule" "api" {{
  for_each            = local.services
  name                = "api"
  service_identifier  = aws_vpclattice_service.svc[each.key].id
  listener_identifier = aws_vpclattice_listener.http[each.key].listener_id
  priority            = 10
  match {{
    http_match {{
      path_match {{
        match {{
          prefix = "/api"
        }}
      }}
    }}
  }}
  action {{
    fixed_response {{
      status_code = 404
    }}
  }}
}}

resource "aws_vpclattice_service_network_service_association" "svc" {{
  for_each                   = local.services
  service_identifier         = aws_vpclattice_service.svc[each.key].id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}}

resource "aws_vpclattice_target_group_attachment" "svc00" {{
  for_each                = toset({targets:?})
  target_group_identifier = aws_vpclattice_target_group.svc["svc00"].id
  target {{
    id   = each.key
    port = 8080
  }}
}}
"#,
        targets = TARGETS
    )
}

fn service_names() -> Vec<String> {
    (0..SERVICES).map(|i| format!("svc{i:02}")).collect()
}

/// splitmix64: a small seeded generator, so that a seed names a run exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn trellis(dir: &Path, emulator: &Emulator, args: &[&str]) -> Command {
    // `TRELLIS_KILL_BIN` runs another build (a copy, so that rebuilding during a long run
    // does not change the binary under test).
    let bin = std::env::var("TRELLIS_KILL_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_trellis").to_string());
    let mut cmd = Command::new(bin);
    cmd.arg("-no-color")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", emulator.endpoint_url())
        .env_remove("AWS_PROFILE")
        .env_remove("TRELLIS_LOG")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    cmd
}

fn output(mut cmd: Command) -> (i32, String) {
    let out = cmd.output().expect("trellis runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// What one trial saw.
#[derive(Debug, Default)]
struct TrialResult {
    /// The kill came once the emulator had seen this many calls, plus `kill_extra_ms`.
    kill_after_calls: u64,
    kill_extra_ms: u64,
    /// The apply had already finished when the kill was due.
    finished_before_kill: bool,
    /// Resources in state right after the kill.
    in_state_at_kill: usize,
    /// Unsettled create intents right after the kill.
    intents_at_kill: usize,
    calls_before_kill: u64,
    problems: Vec<String>,
}

fn state_of(dir: &Path, emulator: &Emulator) -> Result<trellis_state::State, String> {
    if !dir.join(".trellis/state").exists() {
        return Ok(trellis_state::State::default());
    }
    let (code, text) = output(trellis(dir, emulator, &["state", "pull"]));
    if code != 0 {
        return Err(format!("state pull exited {code}: {text}"));
    }
    let json = text
        .find('{')
        .map(|i| &text[i..])
        .ok_or_else(|| format!("state pull printed no JSON: {text}"))?;
    trellis_state::from_json(json).map_err(|e| format!("state pull is not a snapshot: {e}"))
}

fn total_calls(emulator: &Emulator) -> u64 {
    emulator
        .calls()
        .map(|c| c.values().flat_map(|ops| ops.values()).sum())
        .unwrap_or(0)
}

fn run_trial(
    emulator: &Emulator,
    rt: &tokio::runtime::Runtime,
    trial: u64,
    kill_after_calls: u64,
    kill_extra: Duration,
    latency_ms: u64,
) -> TrialResult {
    let mut result = TrialResult {
        kill_after_calls,
        kill_extra_ms: kill_extra.as_millis() as u64,
        ..Default::default()
    };
    emulator.reset().expect("emulator resets");
    let vpc = emulator
        .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.0.0.0/16")
        .expect("vpc");
    emulator
        .set_faults(&serde_json::json!({ "latency_ms": latency_ms, "seed": trial }))
        .expect("faults");
    emulator.reset_calls().expect("reset calls");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(
        dir.join("main.tf"),
        mesh(emulator.endpoint_url(), &vpc, trial),
    )
    .expect("write main.tf");

    // The first apply, killed at the chosen moment.
    let mut child = trellis(dir, emulator, &["apply", "-auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("trellis starts");
    // Wait for the chosen number of calls, then the chosen extra time, then SIGKILL (std's
    // kill is SIGKILL on Unix: no handler runs, nothing is flushed).
    let mut reached: Option<Instant> = None;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            result.finished_before_kill = true;
            break;
        }
        match reached {
            None if total_calls(emulator) >= kill_after_calls => reached = Some(Instant::now()),
            Some(at) if at.elapsed() >= kill_extra => {
                child.kill().expect("SIGKILL");
                break;
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.wait();
    result.calls_before_kill = total_calls(emulator);
    match state_of(dir, emulator) {
        Ok(state) => {
            result.in_state_at_kill = state.resources.len();
            result.intents_at_kill = state.intents.len();
        }
        Err(e) => result.problems.push(format!("after the kill: {e}")),
    }

    // The re-run must converge on its own.
    let (code, text) = output(trellis(dir, emulator, &["apply", "-auto-approve"]));
    if code != 0 {
        result
            .problems
            .push(format!("re-run apply exited {code}:\n{text}"));
        return result;
    }
    let state = match state_of(dir, emulator) {
        Ok(state) => state,
        Err(e) => {
            result.problems.push(e);
            return result;
        }
    };
    let world = rt.block_on(world(emulator));
    let world = match world {
        Ok(world) => world,
        Err(e) => {
            result
                .problems
                .push(format!("cannot list the emulator: {e}"));
            return result;
        }
    };
    check_world(&world, trial, &mut result.problems);
    check_state(&state, &world, &mut result.problems);
    let (code, text) = output(trellis(dir, emulator, &["plan", "-detailed-exitcode"]));
    if code != 0 {
        result
            .problems
            .push(format!("a further plan exited {code}:\n{text}"));
    }
    result
}

/// One object the emulator holds.
#[derive(Debug, Clone)]
struct Object {
    id: String,
    /// The name, or for unnamed objects what identifies them in the mesh.
    name: String,
    tags: BTreeMap<String, String>,
}

/// Everything the emulator holds, by kind.
#[derive(Debug, Default)]
struct World {
    networks: Vec<Object>,
    services: Vec<Object>,
    target_groups: Vec<Object>,
    listeners: Vec<Object>,
    rules: Vec<Object>,
    service_associations: Vec<Object>,
    vpc_associations: Vec<Object>,
    auth_policies: Vec<Object>,
    targets: Vec<Object>,
}

async fn tags(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, String> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| format!("tags of {arn}: {e:?}"))?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

async fn world(emulator: &Emulator) -> Result<World, String> {
    let config = emulator
        .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
        .await
        .map_err(|e| e.to_string())?;
    let client = Client::new(&config);
    let e = |e: &dyn std::fmt::Debug| format!("{e:?}");
    let mut world = World::default();

    let networks = client
        .list_service_networks()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|x| e(&x))?;
    for n in networks {
        let (id, arn) = (n.id().unwrap_or_default(), n.arn().unwrap_or_default());
        world.networks.push(Object {
            id: id.to_string(),
            name: n.name().unwrap_or_default().to_string(),
            tags: tags(&client, arn).await?,
        });
        match client
            .get_auth_policy()
            .resource_identifier(id)
            .send()
            .await
        {
            Ok(p) if p.policy().is_some() => world.auth_policies.push(Object {
                id: arn.to_string(),
                name: n.name().unwrap_or_default().to_string(),
                tags: BTreeMap::new(),
            }),
            _ => {}
        }
        let associations = client
            .list_service_network_service_associations()
            .service_network_identifier(id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|x| e(&x))?;
        for a in associations {
            world.service_associations.push(Object {
                id: a.id().unwrap_or_default().to_string(),
                name: a.service_name().unwrap_or_default().to_string(),
                tags: tags(&client, a.arn().unwrap_or_default()).await?,
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
            .map_err(|x| e(&x))?;
        for a in vpcs {
            world.vpc_associations.push(Object {
                id: a.id().unwrap_or_default().to_string(),
                name: a.vpc_id().unwrap_or_default().to_string(),
                tags: tags(&client, a.arn().unwrap_or_default()).await?,
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
        .map_err(|x| e(&x))?;
    for s in services {
        let (id, name) = (s.id().unwrap_or_default(), s.name().unwrap_or_default());
        world.services.push(Object {
            id: id.to_string(),
            name: name.to_string(),
            tags: tags(&client, s.arn().unwrap_or_default()).await?,
        });
        let listeners = client
            .list_listeners()
            .service_identifier(id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|x| e(&x))?;
        for l in listeners {
            let lid = l.id().unwrap_or_default();
            world.listeners.push(Object {
                id: lid.to_string(),
                name: format!("{name}/{}", l.name().unwrap_or_default()),
                tags: tags(&client, l.arn().unwrap_or_default()).await?,
            });
            let rules = client
                .list_rules()
                .service_identifier(id)
                .listener_identifier(lid)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|x| e(&x))?;
            for r in rules.into_iter().filter(|r| r.is_default() != Some(true)) {
                world.rules.push(Object {
                    id: r.id().unwrap_or_default().to_string(),
                    name: format!("{name}/{}", r.name().unwrap_or_default()),
                    tags: tags(&client, r.arn().unwrap_or_default()).await?,
                });
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
        .map_err(|x| e(&x))?;
    for g in groups {
        let (id, name) = (g.id().unwrap_or_default(), g.name().unwrap_or_default());
        world.target_groups.push(Object {
            id: id.to_string(),
            name: name.to_string(),
            tags: tags(&client, g.arn().unwrap_or_default()).await?,
        });
        let targets = client
            .list_targets()
            .target_group_identifier(id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|x| e(&x))?;
        for t in targets {
            world.targets.push(Object {
                id: format!("{id}/{}", t.id().unwrap_or_default()),
                name: format!("{name}/{}", t.id().unwrap_or_default()),
                tags: BTreeMap::new(),
            });
        }
    }
    Ok(world)
}

/// Compares names as multisets: a duplicate shows as a name listed twice, an orphan as a
/// name that is not expected.
fn expect_names(kind: &str, objects: &[Object], expected: &[String], problems: &mut Vec<String>) {
    let mut found: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
    found.sort_unstable();
    let mut want: Vec<&str> = expected.iter().map(String::as_str).collect();
    want.sort_unstable();
    if found != want {
        let distinct: BTreeSet<&str> = found.iter().copied().collect();
        let duplicates = found.len() - distinct.len();
        let want_set: BTreeSet<&str> = want.iter().copied().collect();
        let orphans: Vec<&&str> = distinct.difference(&want_set).collect();
        let missing: Vec<&&str> = want_set.difference(&distinct).collect();
        problems.push(format!(
            "{kind}: {} found, {} expected; {duplicates} duplicates, orphans {orphans:?}, missing {missing:?}",
            found.len(),
            want.len()
        ));
    }
}

fn expect_tags(kind: &str, objects: &[Object], trial: u64, problems: &mut Vec<String>) {
    for o in objects {
        if o.tags.get("trial") != Some(&trial.to_string())
            || o.tags.get("managed-by").map(String::as_str) != Some("trellis")
        {
            problems.push(format!(
                "{kind} {} ({}) has tags {:?}",
                o.name, o.id, o.tags
            ));
        }
    }
}

fn check_world(world: &World, trial: u64, problems: &mut Vec<String>) {
    let services = service_names();
    let per = |f: &dyn Fn(&String) -> String| services.iter().map(f).collect::<Vec<_>>();
    expect_names(
        "service networks",
        &world.networks,
        &["kill-mesh".to_string()],
        problems,
    );
    expect_names("services", &world.services, &services, problems);
    expect_names(
        "target groups",
        &world.target_groups,
        &per(&|s| format!("{s}-ip")),
        problems,
    );
    expect_names(
        "listeners",
        &world.listeners,
        &per(&|s| format!("{s}/http")),
        problems,
    );
    expect_names(
        "rules",
        &world.rules,
        &per(&|s| format!("{s}/api")),
        problems,
    );
    expect_names(
        "service associations",
        &world.service_associations,
        &services,
        problems,
    );
    expect_names(
        "auth policies",
        &world.auth_policies,
        &["kill-mesh".to_string()],
        problems,
    );
    if world.vpc_associations.len() != 1 {
        problems.push(format!(
            "vpc associations: {} found, 1 expected",
            world.vpc_associations.len()
        ));
    }
    let targets: Vec<String> = TARGETS.iter().map(|t| format!("svc00-ip/{t}")).collect();
    expect_names("targets", &world.targets, &targets, problems);
    for (kind, objects) in [
        ("service network", &world.networks),
        ("service", &world.services),
        ("target group", &world.target_groups),
        ("listener", &world.listeners),
        ("rule", &world.rules),
        ("service association", &world.service_associations),
        ("vpc association", &world.vpc_associations),
    ] {
        expect_tags(kind, objects, trial, problems);
    }
}

fn check_state(state: &trellis_state::State, world: &World, problems: &mut Vec<String>) {
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
    if state.resources.len() != RESOURCES {
        problems.push(format!(
            "state holds {} resources, {RESOURCES} expected",
            state.resources.len()
        ));
    }
    let ids = |kinds: &[&str]| -> BTreeSet<String> {
        state
            .resources
            .values()
            .filter(|r| kinds.contains(&r.type_name.as_str()))
            .filter_map(|r| {
                r.value
                    .get("id")
                    .and_then(trellis_types::Value::as_str)
                    .map(str::to_string)
            })
            .collect()
    };
    let world_ids =
        |objects: &[Object]| -> BTreeSet<String> { objects.iter().map(|o| o.id.clone()).collect() };
    for (kind, objects) in [
        ("aws_vpclattice_service_network", &world.networks),
        ("aws_vpclattice_service", &world.services),
        ("aws_vpclattice_target_group", &world.target_groups),
        ("aws_vpclattice_listener", &world.listeners),
        ("aws_vpclattice_listener_rule", &world.rules),
        (
            "aws_vpclattice_service_network_service_association",
            &world.service_associations,
        ),
        (
            "aws_vpclattice_service_network_vpc_association",
            &world.vpc_associations,
        ),
    ] {
        let in_state = ids(&[kind]);
        let in_world = world_ids(objects);
        // Listener and rule IDs in state may be ARNs or composite; compare by containment.
        let unmatched: Vec<&String> = in_world
            .iter()
            .filter(|w| !in_state.iter().any(|s| s == *w || s.contains(w.as_str())))
            .collect();
        if !unmatched.is_empty() || in_state.len() != in_world.len() {
            problems.push(format!(
                "{kind}: state has {} ids, the emulator {}; not in state: {unmatched:?}",
                in_state.len(),
                in_world.len()
            ));
        }
    }
}

#[test]
fn killed_applies_converge_without_duplicates_or_orphans() {
    let trials = env_u64("TRELLIS_KILL_TRIALS", 3);
    let seed = env_u64("TRELLIS_KILL_SEED", 1);
    let latency_ms = env_u64("TRELLIS_KILL_LATENCY_MS", 50);
    let emulator = Emulator::start().expect("emulator starts");
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    // Calibration: one uninterrupted apply, to know the window in which a kill lands.
    emulator.reset().expect("reset");
    let vpc = emulator
        .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.0.0.0/16")
        .expect("vpc");
    emulator
        .set_faults(&serde_json::json!({ "latency_ms": latency_ms }))
        .expect("faults");
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        tmp.path().join("main.tf"),
        mesh(emulator.endpoint_url(), &vpc, 0),
    )
    .expect("write main.tf");
    emulator.reset_calls().expect("reset calls");
    let started = Instant::now();
    let (code, text) = output(trellis(tmp.path(), &emulator, &["apply", "-auto-approve"]));
    let full = started.elapsed();
    let full_calls = total_calls(&emulator);
    assert_eq!(code, 0, "the calibration apply succeeds:\n{text}");
    assert!(
        text.contains(&format!("{RESOURCES} added")),
        "the calibration apply creates {RESOURCES} resources:\n{text}"
    );
    let mut world_problems = Vec::new();
    let world0 = rt.block_on(world(&emulator)).expect("emulator lists");
    check_world(&world0, 0, &mut world_problems);
    assert!(world_problems.is_empty(), "{world_problems:#?}");

    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    let mut killed = 0;
    let mut calls = 0;
    for i in 0..trials {
        let trial = seed * 1000 + i + 1;
        // A seeded moment: after a number of calls between none (still planning) and all
        // of a full apply's, plus up to one call's latency, to land inside a call or
        // between two.
        let after_calls = rng.below(full_calls + 1);
        let extra = Duration::from_millis(rng.below(latency_ms + 1));
        let result = run_trial(&emulator, &rt, trial, after_calls, extra, latency_ms);
        eprintln!(
            "trial {trial}: kill after {} calls + {} ms{}; {} in state and {} intents at the kill; {} calls before it; {}",
            result.kill_after_calls,
            result.kill_extra_ms,
            if result.finished_before_kill { " (the apply had finished)" } else { "" },
            result.in_state_at_kill,
            result.intents_at_kill,
            result.calls_before_kill,
            if result.problems.is_empty() { "ok".to_string() } else { format!("FAILED: {:?}", result.problems) }
        );
        if !result.finished_before_kill {
            killed += 1;
        }
        calls += result.calls_before_kill;
        if !result.problems.is_empty() {
            failures.push((trial, result));
        }
    }
    eprintln!(
        "kill trials: {trials} run (seed {seed}, latency {latency_ms} ms, full apply {} ms and {full_calls} calls), {killed} killed mid-apply, {} survived, {} failed; {calls} calls before the kills",
        full.as_millis(),
        trials as usize - failures.len(),
        failures.len()
    );
    if let Ok(path) = std::env::var("TRELLIS_KILL_REPORT") {
        let report = serde_json::json!({
            "trials": trials, "seed": seed, "latency_ms": latency_ms,
            "full_apply_ms": full.as_millis() as u64, "full_apply_calls": full_calls,
            "killed_mid_apply": killed,
            "survived": trials as usize - failures.len(), "failed": failures.len(),
            "calls_before_kills": calls,
        });
        std::fs::write(path, report.to_string()).expect("write the report");
    }
    assert!(failures.is_empty(), "failed trials: {failures:#?}");
}
