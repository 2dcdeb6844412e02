#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for this repository: the system packages the
# build and the tests need, the npm dependencies, and the native and TypeScript builds.
# Each step is skipped when it is already done, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }

# 1. System packages: wslay and the toolchain for the addon; clang-format for `npm run lint`;
#    python3-websockets, chromium and redis-server for the interop and broker tests.
packages=(libwslay-dev cmake ninja-build g++ make python3 binutils util-linux python3-websockets chromium clang-format redis-server)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  say "1/3 installing system packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "1/3 system packages: all ${#packages[@]} present"
fi

# 2. npm dependencies, exactly as package-lock.json says. The stamp records the lock file and
#    Node version of the last `npm ci`; --ignore-scripts because step 3 builds the addon (this
#    package's own install step would only report that it is not built yet).
stamp=node_modules/.wslay-setup-stamp
wanted="$(node --version) $(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
  say "2/3 npm dependencies: node_modules matches package-lock.json"
else
  say "2/3 npm dependencies: npm ci"
  npm ci --no-audit --no-fund --ignore-scripts
  echo "$wanted" >"$stamp"
fi

# 3. The builds, when their sources are newer than their output.
newer_than() { [[ ! -e $1 ]] || [[ -n $(find "${@:2}" -newer "$1" -print -quit) ]]; }
if newer_than build/Release/wslay.node native CMakeLists.txt deps package.json; then
  say "3/3 native addon: building (npm run build:native)"
  npm run --silent build:native
else
  say "3/3 native addon: build/Release/wslay.node is up to date"
fi
if newer_than dist/cjs/index.js src tsconfig.json scripts/build-ts.mjs package.json; then
  say "3/3 TypeScript: building dist/ (npm run build:ts)"
  npm run --silent build:ts
else
  say "3/3 TypeScript: dist/ is up to date"
fi
say "done; backend: $(node dist/cjs/cli.js doctor | sed -n 's/^backend *//p')"
