# Installation: the svcfw executable, svcfw.h, a pkg-config file and a CMake
# package (find_package(svcfw) → svcfw::plugin and svcfw_add_plugin).
install (TARGETS svcfw RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install (FILES include/svcfw.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
