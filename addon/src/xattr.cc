// Extended attributes (what getfattr/setfattr do), for lab 11: overlayfs marks opaque
// directories with trusted.overlay.opaque, which Node has no API to read or write.
#include "xattr.h"

#include <errno.h>
#include <sys/xattr.h>

#include <string>
#include <vector>

#include "errors.h"

namespace nslab {

// getxattr(path, name) -> Buffer, or null when the file has no such attribute.
// Symbolic links are not followed (lgetxattr), like the kernel's own view of a layer.
Napi::Value GetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  for (;;) {
    ssize_t size = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (size < 0) {
      if (errno == ENODATA) return env.Null();
      throw SystemError(env, errno, "getxattr", path);
    }
    std::vector<char> value(static_cast<size_t>(size));
    ssize_t got = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (got < 0 && errno == ERANGE) continue;  // it grew between the two calls
    if (got < 0) {
      if (errno == ENODATA) return env.Null();
      throw SystemError(env, errno, "getxattr", path);
    }
    return Napi::Buffer<char>::Copy(env, value.data(), static_cast<size_t>(got));
  }
}

// setxattr(path, name, value: Buffer)
Napi::Value SetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  Napi::Buffer<char> value = info[2].As<Napi::Buffer<char>>();
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.Length(), 0) < 0)
    throw SystemError(env, errno, "setxattr", path);
  return env.Undefined();
}

}  // namespace nslab
