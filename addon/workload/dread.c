/*
 * nslab-workload-dread DEVICE SECONDS [BLOCK_BYTES]: read a block device with O_DIRECT
 * for SECONDS (wrapping around at its end) and report bytes and elapsed time.
 * Build: gcc -O2 -static -o nslab-workload-dread addon/workload/dread.c
 *
 * O_DIRECT bypasses the page cache, so every read becomes a bio that the block layer's
 * throttle (blkio.throttle.read_bps_device / io.max) sees and delays; buffered reads
 * would be served from the cache and not measure the limit at all.  This is the
 * article's `dd if=/dev/sda1 of=/dev/null`, with the timing done inside the reader.
 *
 * Output, one JSON line each (single write(2)):
 *   {"bytes":B,"ns":T}                 about every 250 ms while it reads
 *   {"done":1,"bytes":B,"ns":T}        at the end
 *   {"error":"open","errno":N}         on failure (exit 2)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void report(const char *prefix, unsigned long long bytes, long long ns) {
    char line[128];
    int len = snprintf(line, sizeof line, "{%s\"bytes\":%llu,\"ns\":%lld}\n", prefix, bytes, ns);
    if (write(1, line, (size_t)len) < 0)
        exit(1);
}

static int fail(const char *what) {
    char line[96];
    int err = errno;
    int len = snprintf(line, sizeof line, "{\"error\":\"%s\",\"errno\":%d}\n", what, err);
    if (write(1, line, (size_t)len) < 0)
        return 2;
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DEVICE SECONDS [BLOCK_BYTES]\n", argv[0]);
        return 2;
    }
    long long limit_ns = (long long)(atof(argv[2]) * 1e9);
    size_t block = argc > 3 ? strtoul(argv[3], NULL, 10) : 64 * 1024;
    void *buf;
    int fd = open(argv[1], O_RDONLY | O_DIRECT);
    if (fd < 0)
        return fail("open");
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < (off_t)block)
        return fail("size");
    if (posix_memalign(&buf, 4096, block) != 0)
        return fail("posix_memalign");

    unsigned long long bytes = 0;
    off_t off = 0;
    long long start = now_ns(), last = start, t = start;
    while (t - start < limit_ns) {
        ssize_t n = pread(fd, buf, block, off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail("pread");
        }
        bytes += (unsigned long long)n;
        off += n;
        if (n == 0 || off + (off_t)block > size)
            off = 0;
        t = now_ns();
        if (t - last >= 250000000LL) {
            report("", bytes, t - start);
            last = t;
        }
    }
    report("\"done\":1,", bytes, t - start);
    return 0;
}
