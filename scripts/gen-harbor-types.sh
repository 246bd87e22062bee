#!/usr/bin/env bash
# Regenerates the Harbor client types from Harbor's own API definition (vendor/harbor):
# Swagger 2.0 → OpenAPI 3 (swagger2openapi) → TypeScript (openapi-typescript). Both outputs are
# committed; the emulator validates its responses against the same OpenAPI 3 document.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
npx swagger2openapi --patch --yaml=false --outfile vendor/harbor/openapi3.json vendor/harbor/swagger-v2.15.2.yaml
npx openapi-typescript vendor/harbor/openapi3.json --output activities/harbor/generated/harbor-api.ts
