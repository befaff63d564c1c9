# Installation: the svcfw executable, svcfw.h, a pkg-config file and a CMake
# package (find_package(svcfw) → svcfw::plugin and svcfw_add_plugin).
#
# A plugin links against no svcfw library: the executable (linked with
# ENABLE_EXPORTS and libcjson) provides the svcfw_* and cJSON_* symbols when
# it loads the plugin. So both the pkg-config file and the CMake package give
# compile flags only (svcfw.h's directory and cJSON's), and they go under
# share/, as they hold nothing architecture-specific. The CMake package is
# relocatable; svcfw.pc names its prefix.
include (CMakePackageConfigHelpers)

set (SVCFW_INSTALL_CMAKEDIR ${CMAKE_INSTALL_DATADIR}/cmake/svcfw
     CACHE STRING "Where the svcfw CMake package goes, relative to the prefix")
set (SVCFW_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_DATADIR}/pkgconfig
     CACHE STRING "Where svcfw.pc goes, relative to the prefix")
mark_as_advanced (SVCFW_INSTALL_CMAKEDIR SVCFW_INSTALL_PKGCONFIGDIR)

# The plugin ABI the installed svcfw.h declares, for svcfw.pc and the package.
file (STRINGS ${CMAKE_CURRENT_SOURCE_DIR}/include/svcfw.h SVCFW_ABI_VERSION
      REGEX "^#define SVCFW_ABI_VERSION [0-9]+")
string (REGEX REPLACE ".* ([0-9]+)$" "\\1" SVCFW_ABI_VERSION "${SVCFW_ABI_VERSION}")

install (TARGETS svcfw RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install (FILES include/svcfw.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# svcfw.pc names the prefix the files are installed under: it is written at
# install time, so `cmake --install build --prefix P` gives a svcfw.pc for P
# (with DESTDIR staging, the final prefix, without DESTDIR).
set (SVCFW_PC_PREFIX "@SVCFW_PC_PREFIX@")       # kept for the install-time pass
configure_file (${CMAKE_CURRENT_LIST_DIR}/svcfw.pc.in
                ${CMAKE_CURRENT_BINARY_DIR}/svcfw.pc.in @ONLY)
install (CODE "
    set (SVCFW_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file (\"${CMAKE_CURRENT_BINARY_DIR}/svcfw.pc.in\"
                    \"${CMAKE_CURRENT_BINARY_DIR}/svcfw.pc\" @ONLY)")
install (FILES ${CMAKE_CURRENT_BINARY_DIR}/svcfw.pc DESTINATION ${SVCFW_INSTALL_PKGCONFIGDIR})

# The CMake package: svcfwConfig.cmake (relocatable, via PACKAGE_INIT), its
# version file, and the plugin helper with the script it runs.
configure_package_config_file (
    ${CMAKE_CURRENT_LIST_DIR}/svcfwConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/svcfwConfig.cmake
    INSTALL_DESTINATION ${SVCFW_INSTALL_CMAKEDIR}
    PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
# The plugin ABI (SVCFW_ABI_VERSION in svcfw.h) is what must match; within
# one major version svcfw keeps it.
write_basic_package_version_file (
    ${CMAKE_CURRENT_BINARY_DIR}/svcfwConfigVersion.cmake
    VERSION ${PROJECT_VERSION}
    COMPATIBILITY SameMajorVersion
    ARCH_INDEPENDENT)
install (FILES
    ${CMAKE_CURRENT_BINARY_DIR}/svcfwConfig.cmake
    ${CMAKE_CURRENT_BINARY_DIR}/svcfwConfigVersion.cmake
    ${CMAKE_CURRENT_LIST_DIR}/svcfwPlugin.cmake
    ${CMAKE_CURRENT_LIST_DIR}/svcfwEmbedModels.cmake
    DESTINATION ${SVCFW_INSTALL_CMAKEDIR})
