#!/usr/bin/env bash
# bindings/php/test.sh: installs what it needs (Debian apt), builds the extension, starts its
# own redis-server on a free loopback port, runs PHPUnit, PHPUnit under valgrind, PHPUnit again on
# a 3-master RedisCluster it starts, and the PHP conformance runner.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

need=()
command -v php >/dev/null 2>&1 || need+=(php8.2-cli)
command -v php-config >/dev/null 2>&1 || need+=(php8.2-dev)
[[ -f /usr/lib/php/20220829/redis.so ]] || need+=(php-redis)
command -v phpunit >/dev/null 2>&1 || need+=(phpunit)
command -v clang >/dev/null 2>&1 || need+=(clang)
ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 || need+=(libclang-dev)
[[ -f /usr/share/php/Psr/SimpleCache/CacheInterface.php ]] || need+=(php-psr-simple-cache)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
if [[ ${#need[@]} -gt 0 ]]; then
  echo "php: installing ${need[*]}"
  sudo_=""; [[ $(id -u) -ne 0 ]] && sudo_="sudo"
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php8.2-cli php8.2-dev php-redis phpunit clang libclang-dev php-psr-simple-cache redis-server valgrind >/dev/null
fi

profile="${CACHEKIT_PHP_PROFILE:-release}"
if [[ "$profile" == release ]]; then
  cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p cachekit-php
else
  cargo build --quiet --manifest-path "$root/Cargo.toml" -p cachekit-php
fi
so="${CARGO_TARGET_DIR:-$root/target}/$profile/libcachekit_php.so"
export CACHEKIT_PHP_EXT="$so"

# The PHP command every test uses: no system ini, only the extensions we name.
extdir="$(php -n -r 'echo PHP_EXTENSION_DIR;')"
php_cmd=(php -n -d "extension_dir=$extdir")
for e in igbinary redis dom mbstring xml xmlwriter tokenizer posix; do
  [[ -f "$extdir/$e.so" ]] && php_cmd+=(-d "extension=$e")
done
php_cmd+=(-d "extension=$so" -d memory_limit=512M)
export CACHEKIT_PHP="${php_cmd[*]}"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
tmp="$(mktemp -d)"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" --daemonize yes --pidfile "$tmp/redis.pid" >/dev/null
cleanup() {
  [[ -f "$tmp/redis.pid" ]] && kill "$(cat "$tmp/redis.pid")" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export CACHEKIT_TEST_REDIS_PORT="$port"

# The Node SDK (its CLI) for the live PHP <-> Node interop test, when node is installed
# (CACHEKIT_SKIP_NODE_INTEROP=1 skips it; the test then reports itself skipped).
if command -v node >/dev/null 2>&1 && [[ -z "${CACHEKIT_SKIP_NODE_INTEROP:-}" ]]; then
  (
    cd "$root/bindings/node"
    [[ -d node_modules/typescript ]] || npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1
    node scripts/build-addon.mjs >/dev/null
    if [[ ! -f dist/cli.js ]] || [[ -n "$(find ts -newer dist/cli.js -name '*.ts' | head -1)" ]]; then
      npx tsc -p tsconfig.json >/dev/null
      node scripts/esm-entry.mjs
    fi
  ) >&2 || echo "php: the Node SDK did not build; the Node interop test will be skipped" >&2
fi

# A 3-master Redis Cluster (no replicas) for the RedisCluster pass: cluster bus on its own
# free port (cluster-port), each node in its own directory.
cluster_pids=()
cluster_seeds=()
start_cluster() {
  local p bus d
  for _ in 1 2 3; do
    p="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    bus="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    d="$tmp/cluster-$p"
    mkdir -p "$d"
    redis-server --port "$p" --cluster-port "$bus" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$d/nodes.conf" --save '' --appendonly no --dir "$d" \
      --daemonize yes --pidfile "$d/redis.pid" >/dev/null
    cluster_seeds+=("127.0.0.1:$p")
  done
  for s in "${cluster_seeds[@]}"; do
    for _ in $(seq 50); do redis-cli -p "${s##*:}" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  redis-cli --cluster create "${cluster_seeds[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
  for s in "${cluster_seeds[@]}"; do
    for _ in $(seq 100); do
      redis-cli -p "${s##*:}" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break
      sleep 0.1
    done
  done
}
stop_cluster() {
  local f
  for f in "$tmp"/cluster-*/redis.pid; do
    [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true
  done
}
trap 'stop_cluster; cleanup' EXIT

status=0
echo "== php: PHPUnit"
"${php_cmd[@]}" /usr/bin/phpunit --colors=never -c "$here/phpunit.xml" || status=1

echo "== php: PHPUnit under valgrind (USE_ZEND_ALLOC=0, pcre.jit=0: JIT code has no symbols)"
vg_cmd=("${php_cmd[@]:0:1}" -d pcre.jit=0 "${php_cmd[@]:1}")
USE_ZEND_ALLOC=0 valgrind -q --error-exitcode=99 --leak-check=no \
  "${vg_cmd[@]}" /usr/bin/phpunit --colors=never -c "$here/phpunit.xml" || status=1

echo "== php: PHPUnit on a 3-master RedisCluster"
start_cluster
CACHEKIT_TEST_CLUSTER_SEEDS="$(IFS=,; echo "${cluster_seeds[*]}")" \
  "${php_cmd[@]}" /usr/bin/phpunit --colors=never -c "$here/phpunit.xml" || status=1
stop_cluster

echo "== php: conformance"
if [[ -x "$root/conformance/runners/php" ]]; then
  "$root/conformance/run" --binding php "$root"/conformance/vectors/*.json | tail -n 3 || status=1
fi
exit $status
