// JSON-RPC 2.0 for the session manager: see json_rpc_server.h and docs/serve.md.
#include "server/json_rpc_server.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/sys.h"
#include "net/blocked_hosts_json.h"

namespace cordon {
namespace {

using nlohmann::json;

// Output is the command's bytes: not necessarily UTF-8. Invalid sequences become U+FFFD here
// (only here, at the JSON edge; the protocol below carries bytes as they are).
std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

json ErrorResponse(const json& id, int code, const std::string& message) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

struct ParamError {
  std::string message;
};

// Typed parameter access that reports the parameter's name.
template <typename T>
std::optional<T> Optional(const json& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end() || it->is_null()) return std::nullopt;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw ParamError{std::string("parameter \"") + name + "\" has the wrong type"};
  }
}

template <typename T>
T Required(const json& params, const char* name) {
  auto v = Optional<T>(params, name);
  if (!v) throw ParamError{std::string("missing parameter \"") + name + "\""};
  return *v;
}

json CallResultToJson(const CallResult& r) {
  json j{{"output", r.output}, {"wall_time_ms", r.wall_time_ms}};
  if (r.omitted_bytes != 0) j["omitted_bytes"] = r.omitted_bytes;
  if (r.session_id) j["session_id"] = *r.session_id;
  if (r.exit_code) j["exit_code"] = *r.exit_code;
  if (r.signal) j["signal"] = *r.signal;
  if (!r.error.empty()) j["error"] = r.error;
  if (r.blocked_hosts) j["blocked_hosts"] = BlockedHostsToJson(*r.blocked_hosts);
  return j;
}

// Maps a manager error to a JSON-RPC error code.
int CodeFor(const Error& e) {
  if (e.err == ENOENT && e.op != "exec_command") return kRpcUnknownSession;
  if (e.err == EAGAIN) return kRpcBusy;
  return kRpcServerError;
}

json Dispatch(SessionManager& m, const std::string& method, const json& params, int notify_fd) {
  if (method == "exec_command") {
    ExecRequest req;
    const json& cmd = params.contains("cmd") ? params["cmd"] : json();
    if (cmd.is_string()) {
      req.cmd = {"/bin/sh", "-c", cmd.get<std::string>()};
    } else if (cmd.is_array() && !cmd.empty() &&
               std::all_of(cmd.begin(), cmd.end(), [](const json& a) { return a.is_string(); })) {
      req.cmd = cmd.get<std::vector<std::string>>();
    } else {
      throw ParamError{
          "\"cmd\" must be a string (run by /bin/sh -c) or a non-empty array of "
          "strings"};
    }
    req.workdir = Optional<std::string>(params, "workdir").value_or("");
    req.tty = Optional<bool>(params, "tty").value_or(false);
    req.yield_time_ms = Optional<uint32_t>(params, "yield_time_ms");
    req.max_output_bytes = Optional<size_t>(params, "max_output_bytes");
    req.profile = Optional<std::string>(params, "profile").value_or("");
    req.rows = Optional<uint16_t>(params, "rows").value_or(0);
    req.cols = Optional<uint16_t>(params, "cols").value_or(0);
    // W3C trace context of the caller's step; validated (and an invalid one dropped with a
    // warning) by the session's tracing, as TRACEPARENT/TRACESTATE are for `cordon exec`.
    req.traceparent = Optional<std::string>(params, "traceparent");
    req.tracestate = Optional<std::string>(params, "tracestate");
    const bool stream = Optional<bool>(params, "stream_output").value_or(false);
    if (stream && notify_fd >= 0) {
      m.SetOutputListener([notify_fd](uint64_t id, ipc::Stream s, std::string_view bytes) {
        json n{
            {"jsonrpc", "2.0"},
            {"method", "session/output"},
            {"params",
             {{"session_id", id}, {"stream", ipc::StreamName(s)}, {"data", std::string(bytes)}}}};
        (void)WriteAll(notify_fd, Dump(n));
      });
    } else {
      m.SetOutputListener(nullptr);
    }
    auto r = m.ExecCommand(req);
    if (!r) throw r.error();
    return CallResultToJson(*r);
  }
  if (method == "write_stdin") {
    auto r = m.WriteStdin(Required<uint64_t>(params, "session_id"),
                          Optional<std::string>(params, "chars").value_or(""),
                          Optional<uint32_t>(params, "yield_time_ms"),
                          Optional<size_t>(params, "max_output_bytes"));
    if (!r) throw r.error();
    return CallResultToJson(*r);
  }
  if (method == "terminate") {
    if (auto st = m.Terminate(Required<uint64_t>(params, "session_id")); !st) throw st.error();
    return json::object();
  }
  if (method == "resize") {
    const auto rows = Required<uint16_t>(params, "rows");
    const auto cols = Required<uint16_t>(params, "cols");
    if (rows == 0 || cols == 0) throw ParamError{"\"rows\" and \"cols\" must be positive"};
    if (auto st = m.Resize(Required<uint64_t>(params, "session_id"), rows, cols); !st) {
      throw st.error();
    }
    return json::object();
  }
  if (method == "list") {
    json sessions = json::array();
    for (const SessionInfo& s : m.List()) {
      sessions.push_back({{"session_id", s.id},
                          {"cmd", s.cmd},
                          {"tty", s.tty},
                          {"running", s.running},
                          {"pid", s.pid},
                          {"output_bytes", s.output_bytes},
                          {"sandbox", s.sandbox}});
    }
    json details = json::array();
    for (const SandboxInfo& sb : m.Sandboxes()) {
      json d{{"sandbox", sb.pid}};
      if (sb.blocked_hosts) d["blocked_hosts"] = BlockedHostsToJson(*sb.blocked_hosts);
      details.push_back(std::move(d));
    }
    return json{{"sessions", sessions},
                {"sandboxes", m.runner_count()},
                {"sandbox_details", std::move(details)}};
  }
  throw std::out_of_range(method);
}

}  // namespace

