#!/usr/bin/env bash
# Prints the path of oras (not in Debian 12): built once with `go install` from the Go module proxy
# into .tools/oras-<version>/, a real OCI client the pull endpoint's tests pull with.
set -euo pipefail
ORAS_VERSION=1.3.3
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/oras-$ORAS_VERSION"
bin="$dir/oras"
if [[ ! -x "$bin" ]]; then
  mkdir -p "$root/.tools"
  # Parallel test set-ups on a fresh machine: one builds, the others wait for it.
  exec 9>"$root/.tools/.oras.lock"
  flock 9
  if [[ ! -x "$bin" ]]; then
    command -v go >/dev/null 2>&1 || { echo "ensure-oras: Go is needed to build oras (go install)" >&2; exit 1; }
    echo "building oras $ORAS_VERSION (go install oras.land/oras/cmd/oras@v$ORAS_VERSION)…" >&2
    if ! GOBIN="$dir" CGO_ENABLED=0 go install "oras.land/oras/cmd/oras@v$ORAS_VERSION" >&2; then
      echo "ensure-oras: go install of oras $ORAS_VERSION failed (see above)" >&2
      exit 1
    fi
  fi
  exec 9>&-
fi
echo "$bin"
