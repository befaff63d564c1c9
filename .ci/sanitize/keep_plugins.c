/*  keep_plugins.c - LD_PRELOAD shim for sanitizer runs: svcfw keeps its plugins mapped until exit.

    LeakSanitizer reports leaks when a process exits, which for svcfw is
    after it has dlclose'd the plugin. A stack frame inside an unloaded
    plugin then has no module to be named from: it prints as "<unknown
    module>" or, worse, as an offset into whatever is mapped there now
    (often svcfw itself), so a leak looks like it came from the wrong code.
    In the svcfw executable only, this dlclose does nothing, so every frame
    is named. Every other program (test binaries that load and unload
    fixture plugins, the compiler, ...) gets the real dlclose.

    Leaks are still found: svcfw never loads a plugin twice, and the
    runtime's own memory is scanned the same way as before. Memory that only
    a plugin's globals still point to at exit counts as reachable, as it
    would in any program.

    Built and preloaded by `.ci/test --sanitize` (with ASan's
    verify_asan_link_order=0); SVCFW_REAL_DLCLOSE=1 turns it off.
*/
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
dlclose (void *handle)
{
    static int (*real_dlclose) (void *);
    const char *off = getenv ("SVCFW_REAL_DLCLOSE");
    if (strcmp (program_invocation_short_name, "svcfw") == 0 && !(off && *off == '1'))
        return 0;
    if (!real_dlclose)
        *(void **) &real_dlclose = dlsym (RTLD_NEXT, "dlclose");
    return real_dlclose? real_dlclose (handle): -1;
}
