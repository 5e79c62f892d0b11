#!/usr/bin/env bash
# Installs the Debian 12 packages denser builds against, only those that are missing.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config ccache zlib1g-dev python3-venv python3-pip python3-dev
  libcli11-dev nlohmann-json3-dev libutf8proc-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev libxapian-dev snowball-data
  libtorch-dev libfaiss-dev python3-torch libopenblas0-pthread
  libgloo-dev chromium chromium-driver wrk curl
  clang libclang-rt-14-dev clang-format-14
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
