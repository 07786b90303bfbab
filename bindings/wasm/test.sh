#!/usr/bin/env bash
# bindings/wasm/test.sh: installs, builds and tests the WebAssembly engine from a fresh clone.
#   rustup target wasm32-unknown-unknown, wasm-bindgen-cli 0.2.130 (= Cargo.lock's
#   wasm-bindgen), npm ci here (binaryen's wasm-opt) → build.sh (pkg-nodejs + pkg-web, -Oz) →
#   size (raw / gzip -9) → conformance vectors through the WASM build (conformance/runners/wasm)
#   → the web build in headless Chromium (Debian's chromium driven by playwright-core: every
#   conformance vector and engine round trips, test/browser.test.mjs; the entry inspector page,
#   test/inspector.test.mjs) → the TS SDK on the WASM engine through the fetch-based HTTP Redis
#   adapter example and its proxy (test/http-adapter.test.mjs) → the Node SDK's own test suite
#   with CACHEKIT_ENGINE=wasm against a real redis-server; the cachekit/web bundle
#   (bindings/node/dist/web.mjs) is also checked in Node, Deno, Bun and workerd (runtimes/).
# CACHEKIT_SKIP_PY_INTEROP=1 is set for the node suite unless the caller set it (the live
# cachekit-py interop test is bindings/node/test.sh's business).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
step() { printf '\n== wasm: %s\n' "$*"; }

step "toolchain"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target list --installed | grep -qx wasm32-unknown-unknown
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen 0.2.130" ]]; then
  # Not --locked: its lockfile asks for a webpki-roots the reachable index lacks.
  cargo install wasm-bindgen-cli --version 0.2.130
fi
wasm-bindgen --version
apt_missing=()
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || apt_missing+=(redis-server redis-tools)
# The browser tests use Debian's Chromium (playwright-core downloads no browser).
[[ -n "${CACHEKIT_CHROMIUM:-}" || -x /usr/bin/chromium ]] || apt_missing+=(chromium)
if [[ ${#apt_missing[@]} -gt 0 ]]; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

step "npm ci (binaryen, playwright-core, ioredis)"
npm ci --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config' || true

step "build (cargo wasm profile → wasm-bindgen nodejs + web → wasm-opt -Oz)"
./build.sh
raw=$(wc -c <pkg-nodejs/cachekit_wasm_bg.wasm)
gz=$(gzip -9 -c pkg-nodejs/cachekit_wasm_bg.wasm | wc -c)
echo "engine .wasm: $raw bytes, $gz bytes gzip -9 (budget 51200)"

step "node package (npm ci, tsc)"
(
  cd "$root/bindings/node"
  npm ci --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config' || true
  npx tsc -p tsconfig.json
  node scripts/esm-entry.mjs
  node scripts/build-web.mjs
  # The runtime checks compare against the napi engine: build the addon when it is missing.
  [[ -f cachekit.node ]] || node scripts/build-addon.mjs
)
export CACHEKIT_WASM_PKG="$here/pkg-nodejs/cachekit_wasm.js"
CACHEKIT_ENGINE=wasm node -e "const c = require('$root/bindings/node/dist/index.js'); const k = c.defaultEngineKind(); if (k !== 'wasm') throw new Error('engine ' + k); console.log('engine:', k, 'core', c.protocol.coreVersion())"

step "web (ESM) build in Node: primitives and an L1 round trip"
status=0
node --test --test-timeout=180000 "$here/test/web.test.mjs" || status=1

step "web build in headless Chromium: conformance vectors, engine round trips, entry inspector"
node --test --test-timeout=180000 "$here/test/browser.test.mjs" "$here/test/inspector.test.mjs" || status=1

step "HTTP Redis adapter example: TS SDK on WASM → fetch → proxy → real redis-server"
node --test --test-timeout=180000 "$here/test/http-adapter.test.mjs" || status=1

step "cachekit/web in Node, Deno, Bun and workerd (runtimes/run.mjs)"
(
  cd "$here/runtimes"
  # npm install, not npm ci: the reachable registry lacks deno's other-platform optional
  # packages (@deno/darwin-*, win32-*), which npm ci insists the lock list.
  npm install --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config' || true
  node run.mjs
) || status=1

step "conformance (wasm binding)"
CACHEKIT_WASM_PREBUILT=1 "$root/conformance/run" --binding wasm "$root"/conformance/vectors/*.json || status=1

step "node SDK test suite on the WASM engine (real redis-server)"
cd "$root/bindings/node"
CACHEKIT_ENGINE=wasm CACHEKIT_SKIP_PY_INTEROP="${CACHEKIT_SKIP_PY_INTEROP:-1}" npm test --silent || status=1
exit "$status"
