#!/usr/bin/env bash
# The consumer test (test/package/consumer.test.ts) on Node 24: a temporary node@24 from the npm
# registry in a scratch folder (not a project dependency), first on PATH, so vitest, npm, npx and
# the installed `traceloom` bin all run on it. Usage: bash tools/consumer-node24.sh
# Env: NODE24_DIR (default: $TMPDIR/traceloom-node24, reused when it already holds Node 24),
#      TRACELOOM_TARBALL (use this tarball instead of packing a fresh clone).
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${NODE24_DIR:-${TMPDIR:-/tmp}/traceloom-node24}"
bin="$dir/node_modules/.bin"
if ! [ -x "$bin/node" ] || [[ "$("$bin/node" --version)" != v24.* ]]; then
  echo "consumer-node24: installing node@24 into $dir"
  rm -rf "$dir"
  npm i --prefix "$dir" node@24 --no-audit --no-fund --no-save --prefer-offline --loglevel=error
fi
export PATH="$bin:$PATH"
echo "consumer-node24: $(node --version) ($(command -v node)), npm $(npm --version)"
exec node node_modules/vitest/vitest.mjs run test/package/consumer.test.ts
