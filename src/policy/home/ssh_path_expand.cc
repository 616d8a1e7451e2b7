// See ssh_path_expand.h. Reference: OpenSSH misc.c (tilde_expand, percent_expand,
// percent_dollar_expand) and readconf.c (Include handling), portable 9.x.
#include "policy/home/ssh_path_expand.h"

#include "base/paths.h"

namespace cordon {
namespace {

// The expanded text built twice: literally (for `path`) and as a glob (for `pattern`).
struct Builder {
  std::string lit;
  std::string pat;
  size_t first_unknown = std::string::npos;  // position in `lit` of the first unknown token

  void Known(std::string_view text) {
    lit += text;
    pat += EscapeGlob(text);
  }
  void Unknown() {
    if (first_unknown == std::string::npos) first_unknown = lit.size();
    pat += '*';
  }
};

}  // namespace

std::string EscapeGlob(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::optional<ExpandedSshPath> ExpandSshPath(std::string_view arg, const SshExpandContext& ctx,
                                             std::string* why) {
  ExpandedSshPath out;
  Builder b;
  std::string_view rest = arg;
  if (!rest.empty() && rest[0] == '~') {
    size_t slash = rest.find('/');
    std::string_view name = rest.substr(1, slash == std::string_view::npos ? rest.npos : slash - 1);
    if (!name.empty() && name != ctx.user) {
      // Another user's home: not a path below this $HOME, and resolving it would need NSS.
      if (why) *why = "\"~" + std::string(name) + "\" names another user's home; not expanded";
      return std::nullopt;
    }
    b.Known(ctx.home);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  if (!ctx.tokens) {
    b.Known(rest);
  } else {
    for (size_t i = 0; i < rest.size(); ++i) {
      char c = rest[i];
      if (c == '%') {
        char n = i + 1 < rest.size() ? rest[i + 1] : '\0';
        if (n == '%') {
          b.Known("%");
        } else if (n == 'd') {
          b.Known(ctx.home);
        } else if (n == 'u') {
          b.Known(ctx.user);
        } else {
          b.Unknown();  // connection-dependent (%h, %p, %r, %C, ...) or invalid
        }
        if (n != '\0') ++i;
      } else if (c == '$' && i + 1 < rest.size() && rest[i + 1] == '{') {
        size_t close = rest.find('}', i + 2);
        if (close == std::string_view::npos) {
          // ssh rejects this; treat the remainder as unknown rather than as literal text.
          b.Unknown();
          break;
        }
        std::string name(rest.substr(i + 2, close - i - 2));
        std::optional<std::string> value;
        if (ctx.getenv && !name.empty()) value = ctx.getenv(name);
        if (value) {
          b.Known(*value);
        } else {
          b.Unknown();
        }
        i = close;
      } else {
        b.lit += c;
        b.pat += EscapeGlob(std::string_view(&c, 1));
      }
    }
  }
  if (b.lit.empty() && b.first_unknown == std::string::npos) {
    if (why) *why = "empty path";
    return std::nullopt;
  }
  if (b.lit.empty() || b.lit[0] != '/') {
    // Relative, or starting with an unknown token (which could be anything): anchor it.
    std::string base = ctx.relative_base.empty() ? ctx.home : ctx.relative_base;
    if (base.empty() || base.back() != '/') base += '/';
    b.lit.insert(0, base);
    b.pat.insert(0, EscapeGlob(base));
    if (b.first_unknown != std::string::npos) b.first_unknown += base.size();
    out.note = "relative path resolved against " + base;
  }
  if (b.first_unknown == std::string::npos) {
    out.path = NormalizePath(b.lit);
  } else {
    std::string prefix = b.lit.substr(0, b.first_unknown);
    size_t slash = prefix.rfind('/');
    out.path = NormalizePath(prefix.substr(0, slash + 1));
    out.pattern = NormalizePath(b.pat);
  }
  return out;
}

}  // namespace cordon
