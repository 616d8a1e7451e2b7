// Differential test of cordon's tracestate parser against the reference JavaScript
// implementation, @opentelemetry/core's TraceState (pinned by js/package-lock.json).
//
// usage: node tracestate_differential.js <telemetry_tracestate_tool> <tracestate_corpus.json>
//
// How the two are compared. The reference never rejects a header: it silently drops members it
// finds invalid and propagates the rest. cordon rejects the whole header instead (an invalid
// incoming TRACESTATE is never passed on, not even in part). So the reference's verdict is
// "accept" when it kept every non-empty member, and "reject" when it dropped any; for a rejected
// case the corpus may list what the reference would still have propagated (reference_kept), and
// that is asserted exactly too (past 32 members, for instance, it keeps 32 in reverse order).
// For every case without a `difference`, cordon's verdict must equal the corpus's and the
// reference's, and accepted headers must serialize identically.
//
// Documented differences (each corpus case that has one asserts both sides exactly):
//  - reference-trims-non-ows-whitespace: the reference trims members with String.trim(), which
//    removes CR, LF, VT, FF, NBSP and other Unicode spaces; W3C allows only SP and HTAB (OWS)
//    around members, and cordon refuses anything unsafe in a header, so cordon rejects.
//  - reference-drops-headers-over-512-characters: the reference discards a header longer than
//    512 characters entirely; W3C's 512 is a minimum vendors SHOULD propagate, not a validity
//    limit, so cordon accepts a valid longer header (at most 32 members of bounded size).
//  - reference-set-keeps-more-than-32-members: TraceState.set() adds a 33rd member; W3C allows
//    at most 32, so cordon's upsert drops members from the end.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const { TraceState } = require('@opentelemetry/core');

const DOCUMENTED = new Set([
  'reference-trims-non-ows-whitespace',
  'reference-drops-headers-over-512-characters',
  'reference-set-keeps-more-than-32-members',
]);

const [tool, corpusPath] = process.argv.slice(2);
const corpus = JSON.parse(fs.readFileSync(corpusPath, 'utf8'));
const cordon = JSON.parse(execFileSync(tool, [corpusPath], { encoding: 'utf8' }));

let passed = 0;
let failed = 0;
const differences = {};
function check(ok, name, message) {
  if (ok) return true;
  failed++;
  console.error(`FAIL ${name}: ${message}`);
  return false;
}

function reference(header) {
  const state = new TraceState(header);
  const serialized = state.serialize();
  const kept = serialized === '' ? 0 : serialized.split(',').length;
  // Non-empty members as the reference sees them (it trims with String.trim()).
  const present = header.split(',').filter((p) => p.trim() !== '').length;
  return { accept: kept === present, serialized };
}

corpus.cases.forEach((c, i) => {
  const ours = cordon.cases[i];
  const ref = reference(c.header);
  const name = `case "${c.name}"`;
  let ok = check((ours.accept ? 'accept' : 'reject') === c.cordon, name,
                 `cordon ${ours.accept ? 'accepted' : 'rejected: ' + ours.error}, corpus says ${c.cordon}`);
  if (ours.accept && c.serialized !== undefined) {
    ok = check(ours.serialized === c.serialized, name,
               `cordon serialized ${JSON.stringify(ours.serialized)}, expected ${JSON.stringify(c.serialized)}`) && ok;
  }
  if (c.difference) {
    ok = check(DOCUMENTED.has(c.difference), name, `undocumented difference ${c.difference}`) && ok;
    ok = check(ref.accept === c.reference.accept && ref.serialized === c.reference.serialized, name,
               `reference gave ${JSON.stringify(ref)}, corpus documents ${JSON.stringify(c.reference)}`) && ok;
    ok = check(ref.accept !== ours.accept, name, 'documented as a difference, but both agree') && ok;
    differences[c.difference] = (differences[c.difference] || 0) + 1;
  } else {
    ok = check(ref.accept === ours.accept, name,
               `reference ${ref.accept ? 'accepted' : 'rejected'} (${JSON.stringify(ref.serialized)}), ` +
               `cordon ${ours.accept ? 'accepted' : 'rejected'}`) && ok;
    if (ref.accept && ours.accept) {
      ok = check(ref.serialized === ours.serialized, name,
                 `reference ${JSON.stringify(ref.serialized)} != cordon ${JSON.stringify(ours.serialized)}`) && ok;
    }
    if (c.reference_kept !== undefined) {
      ok = check(ref.serialized === c.reference_kept, name,
                 `reference kept ${JSON.stringify(ref.serialized)}, corpus says ${JSON.stringify(c.reference_kept)}`) && ok;
    }
  }
  if (ok) passed++;
});

corpus.upserts.forEach((u, i) => {
  const ours = cordon.upserts[i];
  const name = `upsert "${u.name}"`;
  const ref = new TraceState(u.header).set(u.set[0], u.set[1]).serialize();
  let ok = check(ours.accept && ours.serialized === u.expected, name,
                 `cordon gave ${JSON.stringify(ours)}, expected ${JSON.stringify(u.expected)}`);
  if (u.difference) {
    ok = check(DOCUMENTED.has(u.difference), name, `undocumented difference ${u.difference}`) && ok;
    ok = check(ref === u.reference && ref !== u.expected, name,
               `reference gave ${JSON.stringify(ref)}, corpus documents ${JSON.stringify(u.reference)}`) && ok;
    differences[u.difference] = (differences[u.difference] || 0) + 1;
  } else {
    ok = check(ref === u.expected, name, `reference gave ${JSON.stringify(ref)}`) && ok;
  }
  if (ok) passed++;
});

// Every documented difference must still be exercised, so a fixed reference is noticed.
for (const d of DOCUMENTED) check(differences[d] > 0, 'corpus', `no case exercises ${d}`);
console.log(`documented differences: ${JSON.stringify(differences)}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
