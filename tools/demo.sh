#!/usr/bin/env bash
# The main job end to end on a fresh machine: builds trellis, then plans, applies, re-plans
# (expecting no changes) and destroys an example mesh.
#
#   tools/demo.sh            # examples/quickstart (VPC Lattice) against the local AWS emulator
#   tools/demo.sh in-memory  # examples/in-memory against the in-memory test provider
#   tools/demo.sh seed-mesh  # examples/seed-mesh: four accounts (network, service-a/b/c) with
#                            # RAM sharing, Route53 names and security groups, on the emulator
#
# With AWS credentials configured and TRELLIS_DEMO_REAL_AWS=1, the quickstart runs against
# your AWS account instead of the emulator (it creates and then destroys real resources).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trellis-target}"
mode="${1:-quickstart}"

echo "==> building trellis"
cargo build --quiet -p trellis-cli
trellis="$CARGO_TARGET_DIR/debug/trellis"
work="$(mktemp -d)"
trap 'rm -rf "$work"; [[ -n "${emulator_pid:-}" ]] && kill "$emulator_pid" 2>/dev/null || true' EXIT

run() {
  echo
  echo "\$ trellis $*"
  "$trellis" -chdir="$work" "$@"
}

if [[ "$mode" == "in-memory" ]]; then
  cp examples/in-memory/*.tf "$work/"
  sed -i "s#store = \"world.json\"#store = \"$work/world.json\"#" "$work/main.tf"
  vars=()
else
  if [[ "$mode" == "seed-mesh" ]]; then
    cp examples/seed-mesh/*.tf "$work/"
  else
    cp examples/quickstart/*.tf "$work/"
  fi
  if [[ "${TRELLIS_DEMO_REAL_AWS:-0}" != "1" ]]; then
    echo "==> starting the local AWS emulator (pinned moto with trellis's extensions)"
    venv="$(tools/aws-emulator/install.sh)"
    log="$work/emulator.log"
    export PYTHONPATH="$root/tools/aws-emulator${PYTHONPATH:+:$PYTHONPATH}"
    "$venv/bin/python" -m trellis_emulator --port 0 --async-delay-ms 200 >"$log" 2>&1 &
    emulator_pid=$!
    for _ in $(seq 1 100); do
      url="$(sed -n 's/^TRELLIS_EMULATOR_LISTENING //p' "$log" | head -n1)"
      [[ -n "$url" ]] && break
      sleep 0.1
    done
    [[ -n "${url:-}" ]] || { echo "the emulator did not start:"; cat "$log"; exit 1; }
    export AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
    echo "    emulator at $url"
    vpc_id="$("$venv/bin/python" - <<PY
import boto3
ec2 = boto3.client("ec2", endpoint_url="$url", region_name="us-east-1")
print(ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"])
PY
)"
    if [[ "$mode" == "seed-mesh" ]]; then
      # The emulator acts as each of the example's accounts through assume_role.
      vars=()
    else
      vars=(-var "vpc_id=$vpc_id")
    fi
  else
    vars=()
  fi
fi

run validate
run plan "${vars[@]}" -out=demo.plan
run apply demo.plan
set +e
run plan "${vars[@]}" -detailed-exitcode
code=$?
set -e
if [[ $code -ne 0 ]]; then
  echo "expected no changes after apply (exit 0), got exit $code"
  exit 1
fi
run state list
run output
run destroy "${vars[@]}" -auto-approve
echo
echo "==> done: planned, applied, re-planned with no changes, and destroyed"
