//! Concurrency slots for runs: a global limit and a per-user limit, with a
//! FIFO queue among runs that are allowed to start. A user waiting on their
//! own limit never holds back other users. Positions (0-based) are reported,
//! in order, on one channel: when a run enters the queue and whenever its
//! position changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use switchboard_core::ProcessId;
use tokio::sync::{mpsc, oneshot};

/// How many runs may hold a slot.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Runs at once on this node.
    pub global: usize,
    /// Runs at once per user.
    pub per_user: usize,
}

/// A queued run's new position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMove {
    /// The run.
    pub id: ProcessId,
    /// Its new 0-based position.
    pub position: usize,
}

/// Hands out slots.
#[derive(Debug, Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limits: Limits,
    state: Mutex<State>,
    moves: mpsc::UnboundedSender<QueueMove>,
}

#[derive(Debug, Default)]
struct State {
    running: usize,
    running_by_user: HashMap<String, usize>,
    waiting: Vec<Waiting>,
}

#[derive(Debug)]
struct Waiting {
    id: ProcessId,
    user: String,
    announced: usize,
    start: oneshot::Sender<Slot>,
}

/// A held slot; dropping it frees the slot and starts the next run.
#[derive(Debug)]
pub struct Slot {
    inner: Arc<Inner>,
    user: String,
    /// False once the slot was released by hand (see `dispatch`).
    armed: bool,
}

/// The answer to [`Scheduler::admit`].
#[derive(Debug)]
pub enum Admission {
    /// A slot was free.
    Started(Slot),
    /// The run waits at `position`; await the ticket for its slot.
    Queued {
        /// 0-based position on entry.
        position: usize,
        /// Resolves with the slot; dropping it leaves the queue.
        ticket: Ticket,
    },
}

/// A place in the queue.
#[derive(Debug)]
pub struct Ticket {
    inner: Arc<Inner>,
    id: ProcessId,
    slot: oneshot::Receiver<Slot>,
}

impl Scheduler {
    /// A scheduler reporting position changes on `moves`.
    pub fn new(limits: Limits, moves: mpsc::UnboundedSender<QueueMove>) -> Self {
        Scheduler {
            inner: Arc::new(Inner {
                limits,
                state: Mutex::new(State::default()),
                moves,
            }),
        }
    }

    /// Takes a slot for `user`'s run `id`, or a place in the queue.
    pub fn admit(&self, id: ProcessId, user: &str) -> Admission {
        let mut state = self.inner.lock();
        if self.inner.may_start(&state, user) {
            return Admission::Started(self.inner.take_slot(&mut state, user));
        }
        let (start, slot) = oneshot::channel();
        let position = state.waiting.len();
        // Announced through the same channel as later moves, under the same
        // lock, so a client never sees its position out of order.
        let _ = self.inner.moves.send(QueueMove {
            id: id.clone(),
            position,
        });
        state.waiting.push(Waiting {
            id: id.clone(),
            user: user.to_owned(),
            announced: position,
            start,
        });
        Admission::Queued {
            position,
            ticket: Ticket {
                inner: self.inner.clone(),
                id,
                slot,
            },
        }
    }

    /// The current 0-based position of a queued run.
    pub fn position(&self, id: &ProcessId) -> Option<usize> {
        self.inner.lock().waiting.iter().position(|w| &w.id == id)
    }

