#pragma once
#include <napi.h>

namespace nslab {
Napi::Value MsgGet(const Napi::CallbackInfo& info);
Napi::Value MsgRemove(const Napi::CallbackInfo& info);
}  // namespace nslab
