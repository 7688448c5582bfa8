#pragma once
#include <napi.h>

namespace nslab {
Napi::Value GetXattr(const Napi::CallbackInfo& info);
Napi::Value SetXattr(const Napi::CallbackInfo& info);
}  // namespace nslab
