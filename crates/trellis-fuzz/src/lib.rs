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
    let Ok(graph) = trellis_plan::graph::build(&config, &sources) else {
        return;
    };
    let mut registry = trellis_provider::Registry::new();
    registry.register(Arc::new(trellis_provider::memory::MemoryFactory::new()));
    let Ok(variables) =
        trellis_plan::variables::evaluate_variables(&config, &sources, &[], &NoFiles)
    else {
        return;
    };
    runtime().block_on(async {
        if trellis_plan::planner::validate(&config, &sources, &graph, &registry, &NoFiles)
            .await
            .0
            .has_errors()
        {
            return;
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
            return;
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
        if let Ok(plan) = plan {
            let _ = trellis_views::render_plan(&plan, trellis_views::Style::plain());
        }
        let _ = providers.close().await;
    });
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
