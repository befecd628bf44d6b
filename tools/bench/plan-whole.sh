#!/usr/bin/env bash
# Times the release `trellis` binary as a user runs it (the whole process: reading files,
# planning, rendering, writing to a pipe, exiting) on the mesh that `trellis-bench`
# generates for its in-process figures (10 networks, and per service a service, a listener
# and an association: 10,000 resources by default), empty state, in-memory provider.
#
#   tools/bench/plan-whole.sh [RESOURCES] [RUNS] [MESH]     # defaults: 10000 5 test
#
# MESH `lattice` is issue 20's mesh instead: AWS VPC Lattice types (the AWS provider plans
# offline with -refresh=false), one service network and per service a service, a target
# group, a listener, an auth policy and an association: (RESOURCES - 1) / 5 services, so
# `10001 5 lattice` is 2,000 services.
#
# For each command it prints every run's wall time, CPU time (user + system) and peak RSS
# (`/usr/bin/time`'s maximum resident set size), then the minimum and the median of each.
# Commands, in the generated directory:
#   plan                 trellis plan -refresh=false -input=false | cat
#   plan -out            trellis plan -refresh=false -input=false -out=bench.plan | cat
#   show -json           trellis show -json bench.plan | cat
#   show -markdown       trellis show -markdown bench.plan | cat
# It is a measuring tool: it asserts nothing about time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
resources="${1:-10000}"
runs="${2:-5}"
mesh="${3:-test}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trellis-target}"
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
cargo build -q --release -p trellis-cli -p trellis-bench --manifest-path "$root/Cargo.toml"
trellis="$CARGO_TARGET_DIR/release/trellis"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
case "$mesh" in
  test) "$CARGO_TARGET_DIR/release/trellis-bench" --write-config "$work" "$resources" ;;
  lattice)
    "$CARGO_TARGET_DIR/release/trellis-bench" --write-lattice-config "$work" "$(( (resources - 1) / 5 ))"
    # No instance metadata lookups: the provider block sets the region, and nothing is called.
    export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench ;;
  *) echo "unknown mesh $mesh (test or lattice)" >&2; exit 1 ;;
esac
cd "$work"
echo "configuration ($mesh mesh): $(wc -c <main.tf) bytes, $resources resources; trellis $("$trellis" version); $runs runs each; load $(cut -d' ' -f1-3 /proc/loadavg)"

# One run of "$@" with its stdout through a pipe: prints "wall_ms cpu_ms rss_mb".
one() {
  local start end
  start=$(date +%s%N)
  /usr/bin/time -o "$work/time.txt" -f '%U %S %M' "$trellis" "$@" | cat >"$work/out.txt"
  end=$(date +%s%N)
  read -r user sys rss <"$work/time.txt"
  awk -v w="$(( (end - start) / 1000000 ))" -v u="$user" -v s="$sys" -v r="$rss" \
    'BEGIN { printf "%d %d %d\n", w, (u + s) * 1000, r / 1024 }'
}

# min and median of one column of numbers, one per line.
stats() {
  sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "min %d, median %d", v[1], m }'
}

measure() {
  local name="$1"; shift
  : >"$work/runs.txt"
  for _ in $(seq 1 "$runs"); do one "$@" >>"$work/runs.txt"; done
  printf '%-15s wall ms: %s | cpu ms: %s | peak RSS MB: %s\n' "$name" \
    "$(cut -d' ' -f1 "$work/runs.txt" | stats)" \
    "$(cut -d' ' -f2 "$work/runs.txt" | stats)" \
    "$(cut -d' ' -f3 "$work/runs.txt" | stats)"
  printf '%-15s runs (wall cpu rss): %s\n' "" "$(tr '\n' ';' <"$work/runs.txt")"
}

measure "plan" plan -refresh=false -input=false
echo "                output: $(wc -c <"$work/out.txt") bytes, $(grep -c ' will be created' "$work/out.txt") creates"
measure "plan -out" plan -refresh=false -input=false -out=bench.plan
echo "                plan file: $(wc -c <bench.plan) bytes"
measure "show -json" show -json bench.plan
echo "                output: $(wc -c <"$work/out.txt") bytes"
measure "show -markdown" show -markdown bench.plan
echo "                output: $(wc -c <"$work/out.txt") bytes"
