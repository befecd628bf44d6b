#!/usr/bin/env bash
# Runs every test of trellis on a fresh machine: installs the AWS emulator (a pinned moto in
# a virtualenv), runs its pytest suite, checks formatting and lints, and runs the whole
# Rust test suite (unit, snapshot, CLI and emulator-backed tests).
#
#   tools/test-all.sh
#
# CARGO_TARGET_DIR is honoured; by default the build goes to $HOME/.cache/trellis-target so
# that repeated runs (and CI on the same machine) reuse it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trellis-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A one-shot build: incremental caches would only cost disk (gigabytes here).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n==> %s\n' "$*"; }

step "installing the AWS emulator (pinned moto) into a virtualenv"
venv="$(tools/aws-emulator/install.sh)"
export TRELLIS_EMULATOR_PYTHON="$venv/bin/python"

step "emulator tests (pytest, boto3 against the emulator)"
tools/aws-emulator/test.sh

step "CI helper tests (tools/ci/github_pr.py against a fake GitHub API on 127.0.0.1)"
python3 tools/ci/test_github_pr.py

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (all crates)"
cargo test --workspace --locked
