/*  uuid.h - fresh version-4 UUIDs, for workflow ids, epochs and message ids.

    A per-thread xorshift generator seeded by the kernel: a leading edge may
    make one per message, and a syscall each would cost more than the
    message. Not for secrets.
*/
#ifndef UUID_H_INCLUDED
#define UUID_H_INCLUDED

#define UUID_LEN 36             //  characters, without the NUL

/* Writes a fresh version-4 UUID (36 lowercase characters and a NUL) into
   out, which has UUID_LEN + 1 bytes. Thread-safe. */
void uuid_make (char *out);

#endif
