#!/usr/bin/env bash
# ffi-c/install.sh PREFIX [--no-build]
# Builds libcachekit (release) and installs it for C users:
#   PREFIX/include/cachekit.h
#   PREFIX/lib/libcachekit.so.VERSION  (+ libcachekit.so.SONAME_VERSION and libcachekit.so symlinks)
#   PREFIX/lib/libcachekit.a
#   PREFIX/lib/pkgconfig/cachekit.pc   (from ffi-c/libcachekit.pc.in)
# Then: export PKG_CONFIG_PATH=PREFIX/lib/pkgconfig; cc app.c $(pkg-config --cflags --libs cachekit)
# (and LD_LIBRARY_PATH=PREFIX/lib at run time unless PREFIX/lib is a system library directory).
set -euo pipefail
if [[ $# -lt 1 || "$1" == -* ]]; then
  echo "usage: ffi-c/install.sh PREFIX [--no-build]" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$1"
[[ "${2:-}" == "--no-build" ]] || cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p cachekit-ffi
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
version="$(sed -n 's/^#define CACHEKIT_VERSION_STRING "\(.*\)"$/\1/p' "$root/include/cachekit.h")"
[[ -n "$version" ]] || { echo "no CACHEKIT_VERSION_STRING in include/cachekit.h" >&2; exit 1; }
major="${version%%.*}"
minor="${version#*.}"; minor="${minor%%.*}"
if [[ "$major" == 0 ]]; then soversion="0.$minor"; else soversion="$major"; fi
lib="$(cd "${CARGO_TARGET_DIR:-$root/target}" && pwd)/release"
install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 0644 "$root/include/cachekit.h" "$prefix/include/cachekit.h"
install -m 0755 "$lib/libcachekit.so" "$prefix/lib/libcachekit.so.$version"
ln -sfn "libcachekit.so.$version" "$prefix/lib/libcachekit.so.$soversion"
ln -sfn "libcachekit.so.$soversion" "$prefix/lib/libcachekit.so"
install -m 0644 "$lib/libcachekit.a" "$prefix/lib/libcachekit.a"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" "$root/ffi-c/libcachekit.pc.in" >"$prefix/lib/pkgconfig/cachekit.pc"
chmod 0644 "$prefix/lib/pkgconfig/cachekit.pc"
echo "installed cachekit $version into $prefix"
