//! Command-line arguments in Terraform's style: single-dash long flags, `-flag=value` or
//! `-flag value`, and repeated flags for lists. Argument structs only; no logic.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};

/// Options shared by every command.
#[derive(Debug, Clone, Default)]
pub struct Global {
    /// `-chdir=DIR`.
    pub chdir: Option<String>,
    pub no_color: bool,
}

/// Options of `plan`, `apply` (without a plan file) and `destroy`.
#[derive(Debug, Clone, Default)]
pub struct PlanArgs {
    pub out: Option<String>,
    pub detailed_exitcode: bool,
    pub refresh: bool,
    /// `-refresh=full`: read every object in full.
    pub full_refresh: bool,
    pub replace: Vec<String>,
    pub target: Vec<String>,
    pub vars: Vec<String>,
    pub var_files: Vec<String>,
    pub parallelism: usize,
    pub lock: bool,
    pub lock_timeout: Duration,
    pub destroy: bool,
    pub json: bool,
    /// `-markdown`: print the plan as a pull-request comment instead of the human view.
    pub markdown: bool,
    pub state: Option<String>,
    pub input: bool,
}

#[derive(Debug, Clone)]
pub enum Command {
    Version,
    Help,
    Validate,
    Fmt {
        check: bool,
        diff: bool,
    },
    Plan(PlanArgs),
    Apply {
        plan_file: Option<String>,
        auto_approve: bool,
        args: PlanArgs,
    },
    Show {
        file: Option<String>,
        json: bool,
        /// `-markdown`: a saved plan as a pull-request comment.
        markdown: bool,
        state: Option<String>,
    },
    Output {
        name: Option<String>,
        json: bool,
        raw: bool,
        state: Option<String>,
    },
    State {
        sub: StateCommand,
        state: Option<String>,
        lock_timeout: Duration,
    },
    Graph,
    Import(ImportArgs),
    ForceUnlock {
        id: String,
        state: Option<String>,
    },
    Init(crate::backend::InitArgs),
}

/// `trellis import ADDR ID`, or discovery with `-service-network=... -generate-config-out=FILE`.
#[derive(Debug, Clone, Default)]
pub struct ImportArgs {
    pub address: Option<String>,
    pub id: Option<String>,
    pub service_networks: Vec<String>,
    pub generate_config_out: Option<String>,
    /// `-provider=aws.network`: the provider configuration discovery reads through.
    pub provider: Option<String>,
    pub vars: Vec<String>,
    pub var_files: Vec<String>,
    pub state: Option<String>,
    pub lock_timeout: Duration,
}

#[derive(Debug, Clone)]
pub enum StateCommand {
    List {
        filters: Vec<String>,
    },
    Show {
        address: String,
    },
    Mv {
        from: String,
        to: String,
    },
    Rm {
        addresses: Vec<String>,
    },
    Pull,
    Push {
        file: String,
        force: bool,
    },
    Restore {
        backup: Option<String>,
    },
    /// `state migrate -from-terraform=terraform.tfstate`.
    Migrate {
        from_terraform: String,
    },
}

/// One flag: `-name=value`, `-name value` (when the flag takes a value) or `-name`.
struct Flags {
    args: Vec<String>,
    i: usize,
}

impl Flags {
    fn new(args: Vec<String>) -> Flags {
        Flags { args, i: 0 }
    }

    /// The next argument, split into (flag name, inline value) when it is a flag.
    fn next(&mut self) -> Option<Arg> {
        let arg = self.args.get(self.i)?.clone();
        self.i += 1;
        if arg == "-" || !arg.starts_with('-') {
            return Some(Arg::Positional(arg));
        }
        let body = arg.trim_start_matches('-');
        match body.split_once('=') {
            Some((name, value)) => Some(Arg::Flag(name.to_string(), Some(value.to_string()))),
            None => Some(Arg::Flag(body.to_string(), None)),
        }
    }

    fn value(&mut self, name: &str, inline: Option<String>) -> Result<String> {
        if let Some(v) = inline {
            return Ok(v);
        }
        let v = self
            .args
            .get(self.i)
            .cloned()
            .ok_or_else(|| anyhow!("flag -{name} needs a value"))?;
        self.i += 1;
        Ok(v)
    }
}

enum Arg {
    Positional(String),
    Flag(String, Option<String>),
}

