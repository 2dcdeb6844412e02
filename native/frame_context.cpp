#include "frame_context.h"

#include <cstring>

#include "hook_calls.h"

namespace {
enum HookSlot { kSend, kRecv, kGenmask };
}  // namespace

Napi::Function FrameContextWrap::Define(Napi::Env env) {
  return DefineClass(env, "FrameContext",
                     {
                         InstanceMethod<&FrameContextWrap::Send>("send"),
                         InstanceMethod<&FrameContextWrap::Recv>("recv"),
                         InstanceMethod<&FrameContextWrap::Free>("free"),
                     });
}

FrameContextWrap::FrameContextWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<FrameContextWrap>(info) {
  // genmask is always installed: the TypeScript layer supplies a secure default, so
  // wslay never calls a NULL callback when a masked frame is sent.
  wslay_frame_callbacks callbacks = {OnSend, OnRecv, OnGenmask};
  if (wslay_frame_context_init(&ctx_, &callbacks, this) != 0) {
    ctx_ = nullptr;
    Napi::Error::New(info.Env(), "wslay could not create a frame context (out of memory)")
        .ThrowAsJavaScriptException();
  }
}

FrameContextWrap::~FrameContextWrap() { Release(); }

void FrameContextWrap::Release() {
  if (ctx_ != nullptr) {
    wslay_frame_context_free(ctx_);
    ctx_ = nullptr;
  }
}

bool FrameContextWrap::Alive(Napi::Env env) {
  if (ctx_ != nullptr && !free_pending_) return true;
  Napi::Error::New(env, "this FrameContext has been freed; create a new one")
      .ThrowAsJavaScriptException();
  return false;
}

ssize_t FrameContextWrap::OnSend(const uint8_t* data, size_t len, int flags, void* ud) {
  auto* self = static_cast<FrameContextWrap*>(ud);
  return CallSendHook(*self->scope_, kSend, self->scratch_[kSendBuf], data, len, flags)
      .value_or(-1);
}

ssize_t FrameContextWrap::OnRecv(uint8_t* buf, size_t len, int flags, void* ud) {
  auto* self = static_cast<FrameContextWrap*>(ud);
  return CallRecvHook(*self->scope_, kRecv, self->scratch_[kRecvBuf], buf, len, flags).value_or(-1);
}

int FrameContextWrap::OnGenmask(uint8_t* buf, size_t len, void* ud) {
  auto* self = static_cast<FrameContextWrap*>(ud);
  return CallGenmaskHook(*self->scope_, kGenmask, self->scratch_[kGenmaskBuf], buf, len);
}

// send(hooks, fin, rsv, opcode, payloadLength, mask, data)
Napi::Value FrameContextWrap::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env)) return env.Undefined();
  Napi::Uint8Array data = info[6].As<Napi::Uint8Array>();
  wslay_frame_iocb iocb;
  std::memset(&iocb, 0, sizeof iocb);
  iocb.fin = static_cast<uint8_t>(info[1].As<Napi::Number>().Uint32Value());
  iocb.rsv = static_cast<uint8_t>(info[2].As<Napi::Number>().Uint32Value());
  iocb.opcode = static_cast<uint8_t>(info[3].As<Napi::Number>().Uint32Value());
  iocb.payload_length = static_cast<uint64_t>(info[4].As<Napi::Number>().DoubleValue());
  iocb.mask = static_cast<uint8_t>(info[5].As<Napi::Number>().Uint32Value());
  iocb.data = data.Data();
  iocb.data_length = data.ByteLength();
  CallScope scope(env, info[0].As<Napi::Object>(),
                  {{kSend, "send"}, {kRecv, "recv"}, {kGenmask, "genmask"}});
  ssize_t rv;
  {
    ScopeGuard guard(scope_, &scope);
    rv = wslay_frame_send(ctx_, &iocb);
  }
  if (scope_ == nullptr && free_pending_) Release();
  if (!scope.Finish()) return env.Undefined();
  return Napi::Number::New(env, static_cast<double>(rv));
}

Napi::Value FrameContextWrap::Recv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env)) return env.Undefined();
  wslay_frame_iocb iocb;
  std::memset(&iocb, 0, sizeof iocb);
  CallScope scope(env, info[0].As<Napi::Object>(),
                  {{kSend, "send"}, {kRecv, "recv"}, {kGenmask, "genmask"}});
  ssize_t rv;
  {
    ScopeGuard guard(scope_, &scope);
    rv = wslay_frame_recv(ctx_, &iocb);
  }
  // iocb.data points into the frame context's own buffer: copy it before anything else.
  Napi::Value result = rv < 0 ? Napi::Number::New(env, static_cast<double>(rv)) : Frame(env, iocb);
  if (scope_ == nullptr && free_pending_) Release();
  if (!scope.Finish()) return env.Undefined();
  return result;
}

// A received frame as a JS object with a copy of its data; undefined when it cannot be made.
Napi::Value FrameContextWrap::Frame(Napi::Env env, const wslay_frame_iocb& iocb) {
  Napi::Uint8Array data = Napi::Uint8Array::New(env, iocb.data_length);
  if (!Made(env, data)) return env.Undefined();
  if (iocb.data_length > 0) std::memcpy(data.Data(), iocb.data, iocb.data_length);
  Napi::Object frame = Napi::Object::New(env);
  if (!Made(env, frame)) return env.Undefined();
  frame.Set("fin", Napi::Number::New(env, iocb.fin));
  frame.Set("rsv", Napi::Number::New(env, iocb.rsv));
  frame.Set("opcode", Napi::Number::New(env, iocb.opcode));
  frame.Set("payloadLength", Napi::Number::New(env, static_cast<double>(iocb.payload_length)));
  frame.Set("mask", Napi::Number::New(env, iocb.mask));
  frame.Set("data", data);
  return frame;
}

Napi::Value FrameContextWrap::Free(const Napi::CallbackInfo& info) {
  if (scope_ != nullptr) {
    free_pending_ = true;
  } else {
    Release();
  }
  return info.Env().Undefined();
}
