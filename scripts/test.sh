#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, then typecheck, lint, and
# every test against real servers (Temporal dev server, PostgreSQL, …) that the test set-up starts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-node-deps.sh
# Install the servers up front so that first-time downloads do not eat into test time-outs.
bash scripts/ensure-temporal.sh >/dev/null
bash scripts/ensure-postgres.sh >/dev/null
bash scripts/ensure-kafka.sh >/dev/null
bash scripts/ensure-registry.sh >/dev/null
bash scripts/ensure-keycloak.sh >/dev/null
bash scripts/ensure-schemathesis.sh >/dev/null
bash scripts/ensure-chromium.sh >/dev/null
# A 9-minute build the first time on a machine (then cached outside the checkout).
bash scripts/ensure-seaweedfs.sh >/dev/null
bash scripts/ensure-skopeo.sh >/dev/null
bash scripts/ensure-oras.sh >/dev/null
echo "== typecheck"; npx tsc --noEmit
echo "== lint"; npx eslint --max-warnings 0 .
echo "== tests"; npx vitest run "$@"
