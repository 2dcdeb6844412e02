#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for this repository: the system packages the
# build and the interop tests need, the npm dependencies, and the native and TypeScript
# builds. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libwslay-dev cmake ninja-build g++ make python3 binutils util-linux python3-websockets chromium clang-format redis-server)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
npm run build
