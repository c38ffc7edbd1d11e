#!/usr/bin/env bash
# Builds the release binary and installs it as $PREFIX/bin/landlord (PREFIX=/usr/local by default).
#
#   scripts/install-landlord.sh                          # /usr/local/bin/landlord (needs write access)
#   PREFIX="$HOME/.local" scripts/install-landlord.sh    # ~/.local/bin/landlord
#
# Works from any directory. Needs Swift 6.3 on PATH and libyaml's, libpq's and libcurl's headers
# (apt-get install libyaml-dev libpq-dev libcurl4-openssl-dev; libcurl is Landlord's HTTP client). The
# build is `swift build -c release --product landlord --static-swift-stdlib` (the static flag on
# Linux only) into the package's normal .build directory, so a CI cache of .build speeds it up;
# the installed file is a copy, not a link into .build (99 MB, with symbols for backtraces).
#
# What the installed binary still needs at run time (measured with ldd and readelf -d on
# Debian 12, Swift 6.3.1): the Swift runtime, Foundation (with its ICU data), Dispatch and
# swift-crypto's BoringSSL are linked in, so no Swift toolchain is needed where it runs. It
# loads these shared libraries from the system (Debian 12 packages in brackets):
#   libyaml-0.so.2   the YAML parser                          [libyaml-0-2]
#   libcurl.so.4     the HTTP client (AWS, Stripe, S3, sinks)  [libcurl4]
#   libpq.so.5       PostgreSQL's client (postgres provider)  [libpq5]
#   libxml2.so.2     FoundationXML, linked in with Foundation [libxml2]
#   libstdc++.so.6, libgcc_s.so.1, libm.so.6, libc.so.6      [always present]
# RUNPATH is $ORIGIN only: nothing is looked up in the toolchain's directory.
#
# The binary reports the commit it was built from (`landlord --version`): this script writes
# it into Sources/landlord/BuildInfo.swift for the build and restores the file afterwards
# (also on failure or Ctrl-C). LANDLORD_COMMIT=... overrides it (e.g. building from a tarball).
# LANDLORD_INSTALL_SERVER=1 also builds and installs landlord-server beside it, the binary that
# `landlord serve` runs (SwiftNIO and Hummingbird: several more minutes of release build).
# LANDLORD_STATIC_STDLIB=0 builds without --static-swift-stdlib (the binary then needs the
# toolchain's usr/lib/swift/linux on the machine that runs it).
set -euo pipefail

die() { printf 'install-landlord: %s\n' "$*" >&2; exit 1; }

