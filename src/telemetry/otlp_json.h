// The OTLP/HTTP JSON encoding of an ExportTraceServiceRequest
// (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): proto3 JSON with lowerCamel
// field names, trace and span ids as lowercase hex (not base64), enums as integers, and 64-bit
// integers as decimal strings.
#pragma once

#include <string>
#include <vector>

#include "telemetry/span.h"

namespace cordon {

struct OtlpResource {
  Attributes attributes;   // service.name, service.version, deployment.environment
  std::string scope_name;  // instrumentation scope
  std::string scope_version;
};

std::string EncodeOtlpTraceJson(const OtlpResource& resource, const std::vector<SpanRecord>& spans);

}  // namespace cordon
