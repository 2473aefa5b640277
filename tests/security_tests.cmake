# Untrusted input (included by tests/CMakeLists.txt). The Criterion files test_limits.c,
# test_images_formats.c and test_images_bad.c are picked up by its test_*.c glob; this adds
# what they link, the plain-C programs for valgrind and ThreadSanitizer, and the fuzz
# corpus replay.

# test_images_formats makes JPEGs with TurboJPEG (and libjpeg, for sampling factors
# TurboJPEG has no name for); test_images_bad fixes PNG checksums.
find_package(ZLIB REQUIRED)
pkg_check_modules(CNNRT_TEST_LIBJPEG REQUIRED IMPORTED_TARGET libjpeg)
target_link_libraries(test_images_formats PRIVATE PkgConfig::TURBOJPEG PkgConfig::CNNRT_TEST_LIBJPEG)
target_link_libraries(test_images_bad PRIVATE ZLIB::ZLIB)

# The public API end to end, every call and failure path, in one process: run as a test
# here and under valgrind memcheck below (Criterion's forked workers make valgrind slow
# and blind, so this is a plain program).
add_executable(api_memcheck api_memcheck.c)
target_link_libraries(api_memcheck PRIVATE cnnrt_static Threads::Threads)
target_include_directories(api_memcheck PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_definitions(api_memcheck PRIVATE CNNRT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_test(NAME api_memcheck COMMAND api_memcheck ${CMAKE_CURRENT_BINARY_DIR}/api_memcheck_work)
set_tests_properties(api_memcheck PROPERTIES LABELS c TIMEOUT 120
                     FAIL_REGULAR_EXPRESSION "${CNNRT_SANITIZER_REPORT}")

find_program(CNNRT_VALGRIND valgrind)
if(CNNRT_VALGRIND AND NOT CNNRT_SANITIZE)
  add_test(NAME api_valgrind
           COMMAND ${CNNRT_VALGRIND} --tool=memcheck --error-exitcode=1 --leak-check=full
                   --show-leak-kinds=all --errors-for-leak-kinds=all --track-origins=yes
                   $<TARGET_FILE:api_memcheck> ${CMAKE_CURRENT_BINARY_DIR}/api_valgrind_work)
  set_tests_properties(api_valgrind PROPERTIES LABELS "c;valgrind" TIMEOUT 300)
endif()

# Two threads, each with its own session on one shared model (and decoding images, and
# reading and changing limits): a test here, and the ThreadSanitizer leg of
# scripts/quickstart.sh builds this one target with -fsanitize=thread.
add_executable(tsan_two_sessions tsan_two_sessions.c)
target_link_libraries(tsan_two_sessions PRIVATE cnnrt_static Threads::Threads)
target_include_directories(tsan_two_sessions PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_definitions(tsan_two_sessions PRIVATE CNNRT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_test(NAME tsan_two_sessions COMMAND tsan_two_sessions)
set_tests_properties(tsan_two_sessions PROPERTIES LABELS "c;tsan" TIMEOUT 120
                     FAIL_REGULAR_EXPRESSION "${CNNRT_SANITIZER_REPORT}|ThreadSanitizer")

# The committed fuzz corpus (seeds and every reproducer ever found) through the fuzz
# targets' entry points, without libFuzzer: in this build and under ASan + UBSan.
foreach(target model image run)
  add_executable(fuzz_replay_${target} ${PROJECT_SOURCE_DIR}/fuzz/fuzz_${target}.c
                                       ${PROJECT_SOURCE_DIR}/fuzz/replay_main.c)
  target_link_libraries(fuzz_replay_${target} PRIVATE cnnrt_static)
  target_include_directories(fuzz_replay_${target} PRIVATE ${PROJECT_SOURCE_DIR})
  add_test(NAME fuzz_corpus_${target}
           COMMAND fuzz_replay_${target} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${target})
  # as under libFuzzer (-malloc_limit_mb=512): a larger allocation is a finding
  set_tests_properties(fuzz_corpus_${target} PROPERTIES LABELS "c;fuzz" TIMEOUT 300
                       ENVIRONMENT "ASAN_OPTIONS=max_allocation_size_mb=512"
                       FAIL_REGULAR_EXPRESSION "${CNNRT_SANITIZER_REPORT}")
endforeach()
