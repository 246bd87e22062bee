#!/usr/bin/env bash
# The whole local stack on one machine: Temporal dev server + Web UI, the embedded database
# (unless DATABASE_URL is set), the worker and the API. Ctrl-C stops everything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-node-deps.sh
mkdir -p .data

if [[ -z "${TEMPORAL_ADDRESS:-}" ]]; then
  export TEMPORAL_PORT="${TEMPORAL_PORT:-7233}" TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
  export TEMPORAL_ADDRESS="127.0.0.1:${TEMPORAL_PORT}"
  bash temporal-dev.sh > .data/temporal.log 2>&1 &
  temporal_pid=$!
  trap 'kill "$temporal_pid" 2>/dev/null || true; wait "$temporal_pid" 2>/dev/null || true' EXIT
  export TEMPORAL_UI_URL="http://127.0.0.1:${TEMPORAL_UI_PORT}"
fi

bash scripts/ensure-registry.sh >/dev/null
npx tsx scripts/stack.ts
