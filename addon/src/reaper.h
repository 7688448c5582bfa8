// watchExit(): reap children off the main thread and call JavaScript back with each exit.
#pragma once
#include <napi.h>

namespace nslab {

// watchExit(pid, pidfd, callback(code, signal)): calls back once, when pid has been reaped.
// Owns pidfd (-1: none).
Napi::Value WatchExit(const Napi::CallbackInfo& info);

}  // namespace nslab
