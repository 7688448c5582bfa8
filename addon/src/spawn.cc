// The spawn engine.
//
// Node is multi-threaded, so the child of clone() is a copy of one thread of a process whose
// other threads may hold locks (malloc's among them). The child therefore runs only code that
// was fully prepared before the clone: plain system calls over buffers the parent built, no
// allocation, no C++ exceptions, no JavaScript. It reports a failing step through a
// close-on-exec pipe as {step, errno} and always ends in execve() or _exit().
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <pthread.h>

#include <deque>
#include <map>
#include <memory>
#include <system_error>
#include <thread>
#include <string>
#include <vector>

#include "errors.h"

namespace nslab {
namespace {

struct Action {
  int op = 0;
  const char* a = nullptr;
  const char* b = nullptr;
  const char* c = nullptr;
  const char* d = nullptr;
  uint64_t n = 0;
  uint64_t m = 0;
};

struct Report {
  int32_t step;
  int32_t err;
};

enum StdioMode { kPipe = -1, kInherit = -2, kNull = -3 };

/** Everything the child needs, built by the parent before clone(). */
struct Plan {
  unsigned long flags = 0;
  const char* file = nullptr;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<Action> actions;
  int stdio_mode[3] = {kInherit, kInherit, kInherit};
  int stdio_child[3] = {-1, -1, -1};  // fd the child dup2()s onto 0, 1, 2
  int err_w = -1;
  int sync_r = -1;
  int pdeathsig = SIGKILL;
  pid_t parent = 0;
  std::deque<std::string> strings;  // owns every char* above

