/* The child side of spawn(): the code that runs between clone() and execve().
 *
 * Node is multi-threaded, so the child of clone() is a copy of one thread of a process whose
 * other threads may hold locks (malloc's among them), and with CLONE_VM it even shares their
 * memory. So this file is plain C compiled without exceptions (CMakeLists.txt), and the child
 * runs only code prepared before the clone: system calls over buffers the parent built, no
 * allocation, no stdio, no locks, no JavaScript. The functions it may call are checked by
 * test/addon/child-object.test.ts. Credentials change through raw syscall(): glibc's wrappers
 * would signal every thread of Node's (the setxid broadcast), threads the child does not have.
 *
 * A failure is reported on the close-on-exec error pipe as struct nslab_report {step, errno},
 * and the child ends in execve() or _exit(). The protocol is drawn in ../README.md. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Nothing after this line may allocate or use locks: a use of these is a compile error. */
#pragma GCC poison malloc calloc realloc free strdup strndup exit atexit
#pragma GCC poison printf fprintf sprintf snprintf puts perror strerror fopen
/* A new line in actions.def without its case below is a compile error too. */
#pragma GCC diagnostic error "-Wswitch"
#pragma GCC diagnostic error "-Wswitch-enum"

static _Noreturn void child_fail(const struct nslab_plan *p, int step, int err) {
  struct nslab_report r = {step, err};
  ssize_t ignored = write(p->err_w, &r, sizeof r);
  (void)ignored;
  _exit(127);
}

static int write_all(int fd, const char *s, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, s, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    s += w;
    len -= (size_t)w;
  }
  return 0;
}

/* The middle process of a fork action: wait for the real child and exit the same way. */
static _Noreturn void mirror_child(const struct nslab_plan *p, pid_t child) {
  close(p->err_w);
  int status = 0;
  pid_t r;
  do r = waitpid(child, &status, 0);
  while (r < 0 && errno == EINTR);
  /* The child's status is lost (ECHILD: reaped elsewhere): exit 255, never 0, as the reaper
   * reports a lost status. The child is not killed: its pid may already be someone else's,
   * and it gets its parent-death signal when we exit. */
  if (r < 0) _exit(255);
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  prctl(PR_SET_PDEATHSIG, 0);
  kill(getpid(), sig);
  _exit(128 + sig);
}

/* Closes fd, keeping errno (and so the error of the call before). */
static int close_keeping_errno(int fd, int result) {
  int saved = errno;
  close(fd);
  errno = saved;
  return result;
}

/* A uid or gid change clears PR_SET_PDEATHSIG: set it again. */
static int after_id_change(const struct nslab_plan *p, int result) {
  if (result == 0 && p->pdeathsig) prctl(PR_SET_PDEATHSIG, p->pdeathsig);
  return result;
}

/* One action (actions.def says which fields mean what). 0, or -1 with errno. */
static int run_action(const struct nslab_plan *p, const struct nslab_action *a) {
  switch ((enum nslab_op)a->op) {
    case NSLAB_OP_WAIT: {
      char go = 0;
      ssize_t r;
      do r = read(p->sync_r, &go, 1);
      while (r < 0 && errno == EINTR);
      if (r < 0) return -1;
      if (r == 0) { /* the parent gave up on us */
        errno = ECANCELED;
        return -1;
      }
      close(p->sync_r);
      return 0;
    }
    case NSLAB_OP_SETHOSTNAME:
      return sethostname(a->a, strlen(a->a));
    case NSLAB_OP_MAKE_PRIVATE:
      return mount(NULL, a->a, NULL, MS_REC | MS_PRIVATE, NULL);
    case NSLAB_OP_MOUNT:
      return mount(a->a, a->b, a->c, (unsigned long)a->n, a->d);
    case NSLAB_OP_UMOUNT:
      return umount2(a->a, (int)a->n);
    case NSLAB_OP_MKDIR:
      if (mkdir(a->a, (mode_t)a->n) < 0 && errno != EEXIST) return -1;
      return 0;
    case NSLAB_OP_CHROOT:
      return chroot(a->a);
    case NSLAB_OP_CHDIR:
      return chdir(a->a);
    case NSLAB_OP_PIVOT_ROOT:
      return (int)syscall(SYS_pivot_root, a->a, a->b);
    case NSLAB_OP_SETNS: {
      int fd = open(a->a, O_RDONLY | O_CLOEXEC);
      if (fd < 0) return -1;
      return close_keeping_errno(fd, setns(fd, (int)a->n));
    }
    case NSLAB_OP_UNSHARE:
      return unshare((int)a->n);
    case NSLAB_OP_SETGROUPS:
      return (int)syscall(SYS_setgroups, 0, NULL);
    case NSLAB_OP_SETRESGID: {
      gid_t g = (gid_t)a->n;
      return after_id_change(p, (int)syscall(SYS_setresgid, g, g, g));
    }
    case NSLAB_OP_SETRESUID: {
      uid_t u = (uid_t)a->n;
      return after_id_change(p, (int)syscall(SYS_setresuid, u, u, u));
    }
    case NSLAB_OP_FORK: {
      long pid = syscall(SYS_clone, (unsigned long)SIGCHLD, NULL, NULL, NULL, 0);
      if (pid < 0) return -1;
      if (pid > 0) mirror_child(p, (pid_t)pid);
      if (p->pdeathsig) prctl(PR_SET_PDEATHSIG, p->pdeathsig);
      return 0;
    }
    case NSLAB_OP_WRITE_FILE: {
      int fd = open(a->a, O_WRONLY | O_CLOEXEC | (a->n ? O_CREAT | O_TRUNC : 0), 0644);
      if (fd < 0) return -1;
      return close_keeping_errno(fd, write_all(fd, a->b, strlen(a->b)));
    }
    case NSLAB_OP_MKNOD:
      return mknod(a->a, (mode_t)a->n, (dev_t)a->m);
    case NSLAB_OP_SYMLINK:
      return symlink(a->a, a->b);
    case NSLAB_OP_PDEATHSIG:
      return prctl(PR_SET_PDEATHSIG, (unsigned long)a->n);
    case NSLAB_OP_SETSID:
      return setsid() < 0 ? -1 : 0;
    case NSLAB_OP_RMDIR:
      return rmdir(a->a);
    case NSLAB_OP_DUMPABLE:
      return prctl(PR_SET_DUMPABLE, 1);
    case NSLAB_OP_NONE:
    case NSLAB_OP_END:
      break;
  }
  errno = EINVAL; /* marshal.cc refuses these; never trust a number */
  return -1;
}

