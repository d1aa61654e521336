//! Per-socket state: who the socket is and since when, kept in the socket's
//! extensions so every handler of that socket sees the same [`Session`].
//!
//! A session also keeps the socket's events in order. socketioxide runs each
//! handler as its own task, so without help `authenticate` and a `joinRoom`
//! sent right after it could run in either order. Each event takes a
//! [`Ticket`] when it is decoded (synchronously, in arrival order) and its
//! handler waits for its [`Turn`]; the first turn belongs to the connect
//! handler (ticket 0).
//!
//! The waiting events form a first-in first-out queue of one-shot channels:
//! a finished event hands the turn to the next waiter only, so a backlog of
//! `n` events costs `n` wakeups, not `n²`. At most [`MAX_QUEUED_EVENTS`]
//! wait; a ticket asked for beyond that is refused ([`Refused::Full`]), and
//! closing the session drops every waiter.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use switchboard_core::Identity;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

/// Events of one socket that may wait for their turn; more are refused.
pub const MAX_QUEUED_EVENTS: usize = 256;

/// A socket's authentication state; cheap to clone, shared by its handlers.
#[derive(Clone, Debug)]
pub struct Session(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    state: Mutex<SessionState>,
    order: Mutex<Order>,
}

#[derive(Debug)]
struct SessionState {
    identity: Option<Identity>,
    connected_at: DateTime<Utc>,
    /// Demotes the socket when the token expires; aborted when replaced.
    expiry: Option<AbortHandle>,
}

/// The socket's event order.
#[derive(Debug)]
struct Order {
    /// The number of the next ticket; 0 is the connect handler's.
    next: u64,
    /// Whether a turn is out: held, or handed to a waiter not yet polled.
    busy: bool,
    /// The connect handler has not taken its turn yet.
    connect_pending: bool,
    /// The events waiting for their turn, oldest first.
    waiting: VecDeque<oneshot::Sender<Turn>>,
    /// The socket is gone: no more tickets, nobody waits.
    closed: bool,
}

/// A place in the socket's event order: becomes the event's [`Turn`] once
/// every earlier event has been handled.
#[derive(Debug)]
pub struct Ticket {
    number: u64,
    turn: Mutex<Option<oneshot::Receiver<Turn>>>,
}

/// Why an event got no ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// [`MAX_QUEUED_EVENTS`] events of the socket are already waiting.
    Full,
    /// The socket has disconnected.
    Closed,
}

/// While held, no later event of the socket is handled; dropping it hands
/// the turn to the next waiting event.
#[derive(Debug)]
pub struct Turn {
    /// `None` once disarmed: a turn that never reached its waiter passes nothing on.
    session: Option<Session>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            session.pass_turn();
        }
    }
}

impl Ticket {
    /// The ticket's number: 1 for the first event after the connect handler.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Waits until every earlier event has been handled; `None` when the
    /// socket closed first (or the ticket was already used).
    pub async fn turn(&self) -> Option<Turn> {
        let receiver = lock(&self.turn).take()?;
        receiver.await.ok()
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
            order: Mutex::new(Order {
                next: 1,
                // The turn is reserved for the connect handler.
                busy: true,
                connect_pending: true,
                waiting: VecDeque::new(),
                closed: false,
            }),
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

    /// The connect handler's turn (ticket 0): no event of the socket is
    /// handled before it is dropped. `None` if it was already taken.
    pub fn connect_turn(&self) -> Option<Turn> {
        let mut order = lock(&self.0.order);
        if !std::mem::take(&mut order.connect_pending) {
            return None;
        }
        Some(Turn {
            session: Some(self.clone()),
        })
    }

    /// Takes the next place in the event order; call it while decoding.
    /// Refused when the socket has closed or too many events already wait.
    pub fn ticket(&self) -> Result<Ticket, Refused> {
        let mut order = lock(&self.0.order);
        if order.closed {
            return Err(Refused::Closed);
        }
        if order.busy && order.waiting.len() >= MAX_QUEUED_EVENTS {
            // Waiters whose handler was dropped no longer count.
            order.waiting.retain(|waiter| !waiter.is_closed());
            if order.waiting.len() >= MAX_QUEUED_EVENTS {
                return Err(Refused::Full);
            }
        }
        let (sender, receiver) = oneshot::channel();
        if order.busy {
            order.waiting.push_back(sender);
        } else {
            order.busy = true;
            let turn = Turn {
                session: Some(self.clone()),
            };
            // The receiver is right here, so the send cannot fail; were it
            // to, the turn must not be passed on under this lock.
            if let Err(mut turn) = sender.send(turn) {
                turn.session = None;
                order.busy = false;
            }
        }
        let number = order.next;
        order.next += 1;
        Ok(Ticket {
            number,
            turn: Mutex::new(Some(receiver)),
        })
    }

    /// Hands the turn to the oldest waiter still there, or marks the order
    /// idle. Waiters whose handler is gone are skipped.
    fn pass_turn(&self) {
        let mut order = lock(&self.0.order);
        while let Some(waiter) = order.waiting.pop_front() {
            let turn = Turn {
                session: Some(self.clone()),
            };
            match waiter.send(turn) {
                Ok(()) => return,
                // Disarmed, so dropping it here does not lock again.
                Err(mut turn) => turn.session = None,
            }
        }
        order.busy = false;
    }

    /// How many events wait for their turn.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        lock(&self.0.order).waiting.len()
    }

