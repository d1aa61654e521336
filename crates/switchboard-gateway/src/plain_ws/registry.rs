//! The connected `/ws` clients, and delivery to them with bounded buffers:
//! a client whose buffer is full is disconnected rather than allowed to
//! grow memory without bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};

use super::cluster::Outbound;

/// Messages buffered per client before it counts as too slow.
pub const OUTGOING_BUFFER: usize = 256;

/// Which clients a message is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Recipients {
    /// Every client, authenticated or not.
    Public,
    /// Every authenticated client.
    Authenticated,
    /// The clients of one user.
    User(String),
}

/// One client's mailbox.
#[derive(Debug)]
struct Client {
    user_id: Option<String>,
    outgoing: mpsc::Sender<String>,
    /// Wakes the client's connection task to close it.
    close: Arc<Notify>,
}

/// Every `/ws` client of this node.
#[derive(Debug, Default)]
pub struct PlainClients {
    next_id: AtomicU64,
    clients: Mutex<HashMap<u64, Client>>,
    /// Set in cluster mode: deliveries also go to the other nodes.
    cluster: OnceLock<Outbound>,
}

/// A registered client; unregisters on drop.
#[derive(Debug)]
pub struct Registration {
    clients: Arc<PlainClients>,
    /// The client's id.
    pub id: u64,
    /// Notified when the client must be closed (too slow).
    pub close: Arc<Notify>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.clients.lock().remove(&self.id);
    }
}

impl PlainClients {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Client>> {
        // No code panics while holding this lock; recover if one ever does.
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a client; returns its registration and the receiver of its
    /// outgoing messages, for the writer.
    pub fn register(
        self: &Arc<Self>,
        user_id: Option<String>,
    ) -> (Registration, mpsc::Receiver<String>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (outgoing, receiver) = mpsc::channel(OUTGOING_BUFFER);
        let close = Arc::new(Notify::new());
        self.lock().insert(
            id,
            Client {
                user_id,
                outgoing,
                close: close.clone(),
            },
        );
        let registration = Registration {
            clients: self.clone(),
            id,
            close,
        };
        (registration, receiver)
    }

    /// Queues `text` for one client; closes it if its buffer is full.
    pub fn deliver_to(&self, id: u64, text: String) {
        if let Some(client) = self.lock().get(&id)
            && let Err(mpsc::error::TrySendError::Full(_)) = client.outgoing.try_send(text)
        {
            tracing::warn!(client = id, "plain websocket client too slow; closing");
            client.close.notify_one();
        }
    }

    /// Sends deliveries to the other nodes of a cluster from now on.
    pub fn connect_cluster(&self, outbound: Outbound) {
        if self.cluster.set(outbound).is_err() {
            tracing::warn!("plain websocket cluster link connected twice");
        }
    }

    /// Queues `text` for every client in `recipients` on every node;
    /// returns how many of this node's clients got it.
    pub fn deliver(&self, recipients: &Recipients, text: &str) -> usize {
        if let Some(cluster) = self.cluster.get() {
            cluster.send(recipients, text);
        }
        self.deliver_local(recipients, text)
    }

    /// Queues `text` for this node's clients in `recipients`; returns how
    /// many got it. Clients with a full buffer are closed.
    pub fn deliver_local(&self, recipients: &Recipients, text: &str) -> usize {
        let mut delivered = 0;
        let mut slow = Vec::new();
        let clients = self.lock();
        for (id, client) in clients.iter() {
            let wanted = match recipients {
                Recipients::Public => true,
                Recipients::Authenticated => client.user_id.is_some(),
                Recipients::User(user) => client.user_id.as_deref() == Some(user),
            };
            if !wanted {
                continue;
            }
            match client.outgoing.try_send(text.to_owned()) {
                Ok(()) => delivered += 1,
                Err(mpsc::error::TrySendError::Full(_)) => slow.push(*id),
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        for id in slow {
            if let Some(client) = clients.get(&id) {
                tracing::warn!(client = id, "plain websocket client too slow; closing");
                client.close.notify_one();
            }
        }
        delivered
    }

    /// Whether `user` has a client connected.
    pub fn has_user(&self, user: &str) -> bool {
        self.lock()
            .values()
            .any(|client| client.user_id.as_deref() == Some(user))
    }

    /// Asks every client to close (shutdown).
    pub fn close_all(&self) {
        for client in self.lock().values() {
            client.close.notify_one();
        }
    }

    /// Connected clients, and how many of them are authenticated.
    pub fn counts(&self) -> (usize, usize) {
        let clients = self.lock();
        let authenticated = clients.values().filter(|c| c.user_id.is_some()).count();
        (clients.len(), authenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivery_follows_recipients_and_closes_slow_clients() {
        let clients = Arc::new(PlainClients::default());
        let (_anonymous, mut anonymous_outgoing) = clients.register(None);
        let (alice, mut alice_outgoing) = clients.register(Some("alice".into()));
        assert_eq!(clients.deliver(&Recipients::Authenticated, "a"), 1);
        assert_eq!(clients.deliver(&Recipients::Public, "b"), 2);
        assert_eq!(clients.deliver(&Recipients::User("bob".into()), "c"), 0);
        assert_eq!(anonymous_outgoing.recv().await.as_deref(), Some("b"));
        assert_eq!(alice_outgoing.recv().await.as_deref(), Some("a"));

        for _ in 0..OUTGOING_BUFFER + 1 {
            clients.deliver(&Recipients::User("alice".into()), "x");
        }
        tokio::time::timeout(std::time::Duration::from_secs(1), alice.close.notified())
            .await
            .expect("the slow client is told to close");
        assert_eq!(clients.counts(), (2, 1));
        drop(alice);
        assert_eq!(clients.counts(), (1, 0));
    }
}
