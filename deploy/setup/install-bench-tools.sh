#!/usr/bin/env bash
# Installs what test/bench/run.mjs needs besides Node: wrk (load generator), nginx and
# HAProxy (reference proxies and the fixed-response upstream) and taskset (CPU pinning).
# Idempotent: does nothing when everything is already there. Never starts or changes a
# system service: the benchmark runs its own nginx/HAProxy children with generated configs.
set -euo pipefail

missing=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
have wrk     || missing+=(wrk)
have nginx   || missing+=(nginx-light)
have haproxy || missing+=(haproxy)
have taskset || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
  echo "bench tools present: $(command -v wrk || echo /usr/bin/wrk), /usr/sbin/nginx, /usr/sbin/haproxy, $(command -v taskset)" >&2
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || { echo "install-bench-tools: apt-get not found; install ${missing[*]} yourself" >&2; exit 1; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-bench-tools: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi

echo "install-bench-tools: installing ${missing[*]} ..." >&2
export DEBIAN_FRONTEND=noninteractive
# Keep apt from starting the packaged nginx/haproxy services while installing (the
# benchmark never uses them); only if no policy is in place already.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && added_policy=1
fi
cleanup() { if [ -n "$added_policy" ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT

$sudo apt-get update -qq
if ! $sudo apt-get install -y -qq --no-upgrade "${missing[@]}" >&2; then
  # Newer Debian releases dropped nginx-light; plain nginx works the same here.
  pkgs=("${missing[@]/nginx-light/nginx}")
  $sudo apt-get install -y -qq --no-upgrade "${pkgs[@]}" >&2
fi

for t in wrk nginx haproxy taskset; do
  have "$t" || { echo "install-bench-tools: $t still missing after install" >&2; exit 1; }
done
echo "install-bench-tools: done" >&2
