#!/bin/sh
# The README's two commands.
#   scripts/quickstart.sh demo   install what is missing, build, classify a bundled image
#   scripts/quickstart.sh test   install what is missing, build, run the whole test suite
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

build() { # build DIR [cmake options...]
  dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

case "${1:-}" in
  demo)
    sh scripts/setup.sh build
    build build -DCNNRT_BUILD_TESTS=OFF
    ./build/cnnrt models/fashion_mnist/model.json models/fashion_mnist/samples/ankle_boot_0.jpg
    ;;
  test)
    sh scripts/setup.sh test
    sh scripts/check_format.sh
    build build -DCNNRT_BUILD_TESTS=ON
    ctest --test-dir build --output-on-failure -j 2
    # The C suite again under AddressSanitizer + UndefinedBehaviorSanitizer. (The API
    # program under valgrind memcheck, api_valgrind, ran in build/ above.)
    build build-asan -DCNNRT_BUILD_TESTS=ON -DCNNRT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    ctest --test-dir build-asan --output-on-failure -LE python -j 2
    # As on a CPU without x86 SIMD (ARM, RISC-V): no AVX2 code compiled in, the portable
    # kernels only; the whole suite, PyTorch parity included, must build and pass.
    build build-generic -DCNNRT_BUILD_TESTS=ON -DCNNRT_GENERIC_CPU=ON
    ctest --test-dir build-generic --output-on-failure -j 2
    # Two threads with a session each on one shared model, under ThreadSanitizer: a build
    # of its own, of that one program.
    cmake -S . -B build-tsan -DCNNRT_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >/dev/null
    cmake --build build-tsan --target tsan_two_sessions -j "$jobs"
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
      ctest --test-dir build-tsan -R '^tsan_two_sessions$' --output-on-failure
    # The libFuzzer targets (model loader, image decoding, load + run), 45 s each under
    # ASan + UBSan on the committed corpus; a crash fails (fuzz/run_fuzzers.sh).
    sh fuzz/run_fuzzers.sh 45
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
