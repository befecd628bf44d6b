#!/usr/bin/env bash
# Installs the emulator if needed and runs its pytest suite: `tools/aws-emulator/test.sh [pytest args]`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$("$here/install.sh")"
cd "$here"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
exec "$venv/bin/python" -m pytest -p no:cacheprovider -q tests "$@"
