// Loopback OTLP receiver tests of the real binary: `cordon serve --stdio` (each exec_command a
// traced session, spans exported by serve's exporter process) and `cordon exec --tty` (under
// script(1), which gives it a terminal). Checks:
//  - span names, parents, trace ids (a request's traceparent, the server's TRACEPARENT, a new
//    trace for an invalid one), attributes incl. span_attributes, the resource; every body
//    against the reference OTLP message types;
//  - what the sandboxed command received: TRACEPARENT naming the cordon.command span, TRACESTATE
//    with the configured member upserted at the front, nothing of an invalid incoming context;
//  - serve stays single-threaded and has exactly one child (the exporter), or none without an
//    exporter;
//  - an unreachable or silent collector: serve exits on EOF within the flush timeout plus a
//    margin, and says so once.
// usage: node serve_loopback.js <cordon>   (CORDON_TEST_UID=N: run cordon as that user)
'use strict';

const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { listen, attrs, collector, spansOf, runner } = require('./otlp_check');

const REQ_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const REQ_PARENT = '00f067aa0ba902b7';
const ENV_TRACE = '0af7651916cd43dd8448eb211c80319c';
const ENV_PARENT = 'b7ad6b7169203331';
const ENV_TRACEPARENT = `00-${ENV_TRACE}-${ENV_PARENT}-01`;
const PRINT_CONTEXT = 'echo "TP=$TRACEPARENT"; echo "TS=$TRACESTATE"; exit 3';
const testUid = process.getuid() === 0 && process.env.CORDON_TEST_UID
  ? Number(process.env.CORDON_TEST_UID) : null;
const { test, finish } = runner();

// A directory with config.toml, a workspace and a home, owned by the user cordon runs as; and
// the cordon binary (a copy every user can run, when that user is not us).
function setup(config) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-serve-otel-'));
  fs.chmodSync(dir, 0o755);
  for (const d of ['ws', 'home']) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, 'config.toml'), config);
  let cordon = path.resolve(process.argv[2]);
  if (testUid !== null) {
    cordon = path.join(dir, 'cordon');
    fs.copyFileSync(process.argv[2], cordon);
    fs.chmodSync(cordon, 0o755);
    for (const p of ['ws', 'home', 'config.toml']) fs.chownSync(path.join(dir, p), testUid, testUid);
  }
  const wrap = (argv) => (testUid === null ? argv
    : ['setpriv', `--reuid=${testUid}`, `--regid=${testUid}`, '--clear-groups', '--', ...argv]);
  return {
    dir, cordon, wrap,
    ws: path.join(dir, 'ws'),
    config: path.join(dir, 'config.toml'),
    env: (extra) => ({ PATH: process.env.PATH, HOME: path.join(dir, 'home'),
                       CORDON_HOME: path.join(dir, 'home', '.cordon'), ...extra }),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function otelConfig(endpoint, timeoutMs = 5000) {
  return `[otel]
environment = "ci"
span_attributes = { team = "infra", shard = 3 }
tracestate = { dd = { s = "1" } }
[otel.trace_exporter.otlp-http]
endpoint = "${endpoint}"
timeout_ms = ${timeoutMs}
`;
}

// `cordon serve --stdio` with JSON-RPC helpers.
function startServe(s, env, flags = []) {
  const argv = s.wrap([s.cordon, 'serve', '--stdio', '--config', s.config, '-C', s.ws, ...flags]);
  const child = spawn(argv[0], argv.slice(1), { cwd: s.ws, env: s.env(env) });
  let out = '';
  let err = '';
  const waiting = new Map();
  let nextId = 1;
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    out += d;
    for (let nl; (nl = out.indexOf('\n')) >= 0;) {
      const msg = JSON.parse(out.slice(0, nl));
      out = out.slice(nl + 1);
      if (waiting.has(msg.id)) { waiting.get(msg.id)(msg); waiting.delete(msg.id); }
    }
  });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    pid: child.pid,
    call(method, params) {
      const id = nextId++;
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    // Closes stdin; resolves with the exit, stderr and how long the exit took after the close.
    async close() {
      const t0 = Date.now();
      child.stdin.end();
      const e = await exited;
      return { ...e, stderr: err, ms: Date.now() - t0 };
    },
    stderr: () => err,
  };
}

