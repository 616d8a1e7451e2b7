// See blocked_hosts_json.h.
#include "net/blocked_hosts_json.h"

#include <string>

namespace cordon {

nlohmann::ordered_json BlockedHostsToJson(const std::vector<BlockedHost>& hosts) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const BlockedHost& b : hosts) {
    list.push_back({{"host", b.host},
                    {"port", b.port},
                    {"protocols", b.protocols},
                    {"reason", b.reason},
                    {"count", b.count}});
  }
  return list;
}

Result<std::vector<BlockedHost>> BlockedHostsFromJson(const nlohmann::json& list) {
  try {
    std::vector<BlockedHost> out;
    for (const nlohmann::json& e : list.get_ref<const nlohmann::json::array_t&>()) {
      BlockedHost b;
      b.host = e.at("host").get<std::string>();
      b.port = e.at("port").get<uint16_t>();
      b.protocols = e.at("protocols").get<std::vector<std::string>>();
      b.reason = e.at("reason").get<std::string>();
      b.count = e.at("count").get<uint64_t>();
      out.push_back(std::move(b));
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    return PlainError("read a list of blocked hosts", e.what());
  }
}

}  // namespace cordon
