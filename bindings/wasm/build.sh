#!/usr/bin/env bash
# bindings/wasm/build.sh: builds the engine .wasm (the workspace `wasm` profile: release with lto, one
# codegen unit, opt-level "z" and panic = "abort") and the two
# wasm-bindgen packages, pkg-nodejs (CommonJS) and pkg-web (ESM), each run through
# `wasm-opt -Oz` from npm binaryen (Debian's binaryen 108 breaks wasm-bindgen 0.2.130 output).
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli 0.2.130, `npm ci` done here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
cargo build --quiet --profile wasm -p cachekit-wasm --target wasm32-unknown-unknown --manifest-path "$root/Cargo.toml"
wasm="$root/target/wasm32-unknown-unknown/wasm/cachekit_wasm.wasm"
opt="$here/node_modules/.bin/wasm-opt"
for target in nodejs web; do
  out="$here/pkg-$target"
  rm -rf "$out"
  wasm-bindgen --target "$target" --remove-name-section --remove-producers-section --out-dir "$out" "$wasm"
  "$opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    "$out/cachekit_wasm_bg.wasm" -o "$out/cachekit_wasm_bg.wasm"
done
# The web build is ESM: say so, or Node reads it as CommonJS under a CommonJS parent.
printf '{"type":"module"}\n' >"$here/pkg-web/package.json"
printf '{"type":"commonjs"}\n' >"$here/pkg-nodejs/package.json"
