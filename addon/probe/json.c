/* nslab-probe: the JSON writer (see json.h). */
#define _GNU_SOURCE
#include "json.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ JSON output */

char out[1 << 20];
size_t out_len;
size_t out_lim = sizeof out - 1;    /* one byte kept for the '\n' */
int out_full;                       /* an append did not fit */
int truncated;                      /* a list was capped */

/* Append n bytes, or nothing at all (and remember it) if they do not fit. */
void put(const char *s, size_t n) {
    if (out_full || n > out_lim - out_len) { out_full = 1; return; }
    memcpy(out + out_len, s, n);
    out_len += n;
}

void puts_(const char *s) { put(s, strlen(s)); }

/* Append a short formatted item (numbers, tiny objects). */
void putf(const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Emit a comma unless we follow an opening bracket or a key, then "name":
 * (a NULL name only emits the comma; names are literals needing no escape). */
void key(const char *name) {
    char last = out_len ? out[out_len - 1] : '{';
    if (last != '{' && last != '[' && last != ':')
        put(",", 1);
    if (name) {
        put("\"", 1);
        puts_(name);
        put("\":", 2);
    }
}

void knum(const char *name, int ok, long long v) {
    key(name);
    if (ok) putf("%lld", v); else puts_("null");
}

void kobj(const char *name) {
    key(name);
    put("{", 1);
}

void kbool(const char *name, int b) {
    key(name);
    puts_(b ? "true" : "false");
}

/* Length of the valid UTF-8 multi-byte sequence at p, or 0 if invalid. */
size_t utf8_seq(const unsigned char *p) {
    size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2, i;
    if (p[0] < 0xc2 || p[0] > 0xf4)
        return 0;
    for (i = 1; i < n; i++)        /* also stops at the terminating NUL */
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
        return 0;                  /* overlong, surrogate or > U+10FFFF */
    return n;
}

/* Emit "name": and a JSON string, or null for NULL.  Bytes that are not
 * valid UTF-8 become \u00XX (same numeric value) so the line always parses. */
void kstr(const char *name, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    char esc[8];
    size_t n;
    key(name);
    if (!s) { puts_("null"); return; }
    put("\"", 1);
    while (*p) {
        if (*p == '"' || *p == '\\') {
            put("\\", 1);
            put((const char *)p++, 1);
        } else if (*p >= 0x20 && *p < 0x7f) {
            put((const char *)p++, 1);
        } else if ((n = utf8_seq(p)) > 0) {
            put((const char *)p, n);
            p += n;
        } else {
            snprintf(esc, sizeof esc, "\\u%04x", *p++);
            put(esc, 6);
        }
    }
    put("\"", 1);
}

/* Emit "name": and the symbolic name of errno e ("E<n>" if not in the
 * table), or null when e is 0. */
void kerrno(const char *name, int e) {
#define E(x) {x, #x}
    static const struct { int num; const char *name; } tab[] = {
        E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(EBADF),
        E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY),
        E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL),
        E(ENFILE), E(EMFILE), E(ETXTBSY), E(EFBIG), E(ENOSPC), E(EROFS),
        E(EPIPE), E(ERANGE), E(ENAMETOOLONG), E(ENOSYS), E(ENOTEMPTY),
        E(ELOOP), E(ENOMSG), E(EIDRM), E(EOVERFLOW), E(EUSERS),
        E(EOPNOTSUPP),                 /* == ENOTSUP on Linux */
    };
#undef E
    size_t i;
    for (i = 0; e && i < sizeof tab / sizeof tab[0]; i++)
        if (tab[i].num == e) { kstr(name, tab[i].name); return; }
    key(name);
    if (e) putf("\"E%d\"", e); else puts_("null");
}

/* One write(2) normally; more only after a partial write or EINTR.
 * Returns 0, or an errno value. */
int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

