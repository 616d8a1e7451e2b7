// The lexical layer of ssh_config(5), written to match OpenSSH's readconf.c: a line is a keyword,
// optionally followed by one '=' (with any whitespace around it), then arguments split the way
// misc.c:argv_split() splits them (single or double quotes, backslash escapes, '#' at the start
// of an argument ends the line). Kept apart from the scanner so the exact rules can be tested
// line by line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cordon {

struct SshConfigLine {
  std::string keyword;            // lower-cased; empty for blank and comment-only lines
  std::vector<std::string> args;  // quotes and escapes removed
  // An unterminated quote. OpenSSH rejects such a line; the scanner still uses `args` (the open
  // quote runs to the end of the line) so that a malformed line never hides a path.
  bool unterminated_quote = false;
};

// Splits one line (without its newline) into keyword and arguments.
SshConfigLine ParseSshConfigLine(std::string_view line);

}  // namespace cordon
