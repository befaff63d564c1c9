/*  cache.c - a requester's reply cache: canonical keys, XFetch, single
    flight, LRU. See cache.h.
*/
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <czmq.h>
#include "cache.h"

typedef struct _s_entry_t s_entry_t;
struct _s_entry_t {
    char *key;                  //  the canonical args; owned
    cJSON *reply;               //  the last good reply, or NULL; owned
    int64_t expiry;             //  when reply stops being valid (cache clock, ms)
    int64_t delta;              //  how long the round trip that brought it took (ms)
    bool flying;                //  a round trip for this key is in flight
    int64_t flight_start;       //  when it began
    uint64_t flights;           //  round trips begun
    uint64_t done;              //  round trips ended
    char *error;                //  the last failed round trip's error, for its waiters; owned
    int waiters;                //  callers waiting on the round trip in flight
    s_entry_t *newer, *older;   //  the LRU list
};

struct _cache_t {
    cache_config_t config;
    cache_clock_fn *now_ms;
    void *clock_arg;
    cache_random_fn *random;
    void *random_arg;
    uint64_t seed;              //  the default random source's state
    pthread_mutex_t lock;       //  guards everything below
    pthread_cond_t landed;      //  a round trip ended
    zhashx_t *entries;          //  key -> s_entry_t (the hash does not own them)
    s_entry_t *newest, *oldest;
    int count;
    int waiting;                //  callers in s_wait, in all
};

//  ---------------------------------------------------------------------------
//  Options

//  What a value is, for messages: "5.5", "a string", ...
static const char *
s_what (const cJSON *value, char *buffer, size_t size)
{
    if (cJSON_IsNumber (value)) {
        snprintf (buffer, size, "%g", value->valuedouble);
        return buffer;
    }
    return cJSON_IsArray (value)? "an array": cJSON_IsObject (value)? "an object":
           cJSON_IsString (value)? "a string": cJSON_IsBool (value)? "a bool": "null";
}

int
cache_config_parse (const cJSON *value, cache_config_t *config, bool *enabled, char *err)
{
    *config = (cache_config_t) { 0, CACHE_BETA, CACHE_MAX_ENTRIES };
    *enabled = false;
    if (!value)
        return 0;
    char what [40];
    if (!cJSON_IsObject (value))
        return err_set (err, "'cache' must be an object {\"ttl_ms\": T, \"beta\": B, \"max_entries\": N}, got %s",
                        s_what (value, what, sizeof what));
    const cJSON *item;
    cJSON_ArrayForEach (item, value) {
        const char *key = item->string;
        double number = item->valuedouble;
        bool whole = cJSON_IsNumber (item) && number == floor (number) && number <= 2147483647.0;
        if (strcmp (key, "ttl_ms") == 0) {
            if (!whole || number < 1)
                return err_set (err, "'cache.ttl_ms' must be a whole number of milliseconds, at least 1, got %s",
                                s_what (item, what, sizeof what));
            config->ttl_ms = (int) number;
        }
        else
        if (strcmp (key, "beta") == 0) {
            if (!cJSON_IsNumber (item) || !(number > 0) || number > 1000)
                return err_set (err, "'cache.beta' must be a number above 0 and at most 1000 (1: XFetch's own), "
                                "got %s", s_what (item, what, sizeof what));
            config->beta = number;
        }
        else
        if (strcmp (key, "max_entries") == 0) {
            if (!whole || number < 1)
                return err_set (err, "'cache.max_entries' must be a whole number, at least 1, got %s",
                                s_what (item, what, sizeof what));
            config->max_entries = (int) number;
        }
        else
            return err_set (err, "'cache' has unknown key '%s' (ttl_ms, beta, max_entries)", key);
    }
    if (!config->ttl_ms)
        return err_set (err, "'cache' needs 'ttl_ms', how long a reply is kept");
    *enabled = true;
    return 0;
}

//  ---------------------------------------------------------------------------
//  The canonical key

typedef struct {
    char *data;
    size_t len, size;
    bool failed;
} s_text_t;

