// cordon's command line: argument parsing and printing only. Everything else lives in the
// libraries below (policy, plan, linux, runner).
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>

#include "base/paths.h"
#include "base/sys.h"
#include "cli/invocation.h"
#include "cli/run_report.h"
#include "cli/traced_session.h"
#include "linux/host_probe.h"
#include "linux/sandbox.h"
#include "policy/config_edit.h"
#include "runner/one_shot.h"
#include "server/json_rpc_server.h"
#include "server/serve_limits_config.h"
#include "server/session_manager.h"
#include "server/tty_exec.h"
#include "telemetry/run_trace.h"
#include "telemetry/telemetry.h"

namespace cordon {
namespace {

int Fail(const Error& e) {
  std::fprintf(stderr, "cordon: %s\n", e.ToString().c_str());
  return kExitCordonError;
}

// Connects the runner's phases to the run's trace. With `start_export` (exec --tty), the
// exporter thread starts once the runner has been cloned (CommandStarted): the runner allocates,
// so it must be cloned while cordon is single-threaded (linux/sandbox.h INVARIANT), and nothing
// is cloned after it.
class TraceObserver : public RunObserver {
 public:
  explicit TraceObserver(RunTrace& trace, Telemetry* start_export = nullptr)
      : trace_(trace), start_export_(start_export) {}
  void SandboxSetupStarted() override { trace_.StartPhase(RunPhase::kSandboxSetup); }
  void CommandStarted() override {
    if (start_export_ != nullptr) start_export_->StartExport();
    trace_.EndPhase(RunPhase::kSandboxSetup);
    trace_.StartPhase(RunPhase::kCommand);
  }
  void CommandEnded() override { trace_.EndPhase(RunPhase::kCommand); }

