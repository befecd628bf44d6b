#!/usr/bin/env bash
# Installs the emulator's pinned Python dependencies into a virtualenv and prints
# the virtualenv's path on stdout (all other output goes to stderr).
#
#   TRELLIS_VENV    where the virtualenv lives (default: $HOME/.cache/trellis/venv)
#   TRELLIS_PYTHON  the interpreter that creates it (default: python3)
#
# Fast when nothing changed: the sha256 of requirements.txt is stored in the
# virtualenv and compared first. Concurrent callers (parallel test binaries)
# serialize on a lock file beside the virtualenv.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${TRELLIS_VENV:-$HOME/.cache/trellis/venv}"
requirements="$here/requirements.txt"
stamp="$venv/.trellis-requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

up_to_date() {
    [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]
}

if up_to_date; then
    echo "$venv"
    exit 0
fi

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if ! up_to_date; then
    echo "installing the aws emulator into $venv" >&2
    rm -f "$stamp"
    "${TRELLIS_PYTHON:-python3}" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$requirements" >&2
    echo "$want" >"$stamp"
fi
echo "$venv"
