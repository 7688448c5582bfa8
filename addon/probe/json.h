/* The probe's JSON writer: one line built in a static buffer (no malloc), written with one
 * write(2) so lines of several processes never mix. Keys and values are appended in order;
 * an append that does not fit sets out_full instead of overflowing. */
#ifndef NSLAB_PROBE_JSON_H
#define NSLAB_PROBE_JSON_H
#include <stddef.h>

extern char out[1 << 20];
extern size_t out_len;
extern size_t out_lim;   /* the buffer's size less one byte kept for the '\n' */
extern int out_full;     /* an append did not fit */
extern int truncated;    /* a list was capped */
void put(const char *s, size_t n);
void puts_(const char *s);
void putf(const char *fmt, ...);
void key(const char *name);
void knum(const char *name, int ok, long long v);
void kobj(const char *name);
void kbool(const char *name, int b);
size_t utf8_seq(const unsigned char *p);
void kstr(const char *name, const char *s);
void kerrno(const char *name, int e);
int write_all(int fd, const char *buf, size_t len);

#endif