/* Close every inherited fd but stdio, the error pipe and the sync pipe: a child that waits
 * for us must not hold the ends of other pipes open (they would never see EOF). */
static void close_other_fds(const struct nslab_plan *p) {
  unsigned int keep[2] = {(unsigned int)p->err_w,
                          (unsigned int)(p->sync_r < 0 ? p->err_w : p->sync_r)};
  if (keep[0] > keep[1]) {
    unsigned int t = keep[0];
    keep[0] = keep[1];
    keep[1] = t;
  }
  unsigned int from = 3;
  for (int i = 0; i < 2; i++) {
    unsigned int k = keep[i];
    if (k > from) syscall(SYS_close_range, from, k - 1, 0);
    if (k + 1 > from) from = k + 1;
  }
  syscall(SYS_close_range, from, ~0U, 0); /* ENOSYS before Linux 5.9: exec's CLOEXEC still applies */
}

static _Noreturn void child_main(const struct nslab_plan *p) {
  /* Signal dispositions: Node ignores SIGPIPE and handles others; an ignored signal would
   * stay ignored across execve(), so every disposition goes back to the default. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) child_fail(p, NSLAB_STEP_SIGNALS, errno);

  if (p->pdeathsig) {
    prctl(PR_SET_PDEATHSIG, p->pdeathsig);
    /* The parent may already be gone; outside a new PID namespace getppid() tells. */
    if (!(p->flags & CLONE_NEWPID) && getppid() != p->parent) _exit(1);
  }

  for (int i = 0; i < 3; i++) {
    int fd = p->stdio_child[i];
    if (p->stdio_mode[i] == NSLAB_STDIO_NULL) {
      fd = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
      if (fd < 0) child_fail(p, NSLAB_STEP_STDIO, errno);
    }
    if (fd >= 0 && fd != i) {
      if (dup2(fd, i) < 0) child_fail(p, NSLAB_STEP_STDIO, errno);
    } else if (p->stdio_mode[i] == NSLAB_STDIO_INHERIT || fd == i) {
      /* The parent's own stdio may be close-on-exec (Node can open it so): keep it open. */
      int flags = fcntl(i, F_GETFD);
      if (flags >= 0 && (flags & FD_CLOEXEC) && fcntl(i, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        child_fail(p, NSLAB_STEP_STDIO, errno);
    }
  }

  close_other_fds(p);

  for (size_t i = 0; i < p->n_actions; i++) {
    if (run_action(p, &p->actions[i]) < 0) child_fail(p, (int)i, errno);
  }
  execve(p->file, p->argv, p->envp);
  child_fail(p, NSLAB_STEP_EXEC, errno);
}

static int child_entry(void *arg) { child_main((const struct nslab_plan *)arg); }

/* ---------------------------------------------------------------- called by the parent */

int nslab_shares_memory(const struct nslab_plan *p) {
  for (size_t i = 0; i < p->n_actions; i++) {
    int op = p->actions[i].op;
    if (op == NSLAB_OP_WAIT || op == NSLAB_OP_FORK) return 0;
  }
  return 1;
}

pid_t nslab_clone(const struct nslab_plan *p, void *stack_top) {
  /* No signal handler of Node's may run in the child before it resets them. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid;
  if (stack_top != NULL) {
    /* Like posix_spawn(): the child borrows our memory on its own stack and we sleep until it
     * has exec'd (or failed), so nothing of Node's address space is copied. */
    pid = clone(child_entry, stack_top, (int)(p->flags | CLONE_VM | CLONE_VFORK | SIGCHLD),
                (void *)p);
  } else {
    pid = syscall(SYS_clone, p->flags | SIGCHLD, NULL, NULL, NULL, 0);
    if (pid == 0) child_main(p);
  }
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = clone_errno;
  return (pid_t)pid;
}
