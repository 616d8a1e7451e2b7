#include "policy/config.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "base/sys.h"

namespace cordon {
namespace {

std::string Where(const std::string& file, const toml::node& node) {
  const auto& src = node.source();
  if (src.begin.line == 0) return file;
  return file + ":" + std::to_string(src.begin.line);
}

Error ConfigError(const std::string& file, const toml::node& node, const std::string& msg) {
  return PlainError("invalid config " + Where(file, node), msg);
}

bool IsAbsoluteOrHome(std::string_view p) {
  return (!p.empty() && p[0] == '/') || p == "~" || p.rfind("~/", 0) == 0;
}

// Applies one `-c key=value` override to the document. The value is parsed as a TOML value when
// it is one (true, 3, "x", [..], {..}); otherwise it is taken as a plain string, so that
// `-c default_permissions=:read-only` works without shell-quoting TOML quotes.
Status ApplyOverride(toml::table& doc, const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return PlainError("invalid override -c " + text, "expected key=value");
  }
  std::string key = text.substr(0, eq);
  std::string value = text.substr(eq + 1);
  while (!key.empty() && key.back() == ' ') key.pop_back();
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", value}};
  }
  // Split the dotted key; quoted segments ("a.b") may contain dots.
  std::vector<std::string> parts;
  std::string cur;
  bool quoted = false;
  for (char c : key) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '.' && !quoted) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  for (const auto& p : parts) {
    if (p.empty()) return PlainError("invalid override -c " + text, "empty key segment");
  }
  toml::table* table = &doc;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* next = table->get(parts[i]);
    if (next == nullptr) {
      table->insert(parts[i], toml::table{});
      next = table->get(parts[i]);
    }
    if (!next->is_table()) {
      return PlainError("invalid override -c " + text, "'" + parts[i] + "' is not a table");
    }
    table = next->as_table();
  }
  table->insert_or_assign(parts.back(), *parsed.get("v"));
  return OkStatus();
}

Result<std::string> GetString(const std::string& file, const toml::node& node,
                              const std::string& key) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  return ConfigError(file, node, "'" + key + "' must be a string");
}

Result<bool> GetBool(const std::string& file, const toml::node& node, const std::string& key) {
  if (node.is_boolean()) return *node.value<bool>();
  return ConfigError(file, node, "'" + key + "' must be true or false");
}

Result<Access> GetAccess(const std::string& file, const toml::node& node, const std::string& key) {
  auto s = GetString(file, node, key);
  if (!s) return s.error();
  auto a = ParseAccess(*s);
  if (!a) {
    return ConfigError(file, node,
                       "'" + key + "' = \"" + *s + "\": expected \"read\", \"write\" or \"deny\"");
  }
  return *a;
}

Status ParseFilesystem(const std::string& file, const toml::table& table, ProfileSpec& profile) {
  for (const auto& [k, v] : table) {
    std::string key(k.str());
    FsEntry entry;
    entry.key = key;
    entry.where = Where(file, v);
    const bool token = !key.empty() && key[0] == ':';
    if (token) {
      static const char* kTokens[] = {":root", ":minimal", ":workspace_roots", ":tmpdir",
                                      ":slash_tmp"};
      bool known = false;
      for (const char* t : kTokens) known = known || key == t;
      if (!known) {
        return ConfigError(file, v,
                           "unknown path token '" + key +
                               "' (known: :root, :minimal, :workspace_roots, :tmpdir, :slash_tmp)");
      }
    } else if (!IsAbsoluteOrHome(key)) {
      return ConfigError(
          file, v,
          "filesystem path '" + key +
              "' must be absolute, start with ~/, or be a token such as "
              ":workspace_roots (relative paths belong in a :workspace_roots table)");
    }
    if (v.is_table()) {
      if (key != ":workspace_roots") {
        return ConfigError(file, v, "only :workspace_roots takes a table of relative paths");
      }
      for (const auto& [sk, sv] : *v.as_table()) {
        std::string sub(sk.str());
        if (sub.empty() || sub[0] == '/' || sub[0] == '~') {
          return ConfigError(file, sv,
                             "'" + sub + "' in :workspace_roots must be relative to the root");
        }
        auto a = GetAccess(file, sv, ":workspace_roots." + sub);
        if (!a) return a.error();
        entry.scoped.emplace_back(sub, *a);
      }
    } else {
      auto a = GetAccess(file, v, key);
      if (!a) return a.error();
      entry.access = *a;
    }
    profile.filesystem.push_back(std::move(entry));
  }
  return OkStatus();
}

