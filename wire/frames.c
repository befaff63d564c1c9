/*  frames.c - receiving a whole ZeroMQ message whatever its frame count. */
#include <stdbool.h>
#include "frames.h"

//  Reads and drops the rest of a message; returns how many frames that was.
static int
s_drop_rest (void *socket)
{
    zmq_msg_t extra;
    zmq_msg_init (&extra);
    int count = 0;
    bool more = true;
    while (more && zmq_msg_recv (&extra, socket, 0) >= 0) {
        more = zmq_msg_more (&extra);
        count++;
    }
    zmq_msg_close (&extra);
    return count;
}

int
frames_recv (void *socket, zmq_msg_t *msgs, int keep, int flags)
{
    int count = 0;
    while (count < keep) {
        //  Only the first frame may be absent; the rest of a message is
        //  always there once its first frame is.
        if (zmq_msg_recv (&msgs [count], socket, count == 0? flags: 0) < 0)
            return count;
        if (!zmq_msg_more (&msgs [count++]))
            return count;
    }
    return count + s_drop_rest (socket);
}

int
frames_recv_pair (void *socket, zmq_msg_t *first, zmq_msg_t *second, int flags)
{
    if (zmq_msg_recv (first, socket, flags) < 0)
        return 0;
    if (!zmq_msg_more (first))
        return 1;
    if (zmq_msg_recv (second, socket, 0) < 0)
        return 1;
    return zmq_msg_more (second)? 2 + s_drop_rest (socket): 2;
}
