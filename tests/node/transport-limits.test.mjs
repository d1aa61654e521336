// Transport limits below the handlers: request heads that do not arrive in
// time are closed while other clients keep being served, oversized bodies
// are refused before they are read, and one address holds a bounded number
// of connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, tokenFor, connected, ask } from './harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A raw TCP connection to the server at `url`; resolves once connected. */
function raw(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with how the connection ended ('closed'), or 'open' after `ms`. */
function ended(socket, ms) {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve('closed');
    const timer = setTimeout(() => resolve('open'), ms);
    const done = () => { clearTimeout(timer); resolve('closed'); };
    socket.once('close', done);
    socket.once('end', done);
    socket.on('error', () => {});
    socket.resume();
  });
}

/** Reads one HTTP response (with a Content-Length or chunked body) from `socket`. */
function response(socket, ms = 5000) {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => { cleanup(); reject(new Error(`no full response: ${data}`)); }, ms);
    const onData = (chunk) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = data.subarray(0, end).toString();
      const body = data.subarray(end + 4);
      const length = /content-length:\s*(\d+)/i.exec(head);
      let text = null;
      if (length && body.length >= Number(length[1])) text = body.subarray(0, Number(length[1])).toString();
      if (!length && /transfer-encoding:\s*chunked/i.test(head) && body.includes('0\r\n\r\n')) {
        text = body.toString().replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n|\r\n$/gi, '');
      }
      if (text === null) return;
      cleanup();
      resolve({ status: Number(head.split(' ')[1]), head, body: text });
    };
    const onClose = () => { cleanup(); reject(new Error(`closed before a full response: ${data}`)); };
    const cleanup = () => { clearTimeout(timer); socket.off('data', onData); socket.off('close', onClose); };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

const healthz = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';

test('slow request heads are closed after the header timeout; others keep being served', async () => {
  const server = await startServer({ env: { SWITCHBOARD_HTTP_HEADER_TIMEOUT_MS: '400' } });
  try {
    const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('u-heads') } });
    await connected(socket);
    // A keep-alive connection that answered once and then stays idle.
    const idle = await raw(server.url);
    idle.write(healthz);
    assert.equal((await response(idle)).status, 200);

    // Stalled mid-head, trickling one header byte at a time, and silent.
    const stalled = [];
    for (let i = 0; i < 20; i++) {
      const s = await raw(server.url);
      s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
      stalled.push(s);
    }
    const trickling = [];
    for (let i = 0; i < 5; i++) {
      const s = await raw(server.url);
      trickling.push(s);
    }
    const trickle = setInterval(() => {
      for (const s of trickling) if (!s.destroyed) s.write('a', () => {});
    }, 50);
    trickling.forEach((s) => s.write('GET /healthz HTTP/1.1\r\nX-Trickle: ', () => {}));
    const silent = await raw(server.url);

    // While they stall, the others are served (well past the timeout).
    for (let i = 0; i < 6; i++) {
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      assert.equal((await ask(socket, 'ping')).timestamp > 0, true);
      await sleep(200);
    }
    const outcomes = await Promise.all([...stalled, ...trickling, silent].map((s) => ended(s, 10000)));
    clearInterval(trickle);
    assert.deepEqual(outcomes, Array(26).fill('closed'));

    // The upgraded websocket and the idle keep-alive connection were not timed.
    assert.equal(socket.connected, true);
    assert.equal((await ask(socket, 'ping')).timestamp > 0, true);
    assert.equal(idle.destroyed, false);
    idle.write(healthz);
    assert.equal((await response(idle)).status, 200);
    idle.destroy();
    assert.match(
      await (await fetch(`${server.url}/metrics`)).text(),
      /switchboard_connections_refused_total\{reason="header_timeout"\} (\d+)/,
    );
  } finally {
    await server.stop();
  }
});

test('JSON bodies over the limit get 413 in the error shape before they are sent in full', async () => {
  const server = await startServer({
    env: { SWITCHBOARD_HTTP_MAX_BODY_BYTES: '4096', SWITCHBOARD_API_KEYS: 'limits-key' },
  });
  try {
    // A declared length far over the limit, with only a few bytes sent.
    const declared = await raw(server.url);
    declared.write(
      'POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer limits-key\r\n' +
        'Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{"namespace":',
    );
    const refused = await response(declared);
    assert.equal(refused.status, 413);
    assert.equal(JSON.parse(refused.body).error.code, 'INVALID_PAYLOAD');
    assert.equal(typeof JSON.parse(refused.body).error.message, 'string');
    declared.destroy();

    // A chunked body that passes the limit and never ends.
    const chunked = await raw(server.url);
    chunked.write(
      'POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer limits-key\r\n' +
        'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const chunk = 'x'.repeat(1000);
    for (let i = 0; i < 6; i++) chunked.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const stopped = await response(chunked);
    assert.equal(stopped.status, 413);
    assert.equal(JSON.parse(stopped.body).error.code, 'INVALID_PAYLOAD');
    chunked.destroy();

    // Within the limit, the route answers as before.
    const ok = await fetch(`${server.url}/api/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer limits-key' },
      body: JSON.stringify({ namespace: '/', room: 'limits-room', event: 'hello', data: { pad: 'p'.repeat(3000) } }),
    });
    assert.equal(ok.status, 200, await ok.text());
  } finally {
    await server.stop();
  }
});

test('long-polling bodies are bounded by max_payload_bytes', async () => {
  const server = await startServer({ env: { SWITCHBOARD_MAX_PAYLOAD_BYTES: '2048' } });
  try {
    const open = await (await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`)).text();
    const sid = JSON.parse(open.slice(1)).sid;
    const big = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: '4' + 'z'.repeat(100000),
    });
    assert.equal(big.status, 413);
  } finally {
    await server.stop();
  }
});

test('max_connections_per_ip closes the connections of one address beyond the cap', async () => {
  const server = await startServer({ env: { SWITCHBOARD_MAX_CONNECTIONS_PER_IP: '3' } });
  try {
    const first = [];
    for (let i = 0; i < 3; i++) first.push(await raw(server.url));
    // Let the server accept the three before the fourth arrives.
    for (const s of first) {
      s.write(healthz);
      assert.equal((await response(s)).status, 200);
    }
    const extra = await raw(server.url);
    extra.on('error', () => {});
    extra.write(healthz, () => {});
    assert.equal(await ended(extra, 5000), 'closed');

    // The first three are still served.
    for (const s of first) {
      s.write(healthz);
      assert.equal((await response(s)).status, 200);
    }
    // A closed connection frees its place.
    first.pop().destroy();
    let served = false;
    for (let attempt = 0; attempt < 50 && !served; attempt++) {
      const next = await raw(server.url);
      next.on('error', () => {});
      next.write(healthz, () => {});
      served = await response(next, 2000).then((r) => r.status === 200, () => false);
      next.destroy();
      if (!served) await sleep(100);
    }
    assert.equal(served, true);
    first.forEach((s) => s.destroy());
    await sleep(100);
    assert.match(
      await (await fetch(`${server.url}/metrics`)).text(),
      /switchboard_connections_refused_total\{reason="per_ip_limit"\} [1-9]/,
    );
  } finally {
    await server.stop();
  }
});