std::string HandleJsonRpcLine(SessionManager& manager, const std::string& line, int notify_fd) {
  json request;
  try {
    request = json::parse(line);
  } catch (const json::exception& e) {
    return Dump(ErrorResponse(nullptr, kRpcParseError, std::string("parse error: ") + e.what()));
  }
  if (!request.is_object() || request.value("jsonrpc", "") != "2.0" ||
      !request.contains("method") || !request["method"].is_string()) {
    json id = request.is_object() && request.contains("id") ? request["id"] : json();
    return Dump(ErrorResponse(id, kRpcInvalidRequest,
                              "invalid request: an object with \"jsonrpc\": \"2.0\" and a string "
                              "\"method\" is expected"));
  }
  const bool is_notification = !request.contains("id");
  const json id = is_notification ? json() : request["id"];
  if (!id.is_null() && !id.is_string() && !id.is_number_integer()) {
    return Dump(ErrorResponse(nullptr, kRpcInvalidRequest, "\"id\" must be a string or integer"));
  }
  const json params = request.contains("params") ? request["params"] : json::object();
  if (!params.is_object()) {
    return is_notification
               ? ""
               : Dump(ErrorResponse(id, kRpcInvalidParams, "\"params\" must be an object"));
  }
  const std::string method = request["method"].get<std::string>();
  json response;
  try {
    json result = Dispatch(manager, method, params, notify_fd);
    response = json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
  } catch (const ParamError& e) {
    response = ErrorResponse(id, kRpcInvalidParams, e.message);
  } catch (const Error& e) {
    response = ErrorResponse(id, CodeFor(e), e.ToString());
  } catch (const std::out_of_range&) {
    response = ErrorResponse(id, kRpcMethodNotFound, "method not found: " + method);
  } catch (const json::exception& e) {
    response = ErrorResponse(id, kRpcInvalidParams, e.what());
  }
  return is_notification ? "" : Dump(response);
}

int ServeJsonRpc(SessionManager& manager, int in_fd, int out_fd, const ServeOptions& options) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, sig);
  UniqueFd sigfd(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  std::string pending;
  bool skipping = false;  // inside an over-long line: drop bytes until its newline
  char buf[64 << 10];
  int status = 0;
  for (;;) {
    std::vector<int> wake = {in_fd};
    if (sigfd) wake.push_back(sigfd.get());
    if (!manager.PumpOnce(-1, wake)) continue;
    signalfd_siginfo info;
    if (sigfd && ::read(sigfd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      status = 128 + static_cast<int>(info.ssi_signo);
      break;
    }
    const ssize_t n = ::read(in_fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // end of input: the client is gone
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (skipping) {
        skipping = false;
        continue;
      }
      std::string line = pending.substr(start, nl - start);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string reply = HandleJsonRpcLine(manager, line, out_fd);
      if (!reply.empty() && !WriteAll(out_fd, reply)) {
        manager.Shutdown();
        return 1;
      }
    }
    pending.erase(0, start);
    if (pending.size() > options.max_request_bytes) {
      pending.clear();
      skipping = true;
      (void)WriteAll(out_fd,
                     Dump(ErrorResponse(nullptr, kRpcParseError,
                                        "request longer than " +
                                            std::to_string(options.max_request_bytes) + " bytes")));
    }
  }
  manager.Shutdown();
  return status;
}

}  // namespace cordon
