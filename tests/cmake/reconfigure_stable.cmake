# reconfigure_stable.cmake - README's Quick start, then .ci/test, compile build/ once.
#
#   cmake -DSOURCE_DIR=... -DWORK=... -P reconfigure_stable.cmake
#
# Configures SOURCE_DIR into WORK the way the Quick start's first command
# does (no options), then again the way .ci/test does (the same build type,
# RelWithDebInfo, given explicitly), and checks that no target's compile
# flags changed: a change would make the second build compile every file
# again.
cmake_minimum_required (VERSION 3.18)
file (REMOVE_RECURSE ${WORK})

function (s_flags out)
    file (GLOB_RECURSE files ${WORK}/*/flags.make)
    list (SORT files)
    set (text "")
    foreach (file ${files})
        file (READ ${file} content)
        string (APPEND text "== ${file}\n${content}")
    endforeach ()
    set (${out} "${text}" PARENT_SCOPE)
endfunction ()

execute_process (COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK}
                 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if (NOT rc EQUAL 0)
    message (FATAL_ERROR "the Quick start's configure failed:\n${out}")
endif ()
s_flags (first)
# .ci/test's configure line.
execute_process (COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK} -DCMAKE_BUILD_TYPE=RelWithDebInfo
                         -DSVCFW_SANITIZE=OFF -DSVCFW_TESTS=ON
                 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if (NOT rc EQUAL 0)
    message (FATAL_ERROR ".ci/test's configure failed:\n${out}")
endif ()
s_flags (second)
if (first STREQUAL "")
    message (FATAL_ERROR "no flags.make under ${WORK}")
endif ()
if (NOT first STREQUAL second)
    file (WRITE ${WORK}/flags-first.txt "${first}")
    file (WRITE ${WORK}/flags-second.txt "${second}")
    message (FATAL_ERROR "the second configure changed compile flags, so every file would be "
             "compiled again: compare ${WORK}/flags-first.txt and ${WORK}/flags-second.txt")
endif ()
file (REMOVE_RECURSE ${WORK})
message (STATUS "the second configure left every target's compile flags as they were")
