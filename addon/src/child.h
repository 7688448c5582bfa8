/* The child side of spawn(): what runs between clone() and execve(), in plain C (child.c).
 *
 * The parent (spawn.cc, with marshal.cc) builds a struct nslab_plan before the clone; the child
 * only reads it. The protocol is drawn in ../README.md. This header is shared with the C++ side,
 * so it holds C declarations only. */
#ifndef NSLAB_CHILD_H
#define NSLAB_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The setup actions (actions.def); the numbers are what constants.ops gives JavaScript. */
enum nslab_op {
  NSLAB_OP_NONE = 0,
#define NSLAB_ACTION(NAME, js, fields, syscall, doc) NSLAB_OP_##NAME,
#include "actions.def"
#undef NSLAB_ACTION
  NSLAB_OP_END /* one past the last */
};

/** Steps of a failure report that are not an index into the actions. */
enum nslab_step {
  NSLAB_STEP_EXEC = -1,    /* execve() */
  NSLAB_STEP_STDIO = -2,   /* opening /dev/null, dup2() or fcntl() on fds 0..2 */
  NSLAB_STEP_SIGNALS = -3  /* sigprocmask() */
};

/** What each of fds 0..2 becomes (a number >= 0: that fd of ours). */
enum nslab_stdio { NSLAB_STDIO_PIPE = -1, NSLAB_STDIO_INHERIT = -2, NSLAB_STDIO_NULL = -3 };

/** One action; which fields mean what is in actions.def. Unused strings are NULL. */
struct nslab_action {
  int op;
  const char *a, *b, *c, *d;
  uint64_t n, m;
};

/** What a failing child writes on the error pipe, then _exit(127): 8 bytes, host byte order. */
struct nslab_report {
  int32_t step; /* index of the failing action, or an nslab_step */
  int32_t err;  /* its errno */
};

/** Everything the child needs, prepared by the parent before clone(); every pointer stays
 *  valid until the child has exec'd (CLONE_VFORK) or for good (its own copy of memory). */
struct nslab_plan {
  unsigned long flags; /* CLONE_NEW* */
  const char *file;
  char *const *argv; /* NULL-terminated */
  char *const *envp; /* NULL-terminated */
  const struct nslab_action *actions;
  size_t n_actions;
  int stdio_mode[3];  /* enum nslab_stdio, or an fd */
  int stdio_child[3]; /* the fd the child dup2()s onto 0, 1, 2; -1: none */
  int err_w;          /* write end of the error pipe (close-on-exec) */
  int sync_r;         /* read end of the sync pipe, -1 without a wait action */
  int pdeathsig;      /* 0: none */
  pid_t parent;       /* getpid() of the parent, to notice it died before PR_SET_PDEATHSIG */
};

/** Whether the child may borrow the parent's memory (CLONE_VM|CLONE_VFORK, the parent sleeping
 *  until it execs): not when an action waits for the parent or forks a long-lived middle. */
int nslab_shares_memory(const struct nslab_plan *plan);

/** clone() a child that runs the plan. With a stack (its top: stacks grow down) the child
 *  shares our memory and we return once it has exec'd or died; without one it gets a copy of
 *  our memory. Every signal is blocked around the clone. Returns the pid, or -1 with errno. */
pid_t nslab_clone(const struct nslab_plan *plan, void *stack_top);

#ifdef __cplusplus
}
#endif

#endif /* NSLAB_CHILD_H */