static void
s_put (s_text_t *text, const char *bytes, size_t len)
{
    if (text->failed)
        return;
    if (text->len + len + 1 > text->size) {
        size_t size = text->size? text->size: 64;
        while (size < text->len + len + 1)
            size *= 2;
        char *data = realloc (text->data, size);
        if (!data) {
            text->failed = true;
            return;
        }
        text->data = data;
        text->size = size;
    }
    memcpy (text->data + text->len, bytes, len);
    text->len += len;
    text->data [text->len] = 0;
}

static void
s_put_string (s_text_t *text, const char *string)
{
    s_put (text, "\"", 1);
    for (const char *c = string; *c; c++) {
        char escape [8];
        if (*c == '"' || *c == '\\') {
            escape [0] = '\\';
            escape [1] = *c;
            s_put (text, escape, 2);
        }
        else
        if ((unsigned char) *c < 0x20)
            s_put (text, escape, (size_t) snprintf (escape, sizeof escape, "\\u%04x", (unsigned char) *c));
        else
            s_put (text, c, 1);
    }
    s_put (text, "\"", 1);
}

typedef struct {
    const cJSON *item;
    int index;                  //  its place in the object, to break ties
} s_member_t;

static int
s_by_key (const void *a, const void *b)
{
    const s_member_t *left = a, *right = b;
    int order = strcmp (left->item->string? left->item->string: "", right->item->string? right->item->string: "");
    return order? order: left->index - right->index;
}

static void
s_put_value (s_text_t *text, const cJSON *value, int depth)
{
    if (depth > 1000) {                 //  cJSON's own nesting limit is lower
        text->failed = true;
        return;
    }
    char number [40];
    if (cJSON_IsNull (value) || cJSON_IsInvalid (value))
        s_put (text, "null", 4);
    else
    if (cJSON_IsTrue (value))
        s_put (text, "true", 4);
    else
    if (cJSON_IsFalse (value))
        s_put (text, "false", 5);
    else
    if (cJSON_IsNumber (value)) {
        double d = value->valuedouble;
        if (!isfinite (d))
            s_put (text, "null", 4);
        else
        if (d == floor (d) && fabs (d) < 9007199254740992.0)
            s_put (text, number, (size_t) snprintf (number, sizeof number, "%lld", (long long) d));
        else
            s_put (text, number, (size_t) snprintf (number, sizeof number, "%.17g", d));
    }
    else
    if (cJSON_IsString (value) || cJSON_IsRaw (value))
        s_put_string (text, value->valuestring? value->valuestring: "");
    else
    if (cJSON_IsArray (value)) {
        s_put (text, "[", 1);
        const cJSON *item;
        bool first = true;
        cJSON_ArrayForEach (item, value) {
            if (!first)
                s_put (text, ",", 1);
            first = false;
            s_put_value (text, item, depth + 1);
        }
        s_put (text, "]", 1);
    }
    else {
        int count = cJSON_GetArraySize (value);
        s_member_t *members = count? malloc ((size_t) count * sizeof *members): NULL;
        if (count && !members) {
            text->failed = true;
            return;
        }
        int n = 0;
        const cJSON *item;
        cJSON_ArrayForEach (item, value) {
            members [n] = (s_member_t) { item, n };
            n++;
        }
        //  qsort is not stable: ties (a parsed duplicate key) keep their order by index.
        qsort (members, (size_t) n, sizeof *members, s_by_key);
        s_put (text, "{", 1);
        for (int i = 0; i < n; i++) {
            if (i)
                s_put (text, ",", 1);
            s_put_string (text, members [i].item->string? members [i].item->string: "");
            s_put (text, ":", 1);
            s_put_value (text, members [i].item, depth + 1);
        }
        s_put (text, "}", 1);
        free (members);
    }
}

char *
cache_key (const cJSON *value)
{
    s_text_t text = { 0 };
    s_put_value (&text, value, 0);
    if (text.failed) {
        free (text.data);
        return NULL;
    }
    return text.data? text.data: strdup ("");
}

//  ---------------------------------------------------------------------------
//  XFetch

