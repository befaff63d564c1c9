/*  inbox.c - the message ids a replyer has answered, with their replies, in an SQLite file. */
#include <stdlib.h>
#include <string.h>
#include "inbox.h"
#include "store.h"

#define S_VERSION 1             //  PRAGMA user_version of an inbox file

//  %1$s is the table: inbox in a file of its own.
static const char s_schema [] =
    "CREATE TABLE IF NOT EXISTS %1$s ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"  //  age order, for pruning
    "  message_id TEXT NOT NULL UNIQUE,"
    "  reply TEXT NOT NULL,"                    //  the return args as JSON text
    "  handled_ms INTEGER NOT NULL);";

struct _inbox_t {
    sqlite3 *db;
    char *path;
    char *table;                //  quoted
    sqlite3_stmt *lookup;
    sqlite3_stmt *record;
    sqlite3_stmt *count;
    sqlite3_stmt *prune;
};

static int
s_db_error (inbox_t *self, char *err)
{
    return err_set (err, "%s: %s", self->path, sqlite3_errmsg (self->db));
}

inbox_t *
inbox_open (const char *path, bool full_sync, char *err)
{
    return inbox_open_table (path, NULL, full_sync, err);
}

//  `format` with %1$s the (quoted) table: a fresh string, or NULL.
static char *
s_sql (const inbox_t *self, const char *format)
{
    size_t size = strlen (format) + 4 * strlen (self->table) + 1;
    char *sql = malloc (size);
    if (sql)
        snprintf (sql, size, format, self->table);
    return sql;
}

//  Prepares `format` with the table; NULL with err on failure.
static sqlite3_stmt *
s_prepare (inbox_t *self, const char *format, char *err)
{
    char *sql = s_sql (self, format);
    if (!sql) {
        err_set (err, "%s: out of memory", self->path);
        return NULL;
    }
    sqlite3_stmt *stmt = store_prepare (self->db, sql, err);
    free (sql);
    return stmt;
}

inbox_t *
inbox_open_table (const char *path, const char *table, bool full_sync, char *err)
{
    inbox_t *self = calloc (1, sizeof *self);
    char *schema = NULL;
    if (!self || !(self->path = strdup (path)) || !(self->table = table? store_quote (table): strdup ("inbox"))
    ||  !(schema = s_sql (self, s_schema))) {
        if (self)
            free (self->path), free (self->table);
        free (self);
        err_set (err, "%s: cannot open the inbox: out of memory", path);
        return NULL;
    }
    self->db = store_open_table (path, "inbox", full_sync, schema, S_VERSION, table, NULL, err);
    free (schema);
    //  A checkpoint writes (and syncs) the log into the file: every
    //  INBOX_WAL_PAGES pages rather than the stores' small default, as the
    //  inbox's rows are written once per request and never freed for reuse
    //  by a full disk's outbox.
    char pragma [64];
    snprintf (pragma, sizeof pragma, "PRAGMA wal_autocheckpoint=%d", INBOX_WAL_PAGES);
    if (!self->db
    ||  store_exec (self->db, pragma, err)
    ||  !(self->lookup = s_prepare (self, "SELECT reply FROM %1$s WHERE message_id = ?1", err))
    ||  !(self->record = s_prepare (self,
            "INSERT INTO %1$s (message_id, reply, handled_ms) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (message_id) DO NOTHING", err))
    ||  !(self->count = s_prepare (self, "SELECT count(*) FROM %1$s", err))
    ||  !(self->prune = s_prepare (self,
            "DELETE FROM %1$s WHERE seq <= (SELECT seq FROM %1$s ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
            err)))
        inbox_destroy (&self);
    return self;
}

int
inbox_begin (inbox_t *self, char *err)
{
    return store_tx_begin (self->db, self->path, err);
}

void
inbox_destroy (inbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    inbox_t *self = *self_p;
    sqlite3_finalize (self->lookup);
    sqlite3_finalize (self->record);
    sqlite3_finalize (self->count);
    sqlite3_finalize (self->prune);
    //  _v2: an outbox may still hold a statement prepared on this
    //  connection (a staged enqueue's); the connection then goes with it.
    sqlite3_close_v2 (self->db);
    free (self->path);
    free (self->table);
    free (self);
    *self_p = NULL;
}

int
inbox_lookup (inbox_t *self, const char *message_id, char **reply, char *err)
{
    *reply = NULL;
    sqlite3_bind_text (self->lookup, 1, message_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (self->lookup);
    int found = 0;
    if (rc == SQLITE_ROW) {
        const char *text = (const char *) sqlite3_column_text (self->lookup, 0);
        *reply = strdup (text? text: "{}");
        found = *reply? 1: err_set (err, "%s: out of memory", self->path);
    }
    else if (rc != SQLITE_DONE)
        found = s_db_error (self, err);
    sqlite3_reset (self->lookup);
    sqlite3_clear_bindings (self->lookup);
    return found;
}

int
inbox_record (inbox_t *self, const char *message_id, const char *reply, char *err)
{
    sqlite3_bind_text (self->record, 1, message_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (self->record, 2, reply, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (self->record, 3, store_now_ms ());
    int rc = sqlite3_step (self->record);
    sqlite3_reset (self->record);
    sqlite3_clear_bindings (self->record);
    return rc == SQLITE_DONE? 0: s_db_error (self, err);
}

long
inbox_count (inbox_t *self, char *err)
{
    long count = -1;
    if (sqlite3_step (self->count) == SQLITE_ROW)
        count = (long) sqlite3_column_int64 (self->count, 0);
    else
        s_db_error (self, err);
    sqlite3_reset (self->count);
    return count;
}

long
inbox_prune (inbox_t *self, long keep, char *err)
{
    sqlite3_bind_int64 (self->prune, 1, keep < 0? 0: keep);
    int rc = sqlite3_step (self->prune);
    sqlite3_reset (self->prune);
    if (rc != SQLITE_DONE)
        return s_db_error (self, err);
    return (long) sqlite3_changes (self->db);
}