Status ParsePairs(const std::string& file, const toml::node& node, const std::string& key,
                  std::vector<std::pair<std::string, std::string>>& out) {
  if (!node.is_table()) return ConfigError(file, node, "'" + key + "' must be a table");
  for (const auto& [k, v] : *node.as_table()) {
    auto s = GetString(file, v, key + "." + std::string(k.str()));
    if (!s) return s.error();
    if (*s != "allow" && *s != "deny") {
      return ConfigError(file, v, "'" + std::string(k.str()) + "' must be \"allow\" or \"deny\"");
    }
    out.emplace_back(std::string(k.str()), *s);
  }
  return OkStatus();
}

Status ParseNetwork(const std::string& file, const toml::table& table, NetworkSpec& net) {
  for (const auto& [k, v] : table) {
    std::string key(k.str());
    if (key == "mode") {
      auto s = GetString(file, v, "network.mode");
      if (!s) return s.error();
      auto mode = ParseNetworkMode(*s);
      if (!mode) {
        return ConfigError(
            file, v, "network.mode = \"" + *s + "\": expected \"none\", \"proxy\" or \"full\"");
      }
      net.mode = *mode;
    } else if (key == "allow_local_binding" || key == "allow_local_targets") {
      auto b = GetBool(file, v, "network." + key);
      if (!b) return b.error();
      (key == "allow_local_binding" ? net.allow_local_binding : net.allow_local_targets) = *b;
    } else if (key == "domains") {
      CORDON_TRY(ParsePairs(file, v, "network.domains", net.domains));
    } else if (key == "unix_sockets") {
      CORDON_TRY(ParsePairs(file, v, "network.unix_sockets", net.unix_sockets));
    } else if (key == "resolve") {
      // Fixed answers for the proxy's name lookups, like curl --resolve (checked in plan/).
      if (!v.is_table()) return ConfigError(file, v, "'network.resolve' must be a table");
      for (const auto& [rk, rv] : *v.as_table()) {
        auto s = GetString(file, rv, "network.resolve." + std::string(rk.str()));
        if (!s) return s.error();
        net.resolve.emplace_back(std::string(rk.str()), *s);
      }
    } else if (key == "host_ports") {
      if (!v.is_array()) return ConfigError(file, v, "'network.host_ports' must be an array");
      for (const auto& p : *v.as_array()) {
        auto port = p.value<int64_t>();
        if (!p.is_integer() || !port || *port < 1 || *port > 65535) {
          return ConfigError(file, p, "'network.host_ports' entries must be ports 1-65535");
        }
        net.host_ports.push_back(static_cast<int>(*port));
      }
    } else {
      return ConfigError(file, v, "unknown key 'network." + key + "'");
    }
  }
  return OkStatus();
}

Result<ProfileSpec> ParseProfile(const std::string& file, const std::string& name,
                                 const toml::node& node) {
  if (!node.is_table())
    return ConfigError(file, node, "[permissions." + name + "] must be a table");
  if (name.empty() || name[0] == ':') {
    return ConfigError(file, node,
                       "profile name '" + name +
                           "' is reserved: names starting with ':' are "
                           "built-in profiles");
  }
  ProfileSpec profile;
  profile.name = name;
  profile.where = Where(file, node);
  for (const auto& [k, v] : *node.as_table()) {
    std::string key(k.str());
    if (key == "description") {
      auto s = GetString(file, v, "description");
      if (!s) return s.error();
      profile.description = *s;
    } else if (key == "extends") {
      auto s = GetString(file, v, "extends");
      if (!s) return s.error();
      profile.extends = *s;
    } else if (key == "filesystem") {
      if (!v.is_table()) return ConfigError(file, v, "'filesystem' must be a table");
      CORDON_TRY(ParseFilesystem(file, *v.as_table(), profile));
    } else if (key == "network") {
      if (!v.is_table()) return ConfigError(file, v, "'network' must be a table");
      CORDON_TRY(ParseNetwork(file, *v.as_table(), profile.network));
    } else {
      return ConfigError(file, v, "unknown key '" + key + "' in [permissions." + name + "]");
    }
  }
  return profile;
}