bool
cache_xfetch (int64_t now, int64_t delta, double beta, double random, int64_t expiry)
{
    if (now >= expiry)
        return true;
    if (random <= 0)
        random = 1e-300;
    //  -delta * beta * ln (random) >= 0: how far ahead of now this lookup looks.
    double ahead = -(double) (delta > 0? delta: 0) * beta * log (random > 1? 1: random);
    return (double) now + ahead >= (double) expiry;
}

//  ---------------------------------------------------------------------------
//  The cache

static int64_t
s_mono_ms (void *arg)
{
    (void) arg;
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  xorshift64*, under the cache's lock; in (0, 1].
static double
s_random (void *arg)
{
    cache_t *self = arg;
    uint64_t x = self->seed;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->seed = x;
    uint64_t bits = (x * 0x2545F4914F6CDD1DULL) >> 11;
    return (double) (bits + 1) / 9007199254740992.0;
}

cache_t *
cache_new (const cache_config_t *config, cache_clock_fn *now_ms, cache_random_fn *random, void *arg)
{
    cache_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = *config;
    if (self->config.max_entries < 1)
        self->config.max_entries = 1;
    self->now_ms = now_ms? now_ms: s_mono_ms;
    self->clock_arg = arg;
    self->random = random? random: s_random;
    self->random_arg = random? arg: self;
    if (getrandom (&self->seed, sizeof self->seed, GRND_NONBLOCK) != sizeof self->seed)
        self->seed = (uint64_t) time (NULL) ^ (uint64_t) (uintptr_t) self;
    if (!self->seed)
        self->seed = 0x9E3779B97F4A7C15ULL;
    self->entries = zhashx_new ();
    pthread_condattr_t attr;
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&self->landed, &attr);
    pthread_condattr_destroy (&attr);
    pthread_mutex_init (&self->lock, NULL);
    if (!self->entries) {
        cache_destroy (&self);
        return NULL;
    }
    return self;
}

static void
s_entry_free (s_entry_t *entry)
{
    free (entry->key);
    cJSON_Delete (entry->reply);
    free (entry->error);
    free (entry);
}

