#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt sources use (the first non-security URI), or fails.
# Shared by install-consul.sh and the container tier's debootstrap, so no mirror host is written here.
set -euo pipefail
mirror=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } else break } }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || exit 1
echo "$mirror"
