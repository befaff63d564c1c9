/*  e2e_example - the shipped example graph (examples/cancel_order) runs as documented.

    cancel_order (replyer, config refuse_above 2000 from the example's
    config.json) and order_sender (main mode, order ids "500", "1000", ...
    "2500": strings, as in the seed), wired with a generated addresses file
    on free ports; then a raw request checks the seed's shape on the wire.
*/
#include "e2e.h"

#include <string.h>

static void
test_cancel_order_graph (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *addresses = e2e_fmt (
        "{\"connections\": {\"in\": {\"cancel_order\": {\"replyer\": \"%s\"}}, "
        "\"out\": {\"cancel_order\": {\"requester\": \"%s\"}}}}", e2e_addr (port), e2e_addr (port));
    e2e_proc_t *replyer = e2e_svcfw (dir, EXAMPLES_BIN_DIR "/cancel_order.so", addresses, NULL,
                                     "-c", EXAMPLES_SRC_DIR "/cancel_order/config.json", NULL);
    E2E_ASSERT_READY (replyer);
    e2e_proc_t *sender = e2e_svcfw (dir, EXAMPLES_BIN_DIR "/order_sender.so", addresses, NULL,
                                    "-m", "--count", "5", "--interval_ms", "10", NULL);
    assert_non_null (sender);
    int status;
    if (!e2e_wait_exit (sender, E2E_EXIT_MS, &status) || !WIFEXITED (status)
        || WEXITSTATUS (status) != 0) {
        e2e_dump (sender);
        e2e_dump (replyer);
        fail_msg ("order_sender: expected exit 0");
    }
    for (int id = 500; id <= 2000; id += 500) {
        E2E_ASSERT_LOG (replyer, e2e_fmt ("cancelled order %d", id), E2E_LOG_MS);
        assert_int_equal (e2e_file_count (e2e_proc_out (sender),
                                          e2e_fmt ("order %d: cancelled (reply order_id %d)", id, id)), 1);
    }
    //  2500 is past refuse_above: an error reply, logged on both sides.
    assert_int_equal (e2e_line_count (e2e_proc_out (sender), "order 2500: ",
                                      "past the cancellation window"), 1);
    assert_int_equal (e2e_file_count (e2e_proc_out (replyer), "cancelled order 2500"), 0);
    assert_true (e2e_line_count (e2e_proc_out (replyer), "order 2500 is past the cancellation window", NULL) >= 1);

    //  The seed's shape: order_id is a string in and out; a number is refused.
    zsock_t *req = e2e_req (e2e_endpoint (port));
    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": \"700\"}, \"workflow_id\": \"w\"}");
    assert_non_null (reply);
    assert_string_equal (e2e_json (reply), "{\"return_args\":{\"order_id\":\"700\"},\"workflow_id\":\"w\"}");
    reply = e2e_request (req, "{\"args\": {\"order_id\": 700}}");
    assert_non_null (reply);
    assert_string_equal (e2e_reply_kind (reply), "invalid_args");
}

//  The chain example (examples/chain): order_feed waits for order_router
//  to join its publisher (min_subscribers), so every order arrives, run
//  after run. The feed starts first, the worst order for a late join.
static void
test_chain_loses_nothing (void **state)
{
    const char *dir = *state;
    const int runs = 20, orders = 3;
    int pricing_port = e2e_tcp_port ();
    e2e_proc_t *pricer = e2e_svcfw (dir, EXAMPLES_BIN_DIR "/pricer.so", e2e_fmt (
        "{\"connections\": {\"in\": {\"pricing\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (pricing_port)), NULL, NULL);
    E2E_ASSERT_READY (pricer);
    for (int run = 1; run <= runs; run++) {
        int orders_port = e2e_tcp_port ();
        char *addresses = e2e_fmt (
            "{\"connections\": {\"in\": {\"orders\": {\"subscriber\": \"%s\"}}, "
            "\"out\": {\"orders\": {\"publisher\": \"%s\"}, \"pricing\": {\"requester\": \"%s\"}}}}",
            e2e_addr (orders_port), e2e_addr (orders_port), e2e_addr (pricing_port));
        e2e_proc_t *feed = e2e_svcfw (dir, EXAMPLES_BIN_DIR "/order_feed.so", addresses, NULL,
                                      "-m", "--count", e2e_fmt ("%d", orders), "--interval_ms", "5", NULL);
        E2E_ASSERT_READY (feed);
        e2e_proc_t *router = e2e_svcfw (dir, EXAMPLES_BIN_DIR "/order_router.so", addresses, NULL, NULL);
        int status;
        if (!e2e_wait_exit (feed, E2E_EXIT_MS, &status) || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
            e2e_dump (feed);
            e2e_dump (router);
            fail_msg ("run %d: order_feed: expected exit 0", run);
        }
        for (int id = 1; id <= orders; id++)
            if (!e2e_wait_log (router, e2e_fmt ("heard order %d:", id), E2E_LOG_MS)) {
                e2e_dump (feed);
                e2e_dump (router);
                fail_msg ("run %d: order %d was published but never reached order_router", run, id);
            }
        assert_true (e2e_stop (router, SIGTERM, 2000, &status));
        for (int id = 1; id <= orders; id++)
            assert_int_equal (e2e_file_count (e2e_proc_out (router), e2e_fmt ("heard order %d:", id)), 1);
    }
}

//  The ticker example (examples/ticker): ticker's two publishers connect to
//  price_watcher and wait for it to join; every AAPL tick is heard.
static void
test_ticker_loses_nothing (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *addresses = e2e_fmt (
        "{\"connections\": {\"in\": {\"prices\": {\"subscriber\": \"%s\"}}, "
        "\"out\": {\"aapl\": {\"publisher\": \"%s\"}, \"msft\": {\"publisher\": \"%s\"}}}}",
        e2e_addr (port), e2e_addr (port), e2e_addr (port));
    e2e_proc_t *ticker = e2e_svcfw (dir, EXAMPLES_BIN_DIR "/ticker.so", addresses, NULL,
                                    "-m", "--ticks", "3", "--interval_ms", "5", NULL);
    E2E_ASSERT_READY (ticker);
    e2e_proc_t *watcher = e2e_svcfw (dir, EXAMPLES_BIN_DIR "/price_watcher.so", addresses, NULL, NULL);
    int status;
    if (!e2e_wait_exit (ticker, E2E_EXIT_MS, &status) || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (ticker);
        fail_msg ("ticker: expected exit 0");
    }
    for (int tick = 1; tick <= 3; tick++)
        E2E_ASSERT_LOG (watcher, e2e_fmt ("(tick %d,", tick), E2E_LOG_MS);
    assert_int_equal (e2e_file_count (e2e_proc_out (watcher), "heard MSFT"), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_cancel_order_graph, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_chain_loses_nothing, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_ticker_loses_nothing, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
