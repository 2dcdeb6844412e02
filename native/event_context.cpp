#include "event_context.h"

#include <cstring>

#include "hook_calls.h"
#include "layout.h"

namespace {

enum HookSlot { kRecv, kSend, kGenmask, kRead, kFrameStart, kFrameChunk, kFrameEnd, kMsgRecv };

}  // namespace

Napi::Function EventContextWrap::Define(Napi::Env env) {
  return DefineClass(
      env, "EventContext",
      {
          InstanceMethod<&EventContextWrap::SetCallbacks>("setCallbacks"),
          InstanceMethod<&EventContextWrap::SetNoBuffering>("setNoBuffering"),
          InstanceMethod<&EventContextWrap::SetMaxRecvMsgLength>("setMaxRecvMsgLength"),
          InstanceMethod<&EventContextWrap::SetAllowedRsvBits>("setAllowedRsvBits"),
          InstanceMethod<&EventContextWrap::Recv>("recv"),
          InstanceMethod<&EventContextWrap::Send>("send"),
          InstanceMethod<&EventContextWrap::QueueMsg>("queueMsg"),
          InstanceMethod<&EventContextWrap::QueueFragmentedMsg>("queueFragmentedMsg"),
          InstanceMethod<&EventContextWrap::QueueClose>("queueClose"),
          InstanceMethod<&EventContextWrap::SetError>("setError"),
          InstanceMethod<&EventContextWrap::WantRead>("wantRead"),
          InstanceMethod<&EventContextWrap::WantWrite>("wantWrite"),
          InstanceMethod<&EventContextWrap::ShutdownRead>("shutdownRead"),
          InstanceMethod<&EventContextWrap::ShutdownWrite>("shutdownWrite"),
          InstanceMethod<&EventContextWrap::GetReadEnabled>("getReadEnabled"),
          InstanceMethod<&EventContextWrap::GetWriteEnabled>("getWriteEnabled"),
          InstanceMethod<&EventContextWrap::GetCloseReceived>("getCloseReceived"),
          InstanceMethod<&EventContextWrap::GetCloseSent>("getCloseSent"),
          InstanceMethod<&EventContextWrap::GetStatusCodeReceived>("getStatusCodeReceived"),
          InstanceMethod<&EventContextWrap::GetStatusCodeSent>("getStatusCodeSent"),
          InstanceMethod<&EventContextWrap::GetQueuedMsgCount>("getQueuedMsgCount"),
          InstanceMethod<&EventContextWrap::GetQueuedMsgLength>("getQueuedMsgLength"),
          InstanceMethod<&EventContextWrap::Free>("free"),
          InstanceMethod<&EventContextWrap::RecvFrom>("recvFrom"),
          InstanceMethod<&EventContextWrap::SendAll>("sendAll"),
      });
}

wslay_event_callbacks EventContextWrap::CallbacksFor(uint32_t mask) {
  wslay_event_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof callbacks);
  if (mask & CallbackBit::kRecv) callbacks.recv_callback = OnRecv;
  if (mask & CallbackBit::kSend) callbacks.send_callback = OnSend;
  if (mask & CallbackBit::kGenmask) callbacks.genmask_callback = OnGenmask;
  // The default genmask: keys come from the kernel here, with no call into JS.
  if (mask & CallbackBit::kRandomGenmask) callbacks.genmask_callback = OnRandomGenmask;
  if (mask & CallbackBit::kFrameRecvStart)
    callbacks.on_frame_recv_start_callback = OnFrameRecvStart;
  if (mask & CallbackBit::kFrameRecvChunk)
    callbacks.on_frame_recv_chunk_callback = OnFrameRecvChunk;
  if (mask & CallbackBit::kFrameRecvEnd) callbacks.on_frame_recv_end_callback = OnFrameRecvEnd;
  if (mask & CallbackBit::kMsgRecv) callbacks.on_msg_recv_callback = OnMsgRecv;
  return callbacks;
}

