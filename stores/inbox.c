/*  inbox.c - the message ids a replyer has answered, with their replies, in an SQLite file. */
#include <stdlib.h>
#include <string.h>
#include "inbox.h"
#include "store.h"

#define S_VERSION 1             //  PRAGMA user_version of an inbox file

static const char s_schema [] =
    "CREATE TABLE IF NOT EXISTS inbox ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"  //  age order, for pruning
    "  message_id TEXT NOT NULL UNIQUE,"
    "  reply TEXT NOT NULL,"                    //  the return args as JSON text
    "  handled_ms INTEGER NOT NULL);";

struct _inbox_t {
    sqlite3 *db;
    char *path;
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
    inbox_t *self = calloc (1, sizeof *self);
    if (!self || !(self->path = strdup (path))) {
        free (self);
        err_set (err, "%s: cannot open the inbox: out of memory", path);
        return NULL;
    }
    self->db = store_open (path, "inbox", full_sync, s_schema, S_VERSION, NULL, err);
    if (!self->db
    ||  !(self->lookup = store_prepare (self->db, "SELECT reply FROM inbox WHERE message_id = ?1", err))
    ||  !(self->record = store_prepare (self->db,
            "INSERT INTO inbox (message_id, reply, handled_ms) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (message_id) DO NOTHING", err))
    ||  !(self->count = store_prepare (self->db, "SELECT count(*) FROM inbox", err))
    ||  !(self->prune = store_prepare (self->db,
            "DELETE FROM inbox WHERE seq <= (SELECT seq FROM inbox ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
            err)))
        inbox_destroy (&self);
    return self;
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
    sqlite3_close (self->db);
    free (self->path);
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
