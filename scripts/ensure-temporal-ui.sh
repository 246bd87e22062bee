#!/usr/bin/env bash
# Prints the path of the Temporal Web UI server (github.com/temporalio/ui-server/v2, pinned to the UI
# the dev server embeds), built once with `go install` from the Go module proxy into
# .tools/temporal-ui-<version>/. The module carries the UI's built assets (ui/assets, go:embed): no
# Node build. The stack runs it beside the real Temporal server, which has no UI of its own.
set -euo pipefail
TEMPORAL_UI_VERSION=2.54.1
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/temporal-ui-$TEMPORAL_UI_VERSION"
bin="$dir/temporal-ui-server"
if [[ ! -x "$bin" ]]; then
  mkdir -p "$root/.tools"
  exec 9>"$root/.tools/.temporal-ui.lock"
  flock 9
  if [[ ! -x "$bin" ]]; then
    command -v go >/dev/null 2>&1 || { echo "ensure-temporal-ui: Go is needed to build the Temporal UI server (go install)" >&2; exit 1; }
    echo "building the Temporal UI server $TEMPORAL_UI_VERSION (go install github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION)…" >&2
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    if ! GOBIN="$tmp" CGO_ENABLED=0 go install "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION" >&2; then
      echo "ensure-temporal-ui: go install of the Temporal UI server $TEMPORAL_UI_VERSION failed (see above)" >&2
      exit 1
    fi
    mkdir -p "$dir"
    mv "$tmp/server" "$bin"
  fi
  exec 9>&-
fi
echo "$bin"
