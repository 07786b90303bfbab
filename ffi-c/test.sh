#!/usr/bin/env bash
# ffi-c/test.sh: every test of the C ABI (called by scripts/test; runs alone on a fresh machine).
#
#   1. installs what it needs when missing (Debian: libjansson-dev libhiredis-dev valgrind
#      pkg-config; cbindgen 0.29.4 through cargo)
#   2. header gate: regenerates include/cachekit.h into a temp file, fails on any difference
#   3. builds libcachekit (release) and runs the crate's unit tests
#   4. C tests (ffi-c/tests/*.c: API, hostile inputs, the state-machine handles, the engine
#      against an in-C fake Redis) natively, under valgrind, and built with
#      -fsanitize=address,undefined (linked against the real library); engine_redis.c (the
#      engine against a real Redis through hiredis) the same three ways when REDIS_URL is set
#   5. the C conformance runner on conformance/vectors/*.json: natively, valgrind, ASan
#   6. a leak canary proves valgrind and ASan do catch a leaked ck_buf
#   7. install into a temp PREFIX; compile against it with pkg-config; run; build both
#      README examples (the first runs under valgrind)
#   8. against REDIS_URL (when set): the hiredis example and the README engine example,
#      natively and under valgrind
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
target="$(mkdir -p "${CARGO_TARGET_DIR:-$root/target}" && cd "${CARGO_TARGET_DIR:-$root/target}" && pwd)"
out="$target/c"
mkdir -p "$out"
t0=$(date +%s)
step() { printf '\n== [%3ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
CBINDGEN_VERSION=0.29.4
VALGRIND=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
CFLAGS=(-std=c11 -O1 -g -Wall -Wextra -Werror -I"$root/include")
SAN=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
LIBS=("$target/release/libcachekit.a" -lpthread -ldl -lm)

step "system packages"
missing=()
pkg-config --exists jansson 2>/dev/null || missing+=(libjansson-dev)
pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v gcc >/dev/null || missing+=(gcc)
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  echo "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libjansson-dev libhiredis-dev valgrind pkg-config gcc >/dev/null
fi
gcc --version | head -1
valgrind --version

step "cbindgen $CBINDGEN_VERSION"
if [[ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]]; then
  cargo install --quiet cbindgen --version "$CBINDGEN_VERSION" --locked ||
    cargo install --quiet cbindgen --version "$CBINDGEN_VERSION"
fi
cbindgen --version

step "header gate: include/cachekit.h is what cbindgen generates"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cbindgen --quiet --config ffi-c/cbindgen.toml --crate cachekit-ffi --output "$tmp/cachekit.h" ffi-c
if ! diff -u include/cachekit.h "$tmp/cachekit.h"; then
  echo "include/cachekit.h is stale: run"
  echo "  cbindgen --config ffi-c/cbindgen.toml --crate cachekit-ffi --output include/cachekit.h ffi-c"
  exit 1
fi
echo "up to date"

step "build libcachekit (release) and unit tests"
cargo build --quiet --release -p cachekit-ffi
if ! cargo test --quiet -p cachekit-ffi >"$tmp/unit.log" 2>&1; then
  cat "$tmp/unit.log"
  echo "cargo test -p cachekit-ffi failed"
  exit 1
fi
grep -E "^test result" "$tmp/unit.log"
nm -D --defined-only "$target/release/libcachekit.so" | awk '$2 == "T" && $3 !~ /^ck_/ {bad=1; print "exported without ck_ prefix:", $3} END {exit bad}'
echo "$(nm -D --defined-only "$target/release/libcachekit.so" | awk '$2 == "T"' | wc -l) exported functions, all ck_-prefixed"

step "C tests: build (plain and -fsanitize=address,undefined)"
tests=()
for src in ffi-c/tests/*.c; do
  name=$(basename "$src" .c)
  [[ "$name" == engine_redis ]] && continue # needs hiredis and a server: built below
  gcc "${CFLAGS[@]}" "$src" "${LIBS[@]}" -o "$out/$name"
  gcc "${CFLAGS[@]}" "${SAN[@]}" "$src" "${LIBS[@]}" -o "$out/$name-asan"
  tests+=("$name")
done
HIREDIS=(-I"$root/examples/c" $(pkg-config --cflags hiredis))
gcc "${CFLAGS[@]}" "${HIREDIS[@]}" ffi-c/tests/engine_redis.c "${LIBS[@]}" $(pkg-config --libs hiredis) -o "$out/engine_redis"
gcc "${CFLAGS[@]}" "${SAN[@]}" "${HIREDIS[@]}" ffi-c/tests/engine_redis.c "${LIBS[@]}" $(pkg-config --libs hiredis) \
  -o "$out/engine_redis-asan"
echo "built: ${tests[*]} engine_redis"

step "C tests: native, valgrind, ASan"
for name in "${tests[@]}"; do
  "$out/$name"
  "${VALGRIND[@]}" "$out/$name" >/dev/null
  echo "$name: valgrind clean"
  "$out/$name-asan" >/dev/null
  echo "$name: ASan/UBSan clean"
done
if [[ -n "${REDIS_URL:-}" ]]; then
  "$out/engine_redis"
  "${VALGRIND[@]}" "$out/engine_redis" >/dev/null
  echo "engine_redis: valgrind clean"
  "$out/engine_redis-asan" >/dev/null
  echo "engine_redis: ASan/UBSan clean"
else
  "$out/engine_redis" # says it is skipped
fi

step "conformance: conformance/run --binding c conformance/vectors/*.json"
conformance/run --binding c conformance/vectors/*.json | tail -n 20
gcc "${CFLAGS[@]}" "${SAN[@]}" $(pkg-config --cflags jansson) conformance/c/runner.c "${LIBS[@]}" \
  $(pkg-config --libs jansson) -o "$out/cachekit-c-runner-asan"

step "conformance runner under valgrind"
"${VALGRIND[@]}" "$out/cachekit-c-runner" conformance/vectors/*.json | tail -n 1

step "conformance runner with ASan/UBSan"
"$out/cachekit-c-runner-asan" conformance/vectors/*.json | tail -n 1

step "leak canary: valgrind and ASan must catch a leaked ck_buf"
cat >"$tmp/leak.c" <<'EOF'
#include <cachekit.h>
__attribute__((noinline)) static int leak(void) {
  ck_buf b = {0, 0};
  return ck_envelope_store((const unsigned char *)"leak", 4, &b) == CK_OK ? 0 : 1; /* never freed */
}
int main(void) {
  int rc = 0;
  for (int i = 0; i < 4; i++) rc |= leak(); /* not just a stale pointer left on the stack */
  return rc;
}
EOF
gcc "${CFLAGS[@]}" "$tmp/leak.c" "${LIBS[@]}" -o "$tmp/leak"
gcc "${CFLAGS[@]}" "${SAN[@]}" "$tmp/leak.c" "${LIBS[@]}" -o "$tmp/leak-asan"
if "${VALGRIND[@]}" "$tmp/leak" 2>/dev/null; then echo "valgrind missed a leak"; exit 1; fi
if "$tmp/leak-asan" 2>/dev/null; then echo "ASan missed a leak"; exit 1; fi
echo "both caught it"

