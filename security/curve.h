/*  curve.h - CurveZMQ key files: making a pair, loading one, checking them.

    Key files are CZMQ's zcert format (ZPL text): NAME holds the public key,
    NAME_secret both keys, each Z85 text of 40 characters under "curve".
    Every loader checks what CZMQ's zcert_load does not: the file is there
    and readable, the keys are 40 characters of valid Z85, a secret file's
    public key matches its secret key, and a secret file is not readable by
    group or others (as ssh refuses an unprotected private key).
*/
#ifndef CURVE_H_INCLUDED
#define CURVE_H_INCLUDED

#include <stdbool.h>
#include <czmq.h>
#include "err.h"

/* Writes a fresh key pair DIR/NAME (public, mode 0644) and DIR/NAME_secret
   (mode 0600, created so: never readable by others, not even for a moment).
   `dir` NULL means ".". An existing NAME or NAME_secret is kept and the call
   fails unless `force`. On success writes the public file's path into
   `public_path` (PATH_MAX bytes) if not NULL. Returns 0, or -1 with err
   naming the file. Any thread. */
int curve_keygen (const char *dir, const char *name, bool force, char *public_path, char *err);

/* Loads the key pair of a `_secret` file. Returns a fresh certificate the
   caller owns (zcert_destroy), or NULL with err = "PATH: ..." (missing,
   unreadable, no or malformed key, keys that do not match, or "PATH: the
   secret key file is readable by group or others (mode 0644); chmod 600 it"). */
zcert_t *curve_load_secret (const char *path, char *err);

/* Loads the public key of a public (or secret) cert file. Returns a fresh
   certificate the caller owns (zcert_destroy; its secret key is zero), or
   NULL with err = "PATH: ...". */
zcert_t *curve_load_public (const char *path, char *err);

/* Checks an allow-list directory: it exists, is a readable directory, and
   every cert file in it (names ending "_secret" and starting "." skipped,
   as CZMQ's zcertstore does) holds a valid public key. Writes the count of
   keys into *count if not NULL. Returns 0, or -1 with err naming the
   directory or the file. */
int curve_check_allow_dir (const char *dir, int *count, char *err);

#endif