// The output lines "TP=..." and "TS=..." of a command.
function contextOf(result) {
  assert.ok(result.result, `exec_command failed: ${JSON.stringify(result)}`);
  const lines = Object.fromEntries(result.result.output.trim().split('\n').map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1).replace(/\r$/, '')];
  }));
  return { tp: lines.TP, ts: lines.TS };
}

// serve's threads and children (the exporter is `cordon-otlp`).
function processInfo(pid) {
  const threads = Number(/Threads:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)
    .filter((c) => c !== '')
    .map((c) => { try { return fs.readFileSync(`/proc/${c}/comm`, 'utf8').trim(); } catch { return '?'; } });
  return { threads, children };
}

// Runs `argv` under script(1), which gives it a terminal; resolves with its exit code and
// everything it printed.
async function runOnTerminal(s, argv, env) {
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', quoted, '/dev/null'],
    { cwd: s.ws, env: s.env({ ...env, TERM: 'xterm' }) });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  child.stdin.end();
  return { code, out };
}

async function waitFor(predicate, ms = 3000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return predicate();
}

function byTrace(spans, traceId) {
  const mine = spans.filter((s) => s.traceId === traceId);
  return { mine, byName: Object.fromEntries(mine.map((s) => [s.name, s])) };
}

async function main() {
  await test('serve: a request\'s traceparent, the server\'s TRACEPARENT, spans and propagation', async () => {
    const { server, requests } = collector();
    const port = await listen(server);
    const s = setup(otelConfig(`http://127.0.0.1:${port}/v1/traces`));
    const serve = startServe(s, { TRACEPARENT: ENV_TRACEPARENT, TRACESTATE: 'env=1' });
    // The exporter process exists from the start; serve itself has one thread, before and after.
    // (It names itself right after the fork.)
    await waitFor(() => processInfo(serve.pid).children.join() === 'cordon-otlp');
    assert.deepStrictEqual(processInfo(serve.pid), { threads: 1, children: ['cordon-otlp'] });
    const r1 = await serve.call('exec_command', {
      cmd: PRINT_CONTEXT, traceparent: `00-${REQ_TRACE}-${REQ_PARENT}-01`,
      tracestate: 'dd=o:rum;s:0,other=x',
    });
    const r2 = await serve.call('exec_command', { cmd: PRINT_CONTEXT });
    assert.strictEqual(processInfo(serve.pid).threads, 1, 'serve stays single-threaded');
    const end = await serve.close();
    server.close();
    s.remove();
    assert.strictEqual(end.code, 0);
    assert.strictEqual(end.stderr, '', 'no warnings');
    assert.strictEqual(r1.result.exit_code, 3);
    assert.strictEqual(r2.result.exit_code, 3);

    const { spans, resources } = spansOf(requests);
    for (const r of resources) {
      assert.strictEqual(r['service.name'], 'cordon');
      assert.strictEqual(r['deployment.environment'], 'ci');
    }
    assert.strictEqual(spans.length, 7, spans.map((x) => x.name).join(' '));
    for (const sp of spans) {
      const a = attrs(sp.attributes);
      assert.strictEqual(a.team, 'infra', `${sp.name} carries span_attributes`);
      assert.strictEqual(a.shard, 3);
    }

    // 1: the request's trace; it started the warm sandbox.
    const one = byTrace(spans, REQ_TRACE);
    assert.deepStrictEqual(one.mine.map((x) => x.name).sort(),
      ['cordon.command', 'cordon.resolve_policy', 'cordon.sandbox_setup', 'cordon.session']);
    const root1 = one.byName['cordon.session'];
    assert.strictEqual(root1.parentSpanId, REQ_PARENT);
    for (const sp of one.mine) {
      if (sp !== root1) assert.strictEqual(sp.parentSpanId, root1.spanId, `${sp.name}'s parent`);
      assert.strictEqual(sp.traceState, 'dd=o:rum;s:1,other=x');
      assert.ok(BigInt(sp.startTimeUnixNano) >= BigInt(root1.startTimeUnixNano));
      assert.ok(BigInt(sp.endTimeUnixNano) <= BigInt(root1.endTimeUnixNano));
    }
    const a1 = attrs(root1.attributes);
    assert.strictEqual(a1['cordon.session.id'], 1);
    assert.strictEqual(a1['cordon.tty'], false);
    assert.strictEqual(a1['cordon.sandbox.new'], true);
    assert.strictEqual(a1['process.executable.name'], 'sh');
    assert.strictEqual(a1['process.exit.code'], 3);
    assert.ok(a1['cordon.workspace'].endsWith('/ws'), a1['cordon.workspace']);
    assert.strictEqual(typeof a1['cordon.profile'], 'string');
    assert.ok(a1['cordon.profile'].length > 0);
    assert.strictEqual(typeof a1['cordon.network.mode'], 'string');
    assert.strictEqual(a1['cordon.ended_by'], undefined, 'it exited by itself');
    assert.strictEqual(attrs(one.byName['cordon.command'].attributes)['process.exit.code'], 3);
    const c1 = contextOf(r1);
    assert.strictEqual(c1.tp, `00-${REQ_TRACE}-${one.byName['cordon.command'].spanId}-01`);
    assert.strictEqual(c1.ts, 'dd=o:rum;s:1,other=x', 'dd upserted in place and first');

    // 2: no trace context in the request: the server's; the warm sandbox was reused.
    const two = byTrace(spans, ENV_TRACE);
    assert.deepStrictEqual(two.mine.map((x) => x.name).sort(),
      ['cordon.command', 'cordon.resolve_policy', 'cordon.session']);
    const root2 = two.byName['cordon.session'];
    assert.strictEqual(root2.parentSpanId, ENV_PARENT);
    const a2 = attrs(root2.attributes);
    assert.strictEqual(a2['cordon.session.id'], 2);
    assert.strictEqual(a2['cordon.sandbox.new'], false);
    const c2 = contextOf(r2);
    assert.strictEqual(c2.tp, `00-${ENV_TRACE}-${two.byName['cordon.command'].spanId}-01`);
    assert.strictEqual(c2.ts, 'dd=s:1,env=1', 'the configured member goes to the front');
  });

  await test('serve: an invalid traceparent or tracestate in a request is dropped with a warning', async () => {
    const { server, requests } = collector();
    const port = await listen(server);
    const s = setup(otelConfig(`http://127.0.0.1:${port}/v1/traces`));
    const serve = startServe(s, { TRACEPARENT: ENV_TRACEPARENT });
    const bad = await serve.call('exec_command', {
      cmd: PRINT_CONTEXT, traceparent: `00-${REQ_TRACE.toUpperCase()}-${REQ_PARENT}-01`,
      tracestate: 'other=x',
    });
    const badState = await serve.call('exec_command', {
      cmd: PRINT_CONTEXT, traceparent: `00-${REQ_TRACE}-${REQ_PARENT}-01`, tracestate: 'other=x,Bad=1',
    });
    const wrongType = await serve.call('exec_command', { cmd: PRINT_CONTEXT, traceparent: 7 });
    const end = await serve.close();
    server.close();
    s.remove();
    assert.strictEqual(end.code, 0);
    assert.strictEqual(end.stderr,
      "cordon: warning: ignoring the request's traceparent (trace-id is not 32 lowercase hex digits); starting a new trace\n" +
      "cordon: warning: dropping invalid tracestate in the request (invalid member key 'Bad')\n");
    assert.strictEqual(wrongType.error.code, -32602);

    const { spans } = spansOf(requests);
    // The invalid traceparent: a new trace (neither the request's nor the server's).
    const cBad = contextOf(bad);
    const newTrace = cBad.tp.slice(3, 35);
    assert.notStrictEqual(newTrace, REQ_TRACE.toLowerCase());
    assert.notStrictEqual(newTrace, ENV_TRACE);
    assert.strictEqual(cBad.ts, 'dd=s:1', 'nothing of the incoming tracestate');
    const t = byTrace(spans, newTrace);
    assert.strictEqual(t.byName['cordon.session'].parentSpanId, undefined, 'a new root');
    assert.strictEqual(cBad.tp, `00-${newTrace}-${t.byName['cordon.command'].spanId}-01`);
    // The invalid tracestate: the request's trace, with only the configured member.
    const cState = contextOf(badState);
    assert.match(cState.tp, new RegExp(`^00-${REQ_TRACE}-[0-9a-f]{16}-01$`));
    assert.strictEqual(cState.ts, 'dd=s:1');
    for (const sp of byTrace(spans, REQ_TRACE).mine) assert.strictEqual(sp.traceState, 'dd=s:1');
  });

  await test('serve: sessions that do not end by themselves say how they ended', async () => {
    const { server, requests } = collector();
    const port = await listen(server);
    const s = setup(otelConfig(`http://127.0.0.1:${port}/v1/traces`));
    const serve = startServe(s, {});
    const killed = await serve.call('exec_command', { cmd: 'sleep 30', yield_time_ms: 100 });
    const left = await serve.call('exec_command', { cmd: 'sleep 30', yield_time_ms: 100 });
    assert.ok(killed.result.session_id !== undefined && left.result.session_id !== undefined);
    const t = await serve.call('terminate', { session_id: killed.result.session_id });
    assert.deepStrictEqual(t.result, {});
    const end = await serve.close();  // `left` is still running
    server.close();
    s.remove();
    assert.strictEqual(end.code, 0);
    const roots = spansOf(requests).spans.filter((x) => x.name === 'cordon.session');
    const how = Object.fromEntries(roots.map((r) => {
      const a = attrs(r.attributes);
      return [a['cordon.session.id'], a['cordon.ended_by']];
    }));
    assert.deepStrictEqual(how, { [killed.result.session_id]: 'terminated',
                                  [left.result.session_id]: 'server_shutdown' });
    for (const r of roots) assert.strictEqual(attrs(r.attributes)['process.exit.code'], undefined);
  });

  await test('serve: without an exporter there is no exporter process', async () => {
    const s = setup('[otel]\ntracestate = { dd = { s = "1" } }\n');
    const serve = startServe(s, {});
    const r = await serve.call('exec_command', { cmd: PRINT_CONTEXT });
    assert.deepStrictEqual(processInfo(serve.pid).children.filter((c) => c === 'cordon-otlp'), []);
    const withParent = await serve.call('exec_command', {
      cmd: PRINT_CONTEXT, traceparent: `00-${REQ_TRACE}-${REQ_PARENT}-01`,
    });
    const end = await serve.close();
    s.remove();
    assert.strictEqual(end.stderr, '');
    assert.deepStrictEqual(contextOf(r), { tp: '', ts: '' }, 'an inactive run passes nothing on');
    // Continued for the command even without export.
    assert.match(contextOf(withParent).tp, new RegExp(`^00-${REQ_TRACE}-[0-9a-f]{16}-01$`));
    assert.strictEqual(contextOf(withParent).ts, 'dd=s:1');
  });

  await test('serve: an invalid [otel] config ends serve with 125, naming the key', async () => {
    const s = setup('[otel]\nbogus = 1\n');
    const serve = startServe(s, {});
    const end = await serve.close();
    s.remove();
    assert.strictEqual(end.code, 125);
    assert.match(end.stderr, /otel\.bogus: unknown key/);
  });

  for (const kind of ['closed port', 'collector that never answers']) {
    await test(`serve: a ${kind} costs at most the flush timeout at exit, reported once`, async () => {
      const sockets = [];
      let port;
      let blackhole = null;
      if (kind === 'closed port') {
        const probe = net.createServer();
        port = await listen(probe);
        await new Promise((r) => probe.close(r));
      } else {
        blackhole = net.createServer((c) => sockets.push(c));
        port = await listen(blackhole);
      }
      const timeoutMs = 800;
      const s = setup(otelConfig(`http://127.0.0.1:${port}/v1/traces`, timeoutMs));
      const serve = startServe(s, {});
      const r = await serve.call('exec_command', { cmd: PRINT_CONTEXT });
      assert.strictEqual(r.result.exit_code, 3, 'export never changes a result');
      const end = await serve.close();
      sockets.forEach((c) => c.destroy());
      if (blackhole) blackhole.close();
      s.remove();
      assert.strictEqual(end.code, 0);
      // The margin covers tearing the sandbox down; the export itself is bounded by timeoutMs.
      assert.ok(end.ms <= timeoutMs + 500, `serve took ${end.ms} ms to exit`);
      // A silent collector is waited for (up to the deadline): the export was really attempted.
      if (blackhole) assert.ok(end.ms >= timeoutMs - 200, `serve took only ${end.ms} ms`);
      const warnings = end.stderr.split('\n').filter((l) => l !== '');
      assert.strictEqual(warnings.length, 1, `reported once: ${end.stderr}`);
      assert.match(warnings[0], /^cordon: warning: trace export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed: /);
    });
  }

  await test('exec --tty: traced like exec, context passed to the command on the PTY', async () => {
    const { server, requests } = collector();
    const port = await listen(server);
    const s = setup(otelConfig(`http://127.0.0.1:${port}/v1/traces`));
    const inner = s.wrap([s.cordon, 'exec', '--config', s.config, '-C', s.ws, '--tty', '--',
                          'sh', '-c', `${PRINT_CONTEXT.replace('exit 3', 'exit 4')}`]);
    const { code, out } = await runOnTerminal(s, inner,
      { TRACEPARENT: `00-${REQ_TRACE}-${REQ_PARENT}-01`, TRACESTATE: 'other=x' });
    server.close();
    s.remove();
    assert.strictEqual(code, 4, `the command's status through cordon and script: ${out}`);
    const tp = /TP=(\S*)/.exec(out)[1];
    const ts = /TS=(\S*)/.exec(out)[1];
    const { spans } = spansOf(requests);
    const { mine, byName } = byTrace(spans, REQ_TRACE);
    assert.deepStrictEqual(mine.map((x) => x.name).sort(),
      ['cordon.command', 'cordon.exec', 'cordon.resolve_policy', 'cordon.sandbox_setup']);
    const rootSpan = byName['cordon.exec'];
    assert.strictEqual(rootSpan.parentSpanId, REQ_PARENT);
    for (const sp of mine) {
      if (sp !== rootSpan) assert.strictEqual(sp.parentSpanId, rootSpan.spanId);
      assert.strictEqual(attrs(sp.attributes).team, 'infra');
    }
    const a = attrs(rootSpan.attributes);
    assert.strictEqual(a['cordon.tty'], true);
    assert.strictEqual(a['process.exit.code'], 4);
    assert.strictEqual(a['process.executable.name'], 'sh');
    assert.strictEqual(tp, `00-${REQ_TRACE}-${byName['cordon.command'].spanId}-01`);
    assert.strictEqual(ts, 'dd=s:1,other=x');
  });

  await test('serve and exec: cordon.denials counts the requests the proxy refused', async () => {
    const { server, requests } = collector();
    const port = await listen(server);
    const s = setup(otelConfig(`http://127.0.0.1:${port}/v1/traces`));
    const proxy = ['--network', 'proxy', '--allow-domain', 'allowed.test'];
    // Names outside the allowed domain: the proxy answers 403 without resolving or connecting.
    const refused = (n) => Array.from({ length: n },
      () => "curl -s -o /dev/null -w '%{http_code} ' http://denied.test:9/").join('; ');
    const serve = startServe(s, {}, proxy);
    const three = await serve.call('exec_command', { cmd: refused(3) });
    await serve.call('exec_command', { cmd: 'true' });  // refuses nothing
    const end = await serve.close();
    assert.strictEqual(end.code, 0, end.stderr);
    const argv = s.wrap([s.cordon, 'exec', '--config', s.config, '-C', s.ws, '--no-tty', ...proxy,
                         '--', 'sh', '-c', refused(2)]);
    // Not spawnSync: the collector runs on this process's event loop.
    const child = spawn(argv[0], argv.slice(1), { cwd: s.ws, env: s.env({}) });
    const exec = { stdout: '', stderr: '' };
    child.stdout.on('data', (d) => { exec.stdout += d; });
    child.stderr.on('data', (d) => { exec.stderr += d; });
    exec.status = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
    // exec --tty (under script(1), which gives it a terminal), one refused request.
    const ttyArgv = s.wrap([s.cordon, 'exec', '--config', s.config, '-C', s.ws, '--tty', ...proxy,
                            '--', 'sh', '-c', refused(1)]);
    const { code: ttyCode, out: ttyOut } = await runOnTerminal(s, ttyArgv, {});
    server.close();
    s.remove();
    assert.strictEqual(three.result.output, '403 403 403 ', JSON.stringify(three));
    assert.strictEqual(three.result.blocked_hosts[0].count, 3, JSON.stringify(three));
    assert.strictEqual(exec.status, 0, exec.stderr);
    assert.strictEqual(exec.stdout, '403 403 ');
    const { spans } = spansOf(requests);
    const denialsOf = (name) => spans.filter((x) => x.name === name)
      .map((x) => attrs(x.attributes)['cordon.denials']).sort();
    assert.deepStrictEqual(denialsOf('cordon.session'), [0, 3]);  // the two sessions' roots
    assert.strictEqual(ttyCode, 0, ttyOut);
    assert.match(ttyOut, /403/);
    assert.deepStrictEqual(denialsOf('cordon.exec'), [1, 2]);  // exec --tty, exec
    assert.deepStrictEqual(denialsOf('cordon.command'), [0, 1, 2, 3]);
  });

  finish();
}

main();
