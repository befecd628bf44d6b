//! One function per command. Each calls library operations and hands results to views.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Context};
use trellis_apply::{ApplyInput, EventSink};
use trellis_plan::providers::Providers;
use trellis_plan::{Plan, PlanOptions};
use trellis_state::{StateStore, DEFAULT_BACKUPS_KEPT};
use trellis_types::{Address, Diagnostic, Diagnostics};

use crate::args::{Command, PlanArgs, StateCommand};
use crate::interrupt::{Progress, Signals};
use crate::workspace::{
    configure_providers, write_private, DirFiles, Failure, Outcome, StatePaths, Workspace,
};
use crate::Ui;

const USAGE: &str = "Usage: trellis [-chdir=DIR] <command> [args]

Commands:
  init          configure the state backend (-backend-config=K=V), move state (-migrate-state)
  validate      check the configuration
  fmt           rewrite configuration files in the canonical style (-check, -diff)
  plan          show the changes apply would make (-out=FILE, -detailed-exitcode, -json,
                -markdown, -input=false)
  apply         make the changes (apply PLANFILE, or plan and confirm)
  destroy       delete everything this configuration manages
  show          show a saved plan or the state (-json; -markdown PLANFILE for a PR comment)
  output        show output values (-json, NAME)
  state         list, show, mv, rm, pull, push, restore, migrate -from-terraform=FILE
  graph         print the dependency graph in DOT
  import        import ADDR ID; or discover meshes: -service-network=ID -generate-config-out=FILE
  force-unlock  release a lock left by a process that died
  version       print the version
";

