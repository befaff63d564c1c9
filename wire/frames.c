/*  frames.c - receiving a whole ZeroMQ message whatever its frame count. */
#include <stdbool.h>
#include "frames.h"

int
frames_recv (void *socket, zmq_msg_t *msgs, int keep, int flags)
{
    zmq_msg_t extra;
    zmq_msg_init (&extra);
    int count = 0;
    bool more = true;
    while (more) {
        zmq_msg_t *msg = count < keep? &msgs [count]: &extra;
        //  Only the first frame may be absent; the rest of a message is
        //  always there once its first frame is.
        if (zmq_msg_recv (msg, socket, count == 0? flags: 0) < 0)
            break;
        more = zmq_msg_more (msg);
        count++;
    }
    zmq_msg_close (&extra);
    return count;
}