 private:
  RunTrace& trace_;
  Telemetry* start_export_;
};

RunOutcome TracedOutcome(const ExecOutcome& outcome) {
  RunOutcome traced;
  for (const BlockedHost& b : outcome.blocked_hosts)
    traced.denials += static_cast<int64_t>(b.count);
  switch (outcome.kind) {
    case ExecOutcome::Kind::kExited:
      traced.exit_code = outcome.code;
      break;
    case ExecOutcome::Kind::kSignaled:
      traced.signal = outcome.signal;
      break;
    case ExecOutcome::Kind::kExecFailed:
    case ExecOutcome::Kind::kSetupFailed:
      traced.error = outcome.error.ToString();
      break;
  }
  return traced;
}

// The root span's details, and the trace context the command receives (edits plan.env).
void DescribeRun(RunTrace& trace, Resolved& resolved) {
  const std::string& argv0 = resolved.plan.argv[0];
  trace.SetDetails({resolved.policy.profile, NetworkModeName(resolved.policy.network.mode),
                    resolved.policy.workspace_root, argv0.substr(argv0.rfind('/') + 1)});
  trace.ApplyChildEnvironment(resolved.plan.env);
}

// What `cordon exec` needs before anything runs: a command, the config, and [otel], validated
// before anything is installed or run.
struct ExecSettings {
  Config config;
  OtelSettings otel;
};
Result<ExecSettings> LoadExecSettings(const Invocation& inv) {
  if (inv.command.empty()) {
    return PlainError("nothing to run", "give a command: cordon exec [OPTIONS] -- COMMAND [ARGS]");
  }
  auto config = LoadInvocationConfig(inv);
  if (!config) return config.error();
  auto otel = OtelSettingsFromDocument(config->document.get(), config->path);
  if (!otel) return otel.error();
  return ExecSettings{std::move(*config), std::move(*otel)};
}

// Policy resolution as the trace's resolve_policy phase, then the run's details on the trace and
// the report. A failure finishes the trace with it.
Result<Resolved> ResolveForRun(Config config, const Invocation& inv, RunTrace& trace,
                               RunReporter& report) {
  trace.StartPhase(RunPhase::kResolvePolicy);
  auto resolved = ResolveWith(std::move(config), inv, /*need_command=*/true);
  if (!resolved) {
    trace.EndPhase(RunPhase::kResolvePolicy, resolved.error().ToString());
    RunOutcome failed;
    failed.error = resolved.error().ToString();
    trace.Finish(failed);
    return resolved.error();
  }
  trace.EndPhase(RunPhase::kResolvePolicy);
  DescribeRun(trace, *resolved);
  report.SetPolicy(resolved->policy.profile, NetworkModeName(resolved->policy.network.mode));
  return resolved;
}

// `report`: the --json-report destination (none if not asked for); written once the run ends.
int RunExec(const Invocation& inv, RunReporter& report) {
  auto settings = LoadExecSettings(inv);
  if (!settings) return report.Fail(settings.error());
  Telemetry telemetry(std::move(settings->otel));
  RunTrace trace(telemetry, IncomingTraceContext::FromEnvironment());
  auto resolved = ResolveForRun(std::move(settings->config), inv, trace, report);
  if (!resolved) return report.Fail(resolved.error());

  TraceObserver observer(trace);
  ExecOutcome outcome = RunOneShot(resolved->plan, &observer);
  trace.Finish(TracedOutcome(outcome));
  // What the network proxy refused, so the agent learns which hosts to ask for.
  const std::string blocked = FormatBlockedHosts(outcome.blocked_hosts);
  if (!blocked.empty()) std::fputs(blocked.c_str(), stderr);
  if (outcome.kind == ExecOutcome::Kind::kSetupFailed ||
      outcome.kind == ExecOutcome::Kind::kExecFailed) {
    std::fprintf(stderr, "cordon: %s\n", outcome.error.ToString().c_str());
  }
  // Never delays the exit status by more than the configured flush timeout.
  telemetry.Shutdown();
  return report.Finish(outcome);
}

// Warnings while the terminal may be in raw mode (no output processing): "\r\n" line ends.
void ReportToRawTerminal(const std::string& message) {
  std::fprintf(stderr, "cordon: warning: %s\r\n", message.c_str());
}

// `cordon exec --tty`: the command on a PTY in a runner, bridged to the user's terminal. Traced
// as `cordon exec` is; the exporter thread starts only after the runner's clone (TraceObserver).
int RunExecTty(const Invocation& inv, RunReporter& report) {
  auto settings = LoadExecSettings(inv);
  if (!settings) return report.Fail(settings.error());
  Telemetry telemetry(std::move(settings->otel), ReportToRawTerminal, ExportIn::kThreadLater);
  RunTrace trace(telemetry, IncomingTraceContext::FromEnvironment());
  trace.SetRootAttribute("cordon.tty", true);
  auto resolved = ResolveForRun(std::move(settings->config), inv, trace, report);
  if (!resolved) {
    telemetry.StartExport();  // no runner was cloned
    telemetry.Shutdown();
    return report.Fail(resolved.error());
  }

  TraceObserver observer(trace, &telemetry);
  const ExecOutcome outcome = RunInteractive(resolved->plan, &observer);
  // The terminal is restored by now; the runner is gone, so a thread is safe even if the
  // runner never started.
  trace.Finish(TracedOutcome(outcome));
  telemetry.StartExport();
  telemetry.Shutdown();  // at most the configured flush timeout
  return report.Finish(outcome);
}

// `cordon serve --stdio`: the session manager over JSON-RPC (docs/serve.md). Single-threaded:
// sandboxes are cloned from this thread (linux/sandbox.h INVARIANT), so spans are exported by a
// child process forked here before anything else (ExportIn::kProcess).
int RunServe(const Invocation& base) {
  sigset_t mask;  // read by ServeJsonRpc from a signalfd; SIGPIPE: a vanished client is EPIPE
  sigemptyset(&mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) sigaddset(&mask, sig);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  char cwd[4096];
  const std::string workspace =
      !base.workspace.empty() ? base.workspace : (::getcwd(cwd, sizeof cwd) ? cwd : "/");
  // [otel] and [serve] are read once, here: an invalid one ends serve before it serves anything.
  Invocation at_start = base;
  at_start.workspace = workspace;
  auto config = LoadInvocationConfig(at_start);
  if (!config) return Fail(config.error());
  auto otel = OtelSettingsFromDocument(config->document.get(), config->path);
  if (!otel) return Fail(otel.error());
  auto limits = SessionLimitsFromDocument(config->document.get(),
                                          config->path.empty() ? "(-c overrides)" : config->path);
  if (!limits) return Fail(limits.error());
  // Declared before the manager: sessions still running at the end finish their spans into it.
  Telemetry telemetry(std::move(*otel), ReportToStderr, ExportIn::kProcess);
  const IncomingTraceContext server_context = IncomingTraceContext::FromEnvironment();
  // $CORDON_HOME exists before the first plan: the first sandbox would create it for its
  // placeholder records, which changes every later plan (a credential default instead of a mask)
  // and so the session key: the second command would get a second sandbox.
  {
    Invocation probe = base;
    probe.workspace = workspace;
    if (auto resolved = Resolve(probe, /*need_command=*/false);
        resolved && !resolved->policy.cordon_home.empty() &&
        resolved->policy.cordon_home[0] == '/') {
      (void)MakeDirs(resolved->policy.cordon_home, 0700);  // if it can't be made, plans say so
    }
  }
  PlanResolver resolver = [base, workspace, &telemetry,
                           server_context](const ExecRequest& req) -> Result<ResolvedCommand> {
    auto session = std::make_unique<TracedSession>(
        telemetry, SessionTraceContext(req.traceparent, req.tracestate, server_context), req.tty);
    Invocation inv = base;
    inv.workspace = workspace;
    inv.command = req.cmd;
    if (!req.profile.empty()) inv.profile = req.profile;
    if (!req.workdir.empty()) {
      // A directory inside the workspace is the command's cwd; any other one is its workspace.
      if (PathIsUnder(NormalizePath(req.workdir), NormalizePath(workspace))) {
        inv.cd = req.workdir;
      } else {
        inv.workspace = req.workdir;
      }
    }
    auto resolved = Resolve(inv, /*need_command=*/true);
    if (!resolved) {
      session->ResolveFailed(resolved.error().ToString());
      return resolved.error();
    }
    session->trace().EndPhase(RunPhase::kResolvePolicy);
    // Requests that differ only in the command and its cwd share a sandbox.
    Plan keyed = resolved->plan;
    keyed.argv.clear();
    keyed.cwd.clear();
    keyed.placeholders.clear();  // made on the host by the first sandbox, then found existing
    std::erase_if(keyed.env, [](const std::string& e) {  // a per-command value
      return e.rfind("TRACEPARENT=", 0) == 0 || e.rfind("TRACESTATE=", 0) == 0;
    });
    // The key is the plan as data, minus explanations ("why": a placeholder made by the first
    // sandbox reads "did not exist" only in that sandbox's plan).
    nlohmann::json key = PlanToJson(keyed, resolved->policy);
    std::function<void(nlohmann::json&)> strip = [&](nlohmann::json& j) {
      if (j.is_object()) j.erase("why");
      if (j.is_structured()) {
        for (auto& child : j) strip(child);
      }
    };
    strip(key);
    DescribeRun(session->trace(), *resolved);
    ResolvedCommand out{std::move(resolved->plan), key.dump(), std::move(session)};
    return out;
  };
  int status = 0;
  {
    SessionManager manager(*limits, std::move(resolver));
    status = ServeJsonRpc(manager, 0, 1);
  }
  telemetry.Shutdown();  // at most the configured flush timeout, then the exporter is killed
  return status;
}

int RunExplain(const Invocation& inv, bool json, const std::string& path) {
  auto resolved = Resolve(inv, /*need_command=*/false);
  if (!resolved) return Fail(resolved.error());
  if (!path.empty()) {  // --path P: which rule decides P, and why
    std::cout << ExplainPathInPlan(resolved->plan, resolved->policy, path);
    return 0;
  }
  auto otel = OtelSettingsFromDocument(resolved->config.document.get(), resolved->config.path);
  if (!otel) return Fail(otel.error());
  if (json) {
    std::cout << PlanToJson(resolved->plan, resolved->policy).dump(2) << "\n";
  } else {
    std::cout << PlanToText(resolved->plan, resolved->policy);
  }
  return 0;
}

int RunDoctor() {
  bool all_ok = true;
  for (const auto& p : ProbeHost()) {
    all_ok = all_ok && p.ok;
    std::printf("%-16s %s  %s\n                 -> %s\n", p.name.c_str(), p.ok ? "ok  " : "WARN",
                p.found.c_str(), p.action.c_str());
  }
  std::printf("running as:      %s\n", ::getuid() == 0 ? "root (ids map to themselves; root keeps "
                                                         "file capabilities inside the sandbox)"
                                                       : "an ordinary user");
  return all_ok ? 0 : 1;
}

// Splits `cordon [opts] exec|explain [opts] COMMAND ARGS...` at the command: the first argument
// after the subcommand that is neither an option nor an option's value, or whatever follows
// `--`. CLI11 then parses only cordon's part, so the command's own flags (`sh -c ...`) are never
// mistaken for cordon's.
std::vector<std::string> SplitCommand(std::vector<std::string>& args) {
  static const char* kValueOptions[] = {"--config",
                                        "-c",
                                        "-P",
                                        "--profile",
                                        "-C",
                                        "--writable-root",
                                        "--cd",
                                        "--network",
                                        "--allow-domain",
                                        "--path",
                                        "--json-report",
                                        "--json-report-fd"};
  size_t i = 0;
  while (i < args.size() && args[i] != "exec" && args[i] != "explain") ++i;
  if (i == args.size()) return {};
  for (++i; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      std::vector<std::string> command(args.begin() + static_cast<long>(i) + 1, args.end());
      args.resize(i);
      return command;
    }
    if (a.empty() || a[0] != '-') {
      std::vector<std::string> command(args.begin() + static_cast<long>(i), args.end());
      args.resize(i);
      return command;
    }
    if (a.find('=') != std::string::npos && a.rfind("--", 0) == 0) continue;  // --opt=value
    for (const char* o : kValueOptions) {
      if (a == o) {
        ++i;  // skip the value
        break;
      }
    }
  }
  return {};
}

}  // namespace
}  // namespace cordon

