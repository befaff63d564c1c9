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
    //  Each byte's two hex digits from a table, and the dashes in place:
    //  8-4-4-4-12.
    static const char pairs [] =
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
        "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
        "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
        "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
        "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    static const unsigned char at [16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34 };
    for (int i = 0; i < 16; i++)
        memcpy (out + at [i], pairs + 2 * bytes [i], 2);
    out [8] = out [13] = out [18] = out [23] = '-';
    out [36] = 0;
}
