//! Per-socket state: who the socket is and since when, kept in the socket's
//! extensions so every handler of that socket sees the same [`Session`].

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use switchboard_core::Identity;
use tokio::task::AbortHandle;

/// A socket's authentication state; cheap to clone, shared by its handlers.
#[derive(Clone, Debug)]
pub struct Session(Arc<Mutex<SessionState>>);

#[derive(Debug)]
struct SessionState {
    identity: Option<Identity>,
    connected_at: DateTime<Utc>,
    /// Demotes the socket when the token expires; aborted when replaced.
    expiry: Option<AbortHandle>,
}

impl Session {
    /// A new session, anonymous or authenticated by the handshake.
    pub fn new(identity: Option<Identity>) -> Self {
        Session(Arc::new(Mutex::new(SessionState {
            identity,
            connected_at: Utc::now(),
            expiry: None,
        })))
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

    fn lock(&self) -> MutexGuard<'_, SessionState> {
        // No code panics while holding the lock, so poisoning cannot happen;
        // recover the state rather than propagate a panic if it ever does.
        self.0
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
