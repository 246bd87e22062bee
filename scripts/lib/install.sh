# Shared by the ensure-*.sh installers (sourced): Debian packages, and pinned PyPI tools in a venv.

# apt_install WHO PACKAGE…: installs Debian packages quietly; on failure prints apt's log and exits.
apt_install() {
  local who="$1" log
  shift
  log="$(mktemp)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$@"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "$who: apt-get could not install $*" >&2
    exit 1
  fi
  rm -f "$log"
}

# pip_tool WHO ROOT VENV PACKAGE VERSION BIN: installs PACKAGE==VERSION into VENV once (a marker
# file names the version) so that BIN exists. Parallel test set-ups on a fresh machine may call it
# at once: one installs, the others wait on the lock.
pip_tool() {
  local who="$1" root="$2" venv="$3" package="$4" version="$5" bin="$6"
  local marker="$venv/.$package-version"
  # A venv moved or copied from elsewhere keeps scripts whose #! names the old path: it must run.
  local ready='[[ -x "$bin" && "$(cat "$marker" 2>/dev/null)" == "$version" ]] && "$bin" --version >/dev/null 2>&1'
  eval "$ready" && return 0
  mkdir -p "$root/.tools"
  exec 9>"$root/.tools/.$package.lock"
  flock 9
  if ! eval "$ready"; then
    echo "installing $package==$version into $venv…" >&2
    rm -rf "$venv"
    # Debian splits ensurepip (needed by venv) into python3-venv.
    python3 -c 'import ensurepip' >/dev/null 2>&1 || apt_install "$who" python3-venv
    [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
    if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "$package==$version"; then
      echo "$who: pip could not install $package==$version (see above)" >&2
      exit 1
    fi
    [[ -x "$bin" ]] || { echo "$who: $package installed but $bin is missing" >&2; exit 1; }
    echo "$version" >"$marker"
  fi
  exec 9>&-
}