pub async fn run(ui: &Ui, command: Command) -> Outcome<i32> {
    match command {
        Command::Version => {
            println!("trellis v{}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        Command::Help => {
            print!("{USAGE}");
            Ok(0)
        }
        Command::Validate => validate(ui).await,
        Command::Fmt { check, diff } => fmt(ui, check, diff),
        Command::Graph => {
            let ws = Workspace::load(&ui.dir)?;
            print!("{}", ws.graph.to_dot());
            Ok(0)
        }
        Command::Plan(args) => plan_command(ui, args).await,
        Command::Apply {
            plan_file,
            auto_approve,
            args,
        } => apply_command(ui, plan_file, auto_approve, args).await,
        Command::Show {
            file,
            json,
            markdown,
            state,
        } => show(ui, file, json, markdown, state),
        Command::Output {
            name,
            json,
            raw,
            state,
        } => output(ui, name, json, raw, state),
        Command::State {
            sub,
            state,
            lock_timeout,
        } => state_command(ui, sub, state, lock_timeout).await,
        Command::Import(args) => crate::import::import_command(ui, args).await,
        Command::Init(args) => {
            // Modules first: the rest of the configuration is checked with them in place.
            for line in crate::workspace::install_modules(&ui.dir, args.upgrade)? {
                println!("{line}");
            }
            // Providers before the configuration is checked: their schemas are part of it.
            for line in
                crate::init_providers::install_providers(&ui.dir, args.upgrade, &args.plugin_dirs)?
            {
                println!("{line}");
            }
            // Diagnostics of the whole configuration, as for every command.
            Workspace::load(&ui.dir)?;
            for line in crate::backend::init(&ui.dir, &args)? {
                println!("{line}");
            }
            Ok(0)
        }
        Command::ForceUnlock { id, state } => {
            let paths = StatePaths::new(&ui.dir, state.as_deref());
            paths.force_unlock(&id)?;
            println!("trellis state has been successfully unlocked");
            Ok(0)
        }
    }
}

fn print_warnings(ui: &Ui, ws: &Workspace, warnings: &[Diagnostic]) {
    let diags = Diagnostics(warnings.to_vec());
    if !diags.is_empty() {
        eprint!(
            "{}",
            trellis_views::render_diagnostics(&diags, &ws.sources, ui.err_style)
        );
    }
}

async fn validate(ui: &Ui) -> Outcome<i32> {
    let ws = Workspace::load(&ui.dir)?;
    let registry = crate::workspace::workspace_registry(&ws)?;
    let (diags, declared) = trellis_plan::planner::validate(
        &ws.config,
        &ws.sources,
        &ws.graph,
        &registry,
        &DirFiles::new(&ws.dir),
    )
    .await;
    if diags.has_errors() {
        return Err(Failure::Diagnostics(diags, ws.sources.clone()));
    }
    let mut warnings = ws.warnings.0.clone();
    warnings.extend(diags.0);
    // The mesh's safety checks (policies with no effect, listener quota, open access) over
    // everything the configuration declares, as plan shows them.
    let declared = trellis_plan::Plan {
        format_version: trellis_plan::PLAN_FORMAT_VERSION,
        trellis_version: env!("CARGO_PKG_VERSION").to_string(),
        lineage: String::new(),
        serial: 0,
        config_hash: ws.config_hash.clone(),
        options: trellis_plan::PlanOptions::default(),
        variables: Default::default(),
        changes: declared,
        drift: Vec::new(),
        refreshed_private: Default::default(),
        planned_private: Default::default(),
        outputs: Vec::new(),
        warnings: Vec::new(),
    };
    warnings.extend(trellis_views::mesh_warnings(&declared));
    print_warnings(ui, &ws, &warnings);
    println!("Success! The configuration is valid.");
    Ok(0)
}

fn fmt(ui: &Ui, check: bool, diff: bool) -> Outcome<i32> {
    let sources = crate::workspace::read_sources(&ui.dir)?;
    let mut changed = Vec::new();
    let mut diags = Diagnostics::new();
    for file in sources.files() {
        if file.name.ends_with(".json") {
            continue;
        }
        let formatted = match trellis_config::format_source(&file.text) {
            Ok(f) => f,
            Err(message) => {
                diags.push(Diagnostic::error(format!(
                    "cannot format {}: {message}",
                    file.name
                )));
                continue;
            }
        };
        if formatted != *file.text {
            changed.push(file.name.clone());
            if diff {
                let text_diff = similar::TextDiff::from_lines(&*file.text, &formatted);
                print!(
                    "{}",
                    text_diff
                        .unified_diff()
                        .header(&format!("old/{}", file.name), &format!("new/{}", file.name))
                );
            }
            if !check {
                std::fs::write(ui.dir.join(&file.name), &formatted)
                    .with_context(|| format!("cannot write {}", file.name))?;
            }
            println!("{}", file.name);
        }
    }
    if diags.has_errors() {
        return Err(Failure::Diagnostics(diags, Arc::new(sources)));
    }
    Ok(if check && !changed.is_empty() { 3 } else { 0 })
}

/// A plan made under the lock, with what apply needs to go on.
struct Planned {
    ws: Workspace,
    plan: Plan,
    providers: Providers,
    /// `None` when the plan was made against a state that does not exist yet, which is
    /// neither created nor locked for that.
    store: Option<Arc<dyn StateStore>>,
    state: trellis_state::State,
}

fn parse_addresses(list: &[String], what: &str) -> Outcome<Vec<Address>> {
    list.iter()
        .map(|t| Address::parse(t).map_err(|e| Failure::Error(anyhow!("invalid {what}: {e}"))))
        .collect()
}

async fn make_plan(
    ws: Workspace,
    args: &PlanArgs,
    store: Option<Arc<dyn StateStore>>,
) -> Outcome<Planned> {
    let state = match &store {
        Some(store) => store.load()?,
        None => trellis_state::State::default(),
    };
    crate::logging::redact_state(&state);
    let variables = ws.variables(&args.var_files, &args.vars)?;
    crate::logging::redact_variables(&variables);
    let files = DirFiles::new(&ws.dir);
    let in_state = state.resources.values().map(|r| r.provider.clone());
    let in_intents = state.intents.values().map(|i| i.provider.clone());
    let providers = configure_providers(&ws, &variables, in_state.chain(in_intents)).await?;
    let options = PlanOptions {
        destroy: args.destroy,
        refresh: args.refresh,
        full_refresh: args.full_refresh,
        targets: parse_addresses(&args.target, "-target")?,
        replace: parse_addresses(&args.replace, "-replace")?,
    };
    let plan = trellis_plan::plan(trellis_plan::PlanInput {
        config: &ws.config,
        sources: &ws.sources,
        graph: &ws.graph,
        state: &state,
        variables,
        options,
        providers: &providers,
        files: &files,
        config_hash: ws.config_hash.clone(),
    })
    .await
    .map_err(|d| Failure::Diagnostics(d, ws.sources.clone()))?;
    crate::logging::redact_plan(&plan);
    Ok(Planned {
        ws,
        plan,
        providers,
        store,
        state,
    })
}

async fn plan_command(ui: &Ui, args: PlanArgs) -> Outcome<i32> {
    let ws = Workspace::load(&ui.dir)?;
    let paths = StatePaths::for_loaded(&ws.dir, &ws.config, args.state.as_deref());
    // Planning writes no state. Without a state there is nothing to lock or read, and
    // creating one here would leave a state directory behind a configuration error.
    let exists = paths.exists()?;
    let _lock = if args.lock && exists {
        Some(paths.lock("plan", args.lock_timeout)?)
    } else {
        None
    };
    let store = if exists {
        Some(paths.open_read()?)
    } else {
        None
    };
    let planned = make_plan(ws, &args, store).await?;
    let _ = planned.providers.close().await;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&trellis_views::plan_json(&planned.plan))
                .unwrap_or_default()
        );
    } else if args.markdown {
        print!("{}", trellis_views::render_plan_markdown(&planned.plan));
    } else {
        print!("{}", trellis_views::render_plan(&planned.plan, ui.style));
    }
    if let Some(out) = &args.out {
        let text = serde_json::to_vec_pretty(&planned.plan).context("cannot encode the plan")?;
        write_private(&ui.dir.join(out), &text)?;
        if !args.json && !args.markdown {
            println!("\nSaved the plan to: {out}\n\nTo perform exactly these actions, run:\n  trellis apply {out}");
        }
    }
    let code = if args.detailed_exitcode && planned.plan.has_changes() {
        2
    } else {
        0
    };
    // The process ends right after this command: freeing the configuration, graph, state
    // and plan piece by piece (millions of small allocations at 10,000 resources) is work
    // nobody waits for, so they are leaked deliberately and the OS takes the memory back.
    // The state store is dropped properly (it may hold files open); the lock is released
    // when `_lock` goes out of scope.
    let Planned {
        ws,
        plan,
        providers,
        store,
        state,
    } = planned;
    drop(store);
    drop(providers);
    std::mem::forget((ws, plan, state));
    Ok(code)
}

