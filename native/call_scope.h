#pragma once
#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <utility>

// The JS hooks object of the recv()/send() call that is running. wslay calls back only
// from inside its own functions, so the hooks are handed in per call instead of being
// held by the native object: no persistent reference means no cycle between a context
// and its callbacks, and a context dropped without free() is collectable.
class CallScope {
 public:
  static constexpr int kSlots = 8;

  // The hook functions are looked up here, in the handle scope of the method call, because
  // a handle made inside a callback's own scope dies when that callback returns.
  CallScope(Napi::Env env, Napi::Object hooks, std::initializer_list<std::pair<int, const char*>> slots)
      : env_(env), hooks_(hooks) {
    for (const auto& [slot, name] : slots) {
      Napi::Value fn = hooks_.Get(name);
      if (env_.IsExceptionPending()) {
        Stash();
      } else if (fn.IsFunction()) {
        fns_[slot] = fn.As<Napi::Function>();
      }
    }
  }

  Napi::Env Env() const { return env_; }

  // Calls a hook. The TypeScript hooks never throw; if one does anyway (stack overflow,
  // a bug), the first exception is kept and re-thrown by Finish().
  Napi::Value Call(int slot, const std::initializer_list<napi_value>& args) {
    if (fns_[slot].IsEmpty()) return Napi::Value();
    Napi::Value result = fns_[slot].Call(hooks_, args);
    if (env_.IsExceptionPending()) {
      Stash();
      return Napi::Value();
    }
    return result;
  }

  // True when `value` could not be made (allocation failed): its exception is kept for
  // Finish() and the caller reports a failure to wslay instead of touching `value`.
  bool Failed(const Napi::Value& value) {
    if (!value.IsEmpty() && !env_.IsExceptionPending()) return false;
    if (env_.IsExceptionPending()) Stash();
    return true;
  }

  // A hook's integer result; INT64_MIN when it failed or returned a non-number.
  static int64_t ToInt(Napi::Value value) {
    if (value.IsEmpty() || !value.IsNumber()) return INT64_MIN;
    double d = value.As<Napi::Number>().DoubleValue();
    if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0)) return INT64_MIN;
    int64_t n = static_cast<int64_t>(d);
    return static_cast<double>(n) == d ? n : INT64_MIN;
  }

  // Re-throws a stashed exception; returns false when it did.
  bool Finish() {
    if (!has_error_) return true;
    napi_throw(env_, error_.Value());
    return false;
  }

 private:
  void Stash() {
    Napi::Error error = env_.GetAndClearPendingException();
    if (!has_error_) {
      has_error_ = true;
      error_ = Napi::Reference<Napi::Value>::New(error.Value(), 1);
    }
  }

  Napi::Env env_;
  Napi::Object hooks_;
  Napi::Function fns_[kSlots];
  bool has_error_ = false;
  Napi::Reference<Napi::Value> error_;
};

// Makes a CallScope current for the duration of a wslay call and restores the outer one,
// so send() may run inside a recv() callback.
class ScopeGuard {
 public:
  ScopeGuard(CallScope*& slot, CallScope* scope) : slot_(slot), saved_(slot) { slot_ = scope; }
  ~ScopeGuard() { slot_ = saved_; }

 private:
  CallScope*& slot_;
  CallScope* saved_;
};
