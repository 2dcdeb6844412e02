#pragma once
#include <napi.h>
#include <wslay/wslay.h>

#include <vector>

#include "call_scope.h"
#include "layout.h"
#include "mask_pool.h"
#include "scratch_buffer.h"

// JS class EventContext: one wslay_event_context. Arguments arrive validated by the
// TypeScript layer (src/event-context.ts); this class only marshals and owns lifetime.
class EventContextWrap : public Napi::ObjectWrap<EventContextWrap> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit EventContextWrap(const Napi::CallbackInfo& info);
  ~EventContextWrap() override;

 private:
  enum Scratch { kRecvBuf, kSendBuf, kGenmaskBuf, kReadBuf, kChunkBuf, kMsgBuf, kScratchCount };

  static wslay_event_callbacks CallbacksFor(uint32_t mask);
  // Callbacks of the batch paths (RecvFrom, SendAll): no call into JS per frame.
  static ssize_t OnFeedRecv(wslay_event_context_ptr, uint8_t* buf, size_t len, int flags, void* ud);
  static void OnCollectMsg(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg,
                           void* ud);
  static ssize_t OnCollectSend(wslay_event_context_ptr, const uint8_t* data, size_t len, int flags,
                               void* ud);
  static int OnRandomGenmask(wslay_event_context_ptr, uint8_t* buf, size_t len, void* ud);
  static EventContextWrap* From(void* user_data) {
    return static_cast<EventContextWrap*>(user_data);
  }

  static ssize_t OnRecv(wslay_event_context_ptr, uint8_t* buf, size_t len, int flags, void* ud);
  static ssize_t OnSend(wslay_event_context_ptr, const uint8_t* data, size_t len, int flags,
                        void* ud);
  static int OnGenmask(wslay_event_context_ptr, uint8_t* buf, size_t len, void* ud);
  static ssize_t OnRead(wslay_event_context_ptr, uint8_t* buf, size_t len,
                        const wslay_event_msg_source* source, int* eof, void* ud);
  static void OnFrameRecvStart(wslay_event_context_ptr,
                               const wslay_event_on_frame_recv_start_arg* arg, void* ud);
  static void OnFrameRecvChunk(wslay_event_context_ptr,
                               const wslay_event_on_frame_recv_chunk_arg* arg, void* ud);
  static void OnFrameRecvEnd(wslay_event_context_ptr, void* ud);
  static void OnMsgRecv(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg, void* ud);

  bool Alive(Napi::Env env);
  void Publish();
  void Unpublish();
  void Install(const wslay_event_callbacks& callbacks);
  template <typename Call>
  int Within(CallScope& scope, Call call);
  Napi::Value Run(const Napi::CallbackInfo& info, CallScope& scope,
                  int (*fn)(wslay_event_context_ptr));
  void Release();

  Napi::Value SetCallbacks(const Napi::CallbackInfo& info);
  Napi::Value SetNoBuffering(const Napi::CallbackInfo& info);
  Napi::Value SetMaxRecvMsgLength(const Napi::CallbackInfo& info);
  Napi::Value SetAllowedRsvBits(const Napi::CallbackInfo& info);
  Napi::Value Recv(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value QueueMsg(const Napi::CallbackInfo& info);
  Napi::Value QueueFragmentedMsg(const Napi::CallbackInfo& info);
  Napi::Value QueueClose(const Napi::CallbackInfo& info);
  Napi::Value SetError(const Napi::CallbackInfo& info);
  Napi::Value WantRead(const Napi::CallbackInfo& info);
  Napi::Value WantWrite(const Napi::CallbackInfo& info);
  Napi::Value ShutdownRead(const Napi::CallbackInfo& info);
  Napi::Value ShutdownWrite(const Napi::CallbackInfo& info);
  Napi::Value GetReadEnabled(const Napi::CallbackInfo& info);
  Napi::Value GetWriteEnabled(const Napi::CallbackInfo& info);
  Napi::Value GetCloseReceived(const Napi::CallbackInfo& info);
  Napi::Value GetCloseSent(const Napi::CallbackInfo& info);
  Napi::Value GetStatusCodeReceived(const Napi::CallbackInfo& info);
  Napi::Value GetStatusCodeSent(const Napi::CallbackInfo& info);
  Napi::Value GetQueuedMsgCount(const Napi::CallbackInfo& info);
  Napi::Value GetQueuedMsgLength(const Napi::CallbackInfo& info);
  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value RecvFrom(const Napi::CallbackInfo& info);
  Napi::Value Spilled(Napi::Env env, const uint32_t (&header)[RecvHeader::kWords],
                      Napi::Uint8Array out);
  Napi::Value SendAll(const Napi::CallbackInfo& info);

  wslay_event_context_ptr ctx_ = nullptr;
  CallScope* scope_ = nullptr;
  // The getters' values, published into a Float64Array that JS owns whenever no call into
  // wslay is running, so that JS reads them without a call into C (see Publish()).
  double* state_ = nullptr;
  Napi::Reference<Napi::Float64Array> state_ref_;
  bool free_pending_ = false;
  ScratchBuffer scratch_[kScratchCount];
  uint32_t mask_ = 0;
  // The callbacks wslay is using now (see Install()).
  wslay_event_callbacks active_{};
  MaskPool masks_;
  // RecvFrom's input.
  const uint8_t* feed_ = nullptr;
  size_t feed_len_ = 0;
  size_t feed_pos_ = 0;
  // Where a batch call writes: the caller's buffer, then a spill vector once it is full.
  struct Sink {
    uint8_t* base = nullptr;
    size_t capacity = 0;
    size_t used = 0;
    bool spilled = false;
    std::vector<uint8_t> spill;

    void Reset(uint8_t* buffer, size_t size) {
      base = buffer;
      capacity = size;
      used = 0;
      spilled = false;
    }
    void Append(const uint8_t* data, size_t len);
    // Drops the caller's buffer, and a spill grown large after one huge message.
    void Release() {
      base = nullptr;
      if (spill.capacity() > (1u << 20)) std::vector<uint8_t>().swap(spill);
      spill.clear();
    }
  };
  Sink payload_;  // recvFrom: message bytes
  Sink meta_;     // recvFrom: message descriptions
  Sink sent_;     // sendAll: frames
};