PREFIX="${PREFIX:-/usr/local}"
case "$PREFIX" in /*) ;; *) PREFIX="$PWD/$PREFIX" ;; esac   # relative to where it was run
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
[ -f Package.swift ] && [ -d Sources/landlord ] || die "$repo is not the Landlord package (no Package.swift)"

# --- Prerequisites, checked before a build of several minutes ---
command -v swift >/dev/null 2>&1 \
  || die "swift is not on PATH. Install Swift 6.3 (https://www.swift.org/install/), or add its usr/bin to PATH (e.g. export PATH=/opt/swift/usr/bin:\$PATH), then run this again."
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists yaml-0.1 \
    || die "libyaml's development files are missing (pkg-config yaml-0.1). Install them: apt-get install libyaml-dev (Fedora: dnf install libyaml-devel; macOS: brew install libyaml), then run this again."
  pkg-config --exists libpq \
    || die "libpq's development files are missing (pkg-config libpq), needed by the postgres provider. Install them: apt-get install libpq-dev (Fedora: dnf install libpq-devel; macOS: brew install libpq), then run this again."
elif [ ! -f /usr/include/yaml.h ] && [ ! -f /usr/local/include/yaml.h ] && [ ! -f /opt/homebrew/include/yaml.h ]; then
  die "libyaml's header yaml.h is missing. Install it: apt-get install libyaml-dev pkg-config (Fedora: dnf install libyaml-devel; macOS: brew install libyaml), then run this again."
fi
# Landlord's HTTP client (Sources/CLandlordCurl) links libcurl, as FoundationNetworking does when
# Foundation is linked statically: the linker needs libcurl.so and curl/curl.h (the -dev package),
# not only the libcurl.so.4 every system has.
if [ "$(uname -s)" = Linux ]; then
  if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libcurl; then :
  elif ls /usr/lib/libcurl.so /usr/lib64/libcurl.so /usr/lib/*-linux-gnu/libcurl.so >/dev/null 2>&1; then :
  else
    die "libcurl's development files are missing (Landlord's HTTP client links libcurl). Install them: apt-get install libcurl4-openssl-dev (Fedora: dnf install libcurl-devel), then run this again."
  fi
fi
static=false
if [ "$(uname -s)" = Linux ] && [ "${LANDLORD_STATIC_STDLIB:-1}" != 0 ]; then
  static=true
fi
mkdir -p "$PREFIX/bin" 2>/dev/null && [ -w "$PREFIX/bin" ] \
  || die "cannot write to $PREFIX/bin. Run it with sudo, or install where you can write: PREFIX=\$HOME/.local $0"

# --- The commit, written into BuildInfo.swift for this build only ---
info=Sources/landlord/BuildInfo.swift
pattern='^    static let commit = ".*"$'
grep -q "$pattern" "$info" || die "$info has no 'static let commit = \"...\"' line to fill in"
commit="${LANDLORD_COMMIT:-}"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # A run killed before it could restore the file (SIGKILL) left a commit in it: put it back.
  if ! git diff --quiet -- "$info" && ! grep -q '^    static let commit = "unknown"$' "$info"; then
    echo "install-landlord: $info still holds a commit from an interrupted run; restoring it" >&2
    git checkout -- "$info"
  fi
  if [ -z "$commit" ]; then
    commit="$(git rev-parse --short=7 HEAD)"
    git diff --quiet HEAD -- || commit="$commit-dirty"   # uncommitted changes to tracked files
  fi
fi
commit="${commit:-unknown}"
case "$commit" in *[!A-Za-z0-9._-]*) die "LANDLORD_COMMIT='$commit': use letters, digits, '.', '_' and '-' only" ;; esac

backup="$(mktemp)"
cp -p "$info" "$backup"
restore() { cp -p "$backup" "$info" && rm -f "$backup"; }   # -p: the old mtime, so debug builds stay up to date
trap restore EXIT
trap 'exit 130' INT TERM
sed -i.bak "s/$pattern/    static let commit = \"$commit\"/" "$info" && rm -f "$info.bak"

# --- Build ---
flags=(-c release --product landlord)
if $static; then flags+=(--static-swift-stdlib); fi
echo "install-landlord: swift build ${flags[*]} (commit $commit)" >&2
swift build "${flags[@]}"
bin="$(swift build "${flags[@]}" --show-bin-path)/landlord"
[ -x "$bin" ] || die "the build finished but $bin is missing"

server=""
if [ "${LANDLORD_INSTALL_SERVER:-0}" = 1 ]; then
  sflags=(-c release --product landlord-server)
  if $static; then sflags+=(--static-swift-stdlib); fi
  echo "install-landlord: swift build ${sflags[*]}" >&2
  swift build "${sflags[@]}"
  server="$(swift build "${sflags[@]}" --show-bin-path)/landlord-server"
  [ -x "$server" ] || die "the build finished but $server is missing"
fi

restore
trap - EXIT

# --- Install: a copy through a temporary name, so a running landlord is never overwritten in place ---
install -m 0755 "$bin" "$PREFIX/bin/.landlord.new"
mv -f "$PREFIX/bin/.landlord.new" "$PREFIX/bin/landlord"
if [ -n "$server" ]; then
  install -m 0755 "$server" "$PREFIX/bin/.landlord-server.new"
  mv -f "$PREFIX/bin/.landlord-server.new" "$PREFIX/bin/landlord-server"
  echo "install-landlord: installed $PREFIX/bin/landlord-server (landlord serve)" >&2
fi
echo "install-landlord: installed $PREFIX/bin/landlord: $("$PREFIX/bin/landlord" --version)" >&2
case ":$PATH:" in
  *":$PREFIX/bin:"*) ;;
  *) echo "install-landlord: $PREFIX/bin is not on PATH; add it: export PATH=\"$PREFIX/bin:\$PATH\"" >&2 ;;
esac
