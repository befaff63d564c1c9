/*  addresses.c - look up and normalise the addresses of connections and states. */
#include <stdlib.h>
#include <string.h>
#include "addresses.h"
#include "json.h"

//  ADDR: a string, or {"endpoint": STRING, "server_key": STRING}.
static int
s_check_address (const cJSON *addr, char *err)
{
    if (cJSON_IsString (addr))
        return 0;
    if (!cJSON_IsObject (addr))
        return err_set (err, "must be an address string or {\"endpoint\": …, \"server_key\": …}, got %s",
                        json_type_name (addr));
    const cJSON *item;
    cJSON_ArrayForEach (item, addr) {
        if (strcmp (item->string, "endpoint") && strcmp (item->string, "server_key"))
            return err_set (err, "unknown key '%s' (expected endpoint, server_key)", item->string);
        if (!cJSON_IsString (item) || !*item->valuestring)
            return err_set (err, "%s: must be a non-empty string, got %s", item->string,
                            cJSON_IsString (item)? "\"\"": json_type_name (item));
    }
    if (!cJSON_GetObjectItemCaseSensitive (addr, "endpoint"))
        return err_set (err, "an address object needs key 'endpoint'");
    return 0;
}

int
addresses_check (const cJSON *addresses, const char *name, char *err)
{
    if (!cJSON_IsObject (addresses))
        return err_set (err, "%s: must be a JSON object, got %s", name, json_type_name (addresses));
    const cJSON *family;
    cJSON_ArrayForEach (family, addresses) {
        if (strcmp (family->string, "connections") && strcmp (family->string, "states"))
            return err_set (err, "%s: unknown key '%s' (expected connections, states)", name, family->string);
        if (!cJSON_IsObject (family))
            return err_set (err, "%s: %s: must be an object, got %s", name, family->string,
                            json_type_name (family));
        const cJSON *side;
        cJSON_ArrayForEach (side, family) {
            if (strcmp (side->string, "in") && strcmp (side->string, "out"))
                return err_set (err, "%s: %s: unknown key '%s' (expected in, out)", name,
                                family->string, side->string);
            if (!cJSON_IsObject (side))
                return err_set (err, "%s: %s.%s: must be an object, got %s", name, family->string,
                                side->string, json_type_name (side));
            const cJSON *entry;
            cJSON_ArrayForEach (entry, side) {
                if (!cJSON_IsObject (entry))
                    return err_set (err, "%s: %s.%s.%s: must be an object of SOCKET: ADDRESS, got %s",
                                    name, family->string, side->string, entry->string,
                                    json_type_name (entry));
                const cJSON *socket;
                cJSON_ArrayForEach (socket, entry) {
                    char why [ERR_LEN];
                    if (s_check_address (socket, why))
                        return err_set (err, "%s: %s.%s.%s.%s: %s", name, family->string, side->string,
                                        entry->string, socket->string, why);
                }
            }
        }
    }
    return 0;
}

int
addresses_normalize (const char *addr, bool bind, char *endpoint, char *err)
{
    if (strstr (addr, "://")) {
        if (strlen (addr) >= ENDPOINT_LEN)
            return err_set (err, "address \"%.40s…\" is too long", addr);
        strcpy (endpoint, addr);
        return 0;
    }
    const char *colon = strrchr (addr, ':');
    if (!colon || colon == addr || !colon [1])
        return err_set (err, "address \"%s\" is neither HOST:PORT nor a ZeroMQ endpoint", addr);
    for (const char *p = colon + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return err_set (err, "address \"%s\": port \"%s\" is not a number", addr, colon + 1);
    //  ZeroMQ would take 70000 as 70000 mod 65536 and listen somewhere else.
    if (strlen (colon + 1) > 5 || atol (colon + 1) < 1 || atol (colon + 1) > 65535)
        return err_set (err, "address \"%s\": port %s is not between 1 and 65535", addr, colon + 1);
    char host [ENDPOINT_LEN];
    size_t host_len = colon - addr;
    if (host_len >= sizeof host - 16)
        return err_set (err, "address \"%.40s…\" is too long", addr);
    memcpy (host, addr, host_len);
    host [host_len] = 0;
    if (bind && strcmp (host, "0.0.0.0") == 0)
        strcpy (host, "*");
    if (strcmp (host, "localhost") == 0)
        strcpy (host, "127.0.0.1");   //  ZeroMQ binds interfaces and IPs, not host names
    if (!bind && strcmp (host, "*") == 0)
        return err_set (err, "address \"%s\": cannot connect to '*'", addr);
    if (strlen (host) + strlen (colon) + 7 >= ENDPOINT_LEN)
        return err_set (err, "address \"%.40s…\" is too long", addr);
    strcpy (endpoint, "tcp://");
    strcat (endpoint, host);
    strcat (endpoint, colon);
    return 0;
}

int
addresses_endpoint (const cJSON *addresses, const char *name, const model_t *model,
                    const char *socket, bool bind, char *endpoint, char *err)
{
    const char *family = model->is_state? "states": "connections";
    const char *side = model->is_in? "in": "out";
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive (
        cJSON_GetObjectItemCaseSensitive (
            cJSON_GetObjectItemCaseSensitive (
                cJSON_GetObjectItemCaseSensitive (addresses, family), side), model->name), socket);
    if (!addr)
        return err_set (err, "%s: no address for %s socket '%s' (expected %s.%s.%s.%s)",
                        name ? name: "addresses", model->where, socket, family, side, model->name, socket);
    char why [ERR_LEN];
    if (s_check_address (addr, why))
        return err_set (err, "%s: %s.%s.%s.%s: %s", name ? name: "addresses",
                        family, side, model->name, socket, why);
    if (bind && cJSON_GetObjectItemCaseSensitive (addr, "server_key"))
        return err_set (err, "%s: %s.%s.%s.%s: server_key is for connecting sockets; this one binds "
                        "(its key is the service's own --curve-cert)", name ? name: "addresses",
                        family, side, model->name, socket);
    const char *text = cJSON_IsString (addr)? addr->valuestring
                     : cJSON_GetObjectItemCaseSensitive (addr, "endpoint")->valuestring;
    if (addresses_normalize (text, bind, endpoint, why))
        return err_set (err, "%s: %s.%s.%s.%s: %s", name ? name: "addresses", family, side,
                        model->name, socket, why);
    return 0;
}

const char *
addresses_server_key (const cJSON *addresses, const model_t *model, const char *socket)
{
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive (
        cJSON_GetObjectItemCaseSensitive (
            cJSON_GetObjectItemCaseSensitive (
                cJSON_GetObjectItemCaseSensitive (addresses, model->is_state? "states": "connections"),
                model->is_in? "in": "out"), model->name), socket);
    const cJSON *key = cJSON_GetObjectItemCaseSensitive (addr, "server_key");
    return cJSON_IsString (key)? key->valuestring: NULL;
}