  const char* Keep(const std::string& s) {
    strings.push_back(s);
    return strings.back().c_str();
  }
};

// ---------------------------------------------------------------- child side
// Nothing below may allocate or throw: it runs between clone() and execve().

[[noreturn]] void ChildFail(const Plan& p, int step, int err) {
  Report r{step, err};
  ssize_t ignored = write(p.err_w, &r, sizeof r);
  (void)ignored;
  _exit(127);
}

int WriteAll(int fd, const char* s, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, s, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    s += w;
    len -= static_cast<size_t>(w);
  }
  return 0;
}

/** The middle process of kFork: wait for the real child and exit the same way. */
[[noreturn]] void MirrorChild(const Plan& p, pid_t child) {
  close(p.err_w);
  int status = 0;
  pid_t r;
  do r = waitpid(child, &status, 0);
  while (r < 0 && errno == EINTR);
  // The child's status is lost (ECHILD: reaped elsewhere): exit 255, never 0, as the reaper
  // reports a lost status. The child is not killed: its pid may already be someone else's,
  // and it gets its parent-death signal when we exit.
  if (r < 0) _exit(255);
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  prctl(PR_SET_PDEATHSIG, 0);
  kill(getpid(), sig);
  _exit(128 + sig);
}

int RunAction(const Plan& p, const Action& a) {
  switch (a.op) {
    case kWait: {
      char go = 0;
      ssize_t r;
      do r = read(p.sync_r, &go, 1);
      while (r < 0 && errno == EINTR);
      if (r < 0) return -1;
      if (r == 0) {  // the parent gave up on us
        errno = ECANCELED;
        return -1;
      }
      close(p.sync_r);
      return 0;
    }
    case kSetHostname:
      return sethostname(a.a, strlen(a.a));
    case kMakePrivate:
      return mount(nullptr, a.a, nullptr, MS_REC | MS_PRIVATE, nullptr);
    case kMount:
      return mount(a.a, a.b, a.c, static_cast<unsigned long>(a.n), a.d);
    case kUmount:
      return umount2(a.a, static_cast<int>(a.n));
    case kMkdir:
      if (mkdir(a.a, static_cast<mode_t>(a.n)) < 0 && errno != EEXIST) return -1;
      return 0;
    case kChroot:
      return chroot(a.a);
    case kChdir:
      return chdir(a.a);
    case kPivotRoot:
      return static_cast<int>(syscall(SYS_pivot_root, a.a, a.b));
    case kSetns: {
      int fd = open(a.a, O_RDONLY | O_CLOEXEC);
      if (fd < 0) return -1;
      int r = setns(fd, static_cast<int>(a.n));
      int saved = errno;
      close(fd);
      errno = saved;
      return r;
    }
    case kUnshare:
      return unshare(static_cast<int>(a.n));
    case kSetgroups:
      return static_cast<int>(syscall(SYS_setgroups, 0, nullptr));
    case kSetresgid: {
      gid_t g = static_cast<gid_t>(a.n);
      int r = static_cast<int>(syscall(SYS_setresgid, g, g, g));
      if (r == 0 && p.pdeathsig) prctl(PR_SET_PDEATHSIG, p.pdeathsig);  // cleared by the change
      return r;
    }
    case kSetresuid: {
      uid_t u = static_cast<uid_t>(a.n);
      int r = static_cast<int>(syscall(SYS_setresuid, u, u, u));
      if (r == 0 && p.pdeathsig) prctl(PR_SET_PDEATHSIG, p.pdeathsig);
      return r;
    }
    case kFork: {
      long pid = syscall(SYS_clone, static_cast<unsigned long>(SIGCHLD), nullptr, nullptr,
                         nullptr, 0);
      if (pid < 0) return -1;
      if (pid > 0) MirrorChild(p, static_cast<pid_t>(pid));
      if (p.pdeathsig) prctl(PR_SET_PDEATHSIG, p.pdeathsig);
      return 0;
    }
    case kWriteFile: {
      int flags = O_WRONLY | O_CLOEXEC | (a.n ? O_CREAT | O_TRUNC : 0);
      int fd = open(a.a, flags, 0644);
      if (fd < 0) return -1;
      int r = WriteAll(fd, a.b, strlen(a.b));
      int saved = errno;
      close(fd);
      errno = saved;
      return r;
    }
    case kMknod:
      return mknod(a.a, static_cast<mode_t>(a.n), static_cast<dev_t>(a.m));
    case kSymlink:
      return symlink(a.a, a.b);
    case kPdeathsig:
      return prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(a.n));
    case kSetsid:
      return setsid() < 0 ? -1 : 0;
    case kRmdir:
      return rmdir(a.a);
    case kDumpable:
      return prctl(PR_SET_DUMPABLE, 1);
    default:
      errno = EINVAL;
      return -1;
  }
}

/** Close every inherited fd but stdio, the error pipe and the sync pipe: a child that waits
 *  for us must not hold the ends of other pipes open (they would never see EOF). */
void CloseOtherFds(const Plan& p) {
  unsigned int keep[2] = {static_cast<unsigned int>(p.err_w),
                          static_cast<unsigned int>(p.sync_r < 0 ? p.err_w : p.sync_r)};
  if (keep[0] > keep[1]) {
    unsigned int t = keep[0];
    keep[0] = keep[1];
    keep[1] = t;
  }
  unsigned int from = 3;
  for (unsigned int k : keep) {
    if (k > from) syscall(SYS_close_range, from, k - 1, 0);
    if (k + 1 > from) from = k + 1;
  }
  syscall(SYS_close_range, from, ~0U, 0);  // ENOSYS before Linux 5.9: exec's CLOEXEC still applies
}

