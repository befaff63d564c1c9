/*  no_models - test plugin: exports svcfw_abi_version but no svcfw_models. */
#include "svcfw.h"

__attribute__ ((visibility ("default"))) const int svcfw_abi_version = SVCFW_ABI_VERSION;
