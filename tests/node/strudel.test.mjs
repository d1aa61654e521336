// SPEC §5: strudel:validate / execute / progress / complete / cancel /
// status over socket.io-client, and the rendered WAV fetched over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenFor, connected, ask, eventually } from './harness.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function user(server, sub) {
  const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor(sub) } });
  await connected(socket);
  const events = [];
  socket.onAny((name, data) => { if (name.startsWith('strudel:')) events.push({ name, ...data }); });
  return { socket, events, of: (id) => events.filter((e) => e.processId === id) };
}

/** Reads a 16-bit PCM WAV: its format and peak sample. */
function readWav(buffer) {
  assert.equal(buffer.toString('ascii', 0, 4), 'RIFF');
  assert.equal(buffer.toString('ascii', 8, 12), 'WAVE');
  const channels = buffer.readUInt16LE(22);
  const rate = buffer.readUInt32LE(24);
  const bits = buffer.readUInt16LE(34);
  const dataSize = buffer.readUInt32LE(40);
  let peak = 0;
  for (let i = 44; i + 1 < 44 + dataSize; i += 2) peak = Math.max(peak, Math.abs(buffer.readInt16LE(i)));
  return { channels, rate, bits, frames: dataSize / (channels * bits / 8), peak };
}

test('validate answers errors with line and column', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const socket = server.client('/', { transports: ['websocket'] });
  await connected(socket);
  assert.deepEqual(await ask(socket, 'strudel:validate', { code: 's("bd sd").gain(0.8)' }), { success: true });
  assert.deepEqual(await ask(socket, 'strudel:validate', 'note("c3 e3")'), { success: true });
  const mini = await ask(socket, 'strudel:validate', { code: 's("bd [sd")' });
  assert.equal(mini.success, false);
  assert.equal(mini.errors[0].line, 1);
  assert.ok(mini.errors[0].column > 3, JSON.stringify(mini));
  const syntax = await ask(socket, 'strudel:validate', { code: 's("bd")\n  .gain(' });
  assert.equal(syntax.success, false);
  assert.equal(syntax.errors[0].line, 2);
  const unknown = await ask(socket, 'strudel:validate', { code: 's("bd").wobble(2)' });
  assert.match(unknown.errors[0].message, /wobble is not a function/);
  const bad = await ask(socket, 'strudel:validate', 42);
  assert.equal(bad.code, 'INVALID_PAYLOAD');
});

test('execute streams progress and completes with a WAV served under /audio/', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const anonymous = server.client('/', { transports: ['websocket'] });
  await connected(anonymous);
  assert.equal((await ask(anonymous, 'strudel:execute', { code: 's("bd")' })).code, 'UNAUTHORIZED');

  const { socket, of } = await user(server, 'ada');
  const ack = await ask(socket, 'strudel:execute', { code: 's("bd*2 [sd cp], hh*8").gain(0.8)', options: { duration: 4, sampleRate: 22050 } });
  assert.equal(ack.success, true, JSON.stringify(ack));
  assert.match(ack.processId, /^proc_[0-9a-f]{32}$/);
  await eventually(() => of(ack.processId).some((e) => e.name === 'strudel:complete'), 15000);
  const seen = of(ack.processId);
  assert.equal(seen[0].name, 'strudel:validated');
  const progress = seen.filter((e) => e.name === 'strudel:progress').map((e) => e.progress);
  assert.ok(progress.length >= 20, `progress ${progress}`);
  for (let i = 1; i < progress.length; i += 1) {
    assert.ok(progress[i] > progress[i - 1] && progress[i] - progress[i - 1] <= 5, `steps of at most 5 %: ${progress}`);
  }
  assert.equal(progress.at(-1), 100);
  const complete = seen.at(-1);
  assert.equal(complete.name, 'strudel:complete');
  assert.equal(complete.durationMs, 4000);
  assert.equal(complete.sampleRate, 22050);
  assert.equal(complete.audioUrl, `${server.url}${new URL(complete.audioUrl).pathname}`);
  assert.match(new URL(complete.audioUrl).pathname, /^\/audio\/audio_[0-9a-f]{32}\.wav$/);

  const response = await fetch(complete.audioUrl);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'audio/wav');
  const wav = readWav(Buffer.from(await response.arrayBuffer()));
  assert.deepEqual([wav.channels, wav.rate, wav.bits, wav.frames], [2, 22050, 16, 88200]);
  assert.ok(wav.peak > 1000 && wav.peak <= 32767, `peak ${wav.peak}`);
  assert.equal((await fetch(`${server.url}/audio/audio_${'0'.repeat(32)}.wav`)).status, 404);
  assert.equal((await fetch(`${server.url}/audio/..%2Fjwt_secret`)).status, 404);

  // The render is also a media item with a waveform thumbnail (SPEC §7).
  assert.equal(complete.mediaId, ack.processId);
  const media = server.client('/media', { transports: ['websocket'], auth: { token: tokenFor('ada') } });
  await connected(media);
  const late = new Promise((resolve) => media.once('mediaComplete', resolve));
  assert.equal((await ask(media, 'subscribeMedia', ack.processId)).success, true);
  const done = await late;
  assert.equal(done.url, complete.audioUrl);
  assert.equal(done.thumbnailUrl, complete.thumbnailUrl);
  assert.equal(done.metadata.sampleRate, 22050);
  const picture = await fetch(complete.thumbnailUrl);
  assert.equal(picture.headers.get('content-type'), 'image/png');
  assert.equal(Buffer.from(await picture.arrayBuffer()).toString('ascii', 1, 4), 'PNG');

  const status = await ask(socket, 'strudel:status', { processId: ack.processId });
  assert.equal(status.status, 'completed');
  assert.equal(status.audioUrl, complete.audioUrl);
  const stranger = await user(server, 'bob');
  assert.equal((await ask(stranger.socket, 'strudel:status', ack.processId)).code, 'FORBIDDEN');
  assert.equal((await ask(socket, 'strudel:status', 'proc_nope')).code, 'PROCESS_NOT_FOUND');

  const silent = await ask(socket, 'strudel:execute', { code: 's("~ ~")', options: { duration: 1 } });
  await eventually(() => of(silent.processId).some((e) => e.name === 'strudel:complete'));
  const rest = of(silent.processId).find((e) => e.name === 'strudel:complete');
  const quiet = readWav(Buffer.from(await (await fetch(rest.audioUrl)).arrayBuffer()));
  assert.equal(quiet.peak, 0);
  assert.equal(quiet.rate, 44100);
});