[[noreturn]] void ChildMain(const Plan& p) {
  // Signal dispositions: Node ignores SIGPIPE and handles others; an ignored signal would
  // stay ignored across execve(), so every disposition goes back to the default.
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, nullptr) < 0) ChildFail(p, kStepSignals, errno);

  if (p.pdeathsig) {
    prctl(PR_SET_PDEATHSIG, p.pdeathsig);
    // The parent may already be gone; outside a new PID namespace getppid() tells.
    if (!(p.flags & CLONE_NEWPID) && getppid() != p.parent) _exit(1);
  }

  for (int i = 0; i < 3; i++) {
    int fd = p.stdio_child[i];
    if (p.stdio_mode[i] == kNull) {
      fd = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
      if (fd < 0) ChildFail(p, kStepStdio, errno);
    }
    if (fd >= 0 && fd != i) {
      if (dup2(fd, i) < 0) ChildFail(p, kStepStdio, errno);
    } else if (p.stdio_mode[i] == kInherit || fd == i) {
      // The parent's own stdio may be close-on-exec (Node can open it so): keep it open.
      int flags = fcntl(i, F_GETFD);
      if (flags >= 0 && (flags & FD_CLOEXEC) && fcntl(i, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        ChildFail(p, kStepStdio, errno);
    }
  }

  CloseOtherFds(p);

  for (size_t i = 0; i < p.actions.size(); i++) {
    if (RunAction(p, p.actions[i]) < 0) ChildFail(p, static_cast<int>(i), errno);
  }
  execve(p.file, p.argv.data(), p.envp.data());
  ChildFail(p, kStepExec, errno);
}

int ChildEntry(void* arg) { ChildMain(*static_cast<const Plan*>(arg)); }

// ---------------------------------------------------------------- parent side

constexpr size_t kChildStack = 256 * 1024;

/** A child may share our memory (CLONE_VM|CLONE_VFORK) unless it must outlive a wait for us
 *  (a wait action would deadlock: we sleep until it execs) or forks a long-lived middle. */
bool ShareMemory(const Plan& p) {
  for (const Action& a : p.actions)
    if (a.op == kWait || a.op == kFork) return false;
  return true;
}

std::string OptString(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::string();
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool HasKey(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

uint64_t OptNumber(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return 0;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
}

std::vector<std::string> StringArray(Napi::Env env, Napi::Value v, const char* what) {
  std::vector<std::string> out;
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(what) + " must be an array");
  Napi::Array arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value item = arr.Get(i);
    if (!item.IsString())
      throw Napi::TypeError::New(env, std::string(what) + " must hold strings");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

void CloseIf(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

/** Pipes and fds of one spawn, closed on any early return. */
struct Fds {
  int stdio_parent[3] = {-1, -1, -1};
  int stdio_child[3] = {-1, -1, -1};
  int err_r = -1, err_w = -1, sync_r = -1, sync_w = -1;
  ~Fds() {
    for (int i = 0; i < 3; i++) {
      CloseIf(stdio_parent[i]);
      CloseIf(stdio_child[i]);
    }
    CloseIf(err_r);
    CloseIf(err_w);
    CloseIf(sync_r);
    CloseIf(sync_w);
  }
};

}  // namespace

// spawn({flags, file, argv, env, stdio: [m0, m1, m2], actions: [{op, a, b, c, d, n, m}],
//        sync, pdeathsig}) -> {pid, pidfd, stdin, stdout, stderr, errFd, syncFd}
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    throw Napi::TypeError::New(env, "spawn(spec) needs a spec object");
  Napi::Object spec = info[0].As<Napi::Object>();

  Plan plan;
  plan.flags = static_cast<unsigned long>(OptNumber(spec, "flags"));
  plan.file = plan.Keep(OptString(spec, "file"));
  if (plan.strings.back().empty()) throw Napi::TypeError::New(env, "spec.file is required");
  for (const std::string& s : StringArray(env, spec.Get("argv"), "argv"))
    plan.argv.push_back(const_cast<char*>(plan.Keep(s)));
  plan.argv.push_back(nullptr);
  for (const std::string& s : StringArray(env, spec.Get("env"), "env"))
    plan.envp.push_back(const_cast<char*>(plan.Keep(s)));
  plan.envp.push_back(nullptr);
  if (HasKey(spec, "pdeathsig")) plan.pdeathsig = static_cast<int>(OptNumber(spec, "pdeathsig"));

  Napi::Value actions = spec.Get("actions");
  if (!actions.IsUndefined()) {
    if (!actions.IsArray()) throw Napi::TypeError::New(env, "actions must be an array");
    Napi::Array arr = actions.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Object o = arr.Get(i).As<Napi::Object>();
      Action a;
      a.op = static_cast<int>(OptNumber(o, "op"));
      if (a.op < kWait || a.op >= kActionOpEnd)
        throw Napi::RangeError::New(env, "unknown action op " + std::to_string(a.op));
      if (HasKey(o, "a")) a.a = plan.Keep(OptString(o, "a"));
      if (HasKey(o, "b")) a.b = plan.Keep(OptString(o, "b"));
      if (HasKey(o, "c")) a.c = plan.Keep(OptString(o, "c"));
      if (HasKey(o, "d")) a.d = plan.Keep(OptString(o, "d"));
      a.n = OptNumber(o, "n");
      a.m = OptNumber(o, "m");
      plan.actions.push_back(a);
    }
  }

  Fds fds;
  Napi::Value stdio = spec.Get("stdio");
  for (int i = 0; i < 3; i++) {
    int mode = kInherit;
    if (stdio.IsArray()) {
      Napi::Value v = stdio.As<Napi::Array>().Get(static_cast<uint32_t>(i));
      if (v.IsNumber()) mode = v.As<Napi::Number>().Int32Value();
    }
    plan.stdio_mode[i] = mode;
    if (mode == kPipe) {
      int p[2];
      if (pipe2(p, O_CLOEXEC) < 0) throw SystemError(env, errno, "pipe2");
      // stdin: the child reads p[0]; stdout/stderr: the child writes p[1].
      fds.stdio_child[i] = i == 0 ? p[0] : p[1];
      fds.stdio_parent[i] = i == 0 ? p[1] : p[0];
      plan.stdio_child[i] = fds.stdio_child[i];
    } else if (mode >= 0) {
      plan.stdio_child[i] = mode;
    }
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) throw SystemError(env, errno, "pipe2");
  fds.err_r = p[0];
  fds.err_w = p[1];
  plan.err_w = fds.err_w;
  bool sync = spec.Get("sync").ToBoolean();
  if (sync) {
    if (pipe2(p, O_CLOEXEC) < 0) throw SystemError(env, errno, "pipe2");
    fds.sync_r = p[0];
    fds.sync_w = p[1];
    plan.sync_r = fds.sync_r;
  }
  plan.parent = getpid();

  // No signal handler of Node's may run in the child before it resets them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid;
  int clone_errno = 0;
  if (ShareMemory(plan)) {
    // Like posix_spawn(): the child borrows our memory on its own stack and we sleep until
    // it has exec'd (or failed), so nothing of Node's address space is copied.
    std::vector<char> stack(kChildStack);
    pid = clone(ChildEntry, stack.data() + stack.size(), static_cast<int>(plan.flags | CLONE_VM | CLONE_VFORK | SIGCHLD), &plan);
    clone_errno = errno;
  } else {
    pid = syscall(SYS_clone, plan.flags | SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (pid == 0) ChildMain(plan);
    clone_errno = errno;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) throw SystemError(env, clone_errno, "clone");

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));

  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, static_cast<double>(pid)));
  result.Set("pidfd", Napi::Number::New(env, pidfd));
  const char* names[3] = {"stdin", "stdout", "stderr"};
  for (int i = 0; i < 3; i++) {
    CloseIf(fds.stdio_child[i]);
    result.Set(names[i], Napi::Number::New(env, fds.stdio_parent[i]));
    fds.stdio_parent[i] = -1;  // now owned by JavaScript
  }
  CloseIf(fds.err_w);
  CloseIf(fds.sync_r);
  result.Set("errFd", Napi::Number::New(env, fds.err_r));
  result.Set("syncFd", Napi::Number::New(env, fds.sync_w));
  fds.err_r = -1;
  fds.sync_w = -1;
  return result;
}