EventContextWrap::EventContextWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<EventContextWrap>(info) {
  Napi::Env env = info.Env();
  bool server = info[0].As<Napi::Boolean>().Value();
  mask_ = info[1].As<Napi::Number>().Uint32Value();
  active_ = CallbacksFor(mask_);
  int rv = server ? wslay_event_context_server_init(&ctx_, &active_, this)
                  : wslay_event_context_client_init(&ctx_, &active_, this);
  if (rv != 0) {
    ctx_ = nullptr;
    Napi::Error::New(env, "wslay could not create a context (out of memory)")
        .ThrowAsJavaScriptException();
    return;
  }
  if (info[2].IsTypedArray() &&
      info[2].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    Napi::Float64Array state = info[2].As<Napi::Float64Array>();
    if (state.ElementLength() >= StateWord::kCount) {
      state_ref_ = Napi::Persistent(state);
      state_ = state.Data();
    }
  }
  Publish();
}

EventContextWrap::~EventContextWrap() { Release(); }

void EventContextWrap::Release() {
  Unpublish();
  if (ctx_ != nullptr) {
    wslay_event_context_free(ctx_);
    ctx_ = nullptr;
  }
}

// Every method that may change what the getters return ends with Publish(). Inside a
// running recv()/send() the state changes under the callbacks' feet, so it stays
// unpublished until the outermost call returns, and getters called from callbacks ask wslay.
void EventContextWrap::Publish() {
  if (state_ == nullptr || scope_ != nullptr) return;
  if (ctx_ == nullptr || free_pending_) {
    state_[StateWord::kValid] = 0;
    return;
  }
  state_[StateWord::kWantRead] = wslay_event_want_read(ctx_) != 0;
  state_[StateWord::kWantWrite] = wslay_event_want_write(ctx_) != 0;
  state_[StateWord::kReadEnabled] = wslay_event_get_read_enabled(ctx_) != 0;
  state_[StateWord::kWriteEnabled] = wslay_event_get_write_enabled(ctx_) != 0;
  state_[StateWord::kCloseReceived] = wslay_event_get_close_received(ctx_) != 0;
  state_[StateWord::kCloseSent] = wslay_event_get_close_sent(ctx_) != 0;
  state_[StateWord::kStatusCodeReceived] = wslay_event_get_status_code_received(ctx_);
  state_[StateWord::kStatusCodeSent] = wslay_event_get_status_code_sent(ctx_);
  state_[StateWord::kQueuedMsgCount] = static_cast<double>(wslay_event_get_queued_msg_count(ctx_));
  state_[StateWord::kQueuedMsgLength] =
      static_cast<double>(wslay_event_get_queued_msg_length(ctx_));
  state_[StateWord::kValid] = 1;
}

// Every change of wslay's callbacks goes through here, so that a batch call made from inside
// another call can put back exactly what that call was using.
void EventContextWrap::Install(const wslay_event_callbacks& callbacks) {
  active_ = callbacks;
  wslay_event_config_set_callbacks(ctx_, &active_);
}

void EventContextWrap::Unpublish() {
  if (state_ != nullptr) state_[StateWord::kValid] = 0;
}

bool EventContextWrap::Alive(Napi::Env env) {
  if (ctx_ != nullptr && !free_pending_) return true;
  Napi::Error::New(env, "this EventContext has been freed; create a new one")
      .ThrowAsJavaScriptException();
  return false;
}

// --- callbacks from wslay -------------------------------------------------------------

ssize_t EventContextWrap::OnRecv(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, int flags,
                                 void* ud) {
  EventContextWrap* self = From(ud);
  std::optional<ssize_t> n =
      CallRecvHook(*self->scope_, kRecv, self->scratch_[kRecvBuf], buf, len, flags);
  if (!n) wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
  return n.value_or(-1);
}

ssize_t EventContextWrap::OnSend(wslay_event_context_ptr ctx, const uint8_t* data, size_t len,
                                 int flags, void* ud) {
  EventContextWrap* self = From(ud);
  std::optional<ssize_t> n =
      CallSendHook(*self->scope_, kSend, self->scratch_[kSendBuf], data, len, flags);
  if (!n) wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
  return n.value_or(-1);
}

int EventContextWrap::OnGenmask(wslay_event_context_ptr, uint8_t* buf, size_t len, void* ud) {
  EventContextWrap* self = From(ud);
  return CallGenmaskHook(*self->scope_, kGenmask, self->scratch_[kGenmaskBuf], buf, len);
}

