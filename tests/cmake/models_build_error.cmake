# models_build_error.cmake - a models .json syntax error fails the plugin's build, naming FILE:LINE:COL.
#
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK=... -P models_build_error.cmake
#
# Installs BUILD_DIR to WORK/prefix, then builds SOURCE_DIR (a plugin
# project using find_package(svcfw) and svcfw_add_plugin, as a user's
# project out of tree) whose models file has a syntax error: the build must
# fail and its output name the file with line and column. Then, with the
# file mended, the same build must succeed.
cmake_minimum_required (VERSION 3.18)
file (REMOVE_RECURSE ${WORK})
set (prefix ${WORK}/prefix)
execute_process (COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if (NOT rc EQUAL 0)
    message (FATAL_ERROR "cmake --install failed (${rc}):\n${out}")
endif ()

set (src ${WORK}/src)
file (COPY ${SOURCE_DIR}/ DESTINATION ${src})
execute_process (COMMAND ${CMAKE_COMMAND} -S ${src} -B ${WORK}/build -DCMAKE_PREFIX_PATH=${prefix}
                 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if (NOT rc EQUAL 0)
    message (FATAL_ERROR "configuring the plugin project failed (${rc}):\n${out}")
endif ()

# broken.json's trailing comma (after "out": {}) is found at the '}' of line 12, column 5.
execute_process (COMMAND ${CMAKE_COMMAND} --build ${WORK}/build
                 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if (rc EQUAL 0)
    message (FATAL_ERROR "the plugin built although its models file has a syntax error:\n${out}")
endif ()
string (FIND "${out}" "${src}/broken.json:12:5:" at)
if (at EQUAL -1)
    message (FATAL_ERROR "the build error does not name ${src}/broken.json:12:5:\n${out}")
endif ()
message (STATUS "the build failed as it should, naming broken.json:12:5")

# Mended (the comma removed), the same build succeeds.
file (READ ${src}/broken.json text)
string (REPLACE "\"out\": {}," "\"out\": {}" text "${text}")
file (WRITE ${src}/broken.json "${text}")
execute_process (COMMAND ${CMAKE_COMMAND} --build ${WORK}/build
                 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if (NOT rc EQUAL 0 OR NOT EXISTS ${WORK}/build/broken.so)
    message (FATAL_ERROR "with the models file mended the build still fails (${rc}):\n${out}")
endif ()
message (STATUS "mended, the plugin builds")
