# Installation and the CMake package. Included from the top-level CMakeLists.txt after
# every library target is complete (the static library's link dependencies are read here).
#
#   lib/libcnnrt.so*, lib/libcnnrt.a         cnnrt::cnnrt (shared), cnnrt::cnnrt_static
#   include/cnnrt.h
#   lib/pkgconfig/cnnrt.pc                   relocatable
#   lib/cmake/cnnrt/                         cnnrtConfig.cmake (+ version, targets, embed)
#   bin/cnnrt, bin/cnnrt-export, bin/cnnrt-embed
#   share/cnnrt/python/                      the exporter and its sibling modules
#   share/man/man1/cnnrt.1, share/doc/cnnrt/examples/
include(CMakePackageConfigHelpers)

set(CNNRT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/cnnrt)
set(CNNRT_INSTALL_PYTHONDIR ${CMAKE_INSTALL_DATADIR}/cnnrt/python)
set(CNNRT_TOOLS_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python that runs the installed cnnrt-export / cnnrt-embed (needs python3-torch for export)")

install(TARGETS cnnrt cnnrt_static EXPORT cnnrtTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS cnnrt_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/cnnrt.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Relocatable: the prefix is found from the .pc file's own place, so
# `cmake --install build --prefix DIR` gives a working cnnrt.pc too.
file(RELATIVE_PATH CNNRT_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig
     ${CMAKE_INSTALL_PREFIX})
configure_file(${PROJECT_SOURCE_DIR}/cnnrt.pc.in cnnrt.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cnnrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The CMake package. cnnrt::cnnrt_static links pkg-config modules privately (cJSON,
# TurboJPEG, ...); the config file finds them again for the consumer: list every
# PkgConfig::PREFIX the static library links as PREFIX;MODULE pairs.
set(CNNRT_STATIC_PKG_DEPS "")
get_target_property(cnnrt_static_links cnnrt_static LINK_LIBRARIES)
foreach(link IN LISTS cnnrt_static_links)
  if(link MATCHES "^PkgConfig::(.+)$")
    list(APPEND CNNRT_STATIC_PKG_DEPS ${CMAKE_MATCH_1} ${${CMAKE_MATCH_1}_MODULE_NAME})
  endif()
endforeach()
install(EXPORT cnnrtTargets NAMESPACE cnnrt:: DESTINATION ${CNNRT_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/cnnrtConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/cnnrtConfig.cmake
                              INSTALL_DESTINATION ${CNNRT_INSTALL_CMAKEDIR}
                              PATH_VARS CMAKE_INSTALL_BINDIR)
# 0.x: a new minor version may change the API, so only the same minor version matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cnnrtConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cnnrtConfig.cmake ${PROJECT_BINARY_DIR}/cnnrtConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/cnnrtEmbed.cmake
        DESTINATION ${CNNRT_INSTALL_CMAKEDIR})

# The Python tools: modules under share/cnnrt/python, small wrappers in bin/ that find
# them relative to their own place (so the install prefix can move).
file(GLOB CNNRT_PYTHON_MODULES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tools/cnnrt_*.py)
install(FILES ${CNNRT_PYTHON_MODULES} DESTINATION ${CNNRT_INSTALL_PYTHONDIR})
file(RELATIVE_PATH CNNRT_BIN_TO_PYTHON ${CMAKE_INSTALL_FULL_BINDIR}
     ${CMAKE_INSTALL_PREFIX}/${CNNRT_INSTALL_PYTHONDIR})
foreach(tool export embed)
  set(CNNRT_TOOL_SCRIPT cnnrt_${tool}.py)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/cnnrt-tool.sh.in cnnrt-${tool} @ONLY)
  install(PROGRAMS ${PROJECT_BINARY_DIR}/cnnrt-${tool} DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()

install(FILES ${PROJECT_SOURCE_DIR}/docs/cnnrt.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
