// See ssh_config_syntax.h. References: OpenSSH readconf.c (process_config_line_depth, strdelim)
// and misc.c (argv_split), portable 9.x.
#include "policy/home/ssh_config_syntax.h"

#include <cctype>

namespace cordon {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

// argv_split(s, ..., terminate_on_comment=1), except that an unterminated quote is reported
// instead of discarding the line.
void SplitArgs(std::string_view s, SshConfigLine* out) {
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == '\t') {
      ++i;
      continue;
    }
    if (s[i] == '#') break;
    std::string arg;
    char quote = 0;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (c == '\\' && i + 1 < s.size()) {
        char n = s[i + 1];
        if (n == '\'' || n == '"' || n == '\\' || (quote == 0 && n == ' ')) ++i;
        arg += s[i];  // a recognised escape keeps the escaped char, else the backslash itself
      } else if (quote == 0 && (c == ' ' || c == '\t')) {
        break;
      } else if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (quote != 0 && c == quote) {
        quote = 0;
      } else {
        arg += c;
      }
    }
    if (quote != 0) out->unterminated_quote = true;
    out->args.push_back(std::move(arg));
  }
}

}  // namespace

SshConfigLine ParseSshConfigLine(std::string_view line) {
  SshConfigLine out;
  // readconf.c strips trailing whitespace (and form feeds) first.
  while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
  size_t i = 0;
  while (i < line.size() && IsSpace(line[i])) ++i;
  if (i == line.size() || line[i] == '#') return out;
  // strdelim(): the keyword ends at whitespace or at '='.
  size_t start = i;
  while (i < line.size() && !IsSpace(line[i]) && line[i] != '=') ++i;
  std::string_view keyword = line.substr(start, i - start);
  out.keyword.reserve(keyword.size());
  for (char c : keyword)
    out.keyword += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Whitespace, at most one '=', whitespace.
  while (i < line.size() && IsSpace(line[i])) ++i;
  if (i < line.size() && line[i] == '=') ++i;
  while (i < line.size() && IsSpace(line[i])) ++i;
  SplitArgs(line.substr(i), &out);
  return out;
}

}  // namespace cordon
