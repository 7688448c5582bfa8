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
#include "reaper.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

namespace nslab {
namespace {

void CloseIf(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

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