fn parse_bool(name: &str, inline: Option<String>) -> Result<bool> {
    match inline.as_deref() {
        None | Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => bail!("flag -{name} takes true or false, not {other:?}"),
    }
}

/// Parses `30s`, `5m`, `1h`, `250ms` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let t = text.trim();
    let (number, unit) = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| t.split_at(i))
        .unwrap_or((t, "s"));
    let n: f64 = number
        .parse()
        .map_err(|_| anyhow!("invalid duration {text:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => bail!("invalid duration {text:?}: use ms, s, m or h"),
    };
    Ok(Duration::from_secs_f64(secs))
}

/// Parses the whole command line (without the program name).
pub fn parse(args: Vec<String>) -> Result<(Global, Command)> {
    let mut global = Global::default();
    let mut rest = args.into_iter().peekable();
    let mut leading = Vec::new();
    while let Some(a) = rest.peek() {
        if !a.starts_with('-') {
            break;
        }
        leading.push(rest.next().expect("peeked"));
    }
    for a in leading {
        let body = a.trim_start_matches('-');
        match body.split_once('=') {
            Some(("chdir", dir)) => global.chdir = Some(dir.to_string()),
            None if body == "no-color" => global.no_color = true,
            None if body == "version" || body == "v" => return Ok((global, Command::Version)),
            None if body == "help" || body == "h" => return Ok((global, Command::Help)),
            _ => bail!("unknown global flag {a:?}; global flags are -chdir=DIR, -no-color, -version, -help"),
        }
    }
    let Some(command) = rest.next() else {
        return Ok((global, Command::Help));
    };
    let mut flags = Flags::new(rest.collect());
    let command = match command.as_str() {
        "version" => Command::Version,
        "help" => Command::Help,
        "validate" => {
            while let Some(arg) = flags.next() {
                match arg {
                    Arg::Flag(n, _) if n == "no-color" => global.no_color = true,
                    other => bail!("validate takes no argument {}", describe(&other)),
                }
            }
            Command::Validate
        }
        "graph" => {
            while let Some(arg) = flags.next() {
                match arg {
                    Arg::Flag(n, _) if n == "no-color" => global.no_color = true,
                    other => bail!("graph takes no argument {}", describe(&other)),
                }
            }
            Command::Graph
        }
        "fmt" => {
            let (mut check, mut diff) = (false, false);
            while let Some(arg) = flags.next() {
                match arg {
                    Arg::Flag(n, v) if n == "check" => check = parse_bool(&n, v)?,
                    Arg::Flag(n, v) if n == "diff" => diff = parse_bool(&n, v)?,
                    Arg::Flag(n, _) if n == "no-color" => global.no_color = true,
                    other => bail!("fmt takes -check and -diff, not {}", describe(&other)),
                }
            }
            Command::Fmt { check, diff }
        }
        "plan" => {
            let (args, positional) = plan_args(&mut flags, &mut global, false)?;
            if let Some(p) = positional.first() {
                bail!("plan takes no positional argument {p:?}");
            }
            Command::Plan(args)
        }
        "apply" | "destroy" => {
            let (mut args, positional) = plan_args(&mut flags, &mut global, true)?;
            if command == "destroy" {
                args.destroy = true;
            }
            let auto_approve = args.out.take().is_some_and(|v| v == "auto-approve");
            if positional.len() > 1 {
                bail!("{command} takes at most one plan file");
            }
            if command == "destroy" && !positional.is_empty() {
                bail!("destroy takes no plan file");
            }
            Command::Apply {
                plan_file: positional.into_iter().next(),
                auto_approve,
                args,
            }
        }
        "show" => {
            let (mut file, mut json, mut markdown, mut state) = (None, false, false, None);
            while let Some(arg) = flags.next() {
                match arg {
                    Arg::Positional(p) if file.is_none() => file = Some(p),
                    Arg::Flag(n, v) if n == "json" => json = parse_bool(&n, v)?,
                    Arg::Flag(n, v) if n == "markdown" => markdown = parse_bool(&n, v)?,
                    Arg::Flag(n, v) if n == "state" => state = Some(flags.value(&n, v)?),
                    Arg::Flag(n, _) if n == "no-color" => global.no_color = true,
                    other => bail!(
                        "show takes [PLANFILE] [-json | -markdown], not {}",
                        describe(&other)
                    ),
                }
            }
            if json && markdown {
                bail!("show takes -json or -markdown, not both");
            }
            if markdown && file.is_none() {
                bail!("show -markdown needs a plan file: trellis show -markdown PLANFILE");
            }
            Command::Show {
                file,
                json,
                markdown,
                state,
            }
        }
        "output" => {
            let (mut name, mut json, mut raw, mut state) = (None, false, false, None);
            while let Some(arg) = flags.next() {
                match arg {
                    Arg::Positional(p) if name.is_none() => name = Some(p),
                    Arg::Flag(n, v) if n == "json" => json = parse_bool(&n, v)?,
                    Arg::Flag(n, v) if n == "raw" => raw = parse_bool(&n, v)?,
                    Arg::Flag(n, v) if n == "state" => state = Some(flags.value(&n, v)?),
                    Arg::Flag(n, _) if n == "no-color" => global.no_color = true,
                    other => bail!(
                        "output takes [NAME] [-json] [-raw], not {}",
                        describe(&other)
                    ),
                }
            }
            Command::Output {
                name,
                json,
                raw,
                state,
            }
        }
        "state" => state_command(&mut flags)?,
        "init" => {
            let mut init = crate::backend::InitArgs {
                lock: true,
                ..Default::default()
            };
            while let Some(arg) = flags.next() {
                match arg {
                    Arg::Flag(n, v) if n == "backend-config" => {
                        init.backend_config.push(flags.value(&n, v)?)
                    }
                    Arg::Flag(n, v) if n == "migrate-state" || n == "force-copy" => {
                        init.migrate_state = parse_bool(&n, v)?
                    }
                    Arg::Flag(n, v) if n == "reconfigure" => init.reconfigure = parse_bool(&n, v)?,
                    Arg::Flag(n, v) if n == "force" => init.force = parse_bool(&n, v)?,
                    Arg::Flag(n, v) if n == "lock" => init.lock = parse_bool(&n, v)?,
                    Arg::Flag(n, v) if n == "lock-timeout" => {
                        init.lock_timeout = parse_duration(&flags.value(&n, v)?)?
                    }
                    Arg::Flag(n, v) if n == "upgrade" => init.upgrade = parse_bool(&n, v)?,
                    Arg::Flag(n, v) if n == "plugin-dir" => {
                        init.plugin_dirs.push(flags.value(&n, v)?)
                    }
                    Arg::Flag(n, _) if n == "input" || n == "backend" => {}
                    Arg::Flag(n, _) if n == "no-color" => global.no_color = true,
                    other => bail!(
                        "init takes -upgrade, -plugin-dir=DIR, -backend-config=KEY=VALUE, -migrate-state, -reconfigure, -force, -lock-timeout, not {}",
                        describe(&other)
                    ),
                }
            }
            Command::Init(init)
        }
        "import" => {
            let mut a = ImportArgs::default();
            let mut positional = Vec::new();
            while let Some(arg) = flags.next() {
                match arg {
                    Arg::Positional(p) => positional.push(p),
                    Arg::Flag(n, v) => match n.as_str() {
                        "service-network" => a.service_networks.push(flags.value(&n, v)?),
                        "generate-config-out" => a.generate_config_out = Some(flags.value(&n, v)?),
                        "provider" => a.provider = Some(flags.value(&n, v)?),
                        "var" => a.vars.push(flags.value(&n, v)?),
                        "var-file" => a.var_files.push(flags.value(&n, v)?),
                        "state" => a.state = Some(flags.value(&n, v)?),
                        "lock-timeout" => a.lock_timeout = parse_duration(&flags.value(&n, v)?)?,
                        "no-color" => global.no_color = true,
                        _ => bail!("unknown flag -{n} for import"),
                    },
                }
            }
            if a.service_networks.is_empty() {
                if a.generate_config_out.is_some() {
                    bail!("-generate-config-out needs at least one -service-network=ID_OR_ARN to discover");
                }
                let mut p = positional.into_iter();
                a.address = Some(p.next().ok_or_else(|| {
                    anyhow!("import needs ADDR ID, or -service-network=ID_OR_ARN -generate-config-out=FILE")
                })?);
                a.id = Some(
                    p.next()
                        .ok_or_else(|| anyhow!("import needs the ID of the object after ADDR"))?,
                );
                if let Some(extra) = p.next() {
                    bail!("import takes ADDR ID, not also {extra:?}");
                }
            } else {
                if let Some(p) = positional.first() {
                    bail!("import with -service-network takes no positional argument {p:?}");
                }
                if a.generate_config_out.is_none() {
                    bail!("-service-network needs -generate-config-out=FILE: discovery writes the configuration it finds");
                }
            }
            Command::Import(a)
        }
        "force-unlock" => {
            let (mut id, mut state) = (None, None);
            while let Some(arg) = flags.next() {
                match arg {
                    Arg::Positional(p) if id.is_none() => id = Some(p),
                    Arg::Flag(n, v) if n == "state" => state = Some(flags.value(&n, v)?),
                    Arg::Flag(n, _) if n == "force" => {}
                    other => bail!("force-unlock takes LOCK_ID, not {}", describe(&other)),
                }
            }
            Command::ForceUnlock {
                id: id.ok_or_else(|| anyhow!("force-unlock needs the LOCK_ID"))?,
                state,
            }
        }
        other => {
            let known = [
                "init",
                "validate",
                "fmt",
                "plan",
                "apply",
                "destroy",
                "show",
                "output",
                "state",
                "graph",
                "import",
                "force-unlock",
                "version",
            ];
            let best = known
                .iter()
                .map(|k| (similar::TextDiff::from_chars(other, k).ratio(), k))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .filter(|(r, _)| *r > 0.6)
                .map(|(_, k)| format!("; did you mean {k:?}?"))
                .unwrap_or_default();
            bail!("unknown command {other:?}{best}")
        }
    };
    Ok((global, command))
}

