/*  bad_abi - test plugin: built against an ABI version svcfw does not know (99). */
#include "svcfw.h"

__attribute__ ((visibility ("default"))) const int svcfw_abi_version = 99;
__attribute__ ((visibility ("default"))) const char svcfw_models[] =
    "{\"connection_models\": {\"in\": {}, \"out\": {}}}";
