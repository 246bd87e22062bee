#!/usr/bin/env bash
# Prints the path of Debian's Chromium (for the real-browser test of Swagger UI), installing it when
# missing: puppeteer-core drives it by path, since browser downloads of its own cannot work here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/install.sh"
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Chromium (Debian package chromium)…" >&2
  apt_install ensure-chromium chromium
fi
command -v chromium
