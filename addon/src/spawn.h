// spawn(): clone() a child into new namespaces, run a prepared list of setup actions in it,
// then execve(). The protocol is drawn in ../README.md; the child's code is child.c.
#pragma once
#include <napi.h>

namespace nslab {

// spawn({flags, file, argv, env, stdio: [m0, m1, m2], actions: [{op, a, b, c, d, n, m}],
//        sync, pdeathsig}) -> {pid, pidfd, stdin, stdout, stderr, errFd, syncFd}
Napi::Value Spawn(const Napi::CallbackInfo& info);

}  // namespace nslab
