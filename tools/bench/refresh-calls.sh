#!/usr/bin/env bash
# Counts the AWS API calls of one refresh (a `trellis plan` with no changes) per managed
# resource, on the mesh shape of issue 4: per service one listener, two rules, one target
# group with three IP targets, an auth policy and a service-network association; plus one
# service network and its VPC association. The emulator's call counter does the counting.
#
#   tools/bench/refresh-calls.sh [SERVICES]      # default 20
#
# Prints the calls by operation and the calls per managed resource.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
services="${1:-20}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trellis-target}"
cargo build -q -p trellis-cli --manifest-path "$root/Cargo.toml"
trellis="$CARGO_TARGET_DIR/debug/trellis"
work="$(mktemp -d)"
trap 'rm -rf "$work"; [[ -n "${emulator_pid:-}" ]] && kill "$emulator_pid" 2>/dev/null || true' EXIT

venv="$("$root/tools/aws-emulator/install.sh")"
export PYTHONPATH="$root/tools/aws-emulator${PYTHONPATH:+:$PYTHONPATH}"
"$venv/bin/python" -m trellis_emulator --port 0 --async-delay-ms 0 >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
  url="$(sed -n 's/^TRELLIS_EMULATOR_LISTENING //p' "$work/emulator.log" | head -n1)"
  [[ -n "$url" ]] && break
  sleep 0.1
done
[[ -n "${url:-}" ]] || { cat "$work/emulator.log"; exit 1; }
export AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
vpc="$("$venv/bin/python" -c "
import boto3
print(boto3.client('ec2', endpoint_url='$url', region_name='us-east-1').create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId'])")"

"$venv/bin/python" - "$services" "$vpc" >"$work/main.tf" <<'PY'
import sys
n, vpc = int(sys.argv[1]), sys.argv[2]
print('provider "aws" {\n  region = "us-east-1"\n}\n')
print('resource "aws_vpclattice_service_network" "net" {\n  name      = "refresh-net"\n  auth_type = "AWS_IAM"\n}\n')
print(f'resource "aws_vpclattice_service_network_vpc_association" "vpc" {{\n  vpc_identifier             = "{vpc}"\n  service_network_identifier = aws_vpclattice_service_network.net.id\n}}\n')
for i in range(n):
    print(f'''
resource "aws_vpclattice_service" "s{i}" {{
  name      = "orders-{i}"
  auth_type = "AWS_IAM"
}}
resource "aws_vpclattice_target_group" "tg{i}" {{
  name = "orders-ip-{i}"
  type = "IP"
  config {{
    vpc_identifier = "{vpc}"
    port           = 8080
    protocol       = "HTTP"
  }}
}}
resource "aws_vpclattice_target_group_attachment" "t{i}" {{
  count                   = 3
  target_group_identifier = aws_vpclattice_target_group.tg{i}.id
  target {{
    id   = "10.0.{i % 250}.${{count.index + 10}}"
    port = 8080
  }}
}}
resource "aws_vpclattice_listener" "l{i}" {{
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.s{i}.id
  default_action {{
    forward {{
      target_groups {{
        target_group_identifier = aws_vpclattice_target_group.tg{i}.id
      }}
    }}
  }}
}}
resource "aws_vpclattice_listener_rule" "r{i}" {{
  count               = 2
  name                = "path-${{count.index}}"
  service_identifier  = aws_vpclattice_service.s{i}.id
  listener_identifier = aws_vpclattice_listener.l{i}.listener_id
  priority            = 10 + count.index
  match {{
    http_match {{
      path_match {{
        match {{
          prefix = "/p${{count.index}}"
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
resource "aws_vpclattice_auth_policy" "a{i}" {{
  resource_identifier = aws_vpclattice_service.s{i}.arn
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = "*", Action = "vpc-lattice-svcs:Invoke", Resource = "*" }}]
  }})
}}
resource "aws_vpclattice_service_network_service_association" "sn{i}" {{
  service_identifier         = aws_vpclattice_service.s{i}.id
  service_network_identifier = aws_vpclattice_service_network.net.id
}}''')
PY

cd "$work"
"$trellis" apply -auto-approve -no-color -parallelism=20 >apply.log 2>&1 || { tail -30 apply.log; exit 1; }
resources="$("$trellis" state list | wc -l)"
curl -s -X POST "$url/_trellis/calls/reset" >/dev/null
set +e
"$trellis" plan -detailed-exitcode -no-color >plan.log 2>&1
code=$?
set -e
[[ $code -eq 0 ]] || { echo "expected no changes, plan exited $code"; tail -30 plan.log; exit 1; }
calls="$(curl -s "$url/_trellis/calls")"
"$venv/bin/python" - "$calls" "$resources" "$services" <<'PY'
import json, sys
calls, resources, services = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
flat = {}
def walk(prefix, v):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(f"{prefix}{k}." if prefix or not isinstance(x, int) else k, x)
    else:
        flat[prefix.rstrip('.')] = v
walk("", calls)
total = sum(v for v in flat.values() if isinstance(v, int))
for k, v in sorted(flat.items()):
    print(f"  {k}: {v}")
print(f"services: {services}; managed resources: {resources}; calls: {total}; calls per resource: {total / resources:.2f}")
PY
