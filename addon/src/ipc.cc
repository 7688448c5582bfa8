// System V message queues (what ipcmk -Q and ipcrm -q do), for lab 02 on the host side.
#include "ipc.h"

#include <errno.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include <string>

#include "errors.h"

namespace nslab {

// msgget(key, create) -> msqid
Napi::Value MsgGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  key_t key = static_cast<key_t>(info[0].As<Napi::Number>().Int64Value());
  bool create = info.Length() > 1 && info[1].ToBoolean();
  int id = msgget(key, create ? IPC_CREAT | IPC_EXCL | 0600 : 0);
  if (id < 0) throw SystemError(env, errno, "msgget", "key " + std::to_string(key));
  return Napi::Number::New(env, id);
}

// msgRemove(msqid): msgctl(IPC_RMID)
Napi::Value MsgRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int id = info[0].As<Napi::Number>().Int32Value();
  if (msgctl(id, IPC_RMID, nullptr) < 0)
    throw SystemError(env, errno, "msgctl", "msqid " + std::to_string(id));
  return env.Undefined();
}

}  // namespace nslab
