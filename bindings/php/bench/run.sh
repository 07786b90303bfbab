#!/usr/bin/env bash
# bindings/php/bench/run.sh: benchmarks of the PHP extension against its peers, side by side in
# one run against one redis-server started here; writes the ratios to docs/bench-php.md.
# Needs (Debian): php-msgpack php-symfony-cache (installed when missing). BENCH_QUICK=1: shorter.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
need=()
[[ -f /usr/lib/php/20220829/msgpack.so ]] || need+=(php-msgpack)
[[ -f /usr/share/php/Symfony/Component/Cache/autoload.php ]] || need+=(php-symfony-cache)
if [[ ${#need[@]} -gt 0 ]]; then
  sudo_=""; [[ $(id -u) -ne 0 ]] && sudo_="sudo"
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p cachekit-php
so="$root/target/release/libcachekit_php.so"
extdir="$(php -n -r 'echo PHP_EXTENSION_DIR;')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
tmp="$(mktemp -d)"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" --daemonize yes --pidfile "$tmp/redis.pid" >/dev/null
trap '[[ -f "$tmp/redis.pid" ]] && kill "$(cat "$tmp/redis.pid")" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
BENCH_REDIS_PORT="$port" BENCH_OUT="$root/docs/bench-php.md" \
  php -n -d "extension_dir=$extdir" -d extension=igbinary -d extension=redis -d extension=msgpack \
  -d "extension=$so" -d memory_limit=512M "$here/run.php"