test('bad code and out-of-bounds options are refused; the socket stays up', async (t) => {
  const server = await startServer({ env: { SWITCHBOARD_STRUDEL_MAX_DURATION_S: '20', SWITCHBOARD_STRUDEL_MAX_EVENTS: '100' } });
  t.after(() => server.stop());
  const { socket, events } = await user(server, 'ada');
  const code = await ask(socket, 'strudel:execute', { code: 's("bd" ' });
  assert.equal(code.success, false);
  assert.equal(code.code, 'INVALID_PAYLOAD');
  assert.equal(code.errors[0].line, 1);
  for (const options of [{ duration: 21 }, { duration: -1 }, { sampleRate: 500000 }, { format: 'mp3' }, { duration: 'long' }]) {
    const answer = await ask(socket, 'strudel:execute', { code: 's("bd")', options });
    assert.equal(answer.code, 'INVALID_PAYLOAD', JSON.stringify(options));
  }
  assert.ok(events.some((e) => e.name === 'strudel:error' && e.code === 'INVALID_PAYLOAD'));
  const dense = await ask(socket, 'strudel:execute', { code: 's("hh*64")', options: { duration: 10 } });
  assert.equal(dense.success, true);
  await eventually(() => events.some((e) => e.processId === dense.processId && e.name === 'strudel:error'));
  const failure = events.find((e) => e.processId === dense.processId && e.name === 'strudel:error');
  assert.equal(failure.code, 'EXECUTION_ERROR');
  assert.match(failure.message, /more than 100 events/);
  assert.equal((await ask(socket, 'ping')).timestamp > 0, true);
});

test('renders queue with positions; cancel stops queued and running renders', async (t) => {
  const server = await startServer({ env: { SWITCHBOARD_STRUDEL_MAX_CONCURRENT: '1' } });
  t.after(() => server.stop());
  const { socket, of } = await user(server, 'ada');
  const heavy = 'note("c3*16 e3*16").s("sawtooth").lpf(800).room(0.9).delay(0.5)';
  const first = await ask(socket, 'strudel:execute', { code: heavy, options: { duration: 60, sampleRate: 96000 } });
  const second = await ask(socket, 'strudel:execute', { code: 's("bd")', options: { duration: 1 } });
  await eventually(() => of(second.processId).some((e) => e.name === 'strudel:queued'));
  assert.equal(of(second.processId).find((e) => e.name === 'strudel:queued').queuePosition, 0);
  assert.equal((await ask(socket, 'strudel:status', second.processId)).status, 'queued');
  assert.equal((await ask(socket, 'strudel:cancel', { processId: second.processId })).success, true);
  await eventually(() => of(second.processId).some((e) => e.name === 'strudel:error'));
  assert.equal(of(second.processId).find((e) => e.name === 'strudel:error').code, 'CANCELLED');

  await eventually(() => of(first.processId).some((e) => e.name === 'strudel:progress' && e.progress >= 5));
  const asked = Date.now();
  assert.equal((await ask(socket, 'strudel:cancel', first.processId)).success, true);
  await eventually(() => of(first.processId).some((e) => e.name === 'strudel:error'), 5000);
  const stopped = of(first.processId).find((e) => e.name === 'strudel:error');
  assert.equal(stopped.code, 'CANCELLED');
  assert.ok(Date.now() - asked < 1000, 'cancel is prompt');
  assert.ok(!of(first.processId).some((e) => e.name === 'strudel:complete'));
  assert.equal((await ask(socket, 'strudel:status', first.processId)).status, 'cancelled');
  assert.equal((await ask(socket, 'strudel:cancel', first.processId)).code, 'INVALID_STATE');
});

test('rendered audio expires after the retention time', async (t) => {
  const server = await startServer({ env: { SWITCHBOARD_STRUDEL_AUDIO_RETENTION_MS: '400' } });
  t.after(() => server.stop());
  const { socket, of } = await user(server, 'ada');
  const { processId } = await ask(socket, 'strudel:execute', { code: 's("bd")', options: { duration: 1 } });
  await eventually(() => of(processId).some((e) => e.name === 'strudel:complete'));
  const { audioUrl } = of(processId).find((e) => e.name === 'strudel:complete');
  assert.equal((await fetch(audioUrl)).status, 200);
  await sleep(900);
  assert.equal((await fetch(audioUrl)).status, 404);
});
