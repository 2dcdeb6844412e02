#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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
                    InstanceMethod<&WslayAddon::TrimMemory>("trimMemory", napi_enumerable),
                });
  }

 private:
  // glibc keeps freed memory (wslay's queues, V8's buffers) in its heaps, fragmented, for the
  // life of the process: after a peer that made it hold a lot is gone, RSS stays up. Returns
  // whether any memory went back to the system.
  Napi::Value TrimMemory(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
    return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
    return Napi::Boolean::New(info.Env(), false);
#endif
  }
};

NODE_API_ADDON(WslayAddon)
