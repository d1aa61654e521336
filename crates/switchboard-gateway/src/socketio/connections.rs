//! Accepted connections that the server can close one at a time: every
//! connection is a [`Closable`] stream with a [`ConnectionCloser`], and each
//! request carries its connection's closer as [`Connection`] (see
//! `client_transports` for why one client's connections are closed).
//!
//! The same streams enforce the transport limits below HTTP: a request head
//! must arrive within `http_header_timeout_ms` (from the accept, or from the
//! first byte after the previous answer), so slow-header clients are closed
//! while idle keep-alive connections and upgraded websockets are never
//! timed; and a peer address holds at most `max_connections_per_ip`
//! connections, more being closed as soon as they are accepted.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use futures_util::task::AtomicWaker;
use http_body_util::BodyExt as _;
use switchboard_core::config::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::state::SharedState;

/// Closes one accepted connection: its next read and write fail, and a
/// read that is waiting is woken to fail, so hyper (or the websocket that
/// took the connection over) drops it.
#[derive(Debug, Default)]
pub struct ConnectionCloser {
    closed: AtomicBool,
    reader: AtomicWaker,
    writer: AtomicWaker,
    /// Requests of the connection being answered (their answer not yet
    /// written in full).
    active: AtomicUsize,
    /// Taken over by a websocket (or another protocol) after a 101.
    upgraded: AtomicBool,
    /// Requests received so far: a head awaited since fewer has arrived.
    heads: AtomicUsize,
}

impl ConnectionCloser {
    /// Whether the connection's next bytes start a request head: no request
    /// is being answered and the connection was not upgraded.
    fn awaits_head(&self) -> bool {
        self.active.load(Ordering::SeqCst) == 0 && !self.upgraded.load(Ordering::SeqCst)
    }

    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.reader.wake();
        self.writer.wake();
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

fn aborted() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "transport closed by the server",
    )
}

/// An accepted connection that a [`ConnectionCloser`] can end.
#[derive(Debug)]
pub struct Closable<T> {
    inner: T,
    closer: Arc<ConnectionCloser>,
    /// Running while a request head is awaited, with the count of heads
    /// received when it started; none otherwise, so an idle or upgraded
    /// connection holds no timer.
    head_deadline: Option<(Pin<Box<Sleep>>, usize)>,
    admission: Arc<Admission>,
    /// The connection's place in its address's count, if counted.
    _slot: Option<IpSlot>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Closable<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.closer.reader.register(cx.waker());
        if this.closer.is_closed() {
            return Poll::Ready(Err(aborted()));
        }
        if let Some((deadline, heads)) = &mut this.head_deadline {
            if !this.closer.awaits_head() || this.closer.heads.load(Ordering::SeqCst) != *heads {
                this.head_deadline = None;
            } else if deadline.as_mut().poll(cx).is_ready() {
                this.head_deadline = None;
                this.closer.close();
                this.admission.refused("header_timeout");
                tracing::debug!("closing a connection whose request head did not arrive in time");
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "request head not received in time",
                )));
            }
        }
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        // The first bytes after an answer start the next request head.
        if matches!(result, Poll::Ready(Ok(())))
            && buf.filled().len() > before
            && this.head_deadline.is_none()
            && this.closer.awaits_head()
        {
            let mut deadline = Box::pin(tokio::time::sleep(this.admission.header_timeout));
            // Registers the timer, so it wakes this reader when it fires.
            let _ = deadline.as_mut().poll(cx);
            this.head_deadline = Some((deadline, this.closer.heads.load(Ordering::SeqCst)));
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Closable<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.closer.writer.register(cx.waker());
        if self.closer.is_closed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What the listener admits: the header timeout, the per-address cap and
/// the open connections of each capped address.
#[derive(Debug)]
struct Admission {
    header_timeout: Duration,
    server: ServerConfig,
    state: SharedState,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

impl Admission {
    fn refused(&self, reason: &'static str) {
        self.state.metrics.connection_refused(reason);
    }

    /// A place for one more connection from `ip`, `Err` when the address is
    /// at its cap; `Ok(None)` when the address is not capped.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Option<IpSlot>, ()> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        let Some(cap) = self.server.connection_cap(ip) else {
            return Ok(None);
        };
        let mut counts = self
            .per_ip
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let open = counts.entry(ip).or_insert(0);
        if *open >= cap {
            return Err(());
        }
        *open += 1;
        Ok(Some(IpSlot {
            admission: self.clone(),
            ip,
        }))
    }
}

/// One open connection of a capped address; dropped with the connection.
#[derive(Debug)]
struct IpSlot {
    admission: Arc<Admission>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut counts = self
            .admission
            .per_ip
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(open) = counts.get_mut(&self.ip) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// A listener whose connections are [`Closable`].
pub struct ClosableListener<L> {
    inner: L,
    admission: Arc<Admission>,
}

impl<L> ClosableListener<L> {
    /// Wraps `inner`, with the limits of the node's `server` configuration
    /// (counting refusals in its metrics).
    pub fn new(inner: L, state: SharedState) -> Self {
        let server = state.config.server.clone();
        let admission = Arc::new(Admission {
            header_timeout: server.http_header_timeout,
            server,
            state,
            per_ip: Mutex::default(),
        });
        ClosableListener { inner, admission }
    }
}

impl<L> Listener for ClosableListener<L>
where
    L: Listener<Addr = SocketAddr>,
    L::Io: Unpin,
{
    type Io = Closable<L::Io>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (inner, address) = self.inner.accept().await;
            let Ok(slot) = self.admission.admit(address.ip()) else {
                // Dropping the stream closes it at once.
                self.admission.refused("per_ip_limit");
                tracing::debug!(peer = %address.ip(), "connection refused: too many from this address");
                continue;
            };
            // Timed from the accept: a client that sends nothing is closed
            // as well as one that stalls mid-head.
            let head_deadline = Box::pin(tokio::time::sleep(self.admission.header_timeout));
            let closable = Closable {
                inner,
                closer: Arc::default(),
                head_deadline: Some((head_deadline, 0)),
                admission: self.admission.clone(),
                _slot: slot,
            };
            return (closable, address);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The closer of the connection a request came on, in its extensions.
#[derive(Debug, Clone)]
pub struct Connection(pub(super) Arc<ConnectionCloser>);

impl<L> Connected<IncomingStream<'_, ClosableListener<L>>> for Connection
where
    L: Listener<Addr = SocketAddr>,
    L::Io: Unpin,
{
    fn connect_info(stream: IncomingStream<'_, ClosableListener<L>>) -> Self {
        Connection(stream.io().closer.clone())
    }
}

/// Middleware on every request: the connection is not awaiting a head
/// while the request is answered (until its answer's body has been written
/// or dropped), and never again once answered with 101 (a websocket).
pub async fn answering(request: Request, next: Next) -> Response {
    let Some(ConnectInfo(Connection(closer))) = request
        .extensions()
        .get::<ConnectInfo<Connection>>()
        .cloned()
    else {
        return next.run(request).await;
    };
    closer.heads.fetch_add(1, Ordering::SeqCst);
    closer.active.fetch_add(1, Ordering::SeqCst);
    let active = Answering(closer);
    let response = next.run(request).await;
    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        active.0.upgraded.store(true, Ordering::SeqCst);
    }
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _ = &active;
            frame
        }))
    })
}

/// One request being answered on a connection; dropped with its answer.
struct Answering(Arc<ConnectionCloser>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}