ssize_t EventContextWrap::OnRead(wslay_event_context_ptr ctx, uint8_t* buf, size_t len,
                                 const wslay_event_msg_source* source, int* eof, void* ud) {
  EventContextWrap* self = From(ud);
  CallScope& scope = *self->scope_;
  Napi::Env env = scope.Env();
  Napi::HandleScope handles(env);
  Napi::Uint8Array view = self->scratch_[kReadBuf].View(env, len);
  if (scope.Failed(view)) {
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
  }
  double id = static_cast<double>(reinterpret_cast<uintptr_t>(source->data));
  int64_t r = CallScope::ToInt(scope.Call(kRead, {Napi::Number::New(env, id), view}));
  // The hook encodes eof in the sign: n, or -(n + kEofBias) for the last n bytes.
  bool last = r <= -ReadResult::kEofBias;
  int64_t n = last ? -(r + ReadResult::kEofBias) : r;
  const uint8_t* filled = n > 0 ? ScratchBuffer::Filled(view, static_cast<size_t>(n)) : nullptr;
  if (r == ReadResult::kFailure || r == INT64_MIN || n > static_cast<int64_t>(len) ||
      (n > 0 && filled == nullptr)) {
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
  }
  if (last) *eof = 1;
  if (n > 0) std::memcpy(buf, filled, static_cast<size_t>(n));
  return static_cast<ssize_t>(n);
}

void EventContextWrap::OnFrameRecvStart(wslay_event_context_ptr,
                                        const wslay_event_on_frame_recv_start_arg* arg, void* ud) {
  CallScope& scope = *From(ud)->scope_;
  Napi::Env env = scope.Env();
  Napi::HandleScope handles(env);
  scope.Call(kFrameStart, {Napi::Number::New(env, arg->fin), Napi::Number::New(env, arg->rsv),
                           Napi::Number::New(env, arg->opcode),
                           Napi::Number::New(env, static_cast<double>(arg->payload_length))});
}

void EventContextWrap::OnFrameRecvChunk(wslay_event_context_ptr,
                                        const wslay_event_on_frame_recv_chunk_arg* arg, void* ud) {
  EventContextWrap* self = From(ud);
  CallScope& scope = *self->scope_;
  Napi::Env env = scope.Env();
  Napi::HandleScope handles(env);
  Napi::Uint8Array view = self->scratch_[kChunkBuf].CopyIn(env, arg->data, arg->data_length);
  if (scope.Failed(view)) return;
  scope.Call(kFrameChunk, {view});
}

void EventContextWrap::OnFrameRecvEnd(wslay_event_context_ptr, void* ud) {
  CallScope& scope = *From(ud)->scope_;
  Napi::HandleScope handles(scope.Env());
  scope.Call(kFrameEnd, {});
}

void EventContextWrap::OnMsgRecv(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg,
                                 void* ud) {
  EventContextWrap* self = From(ud);
  CallScope& scope = *self->scope_;
  Napi::Env env = scope.Env();
  Napi::HandleScope handles(env);
  Napi::Uint8Array view = self->scratch_[kMsgBuf].CopyIn(env, arg->msg, arg->msg_length);
  if (scope.Failed(view)) return;
  scope.Call(kMsgRecv, {Napi::Number::New(env, arg->rsv), Napi::Number::New(env, arg->opcode), view,
                        Napi::Number::New(env, arg->status_code)});
}

// --- methods ----------------------------------------------------------------------------

// Runs `call`, which enters wslay, as the running call of `scope`: the published getters are
// stale meanwhile, and a free() from a callback takes effect once the outermost call returns.
template <typename Call>
int EventContextWrap::Within(CallScope& scope, Call call) {
  int rv;
  Unpublish();
  {
    ScopeGuard guard(scope_, &scope);
    rv = call();
  }
  if (scope_ == nullptr && free_pending_) Release();
  Publish();
  return rv;
}

Napi::Value EventContextWrap::Run(const Napi::CallbackInfo& info, CallScope& scope,
                                  int (*fn)(wslay_event_context_ptr)) {
  int rv = Within(scope, [&] { return fn(ctx_); });
  if (!scope.Finish()) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), rv);
}

