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

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_cancel_order_graph, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
