/*  raw_pubsub - the raw libzmq PUB→SUB baseline for bench/run, in one process.

    usage: raw_pubsub COUNT SIZE [SUBSCRIBERS] [json]
    The main thread's PUB sends COUNT two-frame messages [topic][payload] of
    about SIZE bytes over loopback TCP to SUBSCRIBERS (default 1) SUB sockets,
    each in its own thread, with unlimited high-water marks so nothing is
    lost. With `json`, the sender builds each payload with cJSON and each
    receiver parses it and reads a field: the least any JSON framework pays.
    Prints "msgs_per_s=N lost=N" where N is the slowest subscriber's rate
    (first to last message) and lost sums over subscribers.
*/
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define S_MAX_SUBS 64

static int s_count, s_json;
static void *s_context;
static char s_endpoint [64];
static atomic_int s_ready;              //  subscribers that have heard a probe

typedef struct {
    pthread_t thread;
    long received;
    double seconds;
} s_sub_t;

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *
s_subscriber (void *arg)
{
    s_sub_t *self = arg;
    void *sub = zmq_socket (s_context, ZMQ_SUB);
    int hwm = 0;
    zmq_setsockopt (sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect (sub, s_endpoint);
    zmq_msg_t topic, body;
    zmq_msg_init (&topic);
    zmq_msg_init (&body);
    bool ready = false;
    double start = 0, end = 0;
    while (1) {
        zmq_msg_recv (&topic, sub, 0);
        zmq_msg_recv (&body, sub, 0);
        size_t size = zmq_msg_size (&body);
        if (size == 5 && memcmp (zmq_msg_data (&body), "probe", 5) == 0) {
            if (!ready) {
                ready = true;
                atomic_fetch_add (&s_ready, 1);
            }
            continue;
        }
        if (size == 3 && memcmp (zmq_msg_data (&body), "end", 3) == 0)
            break;
        if (self->received++ == 0)
            start = s_now ();
        if (s_json) {
            cJSON *envelope = cJSON_ParseWithLength (zmq_msg_data (&body), size);
            const cJSON *seq = cJSON_GetObjectItem (cJSON_GetObjectItem (envelope, "args"), "seq");
            if (!seq)
                self->received--;
            cJSON_Delete (envelope);
        }
        end = s_now ();
    }
    self->seconds = end - start;
    zmq_msg_close (&topic);
    zmq_msg_close (&body);
    zmq_close (sub);
    return NULL;
}

//  A payload like svcfw's envelope, padded to about `size` bytes.
static char *
s_payload (int i, const char *pad)
{
    if (!s_json) {
        size_t len = strlen (pad) + 200;
        char *buffer = malloc (len);
        snprintf (buffer, len, "{\"args\":{\"symbol\":\"AAPL\",\"price\":%d.25,\"seq\":%d,\"pad\":\"%s\"},"
                  "\"workflow_id\":\"00000000-0000-4000-8000-000000000000\"}", i, i, pad);
        return buffer;
    }
    cJSON *envelope = cJSON_CreateObject ();
    cJSON *args = cJSON_AddObjectToObject (envelope, "args");
    cJSON_AddStringToObject (args, "symbol", "AAPL");
    cJSON_AddNumberToObject (args, "price", i + 0.25);
    cJSON_AddNumberToObject (args, "seq", i);
    cJSON_AddStringToObject (args, "pad", pad);
    cJSON_AddStringToObject (envelope, "workflow_id", "00000000-0000-4000-8000-000000000000");
    char *text = cJSON_PrintUnformatted (envelope);
    cJSON_Delete (envelope);
    return text;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: raw_pubsub COUNT SIZE [SUBSCRIBERS] [json]\n");
        return 2;
    }
    s_count = atoi (argv [1]);
    int size = atoi (argv [2]);
    int subs = argc > 3? atoi (argv [3]): 1;
    if (subs < 1 || subs > S_MAX_SUBS)
        subs = 1;
    s_json = argc > 4 && strcmp (argv [4], "json") == 0;
    s_context = zmq_ctx_new ();
    void *pub = zmq_socket (s_context, ZMQ_PUB);
    int hwm = 0;
    zmq_setsockopt (pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind (pub, "tcp://127.0.0.1:*")) {
        fprintf (stderr, "cannot bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    size_t len = sizeof s_endpoint;
    zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, s_endpoint, &len);
    s_sub_t *sub = calloc (subs, sizeof *sub);
    for (int i = 0; i < subs; i++)
        pthread_create (&sub [i].thread, NULL, s_subscriber, &sub [i]);
    //  Probe until every subscriber's subscription is live.
    while (atomic_load (&s_ready) < subs) {
        zmq_send (pub, "", 0, ZMQ_SNDMORE);
        zmq_send (pub, "probe", 5, 0);
        struct timespec pause = { 0, 1000000 };
        nanosleep (&pause, NULL);
    }
    int pad_len = size > 110? size - 110: 1;
    char *pad = malloc (pad_len + 1);
    memset (pad, 'x', pad_len);
    pad [pad_len] = 0;
    for (int i = 0; i < s_count; i++) {
        char *text = s_payload (i, pad);
        zmq_send (pub, "", 0, ZMQ_SNDMORE);
        zmq_send (pub, text, strlen (text), 0);
        free (text);
    }
    zmq_send (pub, "", 0, ZMQ_SNDMORE);
    zmq_send (pub, "end", 3, 0);
    double slowest = -1;
    long lost = 0;
    for (int i = 0; i < subs; i++) {
        pthread_join (sub [i].thread, NULL);
        double rate = sub [i].received > 1 && sub [i].seconds > 0? (sub [i].received - 1) / sub [i].seconds: 0;
        if (slowest < 0 || rate < slowest)
            slowest = rate;
        lost += s_count - sub [i].received;
    }
    printf ("msgs_per_s=%.0f lost=%ld\n", slowest, lost);
    free (pad);
    free (sub);
    zmq_close (pub);
    zmq_ctx_term (s_context);
    return 0;
}
