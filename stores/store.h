/*  store.h - an SQLite file for the outbox and the inbox: opened, set up, checked.

    Both stores use the same settings: WAL journal (readers never block the
    writer, and a commit is one append to the log, so a SIGKILL at any
    moment leaves the last committed state), a busy timeout (the outbox's
    writer and its sender share the file from two connections), and a
    schema version in PRAGMA user_version, so a file of another kind or
    version is refused rather than misread.
*/
#ifndef STORE_H_INCLUDED
#define STORE_H_INCLUDED

#include <stdbool.h>
#include <sqlite3.h>
#include "err.h"

#define STORE_BUSY_MS 5000      //  how long a connection waits for another's write lock
#define STORE_WAL_PAGES 32      //  pages in the WAL before a checkpoint (SQLite's default: 1000)

/* Opens (creating if missing) the SQLite file at `path` as a store of kind
   `what` ("outbox", "inbox", for messages) with synchronous=FULL when
   `full_sync`, else NORMAL. On a new file (user_version 0) runs `schema`
   (CREATE … IF NOT EXISTS statements) in one transaction and sets
   user_version to `version`; a file already at `version` is opened
   without any write (so it opens on a full disk); a file whose
   user_version is another non-zero value is refused. `warning` (ERR_LEN,
   may be NULL) is set to "" or, for a zero-length file whose PATH-wal is
   not empty (taken as a new, empty store), a line saying so that the
   caller should log. Returns a fresh connection the caller owns
   (sqlite3_close), or NULL with err = "PATH: cannot open the WHAT: REASON". */
sqlite3 *store_open (const char *path, const char *what, bool full_sync, const char *schema,
                     int version, char *warning, char *err);

/* As store_open, for a file that holds several stores (the service's
   --store file): `table` (an SQL identifier, quoted as needed) is the
   table this store keeps; when the file is already at `version` but has no
   such table, `schema` is run (one transaction) to add it. A NULL table is
   store_open. */
sqlite3 *store_open_table (const char *path, const char *what, bool full_sync, const char *schema,
                           int version, const char *table, char *warning, char *err);

/* `name` as a quoted SQL identifier (`"NAME"`, quotes doubled), for a
   table in a shared store. Returns a fresh string the caller frees with
   free, or NULL when out of memory. */
char *store_quote (const char *name);

/*  The handler thread's transaction (exactly-once processing).

    A dedupe replyer with a --store file opens a transaction on its inbox's
    connection before it calls a handler; until it commits or rolls back,
    a durable send on that same thread into an outbox of the same file is
    written through that connection, inside that transaction (outbox.h,
    outbox_enqueue), so the message's inbox mark and its handler's durable
    sends are committed together or not at all. The transaction belongs to
    the thread that began it: each call below acts on the calling thread's.
*/
typedef void (store_commit_fn) (void *arg);

/* Begins (BEGIN IMMEDIATE) a transaction on db, the calling thread's, for
   the file at `path` (borrowed until it ends). One per thread at a time.
   Returns 0, or -1 with err. */
int store_tx_begin (sqlite3 *db, const char *path, char *err);

/* The connection of the calling thread's open transaction if it is on the
   file at `path`, else NULL. */
sqlite3 *store_tx_db (const char *path);

/* Calls fn (arg) once after the calling thread's transaction commits (a
   second registration of the same fn and arg is ignored); e.g. wakes the
   sender of an outbox written in it. Returns 0, or -1 when more than
   STORE_TX_HOOKS are registered (then fn is called at once: waking early
   is harmless, the sender reads what is committed). */
#define STORE_TX_HOOKS 32
int store_tx_on_commit (store_commit_fn *fn, void *arg);

/* Savepoints inside the transaction, one message's work: begin, release
   (keep), or roll back to it (undo, e.g. a handler that failed). Each
   returns 0 or -1 with err. */
int store_tx_savepoint (char *err);
int store_tx_release (char *err);
int store_tx_undo (char *err);

/* Commits the calling thread's transaction, then calls its on-commit
   hooks. On failure it is rolled back. Returns 0, or -1 with err. */
int store_tx_commit (char *err);

/* Rolls the calling thread's transaction back (hooks dropped). */
void store_tx_rollback (void);

/* True if the result code `rc` of a call on db means the disk is full
   (SQLITE_FULL, or ENOSPC / EDQUOT underneath). */
bool store_disk_full (sqlite3 *db, int rc);

/* Bytes an unprivileged process may still write on the file system that
   holds the file at `path` (statvfs of its folder), or -1. */
long long store_free_bytes (const char *path);

/* Prepares `sql` on db. Returns the statement (sqlite3_finalize) or NULL
   with err = "PATH: REASON". */
sqlite3_stmt *store_prepare (sqlite3 *db, const char *sql, char *err);

/* Runs `sql` (no rows expected). Returns 0, or -1 with err = "PATH: REASON". */
int store_exec (sqlite3 *db, const char *sql, char *err);

/* Milliseconds since the Unix epoch, for the stored timestamps. */
long long store_now_ms (void);

#endif
