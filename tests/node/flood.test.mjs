// One socket sending events as fast as it can (SPEC §11: other users are
// unaffected): its events are handled one at a time in arrival order from a
// bounded queue, what overflows is refused with RATE_LIMITED (the socket is
// kept), other users keep being answered during the flood, and the waiting
// events of a socket that leaves are dropped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenFor, ask, connected } from './harness.mjs';

// Every ping is answered with two packets (ack and `pong`, or ack and
// `error`): with at most 1,600 unanswered, the flooder's answers stay within
// the server's outgoing buffer of one socket (4,096 packets) even if none
// has been written yet.
const OUTSTANDING = 1600;
const LIMIT = 100000;
const WS = { transports: ['websocket'] };

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

test('a flooding socket is answered in order, its overflow refused, and others are served meanwhile', async () => {
  const flooder = server.client('/', { ...WS, auth: { token: tokenFor('flooder') } });
  const other = server.client('/', { ...WS, auth: { token: tokenFor('bystander') } });
  await Promise.all([connected(flooder), connected(other)]);
  const errors = [];
  flooder.on('error', (error) => errors.push(error));

  // The flooder keeps OUTSTANDING pings unanswered: it sends them at once,
  // then one more for every answer, until the other user has been answered
  // three times (or LIMIT pings were sent).
  const answers = [];
  let sent = 0;
  let flooding = true;
  let finished;
  const done = new Promise((resolve, reject) => { finished = { resolve, reject }; });
  const send = () => {
    const i = sent++;
    flooder.timeout(50000).emit('ping', { i }, (err, answer) => {
      if (err) return finished.reject(new Error(`ping ${i} unanswered after ${answers.length} answers`));
      answers.push({ i, answer });
      if (flooding && sent < LIMIT) send();
      else if (answers.length === sent) finished.resolve();
    });
  };
  for (let i = 0; i < OUTSTANDING; i++) send();

  // Each answer of the other user is stamped with the flooder's pings still
  // unanswered at that moment.
  const bystander = [];
  while (bystander.length < 3 && sent < LIMIT) {
    const answer = await ask(other, 'ping');
    assert.equal(typeof answer.timestamp, 'number', JSON.stringify(answer));
    bystander.push(sent - answers.length);
  }
  flooding = false;
  if (answers.length === sent) finished.resolve();
  await done;

  // The other user was answered while the flooder's answers were still to come.
  assert.equal(bystander.length, 3, `the other user was answered ${bystander.length} times during ${sent} flooded pings`);
  assert.ok(bystander.every((unanswered) => unanswered > 0), JSON.stringify(bystander));

  const handled = answers.filter(({ answer }) => typeof answer.timestamp === 'number');
  const refused = answers.filter(({ answer }) => answer.success === false);
  assert.equal(handled.length + refused.length, sent, 'every ping answered one way or the other');
  // Handled in arrival order: the answers of handled pings come in the order sent.
  const order = handled.map(({ i }) => i);
  assert.deepEqual(order, [...order].sort((a, b) => a - b), 'flood answers out of order');
  // A queue holds the first events (the one being handled and 256 waiting);
  // what overflows is refused, each with an ack and an `error` event.
  assert.ok(refused.length > 0, 'nothing refused: the queue is unbounded');
  assert.ok(Math.min(...refused.map(({ i }) => i)) > 256, 'refused before the queue was full');
  for (const { answer } of refused) assert.match(answer.error, /retry/i);
  const limited = errors.filter((error) => error.code === 'RATE_LIMITED');
  assert.equal(limited.length, refused.length, JSON.stringify(errors.slice(0, 3)));
  assert.ok(limited.every((error) => error.retryAfter >= 1), JSON.stringify(limited[0]));

  // The flooder is kept and served normally once its queue has drained.
  assert.ok(flooder.connected);
  assert.equal(typeof (await ask(flooder, 'ping')).timestamp, 'number');
  flooder.close();
  other.close();
});

test('a flooder that leaves leaves nothing behind', async () => {
  const flooder = server.client('/', WS);
  await connected(flooder);
  const answers = [];
  for (let i = 0; i < OUTSTANDING; i++) {
    // The pings still waiting when the socket leaves are never answered.
    flooder.emit('ping', { i }, (answer) => answers.push(answer));
  }
  // Leave as soon as the first answer shows the flood is being served.
  await new Promise((resolve) => flooder.once('pong', resolve));
  flooder.close();
  assert.ok(answers.length < OUTSTANDING, 'the flood was over before the socket left');

  // Everyone else is answered normally, in order, one event after another.
  const after = server.client('/', { ...WS, auth: { token: tokenFor('after') } });
  await connected(after);
  for (let i = 0; i < 20; i++) {
    assert.equal(typeof (await ask(after, 'ping', { i })).timestamp, 'number');
  }
  const info = await ask(after, 'getConnectionInfo');
  assert.equal(info.userId, 'after');
  after.close();
});
