#!/usr/bin/env bash
# `npm run test:deploy`: a real Docker engine in a network namespace this script creates (mgd-*, 10.210.0.0/16),
# the base image imported from a cached debootstrap rootfs (no pulls), deploy/Dockerfile built offline, the
# compose demo run and checked through the edge, then everything torn down by PID even on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
fail() { echo "test:deploy FAILED: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces and dockerd)"
bash deploy/setup/install-packages.sh dockerd:docker.io docker-compose:docker-compose debootstrap:debootstrap ip:iproute2 nsenter:util-linux \
  || fail "could not install docker.io, docker-compose, debootstrap, iproute2"
for c in dockerd docker docker-compose ip nsenter; do command -v "$c" >/dev/null || fail "missing command: $c"; done
consul_bin=${CONSUL_BIN:-$(bash deploy/setup/install-consul.sh | tail -n 1)}
[ -x "$consul_bin" ] || fail "no Consul binary (deploy/setup/install-consul.sh)"
mkdir -p .tools && { [ "$(readlink -f "$consul_bin")" = "$(readlink -f .tools/consul 2>/dev/null)" ] || cp "$consul_bin" .tools/consul; }
prometheus_bin=$(bash deploy/setup/install-prometheus.sh | tail -n 1) || fail "no Prometheus binary (deploy/setup/install-prometheus.sh)"
{ [ "$(readlink -f "$prometheus_bin")" = "$(readlink -f .tools/prometheus 2>/dev/null)" ] || cp "$prometheus_bin" .tools/prometheus; }
[ -f dist/agent/main.js ] && [ -d node_modules ] || fail "run npm ci && npm run build first"
rootfs=$(bash deploy/docker/base-rootfs.sh) || fail "no base rootfs (debootstrap)"

slot=$(( $$ % 64 )); ns="mgd-$slot"; vh="mgd-$slot-h"; vn="mgd-$slot-n"
host_ip="10.210.0.$(( slot * 4 + 1 ))"; ns_ip="10.210.0.$(( slot * 4 + 2 ))"
work=$(mktemp -d /tmp/mgd.XXXXXX)
export DOCKER_HOST="unix://$work/docker.sock" COMPOSE_PROJECT_NAME="mgd$slot" MESHGATE_BASE_IMAGE=meshgate-base:bookworm
netns_dir_existed=0; [ -d /run/netns ] && netns_dir_existed=1
dockerd_pid=""; compose_up=0

cleanup() {
  set +e
  if [ "$compose_up" = 1 ]; then docker-compose down -v --remove-orphans >/dev/null 2>&1; fi
  if [ -n "$dockerd_pid" ]; then
    kill -TERM "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$dockerd_pid" 2>/dev/null
  fi
  grep -o " $work[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  ip link del "$vh" 2>/dev/null; ip netns del "$ns" 2>/dev/null
  if [ "$netns_dir_existed" = 0 ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then umount /run/netns 2>/dev/null; rm -rf /run/netns; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
ip link add "$vh" type veth peer name "$vn"
ip link set "$vn" netns "$ns"
ip addr add "$host_ip/30" dev "$vh"; ip link set "$vh" up
ip -n "$ns" addr add "$ns_ip/30" dev "$vn"; ip -n "$ns" link set "$vn" up; ip -n "$ns" link set lo up
nsenter --net="/run/netns/$ns" dockerd --bip=10.210.1.1/24 --default-address-pool base=10.210.16.0/20,size=24 \
  --data-root="$work/data" --exec-root="$work/exec" --pidfile="$work/dockerd.pid" -H "$DOCKER_HOST" >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
docker version >/dev/null 2>&1 || { tail -n 20 "$work/dockerd.log" >&2; fail "the Docker engine (dockerd) did not start"; }
echo "test:deploy: engine up in $ns ($ns_ip)"

# The base: minbase bookworm plus this machine's node and npm where node:20-bookworm-slim has them.
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
tar -c -C "$rootfs" --exclude=./.complete . -C "$(dirname "$(readlink -f "$(command -v node)")")" node -C "$(dirname "$npm_dir")" "$(basename "$npm_dir")" \
  --transform 's,^node$,usr/local/bin/node,;s,^npm,usr/local/lib/node_modules/npm,' | docker import - meshgate-base:bookworm >/dev/null
docker-compose build -q || fail "docker-compose build"
size=$(docker image inspect meshgate:local --format '{{.Size}}')
echo "test:deploy: image meshgate:local $(( size / 1024 / 1024 )) MiB (base bookworm minbase + node $(node --version))"
docker run --rm --entrypoint sh meshgate:local -c 'test ! -e dist/test && test "$(id -u)" != 0' || fail "image has compiled tests or runs as root"

compose_up=1
docker-compose up -d --no-build || fail "docker-compose up"
NS_IP="$ns_ip" node test/deploy/compose-check.mjs || fail "compose checks"
docker-compose down -v --remove-orphans >/dev/null; compose_up=0
[ -z "$(docker ps -aq)" ] || fail "containers left after docker-compose down"
[ -z "$(docker network ls -q --filter name=$COMPOSE_PROJECT_NAME)" ] || fail "networks left after docker-compose down"
echo "test:deploy: docker-compose down removed every container and network"

if [ -f test/deploy/testcontainers.test.mjs ]; then TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE="$ns_ip" \
  node node_modules/mocha/bin/mocha.js --no-config --timeout 180000 test/deploy/testcontainers.test.mjs || fail "testcontainers end-to-end"; else echo "test:deploy: testcontainers end-to-end test not written yet" >&2; fi
[ -f test/deploy/testcontainers.test.mjs ] || fail "compose part passed; the testcontainers end-to-end test (test/deploy/testcontainers.test.mjs) does not exist yet"
echo "test:deploy: passed"
