// After an interactive shell inside a container exits, the terminal's foreground process
// group is still the shell's; take it back so that Node can read the terminal again.
#include "term.h"

#include <signal.h>
#include <unistd.h>

namespace nslab {

Napi::Value ReclaimTerminal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info.Length() > 0 ? info[0].As<Napi::Number>().Int32Value() : 0;
  if (!isatty(fd)) return Napi::Boolean::New(env, false);
  // tcsetpgrp() from a background group raises SIGTTOU: block it for the call.
  sigset_t ttou, old;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  pthread_sigmask(SIG_BLOCK, &ttou, &old);
  int r = tcsetpgrp(fd, getpgrp());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return Napi::Boolean::New(env, r == 0);
}

}  // namespace nslab
