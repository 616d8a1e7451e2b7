// Loopback OTLP receiver test: a tiny HTTP collector on 127.0.0.1 (ephemeral port) receives what
// telemetry_run_driver (one traced run, as cordon exec makes it) exports, and checks:
//  - the request: POST to the configured endpoint path, JSON content type, configured headers;
//  - the body against an independent OTLP implementation: the protobuf message types that
//    @opentelemetry/otlp-transformer ships (ExportTraceServiceRequest fromObject/verify, then an
//    encode/decode round trip that must lose nothing, so no unknown or mistyped field passes);
//  - span names, attributes (including the configured span_attributes on every span), resource,
//    parent/child links and the trace id continued from TRACEPARENT;
//  - propagation: the command printed the TRACEPARENT/TRACESTATE it received;
//  - a collector that accepts and never answers costs at most the flush timeout, the command's
//    exit status is unchanged, and the failure is reported once.
//
// usage: node otlp_loopback.js <telemetry_run_driver>
'use strict';

const assert = require('assert');
const { execFile } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { listen, validateWithReference, attrs, collector, runner } = require('./otlp_check');

const driver = process.argv[2];
const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING_PARENT = '00f067aa0ba902b7';
const { test, finish } = runner();

function runDriver(config, env) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-otel-'));
  const file = path.join(dir, 'config.toml');
  fs.writeFileSync(file, config);
  const childEnv = { PATH: process.env.PATH, ...env };
  return new Promise((resolve) => {
    const started = Date.now();
    execFile(driver, [file], { env: childEnv, encoding: 'utf8', timeout: 30000 }, (err, stdout, stderr) => {
      fs.rmSync(dir, { recursive: true, force: true });
      const lines = Object.fromEntries(stdout.trim().split('\n').map((l) => {
        const i = l.indexOf('=');
        return [l.slice(0, i), l.slice(i + 1)];
      }));
      resolve({ status: err ? err.code : 0, lines, stderr, ms: Date.now() - started });
    });
  });
}

function config(port, extra = '') {
  return `[otel]
environment = "ci"
span_attributes = { team = "infra", shard = 3 }
tracestate = { dd = { s = "1" } }
${extra}
[otel.trace_exporter.otlp-http]
endpoint = "http://127.0.0.1:${port}/v1/traces"
headers = { "x-api-key" = "k-123" }
timeout_ms = 5000
`;
}

// The one request of one run: its spans (validated), resource and spans by name.
function spansOf(requests) {
  assert.strictEqual(requests.length, 1, 'one export request for one run');
  const body = JSON.parse(requests[0].body);
  validateWithReference(body);
  assert.strictEqual(body.resourceSpans.length, 1);
  const rs = body.resourceSpans[0];
  const spans = rs.scopeSpans.flatMap((ss) => ss.spans);
  return { resource: attrs(rs.resource.attributes), spans, byName: Object.fromEntries(spans.map((s) => [s.name, s])) };
}

