/*  outbox.c - a durable queue of outbound messages in an SQLite file (store and forward). */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "outbox.h"
#include "store.h"

#define S_VERSION 1             //  PRAGMA user_version of an outbox file

//  %1$s is the table, %2$s its index (outbox, outbox_state in a file of its own).
static const char s_schema [] =
    "CREATE TABLE IF NOT EXISTS %1$s ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  message_id TEXT NOT NULL UNIQUE,"
    "  workflow_id TEXT NOT NULL,"
    "  args TEXT NOT NULL,"
    "  state INTEGER NOT NULL DEFAULT 0,"       //  0 pending, 1 delivered, 2 failed
    "  created_ms INTEGER NOT NULL,"
    "  done_ms INTEGER,"
    "  error TEXT);"
    "CREATE INDEX IF NOT EXISTS %2$s ON %1$s (state, seq);";

static const char s_insert_sql [] =
    "INSERT INTO %1$s (message_id, workflow_id, args, created_ms) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (message_id) DO NOTHING";

struct _outbox_t {
    sqlite3 *db;
    char *path;
    char *table;                //  the quoted table name
    sqlite3 *tx_db;             //  the thread transaction's connection tx_insert was prepared on
    sqlite3_stmt *tx_insert;    //  the insert on tx_db (a staged enqueue)
    store_commit_fn *on_commit; //  called after a transaction that staged rows commits
    void *on_commit_arg;
    pthread_mutex_t lock;       //  guards db's transaction between its writer and a group's owner
    bool group_open;            //  a group's transaction is open on db
    pthread_t group_owner;      //  the thread whose group it is
    sqlite3_stmt *insert;
    sqlite3_stmt *next;
    sqlite3_stmt *deliver;
    sqlite3_stmt *deliver_run;  //  a run of consecutive seqs at once
    sqlite3_stmt *fail;
    sqlite3_stmt *count;
    sqlite3_stmt *prune;
    sqlite3_stmt *known;        //  is a message id in the file?
    sqlite3_stmt *remove;       //  deletes a delivered row (low on disk)
    sqlite3_stmt *remove_delivered; //  deletes every delivered row (going low on disk)
    sqlite3_stmt *forget_some;  //  deletes the oldest delivered rows, a few (short of room)
    sqlite3_stmt *free_pages;   //  PRAGMA freelist_count
    long long page_size;
    bool low;                   //  the last check found the disk low
    bool checkpoint_set;        //  wal_autocheckpoint was set for the last check's finding
    bool roomy;                 //  the last check found OUTBOX_ROOMY_BYTES free
    char warning [ERR_LEN];     //  from opening, or ""
};

//  The calling thread's group commit (outbox_group_begin): the outboxes
//  with a transaction open for it.
typedef struct {
    bool on;
    int count;
    int size;
    outbox_t **open;
} s_group_t;

static __thread s_group_t s_group;

static int
s_db_error (outbox_t *self, char *err)
{
    return err_set (err, "%s: %s", self->path, sqlite3_errmsg (self->db));
}

//  The error of a failed write, saying "disk full" when it is.
static int
s_write_error (outbox_t *self, int rc, const char *what, char *err)
{
    if (store_disk_full (self->db, rc))
        return err_set (err, "%s: disk full: %s (%s)", self->path, what, sqlite3_errmsg (self->db));
    return err_set (err, "%s: %s: %s", self->path, what, sqlite3_errmsg (self->db));
}

//  True if the file system has less than OUTBOX_RESERVE_BYTES free.
static bool
s_low (outbox_t *self)
{
    long long free_bytes = store_free_bytes (self->path);
    bool low = free_bytes >= 0 && free_bytes < OUTBOX_RESERVE_BYTES;
    //  With plenty of room, a longer log between checkpoints (each syncs
    //  the file); else the stores' short one, which keeps rows in the file
    //  and the log from eating the last free bytes.
    bool roomy = free_bytes < 0 || free_bytes >= OUTBOX_ROOMY_BYTES;
    if (roomy != self->roomy || !self->checkpoint_set) {
        char pragma [64];
        snprintf (pragma, sizeof pragma, "PRAGMA wal_autocheckpoint=%d", roomy? OUTBOX_WAL_PAGES: STORE_WAL_PAGES);
        sqlite3_exec (self->db, pragma, NULL, NULL, NULL);
        self->checkpoint_set = true;
        self->roomy = roomy;
    }
    self->low = low;
    return self->low;
}