    /// Runs holding a slot and runs waiting.
    pub fn counts(&self) -> (usize, usize) {
        let state = self.inner.lock();
        (state.running, state.waiting.len())
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding this lock; recover if one ever does.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn may_start(&self, state: &State, user: &str) -> bool {
        state.running < self.limits.global
            && state.running_by_user.get(user).copied().unwrap_or(0) < self.limits.per_user
    }

    fn take_slot(self: &Arc<Self>, state: &mut State, user: &str) -> Slot {
        state.running += 1;
        *state.running_by_user.entry(user.to_owned()).or_default() += 1;
        Slot {
            inner: self.clone(),
            user: user.to_owned(),
            armed: true,
        }
    }

    /// Starts every waiting run that may start now, in queue order, then
    /// reports the positions that changed.
    fn dispatch(self: &Arc<Self>, state: &mut State) {
        let mut index = 0;
        while index < state.waiting.len() {
            if !self.may_start(state, &state.waiting[index].user) {
                index += 1;
                continue;
            }
            let waiting = state.waiting.remove(index);
            let slot = self.take_slot(state, &waiting.user);
            // Should the ticket be gone, the slot comes back; Slot::drop
            // would re-lock the state we hold, so release it by hand.
            if let Err(mut slot) = waiting.start.send(slot) {
                slot.armed = false;
                self.release(state, &waiting.user);
            }
        }
        for (position, waiting) in state.waiting.iter_mut().enumerate() {
            if waiting.announced != position {
                waiting.announced = position;
                let _ = self.moves.send(QueueMove {
                    id: waiting.id.clone(),
                    position,
                });
            }
        }
    }

    fn release(&self, state: &mut State, user: &str) {
        state.running = state.running.saturating_sub(1);
        if let Some(count) = state.running_by_user.get_mut(user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                state.running_by_user.remove(user);
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let inner = self.inner.clone();
        let mut state = inner.lock();
        inner.release(&mut state, &self.user);
        inner.dispatch(&mut state);
    }
}

impl Ticket {
    /// Waits for the slot.
    pub async fn slot(&mut self) -> Option<Slot> {
        (&mut self.slot).await.ok()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let inner = self.inner.clone();
        let mut state = inner.lock();
        let before = state.waiting.len();
        state.waiting.retain(|waiting| waiting.id != self.id);
        if state.waiting.len() != before {
            inner.dispatch(&mut state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheduler(
        global: usize,
        per_user: usize,
    ) -> (Scheduler, mpsc::UnboundedReceiver<QueueMove>) {
        let (moves, receiver) = mpsc::unbounded_channel();
        (Scheduler::new(Limits { global, per_user }, moves), receiver)
    }

    fn id(n: u32) -> ProcessId {
        ProcessId::from_raw(format!("proc_{n}"))
    }

    fn queued(admission: Admission) -> (usize, Ticket) {
        match admission {
            Admission::Queued { position, ticket } => (position, ticket),
            Admission::Started(_) => panic!("expected to queue"),
        }
    }

    fn started(admission: Admission) -> Slot {
        match admission {
            Admission::Started(slot) => slot,
            Admission::Queued { .. } => panic!("expected to start"),
        }
    }

    #[tokio::test]
    async fn fifo_with_positions_announced_on_change() {
        let (scheduler, mut moves) = scheduler(1, 1);
        let first = started(scheduler.admit(id(1), "a"));
        let (p2, mut t2) = queued(scheduler.admit(id(2), "b"));
        let (p3, _t3) = queued(scheduler.admit(id(3), "c"));
        assert_eq!((p2, p3), (0, 1));
        assert_eq!(
            moves.try_recv().unwrap(),
            QueueMove {
                id: id(2),
                position: 0
            }
        );
        assert_eq!(
            moves.try_recv().unwrap(),
            QueueMove {
                id: id(3),
                position: 1
            }
        );
        drop(first);
        let _second = t2.slot().await.unwrap();
        assert_eq!(
            moves.try_recv().unwrap(),
            QueueMove {
                id: id(3),
                position: 0
            }
        );
        assert_eq!(scheduler.counts(), (1, 1));
    }

    #[tokio::test]
    async fn a_user_at_their_limit_does_not_block_others() {
        let (scheduler, _moves) = scheduler(3, 1);
        let a1 = started(scheduler.admit(id(1), "a"));
        let (_, mut a2) = queued(scheduler.admit(id(2), "a"));
        // "b" is behind "a"'s waiting run but may start at once.
        let _b1 = started(scheduler.admit(id(3), "b"));
        assert_eq!(scheduler.position(&id(2)), Some(0));
        drop(a1);
        assert!(a2.slot().await.is_some());
    }

    #[tokio::test]
    async fn leaving_the_queue_moves_the_others_up() {
        let (scheduler, mut moves) = scheduler(1, 1);
        let _running = started(scheduler.admit(id(1), "a"));
        let (_, t2) = queued(scheduler.admit(id(2), "b"));
        let (_, _t3) = queued(scheduler.admit(id(3), "c"));
        while moves.try_recv().is_ok() {}
        drop(t2);
        assert_eq!(
            moves.try_recv().unwrap(),
            QueueMove {
                id: id(3),
                position: 0
            }
        );
        assert_eq!(scheduler.counts(), (1, 1));
    }

    #[tokio::test]
    async fn a_slot_handed_to_a_dropped_ticket_is_not_lost() {
        let (scheduler, _moves) = scheduler(1, 1);
        let running = started(scheduler.admit(id(1), "a"));
        let (_, ticket) = queued(scheduler.admit(id(2), "b"));
        drop(running); // the slot goes to the ticket's channel
        drop(ticket); // ...which nobody will read
        assert_eq!(scheduler.counts(), (0, 0));
        let _again = started(scheduler.admit(id(3), "c"));
    }
}