fn describe(arg: &Arg) -> String {
    match arg {
        Arg::Positional(p) => format!("{p:?}"),
        Arg::Flag(n, _) => format!("-{n}"),
    }
}

/// Parses plan flags; `-auto-approve` (apply only) is passed back through `out` as a marker
/// to keep one parser for both commands.
fn plan_args(
    flags: &mut Flags,
    global: &mut Global,
    apply: bool,
) -> Result<(PlanArgs, Vec<String>)> {
    let mut a = PlanArgs {
        refresh: true,
        parallelism: 10,
        lock: true,
        input: true,
        ..PlanArgs::default()
    };
    let mut auto_approve = false;
    let mut positional = Vec::new();
    while let Some(arg) = flags.next() {
        match arg {
            Arg::Positional(p) => positional.push(p),
            Arg::Flag(n, v) => match n.as_str() {
                "out" if !apply => a.out = Some(flags.value(&n, v)?),
                "auto-approve" if apply => auto_approve = parse_bool(&n, v)?,
                "detailed-exitcode" if !apply => a.detailed_exitcode = parse_bool(&n, v)?,
                "refresh" if v.as_deref() == Some("full") => {
                    a.refresh = true;
                    a.full_refresh = true;
                }
                "refresh" => {
                    a.refresh = parse_bool(&n, v)
                        .map_err(|_| anyhow!("flag -refresh takes true, false or full"))?;
                    a.full_refresh = false;
                }
                "replace" => a.replace.push(flags.value(&n, v)?),
                "target" => a.target.push(flags.value(&n, v)?),
                "var" => a.vars.push(flags.value(&n, v)?),
                "var-file" => a.var_files.push(flags.value(&n, v)?),
                "parallelism" => {
                    let text = flags.value(&n, v)?;
                    a.parallelism = text.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                        anyhow!("-parallelism needs a whole number above 0, not {text:?}")
                    })?;
                }
                "lock" => a.lock = parse_bool(&n, v)?,
                "lock-timeout" => a.lock_timeout = parse_duration(&flags.value(&n, v)?)?,
                "destroy" => a.destroy = parse_bool(&n, v)?,
                "json" => a.json = parse_bool(&n, v)?,
                "markdown" if !apply => a.markdown = parse_bool(&n, v)?,
                "state" => a.state = Some(flags.value(&n, v)?),
                "input" => a.input = parse_bool(&n, v)?,
                "no-color" => global.no_color = true,
                _ => bail!("unknown flag -{n}"),
            },
        }
    }
    if a.json && a.markdown {
        bail!("plan takes -json or -markdown, not both");
    }
    if apply && auto_approve {
        a.out = Some("auto-approve".to_string());
    }
    Ok((a, positional))
}

