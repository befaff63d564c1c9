/*  err.h - the error-buffer convention shared by every module.

    A fallible function returns 0 (or an object) on success and -1 (or NULL)
    on failure; when the caller passes `char err[ERR_LEN]`, the function fills
    it in on failure only, with one line and no trailing newline. Only cmd/
    and the top of core/ print these. Errors quote what users and peers
    wrote (keys, addresses, text), so err_set turns every control character
    in the result into '?': a quoted "a\nb" cannot split the line.
*/
#ifndef ERR_H_INCLUDED
#define ERR_H_INCLUDED

#include <stdarg.h>
#include <stdio.h>

#define ERR_LEN 512

/* Formats into err (if not NULL) and returns -1. */
static inline int __attribute__ ((format (printf, 2, 3)))
err_set (char *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err, ERR_LEN, fmt, ap);
        va_end (ap);
        for (char *p = err; *p; p++)
            if ((unsigned char) *p < 0x20 || *p == 0x7f)
                *p = '?';
    }
    return -1;
}

#endif
