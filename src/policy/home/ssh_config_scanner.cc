// See ssh_config_scanner.h. Reference: OpenSSH readconf.c (process_config_line_depth,
// read_config_file_depth) and ssh_config(5), portable 9.x.
#include "policy/home/ssh_config_scanner.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "base/error.h"
#include "base/paths.h"
#include "base/unique_fd.h"
#include "policy/home/ssh_config_syntax.h"

namespace cordon {
namespace {

enum class Kind {
  kIgnored,
  kInclude,      // Include file ... (globs, relative to ~/.ssh)
  kPath,         // one path per line in ssh; every argument is used anyway
  kPathList,     // several paths per line (known-hosts files)
  kAgent,        // IdentityAgent: "none", "SSH_AUTH_SOCK", "$VAR" or a path
  kForwardAgent  // ForwardAgent: yes/no, "$VAR" or a path
};

Kind KindOf(const std::string& keyword) {
  if (keyword == "include") return Kind::kInclude;
  if (keyword == "identityfile" || keyword == "certificatefile" || keyword == "revokedhostkeys" ||
      keyword == "controlpath") {
    return Kind::kPath;
  }
  if (keyword == "userknownhostsfile" || keyword == "globalknownhostsfile") return Kind::kPathList;
  if (keyword == "identityagent") return Kind::kAgent;
  if (keyword == "forwardagent") return Kind::kForwardAgent;
  return Kind::kIgnored;
}

bool HasGlobChars(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// glob(3)'s error callback has no user pointer; the scanner is not reentrant across threads'
// glob calls only through this one slot, hence thread_local.
thread_local std::vector<std::string>* g_glob_errors = nullptr;
int OnGlobError(const char* path, int err) {
  if (g_glob_errors) {
    g_glob_errors->push_back("cannot list " + std::string(path) +
                             " while expanding Include: " + ErrnoName(err));
  }
  return 0;  // keep going: a partial expansion is better than none
}

class Scanner {
 public:
  explicit Scanner(const SshScanInput& input) : in_(input) {
    ctx_.home = NormalizePathKeepEmpty(input.home);
    ctx_.user = input.user;
    ctx_.getenv = input.getenv;
    ctx_.relative_base = ctx_.home;
    include_ctx_ = ctx_;
    include_ctx_.relative_base = ctx_.home + (ctx_.home == "/" ? ".ssh" : "/.ssh");
    include_ctx_.tokens = false;
  }

  SshConfigPaths Run() {
    out_.refs.push_back({NormalizePathKeepEmpty(in_.config_path), "", "config", "", 0});
    ScanFile(in_.config_path, 0, /*missing_ok=*/true);
    return std::move(out_);
  }

 private:
  static std::string NormalizePathKeepEmpty(const std::string& p) {
    return p.empty() ? p : NormalizePath(p);
  }

  void Warn(const std::string& file, int line, const std::string& what) {
    out_.warnings.push_back(file + (line > 0 ? ":" + std::to_string(line) : "") + ": " + what);
  }

  // Reads one config file and processes its lines. `missing_ok`: ssh silently skips a missing
  // ~/.ssh/config and Include files that match nothing.
  void ScanFile(const std::string& path, int depth, bool missing_ok) {
    // O_NONBLOCK: a FIFO planted as a config file must not hang the scan.
    int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (raw < 0) {
      int err = errno;
      if (!(missing_ok && err == ENOENT))
        Warn(path, 0, std::string("cannot open: ") + ErrnoName(err));
      return;
    }
    UniqueFd fd(raw);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) {
      Warn(path, 0, std::string("cannot stat: ") + ErrnoName(errno));
      return;
    }
    if (!S_ISREG(st.st_mode)) {
      Warn(path, 0, "not a regular file; not read");
      return;
    }
    std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
    if (std::find(stack_.begin(), stack_.end(), id) != stack_.end()) {
      Warn(path, 0, "Include cycle; not read again");
      return;
    }
    if (!done_.insert(id).second) return;  // already scanned through another Include
    std::string text;
    if (!ReadCapped(fd.get(), path, &text)) return;
    out_.files_scanned.push_back(path);
    stack_.push_back(id);
    int line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      ++line_no;
      ProcessLine(std::string_view(text).substr(pos, nl - pos), path, line_no, depth);
      pos = nl + 1;
    }
    stack_.pop_back();
  }

