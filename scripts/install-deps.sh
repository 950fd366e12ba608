#!/usr/bin/env bash
# Installs the Debian packages cohort needs to build, test and run.
# Idempotent and quiet when nothing is missing; works without root when
# everything is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  libssl-dev libisal-dev libsodium-dev
  iproute2 nftables procps
  # tests/cluster/exec_interop_test: cohort exec as their remote shell. Both
  # MPIs side by side; the tests call each by its own names (mpirun.openmpi,
  # mpiexec.mpich, ...), whichever the mpirun/mpicc alternatives point at.
  openmpi-bin libopenmpi-dev mpich libmpich-dev pdsh
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "install-deps: missing packages (${missing[*]}) and not root; run this script as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
