#!/usr/bin/env bash
# Prints the path of a `prometheus` binary for the compose demo's Prometheus image, installing one
# if needed. Order: $PROMETHEUS_BIN, .tools/prometheus (installed before), else Debian's
# `prometheus` package for this machine's release, fetched with a private apt state (nothing on
# the machine changes) into .tools/ (git-ignored; fetch-debian-binary.sh). The image copies it
# (no network during the build).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
tools="$here/.tools"
target="$tools/prometheus"

if [ -n "${PROMETHEUS_BIN:-}" ] && [ -x "$PROMETHEUS_BIN" ]; then echo "$PROMETHEUS_BIN"; exit 0; fi
if [ -x "$target" ]; then echo "$target"; exit 0; fi

fail() { echo "meshgate: could not install Prometheus for the compose demo ($1); set PROMETHEUS_BIN to a prometheus binary" >&2; exit 1; }

suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || fail "no VERSION_CODENAME in /etc/os-release"
echo "meshgate: fetching Prometheus from Debian $suite into $tools ..." >&2
bash "$here/deploy/setup/fetch-debian-binary.sh" "$suite" prometheus usr/bin/prometheus "$target" || fail "see the message above"
out=$("$target" --version 2>&1 || true)
case "$out" in *"prometheus, version"*) ;; *) fail "installed binary does not run: $out" ;; esac
echo "$target"