    fn lock(&self) -> MutexGuard<'_, SessionState> {
        lock(&self.0.state)
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

    /// Stops the expiry watcher and releases the events waiting for their
    /// turn (their handlers end without an answer); later events get no
    /// ticket. Called when the socket disconnects.
    pub fn close(&self) {
        if let Some(expiry) = self.lock().expiry.take() {
            expiry.abort();
        }
        let waiting = {
            let mut order = lock(&self.0.order);
            order.closed = true;
            std::mem::take(&mut order.waiting)
        };
        drop(waiting);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No code panics while holding these locks, so poisoning cannot happen;
    // recover the state rather than propagate a panic if it ever does.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::future::{Future, poll_fn};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Awaits `future`, counting how often it is polled.
    async fn counted<F: Future>(polls: &AtomicUsize, future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        poll_fn(|cx| {
            polls.fetch_add(1, Ordering::SeqCst);
            future.as_mut().poll(cx)
        })
        .await
    }

    #[tokio::test]
    async fn turns_follow_tickets() {
        let session = Session::new(None);
        let first = session.ticket().unwrap();
        let second = session.ticket().unwrap();
        assert_eq!((first.number(), second.number()), (1, 2));
        let connect = session.connect_turn().expect("the connect turn");
        assert!(session.connect_turn().is_none(), "taken once");
        let waiting = tokio::spawn(async move { drop(second.turn().await.unwrap()) });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "the second event waits for the first"
        );
        drop(connect);
        let turn = first.turn().await.unwrap();
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "and waits while it is handled");
        drop(turn);
        waiting.await.unwrap();
        // Idle again: the next event goes at once.
        assert!(session.ticket().unwrap().turn().await.is_some());
    }

    #[tokio::test]
    async fn a_backlog_costs_wakeups_linear_in_its_length() {
        let session = Session::new(None);
        let connect = session.connect_turn().unwrap();
        let polls = Arc::new(AtomicUsize::new(0));
        let handled = Arc::new(Mutex::new(Vec::new()));
        let mut handlers = Vec::new();
        for _ in 0..MAX_QUEUED_EVENTS {
            let ticket = session.ticket().unwrap();
            let (polls, handled) = (polls.clone(), handled.clone());
            handlers.push(tokio::spawn(async move {
                let turn = counted(&polls, ticket.turn()).await.unwrap();
                // Let the other waiters run while this one holds the turn.
                tokio::task::yield_now().await;
                lock(&handled).push(ticket.number());
                drop(turn);
            }));
        }
        tokio::task::yield_now().await;
        drop(connect);
        for handler in handlers {
            handler.await.unwrap();
        }
        let expected: Vec<u64> = (1..=MAX_QUEUED_EVENTS as u64).collect();
        assert_eq!(*lock(&handled), expected, "handled in arrival order");
        // Each waiter is polled once to wait and once when its turn comes;
        // waking every waiter at every turn would cost n²/2.
        let polls = polls.load(Ordering::SeqCst);
        assert!(
            polls <= 3 * MAX_QUEUED_EVENTS,
            "{polls} polls for {MAX_QUEUED_EVENTS} events"
        );
    }

    #[tokio::test]
    async fn overflow_is_refused_until_a_place_frees() {
        let session = Session::new(None);
        let connect = session.connect_turn().unwrap();
        let mut tickets: VecDeque<Ticket> = (0..MAX_QUEUED_EVENTS)
            .map(|_| session.ticket().expect("room in the queue"))
            .collect();
        assert_eq!(session.ticket().unwrap_err(), Refused::Full);
        assert_eq!(session.waiting(), MAX_QUEUED_EVENTS);
        // The turn moves on: the first waiter leaves the queue.
        drop(connect);
        let first = tickets.pop_front().unwrap();
        let turn = first.turn().await.unwrap();
        let last = session.ticket().expect("a place freed");
        assert_eq!(last.number(), MAX_QUEUED_EVENTS as u64 + 1);
        assert_eq!(session.ticket().unwrap_err(), Refused::Full);
        // A waiter whose handler is gone frees its place too.
        drop(tickets.pop_back());
        assert!(session.ticket().is_ok());
        drop(turn);
    }

    #[tokio::test]
    async fn closing_releases_every_waiter() {
        let session = Session::new(None);
        let connect = session.connect_turn().unwrap();
        let handlers: Vec<_> = (0..MAX_QUEUED_EVENTS)
            .map(|_| {
                let ticket = session.ticket().unwrap();
                tokio::spawn(async move { ticket.turn().await.is_some() })
            })
            .collect();
        tokio::task::yield_now().await;
        session.close();
        for handler in handlers {
            assert!(!handler.await.unwrap(), "released without a turn");
        }
        assert_eq!(session.waiting(), 0);
        assert_eq!(session.ticket().unwrap_err(), Refused::Closed);
        drop(connect);
    }

    #[tokio::test]
    async fn a_dropped_ticket_does_not_stall_the_order() {
        let session = Session::new(None);
        let connect = session.connect_turn().unwrap();
        let skipped = session.ticket().unwrap();
        let handed = session.ticket().unwrap();
        let next = session.ticket().unwrap();
        drop(skipped);
        drop(connect);
        // `handed` now owns the turn without having polled for it; dropping
        // it passes the turn on.
        drop(handed);
        assert!(next.turn().await.is_some());
        assert_eq!(session.waiting(), 0);
    }
}