void
cache_destroy (cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cache_t *self = *self_p;
    for (s_entry_t *entry = self->newest, *next; entry; entry = next) {
        next = entry->older;
        s_entry_free (entry);
    }
    zhashx_destroy (&self->entries);
    pthread_cond_destroy (&self->landed);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

static void
s_unlink (cache_t *self, s_entry_t *entry)
{
    if (entry->newer) entry->newer->older = entry->older;
    else              self->newest = entry->older;
    if (entry->older) entry->older->newer = entry->newer;
    else              self->oldest = entry->newer;
    entry->newer = entry->older = NULL;
}

static void
s_push_newest (cache_t *self, s_entry_t *entry)
{
    entry->older = self->newest;
    entry->newer = NULL;
    if (self->newest)
        self->newest->newer = entry;
    self->newest = entry;
    if (!self->oldest)
        self->oldest = entry;
}

static void
s_remove (cache_t *self, s_entry_t *entry)
{
    s_unlink (self, entry);
    zhashx_delete (self->entries, entry->key);
    self->count--;
    s_entry_free (entry);
}

//  The entry of key, made (and the least recently used one evicted, if the
//  cache is full) when there is none; moved to the front. NULL: out of memory.
static s_entry_t *
s_entry (cache_t *self, const char *key)
{
    s_entry_t *entry = zhashx_lookup (self->entries, key);
    if (entry) {
        s_unlink (self, entry);
        s_push_newest (self, entry);
        return entry;
    }
    //  Never evict an entry a caller is bound to come back to.
    for (s_entry_t *old = self->oldest; old && self->count >= self->config.max_entries; ) {
        s_entry_t *newer = old->newer;
        if (!old->flying && old->waiters == 0)
            s_remove (self, old);
        old = newer;
    }
    entry = calloc (1, sizeof *entry);
    if (!entry || !(entry->key = strdup (key))) {
        free (entry);
        return NULL;
    }
    if (zhashx_insert (self->entries, key, entry)) {
        s_entry_free (entry);
        return NULL;
    }
    self->count++;
    s_push_newest (self, entry);
    return entry;
}

static void
s_fly (cache_t *self, s_entry_t *entry)
{
    entry->flying = true;
    entry->flight_start = self->now_ms (self->clock_arg);
    entry->flights++;
}

//  Waits on the entry's round trip in flight until it ends or `until`
//  (CLOCK_MONOTONIC) passes. Returns true if it ended.
static bool
s_wait (cache_t *self, s_entry_t *entry, const struct timespec *until)
{
    uint64_t mine = entry->flights;
    entry->waiters++;
    self->waiting++;
    int rc = 0;
    while (entry->done < mine && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait (&self->landed, &self->lock, until);
    entry->waiters--;
    self->waiting--;
    return entry->done >= mine;
}

cache_outcome_t
cache_lookup (cache_t *self, const char *key, int wait_ms, cJSON **reply, char *err)
{
    *reply = NULL;
    struct timespec until;
    clock_gettime (CLOCK_MONOTONIC, &until);
    int64_t ns = until.tv_nsec + (int64_t) (wait_ms > 0? wait_ms: 0) % 1000 * 1000000;
    until.tv_sec += (wait_ms > 0? wait_ms: 0) / 1000 + ns / 1000000000;
    until.tv_nsec = ns % 1000000000;

    pthread_mutex_lock (&self->lock);
    cache_outcome_t outcome = CACHE_BYPASS;
    //  Bounded: each turn either answers, or waits until a round trip
    //  ended; the wait's deadline ends it.
    for (int turn = 0; turn < 1000; turn++) {
        s_entry_t *entry = s_entry (self, key);
        if (!entry)
            break;                      //  out of memory: go without the cache
        int64_t now = self->now_ms (self->clock_arg);
        if (entry->reply && now < entry->expiry) {
            *reply = cJSON_Duplicate (entry->reply, true);
            if (!*reply)
                break;
            outcome = CACHE_HIT;
            if (!entry->flying
            &&  cache_xfetch (now, entry->delta, self->config.beta, self->random (self->random_arg), entry->expiry)) {
                s_fly (self, entry);
                outcome = CACHE_REFRESH;
            }
            break;
        }
        if (!entry->flying) {
            s_fly (self, entry);
            outcome = CACHE_MISS;
            break;
        }
        if (!s_wait (self, entry, &until))
            break;                      //  BYPASS
        //  The round trip ended (its entry is kept while anyone waits).
        now = self->now_ms (self->clock_arg);
        if (entry->reply && now < entry->expiry) {
            *reply = cJSON_Duplicate (entry->reply, true);
            outcome = *reply? CACHE_HIT: CACHE_BYPASS;
            break;
        }
        if (entry->error) {
            err_set (err, "%s", entry->error);
            outcome = CACHE_SHARED_ERROR;
            break;
        }
    }
    pthread_mutex_unlock (&self->lock);
    return outcome;
}

void
cache_done (cache_t *self, const char *key, const cJSON *reply, const char *error)
{
    pthread_mutex_lock (&self->lock);
    s_entry_t *entry = zhashx_lookup (self->entries, key);
    if (entry && entry->flying) {
        int64_t now = self->now_ms (self->clock_arg);
        cJSON *copy = reply? cJSON_Duplicate (reply, true): NULL;
        free (entry->error);
        entry->error = NULL;
        if (copy) {
            cJSON_Delete (entry->reply);
            entry->reply = copy;
            entry->expiry = now + self->config.ttl_ms;
            entry->delta = now - entry->flight_start;
        }
        else
            entry->error = strdup (error && *error? error: "the request failed");
        entry->flying = false;
        entry->done = entry->flights;
        if (!entry->reply && entry->waiters == 0)
            s_remove (self, entry);     //  nothing to keep, nobody to tell
        pthread_cond_broadcast (&self->landed);
    }
    pthread_mutex_unlock (&self->lock);
}

int
cache_size (cache_t *self)
{
    pthread_mutex_lock (&self->lock);
    int count = self->count;
    pthread_mutex_unlock (&self->lock);
    return count;
}

int
cache_waiting (cache_t *self)
{
    pthread_mutex_lock (&self->lock);
    int waiting = self->waiting;
    pthread_mutex_unlock (&self->lock);
    return waiting;
}
