/*  raw_pubsub - the raw libzmq PUB→SUB baseline for bench/run, in one process.

    usage: raw_pubsub COUNT SIZE [json]
    A PUB thread sends COUNT two-frame messages [topic][payload] of about
    SIZE bytes over loopback TCP to a SUB in the main thread, with ZMQ_XPUB_NODROP
    semantics emulated by unlimited HWM so nothing is lost; the SUB counts
    them. With `json`, the sender builds each payload with cJSON and the
    receiver parses it and reads a field: the cost any JSON framework pays.
    Prints "msgs_per_s=N lost=N".
*/
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static int s_count, s_size, s_json;
static char s_endpoint [64];

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

//  A payload like svcfw's envelope, padded to about `size` bytes.
static char *
s_payload (int i, char *pad)
{
    if (!s_json) {
        static char buffer [1 << 17];
        int n = snprintf (buffer, sizeof buffer,
                          "{\"args\":{\"symbol\":\"AAPL\",\"price\":%d.25,\"seq\":%d,\"pad\":\"%s\"},"
                          "\"workflow_id\":\"00000000-0000-4000-8000-000000000000\"}", i, i, pad);
        (void) n;
        return strdup (buffer);
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

static void *s_context;

//  Sends on the PUB made by main (handed over at thread start).
static void *
s_publisher (void *arg)
{
    void *pub = arg;
    void *context = s_context;
    //  Wait for the subscriber: it sends "ready" on a PAIR once subscribed,
    //  and we then publish probes until one comes back.
    void *sync = zmq_socket (context, ZMQ_PAIR);
    zmq_connect (sync, "inproc://sync");
    char ack [8];
    while (zmq_recv (sync, ack, sizeof ack, ZMQ_DONTWAIT) < 0) {
        zmq_send (pub, "", 0, ZMQ_SNDMORE);
        zmq_send (pub, "probe", 5, 0);
        struct timespec pause = { 0, 1000000 };
        nanosleep (&pause, NULL);
    }
    int pad_len = s_size > 110? s_size - 110: 1;
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
    free (pad);
    zmq_close (sync);
    zmq_close (pub);
    return NULL;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: raw_pubsub COUNT SIZE [json]\n");
        return 2;
    }
    s_count = atoi (argv [1]);
    s_size = atoi (argv [2]);
    s_json = argc > 3 && strcmp (argv [3], "json") == 0;
    void *context = zmq_ctx_new ();
    s_context = context;
    int hwm = 0;
    //  The PUB binds an ephemeral port, so runs never collide.
    void *pub = zmq_socket (context, ZMQ_PUB);
    zmq_setsockopt (pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind (pub, "tcp://127.0.0.1:*")) {
        fprintf (stderr, "cannot bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    size_t len = sizeof s_endpoint;
    zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, s_endpoint, &len);
    void *sub = zmq_socket (context, ZMQ_SUB);
    zmq_setsockopt (sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect (sub, s_endpoint);
    void *sync = zmq_socket (context, ZMQ_PAIR);
    zmq_bind (sync, "inproc://sync");
    pthread_t thread;
    pthread_create (&thread, NULL, s_publisher, pub);
    zmq_msg_t topic, body;
    zmq_msg_init (&topic);
    zmq_msg_init (&body);
    //  Skip probes until the first one shows the subscription is live.
    zmq_msg_recv (&topic, sub, 0);
    zmq_msg_recv (&body, sub, 0);
    zmq_send (sync, "go", 2, 0);
    int received = 0;
    double start = 0, end = 0;
    long checksum = 0;
    while (1) {
        zmq_msg_recv (&topic, sub, 0);
        zmq_msg_recv (&body, sub, 0);
        size_t size = zmq_msg_size (&body);
        if (size == 5 && memcmp (zmq_msg_data (&body), "probe", 5) == 0)
            continue;
        if (size == 3 && memcmp (zmq_msg_data (&body), "end", 3) == 0)
            break;
        if (received++ == 0)
            start = s_now ();
        if (s_json) {
            cJSON *envelope = cJSON_ParseWithLength (zmq_msg_data (&body), size);
            const cJSON *seq = cJSON_GetObjectItem (cJSON_GetObjectItem (envelope, "args"), "seq");
            checksum += seq? seq->valueint: 0;
            cJSON_Delete (envelope);
        }
        end = s_now ();
    }
    pthread_join (thread, NULL);
    double seconds = end - start;
    printf ("msgs_per_s=%.0f lost=%d checksum=%ld\n", received > 1 && seconds > 0? (received - 1) / seconds: 0,
            s_count - received, checksum);
    zmq_msg_close (&topic);
    zmq_msg_close (&body);
    zmq_close (sub);
    zmq_close (sync);
    zmq_ctx_term (context);
    return 0;
}
