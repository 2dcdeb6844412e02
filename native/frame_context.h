#pragma once
#include <napi.h>
#include <wslay/wslay.h>

#include "call_scope.h"
#include "scratch_buffer.h"

// JS class FrameContext: one wslay_frame_context. Arguments arrive validated by the
// TypeScript layer (src/frame-context.ts); this class only marshals and owns lifetime.
class FrameContextWrap : public Napi::ObjectWrap<FrameContextWrap> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit FrameContextWrap(const Napi::CallbackInfo& info);
  ~FrameContextWrap() override;

 private:
  enum Scratch { kRecvBuf, kSendBuf, kGenmaskBuf, kScratchCount };

  static ssize_t OnSend(const uint8_t* data, size_t len, int flags, void* ud);
  static ssize_t OnRecv(uint8_t* buf, size_t len, int flags, void* ud);
  static int OnGenmask(uint8_t* buf, size_t len, void* ud);

  bool Alive(Napi::Env env);
  void Release();

  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Recv(const Napi::CallbackInfo& info);
  Napi::Value Frame(Napi::Env env, const wslay_frame_iocb& iocb);
  Napi::Value Free(const Napi::CallbackInfo& info);

  wslay_frame_context_ptr ctx_ = nullptr;
  CallScope* scope_ = nullptr;
  bool free_pending_ = false;
  ScratchBuffer scratch_[kScratchCount];
};