//  Bytes of free pages inside the file, which new rows use before it grows.
static long long
s_free_pages_bytes (outbox_t *self)
{
    long long pages = sqlite3_step (self->free_pages) == SQLITE_ROW
                    ? sqlite3_column_int64 (self->free_pages, 0): 0;
    sqlite3_reset (self->free_pages);
    return pages * self->page_size;
}

outbox_t *
outbox_open (const char *path, bool full_sync, char *err)
{
    return outbox_open_table (path, NULL, full_sync, err);
}

//  `format` with %1$s the table (and %2$s index): a fresh string, or NULL.
static char *
s_sql (const char *format, const char *table, const char *index)
{
    size_t size = strlen (format) + 4 * strlen (table) + (index? strlen (index): 0) + 1;
    char *sql = malloc (size);
    if (sql)
        snprintf (sql, size, format, table, index? index: "");
    return sql;
}

//  Prepares `format` with the table name; NULL with err on failure.
static sqlite3_stmt *
s_prepare (outbox_t *self, sqlite3 *db, const char *format, char *err)
{
    char *sql = s_sql (format, self->table, NULL);
    if (!sql) {
        err_set (err, "%s: out of memory", self->path);
        return NULL;
    }
    sqlite3_stmt *stmt = store_prepare (db, sql, err);
    free (sql);
    return stmt;
}

