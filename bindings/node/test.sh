#!/usr/bin/env bash
# bindings/node/test.sh: installs, builds and tests the Node package from a fresh clone.
#   npm ci (from package-lock.json) → cargo build of the napi addon → tsc → npm test
#   (node --test; the tests start and stop their own redis-server and 3-master cluster on
#   free loopback ports, and drive the real cachekit-py through tests/interop/peer) → the
#   conformance vectors through the node runner.
# CACHEKIT_SKIP_PY_INTEROP=1 skips the Python venv (the live interop test is then skipped).
# Needs Node ≥ 20, npm, cargo, and Debian's redis-server/redis-cli (installed when missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
step() { printf '\n== node: %s\n' "$*"; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  step "redis-server"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
fi

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config' || true

step "addon (cargo, release)"
node scripts/build-addon.mjs

step "typescript (strict) → dist/ (CJS + ESM entry, .d.ts)"
npx tsc -p tsconfig.json
node scripts/esm-entry.mjs
# The public types as a strict-mode user meets them (accepted clients, refused mistakes).
npx tsc -p test/types/tsconfig.json

step "cachekit-py peer (venv with cachekit==0.24.1, for the live interop test)"
if [[ "${CACHEKIT_SKIP_PY_INTEROP:-}" == 1 ]]; then
  echo "skipped (CACHEKIT_SKIP_PY_INTEROP=1)"
else
  CACHEKIT_PY_PYTHON="$("$root/tests/interop/peer" --setup-only)"
  export CACHEKIT_PY_PYTHON
  echo "$CACHEKIT_PY_PYTHON"
fi

step "npm test"
npm test --silent

step "conformance (node binding)"
"$root/conformance/run" --binding node "$root"/conformance/vectors/*.json