Result<Config> FromDocument(std::shared_ptr<toml::table> doc, const std::string& file) {
  Config config;
  config.path = file;
  for (const auto& [k, v] : *doc) {
    std::string key(k.str());
    if (key == "default_permissions") {
      auto s = GetString(file, v, key);
      if (!s) return s.error();
      config.default_permissions = *s;
    } else if (key == "permissions") {
      if (!v.is_table()) return ConfigError(file, v, "'permissions' must be a table");
      for (const auto& [pk, pv] : *v.as_table()) {
        auto profile = ParseProfile(file, std::string(pk.str()), pv);
        if (!profile) return profile.error();
        config.profiles[profile->name] = std::move(*profile);
      }
    } else if (key == "sandbox_workspace_write") {
      if (!v.is_table()) return ConfigError(file, v, "'sandbox_workspace_write' must be a table");
      for (const auto& [sk, sv] : *v.as_table()) {
        std::string sub(sk.str());
        if (sub == "writable_roots") {
          if (!sv.is_array()) return ConfigError(file, sv, "'writable_roots' must be an array");
          for (const auto& item : *sv.as_array()) {
            auto s = GetString(file, item, "writable_roots");
            if (!s) return s.error();
            if (!IsAbsoluteOrHome(*s)) {
              return ConfigError(file, item, "writable root '" + *s + "' must be an absolute path");
            }
            config.workspace_write.writable_roots.push_back(*s);
          }
        } else if (sub == "exclude_slash_tmp" || sub == "exclude_tmpdir_env_var") {
          auto b = GetBool(file, sv, sub);
          if (!b) return b.error();
          (sub == "exclude_slash_tmp" ? config.workspace_write.exclude_slash_tmp
                                      : config.workspace_write.exclude_tmpdir_env_var) = *b;
        } else {
          return ConfigError(file, sv, "unknown key 'sandbox_workspace_write." + sub + "'");
        }
      }
    } else if (key == "otel") {
      // Owned by telemetry/, which validates it; only its shape is checked here.
      if (!v.is_table()) return ConfigError(file, v, "'otel' must be a table");
    } else if (key == "serve") {
      // The session manager's limits, validated by server/ (serve_limits_config.h).
      if (!v.is_table()) return ConfigError(file, v, "'serve' must be a table");
    } else {
      return ConfigError(file, v, "unknown key '" + key + "'");
    }
  }
  config.document = std::move(doc);
  return config;
}

}  // namespace

std::string DefaultCordonHome() {
  if (const char* h = std::getenv("CORDON_HOME"); h != nullptr && h[0] != '\0') return h;
  std::string home;
  if (const char* h = std::getenv("HOME"); h != nullptr && h[0] != '\0') {
    home = h;
  } else if (const passwd* pw = getpwuid(getuid()); pw != nullptr) {
    home = pw->pw_dir;
  }
  return home + "/.cordon";
}

Result<Config> ParseConfig(std::string_view text, const std::string& name,
                           const std::vector<std::string>& overrides) {
  auto doc = std::make_shared<toml::table>();
  try {
    *doc = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << e.description();
    return PlainError("invalid config " + name + ":" + std::to_string(e.source().begin.line) + ":" +
                          std::to_string(e.source().begin.column),
                      msg.str());
  }
  for (const auto& o : overrides) CORDON_TRY(ApplyOverride(*doc, o));
  return FromDocument(std::move(doc), name);
}

Result<Config> LoadConfig(const ConfigSource& source) {
  std::string path = source.explicit_path;
  bool required = !path.empty();
  if (path.empty()) path = source.cordon_home + "/config.toml";
  auto text = ReadFileToString(path);
  if (!text) {
    if (!required && text.error().err == ENOENT) {
      auto config = ParseConfig("", "", source.overrides);
      return config;
    }
    return ErrnoError(text.error().err, "read config " + path, path);
  }
  return ParseConfig(*text, path, source.overrides);
}

}  // namespace cordon