outbox_t *
outbox_open_table (const char *path, const char *table, bool full_sync, char *err)
{
    outbox_t *self = calloc (1, sizeof *self);
    char *index_name = NULL, *index = NULL, *schema = NULL;
    if (table && (index_name = malloc (strlen (table) + 8)))
        sprintf (index_name, "%s:state", table);
    if (!self || !(self->path = strdup (path))
    ||  !(self->table = table? store_quote (table): strdup ("outbox"))
    ||  !(index = table? (index_name? store_quote (index_name): NULL): strdup ("outbox_state"))
    ||  !(schema = s_sql (s_schema, self->table, index))) {
        if (self)
            free (self->path), free (self->table);
        free (self);
        free (index_name), free (index), free (schema);
        err_set (err, "%s: cannot open the outbox: out of memory", path);
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    self->db = store_open_table (path, "outbox", full_sync, schema, S_VERSION, table, self->warning, err);
    free (index_name), free (index), free (schema);
    if (!self->db
    ||  !(self->insert = s_prepare (self, self->db, s_insert_sql, err))
    ||  !(self->next = s_prepare (self, self->db,
            "SELECT seq, message_id, workflow_id, args FROM %1$s "
            "WHERE state = 0 AND seq > ?1 ORDER BY seq LIMIT ?2", err))
    ||  !(self->deliver = s_prepare (self, self->db,
            "UPDATE %1$s SET state = 1, done_ms = ?2 WHERE seq = ?1 AND state = 0", err))
    ||  !(self->deliver_run = s_prepare (self, self->db,
            "UPDATE %1$s SET state = 1, done_ms = ?3 WHERE seq BETWEEN ?1 AND ?2 AND state = 0", err))
    ||  !(self->fail = s_prepare (self, self->db,
            "UPDATE %1$s SET state = 2, done_ms = ?2, error = ?3 WHERE seq = ?1 AND state = 0", err))
    ||  !(self->count = s_prepare (self, self->db,
            "SELECT count(*) FROM %1$s WHERE state = ?1", err))
    ||  !(self->prune = s_prepare (self, self->db,
            "DELETE FROM %1$s WHERE state = 1 AND seq <= (SELECT seq FROM %1$s WHERE state = 1 "
            "ORDER BY seq DESC LIMIT 1 OFFSET ?1)", err))
    ||  !(self->known = s_prepare (self, self->db,
            "SELECT 1 FROM %1$s WHERE message_id = ?1", err))
    ||  !(self->remove = s_prepare (self, self->db,
            "DELETE FROM %1$s WHERE seq = ?1 AND state = 0", err))
    ||  !(self->remove_delivered = s_prepare (self, self->db,
            "DELETE FROM %1$s WHERE state = 1", err))
    ||  !(self->forget_some = s_prepare (self, self->db,
            "DELETE FROM %1$s WHERE seq IN (SELECT seq FROM %1$s WHERE state = 1 ORDER BY seq LIMIT 32)", err))
    ||  !(self->free_pages = store_prepare (self->db, "PRAGMA freelist_count", err)))
        outbox_destroy (&self);
    if (self) {
        sqlite3_stmt *stmt = store_prepare (self->db, "PRAGMA page_size", err);
        self->page_size = stmt && sqlite3_step (stmt) == SQLITE_ROW? sqlite3_column_int64 (stmt, 0): 4096;
        sqlite3_finalize (stmt);
    }
    return self;
}

void
outbox_on_commit (outbox_t *self, store_commit_fn *fn, void *arg)
{
    self->on_commit = fn;
    self->on_commit_arg = arg;
}

void
outbox_destroy (outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    outbox_t *self = *self_p;
    //  A group left open (svcfw_main returned without committing): what it
    //  stored is kept, as if committed at the end.
    if (self->group_open)
        sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
    for (int i = 0; i < s_group.count; i++)
        if (s_group.open [i] == self)
            s_group.open [i] = NULL;
    pthread_mutex_destroy (&self->lock);
    sqlite3_finalize (self->insert);
    sqlite3_finalize (self->next);
    sqlite3_finalize (self->deliver);
    sqlite3_finalize (self->deliver_run);
    sqlite3_finalize (self->fail);
    sqlite3_finalize (self->count);
    sqlite3_finalize (self->prune);
    sqlite3_finalize (self->known);
    sqlite3_finalize (self->remove);
    sqlite3_finalize (self->free_pages);
    sqlite3_finalize (self->remove_delivered);
    sqlite3_finalize (self->forget_some);
    sqlite3_finalize (self->tx_insert);
    //  _v2: an outbox may still hold a statement prepared on this
    //  connection (a staged enqueue's); the connection then goes with it.
    sqlite3_close_v2 (self->db);
    free (self->path);
    free (self->table);
    free (self);
    *self_p = NULL;
}

const char *
outbox_path (const outbox_t *self)
{
    return self->path;
}

const char *
outbox_warning (const outbox_t *self)
{
    return self->warning [0]? self->warning: NULL;
}

//  Low on disk, after a write: copies the WAL into the file and cuts it to
//  nothing (waiting, within the busy timeout, for the other connection's
//  read), so the log's bytes go back to the file system instead of the log
//  growing into the last free ones. Best effort: when it cannot, the next
//  write appends to the log.
static void
s_truncate_wal (outbox_t *self)
{
    if (self->low)
        sqlite3_wal_checkpoint_v2 (self->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

//  Low on disk: may this message be stored? Returns 1 (store it), 0 (the
//  id is known: nothing to store), or -1 with err (disk full).
static int
s_admit (outbox_t *self, const char *message_id, const char *args, char *err)
{
    sqlite3_bind_text (self->known, 1, message_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (self->known);
    sqlite3_reset (self->known);
    sqlite3_clear_bindings (self->known);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return s_db_error (self, err);
    //  Rows deleted on delivery left free pages: a new row fits in those
    //  without taking the reserve (with room for its index entries).
    long long needed = 4 * self->page_size + 2 * (long long) (strlen (args) + strlen (message_id));
    if (s_free_pages_bytes (self) >= needed)
        return 1;
    //  Delivered rows are kept only to remember their ids: short of room,
    //  they go first, and their pages take new rows (an id sent again is
    //  then stored again, and the receiver's inbox answers it). A few at a
    //  time, the log cut after each, so that the deletes themselves fit in
    //  what is left. Not from inside a handler's transaction on another
    //  connection to this file, which holds the file's one write lock.
    if (!store_tx_db (self->path))
        for (int round = 0; round < 4096 && s_free_pages_bytes (self) < needed; round++) {
            int rc = sqlite3_step (self->forget_some);
            sqlite3_reset (self->forget_some);
            if (rc != SQLITE_DONE || sqlite3_changes (self->db) == 0)
                break;
            s_truncate_wal (self);
        }
    if (s_free_pages_bytes (self) >= needed)
        return 1;
    return err_set (err, "%s: disk full: less than %d KiB free on its file system, which the "
                         "outbox keeps for delivering what it holds; message not stored",
                    self->path, OUTBOX_RESERVE_BYTES / 1024);
}

//  Commits the group's transaction on self (self->lock held).
static int
s_group_commit_one (outbox_t *self, char *err)
{
    if (!self->group_open)
        return 0;
    self->group_open = false;
    int rc = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        s_write_error (self, rc, "cannot commit the group of messages (not stored)", err);
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

//  Runs an insert statement (s_insert_sql, on the outbox's connection or a
//  thread's transaction) for one message; SQLite's result code.
static int
s_insert (sqlite3_stmt *stmt, const char *message_id, const char *workflow_id, const char *args)
{
    sqlite3_bind_text (stmt, 1, message_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, workflow_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, args, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, store_now_ms ());
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc;
}

//  An enqueue on the outbox's own connection: one transaction, or a part
//  of the calling thread's group.
static int
s_enqueue_own (outbox_t *self, const char *message_id, const char *workflow_id, const char *args, char *err)
{
    pthread_mutex_lock (&self->lock);
    //  Another thread's group is open here: committed now (its rows become
    //  durable early), so this row is not left to that thread's commit.
    if (self->group_open && !pthread_equal (self->group_owner, pthread_self ())
    &&  s_group_commit_one (self, err)) {
        pthread_mutex_unlock (&self->lock);
        return -1;
    }
    bool grouped = s_group.on;
    //  An id the outbox holds opens no group transaction: a producer
    //  restarted from its first id does not keep the write lock (and the
    //  sender's marks) waiting while it skips what is stored.
    if (grouped && !self->group_open) {
        sqlite3_bind_text (self->known, 1, message_id, -1, SQLITE_STATIC);
        int known = sqlite3_step (self->known);
        sqlite3_reset (self->known);
        sqlite3_clear_bindings (self->known);
        if (known == SQLITE_ROW) {
            pthread_mutex_unlock (&self->lock);
            return 0;
        }
    }
    if (grouped && !self->group_open) {
        if (s_group.count == s_group.size) {
            int size = s_group.size? 2 * s_group.size: 8;
            outbox_t **open = realloc (s_group.open, (size_t) size * sizeof *open);
            if (!open) {
                pthread_mutex_unlock (&self->lock);
                return err_set (err, "%s: out of memory", self->path);
            }
            s_group.open = open;
            s_group.size = size;
        }
        int rc = sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            pthread_mutex_unlock (&self->lock);
            return s_write_error (self, rc, "message not stored (cannot begin the group)", err);
        }
        self->group_open = true;
        self->group_owner = pthread_self ();
        s_group.open [s_group.count++] = self;
    }
    //  One statement is one transaction (unless grouped); the conflict
    //  clause makes a known id a no-op inside it.
    sqlite3_stmt *stmt = self->insert;
    int rc = s_insert (stmt, message_id, workflow_id, args);
    int stored = -1;
    if (rc != SQLITE_DONE)
        s_write_error (self, rc, "message not stored", err);
    else
        stored = sqlite3_changes (self->db) > 0? (grouped? 2: 1): 0;
    pthread_mutex_unlock (&self->lock);
    if (stored >= 0 && !grouped)
        s_truncate_wal (self);
    return stored;
}

void
outbox_group_begin (void)
{
    s_group.on = true;
}

bool
outbox_group_on (void)
{
    return s_group.on;
}

int
outbox_group_commit (char *err)
{
    int rc = 0;
    for (int i = 0; i < s_group.count; i++) {
        outbox_t *self = s_group.open [i];
        if (!self)
            continue;
        char why [ERR_LEN];
        pthread_mutex_lock (&self->lock);
        bool mine = self->group_open && pthread_equal (self->group_owner, pthread_self ());
        int failed = mine? s_group_commit_one (self, why): 0;
        pthread_mutex_unlock (&self->lock);
        if (failed && rc == 0)
            rc = err_set (err, "%s", why);
        if (!failed && self->on_commit)
            self->on_commit (self->on_commit_arg);
    }
    free (s_group.open);
    memset (&s_group, 0, sizeof s_group);
    return rc;
}

int
outbox_enqueue (outbox_t *self, const char *message_id, const char *workflow_id,
                const char *args, char *err)
{
    //  Short of room, the log may be what holds it: a checkpoint that a
    //  reader held back leaves it to grow by every write after it (seen:
    //  700 KiB of log after 45 messages on a busy machine). It is cut
    //  first, and the room measured again (not from inside a handler's
    //  transaction on this file, whose write lock the cut would wait for).
    if (s_low (self) && !store_tx_db (self->path)) {
        s_truncate_wal (self);
        s_low (self);
    }
    if (self->low) {
        int admitted = s_admit (self, message_id, args, err);
        if (admitted <= 0)
            return admitted;
    }
    //  Inside the handler thread's transaction on this file: staged there,
    //  committed (or not) with the message's inbox mark.
    sqlite3 *tx = store_tx_db (self->path);
    if (tx && tx != self->tx_db) {
        sqlite3_finalize (self->tx_insert);
        self->tx_db = NULL;
        if (!(self->tx_insert = s_prepare (self, tx, s_insert_sql, err)))
            return -1;
        self->tx_db = tx;
    }
    if (!tx)
        return s_enqueue_own (self, message_id, workflow_id, args, err);
    //  The conflict clause makes a known id a no-op, so there is no window
    //  between look and store.
    sqlite3_stmt *stmt = self->tx_insert;
    int rc = s_insert (stmt, message_id, workflow_id, args);
    if (rc != SQLITE_DONE)
        return err_set (err, "%s: message not stored: %s", self->path, sqlite3_errmsg (tx));
    if (sqlite3_changes (tx) == 0)
        return 0;
    if (self->on_commit)
        store_tx_on_commit (self->on_commit, self->on_commit_arg);
    return 2;
}

static char *
s_column (sqlite3_stmt *stmt, int column)
{
    const char *text = (const char *) sqlite3_column_text (stmt, column);
    return strdup (text? text: "");
}

int
outbox_next (outbox_t *self, int64_t after_seq, int max, outbox_row_t *rows, char *err)
{
    sqlite3_stmt *stmt = self->next;
    sqlite3_bind_int64 (stmt, 1, after_seq);
    sqlite3_bind_int (stmt, 2, max);
    int count = 0, rc = SQLITE_DONE;
    while (count < max && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        outbox_row_t *row = &rows [count++];
        row->seq = sqlite3_column_int64 (stmt, 0);
        row->message_id = s_column (stmt, 1);
        row->workflow_id = s_column (stmt, 2);
        row->args = s_column (stmt, 3);
        if (!row->message_id || !row->workflow_id || !row->args) {
            sqlite3_reset (stmt);
            outbox_rows_free (rows, count);
            return err_set (err, "%s: out of memory", self->path);
        }
    }
    if (count < max && rc != SQLITE_DONE) {
        s_db_error (self, err);
        sqlite3_reset (stmt);
        outbox_rows_free (rows, count);
        return -1;
    }
    sqlite3_reset (stmt);
    return count;
}

void
outbox_rows_free (outbox_row_t *rows, int count)
{
    for (int i = 0; i < count; i++) {
        free (rows [i].message_id);
        free (rows [i].workflow_id);
        free (rows [i].args);
        memset (&rows [i], 0, sizeof rows [i]);
    }
}

int
outbox_mark_delivered (outbox_t *self, const int64_t *seqs, int count, char *err)
{
    if (count <= 0)
        return 0;
    //  Low on disk, delivered rows are deleted, not kept: their pages take
    //  new rows (the ids are then forgotten: sent again, they are stored
    //  again, and the receiver's inbox answers them).
    bool was_low = self->low;
    bool low = s_low (self);
    sqlite3_stmt *stmt = low? self->remove: self->deliver;
    int rc = sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return s_write_error (self, rc, "cannot mark messages delivered", err);
    long long now = store_now_ms ();
    for (int i = 0; i < count && rc == SQLITE_OK; i++) {
        //  A run of consecutive seqs (the usual case) is one statement.
        int last = i;
        while (!low && last + 1 < count && seqs [last + 1] == seqs [last] + 1)
            last++;
        sqlite3_stmt *one = last > i? self->deliver_run: stmt;
        sqlite3_bind_int64 (one, 1, seqs [i]);
        if (last > i) {
            sqlite3_bind_int64 (one, 2, seqs [last]);
            sqlite3_bind_int64 (one, 3, now);
        }
        else if (!low)
            sqlite3_bind_int64 (one, 2, now);
        rc = sqlite3_step (one);
        sqlite3_reset (one);
        rc = rc == SQLITE_DONE? SQLITE_OK: rc;
        i = last;
    }
    //  Going low, the delivered rows kept so far go too.
    if (rc == SQLITE_OK && low && !was_low)
    {
        rc = sqlite3_step (self->remove_delivered);
        sqlite3_reset (self->remove_delivered);
        rc = rc == SQLITE_DONE? SQLITE_OK: rc;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        s_write_error (self, rc, "cannot mark messages delivered", err);
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    s_truncate_wal (self);
    return 0;
}

int
outbox_mark_failed (outbox_t *self, int64_t seq, const char *error, char *err)
{
    sqlite3_bind_int64 (self->fail, 1, seq);
    sqlite3_bind_int64 (self->fail, 2, store_now_ms ());
    sqlite3_bind_text (self->fail, 3, error, -1, SQLITE_STATIC);
    int rc = sqlite3_step (self->fail);
    sqlite3_reset (self->fail);
    sqlite3_clear_bindings (self->fail);
    return rc == SQLITE_DONE? 0: s_db_error (self, err);
}

static long
s_count (outbox_t *self, int state, char *err)
{
    sqlite3_bind_int (self->count, 1, state);
    long count = -1;
    if (sqlite3_step (self->count) == SQLITE_ROW)
        count = (long) sqlite3_column_int64 (self->count, 0);
    else
        s_db_error (self, err);
    sqlite3_reset (self->count);
    return count;
}

int
outbox_counts (outbox_t *self, long *pending, long *delivered, long *failed, char *err)
{
    long *outs [3] = { pending, delivered, failed };
    for (int state = 0; state < 3; state++)
        if (outs [state] && (*outs [state] = s_count (self, state, err)) < 0)
            return -1;
    return 0;
}

long
outbox_prune (outbox_t *self, long keep, char *err)
{
    sqlite3_bind_int64 (self->prune, 1, keep < 0? 0: keep);
    int rc = sqlite3_step (self->prune);
    sqlite3_reset (self->prune);
    if (rc != SQLITE_DONE)
        return s_db_error (self, err);
    return (long) sqlite3_changes (self->db);
}

int
outbox_lock (const char *path, char *err)
{
    return outbox_lock_table (path, NULL, err);
}

int
outbox_lock_table (const char *path, const char *table, char *err)
{
    //  A file of its own: SQLite holds POSIX locks on the database, which a
    //  second descriptor to it, closed, would drop. One per table: the
    //  table's name, its slashes made dashes.
    char lock_path [4200];
    char name [4200] = "";
    if (table) {
        snprintf (name, sizeof name, "-%s", table);
        for (char *c = name; *c; c++)
            if (*c == '/')
                *c = '-';
    }
    if (snprintf (lock_path, sizeof lock_path, "%s%s-lock", path, name) >= (int) sizeof lock_path)
        return err_set (err, "%s: the path is too long", path);
    int fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set (err, "%s: cannot open the outbox: %s: %s", path, lock_path, strerror (errno));
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
        int error = errno;
        close (fd);
        if (error == EWOULDBLOCK)
            return err_set (err, "%s: the outbox is in use by another process", path);
        return err_set (err, "%s: cannot lock the outbox: %s", path, strerror (error));
    }
    return fd;
}
