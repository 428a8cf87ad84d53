#!/usr/bin/env bash
# fetch-debian-binary.sh SUITE PACKAGE PATH TARGET: downloads Debian SUITE's PACKAGE with a private
# apt state (nothing on the machine changes: no install, no lists, no lock), unpacks it, and copies
# the file at PATH inside the package (e.g. usr/bin/consul) to TARGET. The mirror is read from this
# machine's own apt sources; no host is written here. On failure: a message on stderr, exit 1.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: fetch-debian-binary.sh SUITE PACKAGE PATH TARGET" >&2; exit 2; }
suite=$1 package=$2 inner=$3 target=$4
here=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "meshgate: fetching $package from Debian $suite failed: $1" >&2; exit 1; }

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
echo "deb [signed-by=$keyring] $mirror $suite main" > "$work/sources.list"
opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=$work/parts"
      -o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status"
      -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
apt-get "${opts[@]}" -qq update >&2 || fail "apt-get update on the private list failed"
(cd "$work" && apt-get "${opts[@]}" -qq download "$package" >&2) || fail "apt-get download $package failed"
deb=$(ls "$work"/"${package}"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no $package .deb downloaded"
dpkg-deb -x "$deb" "$work/root"
[ -f "$work/root/$inner" ] || fail "$inner not in the package"
mkdir -p "$(dirname "$target")"
cp "$work/root/$inner" "$target.tmp" && mv "$target.tmp" "$target"
