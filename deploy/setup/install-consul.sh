#!/usr/bin/env bash
# Prints the path of a usable `consul` binary on stdout, installing one if needed.
# Order: $CONSUL_BIN, `consul` on PATH, .tools/consul (installed before), else Debian
# bullseye's consul 1.8.7 fetched with a private apt state into .tools/ (git-ignored).
# The mirror is read from this machine's own apt sources; no host is written here.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
tools="$here/.tools"
target="$tools/consul"

if [ -n "${CONSUL_BIN:-}" ] && [ -x "$CONSUL_BIN" ]; then echo "$CONSUL_BIN"; exit 0; fi
if command -v consul >/dev/null 2>&1; then command -v consul; exit 0; fi
if [ -x "$target" ]; then echo "$target"; exit 0; fi

fail() {
  cat >&2 <<MSG
meshgate: could not install Consul automatically ($1).
Install Consul >= 1.8 yourself and put it on PATH (or set CONSUL_BIN), e.g.:
  - from HashiCorp's releases:  unzip consul_*.zip && sudo mv consul /usr/local/bin/
  - on Debian bullseye:         sudo apt-get install consul
MSG
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found"
command -v dpkg-deb >/dev/null 2>&1 || fail "dpkg-deb not found"

mirror=$(bash "$here/deploy/setup/debian-mirror.sh") || mirror=""
[ -n "$mirror" ] || fail "no Debian mirror found in this machine's apt sources"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || fail "$keyring missing"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts"
: > "$work/status"
echo "deb [signed-by=$keyring] $mirror bullseye main" > "$work/sources.list"
opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=$work/parts"
      -o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status"
      -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
echo "meshgate: installing Consul 1.8.7 from Debian bullseye into $tools ..." >&2
apt-get "${opts[@]}" -qq update >&2 || fail "apt-get update on the private list failed"
(cd "$work" && apt-get "${opts[@]}" -qq download consul >&2) || fail "apt-get download consul failed"
deb=$(ls "$work"/consul_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no consul .deb downloaded"
dpkg-deb -x "$deb" "$work/root"
mkdir -p "$tools"
cp "$work/root/usr/bin/consul" "$target.tmp" && mv "$target.tmp" "$target"
out=$("$target" version 2>&1 || true)
case "$out" in *"Consul v"*) ;; *) fail "installed binary does not run: $out" ;; esac
echo "$target"
