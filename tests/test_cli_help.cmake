# cmake -DCNNRT=... -DSOURCE_DIR=... -P test_cli_help.cmake
# --help is complete (every option the parser knows is in it) and the man page documents
# every option --help lists; the man page is free of groff warnings; --version.
set(failures 0)
macro(fail message)
  message(SEND_ERROR "${message}")
  math(EXPR failures "${failures} + 1")
endmacro()

execute_process(COMMAND ${CNNRT} --help RESULT_VARIABLE status OUTPUT_VARIABLE help
                ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  fail("--help exited with ${status}: ${err}")
endif()

# Every option the parser accepts (strcmp(flag, "--x") in cli_args.c) is in --help ...
file(READ ${SOURCE_DIR}/tools/cli_args.c args_source)
string(REGEX MATCHALL "\"--[a-z0-9-]+\"" parsed "${args_source}")
list(REMOVE_DUPLICATES parsed)
list(LENGTH parsed parsed_count)
if(parsed_count LESS 15)
  fail("found only ${parsed_count} options in cli_args.c: ${parsed}")
endif()
file(READ ${SOURCE_DIR}/docs/cnnrt.1 man)
string(REPLACE "\\-" "-" man_text "${man}")
foreach(quoted IN LISTS parsed)
  string(REPLACE "\"" "" option "${quoted}")
  string(FIND "${help}" "${option}" at)
  if(at LESS 0)
    fail("--help does not mention ${option}")
  endif()
  # ... and in the man page (where groff writes - as \-).
  string(FIND "${man_text}" "${option}" at)
  if(at LESS 0)
    fail("docs/cnnrt.1 does not document ${option}")
  endif()
endforeach()

find_program(GROFF groff)
if(GROFF)
  execute_process(COMMAND ${GROFF} -man -ww -z ${SOURCE_DIR}/docs/cnnrt.1
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE warnings)
  if(NOT status EQUAL 0 OR NOT warnings STREQUAL "")
    fail("groff warns about docs/cnnrt.1 (status ${status}):\n${warnings}")
  endif()
else()
  fail("groff is not installed (sh scripts/setup.sh test installs groff-base)")
endif()

execute_process(COMMAND ${CNNRT} --version RESULT_VARIABLE status OUTPUT_VARIABLE out)
file(STRINGS ${SOURCE_DIR}/include/cnnrt.h version_line REGEX "define CNNRT_VERSION_STRING")
string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" version "${version_line}")
if(NOT status EQUAL 0 OR NOT out MATCHES "^cnnrt ${version} ")
  fail("--version printed '${out}' (status ${status}), expected cnnrt ${version}")
endif()
# The man page names the same version.
if(NOT man MATCHES "\"cnnrt ${version}\"")
  fail("docs/cnnrt.1's .TH line does not say cnnrt ${version}")
endif()

# Bad usage exits with 2 and says why.
foreach(bad "--plot;x.png" "--dump-features;d" "--labels-from-dirs" "--profile"
            "--summary;--bench;3" "${SOURCE_DIR}/models/fashion_mnist/samples/ankle_boot_0.jpg;--bench;3")
  execute_process(COMMAND ${CNNRT} ${SOURCE_DIR}/models/fashion_mnist/model.json ${bad}
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 2 OR NOT err MATCHES "cnnrt: ")
    fail("'${bad}' without what it needs: status ${status}, stderr ${err}")
  endif()
endforeach()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} help/man check(s) failed")
endif()
message(STATUS "help and man page: all checks passed")
