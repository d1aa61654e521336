// SPEC §1-§2: the `token` and `config` commands, the generated secret, and
// RS256 / ES256 verification with a configured public key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as cryptoSign, createHmac } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, cli, once, ask, connected } from './harness.mjs';

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signAsymmetric(claims, privateKey, alg) {
  const unsigned = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  const options = alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey;
  return `${unsigned}.${cryptoSign('sha256', Buffer.from(unsigned), options).toString('base64url')}`;
}

test('with no key configured, serve and token share a generated secret', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
  const env = { SWITCHBOARD_DATA_DIR: dataDir };
  const { stdout } = await cli(['token', '--sub', 'uma', '--email', 'u@x.test', '--role', 'admin', '--project', 'p1', '--ttl', '10m'], env);
  const token = stdout.trim();
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));
  assert.equal(claims.sub, 'uma');
  assert.equal(claims.email, 'u@x.test');
  assert.deepEqual(claims.roles, ['admin']);
  assert.deepEqual(claims.projects, ['p1']);
  assert.ok(Math.abs(claims.exp - claims.iat - 600) <= 1);
  assert.equal(statSync(join(dataDir, 'jwt_secret')).mode & 0o777, 0o600);

  const server = await startServer({ env: { SWITCHBOARD_JWT_SECRET: null, SWITCHBOARD_DATA_DIR: dataDir } });
  try {
    const socket = server.client('/', { transports: ['websocket'], auth: { token } });
    const seen = await connected(socket);
    await ask(socket, 'ping');
    assert.equal(seen.authenticated.userId, 'uma');
    assert.equal((await ask(socket, 'joinRoom', 'process:anything')).success, true, 'admin role carried');
    socket.close();
  } finally {
    await server.stop();
  }
});

test('config prints the layered configuration with secrets masked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
  const file = join(dir, 'switchboard.toml');
  writeFileSync(file, 'port = 4100\nping_interval_ms = 1000\n');
  const { stdout } = await cli(['config', '--config', file], {
    SWITCHBOARD_PORT: '4200',
    SWITCHBOARD_JWT_SECRET: 'super-secret-value-123456',
    SWITCHBOARD_DATA_DIR: dir,
  });
  assert.match(stdout, /^port = 4200$/m, 'environment beats the file');
  assert.match(stdout, /^ping_interval_ms = 1000$/m, 'the file beats defaults');
  assert.match(stdout, /^ping_timeout_ms = 20000$/m);
  assert.match(stdout, /^jwt_secret = "\*+"$/m);
  assert.doesNotMatch(stdout, /super-secret-value/);
});

test('a bad setting stops the process with a message naming it', async () => {
  await assert.rejects(cli(['config'], { SWITCHBOARD_PING_TIMEOUT_MS: 'soon' }), (error) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr, /SWITCHBOARD_PING_TIMEOUT_MS/);
    return true;
  });
  await assert.rejects(cli(['serve', '--port', '0'], { SWITCHBOARD_JWT_SECRET: '' }), (error) => {
    assert.match(error.stderr, /jwt_secret/);
    return true;
  });
});

test('flags beat the environment', async () => {
  const server = await startServer({ env: { SWITCHBOARD_PORT: '1' } });
  try {
    assert.notEqual(new URL(server.url).port, '1');
  } finally {
    await server.stop();
  }
});

for (const [alg, type, options] of [
  ['RS256', 'rsa', { modulusLength: 2048 }],
  ['ES256', 'ec', { namedCurve: 'P-256' }],
]) {
  test(`${alg} tokens verify against SWITCHBOARD_JWT_PUBLIC_KEY`, async () => {
    const { publicKey, privateKey } = generateKeyPairSync(type, options);
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-pem-'));
    const pem = join(dir, 'public.pem');
    writeFileSync(pem, publicKey.export({ type: 'spki', format: 'pem' }));
    const server = await startServer({ env: { SWITCHBOARD_JWT_SECRET: null, SWITCHBOARD_JWT_PUBLIC_KEY: pem } });
    try {
      const exp = Math.floor(Date.now() / 1000) + 600;
      const good = server.client('/', { transports: ['websocket'], auth: { token: signAsymmetric({ sub: 'vic', exp }, privateKey, alg) } });
      const seen = await connected(good);
      await ask(good, 'ping');
      assert.equal(seen.authenticated.userId, 'vic');
      good.close();

      // Algorithm confusion: an HS256 token keyed with the public PEM text.
      const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'mallory', exp })}`;
      const forged = `${unsigned}.${createHmac('sha256', readFileSync(pem)).update(unsigned).digest('base64url')}`;
      const bad = server.client('/', { transports: ['websocket'], auth: { token: forged } });
      assert.equal((await once(bad, 'connect_error')).message, 'Authentication error');
      bad.close();

      const { stderr } = await cli(['token', '--sub', 'x'], { SWITCHBOARD_JWT_PUBLIC_KEY: pem }).catch((e) => e);
      assert.match(stderr, /public key only verifies/);
    } finally {
      await server.stop();
    }
  });
}
