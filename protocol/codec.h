// Encoding and validating decoding of protocol messages (protocol/messages.h) to and from the
// three frames header / command / msgpack body. Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocol/messages.h"

namespace s1mple::protocol {

// A message as frames, without any routing id.
using Frames = std::vector<std::string>;

// The three frames of `m`. Never fails: every message type has an encoding.
Frames Encode(const Message& m);

// Decodes header, command and body, checking every field's type and bound.
// Errors (never exceptions):
//   kFailedPrecondition  the header names another protocol or version ("unknown version")
//   kInvalidArgument     wrong frame count, unknown command, malformed msgpack, a missing or
//                        mistyped field, a value out of bounds; the message names the field,
//                        e.g. "JOB: field 'timeout_ms': expected unsigned integer, got string".
// Unknown fields are ignored (newer peers may add optional fields).
Result<Message> Decode(const std::vector<std::string_view>& frames);
Result<Message> Decode(const Frames& frames);

}  // namespace s1mple::protocol
