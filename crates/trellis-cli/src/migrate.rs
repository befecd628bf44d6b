//! `trellis state migrate -from-terraform=terraform.tfstate`.

use std::time::Duration;

use crate::workspace::{Outcome, StatePaths};
use crate::Ui;

pub async fn migrate(
    _ui: &Ui,
    _paths: &StatePaths,
    _from: &str,
    _lock_timeout: Duration,
) -> Outcome<i32> {
    Err(crate::workspace::Failure::Error(anyhow::anyhow!(
        "state migrate is not built yet"
    )))
}
