/*
 * nslab-workload-threads [N]: N threads (default 5, as in the article) that burn CPU.
 * Build: gcc -O2 -static -pthread -o nslab-workload-threads addon/workload/threads.c
 *
 * Prints one JSON line {"threads":[tid,...]} once every thread runs, so the lab knows
 * which tasks of /proc/PID/task are the busy ones.  The article makes each thread write
 * its own tid into the cgroup's `tasks` file; nslab puts the process into the cgroup
 * before it starts (like runc does), so the threads are born there.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_THREADS 64

static pid_t tids[MAX_THREADS];
static int started;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_started = PTHREAD_COND_INITIALIZER;
static int want;

static void *burn(void *arg) {
    long index = (long)arg;
    volatile unsigned long i = 0;
    pthread_mutex_lock(&lock);
    tids[index] = (pid_t)syscall(SYS_gettid);
    if (++started == want)
        pthread_cond_signal(&all_started);
    pthread_mutex_unlock(&lock);
    for (;;)
        i++;
    return NULL;
}

int main(int argc, char **argv) {
    char line[MAX_THREADS * 12 + 32];
    size_t len;
    want = argc > 1 ? atoi(argv[1]) : 5;
    if (want <= 0 || want > MAX_THREADS)
        want = 5;
    for (long t = 0; t < want; t++) {
        pthread_t th;
        int rc = pthread_create(&th, NULL, burn, (void *)t);
        if (rc != 0) {
            fprintf(stderr, "pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    pthread_mutex_lock(&lock);
    while (started < want)
        pthread_cond_wait(&all_started, &lock);
    pthread_mutex_unlock(&lock);
    len = (size_t)snprintf(line, sizeof line, "{\"threads\":[");
    for (int t = 0; t < want; t++)
        len += (size_t)snprintf(line + len, sizeof line - len, "%s%d", t ? "," : "", (int)tids[t]);
    len += (size_t)snprintf(line + len, sizeof line - len, "]}\n");
    if (write(1, line, len) < 0)
        return 1;
    /* The main thread only waits; the busy threads are the workload. */
    for (;;)
        pause();
}
