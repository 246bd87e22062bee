#!/usr/bin/env bash
# Prints the bin directory of Debian's PostgreSQL server (initdb, pg_ctl, postgres), installing the
# package when missing, and makes sure the non-root `postgres` system user that runs test clusters exists.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/install.sh"
find_bin() {
  local dir
  dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]] && echo "$dir"
}

if ! bin="$(find_bin)"; then
  echo "installing PostgreSQL (Debian package postgresql)…" >&2
  apt_install ensure-postgres postgresql
  bin="$(find_bin)" || { echo "ensure-postgres: postgresql installed but no /usr/lib/postgresql/*/bin/initdb" >&2; exit 1; }
fi

# The package creates this user; binaries copied in some other way may come without it.
id -u postgres >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
echo "$bin"
