/*  utf8.h - the one UTF-8 check of svcfw, shared by the wire parser and the log's escaping.

    Inline: the parser calls it for every non-ASCII byte of a message.
*/
#ifndef UTF8_H_INCLUDED
#define UTF8_H_INCLUDED

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (a lead byte >= 0x80) before
   end: 2 to 4, or 0 if it is not valid (overlong, a surrogate, past
   U+10FFFF, truncated). Any thread. */
static inline size_t
utf8_sequence (const unsigned char *p, const unsigned char *end)
{
    unsigned long cp;
    size_t extra;
    if ((*p & 0xE0) == 0xC0)      { extra = 1; cp = *p & 0x1F; }
    else if ((*p & 0xF0) == 0xE0) { extra = 2; cp = *p & 0x0F; }
    else if ((*p & 0xF8) == 0xF0) { extra = 3; cp = *p & 0x07; }
    else return 0;
    if ((size_t) (end - p) <= extra)
        return 0;
    for (size_t i = 1; i <= extra; i++) {
        if ((p [i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p [i] & 0x3F);
    }
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000)
    ||  cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return extra + 1;
}

#endif