Napi::Value EventContextWrap::Recv(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  CallScope scope(info.Env(), info[0].As<Napi::Object>(),
                  {{kRecv, "recv"},
                   {kFrameStart, "onFrameRecvStart"},
                   {kFrameChunk, "onFrameRecvChunk"},
                   {kFrameEnd, "onFrameRecvEnd"},
                   {kMsgRecv, "onMsgRecv"}});
  return Run(info, scope, wslay_event_recv);
}

Napi::Value EventContextWrap::Send(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  CallScope scope(info.Env(), info[0].As<Napi::Object>(),
                  {{kSend, "send"}, {kGenmask, "genmask"}, {kRead, "read"}});
  return Run(info, scope, wslay_event_send);
}

Napi::Value EventContextWrap::SetCallbacks(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  mask_ = info[0].As<Napi::Number>().Uint32Value();
  Install(CallbacksFor(mask_));
  return info.Env().Undefined();
}

Napi::Value EventContextWrap::SetNoBuffering(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  wslay_event_config_set_no_buffering(ctx_, info[0].As<Napi::Boolean>().Value() ? 1 : 0);
  return info.Env().Undefined();
}

Napi::Value EventContextWrap::SetMaxRecvMsgLength(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  double length = info[0].As<Napi::Number>().DoubleValue();
  wslay_event_config_set_max_recv_msg_length(ctx_, static_cast<uint64_t>(length));
  return info.Env().Undefined();
}

Napi::Value EventContextWrap::SetAllowedRsvBits(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  wslay_event_config_set_allowed_rsv_bits(
      ctx_, static_cast<uint8_t>(info[0].As<Napi::Number>().Uint32Value()));
  return info.Env().Undefined();
}

Napi::Value EventContextWrap::QueueMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env)) return env.Undefined();
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  wslay_event_msg msg;
  msg.opcode = static_cast<uint8_t>(info[0].As<Napi::Number>().Uint32Value());
  msg.msg = data.Data();
  msg.msg_length = data.ByteLength();
  int32_t rsv = info[2].As<Napi::Number>().Int32Value();
  int rv = rsv < 0 ? wslay_event_queue_msg(ctx_, &msg)
                   : wslay_event_queue_msg_ex(ctx_, &msg, static_cast<uint8_t>(rsv));
  Publish();
  return Napi::Number::New(env, rv);
}

Napi::Value EventContextWrap::QueueFragmentedMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env)) return env.Undefined();
  wslay_event_fragmented_msg msg;
  std::memset(&msg, 0, sizeof msg);
  msg.opcode = static_cast<uint8_t>(info[0].As<Napi::Number>().Uint32Value());
  // The source is a reader id that the TypeScript layer maps back to the user's reader.
  msg.source.data =
      reinterpret_cast<void*>(static_cast<uintptr_t>(info[1].As<Napi::Number>().DoubleValue()));
  msg.read_callback = OnRead;
  int32_t rsv = info[2].As<Napi::Number>().Int32Value();
  int rv = rsv < 0 ? wslay_event_queue_fragmented_msg(ctx_, &msg)
                   : wslay_event_queue_fragmented_msg_ex(ctx_, &msg, static_cast<uint8_t>(rsv));
  Publish();
  return Napi::Number::New(env, rv);
}

Napi::Value EventContextWrap::QueueClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env)) return env.Undefined();
  uint16_t code = static_cast<uint16_t>(info[0].As<Napi::Number>().Uint32Value());
  const uint8_t* reason = nullptr;
  size_t reason_length = 0;
  if (info[1].IsTypedArray()) {
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    reason = bytes.Data();
    reason_length = bytes.ByteLength();
  }
  int rv = wslay_event_queue_close(ctx_, code, reason, reason_length);
  Publish();
  return Napi::Number::New(env, rv);
}

Napi::Value EventContextWrap::SetError(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  wslay_event_set_error(ctx_, info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value EventContextWrap::WantRead(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), wslay_event_want_read(ctx_) != 0);
}

Napi::Value EventContextWrap::WantWrite(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), wslay_event_want_write(ctx_) != 0);
}

Napi::Value EventContextWrap::ShutdownRead(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  wslay_event_shutdown_read(ctx_);
  Publish();
  return info.Env().Undefined();
}

Napi::Value EventContextWrap::ShutdownWrite(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  wslay_event_shutdown_write(ctx_);
  Publish();
  return info.Env().Undefined();
}

