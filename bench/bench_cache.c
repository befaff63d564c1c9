/*  bench_cache - what a requester's reply cache costs per call: the
    canonical key of typical args, and a hit (lookup and copy of the reply),
    from 1 and 4 threads on one cache.

      bench_cache [CALLS]
    prints "CACHE key_ns=... hit_ns=... hit_4threads_ns=..."
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "cache.h"

static int s_calls = 1000000;
static cache_t *s_cache;
static char *s_key;

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *
s_hits (void *arg)
{
    (void) arg;
    char err [ERR_LEN];
    for (int i = 0; i < s_calls; i++) {
        cJSON *reply = NULL;
        if (cache_lookup (s_cache, s_key, 0, &reply, err) != CACHE_HIT)
            abort ();
        cJSON_Delete (reply);
    }
    return NULL;
}

int
main (int argc, char **argv)
{
    if (argc > 1 && atoi (argv [1]) > 0)
        s_calls = atoi (argv [1]);
    cJSON *args = cJSON_Parse ("{\"symbol\": \"ACME\", \"venue\": \"XNAS\", \"qty\": 100, "
                               "\"side\": \"buy\", \"opts\": {\"ioc\": true, \"limit\": 12.5}}");
    cJSON *reply = cJSON_Parse ("{\"symbol\": \"ACME\", \"bid\": 12.48, \"ask\": 12.52, \"ts\": 1764590000}");
    int64_t start = s_now_ns ();
    for (int i = 0; i < s_calls; i++)
        free (cache_key (args));
    double key_ns = (double) (s_now_ns () - start) / s_calls;

    cache_config_t config = { 3600000, 1.0, 1024 };
    s_cache = cache_new (&config, NULL, NULL, NULL);
    s_key = cache_key (args);
    char err [ERR_LEN];
    cJSON *none = NULL;
    if (!s_cache || !s_key || cache_lookup (s_cache, s_key, 0, &none, err) != CACHE_MISS)
        return 1;
    cache_done (s_cache, s_key, reply, NULL);

    start = s_now_ns ();
    s_hits (NULL);
    double hit_ns = (double) (s_now_ns () - start) / s_calls;
    pthread_t threads [4];
    start = s_now_ns ();
    for (int i = 0; i < 4; i++)
        pthread_create (&threads [i], NULL, s_hits, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join (threads [i], NULL);
    double hit4_ns = (double) (s_now_ns () - start) / (4.0 * s_calls);
    printf ("CACHE key_ns=%.0f hit_ns=%.0f hit_4threads_ns=%.0f\n", key_ns, hit_ns, hit4_ns);
    free (s_key);
    cache_destroy (&s_cache);
    cJSON_Delete (args);
    cJSON_Delete (reply);
    return 0;
}