  bool ReadCapped(int fd, const std::string& path, std::string* text) {
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        Warn(path, 0,
             std::string("cannot read: ") + ErrnoName(err) +
                 (text->empty() ? "" : "; using the part read"));
        return !text->empty();
      }
      if (n == 0) return true;
      size_t room = in_.max_file_bytes - text->size();
      if (static_cast<size_t>(n) > room) {
        text->append(buf, room);
        Warn(path, 0,
             "longer than " + std::to_string(in_.max_file_bytes) +
                 " bytes; only the beginning was scanned");
        return true;
      }
      text->append(buf, static_cast<size_t>(n));
    }
  }

  void ProcessLine(std::string_view raw, const std::string& file, int line, int depth) {
    SshConfigLine parsed = ParseSshConfigLine(raw);
    if (parsed.keyword.empty()) return;
    Kind kind = KindOf(parsed.keyword);
    if (kind == Kind::kIgnored) return;
    if (parsed.unterminated_quote) {
      Warn(file, line, "unterminated quote (ssh rejects this line); its paths are used anyway");
    }
    if (parsed.args.empty()) {
      Warn(file, line, "\"" + parsed.keyword + "\" without an argument");
      return;
    }
    if (kind == Kind::kPath && parsed.args.size() > 1) {
      Warn(file, line, "\"" + parsed.keyword + "\" takes one argument; all are used");
    }
    for (const std::string& arg : parsed.args) {
      switch (kind) {
        case Kind::kInclude:
          Include(arg, file, line, depth);
          break;
        case Kind::kPath:
        case Kind::kPathList:
          if (arg != "none") AddPath(arg, parsed.keyword, file, line);
          break;
        case Kind::kAgent:
          if (arg == "none" || arg == "SSH_AUTH_SOCK") break;
          AddAgent(arg, parsed.keyword, file, line);
          break;
        case Kind::kForwardAgent: {
          std::string lower;
          for (char c : arg)
            lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (lower == "yes" || lower == "no" || lower == "true" || lower == "false") break;
          AddAgent(arg, parsed.keyword, file, line);
          break;
        }
        case Kind::kIgnored:
          break;
      }
    }
  }

  void AddPath(const std::string& arg, const std::string& keyword, const std::string& file,
               int line) {
    std::string why;
    std::optional<ExpandedSshPath> p = ExpandSshPath(arg, ctx_, &why);
    if (!p) {
      Warn(file, line, keyword + " \"" + arg + "\": " + why);
      return;
    }
    if (!p->note.empty()) Warn(file, line, keyword + " \"" + arg + "\": " + p->note);
    out_.refs.push_back({p->path, p->pattern, keyword, file, line});
  }

  // "$NAME" names an environment variable that holds the socket path (ssh_config(5)).
  void AddAgent(const std::string& arg, const std::string& keyword, const std::string& file,
                int line) {
    if (arg.size() > 1 && arg[0] == '$' && arg[1] != '{') {
      std::string name = arg.substr(1);
      std::optional<std::string> value;
      if (ctx_.getenv) value = ctx_.getenv(name);
      if (!value || value->empty()) {
        Warn(file, line, keyword + " \"" + arg + "\": variable not set; no path");
        return;
      }
      SshExpandContext literal = ctx_;
      literal.tokens = false;
      std::string why;
      std::optional<ExpandedSshPath> p = ExpandSshPath(*value, literal, &why);
      if (p) out_.refs.push_back({p->path, p->pattern, keyword, file, line});
      return;
    }
    AddPath(arg, keyword, file, line);
  }

  void Include(const std::string& arg, const std::string& file, int line, int depth) {
    std::string why;
    std::optional<ExpandedSshPath> p = ExpandSshPath(arg, include_ctx_, &why);
    if (!p) {
      Warn(file, line, "include \"" + arg + "\": " + why);
      return;
    }
    const std::string& target = p->path;
    std::vector<std::string> files;
    if (HasGlobChars(target)) {
      // Protect the pattern itself (files that match later), anchored at its literal directory.
      std::string dir = target.substr(0, target.find_first_of("*?["));
      dir = NormalizePath(dir.substr(0, dir.rfind('/') + 1));
      out_.refs.push_back({dir, target, "include", file, line});
      glob_t g{};
      std::vector<std::string> errors;
      g_glob_errors = &errors;
      int rc = ::glob(target.c_str(), 0, OnGlobError, &g);
      g_glob_errors = nullptr;
      for (const std::string& e : errors) Warn(file, line, e);
      if (rc == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
      } else if (rc != GLOB_NOMATCH) {
        Warn(file, line, "include \"" + arg + "\": glob failed");
      }
      ::globfree(&g);
    } else {
      files.push_back(target);
    }
    for (const std::string& f : files) {
      out_.refs.push_back({NormalizePath(f), "", "include", file, line});
      if (depth + 1 > in_.max_include_depth) {
        Warn(file, line,
             "include \"" + f + "\": more than " + std::to_string(in_.max_include_depth) +
                 " nested includes; not read");
        continue;
      }
      ScanFile(f, depth + 1, /*missing_ok=*/true);
    }
  }

  const SshScanInput& in_;
  SshExpandContext ctx_;
  SshExpandContext include_ctx_;
  SshConfigPaths out_;
  std::vector<std::pair<dev_t, ino_t>> stack_;  // files being read, outermost first
  std::set<std::pair<dev_t, ino_t>> done_;      // files already read
};

}  // namespace

std::vector<std::string> SshConfigPaths::Paths() const {
  std::vector<std::string> out;
  out.reserve(refs.size());
  for (const SshPathRef& r : refs) out.push_back(r.path);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

SshConfigPaths ScanSshConfig(const SshScanInput& input) { return Scanner(input).Run(); }

EnvLookup ProcessEnvLookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace cordon
