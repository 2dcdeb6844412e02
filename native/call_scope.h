#pragma once
#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <utility>

// False when `value` could not be made: an allocation failed (its exception is pending) or
// the environment is shutting down (a terminated worker: nothing is pending, nothing more
// will run, and node-addon-api hands back an empty value).
inline bool Made(Napi::Env env, const Napi::Value& value) {
  return !value.IsEmpty() && !env.IsExceptionPending();
}

// The JS hooks object of the recv()/send() call that is running. wslay calls back only
// from inside its own functions, so the hooks are handed in per call instead of being
// held by the native object: no persistent reference means no cycle between a context
// and its callbacks, and a context dropped without free() is collectable.
class CallScope {
 public:
  static constexpr int kSlots = 8;

  // The hook functions are looked up here, in the handle scope of the method call, because
  // a handle made inside a callback's own scope dies when that callback returns.
  CallScope(Napi::Env env, Napi::Object hooks,
            std::initializer_list<std::pair<int, const char*>> slots)
      : env_(env), hooks_(hooks) {
    for (const auto& [slot, name] : slots) {
      napi_value fn;
      if (napi_get_named_property(env_, hooks_, name, &fn) != napi_ok) {
        Fail();
        continue;
      }
      napi_valuetype type;
      if (napi_typeof(env_, fn, &type) == napi_ok && type == napi_function) fns_[slot] = fn;
    }
  }

  Napi::Env Env() const { return env_; }

  // Calls a hook. The TypeScript hooks never throw; if one does anyway (stack overflow,
  // a bug), the first exception is kept and re-thrown by Finish().
  // The raw call is used because node-addon-api's Function::Call turns a failed call into
  // a new throw, and throwing is fatal in a worker that is being terminated: there the call
  // fails with no exception pending, and the hook simply counts as failed.
  Napi::Value Call(int slot, const std::initializer_list<napi_value>& args) {
    if (fns_[slot] == nullptr) return Napi::Value();
    napi_value result;
    if (napi_call_function(env_, hooks_, fns_[slot], args.size(), args.begin(), &result) !=
        napi_ok) {
      Fail();
      return Napi::Value();
    }
    return Napi::Value(env_, result);
  }

  // True when `value` could not be made (allocation failed): its exception is kept for
  // Finish() and the caller reports a failure to wslay instead of touching `value`.
  bool Failed(const Napi::Value& value) {
    if (Made(env_, value)) return false;
    Fail();
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
  // Keeps the first pending exception for Finish(). With none pending, the environment is
  // shutting down (a terminated worker) and there is nothing to keep.
  void Fail() {
    bool pending = false;
    if (napi_is_exception_pending(env_, &pending) != napi_ok || !pending) return;
    napi_value error;
    napi_get_and_clear_last_exception(env_, &error);
    if (!has_error_) {
      has_error_ = true;
      error_ = Napi::Reference<Napi::Value>::New(Napi::Value(env_, error), 1);
    }
  }

  Napi::Env env_;
  Napi::Object hooks_;
  napi_value fns_[kSlots] = {};
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