async function main() {
  await test('continues the incoming trace and exports a valid OTLP request', async () => {
    const { server, requests } = collector();
    const port = await listen(server);
    const run = await runDriver(config(port), {
      TRACEPARENT: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`,
      TRACESTATE: 'dd=o:rum;s:0,other=x',
    });
    server.close();
    assert.strictEqual(run.status, 3, `the command's exit status passes through (stderr: ${run.stderr})`);
    assert.strictEqual(run.stderr, '', 'no warnings');
    assert.strictEqual(requests[0].method, 'POST');
    assert.strictEqual(requests[0].url, '/v1/traces');
    assert.strictEqual(requests[0].headers['content-type'], 'application/json');
    assert.strictEqual(requests[0].headers['x-api-key'], 'k-123');

    const { resource, spans, byName } = spansOf(requests);
    assert.strictEqual(resource['service.name'], 'cordon');
    assert.match(resource['service.version'], /^\d+\.\d+\.\d+/);
    assert.strictEqual(resource['deployment.environment'], 'ci');
    assert.deepStrictEqual(spans.map((s) => s.name).sort(),
      ['cordon.command', 'cordon.exec', 'cordon.resolve_policy', 'cordon.sandbox_setup']);
    assert.strictEqual(new Set(spans.map((s) => s.spanId)).size, 4, 'span ids are distinct');
    const rootSpan = byName['cordon.exec'];
    for (const s of spans) {
      assert.strictEqual(s.traceId, INCOMING_TRACE, `${s.name} joins the incoming trace`);
      assert.strictEqual(s.parentSpanId, s === rootSpan ? INCOMING_PARENT : rootSpan.spanId,
                         `${s.name} has the right parent`);
      const a = attrs(s.attributes);
      assert.strictEqual(a.team, 'infra', `${s.name} carries span_attributes`);
      assert.strictEqual(a.shard, 3, `${s.name} carries span_attributes`);
      assert.strictEqual(s.traceState, 'dd=o:rum;s:1,other=x');
      assert.ok(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano));
      assert.ok(BigInt(s.startTimeUnixNano) >= BigInt(rootSpan.startTimeUnixNano));
      assert.ok(BigInt(s.endTimeUnixNano) <= BigInt(rootSpan.endTimeUnixNano));
    }
    const ra = attrs(rootSpan.attributes);
    assert.strictEqual(ra['cordon.profile'], 'workspace-write');
    assert.strictEqual(ra['cordon.network.mode'], 'restricted');
    assert.strictEqual(ra['cordon.workspace'], '/tmp/ws');
    assert.strictEqual(ra['process.exit.code'], 3);
    assert.strictEqual(ra['cordon.denials'], 2);
    assert.strictEqual(typeof ra['cordon.duration_ms'], 'number');
    const ca = attrs(byName['cordon.command'].attributes);
    assert.strictEqual(ca['process.exit.code'], 3);
    assert.strictEqual(ca['process.executable.name'], 'sh');

    // What the command itself received.
    assert.strictEqual(run.lines.TRACEPARENT, `00-${INCOMING_TRACE}-${byName['cordon.command'].spanId}-01`);
    assert.strictEqual(run.lines.TRACESTATE, 'dd=o:rum;s:1,other=x');
    assert.strictEqual(run.lines.trace_id, INCOMING_TRACE);
  });

  await test('starts a new trace without incoming context', async () => {
    const { server, requests } = collector();
    const port = await listen(server);
    const run = await runDriver(config(port), {});
    server.close();
    assert.strictEqual(run.status, 3);
    const { spans, byName } = spansOf(requests);
    const rootSpan = byName['cordon.exec'];
    assert.strictEqual(rootSpan.parentSpanId, undefined, 'the root span has no parent');
    assert.notStrictEqual(rootSpan.traceId, INCOMING_TRACE);
    for (const s of spans) assert.strictEqual(s.traceId, rootSpan.traceId);
    assert.strictEqual(run.lines.TRACEPARENT, `00-${rootSpan.traceId}-${byName['cordon.command'].spanId}-01`);
    assert.strictEqual(run.lines.TRACESTATE, 'dd=s:1', 'only the configured member');
  });

  await test('an invalid TRACESTATE is dropped with one warning, never passed on', async () => {
    const { server, requests } = collector();
    const port = await listen(server);
    const run = await runDriver(config(port), {
      TRACEPARENT: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`,
      TRACESTATE: 'other=x,Bad=1',
    });
    server.close();
    assert.strictEqual(run.status, 3);
    assert.strictEqual(run.stderr,
      "cordon: warning: dropping invalid TRACESTATE (invalid member key 'Bad')\n");
    assert.strictEqual(run.lines.TRACESTATE, 'dd=s:1');
    assert.strictEqual(run.lines.TRACEPARENT.slice(3, 35), INCOMING_TRACE);
    for (const s of spansOf(requests).spans) assert.strictEqual(s.traceState, 'dd=s:1');
  });

  await test('an invalid TRACEPARENT starts a new trace with one warning', async () => {
    const { server, requests } = collector();
    const port = await listen(server);
    const run = await runDriver(config(port), {
      TRACEPARENT: `00-${INCOMING_TRACE.toUpperCase()}-${INCOMING_PARENT}-01`,
      TRACESTATE: 'other=x',
    });
    server.close();
    assert.strictEqual(run.status, 3);
    assert.match(run.stderr, /^cordon: warning: ignoring TRACEPARENT \(trace-id is not 32 lowercase hex digits\); starting a new trace\n$/);
    const { byName } = spansOf(requests);
    assert.notStrictEqual(byName['cordon.exec'].traceId, INCOMING_TRACE);
    assert.strictEqual(byName['cordon.exec'].parentSpanId, undefined);
    assert.strictEqual(run.lines.TRACESTATE, 'dd=s:1', 'the old trace state is not carried into a new trace');
  });

  await test('exporter none: a valid incoming context is still continued for the command', async () => {
    const run = await runDriver('[otel]\ntracestate = { dd = { s = "1" } }\n', {
      TRACEPARENT: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`,
      TRACESTATE: 'dd=o:rum;s:0,other=x',
    });
    assert.strictEqual(run.status, 3);
    assert.strictEqual(run.stderr, '');
    assert.match(run.lines.TRACEPARENT, new RegExp(`^00-${INCOMING_TRACE}-[0-9a-f]{16}-01$`));
    assert.notStrictEqual(run.lines.TRACEPARENT.slice(36, 52), INCOMING_PARENT);
    assert.strictEqual(run.lines.TRACESTATE, 'dd=o:rum;s:1,other=x');
  });

  await test('exporter none: invalid incoming context reaches the command in no form', async () => {
    const run = await runDriver('[otel]\n', { TRACEPARENT: 'garbage', TRACESTATE: 'a=1' });
    assert.strictEqual(run.status, 3);
    assert.strictEqual(run.lines.TRACEPARENT, '');
    assert.strictEqual(run.lines.TRACESTATE, '');
    assert.match(run.stderr, /ignoring TRACEPARENT/);
  });

  await test('a collector that never answers costs at most the flush timeout', async () => {
    const sockets = [];
    const blackhole = net.createServer((s) => sockets.push(s));  // accepts, never answers
    const port = await listen(blackhole);
    const run = await runDriver(config(port).replace('timeout_ms = 5000', 'timeout_ms = 400'), {});
    sockets.forEach((s) => s.destroy());
    blackhole.close();
    assert.strictEqual(run.status, 3, 'the exit status is the command\'s');
    const shutdownMs = Number(run.lines.shutdown_ms);
    assert.ok(shutdownMs <= 400 + 100, `flush took ${shutdownMs} ms`);
    const warnings = run.stderr.split('\n').filter((l) => l !== '');
    assert.strictEqual(warnings.length, 1, `reported once: ${run.stderr}`);
    assert.match(warnings[0], /^cordon: warning: trace export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed: /);
  });

  finish();
}

main();
