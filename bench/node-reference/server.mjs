// The baseline of the benchmarks: the real-time server a team would write
// by hand with socket.io 4, doing the same product work the load generator
// exercises on Switchboard. JWT auth middleware (token in the handshake),
// `welcome` and `authenticated` on connect, the user's own room,
// `joinRoom` with an ack, `ping` answered with an ack and a `pong` event,
// and an HTTP publish endpoint for backends guarded by an API key.
//
// PORT, JWT_SECRET and API_KEY come from the environment.
import http from 'node:http';
import { Server } from 'socket.io';
import jwt from 'jsonwebtoken';

const port = Number(process.env.PORT ?? 3100);
const secret = process.env.JWT_SECRET;
const apiKey = process.env.API_KEY;
if (!secret || !apiKey) {
  console.error('JWT_SECRET and API_KEY are required');
  process.exit(2);
}

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const httpServer = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return json(res, 200, { status: 'ok' });
  if (req.method !== 'POST' || req.url !== '/api/v1/publish') return json(res, 404, { error: 'Not found' });
  if (req.headers.authorization !== `Bearer ${apiKey}`) return json(res, 401, { error: 'Unauthorized' });
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    body += chunk;
    if (body.length > 1e6) req.destroy();
  });
  req.on('end', () => {
    let message;
    try {
      message = JSON.parse(body);
    } catch {
      return json(res, 400, { error: 'Invalid JSON' });
    }
    const { namespace = '/', room, userId, event, data } = message;
    if (typeof event !== 'string' || (!room && !userId)) return json(res, 422, { error: 'event and room or userId are required' });
    io.of(namespace).to(room ?? `user:${userId}`).emit(event, data);
    json(res, 200, { success: true });
  });
});

const io = new Server(httpServer, { cors: { origin: '*' } });

io.use((socket, next) => {
  const token = socket.handshake.auth?.token ?? socket.handshake.query?.token;
  if (!token) return next();
  try {
    const claims = jwt.verify(token, secret, { algorithms: ['HS256'] });
    socket.data.user = { id: claims.userId ?? claims.sub, email: claims.email, roles: claims.roles ?? [] };
    next();
  } catch {
    next(new Error('Authentication error'));
  }
});

// The last argument is the ack callback when the client passed one.
const ackOf = (args) => (typeof args.at(-1) === 'function' ? args.pop() : () => {});

io.on('connection', (socket) => {
  const user = socket.data.user;
  socket.emit('welcome', { message: 'Welcome', socketId: socket.id, serverTime: new Date().toISOString() });
  if (user) {
    socket.join(`user:${user.id}`);
    socket.emit('authenticated', { userId: user.id, email: user.email, authenticatedAt: new Date().toISOString() });
  }

  socket.on('joinRoom', (...args) => {
    const ack = ackOf(args);
    const room = typeof args[0] === 'string' ? args[0] : args[0]?.room;
    if (!user) return ack({ success: false, error: 'Authentication required' });
    if (typeof room !== 'string' || room.length < 1 || room.length > 128) return ack({ success: false, error: 'Invalid room name' });
    if (room.startsWith('user:') && room !== `user:${user.id}`) return ack({ success: false, error: 'Access denied' });
    socket.join(room);
    socket.emit('roomJoined', { room, success: true });
    ack({ success: true, room });
  });

  socket.on('leaveRoom', (...args) => {
    const ack = ackOf(args);
    const room = typeof args[0] === 'string' ? args[0] : args[0]?.room;
    socket.leave(room);
    socket.emit('roomLeft', { room, success: true });
    ack({ success: true, room });
  });

  socket.on('ping', (...args) => {
    const ack = ackOf(args);
    const pong = { timestamp: Date.now() };
    socket.emit('pong', pong);
    ack(pong);
  });
});

httpServer.listen(port, '127.0.0.1', () => console.log(`reference server on 127.0.0.1:${port}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => io.close(() => process.exit(0)));
