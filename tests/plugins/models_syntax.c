/*  models_syntax - test plugin: models JSON with a syntax error at line 3, column 11. */
#include "svcfw.h"

__attribute__ ((visibility ("default"))) const int svcfw_abi_version = SVCFW_ABI_VERSION;
__attribute__ ((visibility ("default"))) const char svcfw_models[] =
    "{\n"
    "  \"connection_models\": {\n"
    "    \"in\": @,\n"
    "    \"out\": {}\n"
    "  }\n"
    "}\n";
