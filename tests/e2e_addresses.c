/*  e2e_addresses - address forms of SPEC §3 and binding only the host given (SPEC §7).

    echo_replyer binds `orders` at HOST:PORT, *:PORT, a full tcp:// endpoint
    or an ipc:// endpoint; a raw REQ peer must reach it there, and a socket
    bound to 127.0.0.1 must not answer on 127.0.0.2.
*/
#include "e2e.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static e2e_proc_t *
s_start_replyer (const char *dir, const char *address)
{
    e2e_proc_t *proc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        address), NULL, NULL);
    E2E_ASSERT_READY (proc);
    return proc;
}

static void
s_assert_serves (const char *endpoint)
{
    zsock_t *req = e2e_req (endpoint);
    assert_non_null (req);
    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": 1}}");
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive (reply, "return_args");
    if (!cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (ret, "ok")))
        fail_msg ("no good reply at %s: %s", endpoint, e2e_json (reply));
    e2e_sock_destroy (&req);
}

//  True if a plain TCP connect to host:port is accepted.
static bool
s_tcp_accepts (const char *host, int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
    assert_int_equal (inet_pton (AF_INET, host, &addr.sin_addr), 1);
    int rc = connect (fd, (struct sockaddr *) &addr, sizeof addr);
    close (fd);
    return rc == 0;
}

static void
test_binds_only_the_given_host (void **state)
{
    int port = e2e_tcp_port ();
    s_start_replyer (*state, e2e_addr (port));
    s_assert_serves (e2e_endpoint (port));
    assert_true (s_tcp_accepts ("127.0.0.1", port));
    if (s_tcp_accepts ("127.0.0.2", port))
        fail_msg ("replyer given 127.0.0.1:%d also accepts on 127.0.0.2: it bound every "
                  "interface", port);
}

static void
test_star_binds_every_interface (void **state)
{
    int port = e2e_tcp_port ();
    s_start_replyer (*state, e2e_fmt ("*:%d", port));
    s_assert_serves (e2e_endpoint (port));
    s_assert_serves (e2e_fmt ("tcp://127.0.0.2:%d", port));
}

static void
test_zero_host_binds_every_interface (void **state)
{
    int port = e2e_tcp_port ();
    s_start_replyer (*state, e2e_fmt ("0.0.0.0:%d", port));
    s_assert_serves (e2e_fmt ("tcp://127.0.0.2:%d", port));
}

static void
test_full_tcp_endpoint (void **state)
{
    int port = e2e_tcp_port ();
    s_start_replyer (*state, e2e_endpoint (port));
    s_assert_serves (e2e_endpoint (port));
    assert_false (s_tcp_accepts ("127.0.0.2", port));
}

static void
test_ipc_endpoint (void **state)
{
    const char *endpoint = e2e_fmt ("ipc://%s/orders.sock", (const char *) *state);
    s_start_replyer (*state, endpoint);
    s_assert_serves (endpoint);
}

static void
test_requester_over_ipc (void **state)
{
    const char *dir = *state;
    const char *endpoint = e2e_fmt ("ipc://%s/orders.sock", dir);
    s_start_replyer (dir, endpoint);
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("requester_main"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"orders\": {\"requester\": \"%s\"}}}}",
        endpoint), "{\"count\": 2}", "-m", NULL);
    assert_non_null (client);
    int status;
    if (!e2e_wait_exit (client, E2E_EXIT_MS, &status) || !WIFEXITED (status)
        || WEXITSTATUS (status) != 0) {
        e2e_dump (client);
        fail_msg ("requester over ipc:// did not get its replies");
    }
    assert_int_equal (e2e_file_count (e2e_proc_out (client), " ok=true "), 2);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_binds_only_the_given_host),
        T (test_star_binds_every_interface),
        T (test_zero_host_binds_every_interface),
        T (test_full_tcp_endpoint),
        T (test_ipc_endpoint),
        T (test_requester_over_ipc),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
