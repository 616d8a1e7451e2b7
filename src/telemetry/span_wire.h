// The line format that carries finished spans from `cordon serve` to its exporter process
// (telemetry/exporter_process.h): one JSON object per line, the SpanRecord field for field, so
// the exporter can build the same OTLP request the in-process exporter would. Not an external
// format: both ends are the same binary.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "telemetry/span.h"

namespace cordon {

// One line, ending in '\n' (JSON escapes every newline inside strings).
std::string EncodeSpanLine(const SpanRecord& span);

// The span of one line (without its '\n'); an error for anything that is not a whole, well-typed
// record (ids of the wrong length or not hex, missing fields, unknown attribute types).
Result<SpanRecord> DecodeSpanLine(std::string_view line);

}  // namespace cordon
