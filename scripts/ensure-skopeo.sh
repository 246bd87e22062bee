#!/usr/bin/env bash
# Prints the path of skopeo (Debian's package), a real OCI client the pull endpoint's tests pull with.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/install.sh"
if ! command -v skopeo >/dev/null 2>&1; then
  echo "installing skopeo (Debian package skopeo)…" >&2
  apt_install ensure-skopeo skopeo
fi
command -v skopeo
