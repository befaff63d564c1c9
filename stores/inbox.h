/*  inbox.h - the message ids a replyer has answered, with their replies, in an SQLite file.

    A replyer with "dedupe" looks each incoming message id up here; a repeat
    gets the stored reply and its handler is not called again. The reply is
    recorded in the same step as it is sent (commit, then send), so an id
    whose reply the requester saw is always remembered. The newest
    INBOX_KEEP ids are remembered; older ones are pruned.
*/
#ifndef INBOX_H_INCLUDED
#define INBOX_H_INCLUDED

#include <stdbool.h>
#include "err.h"
#include "store.h"

#define INBOX_KEEP 100000       //  ids remembered, by default
#define INBOX_WAL_PAGES 1000    //  pages in the inbox's WAL before a checkpoint (SQLite's default)

typedef struct _inbox_t inbox_t;

/* Opens (creating if missing) the inbox file at `path`. Returns a fresh
   inbox the caller owns (inbox_destroy), or NULL with
   err = "PATH: cannot open the inbox: REASON". */
inbox_t *inbox_open (const char *path, bool full_sync, char *err);

/* As inbox_open, for one of several stores in one file (the service's
   --store file): its ids are kept in the table named `table` (any text;
   quoted). NULL: the table "inbox" of a file of its own. */
inbox_t *inbox_open_table (const char *path, const char *table, bool full_sync, char *err);

/* Begins the calling thread's transaction (store.h, store_tx_begin) on the
   inbox's connection: lookups and records until store_tx_commit or
   store_tx_rollback are inside it, and so are the durable sends the
   thread makes into outboxes of the same file. The thread that owns self. */
int inbox_begin (inbox_t *self, char *err);

/* Closes; accepts NULL and nulls the caller's pointer. */
void inbox_destroy (inbox_t **self_p);

/* Looks `message_id` up. Returns 1 with *reply a fresh copy of the stored
   reply text (the caller frees it with free), 0 if the id is not known
   (*reply NULL), or -1 with err. */
int inbox_lookup (inbox_t *self, const char *message_id, char **reply, char *err);

/* Records the reply text for `message_id`, in one transaction (an id that
   is already there keeps its first reply). Returns 0 or -1 with err. */
int inbox_record (inbox_t *self, const char *message_id, const char *reply, char *err);

/* Ids remembered. -1 with err on failure. */
long inbox_count (inbox_t *self, char *err);

/* Forgets the oldest ids beyond the newest `keep`. Returns how many were
   forgotten, or -1 with err. */
long inbox_prune (inbox_t *self, long keep, char *err);

#endif
