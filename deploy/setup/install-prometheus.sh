#!/usr/bin/env bash
# Prints the path of a `prometheus` binary for the compose demo's Prometheus image, installing one
# if needed. Order: $PROMETHEUS_BIN, .tools/prometheus (installed before), else Debian's
# `prometheus` package for this machine's release, fetched with a private apt state (nothing on
# the machine changes) and unpacked into .tools/ (git-ignored). The image copies it (no network
# during the build). The mirror is read from this machine's own apt sources; no host is written here.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
tools="$here/.tools"
target="$tools/prometheus"

if [ -n "${PROMETHEUS_BIN:-}" ] && [ -x "$PROMETHEUS_BIN" ]; then echo "$PROMETHEUS_BIN"; exit 0; fi
if [ -x "$target" ]; then echo "$target"; exit 0; fi

fail() { echo "meshgate: could not install Prometheus for the compose demo ($1); set PROMETHEUS_BIN to a prometheus binary" >&2; exit 1; }

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found"
command -v dpkg-deb >/dev/null 2>&1 || fail "dpkg-deb not found"
mirror=$(bash "$here/deploy/setup/debian-mirror.sh") || mirror=""
[ -n "$mirror" ] || fail "no Debian mirror found in this machine's apt sources"
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || fail "no VERSION_CODENAME in /etc/os-release"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || fail "$keyring missing"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts"
: > "$work/status"
echo "deb [signed-by=$keyring] $mirror $suite main" > "$work/sources.list"
opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=$work/parts"
      -o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status"
      -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
echo "meshgate: fetching Prometheus from Debian $suite into $tools ..." >&2
apt-get "${opts[@]}" -qq update >&2 || fail "apt-get update on the private list failed"
(cd "$work" && apt-get "${opts[@]}" -qq download prometheus >&2) || fail "apt-get download prometheus failed"
deb=$(ls "$work"/prometheus_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no prometheus .deb downloaded"
dpkg-deb -x "$deb" "$work/root"
mkdir -p "$tools"
cp "$work/root/usr/bin/prometheus" "$target.tmp" && mv "$target.tmp" "$target"
out=$("$target" --version 2>&1 || true)
case "$out" in *"prometheus, version"*) ;; *) fail "installed binary does not run: $out" ;; esac
echo "$target"
