#pragma once
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <optional>

#include "call_scope.h"
#include "scratch_buffer.h"

// The recv, send and genmask hooks are called the same way from wslay's event API and its
// frame API; only what a failure means to wslay differs (the event API also wants
// wslay_event_set_error). These calls return no value when the hook failed or broke its
// contract, and leave that to the caller.

// Shows the hook `len` bytes to fill and copies what it filled into `buf`: the hook's count
// (-1 included: the hook has told wslay why itself).
inline std::optional<ssize_t> CallRecvHook(CallScope& scope, int slot, ScratchBuffer& scratch,
                                           uint8_t* buf, size_t len, int flags) {
  Napi::Env env = scope.Env();
  Napi::HandleScope handles(env);
  Napi::Uint8Array view = scratch.View(env, len);
  if (scope.Failed(view)) return std::nullopt;
  int64_t n = CallScope::ToInt(scope.Call(slot, {view, Napi::Number::New(env, flags)}));
  const uint8_t* filled = n > 0 ? ScratchBuffer::Filled(view, static_cast<size_t>(n)) : nullptr;
  if (n < -1 || n > static_cast<int64_t>(len) || (n > 0 && filled == nullptr)) return std::nullopt;
  if (n > 0) std::memcpy(buf, filled, static_cast<size_t>(n));
  return static_cast<ssize_t>(n);
}

// Shows the hook a copy of `len` bytes to send: the count it took (-1 included).
inline std::optional<ssize_t> CallSendHook(CallScope& scope, int slot, ScratchBuffer& scratch,
                                           const uint8_t* data, size_t len, int flags) {
  Napi::Env env = scope.Env();
  Napi::HandleScope handles(env);
  Napi::Uint8Array view = scratch.CopyIn(env, data, len);
  if (scope.Failed(view)) return std::nullopt;
  int64_t n = CallScope::ToInt(scope.Call(slot, {view, Napi::Number::New(env, flags)}));
  if (n < -1 || n > static_cast<int64_t>(len)) return std::nullopt;
  return static_cast<ssize_t>(n);
}

// Has the hook fill `len` bytes of masking key into `buf`: wslay's 0, or -1.
inline int CallGenmaskHook(CallScope& scope, int slot, ScratchBuffer& scratch, uint8_t* buf,
                           size_t len) {
  Napi::Env env = scope.Env();
  Napi::HandleScope handles(env);
  Napi::Uint8Array view = scratch.View(env, len);
  if (scope.Failed(view)) return -1;
  int64_t rv = CallScope::ToInt(scope.Call(slot, {view}));
  const uint8_t* filled = ScratchBuffer::Filled(view, len);
  if (rv != 0 || filled == nullptr) return -1;
  std::memcpy(buf, filled, len);
  return 0;
}
