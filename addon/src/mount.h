#pragma once
#include <napi.h>

namespace nslab {
Napi::Value Mount(const Napi::CallbackInfo& info);
Napi::Value Umount(const Napi::CallbackInfo& info);
}  // namespace nslab
