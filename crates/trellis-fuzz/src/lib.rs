//! What the fuzz targets under `fuzz/` run, as plain functions.
//!
//! Each function takes arbitrary bytes and must return without panicking, however malformed
//! the bytes are: that is the property the fuzzers check. The functions live in this
//! workspace crate rather than in `fuzz/` (which needs libFuzzer and is not built by CI) so
//! that the normal suite compiles them against the current engine, and replays every input
//! under `tests/regressions/` (a crash a fuzzer found becomes a file there).
//!
//! This crate is not a fuzzer and does not generate inputs; see docs/reliability.md.

use std::sync::{Arc, OnceLock};

use trellis_plan::scope::NoFiles;
use trellis_types::SourceMap;

/// Parses `data` as one `main.tf`, and formats it.
pub fn config_parse(data: &[u8]) {
    let Ok(file) = trellis_config::decode_source("main.tf", data) else {
        return;
    };
    let _ = trellis_config::format_source(&file.text);
    let mut sources = SourceMap::new();
    sources.add(file);
    let (_config, _diags) = trellis_config::parse(&sources);
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// Parses `data` as one `main.tf` and, when it parses, does what `trellis plan` does with
/// it against an empty state and the in-memory provider: graph, validation, variables,
/// provider configuration, and the plan (which evaluates every expression).
pub fn config_eval(data: &[u8]) {
    let Ok(file) = trellis_config::decode_source("main.tf", data) else {
        return;
    };
    let mut sources = SourceMap::new();
    sources.add(file);
    let (config, diags) = trellis_config::parse(&sources);
    if diags.has_errors() {
        return;
    }
    plan_config(config, sources);
}

/// The line that splits a `config_modules` input into the root module and the module.
pub const MODULE_SEPARATOR: &[u8] = b"\n#-- module --\n";

/// Like [`config_eval`] with local modules: `data` is the root module's `main.tf`, then
/// [`MODULE_SEPARATOR`], then the `main.tf` of every module directory the root (or a module)
/// calls, whatever its `source`. Module loading (cycles, depth, arguments, `providers`),
/// per-instance evaluation, outputs between modules and module addresses are all reached.
pub fn config_modules(data: &[u8]) {
    modules_planned(data);
}

/// [`config_modules`], saying whether it got as far as rendering a plan.
fn modules_planned(data: &[u8]) -> bool {
    let (root, module) = match data
        .windows(MODULE_SEPARATOR.len())
        .position(|w| w == MODULE_SEPARATOR)
    {
        Some(at) => (&data[..at], &data[at + MODULE_SEPARATOR.len()..]),
        None => (data, &b""[..]),
    };
    let Ok(file) = trellis_config::decode_source("main.tf", root) else {
        return false;
    };
    let mut sources = SourceMap::new();
    sources.add(file);
    let (mut config, diags) = trellis_config::parse(&sources);
    if diags.has_errors() {
        return false;
    }
    let mut read_dir = |dir: &str| -> Result<Vec<trellis_types::SourceFile>, String> {
        trellis_config::decode_source(&format!("{dir}/main.tf"), module)
            .map(|f| vec![f])
            .map_err(|e| format!("{e:?}"))
    };
    if trellis_config::load_modules(&mut config, &mut sources, &mut read_dir).has_errors() {
        return false;
    }
    plan_config(config, sources)
}

/// What `trellis plan` does with a parsed configuration, against an empty state and the
/// in-memory provider, then renders the plan.
fn plan_config(config: trellis_config::Config, sources: SourceMap) -> bool {
    let Ok(graph) = trellis_plan::graph::build(&config, &sources) else {
        return false;
    };
    let mut registry = trellis_provider::Registry::new();
    // Sandboxed: an input must not make the provider read a file (`store = "/dev/zero"`),
    // sleep (`latency_ms`) or exit.
    registry.register(Arc::new(
        trellis_provider::memory::MemoryFactory::sandboxed(),
    ));
    let Ok(variables) =
        trellis_plan::variables::evaluate_variables(&config, &sources, &[], &NoFiles)
    else {
        return false;
    };
    runtime().block_on(async {
        if trellis_plan::planner::validate(&config, &sources, &graph, &registry, &NoFiles)
            .await
            .0
            .has_errors()
        {
            return false;
        }
        let Ok(providers) = trellis_plan::providers::configure(
            &config,
            &sources,
            &variables,
            &registry,
            &NoFiles,
            &[],
        )
        .await
        else {
            return false;
        };
        let state = trellis_state::State::default();
        let plan = trellis_plan::plan(trellis_plan::PlanInput {
            config: &config,
            sources: &sources,
            graph: &graph,
            state: &state,
            variables,
            options: Default::default(),
            providers: &providers,
            files: &NoFiles,
            config_hash: String::new(),
        })
        .await;
        let planned = match plan {
            Ok(plan) => {
                let _ = trellis_views::render_plan(&plan, trellis_views::Style::plain());
                true
            }
            Err(_) => false,
        };
        let _ = providers.close().await;
        planned
    })
}

/// Decodes `data` as every kind of state record, and as a state snapshot (what backups,
/// `state pull` and `state push` use).
pub fn state_record(data: &[u8]) {
    let _ = trellis_state::decode_record::<trellis_state::StateMeta>(data);
    let _ = trellis_state::decode_record::<trellis_state::ResourceState>(data);
    let _ = trellis_state::decode_record::<trellis_state::Intent>(data);
    let _ = trellis_state::decode_record::<
        std::collections::BTreeMap<String, trellis_state::OutputState>,
    >(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(state) = trellis_state::from_json(text) {
            // What decodes must encode and decode again to the same state.
            let again = trellis_state::from_json(&trellis_state::to_json(&state))
                .expect("a snapshot that decoded encodes to one that decodes");
            assert_eq!(again.resources.len(), state.resources.len());
        }
    }
}

/// Decodes `data` as a saved plan file, as `trellis show` and `trellis apply PLANFILE` do,
/// and renders what decodes in every view.
pub fn plan_file(data: &[u8]) {
    let Ok(plan) = serde_json::from_slice::<trellis_plan::Plan>(data) else {
        return;
    };
    let _ = trellis_views::render_plan(&plan, trellis_views::Style::plain());
    let _ = trellis_views::plan_json(&plan);
    let _ = trellis_views::render_plan_markdown(&plan);
}

#[cfg(test)]
mod tests {
    /// The module seed reaches the plan: the harness is not stopped by its own set-up.
    #[test]
    fn a_module_seed_is_planned() {
        let seed = include_bytes!("../tests/regressions/config_modules/for-each-and-outputs.tf");
        assert!(super::modules_planned(seed));
        assert!(!super::modules_planned(include_bytes!(
            "../tests/regressions/config_modules/calls-itself.tf"
        )));
    }
}
