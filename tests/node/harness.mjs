// Boots a real `switchboard serve` on port 0 and gives tests the official
// socket.io-client plus small helpers. Every server gets its own data
// directory, so tests never share state.
import { spawn, execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.SWITCHBOARD_BIN ?? join(root, 'target', 'debug', 'switchboard');
export const SECRET = 'test-secret-0123456789abcdef';

/** Starts a server; resolves once it logs its address. `port` and `dataDir`
 * let a restart take over where an earlier server stopped. */
export async function startServer({ env = {}, args = [], port = 0, dataDir = mkdtempSync(join(tmpdir(), 'switchboard-test-')) } = {}) {
  const fullEnv = {
    PATH: process.env.PATH,
    RUST_LOG: 'info',
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_JWT_SECRET: SECRET,
    ...env,
  };
  for (const [key, value] of Object.entries(fullEnv)) if (value === null) delete fullEnv[key];
  const child = spawn(BIN, ['serve', '--port', String(port), ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs}`)), 20000);
    child.stderr.on('data', (chunk) => {
      logs += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(logs);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.stdout.on('data', (chunk) => { logs += chunk; });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${logs}`)); });
  });
  const sockets = [];
  return {
    url,
    dataDir,
    child,
    exited,
    logs: () => logs,
    /** A client socket that is closed when the server stops. */
    client(namespace = '/', options = {}) {
      const socket = io(url + namespace, { reconnection: false, forceNew: true, timeout: 5000, ...options });
      sockets.push(socket);
      return socket;
    },
    async stop(signal = 'SIGTERM') {
      for (const socket of sockets) socket.close();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Signs an HS256 token; `header` lets tests forge other algorithms. */
export function sign(claims, { secret = SECRET, header = { alg: 'HS256', typ: 'JWT' } } = {}) {
  const unsigned = `${b64(header)}.${b64(claims)}`;
  const signature = createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

/** A token for `sub` valid for `ttlSeconds`. */
export function tokenFor(sub, extra = {}, ttlSeconds = 3600) {
  return sign({ sub, exp: Math.floor(Date.now() / 1000) + ttlSeconds, ...extra });
}

/** Resolves with the first argument of the next `event` (rejects after `ms`). */
export function once(socket, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for '${event}'`)), ms);
    socket.once(event, (payload) => { clearTimeout(timer); resolve(payload); });
  });
}

/** Resolves true if `event` does NOT arrive within `ms`. */
export function never(socket, event, ms = 300) {
  return new Promise((resolve, reject) => {
    const handler = () => reject(new Error(`unexpected '${event}'`));
    socket.once(event, handler);
    setTimeout(() => { socket.off(event, handler); resolve(true); }, ms);
  });
}

/** Emits with an ack and resolves with the ack's payload. */
export function ask(socket, event, ...args) {
  return socket.timeout(5000).emitWithAck(event, ...args);
}

/** Connects and resolves once connected; collects `welcome` and `authenticated`. */
export async function connected(socket) {
  const seen = {};
  for (const event of ['welcome', 'authenticated', 'authError']) socket.on(event, (data) => { seen[event] = data; });
  await once(socket, 'connect');
  return seen;
}

/** Waits until `predicate()` is true, polling. */
export async function eventually(predicate, ms = 5000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

/** Runs the switchboard CLI. */
export async function cli(args, env = {}) {
  return promisify(execFile)(BIN, args, { env: { PATH: process.env.PATH, ...env } });
}

/** The transport variants every behaviour is checked over. */
export const TRANSPORTS = [
  { name: 'websocket', options: { transports: ['websocket'] } },
  { name: 'polling', options: { transports: ['polling'] } },
];