Napi::Value EventContextWrap::GetReadEnabled(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), wslay_event_get_read_enabled(ctx_) != 0);
}

Napi::Value EventContextWrap::GetWriteEnabled(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), wslay_event_get_write_enabled(ctx_) != 0);
}

Napi::Value EventContextWrap::GetCloseReceived(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), wslay_event_get_close_received(ctx_) != 0);
}

Napi::Value EventContextWrap::GetCloseSent(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), wslay_event_get_close_sent(ctx_) != 0);
}

Napi::Value EventContextWrap::GetStatusCodeReceived(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), wslay_event_get_status_code_received(ctx_));
}

Napi::Value EventContextWrap::GetStatusCodeSent(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), wslay_event_get_status_code_sent(ctx_));
}

Napi::Value EventContextWrap::GetQueuedMsgCount(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(wslay_event_get_queued_msg_count(ctx_)));
}

Napi::Value EventContextWrap::GetQueuedMsgLength(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  return Napi::Number::New(info.Env(),
                           static_cast<double>(wslay_event_get_queued_msg_length(ctx_)));
}

Napi::Value EventContextWrap::Free(const Napi::CallbackInfo& info) {
  if (scope_ != nullptr) {
    free_pending_ = true;
  } else {
    Release();
  }
  return info.Env().Undefined();
}

// --- batch paths ------------------------------------------------------------------------

int EventContextWrap::OnRandomGenmask(wslay_event_context_ptr, uint8_t* buf, size_t len, void* ud) {
  return From(ud)->masks_.Fill(buf, len) ? 0 : -1;
}

ssize_t EventContextWrap::OnFeedRecv(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, int,
                                     void* ud) {
  EventContextWrap* self = From(ud);
  size_t left = self->feed_len_ - self->feed_pos_;
  if (left == 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  size_t n = left < len ? left : len;
  std::memcpy(buf, self->feed_ + self->feed_pos_, n);
  self->feed_pos_ += n;
  return static_cast<ssize_t>(n);
}

// Appends to the caller's buffer while it has room, then spills everything into vectors.
void EventContextWrap::Sink::Append(const uint8_t* data, size_t len) {
  if (!spilled && used + len <= capacity) {
    if (len > 0) std::memcpy(base + used, data, len);
    used += len;
    return;
  }
  if (!spilled) {
    spilled = true;
    spill.assign(base, base + used);
  }
  spill.insert(spill.end(), data, data + len);
  used += len;
}

void EventContextWrap::OnCollectMsg(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg,
                                    void* ud) {
  EventContextWrap* self = From(ud);
  uint32_t words[RecvEntry::kWords];
  words[RecvEntry::kMessage] =
      static_cast<uint32_t>(arg->opcode) |
      (static_cast<uint32_t>(arg->rsv) << MessageWord::kRsvShift) |
      (static_cast<uint32_t>(arg->status_code) << MessageWord::kStatusCodeShift);
  words[RecvEntry::kOffset] = static_cast<uint32_t>(self->payload_.used);
  words[RecvEntry::kLength] = static_cast<uint32_t>(arg->msg_length);
  self->meta_.Append(reinterpret_cast<const uint8_t*>(words), sizeof words);
  self->payload_.Append(arg->msg, arg->msg_length);
}

ssize_t EventContextWrap::OnCollectSend(wslay_event_context_ptr, const uint8_t* data, size_t len,
                                        int, void* ud) {
  From(ud)->sent_.Append(data, len);
  return static_cast<ssize_t>(len);
}

// recvFrom(data, out: Uint8Array, meta: Uint32Array) -> null | [meta, payload]
// One call into C per socket read: wslay reads `data`, and the messages it completes are
// written into the caller's `out` (payload) and `meta` (a RecvHeader, then a RecvEntry per
// message: see layout.h), so nothing is allocated here. Only what does not fit comes back in
// new arrays, header included.
Napi::Value EventContextWrap::RecvFrom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env)) return env.Undefined();
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  Napi::Uint8Array out = info[1].As<Napi::Uint8Array>();
  Napi::Uint32Array meta = info[2].As<Napi::Uint32Array>();
  constexpr size_t kHeader = RecvHeader::kWords * sizeof(uint32_t);
  if (meta.ByteLength() < kHeader) {
    Napi::RangeError::New(env, "recvFrom() needs a meta array of at least a RecvHeader")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  feed_ = data.Data();
  feed_len_ = data.ByteLength();
  feed_pos_ = 0;
  payload_.Reset(out.Data(), out.ByteLength());
  meta_.Reset(reinterpret_cast<uint8_t*>(meta.Data()) + kHeader, meta.ByteLength() - kHeader);
  wslay_event_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof callbacks);
  callbacks.recv_callback = OnFeedRecv;
  callbacks.on_msg_recv_callback = OnCollectMsg;
  // Inside a callback of send() or sendAll(), that call goes on with its own callbacks.
  wslay_event_callbacks outer = active_;
  Install(callbacks);
  int rv = wslay_event_recv(ctx_);
  Install(outer);
  feed_ = nullptr;
  Publish();

  uint32_t header[RecvHeader::kWords];
  header[RecvHeader::kRc] = static_cast<uint32_t>(rv);
  header[RecvHeader::kConsumed] = static_cast<uint32_t>(feed_pos_);
  header[RecvHeader::kMessageCount] =
      static_cast<uint32_t>(meta_.used / (RecvEntry::kWords * sizeof(uint32_t)));
  header[RecvHeader::kPayloadLength] = static_cast<uint32_t>(payload_.used);
  Napi::Value result = env.Null();
  if (meta_.spilled || payload_.spilled) {
    result = Spilled(env, header, out);
  } else {
    std::memcpy(meta.Data(), header, kHeader);
  }
  payload_.Release();
  meta_.Release();
  return result;
}

