// Generated from src/backends/layout.ts by `npm run gen:layout`: do not edit. What each
// number means is documented there; test/layout.test.ts fails when this file is stale.
#pragma once

#include <cstddef>
#include <cstdint>

struct CallbackBit {
  static constexpr uint32_t kRecv = 1;
  static constexpr uint32_t kSend = 2;
  static constexpr uint32_t kGenmask = 4;
  static constexpr uint32_t kFrameRecvStart = 8;
  static constexpr uint32_t kFrameRecvChunk = 16;
  static constexpr uint32_t kFrameRecvEnd = 32;
  static constexpr uint32_t kMsgRecv = 64;
  static constexpr uint32_t kRandomGenmask = 128;
};

struct StateWord {
  static constexpr size_t kValid = 0;
  static constexpr size_t kWantRead = 1;
  static constexpr size_t kWantWrite = 2;
  static constexpr size_t kReadEnabled = 3;
  static constexpr size_t kWriteEnabled = 4;
  static constexpr size_t kCloseReceived = 5;
  static constexpr size_t kCloseSent = 6;
  static constexpr size_t kStatusCodeReceived = 7;
  static constexpr size_t kStatusCodeSent = 8;
  static constexpr size_t kQueuedMsgCount = 9;
  static constexpr size_t kQueuedMsgLength = 10;
  static constexpr size_t kCount = 11;
};

struct RecvHeader {
  static constexpr size_t kRc = 0;
  static constexpr size_t kConsumed = 1;
  static constexpr size_t kMessageCount = 2;
  static constexpr size_t kPayloadLength = 3;
  static constexpr size_t kWords = 4;
};

struct RecvEntry {
  static constexpr size_t kMessage = 0;
  static constexpr size_t kOffset = 1;
  static constexpr size_t kLength = 2;
  static constexpr size_t kWords = 3;
};

struct MessageWord {
  static constexpr uint32_t kOpcodeMask = 255;
  static constexpr uint32_t kRsvShift = 8;
  static constexpr uint32_t kRsvMask = 255;
  static constexpr uint32_t kStatusCodeShift = 16;
};

struct SendMeta {
  static constexpr size_t kRc = 0;
  static constexpr size_t kLength = 1;
  static constexpr size_t kWords = 2;
};

struct ReadResult {
  static constexpr int64_t kFailure = -1;
  static constexpr int64_t kEofBias = 2;
};
