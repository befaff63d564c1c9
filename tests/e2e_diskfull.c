/*  e2e_diskfull - a durable producer on a full disk: sends fail cleanly, and
    a restart starts, drains and sends again.

    A 1 MiB tmpfs is mounted for the outbox (as root; the test is skipped,
    saying why, when mounting is not permitted). The producer (durable_source)
    sends with its downstream down until a send cannot be stored: that send
    fails with an error naming the outbox file and "disk full", and the
    process exits. The rest of the file system is then filled to the last
    byte by another file: a restart is refused with a one-line error naming
    the outbox and "disk full". With that file gone (the outbox's own
    reserve free again), the producer must start and take its sends again
    as no-ops (every id is held); with the downstream (durable_sink, a
    dedupe replyer that appends each id to a file) up, drain every stored
    message (each id once at the sink), and then send new messages into the
    room that delivery freed.
*/
#include "e2e.h"
#include "outbox.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define RUN_MS 60000            //  each phase, at most (each takes about a second)
#define NEW 200                 //  messages sent after the drain

static char s_mount [4200];     //  the tmpfs mount point, "" when none

//  Writes a file until the file system has no byte left. Returns its path.
static const char *
s_fill (const char *dir)
{
    const char *path = e2e_fmt ("%s/filler", dir);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true (fd >= 0);
    char block [512] = { 0 };
    for (int i = 0; i < 1 << 20; i++)       //  bounded: 512 MiB at most
        if (write (fd, block, sizeof block) != (ssize_t) sizeof block)
            break;
    while (write (fd, block, 1) == 1)
        ;                                   //  the last bytes; ends at ENOSPC
    close (fd);
    struct statvfs vfs;
    assert_int_equal (statvfs (dir, &vfs), 0);
    assert_int_equal ((long long) vfs.f_bavail * (long long) vfs.f_frsize, 0);
    return path;
}

//  Fails unless the file holds exactly the ids m00001 … m<count>, once each, in order.
static void
s_assert_ids (const char *path, int count)
{
    char *text = e2e_read_file (path);
    assert_non_null (text);
    char *line = text;
    for (int i = 1; i <= count; i++) {
        char want [16];
        int len = snprintf (want, sizeof want, "m%05d\n", i);
        if (strncmp (line, want, (size_t) len) != 0)
            fail_msg ("line %d of %s is not m%05d", i, path, i);
        line += len;
    }
    if (*line)
        fail_msg ("%s has more than %d lines", path, count);
}

static int
s_setup (void **state)
{
    s_mount [0] = 0;
    if (e2e_setup (state))
        return -1;
    const char *dir = e2e_fmt ("%s/full", (const char *) *state);
    if (mkdir (dir, 0755) != 0)
        return -1;
    if (mount ("tmpfs", dir, "tmpfs", 0, "size=1m") == 0)
        snprintf (s_mount, sizeof s_mount, "%s", dir);
    return 0;
}

static int
s_teardown (void **state)
{
    //  Detached now, gone when the last process holding a file in it ends.
    if (s_mount [0] && umount2 (s_mount, MNT_DETACH) != 0)
        print_error ("cannot unmount %s: %s\n", s_mount, strerror (errno));
    s_mount [0] = 0;
    return e2e_teardown (state);
}

