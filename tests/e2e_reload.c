/*  e2e_reload - the config read again while the service runs: a change of
    the -c file on disk (inotify; polling with SVCFW_RELOAD_POLL_MS) or
    SIGHUP; a broken file is refused with one log line and the old config
    stays; svcfw_reconfigure may refuse one; the log level follows the
    config's svcfw_log_level unless -cl was given; command-line overrides
    still win. The plugin is tests/plugins/reload_svc.c.
*/
#include "e2e.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    e2e_proc_t *svc;
    zsock_t *req;
    const char *config_path;
    int port;
} s_svc_t;

//  Starts reload_svc with `config` and the extra arguments; ready.
static void
s_start (const char *dir, s_svc_t *s, const char *config, const char *const extra [])
{
    int port = e2e_tcp_port ();
    s->svc = e2e_svcfw_argv (dir, e2e_plugin ("reload_svc"),
        e2e_fmt ("{\"connections\": {\"in\": {\"hello\": {\"replyer\": \"%s\"}}}}", e2e_addr (port)),
        config, extra);
    E2E_ASSERT_READY (s->svc);
    s->config_path = e2e_fmt ("%s/reload_svc.config.json", dir);
    assert_non_null (e2e_read_file (s->config_path));
    s->req = e2e_req (e2e_endpoint (port));
    s->port = port;
}

//  What the handler sees: "GREETING/NOTE".
static const char *
s_hello (s_svc_t *s)
{
    cJSON *reply = e2e_request (s->req, "{\"args\": {}}");
    assert_non_null (reply);
    const cJSON *args = cJSON_GetObjectItem (reply, "return_args");
    if (!args)
        fail_msg ("not a reply: %s", e2e_json (reply));
    return e2e_fmt ("%s/%s", cJSON_GetObjectItem (args, "greeting")->valuestring,
                    cJSON_GetObjectItem (args, "note")->valuestring);
}

typedef struct {
    s_svc_t *s;
    const char *want;
} s_expect_t;

static bool
s_hello_is (void *arg)
{
    s_expect_t *expect = arg;
    return strcmp (s_hello (expect->s), expect->want) == 0;
}

//  The svcfw_reconfigure hook's line comes before the new config is in
//  force (SPEC §12: validate, hook, then swap): asks until the handler
//  sees `want`, within the bound.
static void
s_hello_becomes (s_svc_t *s, const char *want)
{
    s_expect_t expect = { s, want };
    if (!e2e_poll (s_hello_is, &expect, 3000))
        fail_msg ("the handler still sees \"%s\", not \"%s\", 3 s after the reload", s_hello (s), want);
}

//  Saves the config as most editors do: a new file renamed over the old.
static void
s_save_renamed (const char *dir, s_svc_t *s, const char *text)
{
    char *tmp = e2e_write_file (dir, "reload_svc.config.json.tmp", text);
    assert_non_null (tmp);
    assert_int_equal (rename (tmp, s->config_path), 0);
}

