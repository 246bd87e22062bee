#!/usr/bin/env bash
# Prints the path of the real Temporal server (go.temporal.io/server/cmd/server, pinned), built once
# with `go install` from the Go module proxy into .tools/temporal-server-<version>/ beside its schema
# tool temporal-sql-tool (cmd/tools/sql, the same module). The module has no replace directives and
# needs no newer Go than this machine's. Its default plugins include postgres12, the one we run it on.
# From an empty module cache: 205 modules, 232 MB of zips downloaded (1.5 GB unpacked, 2 GB of build
# cache), 11 CPU-minutes of compiling: 31 min on the busy 2-core machine, so not in CI.
set -euo pipefail
TEMPORAL_SERVER_VERSION=1.32.1
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/temporal-server-$TEMPORAL_SERVER_VERSION"
bin="$dir/temporal-server"
if [[ ! -x "$bin" || ! -x "$dir/temporal-sql-tool" ]]; then
  mkdir -p "$root/.tools"
  # Parallel set-ups on a fresh machine: one builds, the others wait for it.
  exec 9>"$root/.tools/.temporal-server.lock"
  flock 9
  if [[ ! -x "$bin" || ! -x "$dir/temporal-sql-tool" ]]; then
    command -v go >/dev/null 2>&1 || { echo "ensure-temporal-server: Go is needed to build the Temporal server (go install)" >&2; exit 1; }
    echo "building the Temporal server $TEMPORAL_SERVER_VERSION and temporal-sql-tool (go install go.temporal.io/server/cmd/{server,tools/sql}@v$TEMPORAL_SERVER_VERSION)…" >&2
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    if ! GOBIN="$tmp" CGO_ENABLED=0 go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION" >&2; then
      echo "ensure-temporal-server: go install of the Temporal server $TEMPORAL_SERVER_VERSION failed (see above)" >&2
      exit 1
    fi
    mkdir -p "$dir"
    # go install names them after their packages' directories; the tool's own name is temporal-sql-tool.
    mv "$tmp/sql" "$dir/temporal-sql-tool"
    mv "$tmp/server" "$bin"
  fi
  exec 9>&-
fi
echo "$bin"
