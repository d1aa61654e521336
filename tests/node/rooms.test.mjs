// SPEC §3: joinRoom / leaveRoom with validation, ownership rules and limits.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenFor, once, never, ask, connected, TRANSPORTS } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

async function user(sub, extra = {}, options = { transports: ['websocket'] }) {
  const socket = server.client('/', { ...options, auth: { token: tokenFor(sub, extra) } });
  await connected(socket);
  return socket;
}

/** Emits and expects a failure on both channels: the ack and the `error` event. */
async function refused(socket, event, args, code) {
  const error = once(socket, 'error');
  const answer = await ask(socket, event, ...args);
  assert.equal(answer.success, false, JSON.stringify(answer));
  assert.equal(typeof answer.error, 'string');
  const emitted = await error;
  assert.equal(emitted.code, code, JSON.stringify(emitted));
  assert.equal(emitted.message, answer.error);
  assert.ok(socket.connected, 'the socket stays connected');
  return answer;
}

for (const { name, options } of TRANSPORTS) {
  describe(`rooms over ${name}`, () => {
    test('join and leave with a bare name or an object', async () => {
      const socket = await user('ann', {}, options);
      const joined = once(socket, 'roomJoined');
      assert.deepEqual(await ask(socket, 'joinRoom', 'project-123'), { success: true, room: 'project-123' });
      assert.deepEqual(await joined, { room: 'project-123', success: true });
      assert.deepEqual(await ask(socket, 'joinRoom', { room: 'workflow-free' }), { success: true, room: 'workflow-free' });
      let info = await ask(socket, 'getConnectionInfo');
      assert.ok(info.rooms.includes('project-123') && info.rooms.includes('workflow-free'));

      const left = once(socket, 'roomLeft');
      assert.deepEqual(await ask(socket, 'leaveRoom', { room: 'project-123' }), { success: true, room: 'project-123' });
      assert.deepEqual(await left, { room: 'project-123', success: true });
      info = await ask(socket, 'getConnectionInfo');
      assert.ok(!info.rooms.includes('project-123'));
      socket.close();
    });

    test('anonymous sockets may not join', async () => {
      const socket = server.client('/', options);
      await connected(socket);
      await refused(socket, 'joinRoom', ['lobby'], 'UNAUTHORIZED');
      await refused(socket, 'leaveRoom', ['lobby'], 'UNAUTHORIZED');
      socket.close();
    });
  });
}

test('bad names are INVALID_PAYLOAD and change nothing', async () => {
  const socket = await user('bea');
  for (const bad of ['', 'x'.repeat(129), 42, null, ['a'], { room: 7 }, 'line\nbreak', '\u0007bell']) {
    await refused(socket, 'joinRoom', [bad], 'INVALID_PAYLOAD');
  }
  await refused(socket, 'joinRoom', [], 'INVALID_PAYLOAD');
  assert.deepEqual(await ask(socket, 'joinRoom', 'é'.repeat(128)), { success: true, room: 'é'.repeat(128) });
  const info = await ask(socket, 'getConnectionInfo');
  assert.deepEqual(info.rooms.filter((r) => r !== socket.id && r !== 'user:bea'), ['é'.repeat(128)]);
  socket.close();
});

test('user rooms belong to their user', async () => {
  const socket = await user('cal');
  assert.deepEqual(await ask(socket, 'joinRoom', 'user:cal'), { success: true, room: 'user:cal' });
  await refused(socket, 'joinRoom', ['user:someone-else'], 'FORBIDDEN');
  socket.close();
});

test('owned resource rooms need ownership or admin', async () => {
  const socket = await user('dee');
  for (const room of ['process:proc_1', 'workflow:wf_1', 'execution:ex_1', 'media:m_1']) {
    const answer = await refused(socket, 'joinRoom', [room], 'FORBIDDEN');
    assert.equal(answer.error, 'Access denied');
  }
  const admin = await user('root', { roles: ['admin'] });
  assert.deepEqual(await ask(admin, 'joinRoom', 'process:proc_1'), { success: true, room: 'process:proc_1' });
  socket.close();
  admin.close();
});

test('project rooms follow the projects claim', async () => {
  const scoped = await user('eli', { projects: ['alpha'] });
  assert.equal((await ask(scoped, 'joinRoom', 'project:alpha')).success, true);
  assert.equal((await ask(scoped, 'joinRoom', 'project-alpha')).success, true);
  await refused(scoped, 'joinRoom', ['project:beta'], 'FORBIDDEN');
  await refused(scoped, 'joinRoom', ['project-beta'], 'FORBIDDEN');
  const wildcard = await user('fay', { projects: '*' });
  assert.equal((await ask(wildcard, 'joinRoom', 'project:beta')).success, true);
  const unrestricted = await user('gus');
  assert.equal((await ask(unrestricted, 'joinRoom', 'project:beta')).success, true);
  for (const socket of [scoped, wildcard, unrestricted]) socket.close();
});

test('at most 100 rooms per socket', async () => {
  const socket = await user('hal');
  for (let i = 0; i < 100; i += 1) {
    assert.equal((await ask(socket, 'joinRoom', `room-${i}`)).success, true, `room-${i}`);
  }
  assert.equal((await ask(socket, 'joinRoom', 'room-5')).success, true, 'rejoining is not a new room');
  const answer = await refused(socket, 'joinRoom', ['room-100'], 'FORBIDDEN');
  assert.match(answer.error, /100/);
  await ask(socket, 'leaveRoom', 'room-0');
  assert.equal((await ask(socket, 'joinRoom', 'room-100')).success, true);
  socket.close();
});

test('without a callback the events still answer', async () => {
  const socket = await user('ida');
  const joined = once(socket, 'roomJoined');
  socket.emit('joinRoom', 'quiet');
  assert.deepEqual(await joined, { room: 'quiet', success: true });
  const error = once(socket, 'error');
  socket.emit('joinRoom', '');
  assert.equal((await error).code, 'INVALID_PAYLOAD');
  await never(socket, 'disconnect');
  socket.close();
});
