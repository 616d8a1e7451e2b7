// Shared by the loopback OTLP tests: a tiny collector on 127.0.0.1, OTLP JSON checked against the
// protobuf message types that @opentelemetry/otlp-transformer ships, attribute helpers, and a
// minimal test runner.
'use strict';

const assert = require('assert');
const http = require('http');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

// OTLP JSON -> protobufjs object: ids are hex in OTLP JSON (not base64 as in proto3 JSON).
function idsToBytes(request) {
  const copy = JSON.parse(JSON.stringify(request));
  for (const rs of copy.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        assert.match(s.traceId, /^[0-9a-f]{32}$/, 'traceId is 32 lowercase hex digits');
        assert.match(s.spanId, /^[0-9a-f]{16}$/, 'spanId is 16 lowercase hex digits');
        s.traceId = Buffer.from(s.traceId, 'hex').toString('base64');
        s.spanId = Buffer.from(s.spanId, 'hex').toString('base64');
        if (s.parentSpanId !== undefined) {
          assert.match(s.parentSpanId, /^[0-9a-f]{16}$/, 'parentSpanId is 16 lowercase hex digits');
          s.parentSpanId = Buffer.from(s.parentSpanId, 'hex').toString('base64');
        }
      }
    }
  }
  return copy;
}

// Drops proto3 default values and sorts keys, so two encodings of one message compare equal.
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) {
      const c = canonical(v[k]);
      if (c === 0 || c === '' || c === false || c === '0' || (Array.isArray(c) && c.length === 0)) continue;
      out[k] = c;
    }
    return out;
  }
  return typeof v === 'number' && Number.isInteger(v) ? String(v) : v;
}

function validateWithReference(body) {
  const object = idsToBytes(body);
  const message = Request.fromObject(object);
  const problem = Request.verify(message);
  assert.strictEqual(problem, null, `ExportTraceServiceRequest.verify: ${problem}`);
  const decoded = Request.decode(Request.encode(message).finish());
  const back = Request.toObject(decoded, { longs: String, enums: Number, bytes: String });
  assert.deepStrictEqual(canonical(back), canonical(object),
                         'the body does not survive a protobuf round trip: unknown or mistyped fields');
}

function attrs(list) {
  const out = {};
  for (const a of list) {
    const v = a.value;
    out[a.key] = 'stringValue' in v ? v.stringValue : 'intValue' in v ? Number(v.intValue)
      : 'boolValue' in v ? v.boolValue : v.doubleValue;
  }
  return out;
}

// Records every request and answers 200.
function collector() {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  return { server, requests };
}

// Every span of every request (each validated), with the resource of each.
function spansOf(requests) {
  const spans = [];
  const resources = [];
  for (const r of requests) {
    const body = JSON.parse(r.body);
    validateWithReference(body);
    for (const rs of body.resourceSpans) {
      resources.push(attrs(rs.resource.attributes));
      for (const ss of rs.scopeSpans) spans.push(...ss.spans);
    }
  }
  return { spans, resources };
}

// test(name, fn) runs one async test and records "ok"/"FAIL"; finish() prints the tally and exits
// with 1 if any failed.
function runner() {
  let passed = 0;
  let failed = 0;
  return {
    async test(name, fn) {
      try {
        await fn();
        passed++;
        console.log(`ok ${name}`);
      } catch (e) {
        failed++;
        console.error(`FAIL ${name}: ${e.stack}`);
      }
    },
    finish() {
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed === 0 ? 0 : 1);
    },
  };
}

module.exports = { listen, validateWithReference, attrs, collector, spansOf, runner };
