// SPEC §2: authenticate / logout events and demotion when the token expires.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenFor, sign, once, never, ask, connected, eventually, TRANSPORTS } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

for (const { name, options } of TRANSPORTS) {
  describe(`account events over ${name}`, () => {
    test('authenticate with an object or a bare token', async () => {
      const socket = server.client('/', options);
      await connected(socket);
      const authenticated = once(socket, 'authenticated');
      assert.deepEqual(await ask(socket, 'authenticate', { token: tokenFor('erin', { email: 'e@x.test' }) }), { success: true, userId: 'erin' });
      const event = await authenticated;
      assert.equal(event.userId, 'erin');
      assert.equal(event.email, 'e@x.test');

      assert.deepEqual(await ask(socket, 'authenticate', tokenFor('frank')), { success: true, userId: 'frank' });
      const info = await ask(socket, 'getConnectionInfo');
      assert.equal(info.userId, 'frank');
      assert.ok(info.rooms.includes('user:frank'));
      assert.ok(!info.rooms.includes('user:erin'), 'the previous user room is left');
      socket.close();
    });

    test('a bad token is refused and changes nothing', async () => {
      const socket = server.client('/', { ...options, auth: { token: tokenFor('gina') } });
      await connected(socket);
      const cases = [
        [{ token: sign({ sub: 'eve' }, { secret: 'not-the-right-secret!!' }) }, 'Invalid token'],
        [{ token: tokenFor('eve', {}, -30) }, 'Token expired'],
        [{ token: 42 }, 'Token is required'],
        [{}, 'Token is required'],
        [['array'], 'Token is required'],
      ];
      for (const [payload, message] of cases) {
        const authError = once(socket, 'authError');
        const answer = await ask(socket, 'authenticate', payload);
        assert.deepEqual(answer, { success: false, error: message });
        assert.deepEqual(await authError, { message });
      }
      const info = await ask(socket, 'getConnectionInfo');
      assert.equal(info.userId, 'gina', 'still authenticated as before');
      assert.ok(socket.connected);
      socket.close();
    });

    test('authenticate without a callback still answers with events', async () => {
      const socket = server.client('/', options);
      await connected(socket);
      const authenticated = once(socket, 'authenticated');
      socket.emit('authenticate', { token: tokenFor('hank') });
      assert.equal((await authenticated).userId, 'hank');
      const authError = once(socket, 'authError');
      socket.emit('authenticate', { token: 'garbage' });
      assert.equal((await authError).message, 'Invalid token');
      socket.close();
    });

    test('logout makes the socket anonymous and leaves its rooms', async () => {
      const socket = server.client('/', { ...options, auth: { token: tokenFor('ivy') } });
      await connected(socket);
      await ask(socket, 'joinRoom', 'lobby');
      const loggedOut = once(socket, 'loggedOut');
      assert.deepEqual(await ask(socket, 'logout'), { success: true });
      assert.equal(typeof (await loggedOut).message, 'string');
      const info = await ask(socket, 'getConnectionInfo');
      assert.equal(info.authenticated, false);
      assert.equal(info.userId, undefined);
      assert.ok(!info.rooms.some((room) => room === 'user:ivy' || room === 'lobby'), JSON.stringify(info.rooms));
      const refused = await ask(socket, 'joinRoom', 'lobby');
      assert.equal(refused.success, false);
      assert.ok(socket.connected);
      socket.close();
    });
  });
}

test('a token that expires mid-connection demotes the socket, which may authenticate again', async () => {
  const exp = Math.floor(Date.now() / 1000) + 2;
  const socket = server.client('/', { transports: ['websocket'], auth: { token: sign({ sub: 'jack', exp }) } });
  await connected(socket);
  assert.equal((await ask(socket, 'getConnectionInfo')).userId, 'jack');
  assert.deepEqual(await once(socket, 'authError', 5000), { message: 'Token expired' });
  const info = await ask(socket, 'getConnectionInfo');
  assert.equal(info.authenticated, false);
  assert.ok(!info.rooms.includes('user:jack'));
  assert.ok(socket.connected, 'demoted, not disconnected');
  assert.deepEqual(await ask(socket, 'authenticate', { token: tokenFor('jack') }), { success: true, userId: 'jack' });
  await never(socket, 'authError', 300);
  socket.close();
});

test('re-authenticating replaces the expiry of the earlier token', async () => {
  const exp = Math.floor(Date.now() / 1000) + 2;
  const socket = server.client('/', { transports: ['websocket'], auth: { token: sign({ sub: 'kim', exp }) } });
  await connected(socket);
  await ask(socket, 'authenticate', { token: tokenFor('kim') });
  await never(socket, 'authError', 3000);
  assert.equal((await ask(socket, 'getConnectionInfo')).userId, 'kim');
  socket.close();
});

test('on /notifications an expired token closes the transport', async () => {
  const exp = Math.floor(Date.now() / 1000) + 2;
  const socket = server.client('/notifications', { transports: ['websocket'], auth: { token: sign({ sub: 'lou', exp }) } });
  await once(socket, 'connect');
  const authError = once(socket, 'authError', 5000);
  const reason = await once(socket, 'disconnect', 5000);
  assert.deepEqual(await authError, { message: 'Token expired' });
  // A transport close, not a namespace disconnect: the official client
  // reconnects after it (SPEC §2); this client has reconnection off.
  assert.equal(reason, 'transport close');
});

test('re-authenticating as another user leaves the rooms joined as the first', async () => {
  const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('nat') } });
  await connected(socket);
  await ask(socket, 'joinRoom', 'project:nat-secret');
  assert.deepEqual(await ask(socket, 'authenticate', { token: tokenFor('oscar') }), { success: true, userId: 'oscar' });
  const info = await ask(socket, 'getConnectionInfo');
  assert.ok(info.rooms.includes('user:oscar'));
  assert.ok(!info.rooms.includes('project:nat-secret') && !info.rooms.includes('user:nat'), JSON.stringify(info.rooms));
  socket.close();
});

test('events sent without waiting are handled in the order sent', async () => {
  const socket = server.client('/', { transports: ['websocket'] });
  await connected(socket);
  for (let i = 0; i < 25; i += 1) {
    const answers = await Promise.all([
      ask(socket, 'authenticate', { token: tokenFor(`fast-${i}`) }),
      ask(socket, 'joinRoom', `room-${i}`),
      ask(socket, 'leaveRoom', `room-${i}`),
      ask(socket, 'getConnectionInfo'),
      ask(socket, 'logout'),
    ]);
    assert.equal(answers[0].success, true);
    assert.equal(answers[1].success, true, `joinRoom ran before authenticate: ${JSON.stringify(answers[1])}`);
    assert.equal(answers[2].success, true);
    assert.equal(answers[3].userId, `fast-${i}`);
    assert.ok(!answers[3].rooms.includes(`room-${i}`), 'leaveRoom ran before joinRoom');
  }
  socket.close();
});

test('an event sent immediately on connect is answered after welcome', async () => {
  for (let i = 0; i < 10; i += 1) {
    const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('eager') } });
    const order = [];
    socket.on('welcome', () => order.push('welcome'));
    socket.on('authenticated', () => order.push('authenticated'));
    socket.on('connect', () => socket.emit('joinRoom', 'early', (ack) => order.push(ack.success ? 'joined' : 'refused')));
    await once(socket, 'roomJoined');
    await eventually(() => order.length === 3);
    assert.deepEqual(order, ['welcome', 'authenticated', 'joined']);
    socket.close();
  }
});
