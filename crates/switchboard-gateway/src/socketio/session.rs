//! Per-socket state: who the socket is and since when, kept in the socket's
//! extensions so every handler of that socket sees the same [`Session`].
//!
//! A session also keeps the socket's events in order. socketioxide runs each
//! handler as its own task, so without help `authenticate` and a `joinRoom`
//! sent right after it could run in either order. Each event takes a ticket
//! when it is decoded (synchronously, in arrival order) and its handler waits
//! for its [`Turn`]; ticket 0 belongs to the connect handler.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use switchboard_core::Identity;
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// A socket's authentication state; cheap to clone, shared by its handlers.
#[derive(Clone, Debug)]
pub struct Session(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    state: Mutex<SessionState>,
    next_ticket: AtomicU64,
    serving: watch::Sender<u64>,
}

#[derive(Debug)]
struct SessionState {
    identity: Option<Identity>,
    connected_at: DateTime<Utc>,
    /// Demotes the socket when the token expires; aborted when replaced.
    expiry: Option<AbortHandle>,
}

/// A place in the socket's event order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

/// The ticket of the connect handler.
pub const CONNECT_TICKET: Ticket = Ticket(0);

/// While held, no later event of the socket is handled.
#[derive(Debug)]
pub struct Turn(Session);

impl Drop for Turn {
    fn drop(&mut self) {
        self.0.0.serving.send_modify(|serving| *serving += 1);
    }
}

impl Session {
    /// A new session, anonymous or authenticated by the handshake.
    pub fn new(identity: Option<Identity>) -> Self {
        Session(Arc::new(Inner {
            state: Mutex::new(SessionState {
                identity,
                connected_at: Utc::now(),
                expiry: None,
            }),
            next_ticket: AtomicU64::new(1),
            serving: watch::Sender::new(0),
        }))
    }

    /// The session stored on `socket` by the handshake.
    pub fn of<A: Adapter>(socket: &SocketRef<A>) -> Session {
        socket.extensions.get::<Session>().unwrap_or_else(|| {
            // The handshake middleware always stores one; an anonymous
            // session is the safe answer if that invariant is ever broken.
            tracing::error!(sid = %socket.id, "socket without session");
            let session = Session::new(None);
            socket.extensions.insert(session.clone());
            session
        })
    }

    /// Takes the next place in the event order; call it while decoding.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.0.next_ticket.fetch_add(1, Ordering::SeqCst))
    }

    /// Waits until every earlier event has been handled.
    pub async fn turn(&self, ticket: Ticket) -> Turn {
        let mut serving = self.0.serving.subscribe();
        // The sender lives in `self`, so waiting cannot fail.
        let _ = serving.wait_for(|serving| *serving >= ticket.0).await;
        Turn(self.clone())
    }

    fn lock(&self) -> MutexGuard<'_, SessionState> {
        // No code panics while holding the lock, so poisoning cannot happen;
        // recover the state rather than propagate a panic if it ever does.
        self.0
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Who the socket is, if authenticated.
    pub fn identity(&self) -> Option<Identity> {
        self.lock().identity.clone()
    }

    /// When the socket connected.
    pub fn connected_at(&self) -> DateTime<Utc> {
        self.lock().connected_at
    }

    /// Replaces the identity and its expiry watcher; returns the previous identity.
    pub fn replace(
        &self,
        identity: Option<Identity>,
        expiry: Option<AbortHandle>,
    ) -> Option<Identity> {
        let mut state = self.lock();
        if let Some(previous) = state.expiry.take() {
            previous.abort();
        }
        state.expiry = expiry;
        std::mem::replace(&mut state.identity, identity)
    }

    /// Clears the identity if it is still `expected` (it may have been
    /// replaced since the caller looked); returns whether it did.
    pub fn expire(&self, expected: &Identity) -> bool {
        let mut state = self.lock();
        if state.identity.as_ref() != Some(expected) {
            return false;
        }
        state.identity = None;
        state.expiry = None;
        true
    }

    /// Stops the expiry watcher; called when the socket disconnects.
    pub fn close(&self) {
        if let Some(expiry) = self.lock().expiry.take() {
            expiry.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn turns_follow_tickets() {
        let session = Session::new(None);
        let first = session.ticket();
        let second = session.ticket();
        let connect = session.turn(CONNECT_TICKET).await;
        let waiting = tokio::spawn({
            let session = session.clone();
            async move { drop(session.turn(second).await) }
        });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "the second event waits for the first"
        );
        drop(connect);
        let turn = session.turn(first).await;
        drop(turn);
        waiting.await.unwrap();
    }
}
