/*  wire.c - JSON for the message hot path: a strict parser into an arena, a fast writer. */
#include <limits.h>
#include <pthread.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "wire.h"
#include "utf8.h"

#define S_CHUNK 65536           //  arena chunk size
#define S_MAX_DEPTH 1000        //  as cJSON's CJSON_NESTING_LIMIT

//  Eight bytes at a time: whether a word holds a byte that needs a closer
//  look (the classic "has zero byte / has byte less than n" bit tricks).
#define S_ONES  0x0101010101010101ULL
#define S_HIGHS 0x8080808080808080ULL
#define S_HAS_LESS(w, n) (((w) - S_ONES * (n)) & ~(w) & S_HIGHS)
#define S_HAS_BYTE(w, b) S_HAS_LESS ((w) ^ (S_ONES * (b)), 1)

//  The bytes a JSON string holds as they are: printable ASCII but '"' and
//  '\\' (controls need an escape, and bytes from 0x80 on begin UTF-8
//  sequences, which the reader checks one by one).
static const unsigned char s_plain [256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static inline uint64_t
s_load (const unsigned char *p)
{
    uint64_t word;
    memcpy (&word, p, sizeof word);
    return word;
}

//  The word tricks read a loaded word's first byte in memory as its lowest.
_Static_assert (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wire.c reads words as little-endian");

//  The offset in its word of the first byte that a mask of S_HAS_LESS,
//  S_HAS_BYTE and S_HIGHS flags (not 0). Their lowest flag is exact: a
//  borrow runs only upward from a byte that is flagged anyway.
static inline size_t
s_first_flagged (uint64_t flags)
{
    return (size_t) __builtin_ctzll (flags) / 8;
}

//  ---------------------------------------------------------------------------
//  Arena

typedef struct s_chunk {
    struct s_chunk *next;
    size_t size;                //  bytes after the header
    size_t used;
    max_align_t data [];
} s_chunk_t;

struct _wire_arena_t {
    s_chunk_t *head;            //  the chunk being filled; older ones follow
};

wire_arena_t *
wire_arena_new (void)
{
    return calloc (1, sizeof (wire_arena_t));
}

//  A fresh chunk with room for `size` (rounded) bytes, at the head; NULL
//  when memory runs out. Rare: one chunk usually holds a whole message.
static __attribute__ ((noinline)) s_chunk_t *
s_chunk_add (wire_arena_t *self, size_t size)
{
    size_t want = size > S_CHUNK? size: S_CHUNK;
    s_chunk_t *chunk = malloc (sizeof (s_chunk_t) + want);
    if (!chunk)
        return NULL;
    chunk->size = want;
    chunk->used = 0;
    chunk->next = self->head;
    self->head = chunk;
    return chunk;
}

//  `size` bytes, rounded up to 16, from the arena; NULL when memory runs
//  out. Inline: the parser takes a node or a string this way.
static inline void *
s_alloc (wire_arena_t *self, size_t size)
{
    size = (size + 15) & ~(size_t) 15;
    s_chunk_t *chunk = self->head;
    if (__builtin_expect (!chunk || chunk->used + size > chunk->size, 0) && !(chunk = s_chunk_add (self, size)))
        return NULL;
    void *memory = (char *) chunk->data + chunk->used;
    chunk->used += size;
    return memory;
}

void
wire_arena_reset (wire_arena_t *self)
{
    if (!self || !self->head)
        return;
    //  Keep the oldest chunk (the last in the list): one message usually fits.
    s_chunk_t *chunk = self->head;
    while (chunk->next) {
        s_chunk_t *next = chunk->next;
        free (chunk);
        chunk = next;
    }
    chunk->used = 0;
    self->head = chunk;
}

void
wire_arena_destroy (wire_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_chunk_t *chunk = (*self_p)->head;
    while (chunk) {
        s_chunk_t *next = chunk->next;
        free (chunk);
        chunk = next;
    }
    free (*self_p);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------------
//  Parser

typedef struct {
    const unsigned char *p;     //  next byte
    const unsigned char *start;
    const unsigned char *end;
    wire_arena_t *arena;
    const char *error;          //  what went wrong, static text
    int depth;
} s_parser_t;

static inline void
s_skip_space (s_parser_t *self)
{
    //  Compact JSON has none: the byte after a token is above ' '.
    while (self->p < self->end && *self->p <= ' '
       &&  (*self->p == ' ' || *self->p == '\n' || *self->p == '\r' || *self->p == '\t'))
        self->p++;
}

static inline cJSON *
s_node (s_parser_t *self, int type)
{
    cJSON *node = s_alloc (self->arena, sizeof (cJSON));
    if (!node) {
        self->error = "out of memory";
        return NULL;
    }
    memset (node, 0, sizeof *node);
    node->type = type;
    return node;
}

static bool
s_fail (s_parser_t *self, const char *what)
{
    if (!self->error)
        self->error = what;
    return false;
}

//  Four hex digits at p; -1 if not.
static long
s_hex4 (const unsigned char *p)
{
    long value = 0;
    for (int i = 0; i < 4; i++) {
        int c = p [i], digit;
        if (c >= '0' && c <= '9')      digit = c - '0';
        else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        else return -1;
        value = value * 16 + digit;
    }
    return value;
}

static size_t
s_utf8_encode (unsigned long cp, char *out)
{
    if (cp < 0x80) { out [0] = (char) cp; return 1; }
    if (cp < 0x800) { out [0] = (char) (0xC0 | cp >> 6); out [1] = (char) (0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out [0] = (char) (0xE0 | cp >> 12); out [1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out [2] = (char) (0x80 | (cp & 0x3F));
        return 3;
    }
    out [0] = (char) (0xF0 | cp >> 18); out [1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    out [2] = (char) (0x80 | ((cp >> 6) & 0x3F)); out [3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

bool
wire_utf8_valid (const void *data, size_t len)
{
    const unsigned char *p = data, *end = p + len;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = utf8_sequence (p, end);
        if (!n)
            return false;
        p += n;
    }
    return true;
}

#define S_SHORT 64              //  strings up to this long take the one-scan path

//  A string at p (on the opening quote) into arena memory. The decoded text
//  is never longer than the raw text, so one allocation of the raw length
//  holds it.
static char *s_parse_string_slow (s_parser_t *self, const unsigned char *p);

static inline __attribute__ ((always_inline)) char *
s_parse_string (s_parser_t *self)
{
    const unsigned char *p = ++self->p;
    //  Most strings (keys, ids, names) are short plain ASCII without an
    //  escape: one scan finds their end, one copy takes them. A longer one
    //  (past S_SHORT bytes), or one with an escape, control or UTF-8, is
    //  read by s_parse_string_slow, apart, so that this path stays lean.
    const unsigned char *q = p;
    const unsigned char *limit = self->end - p > S_SHORT? p + S_SHORT: self->end;
#ifdef __SSE2__
    //  Sixteen bytes at a time while sixteen are left: one signed compare
    //  flags both controls and bytes from 0x80 on (negative as int8).
    while (limit - q >= 16) {
        __m128i v = _mm_loadu_si128 ((const __m128i *) q);
        __m128i flagged = _mm_or_si128 (_mm_cmplt_epi8 (v, _mm_set1_epi8 (0x20)),
                                        _mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('"')),
                                                      _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\\'))));
        unsigned mask = (unsigned) _mm_movemask_epi8 (flagged);
        if (mask) {
            q += __builtin_ctz (mask);
            goto scanned;
        }
        q += 16;
    }
#endif
    while (true) {
        if (limit - q < 8) {
            while (q < limit && s_plain [*q])
                q++;
            break;
        }
        uint64_t w = s_load (q);
        uint64_t flags = S_HAS_LESS (w, 0x20) | S_HAS_BYTE (w, '"') | S_HAS_BYTE (w, '\\') | (w & S_HIGHS);
        if (flags) {
            q += s_first_flagged (flags);
            break;
        }
        q += 8;
    }
#ifdef __SSE2__
scanned:
#endif
    if (q >= limit || *q != '"')
        return s_parse_string_slow (self, p);
    size_t len = (size_t) (q - p);
    char *plain = s_alloc (self->arena, len + 1);
    if (!plain) {
        s_fail (self, "out of memory");
        return NULL;
    }
    //  Up to 15 bytes, when 16 can be read: two words, the bytes from len
    //  on zeroed (the NUL among them), stored whole into the allocation's
    //  16 (it is rounded up to 16). Not a copy and then a NUL byte: a key's
    //  print reads its first word back at once, and a word load over a
    //  wider store and a byte store cannot take its bytes from them, but
    //  waits for both to reach the cache (a third of the object parser's
    //  samples were on that load in a subscriber's profile).
    if (len < 16 && self->end - p >= 16) {
        uint64_t low = s_load (p), high = s_load (p + 8);
        if (len < 8) {
            low &= (1ULL << (8 * len)) - 1;
            high = 0;
        }
        else
            high &= (1ULL << (8 * (len - 8))) - 1;
        memcpy (plain, &low, 8);
        memcpy (plain + 8, &high, 8);
    }
    else {
        memcpy (plain, p, len);
        plain [len] = 0;
    }
    self->p = q + 1;
    return plain;
}

//  A string that is long or holds an escape, a control or UTF-8, from p
//  (past its opening quote).
static __attribute__ ((noinline)) char *
s_parse_string_slow (s_parser_t *self, const unsigned char *p)
{
    //  Find the closing quote: the first one not escaped, i.e. not after an
    //  odd number of backslashes.
    const unsigned char *close = p;
    while (true) {
        close = memchr (close, '"', (size_t) (self->end - close));
        if (!close)
            break;
        size_t slashes = 0;
        while (close - slashes > p && close [-1 - (ptrdiff_t) slashes] == '\\')
            slashes++;
        if (slashes % 2 == 0)
            break;
        close++;
    }
    if (!close) {
        close = self->end;
        s_fail (self, "unterminated string");
        return NULL;
    }
    char *out = s_alloc (self->arena, (size_t) (close - p) + 1);
    if (!out) {
        s_fail (self, "out of memory");
        return NULL;
    }
    size_t o = 0;
    while (p < close) {
        unsigned char c = *p;
        if (c >= 0x20 && c < 0x80 && c != '\\') {
            //  A run of plain ASCII is copied whole, a word at a time while
            //  whole words are plain.
            const unsigned char *run = p + 1;
            while (close - run >= 8) {
                uint64_t w = s_load (run);
                if (S_HAS_LESS (w, 0x20) | S_HAS_BYTE (w, '\\') | (w & S_HIGHS))
                    break;
                run += 8;
            }
            while (run < close && *run >= 0x20 && *run < 0x80 && *run != '\\')
                run++;
            memcpy (out + o, p, (size_t) (run - p));
            o += (size_t) (run - p);
            p = run;
        }
        else if (c >= 0x80) {
            size_t n = utf8_sequence (p, self->end);
            if (!n || p + n > close) {
                self->p = p;
                s_fail (self, "invalid UTF-8");
                return NULL;
            }
            memcpy (out + o, p, n);
            o += n;
            p += n;
        }
        else if (c < 0x20) {
            self->p = p;
            s_fail (self, "raw control character in a string");
            return NULL;
        }
        else {                              //  an escape
            unsigned char e = p [1];
            p += 2;
            switch (e) {
                case '"':  out [o++] = '"'; break;
                case '\\': out [o++] = '\\'; break;
                case '/':  out [o++] = '/'; break;
                case 'b':  out [o++] = '\b'; break;
                case 'f':  out [o++] = '\f'; break;
                case 'n':  out [o++] = '\n'; break;
                case 'r':  out [o++] = '\r'; break;
                case 't':  out [o++] = '\t'; break;
                case 'u': {
                    long cp = p + 4 <= close? s_hex4 (p): -1;
                    if (cp < 0) {
                        self->p = p;
                        s_fail (self, "invalid \\u escape");
                        return NULL;
                    }
                    p += 4;
                    if (cp == 0) {
                        //  I-JSON (RFC 7493): a NUL would cut the C string
                        //  short ("wf\u0000evil" read as "wf").
                        self->p = p - 6;
                        s_fail (self, "\\u0000 in a string");
                        return NULL;
                    }
                    if (cp >= 0xD800 && cp <= 0xDBFF) {     //  a surrogate pair
                        long low = p + 6 <= close && p [0] == '\\' && p [1] == 'u'? s_hex4 (p + 2): -1;
                        if (low < 0xDC00 || low > 0xDFFF) {
                            self->p = p;
                            s_fail (self, "unpaired surrogate in \\u escape");
                            return NULL;
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        p += 6;
                    }
                    else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        self->p = p;
                        s_fail (self, "unpaired surrogate in \\u escape");
                        return NULL;
                    }
                    o += s_utf8_encode ((unsigned long) cp, out + o);
                    break;
                }
                default:
                    self->p = p - 1;
                    s_fail (self, "invalid escape");
                    return NULL;
            }
        }
    }
    out [o] = 0;
    self->p = close + 1;
    return out;
}

static const double s_pow10 [] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static bool
s_parse_number (s_parser_t *self, cJSON *node)
{
    const unsigned char *p = self->p, *start = p;
    bool negative = *p == '-';
    if (negative)
        p++;
    //  The JSON grammar: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
    uint64_t mantissa = 0;
    int digits = 0, scale = 0;
    if (p < self->end && *p == '0')
        p++;
    else if (p < self->end && *p >= '1' && *p <= '9') {
        while (p < self->end && *p >= '0' && *p <= '9') {
            if (digits < 19)
                mantissa = mantissa * 10 + (*p - '0');
            else
                scale++;                    //  digits past 19 only scale (slow path below)
            digits++;
            p++;
        }
    }
    else
        return s_fail (self, "invalid number");
    if (p < self->end && *p == '.') {
        p++;
        if (p >= self->end || *p < '0' || *p > '9')
            return s_fail (self, "invalid number");
        while (p < self->end && *p >= '0' && *p <= '9') {
            if (digits < 19) {
                mantissa = mantissa * 10 + (*p - '0');
                scale--;
            }
            digits++;
            p++;
        }
    }
    int exponent = 0;
    if (p < self->end && (*p == 'e' || *p == 'E')) {
        p++;
        bool exp_negative = false;
        if (p < self->end && (*p == '+' || *p == '-'))
            exp_negative = *p++ == '-';
        if (p >= self->end || *p < '0' || *p > '9')
            return s_fail (self, "invalid number");
        while (p < self->end && *p >= '0' && *p <= '9') {
            if (exponent < 100000)
                exponent = exponent * 10 + (*p - '0');
            p++;
        }
        if (exp_negative)
            exponent = -exponent;
    }
    double value;
    int total = scale + exponent;
    //  Exact when the mantissa fits a double's 53 bits and the power of ten
    //  is exact (≤ 1e22): one correctly rounded multiply or divide.
    if (digits <= 19 && mantissa <= (1ULL << 53) && total >= -22 && total <= 22) {
        value = (double) mantissa;
        value = total < 0? value / s_pow10 [-total]: value * s_pow10 [total];
    }
    else {
        char copy [64];
        size_t len = (size_t) (p - start);
        char *text = len < sizeof copy? copy: s_alloc (self->arena, len + 1);
        if (!text)
            return s_fail (self, "out of memory");
        memcpy (text, start, len);
        text [len] = 0;
        value = strtod (text, NULL);
        negative = false;                   //  strtod read the sign
    }
    if (negative)
        value = -value;
    node->valuedouble = value;
    node->valueint = value >= INT_MAX? INT_MAX: value <= (double) INT_MIN? INT_MIN: (int) value;
    self->p = p;
    return true;
}

static cJSON *s_parse_value (s_parser_t *self);

//  Appends child to parent's children (cJSON keeps the tail in child->prev).
static inline void
s_link (cJSON *parent, cJSON *child, cJSON **last)
{
    if (!parent->child)
        parent->child = child;
    else {
        (*last)->next = child;
        child->prev = *last;
    }
    *last = child;
    parent->child->prev = child;
}

//  Duplicate keys. Each key gets a fingerprint, its first 8 bytes (up to
//  its NUL), so most keys are compared as integers and strcmp runs only on
//  equal fingerprints. The first S_SCAN_KEYS fingerprints of an
//  object are kept on the stack and scanned (few keys: cheaper than any
//  hashing); past that, the keys go into an open-addressing set in the
//  arena, by a hash of the whole key, doubled as it fills.
#define S_SCAN_KEYS 8

typedef struct {
    uint64_t hash;              //  s_key_hash (name)
    const char *name;           //  NULL: a free slot
} s_key_t;

typedef struct {
    uint64_t prints [S_SCAN_KEYS];  //  of the first keys, in order
    size_t count;               //  keys added
    s_key_t *slots;             //  the set past S_SCAN_KEYS, or NULL
    size_t size;                //  of slots, a power of 2
} s_keyset_t;

//  The key is in an arena allocation rounded up to 16 bytes, so reading 8
//  bytes from its start stays inside it; the bytes from its NUL on (the
//  lowest zero byte, which the has-zero trick finds exactly) are masked off.
static inline uint64_t
s_key_print (const char *key)
{
    uint64_t word = s_load ((const unsigned char *) key);
    uint64_t zeros = S_HAS_LESS (word, 1);
    if (zeros)
        word &= (zeros & -zeros) / 0x80 - 1;
    return word;
}

//  A hash of the whole key for the set (a fingerprint alone would put keys
//  with a common 8-byte prefix in one chain), a word at a time within the
//  same rounded allocation.
static uint64_t
s_key_hash (const char *key)
{
    uint64_t hash = 0x9E3779B97F4A7C15ULL;
    for (const unsigned char *p = (const unsigned char *) key; ; p += 8) {
        uint64_t word = s_load (p);
        uint64_t zeros = S_HAS_LESS (word, 1);
        if (zeros)
            word &= (zeros & -zeros) / 0x80 - 1;
        hash = (hash ^ word) * 0xBF58476D1CE4E5B9ULL;
        hash ^= hash >> 31;
        if (zeros)
            return hash;
    }
}

static inline size_t
s_slot (uint64_t hash, size_t size)
{
    return (size_t) (hash >> 20) & (size - 1);
}

//  Puts a key known to be new into the set.
static void
s_set_put (s_keyset_t *set, s_key_t key)
{
    size_t at = s_slot (key.hash, set->size);
    while (set->slots [at].name)
        at = (at + 1) & (set->size - 1);
    set->slots [at] = key;
}

//  Makes the set twice as large (at first: 4 * S_SCAN_KEYS, filled from
//  the object's first keys, `first` the first of its children) and puts
//  every key so far into it. False when memory runs out.
static bool
s_set_grow (s_parser_t *self, s_keyset_t *set, const cJSON *first)
{
    size_t size = set->size? set->size * 2: S_SCAN_KEYS * 4;
    s_key_t *slots = s_alloc (self->arena, size * sizeof *slots);
    if (!slots)
        return s_fail (self, "out of memory");
    memset (slots, 0, size * sizeof *slots);
    s_key_t *old = set->slots;
    size_t old_size = set->size;
    set->slots = slots;
    set->size = size;
    if (old) {
        for (size_t i = 0; i < old_size; i++)
            if (old [i].name)
                s_set_put (set, old [i]);
    }
    else {
        const cJSON *child = first;
        for (size_t i = 0; i < S_SCAN_KEYS; i++, child = child->next)
            s_set_put (set, (s_key_t) { s_key_hash (child->string), child->string });
    }
    return true;
}

//  Adds the key of an object whose keys so far are its children from
//  `first` on; false if it has that key already (I-JSON, RFC 7493: cJSON
//  reads the first of two equal keys, most other readers the last) or
//  memory ran out (then self->error says so).
static inline __attribute__ ((always_inline)) bool
s_key_is_new (s_parser_t *self, s_keyset_t *set, const cJSON *first, const char *name)
{
    if (set->count < S_SCAN_KEYS) {
        uint64_t print = s_key_print (name);
        for (size_t i = 0; i < set->count; i++)
            if (set->prints [i] == print) {
                //  Rare (a repeat, or a shared 8-byte prefix): the key itself.
                const cJSON *child = first;
                for (size_t k = 0; k < i; k++)
                    child = child->next;
                if (strcmp (child->string, name) == 0)
                    return false;
            }
        set->prints [set->count++] = print;
        return true;
    }
    if (!set->slots && !s_set_grow (self, set, first))
        return false;
    uint64_t hash = s_key_hash (name);
    size_t at = s_slot (hash, set->size);
    while (set->slots [at].name) {
        if (set->slots [at].hash == hash && strcmp (set->slots [at].name, name) == 0)
            return false;
        at = (at + 1) & (set->size - 1);
    }
    set->slots [at] = (s_key_t) { hash, name };
    set->count++;
    return set->count * 2 <= set->size || s_set_grow (self, set, first);
}

static cJSON *
s_parse_container (s_parser_t *self, bool is_object)
{
    if (++self->depth > S_MAX_DEPTH) {
        s_fail (self, "nested too deep");
        return NULL;
    }
    cJSON *node = s_node (self, is_object? cJSON_Object: cJSON_Array);
    if (!node)
        return NULL;
    self->p++;
    s_skip_space (self);
    char close = is_object? '}': ']';
    if (self->p < self->end && *self->p == close) {
        self->p++;
        self->depth--;
        return node;
    }
    cJSON *last = NULL;
    s_keyset_t set;
    set.count = 0;
    set.slots = NULL;
    set.size = 0;
    while (true) {
        char *key = NULL;
        if (is_object) {
            if (self->p >= self->end || *self->p != '"') {
                s_fail (self, "expected a string key");
                return NULL;
            }
            const unsigned char *key_at = self->p;
            key = s_parse_string (self);
            if (!key)
                return NULL;
            if (!s_key_is_new (self, &set, node->child, key)) {
                self->p = key_at;
                s_fail (self, "duplicate key");
                return NULL;
            }
            s_skip_space (self);
            if (self->p >= self->end || *self->p != ':') {
                s_fail (self, "expected ':'");
                return NULL;
            }
            self->p++;
            s_skip_space (self);
        }
        cJSON *child = s_parse_value (self);
        if (!child)
            return NULL;
        child->string = key;
        s_link (node, child, &last);
        s_skip_space (self);
        if (self->p < self->end && *self->p == ',') {
            self->p++;
            s_skip_space (self);
            continue;
        }
        if (self->p < self->end && *self->p == close) {
            self->p++;
            self->depth--;
            return node;
        }
        s_fail (self, is_object? "expected ',' or '}'": "expected ',' or ']'");
        return NULL;
    }
}

static bool
s_literal (s_parser_t *self, const char *word, size_t len)
{
    if ((size_t) (self->end - self->p) < len || memcmp (self->p, word, len))
        return s_fail (self, "invalid literal");
    self->p += len;
    return true;
}

static cJSON *
s_parse_value (s_parser_t *self)
{
    if (self->p >= self->end) {
        s_fail (self, "unexpected end");
        return NULL;
    }
    cJSON *node;
    switch (*self->p) {
        case '{': return s_parse_container (self, true);
        case '[': return s_parse_container (self, false);
        case '"': {
            node = s_node (self, cJSON_String);
            if (node && !(node->valuestring = s_parse_string (self)))
                return NULL;
            return node;
        }
        case 't':
            node = s_node (self, cJSON_True);
            if (node) node->valueint = 1;
            return node && s_literal (self, "true", 4)? node: NULL;
        case 'f':
            node = s_node (self, cJSON_False);
            return node && s_literal (self, "false", 5)? node: NULL;
        case 'n':
            node = s_node (self, cJSON_NULL);
            return node && s_literal (self, "null", 4)? node: NULL;
        default:
            if (*self->p == '-' || (*self->p >= '0' && *self->p <= '9')) {
                node = s_node (self, cJSON_Number);
                return node && s_parse_number (self, node)? node: NULL;
            }
            s_fail (self, "unexpected character");
            return NULL;
    }
}

const cJSON *
wire_parse (wire_arena_t *arena, const void *data, size_t len, char *err)
{
    s_parser_t parser = { data, data, (const unsigned char *) data + len, arena, NULL, 0 };
    s_skip_space (&parser);
    cJSON *value = s_parse_value (&parser);
    if (value) {
        s_skip_space (&parser);
        if (parser.p < parser.end) {
            value = NULL;
            s_fail (&parser, "trailing data after the value");
        }
    }
    if (!value)
        err_set (err, "%s at byte %zu", parser.error? parser.error: "invalid JSON",
                 (size_t) (parser.p - parser.start));
    return value;
}

//  ---------------------------------------------------------------------------
//  Writer

//  Room for `more` bytes and the NUL after them.
static inline int
s_reserve (wire_buffer_t *buffer, size_t more)
{
    return buffer->len + more + 1 <= buffer->size? 0: wire_buffer_grow (buffer, more);
}

//  One byte (and the NUL after it).
static inline int
s_put (wire_buffer_t *buffer, char c)
{
    if (s_reserve (buffer, 1))
        return -1;
    buffer->data [buffer->len++] = c;
    buffer->data [buffer->len] = 0;
    return 0;
}

int
wire_buffer_grow (wire_buffer_t *buffer, size_t more)
{
    size_t size = buffer->size? buffer->size: 1024;
    while (size < buffer->len + more + 1)
        size *= 2;
    char *data = realloc (buffer->data, size);
    if (!data)
        return -1;
    buffer->data = data;
    buffer->size = size;
    return 0;
}

//  The rest of a string from its first byte to escape (p), written at
//  out: escapes, and the plain runs between them a word at a time (a
//  word with an escape in it is copied whole too: the room is there, six
//  bytes a byte). Returns where the output ends.
static __attribute__ ((noinline)) char *
s_write_escaped (char *out, const unsigned char *p, const unsigned char *end)
{
    while (p < end) {
        while (true) {
            if (end - p < 8) {
                while (p < end && (s_plain [*p] || *p >= 0x80))
                    *out++ = (char) *p++;
                break;
            }
            uint64_t w = s_load (p);
            uint64_t flags = S_HAS_LESS (w, 0x20) | S_HAS_BYTE (w, '"') | S_HAS_BYTE (w, '\\');
            memcpy (out, p, 8);
            if (flags) {
                size_t plain = s_first_flagged (flags);
                out += plain;
                p += plain;
                break;
            }
            out += 8;
            p += 8;
        }
        if (p == end)
            break;
        unsigned char c = *p++;
        *out++ = '\\';
        switch (c) {
            case '"':  *out++ = '"'; break;
            case '\\': *out++ = '\\'; break;
            case '\b': *out++ = 'b'; break;
            case '\f': *out++ = 'f'; break;
            case '\n': *out++ = 'n'; break;
            case '\r': *out++ = 'r'; break;
            case '\t': *out++ = 't'; break;
            default:
                out += sprintf (out, "u%04x", c);
        }
    }
    return out;
}

int
wire_write_string (wire_buffer_t *buffer, const char *text)
{
    size_t len = strlen (text);
    //  Worst case every byte becomes \u00XX.
    if (s_reserve (buffer, len * 6 + 2))
        return -1;
    char *out = buffer->data + buffer->len;
    const unsigned char *p = (const unsigned char *) text;
    const unsigned char *end = p + len;
    *out++ = '"';
    //  Most strings need no escape: copied a word at a time, the last bytes
    //  short of a word one by one (a loaded tail was no faster). From the
    //  first byte that needs one, s_write_escaped writes the rest.
    while (end - p >= 8) {
        uint64_t w = s_load (p);
        if (S_HAS_LESS (w, 0x20) | S_HAS_BYTE (w, '"') | S_HAS_BYTE (w, '\\'))
            break;
        memcpy (out, p, 8);
        out += 8;
        p += 8;
    }
    //  A string of a word or more ends with its last word, read again from
    //  end - 8 (inside the string): one test for the last bytes.
    if (p < end && end - p < 8 && len >= 8) {
        uint64_t w = s_load (end - 8);
        if (!(S_HAS_LESS (w, 0x20) | S_HAS_BYTE (w, '"') | S_HAS_BYTE (w, '\\'))) {
            memcpy (out - (8 - (end - p)), end - 8, 8);
            out += end - p;
            p = end;
        }
    }
    while (p < end && (s_plain [*p] || *p >= 0x80))
        *out++ = (char) *p++;
    if (p < end)
        out = s_write_escaped (out, p, end);
    *out++ = '"';
    buffer->len = (size_t) (out - buffer->data);
    buffer->data [buffer->len] = 0;
    return 0;
}

static const char s_pairs [] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

//  How many decimal digits `value` has (1 to 20): the bit length gives it
//  within one, a power of ten settles it.
static inline size_t
s_digit_count (uint64_t value)
{
    static const uint64_t s_tens [20] = {
        1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
        1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
        100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
        1000000000000000000ULL, 10000000000000000000ULL
    };
    //  value | 1 has as many digits (only an odd value is one short of a
    //  power of ten) and is never 0, which has one digit too.
    value |= 1;
    int bits = 64 - __builtin_clzll (value);
    size_t guess = (size_t) ((bits * 1233) >> 12);      //  floor (bits * log10 (2))
    return guess + (guess < 20 && value >= s_tens [guess]);
}

//  Writes `whole` / 10^k as decimal text at out: its digits with a point
//  before the last k (a "0" before the point when no digit is left for
//  it, so 25 with k 3 is 0.025). The length is worked out first and the
//  digits stored in place, two at a time, back from the end: never through
//  a buffer read back at once, which would wait for those stores (a
//  store-forwarding stall per number). Returns the length.
static size_t
s_decimal (uint64_t whole, int k, char *out)
{
    size_t count = s_digit_count (whole);
    size_t len = k? (count > (size_t) k? count: (size_t) k + 1) + 1: count;
    char *at = out + len;
    if (k) {
        int left = k;
        for (; left >= 2; left -= 2) {
            at -= 2;
            memcpy (at, s_pairs + 2 * (whole % 100), 2);
            whole /= 100;
        }
        if (left) {
            *--at = (char) ('0' + whole % 10);
            whole /= 10;
        }
        *--at = '.';
    }
    while (whole >= 100) {
        at -= 2;
        memcpy (at, s_pairs + 2 * (whole % 100), 2);
        whole /= 100;
    }
    if (whole >= 10) {
        at -= 2;
        memcpy (at, s_pairs + 2 * whole, 2);
    }
    else
        *--at = (char) ('0' + whole);
    return len;
}

//  What s_number may write at out, at most: its text (≤ 46 bytes: 20
//  digits, or "0." and 22 fraction digits, or %.17g's) and a sign.
#define S_NUMBER_ROOM 48

//  A double as the shortest decimal with at most 22 fraction digits that
//  reads back exactly, found without printf when the value is N / 10^k with
//  N < 2^53 (most prices and counters are); else printf's %.15g or %.17g.
//  out needs S_NUMBER_ROOM bytes.
static size_t
s_number (double value, char *out)
{
    if (!isfinite (value)) {
        memcpy (out, "null", 4);
        return 4;
    }
    double magnitude = fabs (value);
    if (magnitude < 9007199254740992.0) {
        for (int k = 0; k <= 22; k++) {
            double scaled = magnitude * s_pow10 [k];
            if (scaled >= 9007199254740992.0)
                break;
            //  Below 2^53 the conversion truncates exactly: an integral
            //  value comes back as it was (no call to floor).
            uint64_t whole = (uint64_t) scaled;
            if ((double) whole != scaled || (k && scaled / s_pow10 [k] != magnitude))
                continue;
            //  N / 10^k, exactly: the division is correctly rounded, so the
            //  decimal text reads back as this very double.
            size_t n = 0;
            if (value < 0)
                out [n++] = '-';
            return n + s_decimal (whole, k, out + n);
        }
    }
    int len = snprintf (out, 32, "%1.15g", value);
    if (strtod (out, NULL) != value)
        len = snprintf (out, 32, "%1.17g", value);
    return (size_t) len;
}

int
wire_write (wire_buffer_t *buffer, const cJSON *item)
{
    if (!item)
        return wire_append (buffer, "null", 4);
    //  Strings first, before the switch: most values are strings.
    if ((item->type & 0xFF) == cJSON_String)
        return wire_write_string (buffer, item->valuestring? item->valuestring: "");
    switch (item->type & 0xFF) {
        case cJSON_False:  return wire_append (buffer, "false", 5);
        case cJSON_True:   return wire_append (buffer, "true", 4);
        case cJSON_NULL:   return wire_append (buffer, "null", 4);
        case cJSON_Raw:    return item->valuestring? wire_append (buffer, item->valuestring, strlen (item->valuestring))
                                                   : wire_append (buffer, "null", 4);
        case cJSON_Number: {
            if (s_reserve (buffer, S_NUMBER_ROOM))
                return -1;
            buffer->len += s_number (item->valuedouble, buffer->data + buffer->len);
            buffer->data [buffer->len] = 0;
            return 0;
        }
        case cJSON_Array:
        case cJSON_Object: {
            bool is_object = (item->type & 0xFF) == cJSON_Object;
            if (s_put (buffer, is_object? '{': '['))
                return -1;
            for (const cJSON *child = item->child; child; child = child->next) {
                if (child != item->child && s_put (buffer, ','))
                    return -1;
                if (is_object) {
                    if (wire_write_string (buffer, child->string? child->string: "")
                    ||  s_put (buffer, ':'))
                        return -1;
                }
                if (wire_write (buffer, child))
                    return -1;
            }
            return s_put (buffer, is_object? '}': ']');
        }
        default:
            return wire_append (buffer, "null", 4);
    }
}

//  One output buffer and one scratch arena per thread, freed by a key
//  destructor when the thread exits (svcfw_main's thread ends before the
//  process does).
typedef struct {
    wire_buffer_t buffer;
    wire_arena_t *arena;
} s_thread_t;

static pthread_key_t s_thread_key;
static pthread_once_t s_thread_once = PTHREAD_ONCE_INIT;

static void
s_thread_release (void *data)
{
    s_thread_t *thread = data;
    wire_buffer_free (&thread->buffer);
    wire_arena_destroy (&thread->arena);
    free (thread);
}

static void
s_thread_key_create (void)
{
    pthread_key_create (&s_thread_key, s_thread_release);
}

static s_thread_t *
s_thread (void)
{
    pthread_once (&s_thread_once, s_thread_key_create);
    s_thread_t *thread = pthread_getspecific (s_thread_key);
    if (!thread) {
        thread = calloc (1, sizeof *thread);
        if (thread && !(thread->arena = wire_arena_new ())) {
            free (thread);
            thread = NULL;
        }
        if (thread && pthread_setspecific (s_thread_key, thread)) {
            s_thread_release (thread);
            thread = NULL;
        }
    }
    return thread;
}

wire_buffer_t *
wire_thread_buffer (void)
{
    s_thread_t *thread = s_thread ();
    return thread? &thread->buffer: NULL;
}

cJSON *
wire_parse_copy (const void *data, size_t len, char *err)
{
    s_thread_t *thread = s_thread ();
    if (!thread) {
        err_set (err, "out of memory");
        return NULL;
    }
    const cJSON *value = wire_parse (thread->arena, data, len, err);
    cJSON *copy = value? cJSON_Duplicate (value, true): NULL;
    if (value && !copy)
        err_set (err, "out of memory");
    wire_arena_reset (thread->arena);
    return copy;
}

void
wire_buffer_free (wire_buffer_t *buffer)
{
    free (buffer->data);
    memset (buffer, 0, sizeof *buffer);
}

size_t
wire_digits (uint64_t value, char *out)
{
    return s_decimal (value, 0, out);
}

int
wire_append_int (wire_buffer_t *buffer, int64_t value)
{
    if (buffer->len + 1 + WIRE_DIGITS_MAX + 1 > buffer->size && wire_buffer_grow (buffer, 1 + WIRE_DIGITS_MAX))
        return -1;
    char *out = buffer->data + buffer->len;
    //  The magnitude as unsigned: INT64_MIN has no positive int64_t.
    uint64_t magnitude = value < 0? 0 - (uint64_t) value: (uint64_t) value;
    size_t sign = value < 0;
    if (sign)
        *out = '-';
    buffer->len += sign + wire_digits (magnitude, out + sign);
    buffer->data [buffer->len] = 0;
    return 0;
}
