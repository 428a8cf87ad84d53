#!/usr/bin/env bash
# Installs the Debian packages that provide the given commands, when they are missing.
#   install-packages.sh redis-server:redis-server nginx:nginx-light wrk:wrk haproxy:haproxy
# Each argument is COMMAND:PACKAGE. Runs `apt-get update` once, then installs with --no-upgrade
# so nothing else on the machine changes. Never fails the caller for an optional tool: prints
# what is missing and exits 1 so the caller decides.
set -uo pipefail
missing=()
for pair in "$@"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/usr/bin/$cmd" ]; then missing+=("$pkg"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
    echo "meshgate: please install: ${missing[*]} (apt-get install ${missing[*]})" >&2; exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "meshgate: please install: ${missing[*]} (no apt-get on this machine)" >&2; exit 1
fi
echo "meshgate: installing ${missing[*]} from Debian …" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || { echo "meshgate: apt-get update failed" >&2; exit 1; }
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-upgrade --no-install-recommends "${missing[@]}" >&2 || { echo "meshgate: apt-get install ${missing[*]} failed" >&2; exit 1; }
