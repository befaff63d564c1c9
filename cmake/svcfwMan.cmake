# The man page svcfw.1, generated from `svcfw --help` and `--version` by
# help2man (Debian package help2man) with docs/svcfw.h2m's extra sections,
# so it always lists exactly the options the program takes. Installed to
# share/man/man1. -DSVCFW_MAN=OFF builds without it.
option (SVCFW_MAN "Generate and install the man page svcfw.1 (needs help2man)" ON)
if (NOT SVCFW_MAN)
    return ()
endif ()
find_program (SVCFW_HELP2MAN help2man)
if (NOT SVCFW_HELP2MAN)
    message (FATAL_ERROR "help2man not found: it makes the man page svcfw.1 "
             "(Debian: apt-get install help2man), or configure with -DSVCFW_MAN=OFF")
endif ()
set (SVCFW_MAN_PAGE ${CMAKE_CURRENT_BINARY_DIR}/svcfw.1)
add_custom_command (
    OUTPUT ${SVCFW_MAN_PAGE}
    COMMAND ${SVCFW_HELP2MAN} --no-info --section 1
            --name "run one service of a ZeroMQ service graph"
            --include ${CMAKE_CURRENT_SOURCE_DIR}/docs/svcfw.h2m
            --output ${SVCFW_MAN_PAGE} $<TARGET_FILE:svcfw>
    DEPENDS svcfw ${CMAKE_CURRENT_SOURCE_DIR}/docs/svcfw.h2m
    COMMENT "Generating the man page svcfw.1 with help2man"
    VERBATIM)
add_custom_target (svcfw_man ALL DEPENDS ${SVCFW_MAN_PAGE})
install (FILES ${SVCFW_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
