// Errors thrown to JavaScript look like Node's own system errors:
//   EPERM: mount("proc", "/proc"): Operation not permitted
// with the properties code, errno (negative, as libuv reports it), syscall and path.
#pragma once
#include <napi.h>
#include <string>

namespace nslab {

/** Name of an errno value ("EPERM"), or "E<number>" when the C library has none. */
std::string ErrnoName(int err);

/** Build a Node-style system error. `path` may be empty. */
Napi::Error SystemError(Napi::Env env, int err, const std::string& syscall,
                        const std::string& path = std::string());

}  // namespace nslab
