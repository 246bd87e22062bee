#!/usr/bin/env bash
# Prints the home of a Keycloak distribution, downloaded once from Maven Central (Keycloak's own
# download site is not reachable here) into .tools/keycloak-<version>. 26.5 runs on Java 17.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/install.sh"
KEYCLOAK_VERSION=26.5.6
SHA1=756c15bb71be020dd4a43a6fdb3c1340cb84d4b5
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="$root/.tools/keycloak-$KEYCLOAK_VERSION"

if [[ ! -x "$home/bin/kc.sh" ]]; then
  mkdir -p "$root/.tools"
  # Parallel test set-ups on a fresh machine: one installs, the others wait for it.
  exec 9>"$root/.tools/.keycloak.lock"
  flock 9
  if [[ ! -x "$home/bin/kc.sh" ]]; then
    if ! command -v java >/dev/null || ! command -v unzip >/dev/null; then
      echo "installing Java 17 and unzip (Debian packages)…" >&2
      apt_install ensure-keycloak openjdk-17-jre-headless unzip
    fi
    echo "downloading Keycloak $KEYCLOAK_VERSION from Maven Central…" >&2
    zip="$(mktemp --suffix=.zip)"
    curl -sfL --retry 3 -o "$zip" "https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
    echo "$SHA1  $zip" | sha1sum -c --quiet -
    tmp="$(mktemp -d "$root/.tools/keycloak.XXXXXX")"
    unzip -q "$zip" -d "$tmp"
    rm -f "$zip"
    rm -rf "$home"
    mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$home"
    rmdir "$tmp"
  fi
fi
echo "$home"
