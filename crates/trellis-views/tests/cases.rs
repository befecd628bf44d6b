//! Data-driven cases: every `testdata/views/plans/<case>/plan.json` rendered three ways.

use std::path::PathBuf;

use trellis_plan::Plan;
use trellis_views::{plan_json, render_plan, render_plan_markdown, Style};

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/views/plans")
}

#[test]
fn plan_cases() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("testdata/views/plans exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.join("plan.json").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 2, "expected plan cases in {:?}", cases_dir());
    for dir in dirs {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(dir.join("plan.json")).unwrap();
        let plan: Plan = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{case}: {e}"));
        let human = render_plan(&plan, Style::PLAIN);
        let json = serde_json::to_string_pretty(&plan_json(&plan)).unwrap();
        let markdown = render_plan_markdown(&plan);
        if let Ok(secrets) = std::fs::read_to_string(dir.join("secrets.txt")) {
            for secret in secrets.lines().filter(|l| !l.is_empty()) {
                for (form, rendered) in
                    [("human", &human), ("json", &json), ("markdown", &markdown)]
                {
                    assert!(
                        !rendered.contains(secret),
                        "{case}: {form} shows {secret:?}"
                    );
                }
            }
        }
        insta::assert_snapshot!(format!("{case}__human"), human);
        insta::assert_snapshot!(format!("{case}__json"), json);
        insta::assert_snapshot!(format!("{case}__markdown"), markdown);
    }
}
