#!/bin/sh
# Installs the Debian packages cnnrt needs that are missing (nothing else is downloaded).
#   scripts/setup.sh build   what building and classifying needs
#   scripts/setup.sh test    plus what the test suite needs (PyTorch, Fashion-MNIST, ...)
#   scripts/setup.sh bench   plus what bench/run_bench.py needs (OpenBLAS for torch, GNU time)
set -eu

BUILD_PACKAGES="build-essential cmake pkg-config libcjson-dev libturbojpeg0-dev libpng-dev"
TEST_PACKAGES="libcriterion-dev python3 python3-torch python3-torchvision python3-numpy
python3-pil dataset-fashion-mnist clang-format chromium groff-base
zlib1g-dev libjpeg62-turbo-dev valgrind clang libclang-rt-14-dev"

case "${1:-build}" in
  build) wanted="$BUILD_PACKAGES" ;;
  test) wanted="$BUILD_PACKAGES $TEST_PACKAGES" ;;
  bench) wanted="$BUILD_PACKAGES $TEST_PACKAGES libopenblas0-pthread time" ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=""
for pkg in $wanted; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in *"install ok installed"*) ;; *) missing="$missing $pkg" ;; esac
done
[ -z "$missing" ] && exit 0

echo "setup: installing missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
