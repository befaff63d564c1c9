/*  e2e_links - a host that goes silent is noticed (SPEC §8 "links between hosts"), on loopback.

    part_owner (main mode: requester `work`, out-state `tally`) and
    part_mirror (replyer `work`, in-state `tally`). The owner is frozen
    with SIGSTOP: its sockets stay open but say nothing, as a host cut off
    by a partition. The mirror's in-state says the owner is lost within
    3 heartbeats; after SIGCONT it says the owner is back and converges
    exactly. The real partition between two network namespaces is
    tests/partition.sh (root only).
*/
#include "e2e.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static void
test_frozen_owner_lost_then_back (void **state)
{
    const char *dir = *state;
    int work = e2e_tcp_port (), pub = e2e_tcp_port (), rep = e2e_tcp_port ();
    const char *stop_file = e2e_fmt ("%s/stop", dir);
    e2e_proc_t *mirror = e2e_svcfw (dir, e2e_plugin ("part_mirror"), e2e_fmt (
        "{\"connections\": {\"in\": {\"work\": {\"replyer\": \"%s\"}}},"
        " \"states\": {\"in\": {\"tally\": {\"subscriber\": \"%s\", \"requester\": \"%s\"}}}}",
        e2e_addr (work), e2e_addr (pub), e2e_addr (rep)), NULL, NULL);
    E2E_ASSERT_READY (mirror);
    e2e_proc_t *owner = e2e_svcfw (dir, e2e_plugin ("part_owner"), e2e_fmt (
        "{\"connections\": {\"out\": {\"work\": {\"requester\": \"%s\"}}},"
        " \"states\": {\"out\": {\"tally\": {\"publisher\": \"%s\", \"replyer\": \"%s\"}}}}",
        e2e_addr (work), e2e_addr (pub), e2e_addr (rep)),
        e2e_fmt ("{\"period_ms\": 50, \"stop_file\": \"%s\"}", stop_file), "-m", NULL);
    E2E_ASSERT_READY (owner);
    E2E_ASSERT_LOG (mirror, "tally n=20 keys=20", E2E_LOG_MS);     //  synced early, every change since
    E2E_ASSERT_LOG (owner, "reply n=3 in ", E2E_LOG_MS);

    //  Frozen: silent, sockets open. Lost after 3 heartbeats of 1 s; the
    //  bound is loose for a busy machine.
    long long frozen_at = e2e_now_ms ();
    kill (e2e_proc_pid (owner), SIGSTOP);
    E2E_ASSERT_LOG (mirror, "tally: owner lost: nothing from its publisher for ", 10000);
    long long noticed = e2e_now_ms () - frozen_at;
    if (noticed < 2500)
        fail_msg ("owner said lost after %lld ms, before 3 heartbeats of 1000 ms", noticed);
    kill (e2e_proc_pid (owner), SIGCONT);
    E2E_ASSERT_LOG (mirror, "tally: owner back after ", 10000);

    //  Exact again: every change arrives, directly or through a snapshot.
    assert_non_null (e2e_write_file (dir, "stop", ""));
    E2E_ASSERT_LOG (owner, "FINAL n=", E2E_LOG_MS);
    int final_n = 0;
    assert_int_equal (sscanf (strstr (e2e_grep (e2e_proc_out (owner), "FINAL n="), "FINAL n="), "FINAL n=%d", &final_n), 1);
    E2E_ASSERT_LOG (mirror, e2e_fmt ("tally n=%d keys=%d", final_n, final_n), 10000);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_frozen_owner_lost_then_back, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
