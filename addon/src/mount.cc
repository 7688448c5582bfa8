// mount(2) and umount2(2) for the parent side of a lab (scratch mounts on the host, holding a
// namespace by bind-mounting its ns file). Containers mount through spawn actions instead.
#include "mount.h"

#include <errno.h>
#include <sys/mount.h>

#include "errors.h"

namespace nslab {

namespace {
std::string Str(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return std::string();
  return v.As<Napi::String>().Utf8Value();
}
const char* OrNull(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }
}  // namespace

// mount(source, target, fstype, flags, data)
Napi::Value Mount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string source = Str(info[0]), target = Str(info[1]), fstype = Str(info[2]);
  unsigned long flags = static_cast<unsigned long>(info[3].As<Napi::Number>().Int64Value());
  std::string data = Str(info[4]);
  if (target.empty()) throw Napi::TypeError::New(env, "mount: target is required");
  if (mount(OrNull(source), target.c_str(), OrNull(fstype), flags, OrNull(data)) < 0)
    throw SystemError(env, errno, "mount", target);
  return env.Undefined();
}

// umount2(target, flags)
Napi::Value Umount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string target = Str(info[0]);
  int flags = info.Length() > 1 ? info[1].As<Napi::Number>().Int32Value() : 0;
  if (umount2(target.c_str(), flags) < 0) throw SystemError(env, errno, "umount2", target);
  return env.Undefined();
}

}  // namespace nslab
