/*
 * nslab-probe: report what a process can see from inside a container.
 * Build: gcc -O2 -static -Wall -Wextra -o nslab-probe addon/probe/probe.c addon/probe/json.c
 *
 * Options are validated first, then executed left to right:
 *   --sethostname NAME  --read PATH  --msgget KEY  --write PATH TEXT
 *   --orphan  --no-report  --hold  --exit N
 * then (after the --orphan demo) the report is printed as one JSON line on
 * stdout, then --hold blocks on stdin until EOF.  Whatever cannot be found
 * out (no /proc, ...) is reported as null.  If an option is repeated only
 * its last result is reported.  Every output line is built in memory and
 * written with a single write(2), so lines of several processes never mix.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIST_CAP 4096               /* max entries of each list */
#define OUT_RESERVE (64 * 1024)     /* output kept free for fields after lists */

#include "json.h"

/* --------------------------------------------------------- option actions */

static struct {
    int host, host_err;
    int rd, rd_err, rd_bytes;          /* rd_bytes < 0: nothing read */
    const char *rd_path;
    int msg, msg_key, msg_id, msg_err;
    int wr, wr_err;
    const char *wr_path;
    int orphan, orphan_err;
} res;

static void do_read(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = -1;
    char buf[64];
    if (fd >= 0)
        while ((n = read(fd, buf, sizeof buf)) < 0 && errno == EINTR)
            ;
    res.rd = 1;
    res.rd_path = path;
    res.rd_err = n < 0 ? errno : 0;
    res.rd_bytes = (int)n;
    if (fd >= 0)
        close(fd);
}

static void do_write(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    res.wr = 1;
    res.wr_path = path;
    res.wr_err = fd < 0 ? errno : write_all(fd, text, strlen(text));
    if (fd >= 0 && close(fd) < 0 && res.wr_err == 0)
        res.wr_err = errno;
}

/* Grandchild G of --orphan: wait until M is gone and we were re-parented,
 * say so, tell P through note_w, then block.  Rather than a bare pause(), G
 * blocks reading the "lifeline" pipe whose only writer is P: when P is PID 1
 * the kernel kills G as P exits anyway, otherwise G exits with P and does
 * not linger on the host. */
