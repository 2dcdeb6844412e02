#pragma once
#include <sys/random.h>

#include <cstdint>
#include <cstring>

// Masking keys from the kernel's CSPRNG, fetched 256 bytes at a time so a client
// sending small frames pays one getrandom() per 64 frames instead of a call into JS each.
class MaskPool {
 public:
  bool Fill(uint8_t* out, size_t len) {
    while (len > 0) {
      if (pos_ == sizeof pool_ && !Refill()) return false;
      size_t n = sizeof pool_ - pos_ < len ? sizeof pool_ - pos_ : len;
      std::memcpy(out, pool_ + pos_, n);
      // Used key bytes are wiped so they never linger in memory.
      std::memset(pool_ + pos_, 0, n);
      pos_ += n;
      out += n;
      len -= n;
    }
    return true;
  }

 private:
  bool Refill() {
    size_t got = 0;
    while (got < sizeof pool_) {
      ssize_t r = getrandom(pool_ + got, sizeof pool_ - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    pos_ = 0;
    return true;
  }

  uint8_t pool_[256];
  size_t pos_ = sizeof pool_;
};