//  Saves the config in place (truncate and write, as `echo > file` does).
static void
s_save_in_place (s_svc_t *s, const char *text)
{
    FILE *file = fopen (s->config_path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

static void
test_file_change_reaches_reconfigure (void **state)
{
    const char *dir = *state;
    s_svc_t s;
    s_start (dir, &s, "{\"greeting\": \"one\"}", (const char *const []) { NULL });
    assert_string_equal (s_hello (&s), "one/");

    long long start = e2e_now_ms ();
    s_save_renamed (dir, &s, "{\"greeting\": \"two\", \"note\": \"renamed\"}");
    E2E_ASSERT_LOG (s.svc, "reconfigure greeting=two note=renamed", 3000);
    long long renamed_ms = e2e_now_ms () - start;
    E2E_ASSERT_LOG (s.svc, "config reloaded (the file changed)", 3000);
    assert_string_equal (s_hello (&s), "two/renamed");

    start = e2e_now_ms ();
    s_save_in_place (&s, "{\"greeting\": \"three\"}");
    E2E_ASSERT_LOG (s.svc, "reconfigure greeting=three note=", 3000);
    long long in_place_ms = e2e_now_ms () - start;
    s_hello_becomes (&s, "three/");
    printf ("a change on disk reached svcfw_reconfigure in %lld ms (renamed over), %lld ms (written in place)\n",
            renamed_ms, in_place_ms);
    assert_true (renamed_ms < 3000 && in_place_ms < 3000);
    //  Each save is one reload.
    assert_int_equal (e2e_line_count (e2e_proc_out (s.svc), "reconfigure greeting=", NULL), 2);
}

static void
test_broken_file_is_refused_and_the_old_config_stays (void **state)
{
    const char *dir = *state;
    s_svc_t s;
    s_start (dir, &s, "{\"greeting\": \"good\"}", (const char *const []) { NULL });

    //  Not JSON: the line names the file, line and column.
    s_save_renamed (dir, &s, "{\"greeting\": \"bad\",\n  oops}");
    E2E_ASSERT_LOG (s.svc, "keeping the config in force (the file changed)", 3000);
    char *line = e2e_grep (e2e_proc_out (s.svc), "keeping the config in force");
    printf ("%s\n", line);
    assert_true (e2e_match (line, "ERROR .*reload_svc\\.config\\.json:2:[0-9]+"));
    assert_string_equal (s_hello (&s), "good/");

    //  Valid JSON, invalid config: the line names the key.
    s_save_in_place (&s, "{\"greeting\": 5}");
    assert_true (e2e_wait_count (e2e_proc_out (s.svc), "keeping the config in force", 2, 3000));
    line = e2e_grep_last (e2e_proc_out (s.svc), "keeping the config in force");
    printf ("%s\n", line);
    assert_non_null (strstr (line, "reload_svc.config.json: config:"));
    assert_non_null (strstr (line, "greeting"));
    assert_string_equal (s_hello (&s), "good/");

    //  svcfw_reconfigure refuses: logged with its reason; the old one stays.
    s_save_in_place (&s, "{\"greeting\": \"refused\", \"refuse\": true}");
    E2E_ASSERT_LOG (s.svc, "svcfw_reconfigure refused the new config (returned 1): this plugin was told to "
                    "refuse it; keeping the config in force", 3000);
    assert_string_equal (s_hello (&s), "good/");

    //  A good file after all that is taken.
    s_save_in_place (&s, "{\"greeting\": \"fixed\"}");
    E2E_ASSERT_LOG (s.svc, "reconfigure greeting=fixed", 3000);
    s_hello_becomes (&s, "fixed/");
    assert_true (e2e_alive (s.svc));
}

//  With the file's watch polling too slowly to matter, only SIGHUP reloads.
static void
test_sighup_reloads (void **state)
{
    const char *dir = *state;
    s_svc_t s;
    setenv ("SVCFW_RELOAD_POLL_MS", "600000", 1);
    s_start (dir, &s, "{\"greeting\": \"before\"}", (const char *const []) { NULL });
    unsetenv ("SVCFW_RELOAD_POLL_MS");
    s_save_in_place (&s, "{\"greeting\": \"after\"}");
    assert_string_equal (s_hello (&s), "before/");      //  not reloaded by itself
    assert_int_equal (kill (e2e_proc_pid (s.svc), SIGHUP), 0);
    E2E_ASSERT_LOG (s.svc, "reconfigure greeting=after", 3000);
    E2E_ASSERT_LOG (s.svc, "config reloaded (SIGHUP)", 3000);
    assert_string_equal (s_hello (&s), "after/");

    s_save_in_place (&s, "[]");
    assert_int_equal (kill (e2e_proc_pid (s.svc), SIGHUP), 0);
    E2E_ASSERT_LOG (s.svc, "config must be a JSON object, got array; keeping the config in force (SIGHUP)", 3000);
    assert_string_equal (s_hello (&s), "after/");
    assert_true (e2e_alive (s.svc));
    int status = 0;
    assert_true (e2e_stop (s.svc, SIGTERM, 5000, &status));
    assert_int_equal (e2e_exit_code (s.svc), 0);
}

//  Where inotify is not used, the file is polled.
static void
test_polling_reloads (void **state)
{
    const char *dir = *state;
    s_svc_t s;
    setenv ("SVCFW_RELOAD_POLL_MS", "100", 1);
    s_start (dir, &s, "{\"greeting\": \"p1\"}", (const char *const []) { "-cl", "DEBUG", NULL });
    unsetenv ("SVCFW_RELOAD_POLL_MS");
    E2E_ASSERT_LOG (s.svc, "every 100 ms", 3000);
    long long start = e2e_now_ms ();
    s_save_renamed (dir, &s, "{\"greeting\": \"p2\"}");
    E2E_ASSERT_LOG (s.svc, "reconfigure greeting=p2", 3000);
    printf ("polling every 100 ms: the change reached svcfw_reconfigure in %lld ms\n", e2e_now_ms () - start);
    s_hello_becomes (&s, "p2/");
}

static void
test_log_level_follows_the_config (void **state)
{
    const char *dir = *state;
    s_svc_t s;
    s_start (dir, &s, "{\"greeting\": \"g\"}", (const char *const []) { NULL });
    s_hello (&s);
    assert_int_equal (e2e_line_count (e2e_proc_out (s.svc), "hello debug", NULL), 0);
    s_save_in_place (&s, "{\"greeting\": \"g\", \"svcfw_log_level\": \"DEBUG\"}");
    E2E_ASSERT_LOG (s.svc, "config unchanged (the file changed)", 3000);     //  itself a DEBUG line
    s_hello (&s);
    E2E_ASSERT_LOG (s.svc, "hello debug", 3000);
    //  Back to WARNING: INFO lines stop too.
    s_save_in_place (&s, "{\"greeting\": \"g2\", \"svcfw_log_level\": \"WARNING\"}");
    E2E_ASSERT_LOG (s.svc, "reconfigure greeting=g2", 3000);
    s_save_in_place (&s, "{\"greeting\": \"g3\", \"svcfw_log_level\": \"WARNING\"}");
    s_hello_becomes (&s, "g3/");
    s_save_in_place (&s, "{\"greeting\": \"g3\", \"svcfw_log_level\": \"LOUD\"}");
    E2E_ASSERT_LOG (s.svc, "svcfw_log_level: must be a log level", 3000);
    assert_string_equal (s_hello (&s), "g3/");
    assert_int_equal (e2e_line_count (e2e_proc_out (s.svc), "reconfigure greeting=g3", NULL), 0);
    assert_int_equal (e2e_line_count (e2e_proc_out (s.svc), "hello debug", NULL), 1);
}

//  -cl and --KEY VALUE on the command line win over the reloaded file.
static void
test_command_line_still_wins (void **state)
{
    const char *dir = *state;
    s_svc_t s;
    s_start (dir, &s, "{\"greeting\": \"file\"}",
             (const char *const []) { "--greeting", "cli", "-cl", "INFO", NULL });
    assert_string_equal (s_hello (&s), "cli/");
    s_save_in_place (&s, "{\"greeting\": \"file2\", \"note\": \"n2\", \"svcfw_log_level\": \"DEBUG\"}");
    E2E_ASSERT_LOG (s.svc, "reconfigure greeting=cli note=n2", 3000);
    s_hello_becomes (&s, "cli/n2");
    assert_int_equal (e2e_line_count (e2e_proc_out (s.svc), "hello debug", NULL), 0);
}

//  Handlers on 8 workers hold the config they got while 20 reloads swap
//  it: every reply comes from one whole config (greeting and note of the
//  same save), and nothing is freed under a handler (a sanitizer build
//  would report it).
static void
test_handlers_keep_a_whole_config_across_reloads (void **state)
{
    const char *dir = *state;
    s_svc_t s;
    s_start (dir, &s, "{\"greeting\": \"g0\", \"note\": \"n0\"}", (const char *const []) { NULL });
    zsock_t *dealer = e2e_dealer (e2e_endpoint (s.port));
    assert_non_null (dealer);
    const char *request = "{\"args\": {\"hold_ms\": 200}}";   //  longer than a reload takes to land
    int sent = 0, received = 0, consistent = 0;
    for (int n = 1; n <= 20; n++) {
        for (int i = 0; i < 10; i++, sent++) {
            assert_int_equal (zmq_send (zsock_resolve (dealer), "", 0, ZMQ_SNDMORE), 0);
            assert_int_equal (zmq_send (zsock_resolve (dealer), request, strlen (request), 0), (int) strlen (request));
        }
        s_save_renamed (dir, &s, e2e_fmt ("{\"greeting\": \"g%d\", \"note\": \"n%d\"}", n, n));
        E2E_ASSERT_LOG (s.svc, e2e_fmt ("reconfigure greeting=g%d ", n), 3000);
    }
    long long deadline = e2e_now_ms () + 20000;
    while (received < sent && e2e_now_ms () < deadline) {
        zmsg_t *msg = zmsg_recv (dealer);
        if (!msg)
            continue;
        received++;
        cJSON *reply = e2e_keep_json (cJSON_Parse (e2e_frame_text (msg, 1)));
        const cJSON *args = cJSON_GetObjectItem (reply, "return_args");
        const cJSON *greeting = cJSON_GetObjectItem (args, "greeting");
        const cJSON *note = cJSON_GetObjectItem (args, "note");
        if (cJSON_IsString (greeting) && cJSON_IsString (note)
        &&  strcmp (greeting->valuestring + 1, note->valuestring + 1) == 0)
            consistent++;
        else
            printf ("inconsistent reply: %s\n", e2e_json (reply));
        zmsg_destroy (&msg);
    }
    printf ("%d requests across 20 reloads: %d replies, %d from one whole config\n", sent, received, consistent);
    assert_int_equal (received, sent);
    assert_int_equal (consistent, sent);
    s_hello_becomes (&s, "g20/n20");
}

//  A plugin without svcfw_reconfigure reloads too, and its
//  svcfw_setup_config runs on the new config as at startup.
static void
test_without_the_hook_and_with_setup_config (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("hooks_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (port)),
        "{\"greeting\": \"hi\"}", NULL);
    E2E_ASSERT_READY (svc);
    const char *path = e2e_fmt ("%s/hooks_replyer.config.json", dir);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    assert_non_null (e2e_request (req, "{\"args\": {\"order_id\": 1}}"));
    E2E_ASSERT_LOG (svc, "got order 1 greeting=hi", 3000);
    assert_non_null (e2e_write_file (dir, "hooks_replyer.config.json", "{}"));
    E2E_ASSERT_LOG (svc, e2e_fmt ("%s: config reloaded (the file changed)", path), 3000);
    assert_non_null (e2e_request (req, "{\"args\": {\"order_id\": 2}}"));
    E2E_ASSERT_LOG (svc, "got order 2 greeting=hello", 3000);     //  svcfw_setup_config's default
}

//  The log level keys are checked at startup as on a reload; SIGHUP
//  without -c reloads nothing and stops nothing.
static void
test_log_keys_at_startup_and_sighup_without_config (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    const char *addresses = e2e_write_file (dir, "a.json",
        e2e_fmt ("{\"connections\": {\"in\": {\"hello\": {\"replyer\": \"%s\"}}}}", e2e_addr (port)));
    const char *config = e2e_write_file (dir, "c.json", "{\"greeting\": \"g\", \"svcfw_log_file_level\": 3}");
    e2e_proc_t *bad = e2e_svcfw_run (dir, "bad_level", "-s", e2e_plugin ("reload_svc"), "-a", addresses,
                                     "-c", config, NULL);
    e2e_assert_one_line (bad, 1, E2E_ERROR_RE, "c.json: svcfw_log_file_level: must be a log level", NULL);

    //  DEBUG from the config at startup; no -c: SIGHUP changes nothing.
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("reload_svc"),
        e2e_fmt ("{\"connections\": {\"in\": {\"hello\": {\"replyer\": \"%s\"}}}}", e2e_addr (port)),
        NULL, "--greeting", "cli", "--svcfw_log_level", "DEBUG", NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    assert_non_null (e2e_request (req, "{\"args\": {}}"));
    E2E_ASSERT_LOG (svc, "hello debug", 3000);
    assert_int_equal (kill (e2e_proc_pid (svc), SIGHUP), 0);
    E2E_ASSERT_LOG (svc, "SIGHUP: no -c file: nothing to reload", 3000);
    assert_true (e2e_alive (svc));
}

//  A Kubernetes ConfigMap volume: config.json -> ..data/config.json, and an
//  update renames a new "..data" link over the old one (the file itself
//  never changes). Writes DIR/NAME/config.json behind a fresh ..data link.
static void
s_configmap_update (const char *dir, const char *version, const char *text)
{
    char *data_dir = e2e_fmt ("%s/..%s", dir, version);
    assert_int_equal (mkdir (data_dir, 0755), 0);
    assert_non_null (e2e_write_file (data_dir, "config.json", text));
    char *tmp = e2e_fmt ("%s/..data_tmp", dir);
    assert_int_equal (symlink (e2e_fmt ("..%s", version), tmp), 0);
    assert_int_equal (rename (tmp, e2e_fmt ("%s/..data", dir)), 0);
}

static void
test_configmap_update (void **state)
{
    const char *dir = *state;
    char *volume = e2e_fmt ("%s/volume", dir);
    assert_int_equal (mkdir (volume, 0755), 0);
    s_configmap_update (volume, "v1", "{\"greeting\": \"map1\"}");
    assert_int_equal (symlink ("..data/config.json", e2e_fmt ("%s/config.json", volume)), 0);
    int port = e2e_tcp_port ();
    s_svc_t s = { .port = port };
    s.svc = e2e_svcfw (dir, e2e_plugin ("reload_svc"),
        e2e_fmt ("{\"connections\": {\"in\": {\"hello\": {\"replyer\": \"%s\"}}}}", e2e_addr (port)),
        NULL, "-c", e2e_fmt ("%s/config.json", volume), NULL);
    E2E_ASSERT_READY (s.svc);
    s.req = e2e_req (e2e_endpoint (port));
    assert_string_equal (s_hello (&s), "map1/");
    s_configmap_update (volume, "v2", "{\"greeting\": \"map2\", \"note\": \"k8s\"}");
    E2E_ASSERT_LOG (s.svc, "reconfigure greeting=map2 note=k8s", 3000);
    s_hello_becomes (&s, "map2/k8s");
}

//  Main mode: svcfw_main sees each new config at its next svcfw_config.
static void
test_main_mode_sees_reloads (void **state)
{
    const char *dir = *state;
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("reload_main"), NULL, "{\"greeting\": \"a\"}", "-m", NULL);
    E2E_ASSERT_LOG (svc, "main sees greeting=a", 5000);
    const char *path = e2e_fmt ("%s/reload_main.config.json", dir);
    for (int i = 0; i < 5; i++) {
        assert_non_null (e2e_write_file (dir, "reload_main.config.json", e2e_fmt ("{\"greeting\": \"b%d\"}", i)));
        E2E_ASSERT_LOG (svc, e2e_fmt ("main sees greeting=b%d", i), 3000);
    }
    assert_non_null (e2e_read_file (path));
    assert_non_null (e2e_write_file (dir, "reload_main.config.json", "{\"greeting\": \"stop\"}"));
    int status = 0;
    assert_true (e2e_wait_exit (svc, E2E_EXIT_MS, &status));
    assert_int_equal (e2e_exit_code (svc), 0);
    assert_int_equal (e2e_line_count (e2e_proc_out (svc), "the first config still says greeting=a", NULL), 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_file_change_reaches_reconfigure, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_broken_file_is_refused_and_the_old_config_stays, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_sighup_reloads, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_polling_reloads, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_log_level_follows_the_config, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_command_line_still_wins, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_handlers_keep_a_whole_config_across_reloads, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_without_the_hook_and_with_setup_config, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_log_keys_at_startup_and_sighup_without_config, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_configmap_update, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_main_mode_sees_reloads, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
