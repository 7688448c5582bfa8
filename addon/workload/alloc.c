/*
 * nslab-workload-alloc [CHUNK_BYTES [PAUSE_US]]: allocate, touch and keep memory until
 * the kernel says no (defaults: 1 MiB every 2 ms).
 * Build: gcc -O2 -static -o nslab-workload-alloc addon/workload/alloc.c
 *
 * The article's program reads `p = malloc(p, chunk_size)`, which does not compile:
 * malloc takes one argument.  What it means is a leak that grows by one chunk per round,
 * so ours is `p = malloc(chunk)` and the old block is deliberately never freed.  Each
 * chunk is written with memset: memory that is only reserved is not charged to the
 * cgroup, only pages that are touched are.
 *
 * After each chunk it prints {"allocated":BYTES} as one line (one write(2), unbuffered),
 * so whoever reads the pipe knows how far it got when the OOM killer's SIGKILL came.
 * If malloc fails it prints {"allocated":BYTES,"error":"ENOMEM"} and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    size_t chunk = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024 * 1024;
    useconds_t pause_us = argc > 2 ? (useconds_t)strtoul(argv[2], NULL, 10) : 2000;
    unsigned long long total = 0;
    char line[96];
    int len;
    if (chunk == 0)
        chunk = 1024 * 1024;
    for (;;) {
        void *p = malloc(chunk);   /* article: malloc(p, chunk_size) -- a typo */
        if (p == NULL) {
            len = snprintf(line, sizeof line, "{\"allocated\":%llu,\"error\":\"ENOMEM\"}\n", total);
            if (write(1, line, (size_t)len) < 0)
                return 1;
            return 1;
        }
        memset(p, 1, chunk);
        total += chunk;
        len = snprintf(line, sizeof line, "{\"allocated\":%llu}\n", total);
        if (write(1, line, (size_t)len) < 0)
            return 1;
        if (pause_us)
            usleep(pause_us);
    }
}
