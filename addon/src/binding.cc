// The module: exports the functions of each concern and the kernel constants the labs use.
#include <napi.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "child.h"
#include "fs.h"
#include "ipc.h"
#include "mount.h"
#include "reaper.h"
#include "spawn.h"
#include "term.h"
#include "xattr.h"

namespace nslab {
namespace {

Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
#define NSLAB_CONST(name) c.Set(#name, Napi::Number::New(env, static_cast<double>(name)))
  NSLAB_CONST(CLONE_NEWNS);
  NSLAB_CONST(CLONE_NEWUTS);
  NSLAB_CONST(CLONE_NEWIPC);
  NSLAB_CONST(CLONE_NEWPID);
  NSLAB_CONST(CLONE_NEWNET);
  NSLAB_CONST(CLONE_NEWUSER);
  NSLAB_CONST(CLONE_NEWCGROUP);
  NSLAB_CONST(MS_RDONLY);
  NSLAB_CONST(MS_NOSUID);
  NSLAB_CONST(MS_NODEV);
  NSLAB_CONST(MS_NOEXEC);
  NSLAB_CONST(MS_REMOUNT);
  NSLAB_CONST(MS_BIND);
  NSLAB_CONST(MS_MOVE);
  NSLAB_CONST(MS_REC);
  NSLAB_CONST(MS_PRIVATE);
  NSLAB_CONST(MS_SLAVE);
  NSLAB_CONST(MS_SHARED);
  NSLAB_CONST(MS_UNBINDABLE);
  NSLAB_CONST(MS_STRICTATIME);
  NSLAB_CONST(MS_RELATIME);
  NSLAB_CONST(MNT_DETACH);
  NSLAB_CONST(MNT_FORCE);
  NSLAB_CONST(S_IFCHR);
  NSLAB_CONST(S_IFBLK);
#undef NSLAB_CONST
  Napi::Object ops = Napi::Object::New(env);
#define NSLAB_ACTION(NAME, js, fields, syscall, doc) ops.Set(#js, static_cast<int>(NSLAB_OP_##NAME));
#include "actions.def"
#undef NSLAB_ACTION
  c.Set("ops", ops);
  c.Set("stepExec", static_cast<int>(NSLAB_STEP_EXEC));
  c.Set("stepStdio", static_cast<int>(NSLAB_STEP_STDIO));
  c.Set("stepSignals", static_cast<int>(NSLAB_STEP_SIGNALS));
  return c;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("watchExit", Napi::Function::New(env, WatchExit, "watchExit"));
  exports.Set("mount", Napi::Function::New(env, Mount, "mount"));
  exports.Set("umount", Napi::Function::New(env, Umount, "umount"));
  exports.Set("msgget", Napi::Function::New(env, MsgGet, "msgget"));
  exports.Set("msgRemove", Napi::Function::New(env, MsgRemove, "msgRemove"));
  exports.Set("reclaimTerminal", Napi::Function::New(env, ReclaimTerminal, "reclaimTerminal"));
  exports.Set("getxattr", Napi::Function::New(env, GetXattr, "getxattr"));
  exports.Set("setxattr", Napi::Function::New(env, SetXattr, "setxattr"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("renameNoReplace", Napi::Function::New(env, RenameNoReplace, "renameNoReplace"));
  exports.Set("resolveBeneath", Napi::Function::New(env, ResolveBeneath, "resolveBeneath"));
  exports.Set("constants", Constants(env));
  return exports;
}

}  // namespace
}  // namespace nslab

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return nslab::Init(env, exports);
}
NODE_API_MODULE(nslab, InitModule)
