// Test-only oracle: evaluates Strudel code with the unmodified npm packages
// and prints the haps of a span in the same JSON form as
// `switchboard strudel events`. Reads JSON-lines requests
// {id, code, from, to, onsets} on stdin, answers {id, haps} or {id, error}.
import Module, { register } from 'node:module';
import { createInterface } from 'node:readline';

register('./hooks.mjs', import.meta.url);
// The same fix for CommonJS requires (chord-voicings requires @tonaljs/tonal).
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  try {
    return resolveFilename.call(this, request, ...rest);
  } catch (error) {
    if (/^@tonaljs\/[^/]+$/.test(request)) return resolveFilename.call(this, `${request}/dist/index.cjs`, ...rest);
    throw error;
  }
};
const core = await import('@strudel/core');
const mini = await import('@strudel/mini');
const tonal = await import('@strudel/tonal');
const { transpiler } = await import('@strudel/transpiler');

const noop = () => {};
await core.evalScope(core, mini, tonal, { samples: noop, aliasBank: noop, soundAlias: noop });
core.Pattern.prototype.pianoroll = function () { return this; };
core.Pattern.prototype._punchcard = function () { return this; };
core.Pattern.prototype.scope = function () { return this; };

const frac = (f) => `${f.s < 0 ? -f.n : f.n}/${f.d}`.replace(/n/g, '');
const span = (s) => [frac(s.begin), frac(s.end)];
const order = (a, b) => a.part.begin.compare(b.part.begin)
  || (a.whole && b.whole ? a.whole.begin.compare(b.whole.begin) : (a.whole ? 1 : 0) - (b.whole ? 1 : 0))
  || (JSON.stringify(a.value) < JSON.stringify(b.value) ? -1 : JSON.stringify(a.value) > JSON.stringify(b.value) ? 1 : 0)
  || a.part.end.compare(b.part.end);

async function run({ code, from = 0, to = 4, onsets = true }) {
  const { evaluate, scheduler } = core.repl({ transpiler, getTime: () => 0, defaultOutput: noop });
  const pattern = await evaluate(code, false, false);
  if (!pattern) throw new Error('no pattern');
  const cps = scheduler?.cps ?? 0.5;
  let haps = pattern.query(new core.State(new core.TimeSpan(core.Fraction(from), core.Fraction(to)), { _cps: cps }));
  if (onsets) haps = haps.filter((h) => h.hasOnset());
  haps.sort(order);
  return { cps, haps: haps.map((h) => ({ whole: h.whole ? span(h.whole) : null, part: span(h.part), value: h.value })) };
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  try {
    const result = await run(request);
    process.stdout.write(`${JSON.stringify({ id: request.id, ...result })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ id: request.id, error: String(error?.message ?? error) })}\n`);
  }
}