static void grandchild(pid_t mpid, int note_w, int life_r, int life_w) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    char line[160], c = 1;
    int i, len;
    close(life_w);
    for (i = 0; i < 300 && getppid() == mpid; i++)     /* at most 3 s */
        nanosleep(&ts, NULL);
    len = snprintf(line, sizeof line, "{\"event\":\"orphan\",\"pid\":%ld,"
                   "\"ppidBefore\":%ld,\"ppidAfter\":%ld}\n",
                   (long)getpid(), (long)mpid, (long)getppid());
    write_all(1, line, (size_t)len);
    write_all(note_w, &c, 1);
    close(note_w);
    while (read(life_r, &c, 1) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* P forks M, M forks G and exits at once; P reaps M, then waits for G's
 * byte so that G's line is printed before P's report. */
static void do_orphan(void) {
    int note[2], life[2], st;
    ssize_t n;
    pid_t m;
    char c;
    res.orphan = 1;
    if (pipe2(note, O_CLOEXEC) < 0 || pipe2(life, O_CLOEXEC) < 0 ||
        (m = fork()) < 0) {
        res.orphan_err = errno;        /* (a few fds may leak: harmless) */
        return;
    }
    if (m == 0) {                      /* M: fork G, then vanish silently */
        pid_t mpid = getpid();
        if (fork() == 0)
            grandchild(mpid, note[1], life[0], life[1]);
        _exit(0);
    }
    close(note[1]);                    /* life[1] stays open while P lives */
    close(life[0]);
    while (waitpid(m, &st, 0) < 0 && errno == EINTR)
        ;
    while ((n = read(note[0], &c, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1)                        /* G never reported (fork failed?) */
        res.orphan_err = n < 0 ? errno : ECHILD;
    close(note[0]);
}

/* --------------------------------------------------------- report parts */

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* "pids"/"procCount": numeric entries of /proc; null unless it is procfs. */
static void put_pids(void) {
    static int pids[LIST_CAP];
    struct statfs sf;
    struct dirent *de;
    DIR *d = NULL;
    int n = 0, i;
    if (statfs("/proc", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
        d = opendir("/proc");
    key("pids");
    if (!d) { puts_("null"); knum("procCount", 0, 0); return; }
    while ((de = readdir(d)) != NULL) {
        if (!de->d_name[0] ||
            strspn(de->d_name, "0123456789") != strlen(de->d_name))
            continue;
        if (n == LIST_CAP) { truncated = 1; break; }
        pids[n++] = atoi(de->d_name);
    }
    closedir(d);
    qsort(pids, (size_t)n, sizeof pids[0], cmp_int);
    put("[", 1);
    for (i = 0; i < n; i++) {
        key(NULL);
        putf("%d", pids[i]);
    }
    put("]", 1);
    knum("procCount", 1, n);
}

/* "msgQueues": key and msqid columns of /proc/sysvipc/msg. */
static void put_msgqueues(void) {
    FILE *f = fopen("/proc/sysvipc/msg", "re");
    char *line = NULL;
    size_t cap = 0;
    int count = 0, k, id;
    key("msgQueues");
    if (!f) { puts_("null"); return; }
    put("[", 1);
    if (getline(&line, &cap, f) > 0)              /* skip the header */
        while (getline(&line, &cap, f) > 0) {
            if (sscanf(line, "%d %d", &k, &id) != 2)
                continue;
            if (count++ == LIST_CAP) { truncated = 1; break; }
            key(NULL);
            putf("{\"key\":%d,\"msqid\":%d}", k, id);
        }
    put("]", 1);
    free(line);
    fclose(f);
}

/* Decode, in place, the kernel's \ooo escapes (space, tab, \n, backslash). */
static char *unescape(char *s) {
    char *r = s, *w = s;
    while (*r) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
            r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + r[3] - '0');
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return s;
}

/* "mounts": for each /proc/self/mountinfo line the mount point (field 5)
 * and the fstype and source that follow the "-" separator field. */
static void put_mounts(void) {
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL, *p, *fld[64];
    size_t cap = 0, mark;
    ssize_t len;
    int count = 0, nf, dash;
    key("mounts");
    if (!f) { puts_("null"); return; }
    put("[", 1);
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        /* split on single spaces, so that an empty source stays a field */
        for (nf = 0, p = line; p && nf < 64; nf++)
            fld[nf] = strsep(&p, " ");
        for (dash = 6; dash < nf && strcmp(fld[dash], "-") != 0; dash++)
            ;
        if (dash + 2 >= nf)
            continue;                              /* malformed line */
        if (count++ == LIST_CAP) { truncated = 1; break; }
        mark = out_len;
        key(NULL);
        put("{", 1);
        kstr("target", unescape(fld[4]));
        kstr("fstype", unescape(fld[dash + 1]));
        kstr("source", unescape(fld[dash + 2]));
        put("}", 1);
        if (out_full) {                /* did not fit: drop it, stop here */
            out_len = mark;
            out_full = 0;
            truncated = 1;
            break;
        }
    }
    put("]", 1);
    free(line);
    fclose(f);
}

static void report(void) {
    static const char *const ns[] = {"uts", "ipc", "pid", "mnt",
                                     "net", "user", "cgroup"};
    static char cwd[PATH_MAX + 1], root[PATH_MAX + 1];
    char path[64];
    struct utsname u;
    struct stat st;
    ssize_t n;
    size_t i;
    put("{", 1);
    knum("probe", 1, 1);
    kstr("hostname", uname(&u) == 0 ? u.nodename : NULL);
    knum("pid", 1, getpid());
    knum("ppid", 1, getppid());
    knum("uid", 1, getuid());
    knum("gid", 1, getgid());
    knum("euid", 1, geteuid());
    knum("egid", 1, getegid());
    kobj("ns");
    for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i]);
        if (stat(path, &st) < 0)
            st.st_ino = 0;                         /* reported as null */
        knum(ns[i], st.st_ino != 0, (long long)st.st_ino);
    }
    put("}", 1);

    out_lim = sizeof out - OUT_RESERVE;    /* lists must leave the tail room */
    put_pids();
    put_msgqueues();
    put_mounts();
    out_lim = sizeof out - 1;
    kbool("truncated", truncated);
    kstr("cwd", getcwd(cwd, sizeof cwd));
    n = readlink("/proc/self/root", root, sizeof root - 1);
    root[n >= 0 ? n : 0] = '\0';
    kstr("root", n >= 0 ? root : NULL);

    if (res.host)
        kerrno("sethostnameErrno", res.host_err);
    if (res.rd) {
        kobj("read");
        kstr("path", res.rd_path);
        kbool("ok", !res.rd_err);
        kerrno("errno", res.rd_err);
        knum("bytes", res.rd_bytes >= 0, res.rd_bytes);
        put("}", 1);
    }
    if (res.msg) {
        kobj("msgget");
        knum("key", 1, res.msg_key);
        knum("id", !res.msg_err, res.msg_id);
        kerrno("errno", res.msg_err);
        put("}", 1);
    }
    if (res.wr) {
        kobj("write");
        kstr("path", res.wr_path);
        kbool("ok", !res.wr_err);
        kerrno("errno", res.wr_err);
        put("}", 1);
    }
    if (res.orphan)
        kerrno("orphanErrno", res.orphan_err);
    put("}", 1);

    if (out_full) {                    /* only with absurdly long arguments */
        out_len = 0;
        out_full = 0;
        puts_("{\"probe\":1,\"error\":\"report too large\"}");
    }
    out[out_len++] = '\n';
    write_all(1, out, out_len);
}

