#!/usr/bin/env bash
# The whole local stack on one machine: Temporal dev server + Web UI, the embedded database
# (unless DATABASE_URL is set), Keycloak, the worker and the API. Ctrl-C stops everything.
#   --no-keycloak (or STACK_KEYCLOAK=0): the lighter stack, a local token issuer and no membership.
#   --temporal-server (or STACK_TEMPORAL=server): the real Temporal server (go.temporal.io/server,
#     built on first use, minutes) on a PostgreSQL of its own in .data/temporal-server, and the Web UI
#     server beside it, instead of the dev server; scripts/stack.ts starts them (stack-temporal.ts).
set -euo pipefail
for arg in "$@"; do
  case "$arg" in
    --no-keycloak) export STACK_KEYCLOAK=0 ;;
    --temporal-server) export STACK_TEMPORAL=server ;;
    *) echo "usage: bash scripts/stack.sh [--no-keycloak] [--temporal-server]" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-node-deps.sh
mkdir -p .data
# What a stack that did not shut down (kill -9, the OOM killer) left running is stopped, not reused;
# a stack of this checkout that still runs is not fought with. The dev server's ports must be free.
leftover_ports=()
[[ "${STACK_TEMPORAL:-}" == server || -n "${TEMPORAL_ADDRESS:-}" ]] || \
  leftover_ports=("${TEMPORAL_PORT:-7233}=the Temporal dev server (TEMPORAL_PORT)" "${TEMPORAL_UI_PORT:-8233}=the Temporal Web UI (TEMPORAL_UI_PORT)")
npx tsx scripts/stack-leftovers.ts "${leftover_ports[@]}"

if [[ "${STACK_TEMPORAL:-}" == server ]]; then
  [[ -z "${TEMPORAL_ADDRESS:-}" ]] || { echo "stack.sh: --temporal-server starts its own Temporal; unset TEMPORAL_ADDRESS" >&2; exit 2; }
  # Built here, before anything starts, so that a first build's minutes are not spent under a timeout.
  bash scripts/ensure-temporal-server.sh >/dev/null
  bash scripts/ensure-temporal-ui.sh >/dev/null || echo "stack.sh: the Temporal UI server did not build; the stack runs without it" >&2
  bash scripts/ensure-postgres.sh >/dev/null
elif [[ -z "${TEMPORAL_ADDRESS:-}" ]]; then
  export TEMPORAL_PORT="${TEMPORAL_PORT:-7233}" TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
  export TEMPORAL_ADDRESS="127.0.0.1:${TEMPORAL_PORT}"
  bash temporal-dev.sh > .data/temporal.log 2>&1 &
  temporal_pid=$!
  # Recorded as stack-leftovers.ts records a server: its pid and start time (field 22 of its stat).
  mkdir -p .data/pids && echo "$temporal_pid $(awk '{print $22}' "/proc/$temporal_pid/stat")" > .data/pids/temporal-dev
  trap 'kill "$temporal_pid" 2>/dev/null || true; wait "$temporal_pid" 2>/dev/null || true; rm -f .data/pids/temporal-dev' EXIT
  export TEMPORAL_UI_URL="http://127.0.0.1:${TEMPORAL_UI_PORT}"
fi

bash scripts/ensure-registry.sh >/dev/null
if [[ "${STACK_KEYCLOAK:-1}" != 0 && -z "${AUTH_ISSUER:-}" && -z "${KEYCLOAK_URL:-}" ]]; then
  bash scripts/ensure-keycloak.sh >/dev/null
fi
npx tsx scripts/stack.ts
