/*  creation.h - for test plugins: the config's "creation" (a dict) as one
    connection's optional creation arguments, for svcfw_setup_connections.
*/
#ifndef CREATION_H_INCLUDED
#define CREATION_H_INCLUDED

#include "svcfw.h"

/* {connection: {"optional_creation_arguments": creation}}, a fresh object
   svcfw owns once returned from svcfw_setup_connections; NULL when the
   config has no "creation". */
static inline cJSON *
creation_from_config (const cJSON *config, const char *connection)
{
    const cJSON *creation = cJSON_GetObjectItem (config, "creation");
    if (!creation)
        return NULL;
    cJSON *all = cJSON_CreateObject ();
    cJSON *entry = cJSON_AddObjectToObject (all, connection);
    cJSON_AddItemToObject (entry, "optional_creation_arguments", cJSON_Duplicate (creation, true));
    return all;
}

#endif