fn state_command(flags: &mut Flags) -> Result<Command> {
    let mut positional = Vec::new();
    let mut state = None;
    let mut force = false;
    let mut lock_timeout = Duration::ZERO;
    let mut from_terraform = None;
    while let Some(arg) = flags.next() {
        match arg {
            Arg::Positional(p) => positional.push(p),
            Arg::Flag(n, v) if n == "state" => state = Some(flags.value(&n, v)?),
            Arg::Flag(n, v) if n == "force" => force = parse_bool(&n, v)?,
            Arg::Flag(n, v) if n == "lock-timeout" => {
                lock_timeout = parse_duration(&flags.value(&n, v)?)?
            }
            Arg::Flag(n, v) if n == "from-terraform" => from_terraform = Some(flags.value(&n, v)?),
            Arg::Flag(n, _) => bail!("unknown flag -{n} for state"),
        }
    }
    let mut p = positional.into_iter();
    let sub = match p.next().as_deref() {
        Some("list") => StateCommand::List {
            filters: p.collect(),
        },
        Some("show") => StateCommand::Show {
            address: p
                .next()
                .ok_or_else(|| anyhow!("state show needs an ADDRESS"))?,
        },
        Some("mv") => {
            let from = p
                .next()
                .ok_or_else(|| anyhow!("state mv needs SOURCE and DESTINATION"))?;
            let to = p
                .next()
                .ok_or_else(|| anyhow!("state mv needs SOURCE and DESTINATION"))?;
            StateCommand::Mv { from, to }
        }
        Some("rm") => {
            let addresses: Vec<String> = p.collect();
            if addresses.is_empty() {
                bail!("state rm needs at least one ADDRESS");
            }
            StateCommand::Rm { addresses }
        }
        Some("pull") => StateCommand::Pull,
        Some("push") => StateCommand::Push {
            file: p.next().ok_or_else(|| anyhow!("state push needs a FILE"))?,
            force,
        },
        Some("restore") => StateCommand::Restore { backup: p.next() },
        Some("migrate") => StateCommand::Migrate {
            from_terraform: from_terraform.take().ok_or_else(|| {
                anyhow!("state migrate needs -from-terraform=terraform.tfstate")
            })?,
        },
        Some(other) => bail!(
            "unknown state subcommand {other:?}; use list, show, mv, rm, pull, push, restore or migrate"
        ),
        None => bail!(
            "state needs a subcommand: list, show, mv, rm, pull, push, restore or migrate"
        ),
    };
    Ok(Command::State {
        sub,
        state,
        lock_timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<(Global, Command)> {
        parse(line.split_whitespace().map(str::to_string).collect())
    }

    #[test]
    fn plan_flags() {
        let (g, c) = parse_line("-chdir=x plan -out=p.plan -var a=1 -var=b=2 -target aws_x.y -parallelism=3 -refresh=false").unwrap();
        assert_eq!(g.chdir.as_deref(), Some("x"));
        let Command::Plan(a) = c else {
            panic!("not a plan")
        };
        assert_eq!(a.out.as_deref(), Some("p.plan"));
        assert_eq!(a.vars, vec!["a=1", "b=2"]);
        assert_eq!(a.target, vec!["aws_x.y"]);
        assert_eq!(a.parallelism, 3);
        assert!(!a.refresh);
        let (_, c) = parse_line("plan -refresh=full").unwrap();
        let Command::Plan(a) = c else {
            panic!("not a plan")
        };
        assert!(a.refresh && a.full_refresh);
        assert!(parse_line("plan -refresh=sometimes").is_err());
    }

    #[test]
    fn apply_with_file_and_approve() {
        let (_, c) = parse_line("apply -auto-approve tf.plan").unwrap();
        let Command::Apply {
            plan_file,
            auto_approve,
            ..
        } = c
        else {
            panic!("not apply")
        };
        assert_eq!(plan_file.as_deref(), Some("tf.plan"));
        assert!(auto_approve);
    }

    #[test]
    fn errors_are_clear() {
        assert!(parse_line("plan -bogus")
            .unwrap_err()
            .to_string()
            .contains("-bogus"));
        assert!(parse_line("plna").unwrap_err().to_string().contains("plan"));
        assert!(parse_line("plan -parallelism=0").is_err());
        assert!(parse_line("state").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("5x").is_err());
    }
}
