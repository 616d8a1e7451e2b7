// See config_edit.h. Text edit, then parse and check, then an atomic rename.
#include "policy/config_edit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <sstream>

#include "base/paths.h"
#include "base/sys.h"
#include "base/unique_fd.h"
#include "policy/config.h"
#include "policy/profile.h"

namespace cordon {
namespace {

std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "[permissions.NAME.filesystem]" with NAME bare or quoted, spaces allowed around the dots.
bool IsHeader(const std::string& line, const std::string& name, const std::string& tail) {
  std::string t = Trim(line);
  const size_t hash = t.find('#');
  if (hash != std::string::npos) t = Trim(t.substr(0, hash));
  std::string compact;
  for (char c : t) {
    if (c != ' ' && c != '\t') compact += c;
  }
  return compact == "[permissions." + name + tail + "]" ||
         compact == "[permissions.\"" + name + "\"" + tail + "]";
}

// Where ":root" ends up for `name` after `extends`: the nearest definition wins.
std::optional<Access> RootAccess(const Config& config, const std::string& name) {
  std::set<std::string> seen;
  std::string current = name;
  while (!current.empty() && seen.insert(current).second) {
    const ProfileSpec* spec = nullptr;
    if (auto it = config.profiles.find(current); it != config.profiles.end())
      spec = &it->second;
    else if (auto b = BuiltinProfiles().find(current); b != BuiltinProfiles().end())
      spec = &b->second;
    if (spec == nullptr) return std::nullopt;
    for (const auto& e : spec->filesystem) {
      if (e.key == ":root" && e.access) return e.access;
    }
    current = spec->extends;
  }
  return std::nullopt;
}

Status WriteAtomically(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".cordon-tmp-" + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) return ErrnoError("create " + tmp, tmp);
  if (Status st = WriteAll(fd.get(), text); !st) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = ErrnoError("replace " + path, path);
    ::unlink(tmp.c_str());
    return e;
  }
  return OkStatus();
}

}  // namespace

Result<GrantReadResult> GrantReadInConfig(const std::string& config_path,
                                          const std::string& profile_in, const std::string& dir) {
  GrantReadResult out;
  out.config_path = config_path;
  if (dir.empty() || dir[0] != '/') {
    return PlainError("grant-read " + dir, "the directory must be an absolute path");
  }
  auto resolved = ResolvePath(dir);
  struct stat st;
  if (!resolved || ::stat(resolved->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return PlainError("grant-read " + dir, "it does not exist or is not a directory");
  }
  out.path = *resolved;

  std::string text;
  mode_t mode = 0600;
  bool exists = false;
  if (auto t = ReadFileToString(config_path)) {
    text = *t;
    exists = true;
    if (::stat(config_path.c_str(), &st) == 0) mode = st.st_mode & 07777;
  } else if (t.error().err != ENOENT) {
    return t.error();
  }
  auto config = ParseConfig(text, config_path);
  if (!config) return config.error();

  std::string name = profile_in.empty() ? config->default_permissions : profile_in;
  if (name.empty()) {
    return PlainError("grant-read " + dir,
                      "no profile given and no default_permissions in " + config_path +
                          ": pass --profile NAME (the built-in profiles read everything already)");
  }
  out.profile = name;
  if (name[0] == ':') {
    return PlainError("grant-read " + dir, "profile " + name +
                                               " is built in and reads everything already; "
                                               "grant-read edits profiles of your own config");
  }
  auto spec_it = config->profiles.find(name);
  if (spec_it == config->profiles.end()) {
    return PlainError("grant-read " + dir, "unknown profile '" + name + "' in " + config_path);
  }
  if (auto root = RootAccess(*config, name); root && *root != Access::kDeny) {
    out.message = "profile " + name + " reads everything already (:root = " + AccessName(*root) +
                  "); nothing to do";
    return out;
  }
  for (const auto& e : spec_it->second.filesystem) {
    if (e.key != dir && e.key != out.path) continue;
    if (e.access == Access::kDeny) {
      return PlainError("grant-read " + dir, "profile " + name + " denies it explicitly (" +
                                                 e.where + "); change that rule by hand");
    }
    out.message = dir + " is already " + AccessName(*e.access) + " in profile " + name + " (" +
                  e.where + "); nothing to do";
    return out;
  }

  // Insert after the last key line of [permissions.NAME.filesystem], or append that table.
  const std::string line = TomlString(out.path) + " = \"read\"  # added by cordon grant-read";
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  int header = -1;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (IsHeader(lines[i], name, ".filesystem")) header = static_cast<int>(i);
  }
  if (header >= 0) {
    size_t insert_at = static_cast<size_t>(header) + 1;
    for (size_t i = insert_at; i < lines.size(); ++i) {
      const std::string t = Trim(lines[i]);
      if (!t.empty() && t[0] == '[') break;
      if (!t.empty() && t[0] != '#') insert_at = i + 1;
    }
    lines.insert(lines.begin() + static_cast<long>(insert_at), line);
  } else {
    if (!lines.empty() && !Trim(lines.back()).empty()) lines.emplace_back("");
    lines.push_back("[permissions." +
                    (name.find_first_of(".\" ") == std::string::npos ? name : TomlString(name)) +
                    ".filesystem]");
    lines.push_back(line);
  }
  std::string edited;
  for (const auto& l : lines) edited += l + "\n";

  // The edit must parse, and must grant exactly what was asked; otherwise the file is untouched.
  auto check = ParseConfig(edited, config_path);
  if (!check) {
    return PlainError("grant-read " + dir, "could not add the rule to " + config_path +
                                               " safely (" + check.error().ToString() +
                                               "); add it by hand: [permissions." + name +
                                               ".filesystem] " + line);
  }
  bool granted = false;
  for (const auto& e : check->profiles[name].filesystem) {
    granted = granted || (e.key == out.path && e.access == Access::kRead);
  }
  if (!granted) {
    return PlainError("grant-read " + dir,
                      "profile " + name +
                          " defines its filesystem in a form cordon cannot extend "
                          "(an inline table?); add it by hand: " +
                          line);
  }
  if (!exists) {
    const size_t slash = config_path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      const std::string parent = config_path.substr(0, slash);
      if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) {
        return ErrnoError("create " + parent, parent);
      }
    }
  }
  CORDON_TRY(WriteAtomically(config_path, edited, mode));
  out.changed = true;
  out.message = "added " + out.path + " = read to profile " + name + " in " + config_path;
  return out;
}

}  // namespace cordon
