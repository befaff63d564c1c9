# install_man.cmake - `cmake --install` puts svcfw.1 where man finds it, and it renders.
#
#   cmake -DBUILD_DIR=... -DWORK=... -P install_man.cmake
#
# Installs BUILD_DIR to WORK/prefix, then checks that `man -l` renders
# share/man/man1/svcfw.1 and `man -M PREFIX/share/man svcfw` finds it, and
# that the page names every option `svcfw --help` lists.
cmake_minimum_required (VERSION 3.18)
file (REMOVE_RECURSE ${WORK})
set (prefix ${WORK}/prefix)
execute_process (COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if (NOT rc EQUAL 0)
    message (FATAL_ERROR "cmake --install failed (${rc}):\n${out}")
endif ()
set (page ${prefix}/share/man/man1/svcfw.1)
if (NOT EXISTS ${page})
    message (FATAL_ERROR "no ${page} after cmake --install:\n${out}")
endif ()

find_program (MAN man)
if (NOT MAN)
    message (FATAL_ERROR "no man program (Debian: man-db)")
endif ()
foreach (how "-l;${page}" "-M;${prefix}/share/man;svcfw")
    execute_process (COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C MANWIDTH=100 MANPAGER=cat PAGER=cat
                             ${MAN} ${how}
                     RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE err)
    string (REPLACE ";" " " shown "${how}")
    if (NOT rc EQUAL 0 OR NOT text MATCHES "SYNOPSIS" OR NOT text MATCHES "OPTIONS")
        message (FATAL_ERROR "man ${shown} failed (${rc}): ${err}\n${text}")
    endif ()
    message (STATUS "man ${shown}: ${rc}, SYNOPSIS and OPTIONS rendered")
endforeach ()

# Every option, as a word (not only as part of a longer one), and the
# check-models mode; each must also be in --help, so the list stays honest.
execute_process (COMMAND ${prefix}/bin/svcfw --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if (NOT rc EQUAL 0)
    message (FATAL_ERROR "svcfw --help exited ${rc}")
endif ()
foreach (option -s -a -c -m -cl -l -f -h --help --version --check-models --KEY)
    foreach (where text help)
        if (NOT "${${where}}" MATCHES "(^|[^-A-Za-z])${option}([^-A-Za-z_]|$)")
            message (FATAL_ERROR "the ${where} does not name ${option}:\n${${where}}")
        endif ()
    endforeach ()
endforeach ()
foreach (section "EXIT STATUS|Exit status" "EXAMPLES|Examples" "FILES" "SEE ALSO")
    if (NOT text MATCHES "${section}")
        message (FATAL_ERROR "the man page has no ${section} section:\n${text}")
    endif ()
endforeach ()
message (STATUS "svcfw.1 installed, renders, and names every option")
