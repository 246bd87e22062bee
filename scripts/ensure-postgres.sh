#!/usr/bin/env bash
# Prints the bin directory of Debian's PostgreSQL server, installing the package when missing.
set -euo pipefail
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin="$(find_bin)"
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  echo "installing PostgreSQL (Debian package postgresql)…" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin="$(find_bin)"
fi
echo "$bin"
