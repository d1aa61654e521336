//! Subscriptions to media not created yet (SPEC §7).
//!
//! A client may learn an item's id from its own backend before the backend
//! creates the item. `subscribeMedia` for such an id holds the socket in a
//! pending room named after the id and the subscriber (`user:{id}` or, for an
//! admin, `admin`) for `media_pending_subscribe_ms`. When the item is created,
//! the pending rooms of its owner and of admins join `media:{id}` through the
//! adapter (so on every node of a cluster); everyone else who waited is never
//! joined and leaves at expiry. An id is created once, so a pending room that
//! was not picked then is never picked later.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use switchboard_core::Identity;
use tokio::time::Instant;

/// Pending subscriptions one socket may hold at a time.
pub const MAX_PENDING_PER_SOCKET: usize = 100;

const PREFIX: &str = "media-pending:";

/// Whether `id` can name a media item: 1..128 of `[A-Za-z0-9_.:-]`.
pub fn valid_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

// A valid id never holds `/`, so the first `/` ends it: no user id can make
// its pending room the same as another id's.
fn user_room(id: &str, user_id: &str) -> String {
    format!("{PREFIX}{id}/user:{user_id}")
}

fn admin_room(id: &str) -> String {
    format!("{PREFIX}{id}/admin")
}

fn room_for(id: &str, identity: &Identity) -> String {
    if identity.is_admin() {
        admin_room(id)
    } else {
        user_room(id, &identity.user_id)
    }
}

/// When each of a socket's pending subscriptions ends, by media id; kept in
/// the socket's extensions so that subscribing again extends it.
#[derive(Clone, Default)]
struct Deadlines(Arc<Mutex<HashMap<String, Instant>>>);

impl Deadlines {
    fn of<A: Adapter>(socket: &SocketRef<A>) -> Deadlines {
        if let Some(deadlines) = socket.extensions.get::<Deadlines>() {
            return deadlines;
        }
        let deadlines = Deadlines::default();
        socket.extensions.insert(deadlines.clone());
        deadlines
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Holds `socket` as a pending subscriber of `id` for `ttl`; false when it
/// already holds [`MAX_PENDING_PER_SOCKET`] others.
pub fn hold<A: Adapter>(
    socket: &SocketRef<A>,
    id: &str,
    identity: &Identity,
    ttl: Duration,
) -> bool {
    let deadlines = Deadlines::of(socket);
    let deadline = Instant::now() + ttl;
    {
        let mut held = deadlines.lock();
        if !held.contains_key(id) && held.len() >= MAX_PENDING_PER_SOCKET {
            return false;
        }
        if held.insert(id.to_owned(), deadline).is_some() {
            // Its expiry task is running and will read the new deadline.
            socket.join(room_for(id, identity));
            return true;
        }
    }
    let room = room_for(id, identity);
    socket.join(room.clone());
    let socket = socket.clone();
    let id = id.to_owned();
    tokio::spawn(async move {
        let mut until = deadline;
        loop {
            tokio::time::sleep_until(until).await;
            let mut held = deadlines.lock();
            match held.get(&id).copied() {
                Some(later) if later > until => until = later,
                Some(_) => {
                    held.remove(&id);
                    break;
                }
                // Released already (unsubscribed, or honoured).
                None => return,
            }
        }
        socket.leave(room);
    });
    true
}

/// Ends `socket`'s pending subscription to `id`, if it has one.
pub fn release<A: Adapter>(socket: &SocketRef<A>, id: &str, identity: &Identity) {
    if let Some(deadlines) = socket.extensions.get::<Deadlines>() {
        deadlines.lock().remove(id);
    }
    socket.leave(room_for(id, identity));
}

/// The item `id` was just created for `owner`: its pending subscribers who
/// may see it (the owner's sockets and admins) join `media:{id}`, on every
/// node; the others are left to expire.
pub async fn created<A: Adapter>(io: &SocketIo<A>, id: &str, owner: &str) {
    let Some(namespace) = io.of("/media") else {
        return;
    };
    let allowed = vec![user_room(id, owner), admin_room(id)];
    if let Err(error) = namespace
        .clone()
        .to(allowed.clone())
        .join(format!("media:{id}"))
        .await
    {
        tracing::warn!(media = id, %error, "cannot honour pending subscriptions");
    }
    if let Err(error) = namespace.to(allowed.clone()).leave(allowed).await {
        tracing::debug!(media = id, %error, "cannot empty the pending rooms");
    }
}

#[cfg(test)]
mod tests {
    use super::valid_id;

    #[test]
    fn ids_follow_the_documented_alphabet() {
        assert!(valid_id("media_1"));
        assert!(valid_id("gen:job-7.png"));
        assert!(valid_id(&"a".repeat(128)));
        assert!(!valid_id(""));
        assert!(!valid_id(&"a".repeat(129)));
        assert!(!valid_id("a b"));
        assert!(!valid_id("a/b"));
        assert!(!valid_id("é"));
    }
}
