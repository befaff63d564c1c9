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
