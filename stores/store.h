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

/* Opens (creating if missing) the SQLite file at `path` as a store of kind
   `what` ("outbox", "inbox", for messages) with synchronous=FULL when
   `full_sync`, else NORMAL. Runs `schema` (CREATE … IF NOT EXISTS
   statements) in one transaction and sets user_version to `version` on a
   new file; a file whose user_version is another non-zero value is
   refused. Returns a fresh connection the caller owns (sqlite3_close), or
   NULL with err = "PATH: cannot open the WHAT: REASON". */
sqlite3 *store_open (const char *path, const char *what, bool full_sync, const char *schema,
                     int version, char *err);

/* Prepares `sql` on db. Returns the statement (sqlite3_finalize) or NULL
   with err = "PATH: REASON". */
sqlite3_stmt *store_prepare (sqlite3 *db, const char *sql, char *err);

/* Runs `sql` (no rows expected). Returns 0, or -1 with err = "PATH: REASON". */
int store_exec (sqlite3 *db, const char *sql, char *err);

/* Milliseconds since the Unix epoch, for the stored timestamps. */
long long store_now_ms (void);

#endif
