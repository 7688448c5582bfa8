#include "errors.h"

#include <string.h>

namespace nslab {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
  return "E" + std::to_string(err);
}

Napi::Error SystemError(Napi::Env env, int err, const std::string& syscall,
                        const std::string& path) {
  const std::string code = ErrnoName(err);
  std::string message = code + ": " + syscall;
  if (!path.empty()) message += "(\"" + path + "\")";
  message += ": ";
  message += strerror(err);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) error.Set("path", Napi::String::New(env, path));
  return error;
}

}  // namespace nslab
