#include <napi.h>

#include "event_context.h"
#include "frame_context.h"

// Context-aware (Napi::Addon): loads in the main thread and in worker_threads at once;
// all state lives in the per-environment instance, none in globals.
class WslayAddon : public Napi::Addon<WslayAddon> {
 public:
  WslayAddon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports,
                {
                    InstanceValue("EventContext", EventContextWrap::Define(env), napi_enumerable),
                    InstanceValue("FrameContext", FrameContextWrap::Define(env), napi_enumerable),
                });
  }
};

NODE_API_ADDON(WslayAddon)