// ---------------------------------------------------------------- waiting for exit
// watchExit(pid, pidfd, callback(code, signal)) reaps a child without blocking the event loop.
// One reaper thread waits in epoll on the pidfds of all watched children and hands each exit
// to the main thread through a thread-safe function. (A Node-API addon has no libuv headers,
// so it cannot poll on the loop itself.) A child the reaper cannot take (no pidfd, an epoll
// call failed, the reaper thread has stopped) gets a thread of its own blocked in waitpid():
// watchExit never fails for a system reason, and every child is reaped and called back once.
//
// Threads: callbacks_, started_ and broken_ belong to the main thread. The reaper thread reads
// epfd_ (set before it starts) and closes the pidfds it reaps. It and the waitpid threads
// reach the main thread only through tsfn_.

namespace {

struct Exit {
  pid_t pid;  // 0: the reaper thread has stopped (status: the errno of epoll_wait)
  int status;
};

void CallBack(Napi::Env env, const Napi::Function& cb, int status) {
  Napi::HandleScope scope(env);
  Napi::Value code = env.Null(), signal = env.Null();
  if (WIFEXITED(status)) code = Napi::Number::New(env, WEXITSTATUS(status));
  if (WIFSIGNALED(status)) signal = Napi::Number::New(env, WTERMSIG(status));
  cb.Call({code, signal});
}

/** Blocks until pid is reaped. A lost status (reaped elsewhere) reads as exit 255, not success. */
int WaitBlocking(pid_t pid) {
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, 0);
  while (r < 0 && errno == EINTR);
  return r < 0 ? W_EXITCODE(255, 0) : status;
}