// recvFrom()'s result when `out` or `meta` overflowed: [header + meta, payload] in new
// arrays, or undefined when they could not be made.
Napi::Value EventContextWrap::Spilled(Napi::Env env, const uint32_t (&header)[RecvHeader::kWords],
                                      Napi::Uint8Array out) {
  Napi::Uint32Array all =
      Napi::Uint32Array::New(env, RecvHeader::kWords + meta_.used / sizeof(uint32_t));
  if (!Made(env, all)) return env.Undefined();
  std::memcpy(all.Data(), header, sizeof header);
  std::memcpy(all.Data() + RecvHeader::kWords, meta_.spilled ? meta_.spill.data() : meta_.base,
              meta_.used);
  Napi::Value payload =
      payload_.spilled
          ? Napi::Buffer<uint8_t>::Copy(env, payload_.spill.data(), payload_.used).As<Napi::Value>()
          : out.As<Napi::Value>();
  if (!Made(env, payload)) return env.Undefined();
  Napi::Array pair = Napi::Array::New(env, 2);
  if (!Made(env, pair)) return env.Undefined();
  pair.Set(0u, all);
  pair.Set(1u, payload);
  return pair;
}

// sendAll(hooks, out: Uint8Array, meta: Uint32Array) -> null | Buffer
// send() with a send callback that takes everything, written into the caller's `out` for one
// socket write; meta gets rc and the byte count. Bytes that do not fit come back in a new
// Buffer holding everything. genmask and fragmented reads still go through the hooks when set.
Napi::Value EventContextWrap::SendAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env)) return env.Undefined();
  Napi::Uint8Array out = info[1].As<Napi::Uint8Array>();
  Napi::Uint32Array meta = info[2].As<Napi::Uint32Array>();
  CallScope scope(env, info[0].As<Napi::Object>(), {{kGenmask, "genmask"}, {kRead, "read"}});
  sent_.Reset(out.Data(), out.ByteLength());
  wslay_event_callbacks outer = active_;
  wslay_event_callbacks callbacks = CallbacksFor(mask_);
  callbacks.send_callback = OnCollectSend;
  Install(callbacks);
  int rv = Within(scope, [&] {
    int sent = wslay_event_send(ctx_);
    Install(outer);
    return sent;
  });
  meta.Data()[SendMeta::kRc] = static_cast<uint32_t>(rv);
  meta.Data()[SendMeta::kLength] = static_cast<uint32_t>(sent_.used);
  Napi::Value result = env.Null();
  if (sent_.spilled) {
    result = Napi::Buffer<uint8_t>::Copy(env, sent_.spill.data(), sent_.used);
  }
  sent_.Release();
  if (!scope.Finish()) return env.Undefined();
  return result;
}
