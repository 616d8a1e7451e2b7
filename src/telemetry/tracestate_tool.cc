// Test helper for tests/telemetry/tracestate_differential.js: runs cordon's tracestate parser
// over the corpus file given as argv[1] and prints the verdicts as JSON on stdout.
//   cases:   [{"header": "..."}]                 -> {"accept", "serialized", "error"}
//   upserts: [{"header": "...", "set": [k, v]}]  -> {"accept", "serialized"}
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "telemetry/trace_state.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS.json\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  const auto corpus = nlohmann::json::parse(text.str(), nullptr, false);
  if (corpus.is_discarded()) {
    std::fprintf(stderr, "cannot parse %s\n", argv[1]);
    return 2;
  }
  nlohmann::json out = {{"cases", nlohmann::json::array()}, {"upserts", nlohmann::json::array()}};
  for (const auto& c : corpus.at("cases")) {
    auto parsed = cordon::TraceState::Parse(c.at("header").get<std::string>());
    if (parsed) {
      out["cases"].push_back({{"accept", true}, {"serialized", parsed->Serialize()}});
    } else {
      out["cases"].push_back({{"accept", false}, {"error", parsed.error().detail}});
    }
  }
  for (const auto& u : corpus.at("upserts")) {
    auto parsed = cordon::TraceState::Parse(u.at("header").get<std::string>());
    const auto key = u.at("set").at(0).get<std::string>();
    const auto value = u.at("set").at(1).get<std::string>();
    if (!parsed || !cordon::IsValidTraceStateKey(key) || !cordon::IsValidTraceStateValue(value)) {
      out["upserts"].push_back({{"accept", false}});
      continue;
    }
    parsed->Upsert(key, value);
    out["upserts"].push_back({{"accept", true}, {"serialized", parsed->Serialize()}});
  }
  std::cout << out.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) << "\n";
  return 0;
}
