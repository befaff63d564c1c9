/*  test_inbox - the dedupe inbox: a repeat finds its stored reply, across reopen; pruning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "inbox.h"
#include "store.h"

static char s_dir [64];
static char s_path [128];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/test_inbox.XXXXXX");
    if (!mkdtemp (s_dir))
        return -1;
    snprintf (s_path, sizeof s_path, "%s/svc.orders.inbox.db", s_dir);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    const char *suffixes [] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        char path [160];
        snprintf (path, sizeof path, "%s%s", s_path, suffixes [i]);
        unlink (path);
    }
    rmdir (s_dir);
    return 0;
}

static inbox_t *
s_open (void)
{
    char err [ERR_LEN] = "";
    inbox_t *inbox = inbox_open (s_path, false, err);
    if (!inbox)
        fail_msg ("inbox_open: %s", err);
    return inbox;
}

static void
test_repeat_gets_stored_reply (void **state)
{
    (void) state;
    inbox_t *inbox = s_open ();
    char err [ERR_LEN], *reply = (char *) "x";
    assert_int_equal (inbox_lookup (inbox, "m1", &reply, err), 0);
    assert_null (reply);
    assert_int_equal (inbox_record (inbox, "m1", "{\"total\":42}", err), 0);
    assert_int_equal (inbox_lookup (inbox, "m1", &reply, err), 1);
    assert_string_equal (reply, "{\"total\":42}");
    free (reply);
    //  A second record of the same id keeps the first reply.
    assert_int_equal (inbox_record (inbox, "m1", "{\"total\":0}", err), 0);
    assert_int_equal (inbox_lookup (inbox, "m1", &reply, err), 1);
    assert_string_equal (reply, "{\"total\":42}");
    free (reply);
    assert_int_equal (inbox_lookup (inbox, "m2", &reply, err), 0);
    assert_int_equal (inbox_count (inbox, err), 1);
    inbox_destroy (&inbox);
    assert_null (inbox);
    inbox_destroy (&inbox);
}

//  What was recorded survives a restart (close and reopen).
static void
test_survives_reopen (void **state)
{
    (void) state;
    inbox_t *inbox = s_open ();
    char err [ERR_LEN], id [16], text [32];
    for (int i = 0; i < 50; i++) {
        snprintf (id, sizeof id, "m%02d", i);
        snprintf (text, sizeof text, "{\"n\":%d}", i);
        assert_int_equal (inbox_record (inbox, id, text, err), 0);
    }
    inbox_destroy (&inbox);
    inbox = s_open ();
    assert_int_equal (inbox_count (inbox, err), 50);
    char *reply;
    assert_int_equal (inbox_lookup (inbox, "m37", &reply, err), 1);
    assert_string_equal (reply, "{\"n\":37}");
    free (reply);
    inbox_destroy (&inbox);
}

static void
test_prune_forgets_oldest (void **state)
{
    (void) state;
    inbox_t *inbox = s_open ();
    char err [ERR_LEN], id [16];
    for (int i = 0; i < 20; i++) {
        snprintf (id, sizeof id, "m%02d", i);
        assert_int_equal (inbox_record (inbox, id, "{}", err), 0);
    }
    assert_int_equal (inbox_prune (inbox, 8, err), 12);
    assert_int_equal (inbox_count (inbox, err), 8);
    char *reply;
    assert_int_equal (inbox_lookup (inbox, "m11", &reply, err), 0);
    assert_int_equal (inbox_lookup (inbox, "m12", &reply, err), 1);
    free (reply);
    inbox_destroy (&inbox);
}

//  An outbox file is not an inbox: refused by its schema version.
static void
test_refuses_other_files (void **state)
{
    (void) state;
    char err [ERR_LEN] = "";
    sqlite3 *db = store_open (s_path, "outbox", false, "CREATE TABLE t (x);", 7, NULL, err);
    assert_non_null (db);
    sqlite3_close (db);
    assert_null (inbox_open (s_path, false, err));
    assert_non_null (strstr (err, "cannot open the inbox: it is not an svcfw inbox of version 1 (user_version 7)"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_repeat_gets_stored_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_survives_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_prune_forgets_oldest, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refuses_other_files, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
