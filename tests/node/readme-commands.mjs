// The README's first commands, run exactly as a user types them in the
// repository root: the `serve` command of the first code block and the
// token command of "Connect a client". Only the environment differs from a
// user's shell (a free port and a fresh data directory), never the command.
// The first run compiles a release build, so scripts/test runs this file
// on its own with a long timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The shell lines of the README's fenced `sh` blocks, in order. */
function shellLines() {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
  return blocks.flatMap((block) => block.split('\n').filter((line) => line.trim() !== ''));
}

/** The first README line that satisfies `predicate`, as written. */
function readmeLine(predicate, what) {
  const line = shellLines().find(predicate);
  assert.ok(line, `the README shows no ${what} command`);
  return line;
}

const serveLine = readmeLine((line) => /^cargo run .*-- serve\b/.test(line), '`serve`');
const tokenLine = readmeLine((line) => /^TOKEN=\$\(cargo run .*-- token\b/.test(line), 'token');

// A compile from scratch (release, thin LTO) comes first on a fresh clone.
const FIRST_START_MS = 30 * 60 * 1000;

/** Runs `line` with bash in the repository root, as a user's shell would. */
function shell(line, env) {
  return spawn('bash', ['-c', line], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the process's exit once it ends. */
function exitOf(child) {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

/** Resolves with the address the server logs once it listens. */
function listeningAddress(child, exited) {
  let logs = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address logged:\n${logs}`)), FIRST_START_MS);
    const read = (chunk) => {
      logs += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(logs);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`exited with ${code}:\n${logs}`)); });
  });
}

/** Polls `url` until it answers 200 (bounded). */
async function healthy(url) {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const response = await fetch(url).catch(() => null);
    if (response?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${url} never answered 200`);
}

test('the README serve and token commands work as typed', async () => {
  const env = {
    SWITCHBOARD_PORT: '0',
    SWITCHBOARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'switchboard-readme-')),
    RUST_LOG: 'info',
    NO_COLOR: '1',
  };
  const server = shell(serveLine, env);
  const exited = exitOf(server);
  try {
    const url = await listeningAddress(server, exited);
    await healthy(`${url}/healthz`);

    // The token command sets TOKEN in the user's shell; print it from there.
    const tokenShell = shell(`${tokenLine}\nprintf '%s' "$TOKEN"`, env);
    let token = '';
    let errors = '';
    tokenShell.stdout.on('data', (chunk) => { token += chunk; });
    tokenShell.stderr.on('data', (chunk) => { errors += chunk; });
    const tokenExit = await exitOf(tokenShell);
    assert.equal(tokenExit.code, 0, `token command failed:\n${errors}`);
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the token command prints one JWT');

    const socket = io(url, { auth: { token }, reconnection: false, forceNew: true, transports: ['websocket'] });
    try {
      const authenticated = await new Promise((resolve, reject) => {
        socket.once('authenticated', resolve);
        socket.once('connect_error', reject);
      });
      assert.equal(authenticated.userId, 'alice');
    } finally {
      socket.close();
    }
  } finally {
    server.kill('SIGTERM');
  }
  assert.deepEqual(await exited, { code: 0, signal: null }, 'SIGTERM ends the server with exit 0');
});
