# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DC_COMPILER=... -DLIBDIR=lib
#       -P test_cli_install.cmake
# What a new user does: install the package (here to a prefix that is then moved, so the
# installed files must be relocatable), build the examples against it with CMake
# (find_package(cnnrt)) and with pkg-config, run them, run the installed tools.
set(failures 0)
macro(fail message)
  message(SEND_ERROR "${message}")
  math(EXPR failures "${failures} + 1")
endmacro()
macro(run_checked what)
  execute_process(${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    fail("${what} failed (${status}):\n${out}\n${err}")
  endif()
endmacro()

set(staging ${WORK_DIR}/staging)
set(prefix ${WORK_DIR}/moved-prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
run_checked("cmake --install" COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${staging})
file(RENAME ${staging} ${prefix})

set(sample ${SOURCE_DIR}/models/fashion_mnist/samples/bag_18.jpg)
set(model ${SOURCE_DIR}/models/fashion_mnist/model.json)
foreach(file include/cnnrt.h ${LIBDIR}/libcnnrt.a ${LIBDIR}/libcnnrt.so ${LIBDIR}/pkgconfig/cnnrt.pc
             ${LIBDIR}/cmake/cnnrt/cnnrtConfig.cmake ${LIBDIR}/cmake/cnnrt/cnnrtConfigVersion.cmake
             ${LIBDIR}/cmake/cnnrt/cnnrtTargets.cmake ${LIBDIR}/cmake/cnnrt/cnnrtEmbed.cmake bin/cnnrt
             bin/cnnrt-export bin/cnnrt-embed share/cnnrt/python/cnnrt_export.py
             share/cnnrt/python/cnnrt_common.py share/cnnrt/python/cnnrt_embed.py
             share/man/man1/cnnrt.1 share/doc/cnnrt/examples/CMakeLists.txt)
  if(NOT EXISTS ${prefix}/${file})
    fail("not installed: ${file}")
  endif()
endforeach()

# The installed command.
run_checked("installed cnnrt" COMMAND ${prefix}/bin/cnnrt ${model} ${sample} --top 1)
if(NOT out MATCHES "Bag \\(8\\)")
  fail("installed cnnrt: ${out}")
endif()

# The examples through CMake: classify (shared library), embedded_classify (static, model
# compiled in by cnnrt_embed_model, i.e. the installed cnnrt-embed).
set(examples ${WORK_DIR}/examples-build)
run_checked("configuring examples/ with find_package(cnnrt)"
            COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples -B ${examples}
                    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER}
                    -DCMAKE_BUILD_TYPE=Release -DCNNRT_EXAMPLE_MODEL=${model})
run_checked("building examples/" COMMAND ${CMAKE_COMMAND} --build ${examples} -j 2)
run_checked("examples/classify" COMMAND ${examples}/classify ${model} ${sample})
if(NOT out MATCHES "bag_18.jpg \\(cnnrt [0-9.]+\\)\n +[0-9.]+%  Bag\n")
  fail("examples/classify printed:\n${out}")
endif()
# Run from an empty folder: the embedded model needs no file.
file(MAKE_DIRECTORY ${WORK_DIR}/empty)
run_checked("examples/embedded_classify" COMMAND ${examples}/embedded_classify ${sample}
            WORKING_DIRECTORY ${WORK_DIR}/empty)
if(NOT out MATCHES "embedded model: 10 nodes, 10 classes, [0-9]+ bytes of weights\n"
   OR NOT out MATCHES "bag_18.jpg: Bag \\(")
  fail("examples/embedded_classify printed:\n${out}")
endif()
execute_process(COMMAND readelf -d ${examples}/embedded_classify OUTPUT_VARIABLE dynamic)
if(dynamic MATCHES "libcnnrt")
  fail("embedded_classify should link the static library:\n${dynamic}")
endif()
execute_process(COMMAND readelf -d ${examples}/classify OUTPUT_VARIABLE dynamic)
if(NOT dynamic MATCHES "libcnnrt\\.so\\.0")
  fail("classify should link libcnnrt.so.0:\n${dynamic}")
endif()

# The same minimal example through pkg-config (the shared library, then --static).
set(pc_env ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/${LIBDIR}/pkgconfig)
run_checked("pkg-config" COMMAND ${pc_env} pkg-config --cflags --libs cnnrt)
string(STRIP "${out}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run_checked("cc with pkg-config" COMMAND ${C_COMPILER} -std=c11 -Wall -Wextra -Werror
            ${SOURCE_DIR}/examples/classify.c ${flags} -Wl,-rpath,${prefix}/${LIBDIR}
            -o ${WORK_DIR}/classify-pc)
run_checked("classify built with pkg-config" COMMAND ${WORK_DIR}/classify-pc ${model} ${sample})
if(NOT out MATCHES "Bag\n")
  fail("classify (pkg-config) printed:\n${out}")
endif()
run_checked("pkg-config --static" COMMAND ${pc_env} pkg-config --static --libs cnnrt)
string(STRIP "${out}" static_flags)
separate_arguments(static_flags UNIX_COMMAND "${static_flags}")
run_checked("cc with pkg-config --static"
            COMMAND ${C_COMPILER} -std=c11 ${SOURCE_DIR}/examples/classify.c -I${prefix}/include
                    ${prefix}/${LIBDIR}/libcnnrt.a ${static_flags} -o ${WORK_DIR}/classify-static)
run_checked("classify linked statically" COMMAND ${WORK_DIR}/classify-static ${model} ${sample})

# The installed Python tools, through their wrappers.
run_checked("cnnrt-embed" COMMAND ${prefix}/bin/cnnrt-embed ${model} -o ${WORK_DIR}/m.c
            --name fashion)
file(READ ${WORK_DIR}/m.c embedded LIMIT 4096)
if(NOT embedded MATCHES "const char fashion_json\\[\\] = {")
  fail("cnnrt-embed wrote:\n${embedded}")
endif()
run_checked("cnnrt-export --help" COMMAND ${prefix}/bin/cnnrt-export --help)
if(NOT out MATCHES "--input-shape")
  fail("cnnrt-export --help printed:\n${out}")
endif()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} install check(s) failed")
endif()
message(STATUS "install, examples, pkg-config and tools: all checks passed")