step "install into a temp PREFIX; build with pkg-config against it"
prefix="$tmp/prefix"
ffi-c/install.sh "$prefix" --no-build
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
echo "pkg-config: $(pkg-config --modversion cachekit): $(pkg-config --cflags --libs cachekit)"
cat >"$tmp/app.c" <<'EOF'
#include <cachekit.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  ck_buf key = {0, 0};
  if (ck_interop_key("users", "get", (const uint8_t *)"\x91\x2a", 2, &key) != CK_OK) return 1;
  printf("linked %s (header %s): %s\n", ck_version(), CACHEKIT_VERSION_STRING, (const char *)key.ptr);
  int ok = strcmp(ck_version(), CACHEKIT_VERSION_STRING) == 0;
  ck_buf_free(&key);
  return ok ? 0 : 1;
}
EOF
cc "$tmp/app.c" $(pkg-config --cflags --libs cachekit) -o "$tmp/app"
LD_LIBRARY_PATH="$prefix/lib" "$tmp/app"
if LD_LIBRARY_PATH="$prefix/lib" ldd "$tmp/app" | grep "$prefix/lib/libcachekit.so" >/dev/null; then
  echo "dynamically linked against the installed copy"
else
  echo "the pkg-config build did not link the installed libcachekit.so"
  exit 1
fi
cc "$tmp/app.c" $(pkg-config --cflags cachekit) "$prefix/lib/libcachekit.a" $(pkg-config --libs-only-other --static cachekit) \
  $(pkg-config --static --libs-only-l cachekit | sed 's/-lcachekit//') -o "$tmp/app-static"
"$tmp/app-static" >/dev/null
echo "statically linked against the installed libcachekit.a"
# Each ```c block of the README is one program: the first uses only cachekit, the second
# (the engine loop) also hiredis and examples/c/cachekit_hiredis.h.
awk -v dir="$tmp" '/^```c$/ {n++; f = dir "/readme_example" n ".c"; next} /^```$/ {f = ""; next} f {print > f}' ffi-c/README.md
[[ -f "$tmp/readme_example1.c" && -f "$tmp/readme_example2.c" ]] || { echo "ffi-c/README.md lost an example"; exit 1; }
cc -std=c11 -Wall -Wextra -Werror "$tmp/readme_example1.c" $(pkg-config --cflags --libs cachekit) -o "$tmp/readme_example1"
CACHEKIT_MASTER_KEY=$(printf '61%.0s' {1..32}) LD_LIBRARY_PATH="$prefix/lib" "${VALGRIND[@]}" "$tmp/readme_example1"
echo "the first example in ffi-c/README.md builds and runs (valgrind clean)"
cc -std=c11 -Wall -Wextra -Werror -Iexamples/c "$tmp/readme_example2.c" $(pkg-config --cflags --libs cachekit hiredis) \
  -o "$out/readme_engine_example"
echo "built the engine example of ffi-c/README.md"
gcc -std=c11 -Wall -Wextra -Werror examples/c/hiredis_example.c $(pkg-config --cflags --libs cachekit hiredis) -o "$out/hiredis_example"
echo "built examples/c/hiredis_example.c"

if [[ -n "${REDIS_URL:-}" ]]; then
  step "hiredis example against $REDIS_URL (native and valgrind)"
  LD_LIBRARY_PATH="$prefix/lib" "$out/hiredis_example"
  LD_LIBRARY_PATH="$prefix/lib" "${VALGRIND[@]}" "$out/hiredis_example" >/dev/null
  echo "hiredis example: valgrind clean"
  step "README engine example against $REDIS_URL (native and valgrind)"
  LD_LIBRARY_PATH="$prefix/lib" "$out/readme_engine_example" | grep -E "^(round|invalidated)"
  LD_LIBRARY_PATH="$prefix/lib" "${VALGRIND[@]}" "$out/readme_engine_example" >/dev/null
  echo "README engine example: valgrind clean"
else
  step "hiredis example and README engine example: skipped (REDIS_URL not set)"
fi

step "ffi-c: all passed"
