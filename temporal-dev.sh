#!/usr/bin/env bash
# The Temporal CLI dev server with its Web UI on loopback, state kept in .data/temporal/ across
# restarts, and the custom search attributes the workflows set (namespace "default" always exists).
# Runs in the foreground via exec, so the caller's PID is the server's and a kill reaches it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
temporal="$(bash "$root/scripts/ensure-temporal.sh")"
mkdir -p "$root/.data/temporal"
exec "$temporal" server start-dev \
  --ip 127.0.0.1 \
  --port "${TEMPORAL_PORT:-7233}" \
  --ui-port "${TEMPORAL_UI_PORT:-8233}" \
  --db-filename "$root/.data/temporal/temporal.sqlite" \
  --log-level warn \
  --search-attribute TenantName=Keyword \
  --search-attribute ProjectName=Keyword \
  --search-attribute OperationKind=Keyword \
  --search-attribute ModelName=Keyword
