/*  test_outbox - the SQLite outbox: order, resume after reopen, unique ids, batches, pruning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <pthread.h>
#include "outbox.h"
#include "inbox.h"

static char s_dir [64];
static char s_path [128];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/test_outbox.XXXXXX");
    if (!mkdtemp (s_dir))
        return -1;
    snprintf (s_path, sizeof s_path, "%s/svc.orders.outbox.db", s_dir);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    const char *suffixes [] = { "", "-wal", "-shm", "-lock" };
    for (int i = 0; i < 4; i++) {
        char path [160];
        snprintf (path, sizeof path, "%s%s", s_path, suffixes [i]);
        unlink (path);
    }
    rmdir (s_dir);
    return 0;
}

static outbox_t *
s_open (bool full_sync)
{
    char err [ERR_LEN] = "";
    outbox_t *outbox = outbox_open (s_path, full_sync, err);
    if (!outbox)
        fail_msg ("outbox_open: %s", err);
    return outbox;
}

static void
s_enqueue (outbox_t *outbox, const char *id, int want)
{
    char err [ERR_LEN] = "";
    char args [64];
    snprintf (args, sizeof args, "{\"id\":\"%s\"}", id);
    int rc = outbox_enqueue (outbox, id, "wf", args, err);
    if (rc != want)
        fail_msg ("enqueue %s: %d, want %d (%s)", id, rc, want, err);
}

static long
s_pending (outbox_t *outbox)
{
    long pending = -1;
    char err [ERR_LEN];
    assert_int_equal (outbox_counts (outbox, &pending, NULL, NULL, err), 0);
    return pending;
}

static void
test_oldest_first (void **state)
{
    (void) state;
    outbox_t *outbox = s_open (true);
    char id [16];
    for (int i = 0; i < 10; i++) {
        snprintf (id, sizeof id, "m%02d", 9 - i);      //  ids that sort the other way
        s_enqueue (outbox, id, 1);
    }
    outbox_row_t rows [20];
    char err [ERR_LEN];
    int count = outbox_next (outbox, 0, 20, rows, err);
    assert_int_equal (count, 10);
    for (int i = 0; i < 10; i++) {
        snprintf (id, sizeof id, "m%02d", 9 - i);
        assert_string_equal (rows [i].message_id, id);
        assert_string_equal (rows [i].workflow_id, "wf");
        assert_non_null (strstr (rows [i].args, id));
        if (i)
            assert_true (rows [i].seq > rows [i - 1].seq);
    }
    //  after_seq skips what the sender already holds.
    outbox_row_t more [4];
    assert_int_equal (outbox_next (outbox, rows [5].seq, 4, more, err), 4);
    assert_string_equal (more [0].message_id, "m03");
    outbox_rows_free (more, 4);
    outbox_rows_free (rows, count);
    assert_null (rows [0].message_id);
    outbox_destroy (&outbox);
    assert_null (outbox);
}

static void
test_unique_ids (void **state)
{
    (void) state;
    outbox_t *outbox = s_open (false);
    s_enqueue (outbox, "a", 1);
    s_enqueue (outbox, "b", 1);
    s_enqueue (outbox, "a", 0);            //  pending: no-op
    assert_int_equal (s_pending (outbox), 2);
    outbox_row_t rows [2];
    char err [ERR_LEN];
    assert_int_equal (outbox_next (outbox, 0, 2, rows, err), 2);
    assert_int_equal (outbox_mark_delivered (outbox, &rows [0].seq, 1, err), 0);
    s_enqueue (outbox, "a", 0);            //  delivered: still a no-op
    assert_int_equal (outbox_mark_failed (outbox, rows [1].seq, "error reply (handler_failed): no", err), 0);
    s_enqueue (outbox, "b", 0);            //  failed: still a no-op
    long pending, delivered, failed;
    assert_int_equal (outbox_counts (outbox, &pending, &delivered, &failed, err), 0);
    assert_int_equal (pending, 0);
    assert_int_equal (delivered, 1);
    assert_int_equal (failed, 1);
    outbox_rows_free (rows, 2);
    outbox_destroy (&outbox);
}

//  Closing and reopening (a restart) keeps every row, its state and order;
//  enqueueing the same ids again from the start adds nothing.
static void
test_resume_after_reopen (void **state)
{
    (void) state;
    outbox_t *outbox = s_open (true);
    char id [16];
    for (int i = 0; i < 100; i++) {
        snprintf (id, sizeof id, "m%03d", i);
        s_enqueue (outbox, id, 1);
    }
    outbox_row_t rows [40];
    char err [ERR_LEN];
    assert_int_equal (outbox_next (outbox, 0, 40, rows, err), 40);
    int64_t seqs [40];
    for (int i = 0; i < 40; i++)
        seqs [i] = rows [i].seq;
    assert_int_equal (outbox_mark_delivered (outbox, seqs, 40, err), 0);
    outbox_rows_free (rows, 40);
    outbox_destroy (&outbox);

    outbox = s_open (true);
    assert_int_equal (s_pending (outbox), 60);
    for (int i = 0; i < 120; i++) {        //  the restarted producer starts over
        snprintf (id, sizeof id, "m%03d", i);
        s_enqueue (outbox, id, i < 100? 0: 1);
    }
    assert_int_equal (s_pending (outbox), 80);
    outbox_row_t next [80];
    assert_int_equal (outbox_next (outbox, 0, 80, next, err), 80);
    for (int i = 0; i < 80; i++) {
        snprintf (id, sizeof id, "m%03d", 40 + i);
        assert_string_equal (next [i].message_id, id);
    }
    outbox_rows_free (next, 80);
    outbox_destroy (&outbox);
}

//  Two connections on one file, as the producer and the sender use it: a
//  batch of marks is one transaction, seen whole by the other connection.
static void
test_batches_across_connections (void **state)
{
    (void) state;
    outbox_t *producer = s_open (true);
    outbox_t *sender = s_open (false);
    char id [16];
    for (int i = 0; i < 250; i++) {
        snprintf (id, sizeof id, "m%03d", i);
        s_enqueue (producer, id, 1);
    }
    char err [ERR_LEN];
    outbox_row_t rows [64];
    int64_t after = 0;
    int batches = 0, total = 0;
    while (true) {
        int count = outbox_next (sender, after, 64, rows, err);
        assert_true (count >= 0);
        if (count == 0)
            break;
        int64_t seqs [64];
        for (int i = 0; i < count; i++) {
            snprintf (id, sizeof id, "m%03d", total + i);
            assert_string_equal (rows [i].message_id, id);
            seqs [i] = rows [i].seq;
        }
        after = rows [count - 1].seq;
        assert_int_equal (outbox_mark_delivered (sender, seqs, count, err), 0);
        total += count;
        batches++;
        outbox_rows_free (rows, count);
        assert_int_equal (s_pending (producer), 250 - total);
    }
    assert_int_equal (total, 250);
    assert_int_equal (batches, 4);          //  64 + 64 + 64 + 58
    //  Marking a row twice changes nothing; marking nothing is fine.
    int64_t first = 1;
    assert_int_equal (outbox_mark_delivered (sender, &first, 1, err), 0);
    assert_int_equal (outbox_mark_delivered (sender, NULL, 0, err), 0);
    long delivered;
    assert_int_equal (outbox_counts (producer, NULL, &delivered, NULL, err), 0);
    assert_int_equal (delivered, 250);
    outbox_destroy (&sender);
    outbox_destroy (&producer);
}

static void
test_prune_keeps_newest_delivered (void **state)
{
    (void) state;
    outbox_t *outbox = s_open (false);
    char id [16], err [ERR_LEN];
    for (int i = 0; i < 30; i++) {
        snprintf (id, sizeof id, "m%02d", i);
        s_enqueue (outbox, id, 1);
    }
    outbox_row_t rows [20];
    assert_int_equal (outbox_next (outbox, 0, 20, rows, err), 20);
    int64_t seqs [20];
    for (int i = 0; i < 20; i++)
        seqs [i] = rows [i].seq;
    outbox_rows_free (rows, 20);
    assert_int_equal (outbox_mark_delivered (outbox, seqs, 20, err), 0);
    assert_int_equal (outbox_prune (outbox, 5, err), 15);      //  m00..m14 go
    assert_int_equal (outbox_prune (outbox, 5, err), 0);
    long pending, delivered;
    assert_int_equal (outbox_counts (outbox, &pending, &delivered, NULL, err), 0);
    assert_int_equal (pending, 10);                             //  pending rows are never pruned
    assert_int_equal (delivered, 5);
    s_enqueue (outbox, "m19", 0);                               //  still remembered
    s_enqueue (outbox, "m00", 1);                               //  forgotten: a new message
    outbox_destroy (&outbox);
}

static void
test_open_errors (void **state)
{
    (void) state;
    char err [ERR_LEN] = "";
    assert_null (outbox_open ("/nonexistent-dir/x.outbox.db", true, err));
    assert_non_null (strstr (err, "/nonexistent-dir/x.outbox.db: cannot open the outbox: "));
    //  Not an SQLite file.
    FILE *file = fopen (s_path, "w");
    assert_non_null (file);
    fputs ("this is not a database, it is a text file long enough to have a header........\n", file);
    fclose (file);
    *err = 0;
    assert_null (outbox_open (s_path, true, err));
    assert_non_null (strstr (err, "cannot open the outbox: "));
    unlink (s_path);
}

//  A zero-length outbox file whose -wal is not empty was expected to hold
//  rows: it opens as a new, empty outbox, with a warning naming the file.
static void
test_empty_file_warning (void **state)
{
    (void) state;
    char err [ERR_LEN] = "";
    outbox_t *outbox = s_open (true);
    assert_null (outbox_warning (outbox));          //  a new file: nothing to say
    s_enqueue (outbox, "m1", 1);
    outbox_destroy (&outbox);
    char wal [160];
    snprintf (wal, sizeof wal, "%s-wal", s_path);
    FILE *file = fopen (wal, "a");                  //  a -wal with something in it
    assert_non_null (file);
    fputs ("left over", file);
    fclose (file);
    assert_int_equal (truncate (s_path, 0), 0);     //  the file itself emptied
    outbox = outbox_open (s_path, true, err);
    assert_non_null (outbox);
    const char *warning = outbox_warning (outbox);
    assert_non_null (warning);
    assert_non_null (strstr (warning, s_path));
    assert_non_null (strstr (warning, "is empty"));
    assert_non_null (strstr (warning, "new, empty outbox"));
    assert_null (strchr (warning, '\n'));
    long pending = -1;
    assert_int_equal (outbox_counts (outbox, &pending, NULL, NULL, err), 0);
    assert_int_equal (pending, 0);
    outbox_destroy (&outbox);
    //  Reopened, it is an outbox like any other: no warning.
    outbox = s_open (true);
    assert_null (outbox_warning (outbox));
    outbox_destroy (&outbox);
}

//  One process at a time sends from an outbox file.
static void
test_lock_is_exclusive (void **state)
{
    (void) state;
    char err [ERR_LEN] = "";
    int fd = outbox_lock (s_path, err);
    assert_true (fd >= 0);
    //  flock locks belong to the open file: a second one is refused even here.
    assert_int_equal (outbox_lock (s_path, err), -1);
    assert_non_null (strstr (err, "the outbox is in use by another process"));
    close (fd);
    fd = outbox_lock (s_path, err);
    assert_true (fd >= 0);
    close (fd);
    char lock_path [160];
    snprintf (lock_path, sizeof lock_path, "%s-lock", s_path);
    unlink (lock_path);
}

static int s_wakes;

static void
s_on_commit (void *arg)
{
    (void) arg;
    s_wakes++;
}

static long
s_pending_of (outbox_t *outbox)
{
    long pending = -1;
    char err [ERR_LEN];
    assert_int_equal (outbox_counts (outbox, &pending, NULL, NULL, err), 0);
    return pending;
}

//  A group commit: the enqueues return 2 (staged), another connection sees
//  nothing until the commit, which wakes once; a second begin is refused
//  by the API (svcfw_outbox_begin), here the group simply goes on.
static void
test_group_commit (void **state)
{
    (void) state;
    char err [ERR_LEN];
    outbox_t *outbox = outbox_open (s_path, true, err);
    outbox_t *reader = outbox_open (s_path, false, err);
    assert_non_null (outbox);
    assert_non_null (reader);
    outbox_on_commit (outbox, s_on_commit, NULL);
    s_wakes = 0;
    assert_false (outbox_group_on ());
    outbox_group_begin ();
    assert_true (outbox_group_on ());
    assert_int_equal (outbox_enqueue (outbox, "g1", "wf", "{}", err), 2);
    assert_int_equal (outbox_enqueue (outbox, "g2", "wf", "{}", err), 2);
    assert_int_equal (outbox_enqueue (outbox, "g1", "wf", "{}", err), 0);     //  known, in the group
    assert_int_equal (s_pending_of (reader), 0);
    assert_int_equal (outbox_group_commit (err), 0);
    assert_false (outbox_group_on ());
    assert_int_equal (s_wakes, 1);
    assert_int_equal (s_pending_of (reader), 2);
    //  Outside a group: one transaction each, as before.
    assert_int_equal (outbox_enqueue (outbox, "g3", "wf", "{}", err), 1);
    assert_int_equal (s_pending_of (reader), 3);
    //  A group left open when the outbox closes is committed then.
    outbox_group_begin ();
    assert_int_equal (outbox_enqueue (outbox, "g4", "wf", "{}", err), 2);
    outbox_destroy (&outbox);
    assert_int_equal (outbox_group_commit (err), 0);
    assert_int_equal (s_pending_of (reader), 4);
    outbox_destroy (&reader);
}

static void *
s_enqueue_alone (void *arg)
{
    char err [ERR_LEN];
    intptr_t rc = outbox_enqueue (arg, "other-thread", "wf", "{}", err);
    return (void *) rc;
}

//  Another thread's enqueue into an outbox whose group is open commits the
//  group's rows first (they become durable early) and its own row alone;
//  the group goes on, and its later rows wait for its commit.
static void
test_group_and_another_thread (void **state)
{
    (void) state;
    char err [ERR_LEN];
    outbox_t *outbox = outbox_open (s_path, true, err);
    outbox_t *reader = outbox_open (s_path, false, err);
    outbox_group_begin ();
    assert_int_equal (outbox_enqueue (outbox, "g1", "wf", "{}", err), 2);
    pthread_t thread;
    void *result;
    assert_int_equal (pthread_create (&thread, NULL, s_enqueue_alone, outbox), 0);
    assert_int_equal (pthread_join (thread, &result), 0);
    assert_int_equal ((intptr_t) result, 1);
    assert_int_equal (s_pending_of (reader), 2);        //  g1, committed early, and other-thread
    assert_int_equal (outbox_enqueue (outbox, "g2", "wf", "{}", err), 2);
    assert_int_equal (s_pending_of (reader), 2);
    assert_int_equal (outbox_group_commit (err), 0);
    assert_int_equal (s_pending_of (reader), 3);
    outbox_destroy (&outbox);
    outbox_destroy (&reader);
}

//  One store file for an inbox and two outboxes (the service's --store):
//  tables of their own, locks of their own; in the inbox's transaction an
//  enqueue is staged (2), a savepoint undone takes its rows back, and the
//  commit stores the mark and the sends at once, then wakes the sender.
static void
test_shared_store_transaction (void **state)
{
    (void) state;
    char err [ERR_LEN] = "";
    inbox_t *inbox = inbox_open_table (s_path, "inbox:events", true, err);
    assert_non_null (inbox);
    outbox_t *next = outbox_open_table (s_path, "outbox:next", true, err);
    outbox_t *other = outbox_open_table (s_path, "outbox:other", true, err);
    assert_non_null (next);
    assert_non_null (other);
    int lock_next = outbox_lock_table (s_path, "outbox:next", err);
    int lock_other = outbox_lock_table (s_path, "outbox:other", err);
    assert_true (lock_next >= 0 && lock_other >= 0);
    assert_int_equal (outbox_lock_table (s_path, "outbox:next", err), -1);
    outbox_on_commit (next, s_on_commit, NULL);
    s_wakes = 0;

    assert_int_equal (inbox_begin (inbox, err), 0);
    assert_int_equal (store_tx_savepoint (err), 0);
    assert_int_equal (outbox_enqueue (next, "a_1", "wf", "{\"n\":1}", err), 2);
    assert_int_equal (inbox_record (inbox, "a", "{}", err), 0);
    assert_int_equal (store_tx_release (err), 0);
    assert_int_equal (store_tx_savepoint (err), 0);
    assert_int_equal (outbox_enqueue (next, "b_1", "wf", "{\"n\":2}", err), 2);   //  its handler fails:
    assert_int_equal (store_tx_undo (err), 0);                                     //  undone
    assert_int_equal (s_wakes, 0);
    assert_int_equal (store_tx_commit (err), 0);
    assert_int_equal (s_wakes, 1);
    assert_int_equal (s_pending_of (next), 1);
    assert_int_equal (s_pending_of (other), 0);
    assert_int_equal (inbox_count (inbox, err), 1);
    char *reply = NULL;
    assert_int_equal (inbox_lookup (inbox, "b", &reply, err), 0);

    //  A rollback (a crash before the commit does the same) keeps nothing.
    assert_int_equal (inbox_begin (inbox, err), 0);
    assert_int_equal (outbox_enqueue (next, "c_1", "wf", "{}", err), 2);
    assert_int_equal (inbox_record (inbox, "c", "{}", err), 0);
    store_tx_rollback ();
    assert_int_equal (s_pending_of (next), 1);
    assert_int_equal (inbox_count (inbox, err), 1);
    //  Without a transaction on the thread, enqueues are stored at once.
    assert_int_equal (outbox_enqueue (next, "d_1", "wf", "{}", err), 1);
    assert_int_equal (s_pending_of (next), 2);
    close (lock_next);
    close (lock_other);
    outbox_destroy (&next);
    outbox_destroy (&other);
    inbox_destroy (&inbox);
    //  Reopened: the tables are found, not made again.
    inbox = inbox_open_table (s_path, "inbox:events", true, err);
    next = outbox_open_table (s_path, "outbox:next", true, err);
    assert_non_null (inbox);
    assert_non_null (next);
    assert_int_equal (s_pending_of (next), 2);
    outbox_destroy (&next);
    inbox_destroy (&inbox);
    char lock [200];
    snprintf (lock, sizeof lock, "%s-outbox:next-lock", s_path);
    unlink (lock);
    snprintf (lock, sizeof lock, "%s-outbox:other-lock", s_path);
    unlink (lock);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_oldest_first, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unique_ids, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resume_after_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_batches_across_connections, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_prune_keeps_newest_delivered, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_open_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_empty_file_warning, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lock_is_exclusive, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_group_commit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_group_and_another_thread, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_store_transaction, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
