// SPEC §5 / issue 6: `switchboard strudel events` gives the same events as
// the real @strudel/core, @strudel/mini and @strudel/transpiler 1.2.6 for
// every program of tests/strudel/corpus.txt (onsets of cycles 0..4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BIN } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = readFileSync(join(root, 'strudel', 'corpus.txt'), 'utf8')
  .split('\n').filter((line) => line.trim() && !line.startsWith('#'));

/** Asks the oracle for every program at once. */
async function oracle(programs) {
  const child = spawn(process.execPath, [join(root, 'oracle', 'haps.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  for (const [id, code] of programs.entries()) child.stdin.write(`${JSON.stringify({ id, code, from: 0, to: 4, onsets: true })}\n`);
  child.stdin.end();
  await new Promise((resolve) => child.on('exit', resolve));
  const answers = new Map();
  for (const line of out.split('\n')) {
    if (!line.startsWith('{"id"')) continue;
    const answer = JSON.parse(line);
    answers.set(answer.id, answer);
  }
  return answers;
}

/** Sorts haps canonically: ties in the oracle's order depend on JS key order. */
function canonical(haps) {
  const key = (hap) => JSON.stringify([hap.part, hap.whole, Object.keys(hap.value ?? {}).sort().map((k) => [k, hap.value[k]])]);
  return haps.map((hap) => [key(hap), hap]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, hap]) => hap);
}

async function ours(code) {
  try {
    const { stdout } = await promisify(execFile)(BIN, ['strudel', 'events', '--onsets', '--from', '0', '--to', '4', code]);
    return { haps: stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
  } catch (error) {
    return { error: error.stdout || error.message };
  }
}

test(`the parity corpus (${corpus.length} programs) matches @strudel 1.2.6`, async () => {
  assert.ok(corpus.length >= 150, 'at least 150 programs');
  const expected = await oracle(corpus);
  const mismatches = [];
  for (const [id, code] of corpus.entries()) {
    const want = expected.get(id);
    const got = await ours(code);
    if (!want) { mismatches.push(`${code}: no oracle answer`); continue; }
    if (want.error || got.error) {
      if (!(want.error && got.error)) mismatches.push(`${code}: oracle ${want.error ?? 'ok'} / ours ${got.error ?? 'ok'}`);
      continue;
    }
    try {
      assert.deepStrictEqual(canonical(got.haps), canonical(want.haps));
    } catch {
      const [w, g] = [canonical(want.haps), canonical(got.haps)];
      const at = w.findIndex((hap, i) => JSON.stringify(hap) !== JSON.stringify(g[i]));
      mismatches.push(`${code}: ${w.length} vs ${g.length} haps; first difference at ${at}:\n  want ${JSON.stringify(w[at])}\n  got  ${JSON.stringify(g[at])}`);
    }
  }
  assert.equal(mismatches.length, 0, `${mismatches.length} mismatches:\n${mismatches.join('\n')}`);
});
