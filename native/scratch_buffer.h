#pragma once
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

// Memory that callbacks see is always a JS-owned ArrayBuffer, never wslay's own
// buffers: a view the user keeps past its callback may later show other bytes, but it
// can never point at memory wslay has freed. Small views reuse one growing buffer per
// callback kind; large ones get a buffer of their own so a context never keeps a
// multi-megabyte scratch alive for the rest of its life.
class ScratchBuffer {
 public:
  static constexpr size_t kMaxReused = 64 * 1024;

  Napi::Uint8Array View(Napi::Env env, size_t len) {
    if (len > kMaxReused) {
      return Napi::Uint8Array::New(env, len);  // empty if the allocation failed
    }
    // A callback may have transferred (detached) the buffer it was shown: start a new one.
    if (ref_.IsEmpty() || len > capacity_ || ref_.Value().IsDetached()) {
      size_t capacity = std::min(kMaxReused, std::max<size_t>({len, capacity_ * 2, 256}));
      Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, capacity);
      if (buffer.IsEmpty() || env.IsExceptionPending()) return Napi::Uint8Array();
      ref_ = Napi::Persistent(buffer);
      capacity_ = capacity;
    }
    return Napi::Uint8Array::New(env, len, ref_.Value(), 0);
  }

  // The bytes a callback left in `view`, or null when it detached the view's buffer.
  static const uint8_t* Filled(Napi::Uint8Array view, size_t len) {
    if (view.ArrayBuffer().IsDetached() || view.ByteLength() < len) return nullptr;
    return view.Data();
  }

  Napi::Uint8Array CopyIn(Napi::Env env, const uint8_t* data, size_t len) {
    Napi::Uint8Array view = View(env, len);
    if (!view.IsEmpty() && !env.IsExceptionPending() && len > 0)
      std::memcpy(view.Data(), data, len);
    return view;
  }

 private:
  Napi::Reference<Napi::ArrayBuffer> ref_;
  size_t capacity_ = 0;
};
