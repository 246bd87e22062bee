#!/usr/bin/env bash
# Prints the path of Debian's Chromium (for the real-browser test of Swagger UI), installing it when
# missing: puppeteer-core drives it by path, since browser downloads of its own cannot work here.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Chromium (Debian package chromium)…" >&2
  log="$(mktemp)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "ensure-chromium: apt-get could not install chromium" >&2
    exit 1
  fi
  rm -f "$log"
fi
command -v chromium