/* ------------------------------------------------------------------ hold */

static void on_sigchld(int sig) {
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

/* Read stdin until EOF or a real error, reaping children meanwhile (as PID 1
 * of a PID namespace every orphan in it becomes our child). */
static void hold(void) {
    struct sigaction sa;
    char buf[4096];
    ssize_t n;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    on_sigchld(0);                     /* zombies from before the handler */
    do
        n = read(0, buf, sizeof buf);
    while (n > 0 || (n < 0 && errno == EINTR));
}

/* ------------------------------------------------------------------ main */

enum { OPT_SETHOST, OPT_READ, OPT_MSGGET, OPT_WRITE, OPT_ORPHAN, OPT_HOLD,
       OPT_NOREPORT, OPT_EXIT };
static const struct { const char *name; int args; } opts[] = {
    [OPT_SETHOST] = {"--sethostname", 1}, [OPT_READ] = {"--read", 1},
    [OPT_MSGGET] = {"--msgget", 1},       [OPT_WRITE] = {"--write", 2},
    [OPT_ORPHAN] = {"--orphan", 0},       [OPT_HOLD] = {"--hold", 0},
    [OPT_NOREPORT] = {"--no-report", 0},  [OPT_EXIT] = {"--exit", 1},
};

static int lookup(const char *s) {
    int i;
    for (i = 0; i < (int)(sizeof opts / sizeof opts[0]); i++)
        if (strcmp(s, opts[i].name) == 0)
            return i;
    return -1;
}

/* Parse a decimal (or 0x-prefixed hex) number in [lo, hi]; 0 on success. */
static int parse_num(const char *s, long long lo, long long hi, long long *v) {
    int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    char *end;
    errno = 0;
    *v = strtoll(s, &end, hex ? 16 : 10);
    return (errno || end == s || *end || *v < lo || *v > hi) ? -1 : 0;
}

int main(int argc, char **argv) {
    int i, o, report_on = 1, hold_on = 0, orphan = 0, status = 0;
    const char *a, *b;
    long long v;
    signal(SIGPIPE, SIG_IGN);          /* a closed stdout must not kill us */

    /* Pass 1: validate everything before causing any side effect. */
    for (i = 1; i < argc; i += 1 + opts[o].args) {
        if ((o = lookup(argv[i])) < 0) {
            fprintf(stderr, "nslab-probe: unknown option %s\n", argv[i]);
            return 2;
        }
        if (i + opts[o].args >= argc) {
            fprintf(stderr, "nslab-probe: %s needs an argument\n", argv[i]);
            return 2;
        }
        if ((o == OPT_MSGGET && parse_num(argv[i + 1], INT_MIN, UINT_MAX, &v))
            || (o == OPT_EXIT && parse_num(argv[i + 1], 0, 255, &v))) {
            fprintf(stderr, "nslab-probe: bad number for %s: %s\n", argv[i],
                    argv[i + 1]);
            return 2;
        }
    }

    /* Pass 2: execute left to right (arguments are known to be valid). */
    for (i = 1; i < argc; i += 1 + opts[o].args) {
        o = lookup(argv[i]);
        a = opts[o].args > 0 ? argv[i + 1] : NULL;
        b = opts[o].args > 1 ? argv[i + 2] : NULL;
        if (o == OPT_SETHOST) {
            res.host = 1;
            res.host_err = sethostname(a, strlen(a)) < 0 ? errno : 0;
        } else if (o == OPT_READ) {
            do_read(a);
        } else if (o == OPT_MSGGET) {  /* key_t is 32 bits: 0xffffffff == -1 */
            parse_num(a, INT_MIN, UINT_MAX, &v);
            res.msg = 1;
            res.msg_key = (int)(unsigned int)v;
            res.msg_id = msgget((key_t)res.msg_key, IPC_CREAT | 0600);
            res.msg_err = res.msg_id < 0 ? errno : 0;
        } else if (o == OPT_WRITE) {
            do_write(a, b);
        } else if (o == OPT_EXIT) {
            parse_num(a, 0, 255, &v);
            status = (int)v;
        }
        orphan |= o == OPT_ORPHAN;
        hold_on |= o == OPT_HOLD;
        report_on &= o != OPT_NOREPORT;
    }

    if (orphan)
        do_orphan();                   /* G's line comes before our report */
    if (report_on)
        report();
    if (hold_on)
        hold();
    return status;
}
