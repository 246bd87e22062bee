#!/usr/bin/env bash
# Prints the path of SeaweedFS's `weed` (the S3-compatible store the cache tests run against),
# building it once into .tools/seaweedfs/weed. Neither Debian nor PyPI ship it and GitHub release
# downloads are unreachable here, so it is built from the Go module proxy: `go install …@version`
# is refused (SeaweedFS's go.mod has a replace), hence a throw-away wrapper module that requires it
# and repeats that replace. The build takes about 9 minutes on 2 cores, so the binary is also kept
# outside the checkout (${XDG_CACHE_HOME:-~/.cache}/model-registry/) for fresh clones on the same machine.
set -euo pipefail
SEAWEEDFS_MODULE=github.com/seaweedfs/seaweedfs
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6 # reports itself as 4.53
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/seaweedfs"
bin="$dir/weed"
marker="$dir/.version"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/model-registry/weed-$SEAWEEDFS_VERSION"
ready() { [[ -x "$bin" && "$(cat "$marker" 2>/dev/null)" == "$SEAWEEDFS_VERSION" ]]; }

if ! ready; then
  mkdir -p "$dir"
  # Parallel test set-ups on a fresh machine: one builds, the others wait for it.
  exec 9>"$dir/.lock"
  flock 9
  if ! ready; then
    rm -f "$bin" "$marker"
    if [[ -x "$cache" ]] && "$cache" version >/dev/null 2>&1; then
      echo "using the SeaweedFS build cached in $cache" >&2
      # A hard link when on the same filesystem (233 MB not copied); neither copy is ever written in place.
      ln -f "$cache" "$bin" 2>/dev/null || cp "$cache" "$bin"
    else
      command -v go >/dev/null || { echo "ensure-seaweedfs: building SeaweedFS needs Go (https://go.dev/dl/) on PATH" >&2; exit 1; }
      echo "building SeaweedFS $SEAWEEDFS_VERSION from the Go module proxy (about 9 minutes on 2 cores)…" >&2
      work="$(mktemp -d)"
      trap 'rm -rf "$work"' EXIT
      cat >"$work/go.mod" <<MOD
module local.modelregistry/weed

go 1.25

require $SEAWEEDFS_MODULE $SEAWEEDFS_VERSION

replace github.com/tyler-smith/go-bip39 => github.com/cosmos/go-bip39 v1.0.0
MOD
      if ! (cd "$work" && GOFLAGS="${GOFLAGS:-} -mod=mod" go build -o "$work/weed" "$SEAWEEDFS_MODULE/weed") >"$work/build.log" 2>&1; then
        cat "$work/build.log" >&2
        echo "ensure-seaweedfs: go build of $SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION failed (log above)" >&2
        exit 1
      fi
      mv "$work/weed" "$bin"
      # Written under a temporary name then renamed: a concurrent reader never sees half a binary.
      if mkdir -p "$(dirname "$cache")" && cp "$bin" "$cache.$$" && mv -f "$cache.$$" "$cache"; then
        echo "cached the SeaweedFS build in $cache" >&2
      else
        rm -f "$cache.$$"
        echo "ensure-seaweedfs: could not cache the build in $cache (the next fresh clone rebuilds)" >&2
      fi
    fi
    "$bin" version >/dev/null 2>&1 || { echo "ensure-seaweedfs: $bin does not run" >&2; exit 1; }
    echo "$SEAWEEDFS_VERSION" >"$marker"
  fi
fi
echo "$bin"