fn read_plan_file(ui: &Ui, file: &str) -> Outcome<Plan> {
    let text = std::fs::read(ui.dir.join(file))
        .with_context(|| format!("cannot read plan file {file}"))?;
    let plan: Plan = serde_json::from_slice(&text)
        .map_err(|e| anyhow!("{file} is not a trellis plan file: {e}"))?;
    if plan.format_version != trellis_plan::PLAN_FORMAT_VERSION {
        return Err(Failure::Error(anyhow!(
            "{file} has plan format {}; this trellis reads format {}",
            plan.format_version,
            trellis_plan::PLAN_FORMAT_VERSION
        )));
    }
    Ok(plan)
}

/// Why a saved plan no longer applies, if it does not.
fn stale_reason(plan: &Plan, ws: &Workspace, meta: &trellis_state::StateMeta) -> Option<String> {
    if plan.trellis_version != env!("CARGO_PKG_VERSION") {
        return Some(format!(
            "the plan was made by trellis {} and this is trellis {}",
            plan.trellis_version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    if plan.lineage != meta.lineage && !(plan.lineage.is_empty() && meta.serial == 0) {
        return Some(format!(
            "the plan was made for another state (lineage {}; this state is {})",
            plan.lineage, meta.lineage
        ));
    }
    if plan.serial != meta.serial {
        return Some(format!(
            "the state changed since the plan was made (serial {} then, {} now)",
            plan.serial, meta.serial
        ));
    }
    if plan.config_hash != ws.config_hash {
        return Some("the configuration files changed since the plan was made".to_string());
    }
    None
}

async fn apply_command(
    ui: &Ui,
    plan_file: Option<String>,
    auto_approve: bool,
    args: PlanArgs,
) -> Outcome<i32> {
    let mut ws = Workspace::load(&ui.dir)?;
    let paths = StatePaths::for_loaded(&ws.dir, &ws.config, args.state.as_deref());
    let operation = if args.destroy { "destroy" } else { "apply" };
    if plan_file.is_none() && !paths.exists()? {
        // The first apply in a directory plans once against the empty state before it
        // creates the state, so that a configuration error leaves nothing behind. The plan
        // is made again under the lock below.
        let checked = make_plan(ws, &args, None).await?;
        let _ = checked.providers.close().await;
        ws = checked.ws;
    }
    // A saved plan that cannot be read is refused before any state is created or locked.
    let saved = match &plan_file {
        Some(file) => Some(read_plan_file(ui, file)?),
        None => None,
    };
    let _lock = paths.lock(operation, args.lock_timeout)?;
    let store = paths.open()?;
    // From here on SIGINT and SIGTERM stop the apply gracefully instead of killing it.
    let signals = Signals::listen();

    let planned = match (&plan_file, saved) {
        (Some(file), Some(plan)) => {
            let meta = store.meta()?;
            if let Some(reason) = stale_reason(&plan, &ws, &meta) {
                return Err(Failure::Error(anyhow!(
                    "saved plan {file} is stale: {reason}\n\nmake a new plan with trellis plan -out={file}"
                )));
            }
            let state = store.load()?;
            crate::logging::redact_state(&state);
            crate::logging::redact_plan(&plan);
            crate::logging::redact_variables(&plan.variables);
            let variables = plan.variables.clone();
            let in_plan = plan.changes.iter().map(|c| c.provider.clone());
            let providers = configure_providers(&ws, &variables, in_plan).await?;
            Planned {
                ws,
                plan,
                providers,
                store: Some(store),
                state,
            }
        }
        _ => {
            let planned = make_plan(ws, &args, Some(store)).await?;
            print!("{}", trellis_views::render_plan(&planned.plan, ui.style));
            if !planned.plan.has_changes() {
                // Nothing to confirm; what refresh learned (drift, provider private data) is
                // still recorded, so later plans neither show the drift again nor re-read
                // objects that have not changed.
                if !planned.plan.records_refresh() {
                    let _ = planned.providers.close().await;
                    return Ok(0);
                }
            } else if !auto_approve && !confirm(operation, args.input)? {
                let _ = planned.providers.close().await;
                println!(
                    "\n{} cancelled.",
                    if args.destroy { "Destroy" } else { "Apply" }
                );
                return Ok(1);
            }
            planned
        }
    };
    print_warnings(ui, &planned.ws, &planned.plan.warnings);
    if signals.stopping() {
        let _ = planned.providers.close().await;
        eprintln!("\nInterrupted before any change was made; the state is unchanged.");
        return Ok(1);
    }
    execute(ui, planned, args.parallelism, &paths, &signals).await
}

/// Asks for `yes` on a terminal; refuses without one.
fn confirm(operation: &str, input: bool) -> Outcome<bool> {
    if !input || !std::io::stdin().is_terminal() {
        return Err(Failure::Error(anyhow!(
            "no terminal to confirm the {operation}: run with -auto-approve, or save a plan with trellis plan -out=FILE and run trellis apply FILE"
        )));
    }
    print!(
        "\nDo you want to perform these actions?\n  trellis will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the answer")?;
    Ok(line.trim() == "yes")
}

async fn execute(
    ui: &Ui,
    planned: Planned,
    parallelism: usize,
    paths: &StatePaths,
    signals: &Signals,
) -> Outcome<i32> {
    let Planned {
        ws,
        plan,
        providers,
        store,
        state,
    } = planned;
    let store = store.ok_or_else(|| anyhow!("internal error: apply without a state store"))?;
    if let Err(e) = trellis_state::write_backup(&paths.backups, &state, DEFAULT_BACKUPS_KEPT) {
        return Err(Failure::Error(anyhow!(
            "cannot back up the state before applying: {e}"
        )));
    }
    store.begin_write()?;
    let style = ui.style;
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let progress = Arc::new(Mutex::new(Progress::default()));
    let events: EventSink = {
        let stdout = stdout.clone();
        let progress = progress.clone();
        Arc::new(move |event| {
            progress
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .observe(&event);
            if let Some(line) = trellis_views::render_apply_event(&event, style) {
                let mut out = stdout.lock().unwrap_or_else(|p| p.into_inner());
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        })
    };
    let plan = Arc::new(plan);
    // While the changes run, interrupts are this command's to handle (see `interrupt`).
    crate::workspace::set_applying(true);
    let applying = trellis_apply::apply(ApplyInput {
        plan: plan.clone(),
        config: ws.config.clone(),
        sources: ws.sources.clone(),
        state,
        store: store.clone(),
        providers: providers.clone(),
        files: Arc::new(DirFiles::new(&ws.dir)),
        parallelism,
        events,
        interrupt: signals.stop.clone(),
    });
    let summary = tokio::select! {
        summary = applying => summary,
        _ = signals.abandoned() => {
            // Dropping the apply aborts its running operations. Every completed one is
            // already durable; a journaling store (S3) folds them into its snapshot, and
            // returning (rather than exiting) releases the lock, S3's included.
            let _ = providers.close().await;
            let _ = tokio::task::spawn_blocking(move || store.finish()).await;
            let progress = progress.lock().unwrap_or_else(|p| p.into_inner());
            let mut out = stdout.lock().unwrap_or_else(|p| p.into_inner());
            let _ = write!(out, "{}", progress.render_abandoned(&plan));
            let _ = out.flush();
            return Ok(130);
        }
    };
    crate::workspace::set_applying(false);
    let _ = providers.close().await;
    // Every change is already durable; a journaling store (S3) folds them into its snapshot.
    let finished = tokio::task::spawn_blocking(move || store.finish())
        .await
        .map_err(|e| anyhow!("internal error: {e}"))?;
    println!();
    print!(
        "{}",
        trellis_views::render_apply_summary(&summary, plan.options.destroy, ui.style)
    );
    if summary.interrupted {
        let progress = progress.lock().unwrap_or_else(|p| p.into_inner());
        print!("{}", progress.render_not_started(&plan));
    }
    finished?;
    let failed = summary.failed > 0 || summary.interrupted || !summary.errors.is_empty();
    Ok(if failed { 1 } else { 0 })
}

fn show(
    ui: &Ui,
    file: Option<String>,
    json: bool,
    markdown: bool,
    state: Option<String>,
) -> Outcome<i32> {
    if let Some(file) = file {
        let plan = read_plan_file(ui, &file)?;
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&trellis_views::plan_json(&plan)).unwrap_or_default()
            );
        } else if markdown {
            print!("{}", trellis_views::render_plan_markdown(&plan));
        } else {
            print!("{}", trellis_views::render_plan(&plan, ui.style));
        }
        // Leaked on purpose, as at the end of `plan`: the process ends now.
        std::mem::forget(plan);
        return Ok(0);
    }
    let paths = StatePaths::new(&ui.dir, state.as_deref());
    let state = paths.load_or_empty()?;
    if json {
        println!("{}", trellis_state::to_json(&redacted(&state)));
        return Ok(0);
    }
    if state.resources.is_empty() {
        println!("The state is empty.");
        return Ok(0);
    }
    for r in state.resources.values() {
        println!(
            "{}",
            trellis_views::render_state_resource(
                &r.address,
                &r.type_name,
                &r.value,
                &r.sensitive_paths
            )
        );
    }
    Ok(0)
}

/// The state with sensitive values replaced, for `show -json`.
fn redacted(state: &trellis_state::State) -> trellis_state::State {
    let mut out = state.clone();
    for r in out.resources.values_mut() {
        for p in r.sensitive_paths.clone() {
            r.value
                .set_path(&p, trellis_types::Value::string("(sensitive value)"));
        }
    }
    for o in out.outputs.values_mut() {
        if o.sensitive {
            o.value = trellis_types::Value::string("(sensitive value)");
        }
    }
    out
}

fn output(
    ui: &Ui,
    name: Option<String>,
    json: bool,
    raw: bool,
    state: Option<String>,
) -> Outcome<i32> {
    let paths = StatePaths::new(&ui.dir, state.as_deref());
    let state = paths.load_or_empty()?;
    let outputs: std::collections::BTreeMap<String, trellis_plan::OutputValue> = state
        .outputs
        .iter()
        .map(|(k, o)| {
            (
                k.clone(),
                trellis_plan::OutputValue {
                    value: o.value.clone(),
                    sensitive: o.sensitive,
                },
            )
        })
        .collect();
    match name {
        Some(name) => {
            let o = outputs.get(&name).ok_or_else(|| {
                anyhow!(
                    "output {name:?} not found; outputs are: {}",
                    outputs.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })?;
            // Asking for one output by name shows it, as Terraform does.
            if raw {
                match o.value.as_str() {
                    // As Terraform: the string itself, no newline after it.
                    Some(s) => {
                        use std::io::Write;
                        print!("{s}");
                        let _ = std::io::stdout().flush();
                    }
                    None => bail_failure("-raw needs a string output")?,
                }
            } else if json {
                println!("{}", o.value.to_json());
            } else {
                println!("{}", trellis_views::render_value(&o.value));
            }
        }
        None if json => {
            let map: serde_json::Map<String, serde_json::Value> = outputs
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        serde_json::json!({
                            "sensitive": o.sensitive,
                            "value": if o.sensitive { serde_json::Value::Null } else { o.value.to_json() },
                        }),
                    )
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&map).unwrap_or_default());
        }
        None => print!("{}", trellis_views::render_outputs(&outputs, ui.style)),
    }
    Ok(0)
}

