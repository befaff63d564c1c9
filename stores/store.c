/*  store.c - an SQLite file for the outbox and the inbox: opened, set up, checked. */
#include <string.h>
#include <time.h>
#include "store.h"

static int
s_fail (sqlite3 *db, const char *path, const char *what, char *err)
{
    return err_set (err, "%s: cannot open the %s: %s", path, what,
                    db? sqlite3_errmsg (db): "out of memory");
}

sqlite3 *
store_open (const char *path, const char *what, bool full_sync, const char *schema,
            int version, char *err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout (db, STORE_BUSY_MS);
    sqlite3_extended_result_codes (db, 1);

    //  WAL is a property of the file; journal_mode answers with the mode it
    //  got, which is not "wal" on a file system that cannot share memory.
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, "PRAGMA journal_mode=WAL", -1, &stmt, NULL) != SQLITE_OK)
        goto fail;
    rc = sqlite3_step (stmt);
    bool wal = rc == SQLITE_ROW
            && strcmp ((const char *) sqlite3_column_text (stmt, 0), "wal") == 0;
    sqlite3_finalize (stmt);
    if (!wal) {
        err_set (err, "%s: cannot open the %s: the file cannot use a WAL journal (%s)",
                 path, what, rc == SQLITE_ROW? "another journal mode was kept": sqlite3_errmsg (db));
        sqlite3_close (db);
        return NULL;
    }
    if (sqlite3_exec (db, full_sync? "PRAGMA synchronous=FULL": "PRAGMA synchronous=NORMAL",
                      NULL, NULL, NULL) != SQLITE_OK)
        goto fail;

    if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
        goto rollback;
    int found = sqlite3_step (stmt) == SQLITE_ROW? sqlite3_column_int (stmt, 0): -1;
    sqlite3_finalize (stmt);
    if (found != 0 && found != version) {
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        err_set (err, "%s: cannot open the %s: it is not an svcfw %s of version %d "
                      "(user_version %d)", path, what, what, version, found);
        sqlite3_close (db);
        return NULL;
    }
    if (sqlite3_exec (db, schema, NULL, NULL, NULL) != SQLITE_OK)
        goto rollback;
    char set_version [64];
    snprintf (set_version, sizeof set_version, "PRAGMA user_version=%d", version);
    if (sqlite3_exec (db, set_version, NULL, NULL, NULL) != SQLITE_OK
    ||  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto rollback;
    return db;

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
