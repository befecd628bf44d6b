#!/usr/bin/env bash
# Installs the emulator if needed, then runs it: `tools/aws-emulator/run.sh --port 5000`.
# Arguments are passed to `python -m trellis_emulator` (see --help).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$("$here/install.sh")"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
exec "$venv/bin/python" -m trellis_emulator "$@"
