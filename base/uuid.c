/*  uuid.c - fresh version-4 UUIDs from a per-thread generator. */
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "uuid.h"

//  A version-4 UUID from a per-thread xorshift generator seeded by the
//  kernel: leading edges may make one per message, and a syscall each would
//  cost more than the message.
void
uuid_make (char *out)
{
    static __thread uint64_t state [2];
    if (!state [0] && !state [1]) {
        if (getrandom (state, sizeof state, 0) != sizeof state)
            state [0] = (uint64_t) time (NULL) ^ (uint64_t) (uintptr_t) &state;
        state [1] |= 1;
    }
    unsigned char bytes [16];
    for (int half = 0; half < 2; half++) {
        uint64_t s1 = state [0];
        const uint64_t s0 = state [1];
        state [0] = s0;
        s1 ^= s1 << 23;
        state [1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        uint64_t value = state [1] + s0;
        memcpy (bytes + 8 * half, &value, 8);
    }
    bytes [6] = (bytes [6] & 0x0F) | 0x40;
    bytes [8] = (bytes [8] & 0x3F) | 0x80;
    static const char hex [] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out [o++] = '-';
        out [o++] = hex [bytes [i] >> 4];
        out [o++] = hex [bytes [i] & 15];
    }
    out [o] = 0;
}
