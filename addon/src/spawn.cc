// spawn(), the parent side: marshal the spec (marshal.cc), create the pipes, clone the child
// (child.c) and hand the parent's ends to JavaScript. Waiting for the exit is reaper.cc's.
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "child.h"
#include "errors.h"
#include "marshal.h"

namespace nslab {
namespace {

constexpr size_t kChildStack = 256 * 1024;

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

/** A close-on-exec pipe into r and w. */
void Pipe(Napi::Env env, int& r, int& w) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) throw SystemError(env, errno, "pipe2");
  r = p[0];
  w = p[1];
}

}  // namespace

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    throw Napi::TypeError::New(env, "spawn(spec) needs a spec object");
  Plan plan;
  Marshal(env, info[0].As<Napi::Object>(), plan);

  Fds fds;
  for (int i = 0; i < 3; i++) {
    if (plan.raw.stdio_mode[i] != NSLAB_STDIO_PIPE) continue;
    // stdin: the child reads the read end; stdout/stderr: the child writes the write end.
    if (i == 0) Pipe(env, fds.stdio_child[i], fds.stdio_parent[i]);
    else Pipe(env, fds.stdio_parent[i], fds.stdio_child[i]);
    plan.raw.stdio_child[i] = fds.stdio_child[i];
  }
  Pipe(env, fds.err_r, fds.err_w);
  plan.raw.err_w = fds.err_w;
  if (plan.sync) {
    Pipe(env, fds.sync_r, fds.sync_w);
    plan.raw.sync_r = fds.sync_r;
  }
  plan.raw.parent = getpid();

  std::vector<char> stack;
  if (nslab_shares_memory(&plan.raw)) stack.resize(kChildStack);
  pid_t pid = nslab_clone(&plan.raw, stack.empty() ? nullptr : stack.data() + stack.size());
  if (pid < 0) {
    int err = errno;
    throw SystemError(env, err, "clone");
  }

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));

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

}  // namespace nslab
