// SPEC §2: handshake authentication over websocket, polling and upgrade.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenFor, sign, once, connected, never, eventually, TRANSPORTS } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

for (const { name, options } of TRANSPORTS) {
  describe(`handshake over ${name}`, () => {
    test('a valid auth.token authenticates and joins user room after welcome', async () => {
      const socket = server.client('/', { ...options, auth: { token: tokenFor('alice', { email: 'a@x.test' }) } });
      const order = [];
      socket.on('welcome', () => order.push('welcome'));
      const authenticated = once(socket, 'authenticated');
      const welcome = once(socket, 'welcome');
      await once(socket, 'connect');
      const [w, a] = await Promise.all([welcome, authenticated]);
      assert.equal(w.socketId, socket.id);
      assert.equal(typeof w.message, 'string');
      assert.ok(!Number.isNaN(Date.parse(w.serverTime)));
      assert.equal(a.userId, 'alice');
      assert.equal(a.email, 'a@x.test');
      assert.ok(!Number.isNaN(Date.parse(a.authenticatedAt)));
      assert.equal(order[0], 'welcome');
      const info = await socket.timeout(5000).emitWithAck('getConnectionInfo');
      assert.ok(info.rooms.includes('user:alice'), JSON.stringify(info));
      assert.equal(info.authenticated, true);
      assert.equal(info.userId, 'alice');
      socket.close();
    });

    test('the token may come from ?token=', async () => {
      const socket = server.client('/', { ...options, query: { token: tokenFor('bob') } });
      const authenticated = once(socket, 'authenticated');
      await once(socket, 'connect');
      assert.equal((await authenticated).userId, 'bob');
      socket.close();
    });

    test('the token may come from an Authorization: Bearer header', async () => {
      const socket = server.client('/', { ...options, extraHeaders: { Authorization: `Bearer ${tokenFor('carol')}` } });
      const authenticated = once(socket, 'authenticated');
      await once(socket, 'connect');
      assert.equal((await authenticated).userId, 'carol');
      socket.close();
    });

    test('auth.token wins over the query', async () => {
      const socket = server.client('/', { ...options, auth: { token: tokenFor('first') }, query: { token: tokenFor('second') } });
      const authenticated = once(socket, 'authenticated');
      await once(socket, 'connect');
      assert.equal((await authenticated).userId, 'first');
      socket.close();
    });

    test('no token gives an anonymous socket on /', async () => {
      const socket = server.client('/', options);
      const seen = await connected(socket);
      await never(socket, 'authenticated');
      assert.equal(seen.welcome.socketId, socket.id);
      const info = await socket.timeout(5000).emitWithAck('getConnectionInfo');
      assert.equal(info.authenticated, false);
      assert.equal(info.userId, undefined);
      socket.close();
    });

    const refused = {
      'a badly signed token': () => sign({ sub: 'eve' }, { secret: 'some-other-secret-value' }),
      'an expired token': () => tokenFor('eve', {}, -10),
      'an alg:none token': () => sign({ sub: 'eve' }, { header: { alg: 'none', typ: 'JWT' } }).replace(/\.[^.]*$/, '.'),
      'a malformed token': () => 'not-a-jwt',
      'a token without subject': () => sign({ email: 'x@y.z' }),
    };
    for (const [label, make] of Object.entries(refused)) {
      test(`${label} is refused with "Authentication error"`, async () => {
        const socket = server.client('/', { ...options, auth: { token: make() } });
        const error = await once(socket, 'connect_error');
        assert.equal(error.message, 'Authentication error');
        assert.equal(socket.connected, false);
        socket.close();
      });
    }

    for (const namespace of ['/media', '/notifications']) {
      test(`${namespace} refuses anonymous sockets and accepts tokens`, async () => {
        const anonymous = server.client(namespace, options);
        assert.equal((await once(anonymous, 'connect_error')).message, 'Authentication error');
        anonymous.close();

        const socket = server.client(namespace, { ...options, auth: { token: tokenFor('dave') } });
        const authenticated = once(socket, 'authenticated');
        await once(socket, 'connect');
        assert.equal((await authenticated).userId, 'dave');
        socket.close();
      });
    }
  });
}

test('a polling connection upgrades to websocket', async () => {
  const socket = server.client('/', { transports: ['polling', 'websocket'], auth: { token: tokenFor('upgrader') } });
  const opened = new Promise((resolve) => socket.io.on('open', () => {
    const engine = socket.io.engine;
    const first = engine.transport.name;
    const upgraded = new Promise((done) => engine.once('upgrade', (transport) => done(transport.name)));
    resolve({ first, upgraded });
  }));
  const { first, upgraded } = await opened;
  assert.equal(first, 'polling');
  assert.equal(await upgraded, 'websocket');
  await eventually(() => socket.connected);
  assert.equal(socket.io.engine.transport.name, 'websocket');
  const pong = await socket.timeout(5000).emitWithAck('ping');
  assert.equal(typeof pong.timestamp, 'number');
  socket.close();
});

test('refusals are counted by reason in /metrics', async () => {
  const expired = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('late', {}, -5) } });
  await once(expired, 'connect_error');
  expired.close();
  const text = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(text, /switchboard_auth_failures_total\{code="TOKEN_EXPIRED"\} [1-9]/);
  assert.match(text, /switchboard_auth_failures_total\{code="TOKEN_INVALID"\} [1-9]/);
  assert.match(server.logs(), /handshake refused.*TOKEN_EXPIRED|TOKEN_EXPIRED.*handshake refused/);
});
