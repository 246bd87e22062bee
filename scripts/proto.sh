#!/usr/bin/env bash
# The gRPC contract: lint proto/, check it against main's (when main has one), and regenerate gen/ (committed).
set -euo pipefail
cd "$(dirname "$0")/.."

npx buf lint
if git rev-parse --verify --quiet main >/dev/null && git ls-tree -d --name-only main proto | grep -q .; then
  npx buf breaking --against '.git#branch=main,subdir=proto'
else
  echo "proto.sh: main has no proto/ yet, nothing to check for breaking changes"
fi
npx buf generate