/** The last resort, when no thread can be created: a libuv pool thread, held until the exit. */
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Function cb, pid_t pid) : Napi::AsyncWorker(cb), pid_(pid) {}
  void Execute() override { status_ = WaitBlocking(pid_); }
  void OnOK() override { CallBack(Env(), Callback().Value(), status_); }

 private:
  pid_t pid_;
  int status_ = 0;
};

class Reaper {
 public:
  /** Calls cb(code, signal) once pid is reaped. Owns pidfd (-1: none). */
  void Watch(Napi::Env env, pid_t pid, int pidfd, Napi::Function cb) {
    Napi::FunctionReference ref;
    try {
      if (!have_tsfn_) {
        Napi::Function noop = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
        tsfn_ = Napi::ThreadSafeFunction::New(env, noop, "nslab-reaper", 0, 1);
        tsfn_.Unref(env);
        have_tsfn_ = true;
      }
      ref = Napi::Persistent(cb);
    } catch (...) {
      if (pidfd >= 0) close(pidfd);
      throw;
    }
    Watched& w = callbacks_[pid];
    w.cb = std::move(ref);
    w.pidfd = -1;
    if (callbacks_.size() == 1) tsfn_.Ref(env);
    if (pidfd >= 0 && Poll(pid, pidfd)) {
      w.pidfd = pidfd;
      return;
    }
    if (pidfd >= 0) close(pidfd);
    WaitOnThread(env, pid);
  }

 private:
  struct Watched {
    Napi::FunctionReference cb;
    int pidfd;  // >= 0: in the epoll set, until the reaper thread reports the exit
  };

  /** Adds pidfd to the epoll set, starting the reaper first. False when it cannot. */
  bool Poll(pid_t pid, int pidfd) {
    if (broken_ || (!started_ && !Start())) return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = (static_cast<uint64_t>(static_cast<uint32_t>(pidfd)) << 32) |
                  static_cast<uint32_t>(pid);
    return epoll_ctl(epfd_, EPOLL_CTL_ADD, pidfd, &ev) == 0;  // ENOMEM, ENOSPC...
  }

