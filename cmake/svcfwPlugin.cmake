# svcfw_add_plugin(NAME SOURCES a.c [b.c ...] MODELS models.json)
#
# Builds a service plugin NAME.so from C sources and a models .json file:
# the models are embedded as `svcfw_models` (with `svcfw_abi_version`), so
# the sources hold only handlers and hooks. Works in the svcfw source tree
# and, after `find_package(svcfw)`, in any project (in any of its
# directories: the script it runs is found next to this file, not through a
# directory-scoped variable).
#
# The models file is checked when it is embedded: `svcfw --check-models`
# (the svcfw target in svcfw's own tree, else svcfw_EXECUTABLE from
# find_package) fails the build with FILE.json:LINE:COL for a JSON syntax
# error, or the file and entry for a models error, instead of a startup
# error at run time. Set SVCFW_CHECK_MODELS to OFF to skip it (e.g. when
# cross-compiling, where the svcfw found cannot run).

function (svcfw_add_plugin name)
    cmake_parse_arguments (ARG "" "MODELS" "SOURCES" ${ARGN})
    if (NOT ARG_SOURCES OR NOT ARG_MODELS)
        message (FATAL_ERROR "svcfw_add_plugin(${name}): give SOURCES and MODELS")
    endif ()
    get_filename_component (models ${ARG_MODELS} ABSOLUTE)
    set (generated ${CMAKE_CURRENT_BINARY_DIR}/${name}_svcfw_models.c)
    set (embed ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/svcfwEmbedModels.cmake)
    set (check)
    set (checker)
    if (NOT DEFINED SVCFW_CHECK_MODELS OR SVCFW_CHECK_MODELS)
        if (TARGET svcfw AND NOT TARGET svcfw::plugin)
            set (checker svcfw)
            set (check COMMAND $<TARGET_FILE:svcfw> --check-models ${models})
        elseif (svcfw_EXECUTABLE AND EXISTS "${svcfw_EXECUTABLE}")
            set (check COMMAND ${svcfw_EXECUTABLE} --check-models ${models})
        endif ()
    endif ()
    add_custom_command (
        OUTPUT ${generated}
        ${check}
        COMMAND ${CMAKE_COMMAND} -DIN=${models} -DOUT=${generated}
                -P ${embed}
        DEPENDS ${models} ${embed} ${checker}
        COMMENT "Checking ${ARG_MODELS} and embedding it in ${name}"
        VERBATIM)
    add_library (${name} MODULE ${ARG_SOURCES} ${generated})
    set_target_properties (${name} PROPERTIES PREFIX "" C_VISIBILITY_PRESET default)
    if (TARGET svcfw::plugin)
        target_link_libraries (${name} PRIVATE svcfw::plugin)
    else ()
        target_include_directories (${name} PRIVATE ${SVCFW_INCLUDE_DIR})
        target_link_libraries (${name} PRIVATE PkgConfig::CJSON)
    endif ()
endfunction ()
