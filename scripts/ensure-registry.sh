#!/usr/bin/env bash
# Prints the path of the OCI distribution registry (Debian's docker-registry), installing it when missing.
set -euo pipefail
if ! command -v docker-registry >/dev/null 2>&1; then
  echo "installing the OCI registry (Debian package docker-registry)…" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >&2
fi
command -v docker-registry
