#!/usr/bin/env bash
# Prints the absolute path of grpcurl (pinned), built with `go install` into .tools/grpcurl-<version>/
# (about 2 minutes the first time). Go's module and build caches stay where Go keeps them (~/go,
# ~/.cache/go-build), outside the checkout, so other worktrees and clones build from them quickly.
set -euo pipefail
GRPCURL_VERSION=v1.9.3
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/grpcurl-$GRPCURL_VERSION"
bin="$dir/grpcurl"
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null || { echo "ensure-grpcurl: go is needed to build grpcurl (https://go.dev/dl/)" >&2; exit 1; }
  mkdir -p "$root/.tools"
  # Parallel test set-ups: one builds, the others wait.
  exec 9>"$root/.tools/.grpcurl.lock"
  flock 9
  if [[ ! -x "$bin" ]]; then
    echo "building grpcurl $GRPCURL_VERSION…" >&2
    GOBIN="$dir" go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION" >&2
  fi
fi
echo "$bin"