  /** False on failure (EMFILE...); the next Watch tries again. */
  bool Start() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) return false;
    try {
      std::thread(&Reaper::Loop, this).detach();
    } catch (const std::system_error&) {
      CloseIf(epfd_);
      return false;
    }
    started_ = true;
    return true;
  }

  /** A thread of its own blocked in waitpid(); callbacks_ holds pid. */
  void WaitOnThread(Napi::Env env, pid_t pid) {
    try {
      std::thread(&Reaper::WaitFor, this, pid).detach();
    } catch (const std::system_error&) {
      auto it = callbacks_.find(pid);
      (new WaitWorker(it->second.cb.Value(), pid))->Queue();
      Forget(env, pid);
    }
  }

  void Forget(Napi::Env env, pid_t pid) {
    callbacks_.erase(pid);
    if (callbacks_.empty()) tsfn_.Unref(env);
  }

  // Main thread: the messages of the other threads.
  void OnExit(Napi::Env env, pid_t pid, int status) {
    auto it = callbacks_.find(pid);
    if (it == callbacks_.end()) return;
    Napi::FunctionReference cb = std::move(it->second.cb);
    Forget(env, pid);
    CallBack(env, cb.Value(), status);
  }

  /** The reaper thread has stopped. The exits it reaped came first (the queue keeps order), so
   *  every pidfd left here is still in its set and ours to close. Later Watch calls skip it. */
  void OnBroken(Napi::Env env) {
    broken_ = true;
    std::vector<pid_t> orphans;
    for (auto& entry : callbacks_) {
      if (entry.second.pidfd < 0) continue;
      CloseIf(entry.second.pidfd);
      orphans.push_back(entry.first);
    }
    for (pid_t pid : orphans) WaitOnThread(env, pid);
  }

  // Other threads: they touch nothing of the main thread's but through Post().
  void Post(pid_t pid, int status) {
    Exit* exit = new Exit{pid, status};
    napi_status s = tsfn_.BlockingCall(exit, [this](Napi::Env env, Napi::Function, Exit* e) {
      std::unique_ptr<Exit> owned(e);
      if (e->pid == 0) {
        OnBroken(env);
      } else {
        OnExit(env, e->pid, e->status);
      }
    });
    if (s != napi_ok) delete exit;
  }

  void WaitFor(pid_t pid) {
    pthread_setname_np(pthread_self(), "nslab-waitpid");
    Post(pid, WaitBlocking(pid));
  }

  void Loop() {
    pthread_setname_np(pthread_self(), "nslab-reaper");
    epoll_event events[16];
    for (;;) {
      int n = epoll_wait(epfd_, events, 16, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        // EBADF, EINVAL: epfd_ was closed or reused behind our back, so it is not ours to
        // close. Stop, and let the main thread hand our children to waitpid threads.
        Post(0, errno);
        return;
      }
      for (int i = 0; i < n; i++) {
        pid_t pid = static_cast<pid_t>(events[i].data.u64 & 0xffffffffu);
        int pidfd = static_cast<int>(events[i].data.u64 >> 32);
        int status = 0;
        pid_t r;
        do r = waitpid(pid, &status, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == 0) continue;  // woken early; wait again
        if (r < 0) status = W_EXITCODE(255, 0);  // reaped elsewhere: a failure, not success
        epoll_ctl(epfd_, EPOLL_CTL_DEL, pidfd, nullptr);
        close(pidfd);
        Post(pid, status);
      }
    }
  }

  bool have_tsfn_ = false;
  bool started_ = false;
  bool broken_ = false;
  int epfd_ = -1;
  Napi::ThreadSafeFunction tsfn_;
  std::map<pid_t, Watched> callbacks_;  // main thread only
};

Reaper reaper;

}  // namespace

Napi::Value WatchExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  int pidfd = info[1].As<Napi::Number>().Int32Value();
  Napi::Function cb = info[2].As<Napi::Function>();
  reaper.Watch(env, pid, pidfd, cb);
  return env.Undefined();
}

}  // namespace nslab
