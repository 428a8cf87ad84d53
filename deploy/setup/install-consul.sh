#!/usr/bin/env bash
# Prints the path of a usable `consul` binary on stdout, installing one if needed.
# Order: $CONSUL_BIN, `consul` on PATH, .tools/consul (installed before), else Debian
# bullseye's consul 1.8.7 fetched with a private apt state into .tools/ (git-ignored;
# fetch-debian-binary.sh).
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

echo "meshgate: installing Consul 1.8.7 from Debian bullseye into $tools ..." >&2
bash "$here/deploy/setup/fetch-debian-binary.sh" bullseye consul usr/bin/consul "$target" || fail "see the message above"
out=$("$target" version 2>&1 || true)
case "$out" in *"Consul v"*) ;; *) fail "installed binary does not run: $out" ;; esac
echo "$target"