int main(int argc, char** argv) {
  using namespace cordon;
  CLI::App app{"cordon: run commands written by AI coding agents in a sandbox"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "cordon " CORDON_VERSION);

  Invocation exec_inv;
  CLI::App* exec = app.add_subcommand("exec", "run a command in a sandbox");
  AddPolicyFlags(*exec, exec_inv);
  // Default: a PTY when stdin and stdout are terminals (with output captured, the one-shot path
  // keeps the bytes exactly as written: no CRLF, stderr apart).
  bool exec_tty = false, exec_no_tty = false;
  exec->add_flag("--tty", exec_tty, "run the command on a PTY bridged to this terminal");
  exec->add_flag("--no-tty", exec_no_tty, "never use a PTY (stdin/stdout/stderr as they are)");
  // The end-of-run report for programs (docs/network.md#run-report): on a channel of its own,
  // never on the command's stdout or stderr.
  std::string exec_report_file;
  int exec_report_fd = -1;
  auto* report_file_opt =
      exec->add_option("--json-report", exec_report_file,
                       "when the command has ended, write a JSON report of the run to FILE")
          ->type_name("FILE");
  exec->add_option("--json-report-fd", exec_report_fd,
                   "the same report, written to this inherited descriptor (not 0, 1 or 2)")
      ->type_name("N")
      ->excludes(report_file_opt);

  Invocation serve_inv;
  bool serve_stdio = false;
  CLI::App* serve = app.add_subcommand("serve", "serve sessions over JSON-RPC 2.0 (docs/serve.md)");
  AddPolicyFlags(*serve, serve_inv);
  serve->add_flag("--stdio", serve_stdio, "JSON-RPC on stdin/stdout, one message per line")
      ->required();

  Invocation explain_inv;
  bool json = false;
  CLI::App* explain = app.add_subcommand("explain", "print the resolved policy and the plan");
  AddPolicyFlags(*explain, explain_inv);
  explain->add_flag("--json", json, "machine-readable output");
  std::string explain_path;
  explain->add_option("--path", explain_path, "which rule decides this path, and why")
      ->type_name("PATH");

  std::string grant_config, grant_profile, grant_dir;
  CLI::App* grant = app.add_subcommand(
      "grant-read", "make a directory readable in a profile of your config (restricted read)");
  grant->add_option("--config", grant_config, "config file (default: $CORDON_HOME/config.toml)");
  grant->add_option("-P,--profile", grant_profile, "profile (default: default_permissions)");
  grant->add_option("DIR", grant_dir, "the directory")->required();

  app.add_subcommand("doctor", "report what this host supports and what cordon does about it");

  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> command = SplitCommand(args);
  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
    app.parse(args);
  } catch (const CLI::ExtrasError&) {
    // CLI11's own message lists them in the order of its reversed argument vector; the most
    // common cause is an option given before the subcommand (cordon -C DIR exec ...).
    const std::vector<std::string> extras = app.remaining(true);
    std::string listed;
    for (const std::string& a : extras) listed += " " + a;
    std::fprintf(stderr, "cordon: unexpected arguments:%s\n", listed.c_str());
    // Before the subcommand? (The first argument that names one.)
    bool before_subcommand = false;
    for (int i = 1; i < argc && !extras.empty(); ++i) {
      if (extras.front() == argv[i]) {
        before_subcommand = true;
        break;
      }
      if (!app.get_subcommands([&](CLI::App* sub) { return sub->check_name(argv[i]); }).empty()) {
        break;
      }
    }
    if (before_subcommand) {
      std::fprintf(stderr, "options go after the subcommand: cordon exec -C DIR -- COMMAND\n");
    }
    std::fprintf(stderr, "run 'cordon --help' for usage\n");
    return kExitCordonError;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "cordon: %s\n", e.what());
    std::fprintf(stderr, "run 'cordon --help' for usage\n");
    return kExitCordonError;
  }
  if (exec->parsed()) {
    exec_inv.command = command;
    const bool want_report = !exec_report_file.empty() || exec_report_fd >= 0;
    RunReportSink sink;
    if (want_report) {
      auto opened = exec_report_file.empty() ? RunReportSink::AdoptFd(exec_report_fd)
                                             : RunReportSink::OpenFile(exec_report_file);
      if (!opened) return Fail(opened.error());
      sink = std::move(*opened);
    }
    RunReporter report(std::move(sink));
    // A report without --tty asks for the pipe path even on a terminal: a program that reads
    // the report is rarely driving a terminal, and the command's output stays byte-exact.
    if (exec_tty || (!want_report && !exec_no_tty && ::isatty(0) && ::isatty(1))) {
      return RunExecTty(exec_inv, report);
    }
    return RunExec(exec_inv, report);
  }
  if (serve->parsed()) {
    return RunServe(serve_inv);
  }
  if (explain->parsed()) {
    explain_inv.command = command;
    return RunExplain(explain_inv, json, explain_path);
  }
  if (grant->parsed()) {
    auto r = GrantReadInConfig(
        grant_config.empty() ? DefaultCordonHome() + "/config.toml" : grant_config, grant_profile,
        grant_dir);
    if (!r) return Fail(r.error());
    std::printf("cordon: %s\n", r->message.c_str());
    return 0;
  }
  return RunDoctor();
}