static void
test_full_disk (void **state)
{
    const char *dir = *state;
    if (!s_mount [0]) {
        print_message ("SKIPPED: mounting a 1 MiB tmpfs needs root (uid %d): %s\n",
                       (int) getuid (), strerror (errno));
        skip ();
    }
    const char *outbox = e2e_fmt ("%s/events.outbox.db", s_mount);
    int port = e2e_tcp_port ();
    const char *source_addresses = e2e_fmt (
        "{\"connections\": {\"out\": {\"events\": {\"requester\": \"127.0.0.1:%d\"}}}}", port);
    const char *ids = e2e_fmt ("%s/ids.txt", dir);

    //  Downstream down: sends are stored until the disk is full.
    e2e_proc_t *source = e2e_svcfw (dir, e2e_plugin ("durable_source"), source_addresses, e2e_fmt (
        "{\"count\": 99999, \"outbox\": \"%s\", \"timeout_ms\": 200, \"backoff_max_ms\": 100}", outbox),
        "-m", NULL);
    E2E_ASSERT_READY (source);
    E2E_ASSERT_LOG (source, "disk full", RUN_MS);
    int status;
    if (!e2e_wait_exit (source, E2E_EXIT_MS, &status)) {
        e2e_dump (source);
        fail_msg ("the producer did not exit after its send failed");
    }
    char *log = e2e_read_file (e2e_proc_out (source));
    char *failed = strstr (log, "send m");
    if (!failed || !strstr (failed, outbox) || !strstr (failed, "disk full")) {
        e2e_dump (source);
        fail_msg ("no failed send naming %s and \"disk full\"", outbox);
    }
    long stored = e2e_sql_long (outbox, "SELECT count(*) FROM outbox WHERE state = 0");
    print_message ("stored %ld messages before the disk was full\n", stored);
    assert_true (stored >= 50);

    //  Filled to the last byte by someone else, the outbox cannot be opened
    //  (SQLite makes its -shm anew): a clear startup error, nothing lost.
    const char *filler = s_fill (s_mount);
    e2e_proc_t *refused = e2e_svcfw_run (dir, "refused", "-s", e2e_plugin ("durable_source"), "-a",
        e2e_write_file (dir, "source.addresses.json", source_addresses), "-c",
        e2e_write_file (dir, "source.config.json", e2e_fmt ("{\"outbox\": \"%s\"}", outbox)), "-m", NULL);
    e2e_assert_one_line (refused, 1, E2E_ERROR_RE, outbox, "cannot open the outbox", "disk full", NULL);
    //  With the room the outbox left itself, it starts and drains.
    unlink (filler);

    //  It starts over from m00001 with the downstream still down: every id
    //  is held, so each send is a no-op, even with less than the reserve
    //  free. (Up already, the downstream would take m00001 first; delivered
    //  while the disk is short, its row goes, and its id with it, so
    //  sending it again would need room: see test_delivered_rows_make_room.)
    source = e2e_svcfw (dir, e2e_plugin ("durable_source"), source_addresses, e2e_fmt (
        "{\"count\": %ld, \"outbox\": \"%s\", \"timeout_ms\": 1000}", stored, outbox), "-m", NULL);
    E2E_ASSERT_READY (source);
    E2E_ASSERT_LOG (source, e2e_fmt ("enqueued %ld in", stored), RUN_MS);
    char *opened = e2e_grep (e2e_proc_out (source), " pending)");
    assert_non_null (opened);
    long at_open = atol (strrchr (opened, '(') + 1);
    if (at_open != stored)
        fail_msg ("the outbox opened with %ld pending, expected %ld: %s", at_open, stored, opened);
    //  The downstream comes up: every stored message arrives, once and in order.
    e2e_proc_t *sink = e2e_svcfw (dir, e2e_plugin ("durable_sink"), e2e_fmt (
        "{\"connections\": {\"in\": {\"events\": {\"replyer\": \"127.0.0.1:%d\"}}}}", port),
        e2e_fmt ("{\"out_file\": \"%s\"}", ids), NULL);
    E2E_ASSERT_READY (sink);
    E2E_ASSERT_LOG (source, "all delivered", RUN_MS);
    s_assert_ids (ids, (int) stored);
    assert_true (e2e_wait_exit (source, E2E_EXIT_MS, &status));
    assert_int_equal (e2e_exit_code (source), 0);

    //  Delivery freed the rows' room: new messages are stored and delivered.
    source = e2e_svcfw (dir, e2e_plugin ("durable_source"), source_addresses, e2e_fmt (
        "{\"first\": %ld, \"count\": %ld, \"window\": 50, \"outbox\": \"%s\", \"timeout_ms\": 1000}",
        stored + 1, stored + NEW, outbox), "-m", NULL);
    E2E_ASSERT_READY (source);
    E2E_ASSERT_LOG (source, "all delivered", RUN_MS);
    assert_true (e2e_wait_exit (source, E2E_EXIT_MS, &status));
    assert_int_equal (e2e_exit_code (source), 0);
    s_assert_ids (ids, (int) stored + NEW);
    assert_int_equal (e2e_sql_long (outbox, "SELECT count(*) FROM outbox WHERE state <> 1"), 0);
    assert_int_equal (e2e_sql_long (outbox, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
}

//  The outbox alone, on the 1 MiB tmpfs: rows delivered while the disk had
//  room are kept (to remember their ids); once the disk is short of room,
//  an enqueue makes its room from them instead of failing "disk full".
static void
test_delivered_rows_make_room (void **state)
{
    (void) state;
    if (!s_mount [0]) {
        print_message ("SKIPPED: mounting a 1 MiB tmpfs needs root (uid %d)\n", (int) getuid ());
        skip ();
    }
    const char *path = e2e_fmt ("%s/kept.outbox.db", s_mount);
    char err [ERR_LEN] = "";
    outbox_t *box = outbox_open (path, true, err);
    if (!box)
        fail_msg ("outbox_open: %s", err);
    char args [400];
    memset (args, 0, sizeof args);
    memcpy (args, "{\"pad\":\"", 8);
    memset (args + 8, 'x', 300);
    memcpy (args + 308, "\"}", 2);
    //  Stored while more than the reserve is free: the rows are kept when
    //  delivered.
    int stored = 0;
    for (; stored < 5000 && store_free_bytes (path) > 450 * 1024; stored++)
        assert_int_equal (outbox_enqueue (box, e2e_fmt ("k%05d", stored), "wf", args, err), 1);
    assert_true (stored > 100);
    outbox_row_t rows [256];
    int64_t seqs [256];
    int64_t after = 0;
    int delivered = 0;
    for (int round = 0; round < 100 && delivered < stored; round++) {
        int count = outbox_next (box, after, 256, rows, err);
        assert_true (count > 0);
        for (int i = 0; i < count; i++)
            seqs [i] = rows [i].seq;
        after = rows [count - 1].seq;
        outbox_rows_free (rows, count);
        assert_int_equal (outbox_mark_delivered (box, seqs, count, err), 0);
        delivered += count;
    }
    long pending = -1, kept = -1;
    assert_int_equal (outbox_counts (box, &pending, &kept, NULL, err), 0);
    assert_int_equal (pending, 0);
    assert_int_equal (kept, stored);
    //  Someone else takes the disk down to under the reserve.
    const char *filler = e2e_fmt ("%s/filler", s_mount);
    int fd = open (filler, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true (fd >= 0);
    char block [4096] = { 0 };
    for (int i = 0; i < 256 && store_free_bytes (path) > 100 * 1024; i++)
        assert_int_equal (write (fd, block, sizeof block), (ssize_t) sizeof block);
    close (fd);
    assert_true (store_free_bytes (path) < 256 * 1024);
    //  A new message is stored in the pages of the delivered rows.
    int rc = outbox_enqueue (box, "new-1", "wf", args, err);
    if (rc != 1)
        fail_msg ("enqueue on a short disk with %d delivered rows kept: %d (%s)", stored, rc, err);
    assert_int_equal (outbox_counts (box, &pending, &kept, NULL, err), 0);
    assert_int_equal (pending, 1);
    //  Only as many as it needed (the oldest) were forgotten.
    assert_true (kept < stored);
    assert_true (kept > 0);
    outbox_destroy (&box);
    unlink (filler);
}

//  The outbox alone, on the 1 MiB tmpfs: another connection's read holds
//  back every checkpoint, so the log grows by each message until less than
//  the reserve is free. With the reader gone, the next message is stored:
//  the outbox cuts its log before it counts the disk as short (it refused
//  "disk full" with 700 KiB of log and 45 messages on a busy machine).
static void
test_long_log_is_cut_when_short (void **state)
{
    (void) state;
    if (!s_mount [0]) {
        print_message ("SKIPPED: mounting a 1 MiB tmpfs needs root (uid %d)\n", (int) getuid ());
        skip ();
    }
    const char *path = e2e_fmt ("%s/log.outbox.db", s_mount);
    char err [ERR_LEN] = "";
    outbox_t *box = outbox_open (path, true, err);
    if (!box)
        fail_msg ("outbox_open: %s", err);
    assert_int_equal (outbox_enqueue (box, "first", "wf", "{}", err), 1);
    sqlite3 *reader = NULL;
    assert_int_equal (sqlite3_open (path, &reader), SQLITE_OK);
    assert_int_equal (sqlite3_exec (reader, "BEGIN; SELECT count(*) FROM outbox", NULL, NULL, NULL), SQLITE_OK);
    int stored = 1;
    for (; stored < 5000 && store_free_bytes (path) >= OUTBOX_RESERVE_BYTES; stored++)
        if (outbox_enqueue (box, e2e_fmt ("held%05d", stored), "wf", "{}", err) != 1)
            fail_msg ("message %d with %lld bytes free: %s", stored, store_free_bytes (path), err);
    assert_true (store_free_bytes (path) < OUTBOX_RESERVE_BYTES);
    struct stat log;
    assert_int_equal (stat (e2e_fmt ("%s-wal", path), &log), 0);
    print_message ("%d messages made %lld bytes of log\n", stored, (long long) log.st_size);
    assert_true (log.st_size > 256 * 1024);
    assert_int_equal (sqlite3_exec (reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (reader);
    int rc = outbox_enqueue (box, "after", "wf", "{}", err);
    if (rc != 1)
        fail_msg ("enqueue after the reader left: %d (%s)", rc, err);
    assert_true (store_free_bytes (path) >= OUTBOX_RESERVE_BYTES);
    long pending = -1;
    assert_int_equal (outbox_counts (box, &pending, NULL, NULL, err), 0);
    assert_int_equal (pending, stored + 1);
    outbox_destroy (&box);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_full_disk, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_delivered_rows_make_room, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_long_log_is_cut_when_short, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
