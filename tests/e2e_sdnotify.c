/*  e2e_sdnotify - systemd's notify protocol: with NOTIFY_SOCKET pointing at
    a datagram socket the test owns, the service sends READY=1 once wired,
    WATCHDOG=1 every half WATCHDOG_USEC, and STOPPING=1 on stop.
*/
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "e2e.h"

//  Receives one datagram within `timeout_ms` into buf; returns false if none.
static bool
s_recv (int fd, char *buf, size_t size, int timeout_ms)
{
    struct pollfd item = { fd, POLLIN, 0 };
    if (poll (&item, 1, timeout_ms) != 1)
        return false;
    ssize_t n = recv (fd, buf, size - 1, 0);
    if (n < 0)
        return false;
    buf [n] = 0;
    return true;
}

static void
test_ready_watchdog_stopping (void **state)
{
    const char *dir = *state;
    const char *path = e2e_fmt ("%s/notify.sock", dir);
    int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf (addr.sun_path, sizeof addr.sun_path, "%s", path);
    assert_int_equal (bind (fd, (struct sockaddr *) &addr, sizeof addr), 0);

    setenv ("NOTIFY_SOCKET", path, 1);
    setenv ("WATCHDOG_USEC", "400000", 1);          //  0.4 s: a WATCHDOG=1 every 200 ms
    int port = e2e_tcp_port ();
    e2e_proc_t *rep = e2e_svcfw (dir, e2e_plugin ("metrics_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"quotes\": {\"replyer\": \"%s\"}}, \"out\": {}}}", e2e_addr (port)),
        NULL, NULL);
    unsetenv ("NOTIFY_SOCKET");
    unsetenv ("WATCHDOG_USEC");
    E2E_ASSERT_READY (rep);

    //  READY=1 first, after wiring: the replyer answers by then.
    char buf [256];
    assert_true (s_recv (fd, buf, sizeof buf, 5000));
    assert_string_equal (buf, "READY=1");
    zsock_t *req = e2e_req (e2e_endpoint (port));
    assert_null (e2e_reply_kind (e2e_request (req, "{\"args\": {\"symbol\": \"A\"}}")));

    //  WATCHDOG=1 at about half of WATCHDOG_USEC: 10 of them, at 200 ms
    //  each, take about 2 s (loose bounds: 1 s to 6 s).
    long long start = e2e_now_ms ();
    int pings = 0;
    while (pings < 10 && s_recv (fd, buf, sizeof buf, 3000))
        if (strcmp (buf, "WATCHDOG=1") == 0)
            pings++;
    long long took = e2e_now_ms () - start;
    assert_int_equal (pings, 10);
    if (took < 1000 || took > 6000)
        fail_msg ("10 WATCHDOG=1 took %lld ms; expected about 2000", took);

    kill (e2e_proc_pid (rep), SIGTERM);
    bool stopping = false;
    while (!stopping && s_recv (fd, buf, sizeof buf, 5000))
        stopping = strcmp (buf, "STOPPING=1") == 0;
    assert_true (stopping);
    int status;
    assert_true (e2e_wait_exit (rep, 5000, &status));
    assert_int_equal (e2e_exit_code (rep), 0);
    close (fd);
}

//  Without NOTIFY_SOCKET nothing is sent and nothing fails.
static void
test_without_notify_socket (void **state)
{
    const char *dir = *state;
    unsetenv ("NOTIFY_SOCKET");
    int port = e2e_tcp_port ();
    e2e_proc_t *rep = e2e_svcfw (dir, e2e_plugin ("metrics_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"quotes\": {\"replyer\": \"%s\"}}, \"out\": {}}}", e2e_addr (port)),
        NULL, NULL);
    E2E_ASSERT_READY (rep);
    int status;
    assert_true (e2e_stop (rep, SIGTERM, 5000, &status));
    assert_int_equal (e2e_exit_code (rep), 0);
    assert_null (e2e_grep (e2e_proc_out (rep), "watchdog"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_ready_watchdog_stopping, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_without_notify_socket, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
