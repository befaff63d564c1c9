/*  e2e_chain - one workflow followed through three services (SPEC §6, runtime contract).

      producer (main mode, publisher) -> transformer (subscriber; requester)
                                      -> echo_replyer (replyer)

    The producer's send carries a fresh UUID W; the transformer handles it
    under W and its two sends carry W_1 and W_2; the replyer handles those.
*/
#include "e2e.h"

#include <stdio.h>
#include <string.h>

static void
test_workflow_ids_through_chain (void **state)
{
    const char *dir = *state;
    int tick_port = e2e_tcp_port ();
    int order_port = e2e_tcp_port ();

    e2e_proc_t *replyer = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (order_port)), NULL, NULL);
    E2E_ASSERT_READY (replyer);
    e2e_proc_t *transformer = e2e_svcfw (dir, e2e_plugin ("transformer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"ticks\": {\"subscriber\": \"%s\"}}, "
        "\"out\": {\"orders\": {\"requester\": \"%s\"}}}}",
        e2e_addr (tick_port), e2e_addr (order_port)), NULL, NULL);
    E2E_ASSERT_READY (transformer);
    e2e_proc_t *producer = e2e_svcfw (dir, e2e_plugin ("producer"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}",
        e2e_addr (tick_port)), "{\"period_ms\": 50}", "-m", NULL);
    E2E_ASSERT_READY (producer);

    //  The first message the transformer heard (earlier ones may be lost to
    //  the subscriber's late join), and its workflow id W.
    E2E_ASSERT_LOG (transformer, "forwarded n=", E2E_LOG_MS);
    char *heard = e2e_grep (e2e_proc_out (transformer), "heard n=");
    assert_non_null (heard);
    int n;
    char wf [64];
    assert_int_equal (sscanf (strstr (heard, "heard n="), "heard n=%d wf=%63s", &n, wf), 2);
    if (!e2e_match (wf, E2E_UUID_RE))
        fail_msg ("producer's send does not carry a fresh UUID: %s", heard);

    //  W in all three logs: sent by the producer, handled by the
    //  transformer, W_1 and W_2 handled by the replyer.
    const char *sent = e2e_fmt ("sent producer n=%d wf=%s", n, wf);
    const char *got_1 = e2e_fmt ("[%s_1] got order %d note=first wf=%s_1", wf, n, wf);
    const char *got_2 = e2e_fmt ("[%s_2] got order %d note=second wf=%s_2", wf, n, wf);
    E2E_ASSERT_LOG (producer, sent, E2E_LOG_MS);
    E2E_ASSERT_LOG (transformer, e2e_fmt ("[%s] heard n=%d wf=%s", wf, n, wf), E2E_LOG_MS);
    E2E_ASSERT_LOG (transformer, e2e_fmt ("[%s] forwarded n=%d replies=2", wf, n), E2E_LOG_MS);
    E2E_ASSERT_LOG (replyer, got_1, E2E_LOG_MS);
    E2E_ASSERT_LOG (replyer, got_2, E2E_LOG_MS);
    //  No third send in that family.
    assert_int_equal (e2e_file_count (e2e_proc_out (replyer), e2e_fmt ("%s_3", wf)), 0);

    //  The flow goes on, and each producer message is its own family.
    E2E_ASSERT_LOG (transformer, e2e_fmt ("forwarded n=%d ", n + 3), E2E_LOG_MS);
    char *later = e2e_grep (e2e_proc_out (transformer), e2e_fmt ("heard n=%d ", n + 3));
    assert_non_null (later);
    assert_null (strstr (later, wf));

    int status;
    assert_true (e2e_stop (producer, SIGTERM, 2000, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_true (e2e_stop (transformer, SIGTERM, 2000, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_true (e2e_stop (replyer, SIGTERM, 2000, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_workflow_ids_through_chain, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
