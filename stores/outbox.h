/*  outbox.h - a durable queue of outbound messages in an SQLite file (store and forward).

    Each row is one message: a sequence number (its place in the queue), a
    message id unique in the file, the workflow id, the args as JSON text,
    and its state: pending, delivered (acknowledged by the downstream) or
    failed (answered with an error reply until the sender gave up; kept,
    with the error, for a person to look at). Rows are taken oldest first.

    Delivered rows are kept, up to a bound, so that enqueueing an id the
    outbox already holds stays a no-op: a producer restarted after a crash
    can enqueue its ids again from the start without sending any twice.

    Two connections share one file: the producer's (outbox_open with
    full_sync, so an enqueue that returned survives a power cut) and the
    sender's (which only marks rows, and may lose the last marks to a power
    cut: those messages are then sent again, which the receiver's inbox
    absorbs). Each connection is used by one thread at a time.
*/
#ifndef OUTBOX_H_INCLUDED
#define OUTBOX_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "err.h"
#include "store.h"

#define OUTBOX_KEEP_DELIVERED 100000    //  delivered ids remembered, by default
#define OUTBOX_RESERVE_BYTES (256 * 1024) //  free disk kept for delivering what is stored
#define OUTBOX_WAL_PAGES 1000   //  pages in the log before a checkpoint with OUTBOX_ROOMY_BYTES free (else STORE_WAL_PAGES)
#define OUTBOX_ROOMY_BYTES (256LL * 1024 * 1024)  //  free disk above which the log may grow to OUTBOX_WAL_PAGES

typedef struct _outbox_t outbox_t;

/* One queued message. Its strings are owned by the row (outbox_rows_free). */
typedef struct {
    int64_t seq;                //  place in the queue; larger is newer
    char *message_id;
    char *workflow_id;
    char *args;                 //  JSON text of the args object
} outbox_row_t;

/* Opens (creating if missing) the outbox file at `path`; `full_sync`
   chooses synchronous=FULL (each commit reaches the disk) over NORMAL.
   Returns a fresh outbox the caller owns (outbox_destroy), or NULL with
   err = "PATH: cannot open the outbox: REASON". */
outbox_t *outbox_open (const char *path, bool full_sync, char *err);

/* As outbox_open, for one of several outboxes in one file (the service's
   --store file): its rows are kept in the table named `table` (any text;
   quoted). NULL: the table "outbox" of a file of its own. */
outbox_t *outbox_open_table (const char *path, const char *table, bool full_sync, char *err);

/* Sets the call made after a thread transaction that staged rows of this
   outbox commits (outbox_enqueue's return 2): e.g. its sender's wake-up.
   The thread that owns self, before any enqueue. */
void outbox_on_commit (outbox_t *self, store_commit_fn *fn, void *arg);

/* What opening found that the caller should log as a WARNING (a
   zero-length file whose -wal is not empty, taken as a new, empty outbox),
   or NULL. Borrowed from self. */
const char *outbox_warning (const outbox_t *self);
/* Closes; accepts NULL and nulls the caller's pointer. */
void outbox_destroy (outbox_t **self_p);

/* Stores one pending message, in one transaction (the strings are copied).
   Returns 1 if stored, 0 if the outbox already holds `message_id`
   (pending, delivered or failed: nothing changes), or -1 with err.
   When the calling thread has a transaction open on this file
   (store_tx_begin), the row is written in that transaction instead, and
   the result is 2 (staged: stored when it commits; the on-commit call
   then runs) or 0 (known). With
   less than OUTBOX_RESERVE_BYTES free on its file system (kept so that
   what is stored can still be delivered and marked), a new message is
   stored only into the free pages that delivered rows left; else, and on
   a write that finds the disk full, -1 with err = "PATH: disk full: …". */
int outbox_enqueue (outbox_t *self, const char *message_id, const char *workflow_id,
                    const char *args, char *err);

/*  Group commit. Between outbox_group_begin and outbox_group_commit, the
    calling thread's enqueues into each outbox (on its own connection) go
    into one transaction per outbox, committed together at the end: one
    commit (one fsync with full_sync) for the whole group instead of one per
    message. outbox_enqueue then returns 2 for a new row (stored when the
    group commits; the outbox's on-commit call runs then). Another thread's
    enqueue into an outbox with an open group commits that group's rows
    first (they become durable early). An outbox destroyed with a group
    open commits it. A transaction open on the thread (store_tx_begin) takes
    precedence: the rows go into it. */
void outbox_group_begin (void);

/* True between outbox_group_begin and outbox_group_commit on this thread. */
bool outbox_group_on (void);

/* Commits every outbox transaction of the calling thread's group and ends
   the group (a commit that fails is rolled back: those rows are not
   stored). Returns 0, or -1 with err naming the first that failed. */
int outbox_group_commit (char *err);

/* Up to `max` pending rows with seq > after_seq, oldest first, into
   rows[0..] (an array of at least max entries). Returns how many, or -1
   with err. The caller frees them with outbox_rows_free. */
int outbox_next (outbox_t *self, int64_t after_seq, int max, outbox_row_t *rows, char *err);

/* Frees the strings of rows[0..count-1] and zeroes them. */
void outbox_rows_free (outbox_row_t *rows, int count);

/* Marks the rows `seqs[0..count-1]` delivered, in one transaction. With
   less than OUTBOX_RESERVE_BYTES free, deletes them instead (and, the
   first time, every delivered row kept): their ids are then forgotten.
   Returns 0 or -1 with err. */
int outbox_mark_delivered (outbox_t *self, const int64_t *seqs, int count, char *err);

/* Marks row `seq` failed with the error text. Returns 0 or -1 with err. */
int outbox_mark_failed (outbox_t *self, int64_t seq, const char *error, char *err);

/* Rows in each state (any pointer may be NULL). Returns 0 or -1 with err. */
int outbox_counts (outbox_t *self, long *pending, long *delivered, long *failed, char *err);

/* Deletes the oldest delivered rows beyond the newest `keep`. Returns the
   number deleted, or -1 with err. */
long outbox_prune (outbox_t *self, long keep, char *err);

/* Takes the outbox file's lock: an flock on PATH-lock, so that one process
   at a time sends from an outbox (two senders would break its order). The
   kernel drops the lock when the process ends, however it ends. Returns the
   lock's file descriptor (close it to let go), or -1 with err =
   "PATH: the outbox is in use by another process" or why it cannot be taken. */
int outbox_lock (const char *path, char *err);

/* outbox_lock for the outbox in table `table` of a shared file (outbox_open_table):
   the lock file is PATH-TABLE-lock ('/' in the name made '-'). NULL: outbox_lock. */
int outbox_lock_table (const char *path, const char *table, char *err);

/* The file's path. Borrowed. */
const char *outbox_path (const outbox_t *self);

#endif
