// SPEC §7: /notifications (stored, delivered on the next connect, listed and
// marked read) and /media (subscribe, progress, late subscribers), driven by
// backends over HTTP.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, tokenFor, once, never, ask, eventually } from './harness.mjs';

const KEY = 'notify-key-0123456789';

async function call(server, method, path, body, bearer = KEY) {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', Authorization: `Bearer ${bearer}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function namespace(server, path, sub) {
  const socket = server.client(path, { transports: ['websocket'], auth: { token: tokenFor(sub) } });
  const received = [];
  socket.onAny((event, payload) => received.push({ event, payload }));
  await once(socket, 'connect');
  return { socket, received };
}

describe('/notifications', () => {
  let server;
  before(async () => { server = await startServer({ env: { SWITCHBOARD_API_KEYS: KEY } }); });
  after(async () => { await server.stop(); });

  test('a notification reaches the online user on Socket.IO and /ws', async () => {
    const { socket } = await namespace(server, '/notifications', 'nia');
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?token=${tokenFor('nia')}`);
    const plain = [];
    ws.on('message', (data) => plain.push(JSON.parse(String(data))));
    await once(ws, 'open');
    const arrived = once(socket, 'notification');
    const sent = await call(server, 'POST', '/notifications', { userId: 'nia', type: 'success', title: 'Build', message: 'All tests passed!', data: { run: 7 } });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const notification = await arrived;
    assert.equal(notification.id, sent.body.id);
    assert.equal(notification.type, 'success');
    assert.equal(notification.title, 'Build');
    assert.equal(notification.message, 'All tests passed!');
    assert.deepEqual(notification.data, { run: 7 });
    assert.ok(!Number.isNaN(Date.parse(notification.timestamp)));
    await eventually(() => plain.some((m) => m.type === 'notification'));
    assert.deepEqual(plain.find((m) => m.type === 'notification').data, { level: 'success', message: 'All tests passed!' });
    ws.close();
    socket.close();
  });

  test('what arrives offline is delivered on the next connect, once', async () => {
    for (const n of [1, 2]) {
      assert.equal((await call(server, 'POST', '/notifications', { userId: 'oli', type: 'info', title: `t${n}`, message: `m${n}` })).status, 201);
    }
    const first = await namespace(server, '/notifications', 'oli');
    await eventually(() => first.received.filter((r) => r.event === 'notification').length === 2);
    assert.deepEqual(first.received.filter((r) => r.event === 'notification').map((r) => r.payload.title), ['t1', 't2']);
    first.socket.close();
    const second = await namespace(server, '/notifications', 'oli');
    await never(second.socket, 'notification', 300);
    second.socket.close();
  });

  test('listed, marked read, and private to their user', async () => {
    const { body } = await call(server, 'POST', '/notifications', { userId: 'pam', type: 'warning', title: 'Disk', message: '90% full' });
    const unread = await call(server, 'GET', '/notifications?unread=true', undefined, tokenFor('pam'));
    assert.equal(unread.status, 200);
    assert.deepEqual(unread.body.notifications.map((n) => [n.id, n.read]), [[body.id, false]]);
    assert.equal((await call(server, 'POST', `/notifications/${body.id}/read`, undefined, tokenFor('quin'))).status, 404);
    const read = await call(server, 'POST', `/notifications/${body.id}/read`, undefined, tokenFor('pam'));
    assert.equal(read.status, 200);
    assert.equal(read.body.notification.read, true);
    assert.deepEqual((await call(server, 'GET', '/notifications?unread=true', undefined, tokenFor('pam'))).body.notifications, []);
    assert.equal((await call(server, 'GET', '/notifications', undefined, tokenFor('pam'))).body.notifications.length, 1);
    assert.equal((await call(server, 'GET', '/notifications?unread=maybe', undefined, tokenFor('pam'))).status, 400);
    assert.equal((await call(server, 'GET', '/notifications', undefined, 'not-a-token')).status, 401);
  });

  test('without userId everyone online hears it', async () => {
    const a = await namespace(server, '/notifications', 'ray');
    const b = await namespace(server, '/notifications', 'sue');
    const both = Promise.all([once(a.socket, 'notification'), once(b.socket, 'notification')]);
    assert.equal((await call(server, 'POST', '/notifications', { type: 'info', title: 'Maintenance', message: 'At noon' })).status, 201);
    const [x, y] = await both;
    assert.equal(x.title, 'Maintenance');
    assert.equal(y.id, x.id);
    a.socket.close();
    b.socket.close();
  });

  test('bad notifications are refused', async () => {
    for (const bad of [{ type: 'loud', title: 't', message: 'm' }, { userId: '', type: 'info', title: 't', message: 'm' }, { type: 'info' }, { type: 'info', title: 't', message: 'm', extra: 1 }]) {
      const refused = await call(server, 'POST', '/notifications', bad);
      assert.equal(refused.status, 422, JSON.stringify(bad));
      assert.equal(refused.body.error.code, 'INVALID_PAYLOAD');
    }
    assert.equal((await call(server, 'POST', '/notifications', { type: 'info', title: 't', message: 'm' }, 'wrong')).status, 401);
  });
});

describe('/media', () => {
  let server;
  before(async () => { server = await startServer({ env: { SWITCHBOARD_API_KEYS: KEY } }); });
  after(async () => { await server.stop(); });

  test('the owner follows progress to completion; a late subscriber gets the outcome at once', async () => {
    const created = await call(server, 'POST', '/media', { userId: 'tom', type: 'image', metadata: { prompt: 'a cat' } });
    assert.equal(created.status, 201);
    const { mediaId } = created.body;
    assert.match(mediaId, /^media_[0-9a-f]{32}$/);

    const owner = await namespace(server, '/media', 'tom');
    assert.deepEqual(await ask(owner.socket, 'subscribeMedia', mediaId), { success: true, mediaId });
    const progress = once(owner.socket, 'mediaProgress');
    assert.equal((await call(server, 'POST', `/media/${mediaId}/progress`, { progress: 40, stage: 'rendering', message: 'half way' })).status, 200);
    assert.deepEqual(await progress, { mediaId, progress: 40, stage: 'rendering', message: 'half way' });
    const complete = once(owner.socket, 'mediaComplete');
    assert.equal((await call(server, 'POST', `/media/${mediaId}/complete`, { url: 'https://cdn.example/cat.png', thumbnailUrl: 'https://cdn.example/cat-thumb.png' })).status, 200);
    assert.deepEqual(await complete, { mediaId, url: 'https://cdn.example/cat.png', thumbnailUrl: 'https://cdn.example/cat-thumb.png', metadata: { prompt: 'a cat' } });

    const late = await namespace(server, '/media', 'tom');
    const immediately = once(late.socket, 'mediaComplete');
    assert.deepEqual(await ask(late.socket, 'subscribeMedia', { mediaId }), { success: true, mediaId });
    assert.equal((await immediately).url, 'https://cdn.example/cat.png');

    const again = await call(server, 'POST', `/media/${mediaId}/progress`, { progress: 50, stage: 'x' });
    assert.equal(again.status, 409);

    // Racing outcomes: exactly one wins, and subscribers hear only that one.
    const { body: raced } = await call(server, 'POST', '/media', { userId: 'tom', type: 'image' });
    const watcher = await namespace(server, '/media', 'tom');
    await ask(watcher.socket, 'subscribeMedia', raced.mediaId);
    const answers = await Promise.all([
      call(server, 'POST', `/media/${raced.mediaId}/complete`, { url: 'https://cdn.example/a.png' }),
      call(server, 'POST', `/media/${raced.mediaId}/error`, { error: 'boom' }),
      call(server, 'POST', `/media/${raced.mediaId}/complete`, { url: 'https://cdn.example/b.png' }),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409, 409]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const outcomes = watcher.received.filter((r) => r.event === 'mediaComplete' || r.event === 'mediaError');
    assert.equal(outcomes.length, 1, JSON.stringify(outcomes));
    watcher.socket.close();
    owner.socket.close();
    late.socket.close();
  });

  test('a failed item tells late subscribers; ownership and validation', async () => {
    const { body } = await call(server, 'POST', '/media', { userId: 'uma', type: 'audio' });
    assert.equal((await call(server, 'POST', `/media/${body.mediaId}/error`, { error: 'GPU out of memory', code: 'OOM' })).status, 200);
    const owner = await namespace(server, '/media', 'uma');
    const failed = once(owner.socket, 'mediaError');
    await ask(owner.socket, 'subscribeMedia', body.mediaId);
    assert.deepEqual(await failed, { mediaId: body.mediaId, error: 'GPU out of memory', code: 'OOM' });

    const stranger = await namespace(server, '/media', 'val');
    assert.deepEqual(await ask(stranger.socket, 'subscribeMedia', body.mediaId), { success: false, error: 'Access denied' });
    // An id not created yet waits for its item (SPEC §7); one no item can have is unknown.
    assert.deepEqual(await ask(stranger.socket, 'subscribeMedia', 'media_missing'), { success: true, mediaId: 'media_missing', pending: true });
    assert.deepEqual(await ask(stranger.socket, 'subscribeMedia', 'no such media'), { success: false, error: 'Media not found' });
    assert.equal((await ask(stranger.socket, 'subscribeMedia', 42)).success, false);
    const realAdmin = server.client('/media', { transports: ['websocket'], auth: { token: tokenFor('boss', { roles: ['admin'] }) } });
    await once(realAdmin, 'connect');
    assert.equal((await ask(realAdmin, 'subscribeMedia', body.mediaId)).success, true);

    assert.equal((await call(server, 'POST', '/media/media_missing/progress', { progress: 1, stage: 's' })).status, 404);
    const { body: item } = await call(server, 'POST', '/media', { userId: 'uma', type: 'video' });
    for (const bad of [{ progress: 150, stage: 's' }, { progress: 'half', stage: 's' }, { stage: 's' }]) {
      assert.equal((await call(server, 'POST', `/media/${item.mediaId}/progress`, bad)).status, 422, JSON.stringify(bad));
    }
    assert.equal((await call(server, 'POST', '/media', { type: 'image' })).status, 422);
    for (const socket of [owner.socket, stranger.socket, realAdmin]) socket.close();
  });

  test('unsubscribe stops the events; the owner may join media rooms on /', async () => {
    const { body } = await call(server, 'POST', '/media', { userId: 'wes', type: 'image' });
    const owner = await namespace(server, '/media', 'wes');
    await ask(owner.socket, 'subscribeMedia', body.mediaId);
    assert.deepEqual(await ask(owner.socket, 'unsubscribeMedia', body.mediaId), { success: true, mediaId: body.mediaId });
    await call(server, 'POST', `/media/${body.mediaId}/progress`, { progress: 10, stage: 'queued' });
    await never(owner.socket, 'mediaProgress', 300);

    const root = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('wes') } });
    await once(root, 'connect');
    assert.equal((await ask(root, 'joinRoom', `media:${body.mediaId}`)).success, true);
    owner.socket.close();
    root.close();
  });
});
