#!/usr/bin/env bash
# Prints the path of a Debian bookworm minbase rootfs with this machine's `node` binary in it, made once
# with debootstrap and cached outside the clone (${XDG_CACHE_HOME:-$HOME/.cache}/meshgate/), so that
# every clone on this machine reuses it. The container tier imports it as the image base: no pulls.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/meshgate"
rootfs="$cache/rootfs-bookworm-minbase"
if [ -f "$rootfs/.complete" ]; then echo "$rootfs"; exit 0; fi
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || { echo "meshgate: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
mirror=$(bash "$here/deploy/setup/debian-mirror.sh") || { echo "meshgate: no Debian mirror in this machine's apt sources (needed by debootstrap)" >&2; exit 1; }
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "meshgate: debootstrap --variant=minbase bookworm into $rootfs (once, ~1 min) ..." >&2
debootstrap --variant=minbase bookworm "$tmp" "$mirror" >&2 || { echo "meshgate: debootstrap failed" >&2; exit 1; }
rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
touch "$tmp/.complete"
rm -rf "$rootfs" && mv "$tmp" "$rootfs"
trap - EXIT
echo "$rootfs"