fn bail_failure(message: &str) -> Outcome<()> {
    Err(Failure::Error(anyhow!("{message}")))
}

async fn state_command(
    ui: &Ui,
    sub: StateCommand,
    state: Option<String>,
    lock_timeout: Duration,
) -> Outcome<i32> {
    let paths = StatePaths::new(&ui.dir, state.as_deref());
    match sub {
        StateCommand::List { filters } => {
            let state = paths.load_or_empty()?;
            let filters = parse_addresses(&filters, "address")?;
            // Each deposed object is listed after the current object of its address.
            let mut lines: Vec<(&Address, Option<&str>)> =
                state.resources.keys().map(|a| (a, None)).collect();
            lines.extend(
                state
                    .deposed_objects()
                    .map(|d| (d.address(), Some(d.key.as_str()))),
            );
            lines.sort();
            for (a, key) in lines {
                if filters.is_empty() || filters.iter().any(|f| a.is_within(f)) {
                    match key {
                        Some(key) => println!("{a} (deposed object {key})"),
                        None => println!("{a}"),
                    }
                }
            }
            Ok(0)
        }
        StateCommand::Show { address } => {
            let state = paths.load_or_empty()?;
            let address = Address::parse(&address).map_err(|e| anyhow!("{e}"))?;
            let current = state.resources.get(&address);
            let deposed: Vec<_> = state
                .deposed
                .get(&address)
                .map(|by_key| by_key.values().collect())
                .unwrap_or_default();
            if current.is_none() && deposed.is_empty() {
                return Err(Failure::Error(anyhow!(
                    "no instance {address} in the state"
                )));
            }
            let render = |r: &trellis_state::ResourceState| {
                trellis_views::render_state_resource(
                    &r.address,
                    &r.type_name,
                    &r.value,
                    &r.sensitive_paths,
                )
            };
            let mut blocks: Vec<String> = current.map(render).into_iter().collect();
            for d in deposed {
                // The rendering starts with `# ADDRESS:`; a deposed object names its key.
                let text = render(&d.object);
                let body = text.split_once('\n').map_or("", |(_, rest)| rest);
                blocks.push(format!(
                    "# {} (deposed object {}):\n# (left over from a partially-failed replacement; the next apply destroys it)\n{body}",
                    d.address(),
                    d.key,
                ));
            }
            println!("{}", blocks.join("\n"));
            Ok(0)
        }
        StateCommand::Pull => {
            let state = paths.load_or_empty()?;
            println!("{}", trellis_state::to_json(&state));
            Ok(0)
        }
        StateCommand::Mv { from, to } => {
            let from = Address::parse(&from).map_err(|e| anyhow!("{e}"))?;
            let to = Address::parse(&to).map_err(|e| anyhow!("{e}"))?;
            let _lock = paths.lock("state mv", lock_timeout)?;
            let store = paths.open()?;
            let mut state = store.load()?;
            let moving: Vec<Address> = state
                .resources
                .keys()
                .filter(|a| {
                    if from.key.is_some() {
                        **a == from
                    } else {
                        a.is_within(&from)
                    }
                })
                .cloned()
                .collect();
            if moving.is_empty() {
                return Err(Failure::Error(anyhow!("no instance {from} in the state")));
            }
            let mut renamed = Vec::new();
            for old in moving {
                let mut new = to.clone();
                if from.key.is_none() && to.key.is_none() {
                    new.key = old.key.clone();
                }
                if state.resources.contains_key(&new) {
                    return Err(Failure::Error(anyhow!(
                        "cannot move {old} to {new}: {new} already exists"
                    )));
                }
                if new.type_name != old.type_name {
                    return Err(Failure::Error(anyhow!(
                        "cannot move {old} to {new}: the resource types differ"
                    )));
                }
                let mut record = state.resources.remove(&old).expect("listed above");
                record.address = new.clone();
                state.resources.insert(new.clone(), record);
                renamed.push((old, new));
            }
            trellis_state::write_backup(&paths.backups, &store.load()?, DEFAULT_BACKUPS_KEPT)?;
            state.meta = store.begin_write()?;
            store.replace_all(&state)?;
            for (old, new) in renamed {
                println!("Moved {old} to {new}");
            }
            Ok(0)
        }
        StateCommand::Rm { addresses } => {
            let targets = parse_addresses(&addresses, "address")?;
            let _lock = paths.lock("state rm", lock_timeout)?;
            let store = paths.open()?;
            let mut state = store.load()?;
            let removing: Vec<Address> = state
                .resources
                .keys()
                .filter(|a| targets.iter().any(|t| a.is_within(t)))
                .cloned()
                .collect();
            if removing.is_empty() {
                return Err(Failure::Error(anyhow!("no matching instance in the state")));
            }
            trellis_state::write_backup(&paths.backups, &state, DEFAULT_BACKUPS_KEPT)?;
            for a in &removing {
                state.resources.remove(a);
            }
            state.meta = store.begin_write()?;
            store.replace_all(&state)?;
            for a in removing {
                println!("Removed {a}");
            }
            Ok(0)
        }
        StateCommand::Push { file, force } => {
            let text = std::fs::read_to_string(ui.dir.join(&file))
                .with_context(|| format!("cannot read {file}"))?;
            let mut incoming = trellis_state::from_json(&text)?;
            let _lock = paths.lock("state push", lock_timeout)?;
            let store = paths.open()?;
            let current = store.load()?;
            let fresh = current.resources.is_empty() && current.meta.serial <= 1;
            if !force && !fresh && incoming.meta.lineage != current.meta.lineage {
                return Err(Failure::Error(anyhow!(
                    "cannot push a state of lineage {} over one of lineage {}; use -force to overwrite",
                    incoming.meta.lineage,
                    current.meta.lineage
                )));
            }
            trellis_state::write_backup(&paths.backups, &current, DEFAULT_BACKUPS_KEPT)?;
            let meta = store.begin_write()?;
            incoming.meta.serial = meta.serial.max(incoming.meta.serial + 1);
            if force || fresh {
                // Keep the pushed lineage so that plans made against it stay valid.
            } else {
                incoming.meta.lineage = meta.lineage;
            }
            store.replace_all(&incoming)?;
            println!("Pushed {file} ({} resources).", incoming.resources.len());
            Ok(0)
        }
        StateCommand::Migrate { from_terraform } => {
            crate::migrate::migrate(ui, &paths, &from_terraform, lock_timeout).await
        }
        StateCommand::Restore { backup } => {
            let backups = trellis_state::list_backups(&paths.backups)?;
            let chosen = match backup {
                Some(name) => backups
                    .iter()
                    .find(|b| {
                        b.path
                            .file_name()
                            .is_some_and(|f| f.to_string_lossy() == name)
                            || b.path.to_string_lossy() == name
                    })
                    .ok_or_else(|| anyhow!("no backup named {name}"))?,
                None => {
                    if backups.is_empty() {
                        return Err(Failure::Error(anyhow!(
                            "there are no backups in {}",
                            paths.backups.display()
                        )));
                    }
                    println!("Backups (newest last):");
                    for b in &backups {
                        println!(
                            "  {}",
                            b.path
                                .file_name()
                                .map(|f| f.to_string_lossy().to_string())
                                .unwrap_or_default()
                        );
                    }
                    println!("\nRun trellis state restore NAME to bring one back.");
                    return Ok(0);
                }
            };
            let mut restored = trellis_state::read_backup(&chosen.path)?;
            let _lock = paths.lock("state restore", lock_timeout)?;
            let crate::workspace::ForRestore {
                store,
                state: current,
                aside,
            } = paths.open_for_restore()?;
            if let Some(current) = &current {
                trellis_state::write_backup(&paths.backups, current, DEFAULT_BACKUPS_KEPT)?;
            }
            let meta = store.begin_write()?;
            restored.meta.serial = meta.serial;
            if let Some(aside) = &aside {
                // A new history: the new store's lineage, so that no plan saved against the
                // damaged state (whose serial is unknown) can be applied to this one.
                restored.meta.lineage = meta.lineage;
                eprintln!(
                    "The state was damaged; it was moved aside to {} (kept, not deleted).",
                    aside.display()
                );
            }
            store.replace_all(&restored)?;
            println!("Restored the state from {}.", chosen.path.display());
            Ok(0)
        }
    }
}
