#include "plan/unix_sockets.h"

#include <set>

#include "base/sys.h"

namespace cordon {

std::vector<std::string> ParseProcNetUnix(std::string_view text) {
  // "Num RefCount Protocol Flags Type St Inode Path": the path is everything after the seventh
  // field (it may itself contain spaces).
  std::vector<std::string> out;
  std::set<std::string> seen;
  size_t pos = 0;
  bool header = true;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (header) {
      header = false;
      continue;
    }
    size_t i = 0;
    for (int field = 0; field < 7 && i < line.size(); ++field) {
      while (i < line.size() && line[i] == ' ') ++i;
      while (i < line.size() && line[i] != ' ') ++i;
    }
    while (i < line.size() && line[i] == ' ') ++i;
    std::string path(line.substr(i));
    if (path.empty() || path[0] != '/') continue;
    if (seen.insert(path).second) out.push_back(std::move(path));
  }
  return out;
}

std::vector<std::string> ListeningUnixSockets() {
  auto text = ReadFileToString("/proc/net/unix");
  if (!text) return {};
  return ParseProcNetUnix(*text);
}

}  // namespace cordon
