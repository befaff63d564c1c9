/*  test_frames.c - frames: whole messages read whatever their frame count, the stream kept in step. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "frames.h"

typedef struct {
    void *context;
    void *writer;
    void *reader;
} s_pair_t;

static int
s_setup (void **state)
{
    static s_pair_t pair;
    pair.context = zmq_ctx_new ();
    pair.writer = zmq_socket (pair.context, ZMQ_PAIR);
    pair.reader = zmq_socket (pair.context, ZMQ_PAIR);
    assert_int_equal (zmq_bind (pair.reader, "inproc://frames"), 0);
    assert_int_equal (zmq_connect (pair.writer, "inproc://frames"), 0);
    *state = &pair;
    return 0;
}

static int
s_teardown (void **state)
{
    s_pair_t *pair = *state;
    zmq_close (pair->writer);
    zmq_close (pair->reader);
    zmq_ctx_term (pair->context);
    return 0;
}

//  Sends a message of `count` frames, "f0", "f1", ...
static void
s_send (s_pair_t *pair, int count)
{
    for (int i = 0; i < count; i++) {
        char frame [8];
        snprintf (frame, sizeof frame, "f%d", i);
        assert_int_equal (zmq_send (pair->writer, frame, strlen (frame), i < count - 1? ZMQ_SNDMORE: 0),
                          (int) strlen (frame));
    }
}

static void
s_assert_frame (zmq_msg_t *msg, const char *expected)
{
    assert_int_equal (zmq_msg_size (msg), strlen (expected));
    assert_memory_equal (zmq_msg_data (msg), expected, strlen (expected));
}

//  [topic][body] and every other count: the count is told, the first two
//  frames kept, the rest dropped, and the next message read from its start.
static void
test_pair (void **state)
{
    s_pair_t *pair = *state;
    zmq_msg_t first, second;
    zmq_msg_init (&first);
    zmq_msg_init (&second);
    assert_int_equal (frames_recv_pair (pair->reader, &first, &second, ZMQ_DONTWAIT), 0);
    const int counts [] = { 2, 1, 2, 5, 2, 3, 2 };
    for (size_t i = 0; i < sizeof counts / sizeof counts [0]; i++)
        s_send (pair, counts [i]);
    for (size_t i = 0; i < sizeof counts / sizeof counts [0]; i++) {
        int count = frames_recv_pair (pair->reader, &first, &second, 0);
        assert_int_equal (count, counts [i]);
        s_assert_frame (&first, "f0");
        if (count >= 2)
            s_assert_frame (&second, "f1");
    }
    assert_int_equal (frames_recv_pair (pair->reader, &first, &second, ZMQ_DONTWAIT), 0);
    zmq_msg_close (&first);
    zmq_msg_close (&second);
}

//  frames_recv keeps as many as asked for, whatever the count.
static void
test_keep (void **state)
{
    s_pair_t *pair = *state;
    zmq_msg_t msgs [3];
    for (int i = 0; i < 3; i++)
        zmq_msg_init (&msgs [i]);
    s_send (pair, 1);
    s_send (pair, 4);
    s_send (pair, 3);
    assert_int_equal (frames_recv (pair->reader, msgs, 3, 0), 1);
    s_assert_frame (&msgs [0], "f0");
    assert_int_equal (frames_recv (pair->reader, msgs, 3, 0), 4);
    s_assert_frame (&msgs [2], "f2");
    assert_int_equal (frames_recv (pair->reader, msgs, 1, 0), 3);
    s_assert_frame (&msgs [0], "f0");
    assert_int_equal (frames_recv (pair->reader, msgs, 3, ZMQ_DONTWAIT), 0);
    for (int i = 0; i < 3; i++)
        zmq_msg_close (&msgs [i]);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_pair, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_keep, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
