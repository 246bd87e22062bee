#!/usr/bin/env bash
# Prints the bin directory of Debian's PostgreSQL server (initdb, pg_ctl, postgres), installing the
# package when missing, and makes sure the non-root `postgres` system user that runs test clusters exists.
set -euo pipefail
find_bin() {
  local dir
  dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]] && echo "$dir"
}

if ! bin="$(find_bin)"; then
  echo "installing PostgreSQL (Debian package postgresql)…" >&2
  log="$(mktemp)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 postgresql; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "ensure-postgres: apt-get could not install postgresql" >&2
    exit 1
  fi
  rm -f "$log"
  bin="$(find_bin)" || { echo "ensure-postgres: postgresql installed but no /usr/lib/postgresql/*/bin/initdb" >&2; exit 1; }
fi

# The package creates this user; binaries copied in some other way may come without it.
id -u postgres >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
echo "$bin"
