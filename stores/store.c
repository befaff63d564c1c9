/*  store.c - an SQLite file for the outbox and the inbox: opened, set up, checked. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include "store.h"

static int
s_fail (sqlite3 *db, const char *path, const char *what, char *err)
{
    if (db && (sqlite3_system_errno (db) == ENOSPC || (sqlite3_errcode (db) & 0xff) == SQLITE_FULL))
        return err_set (err, "%s: cannot open the %s: disk full (%s)", path, what, sqlite3_errmsg (db));
    return err_set (err, "%s: cannot open the %s: %s", path, what,
                    db? sqlite3_errmsg (db): "out of memory");
}

//  One integer from a pragma or query (no rows written); -1 if it fails.
static long long
s_query_int (sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    long long value = -1;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return value;
}

//  True if the connection's journal mode is WAL.
static bool
s_is_wal (sqlite3 *db, const char *sql, int *rc)
{
    sqlite3_stmt *stmt = NULL;
    bool wal = false;
    *rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
    if (*rc == SQLITE_OK && (*rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *mode = (const char *) sqlite3_column_text (stmt, 0);
        wal = mode && strcmp (mode, "wal") == 0;
    }
    sqlite3_finalize (stmt);
    return wal;
}

//  A zero-length file is what SQLite takes as a new, empty database. Fills
//  `warning` when that file was expected to hold rows: its -wal is not empty.
static void
s_check_empty (const char *path, const char *what, char *warning)
{
    struct stat file, wal;
    char wal_path [4200];
    if (!warning || stat (path, &file) != 0 || file.st_size != 0
    ||  snprintf (wal_path, sizeof wal_path, "%s-wal", path) >= (int) sizeof wal_path
    ||  stat (wal_path, &wal) != 0 || wal.st_size == 0)
        return;
    err_set (warning, "%s: the %s file is empty (0 bytes) although %s holds %lld bytes: "
                      "it is taken as a new, empty %s; if it should hold messages, it was "
                      "truncated or replaced", path, what, wal_path, (long long) wal.st_size, what);
}

sqlite3 *
store_open (const char *path, const char *what, bool full_sync, const char *schema,
            int version, char *warning, char *err)
{
    return store_open_table (path, what, full_sync, schema, version, NULL, warning, err);
}

//  True if the file has a table of that (unquoted) name.
static bool
s_has_table (sqlite3 *db, const char *name)
{
    sqlite3_stmt *stmt = NULL;
    bool found = false;
    if (sqlite3_prepare_v2 (db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                            -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step (stmt) == SQLITE_ROW;
    }
    sqlite3_finalize (stmt);
    return found;
}

sqlite3 *
store_open_table (const char *path, const char *what, bool full_sync, const char *schema,
                  int version, const char *table, char *warning, char *err)
{
    if (warning)
        *warning = 0;
    s_check_empty (path, what, warning);
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout (db, STORE_BUSY_MS);
    sqlite3_extended_result_codes (db, 1);
    //  The -wal and -shm files stay when the last connection closes, at the
    //  size they had: a restart on a full disk need not create them (it
    //  could not), and the log's room is there for the writes that drain.
    int persist = 1;
    sqlite3_file_control (db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);

    //  Nothing is written when the file is already set up, so a store on a
    //  full disk still opens (and can be drained): WAL is a property of the
    //  file, asked for first and set only when missing; journal_mode=WAL
    //  answers with the mode it got, which is not "wal" on a file system
    //  that cannot share memory.
    if (!s_is_wal (db, "PRAGMA journal_mode", &rc) && !s_is_wal (db, "PRAGMA journal_mode=WAL", &rc)) {
        if (rc != SQLITE_ROW && sqlite3_system_errno (db) == ENOSPC)
            goto fail;
        err_set (err, "%s: cannot open the %s: the file cannot use a WAL journal (%s)",
                 path, what, rc == SQLITE_ROW? "another journal mode was kept": sqlite3_errmsg (db));
        sqlite3_close (db);
        return NULL;
    }
    //  Connection settings, not writes. A small WAL, checkpointed often,
    //  keeps the rows in the database file, where deleted ones free pages
    //  for new ones, and the log itself small.
    char settings [160];
    snprintf (settings, sizeof settings, "PRAGMA synchronous=%s; PRAGMA wal_autocheckpoint=%d",
              full_sync? "FULL": "NORMAL", STORE_WAL_PAGES);
    if (sqlite3_exec (db, settings, NULL, NULL, NULL) != SQLITE_OK)
        goto fail;

    long long found = s_query_int (db, "PRAGMA user_version");
    if (found == version && (!table || s_has_table (db, table)))
        return db;
    if (found != 0 && found != version)
        goto refuse;
    //  A new file: the schema and the version, in one transaction.
    if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    found = s_query_int (db, "PRAGMA user_version");
    if (found == version && table && s_has_table (db, table)) {
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        return db;              //  another connection added it meanwhile
    }
    if (found != 0 && found != version) {
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        goto refuse;
    }
    if (sqlite3_exec (db, schema, NULL, NULL, NULL) != SQLITE_OK)
        goto rollback;
    char set_version [64];
    snprintf (set_version, sizeof set_version, "PRAGMA user_version=%d", version);
    if (sqlite3_exec (db, set_version, NULL, NULL, NULL) != SQLITE_OK
    ||  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto rollback;
    return db;

refuse:
    err_set (err, "%s: cannot open the %s: it is not an svcfw %s of version %d "
                  "(user_version %lld)", path, what, what, version, found);
    sqlite3_close (db);
    return NULL;
rollback:
    s_fail (db, path, what, err);
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close (db);
    return NULL;
fail:
    s_fail (db, path, what, err);
    sqlite3_close (db);
    return NULL;
}

bool
store_disk_full (sqlite3 *db, int rc)
{
    return (rc & 0xff) == SQLITE_FULL || sqlite3_system_errno (db) == ENOSPC
        || sqlite3_system_errno (db) == EDQUOT;
}

long long
store_free_bytes (const char *path)
{
    //  The folder holds the database and its -wal and -shm.
    char dir [4200];
    snprintf (dir, sizeof dir, "%s", path);
    char *slash = strrchr (dir, '/');
    if (!slash)
        strcpy (dir, ".");
    else if (slash == dir)
        dir [1] = 0;
    else
        *slash = 0;
    struct statvfs vfs;
    if (statvfs (dir, &vfs) != 0)
        return -1;
    return (long long) vfs.f_bavail * (long long) vfs.f_frsize;
}

sqlite3_stmt *
store_prepare (sqlite3 *db, const char *sql, char *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        err_set (err, "%s: %s", sqlite3_db_filename (db, "main"), sqlite3_errmsg (db));
        return NULL;
    }
    return stmt;
}

int
store_exec (sqlite3 *db, const char *sql, char *err)
{
    if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return err_set (err, "%s: %s", sqlite3_db_filename (db, "main"), sqlite3_errmsg (db));
    return 0;
}

long long
store_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
store_quote (const char *name)
{
    size_t len = strlen (name), quotes = 0;
    for (const char *c = name; *c; c++)
        quotes += *c == '"';
    char *quoted = malloc (len + quotes + 3);
    if (!quoted)
        return NULL;
    char *out = quoted;
    *out++ = '"';
    for (const char *c = name; *c; c++) {
        *out++ = *c;
        if (*c == '"')
            *out++ = '"';
    }
    *out++ = '"';
    *out = 0;
    return quoted;
}

//  ---------------------------------------------------------------------------
//  The calling thread's transaction

typedef struct {
    sqlite3 *db;                //  NULL: none open
    const char *path;
    int savepoints;             //  open savepoints
    int hook_count;
    store_commit_fn *hooks [STORE_TX_HOOKS];
    void *hook_args [STORE_TX_HOOKS];
} s_tx_t;

static __thread s_tx_t s_tx;

int
store_tx_begin (sqlite3 *db, const char *path, char *err)
{
    if (s_tx.db)
        return err_set (err, "%s: a transaction is already open on this thread", path);
    if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return err_set (err, "%s: cannot begin a transaction: %s", path, sqlite3_errmsg (db));
    s_tx = (s_tx_t) { .db = db, .path = path };
    return 0;
}

sqlite3 *
store_tx_db (const char *path)
{
    return s_tx.db && path && strcmp (s_tx.path, path) == 0? s_tx.db: NULL;
}

int
store_tx_on_commit (store_commit_fn *fn, void *arg)
{
    for (int i = 0; i < s_tx.hook_count; i++)
        if (s_tx.hooks [i] == fn && s_tx.hook_args [i] == arg)
            return 0;
    if (!s_tx.db || s_tx.hook_count == STORE_TX_HOOKS) {
        fn (arg);
        return s_tx.db? -1: 0;
    }
    s_tx.hooks [s_tx.hook_count] = fn;
    s_tx.hook_args [s_tx.hook_count++] = arg;
    return 0;
}

static int
s_tx_exec (const char *sql, char *err)
{
    if (!s_tx.db)
        return err_set (err, "no transaction is open on this thread");
    if (sqlite3_exec (s_tx.db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return err_set (err, "%s: %s", s_tx.path, sqlite3_errmsg (s_tx.db));
    return 0;
}

int
store_tx_savepoint (char *err)
{
    if (s_tx_exec ("SAVEPOINT svcfw_message", err))
        return -1;
    s_tx.savepoints++;
    return 0;
}

int
store_tx_release (char *err)
{
    if (s_tx.savepoints == 0)
        return err_set (err, "no savepoint is open on this thread");
    s_tx.savepoints--;
    return s_tx_exec ("RELEASE svcfw_message", err);
}

int
store_tx_undo (char *err)
{
    if (s_tx.savepoints == 0)
        return err_set (err, "no savepoint is open on this thread");
    s_tx.savepoints--;
    return s_tx_exec ("ROLLBACK TO svcfw_message; RELEASE svcfw_message", err);
}

int
store_tx_commit (char *err)
{
    if (s_tx_exec ("COMMIT", err)) {
        store_tx_rollback ();
        return -1;
    }
    s_tx_t done = s_tx;
    memset (&s_tx, 0, sizeof s_tx);
    for (int i = 0; i < done.hook_count; i++)
        done.hooks [i] (done.hook_args [i]);
    return 0;
}

void
store_tx_rollback (void)
{
    if (s_tx.db)
        sqlite3_exec (s_tx.db, "ROLLBACK", NULL, NULL, NULL);
    memset (&s_tx, 0, sizeof s_tx);
}
