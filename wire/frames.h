/*  frames.h - receiving a whole ZeroMQ message whatever its frame count.

    A peer may send any number of frames; a socket must read them all before
    the next message. These keep the first few and count the rest, so the
    caller can refuse a message with the wrong count without losing its
    place in the stream.
*/
#ifndef FRAMES_H_INCLUDED
#define FRAMES_H_INCLUDED

#include <zmq.h>

/* Receives one whole message from `socket` (a libzmq handle) with `flags`
   (e.g. ZMQ_DONTWAIT) for its first frame. Its first `keep` frames go into
   msgs[0..keep-1], which the caller has initialised and closes; later frames
   are read and dropped. Returns how many frames the message had, 0 if there
   was none to read. */
int frames_recv (void *socket, zmq_msg_t *msgs, int keep, int flags);

/* frames_recv for the usual [topic][body]: the first frame into `first`,
   the second into `second` (both initialised by the caller, who closes
   them; a receive releases what they held), later frames read and dropped.
   Returns the message's frame count, 0 if there was none to read. */
int frames_recv_pair (void *socket, zmq_msg_t *first, zmq_msg_t *second, int flags);

#endif
