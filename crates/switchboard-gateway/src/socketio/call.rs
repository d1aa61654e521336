//! One handled event: counts it, waits for its turn in the socket's event
//! order (refusing it with `RATE_LIMITED` when too many events of the
//! socket already wait), enforces the payload limit, and answers
//! through both channels the seeds use, the ack callback (when the client
//! passed one) and, for failures, the `error` event. [`Refusal`] is the one
//! rule for which refused capability requests also get `error`, and with
//! which code.

use serde::Serialize;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use switchboard_core::ErrorCode;

use super::args::{Args, Place};
use super::session::{MAX_QUEUED_EVENTS, Refused, Session, Turn};
use crate::state::SharedState;
use crate::wire;

/// An event being handled on one socket.
pub struct Call<A: Adapter> {
    /// The socket that sent the event.
    pub socket: SocketRef<A>,
    /// The node's shared state.
    pub state: SharedState,
    /// The socket's authentication state.
    pub session: Session,
    ack: AckSender<A>,
    /// Held until the call is answered: later events of the socket wait.
    _turn: Option<Turn>,
}

impl<A: Adapter> Call<A> {
    /// Starts handling `event` once the socket's earlier events are done.
    /// Returns `None` when the event is not to be handled: answered
    /// `RATE_LIMITED` when it found the socket's queue full,
    /// `INVALID_PAYLOAD` when the packet is larger than the configured
    /// limit, and not answered at all when the socket closed first.
    pub async fn begin(
        event: &'static str,
        socket: SocketRef<A>,
        ack: AckSender<A>,
        state: SharedState,
        args: &Args,
    ) -> Option<Self> {
        state.metrics.event_received(event);
        let session = Session::of(&socket);
        let (turn, queue_full) = match args.place() {
            Place::Unordered => (None, false),
            Place::Ticket(ticket) => match ticket.turn().await {
                Some(turn) => (Some(turn), false),
                None => {
                    // The socket is gone: nobody is left to answer.
                    tracing::debug!(sid = %socket.id, event, ticket = ticket.number(), "dropped at disconnect");
                    return None;
                }
            },
            Place::Refused(Refused::Closed) => return None,
            Place::Refused(Refused::Full) => (None, true),
        };
        let call = Call {
            socket,
            state,
            session,
            ack,
            _turn: turn,
        };
        if queue_full {
            call.refuse(
                Refusal::RateLimited(QUEUE_RETRY_AFTER_SECONDS),
                &format!(
                    "Too many events waiting on this socket (at most {MAX_QUEUED_EVENTS}); \
                     retry later"
                ),
            );
            return None;
        }
        let limit = call.state.config.socketio.max_payload_bytes;
        if u64::try_from(args.bytes()).unwrap_or(u64::MAX) > limit {
            call.fail(
                ErrorCode::InvalidPayload,
                &format!("Payload too large: at most {limit} bytes"),
            );
            return None;
        }
        Some(call)
    }

    /// Answers the callback with `payload`.
    pub fn ack<T: Serialize + ?Sized>(self, payload: &T) {
        if let Err(error) = self.ack.send(payload) {
            tracing::debug!(sid = %self.socket.id, %error, "ack not sent");
        }
    }

    /// Emits `event` with `payload` to this socket.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &'static str, payload: &T) {
        emit(&self.socket, event, payload);
    }

    /// Emits the generic `error` event a refused capability request gets
    /// besides the capability's own error event, if its refusal has one.
    pub fn report(&self, refusal: Refusal, message: &str) {
        if let Some((code, retry_after)) = refusal.error_code() {
            self.emit(
                "error",
                &wire::ErrorEvent {
                    code,
                    message,
                    retry_after,
                },
            );
        }
    }

    /// Answers `{success:false, error}` and emits the `error` event of
    /// `refusal`, if it has one.
    pub fn refuse(self, refusal: Refusal, message: &str) {
        self.report(refusal, message);
        self.ack(&wire::Failure {
            success: false,
            error: message,
        });
    }

    /// Answers `{success:false, error}` and emits `error {code, message}`.
    pub fn fail(self, code: ErrorCode, message: &str) {
        self.emit(
            "error",
            &wire::ErrorEvent {
                code,
                message,
                retry_after: None,
            },
        );
        self.ack(&wire::Failure {
            success: false,
            error: message,
        });
    }
}

/// The `retryAfter` of an event refused because its socket's queue was
/// full: the queue drains in far less time.
const QUEUE_RETRY_AFTER_SECONDS: u64 = 1;

/// Emits to one socket, logging (not failing) when it is already gone.
pub fn emit<A: Adapter, T: Serialize + ?Sized>(
    socket: &SocketRef<A>,
    event: &'static str,
    payload: &T,
) {
    if let Err(error) = socket.emit(event, payload) {
        tracing::debug!(sid = %socket.id, event, %error, "emit failed");
    }
}

/// What a refused `claude:*`, `strudel:*` or `agent:*` request met, in the
/// terms of the generic `error` event (SPEC §3). Capabilities keep their own
/// error events and codes; this says which refusals also reach `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The socket is not authenticated.
    Anonymous,
    /// The process, render or execution is another user's.
    NotOwner,
    /// No process, render or execution has that id.
    UnknownId,
    /// Too many requests; try again after this many seconds.
    RateLimited(u64),
    /// Anything else (a bad payload, a wrong state, a failed run): only the
    /// capability's own error event reports it.
    Other,
}

impl Refusal {
    /// The one map from refusals to the `error` event: its code and
    /// `retryAfter`, or `None` when the refusal sends no `error`.
    /// `UNAUTHORIZED` means exactly "not authenticated": seed 000 clients
    /// refresh their token or log out on it.
    pub fn error_code(self) -> Option<(ErrorCode, Option<u64>)> {
        match self {
            Refusal::Anonymous => Some((ErrorCode::Unauthorized, None)),
            Refusal::NotOwner => Some((ErrorCode::Forbidden, None)),
            Refusal::UnknownId => Some((ErrorCode::ProcessNotFound, None)),
            Refusal::RateLimited(seconds) => Some((ErrorCode::RateLimited, Some(seconds.max(1)))),
            Refusal::Other => None,
        }
    }
}

impl From<ErrorCode> for Refusal {
    /// The refusal a capability code stands for when the code has one
    /// meaning (`UNAUTHORIZED`, `FORBIDDEN`, `PROCESS_NOT_FOUND`); any other
    /// code is [`Refusal::Other`].
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::Unauthorized => Refusal::Anonymous,
            ErrorCode::Forbidden => Refusal::NotOwner,
            ErrorCode::ProcessNotFound => Refusal::UnknownId,
            _ => Refusal::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_the_spec_codes() {
        assert_eq!(
            Refusal::Anonymous.error_code(),
            Some((ErrorCode::Unauthorized, None))
        );
        assert_eq!(
            Refusal::NotOwner.error_code(),
            Some((ErrorCode::Forbidden, None))
        );
        assert_eq!(
            Refusal::UnknownId.error_code(),
            Some((ErrorCode::ProcessNotFound, None))
        );
        assert_eq!(
            Refusal::RateLimited(7).error_code(),
            Some((ErrorCode::RateLimited, Some(7)))
        );
        assert_eq!(
            Refusal::RateLimited(0).error_code(),
            Some((ErrorCode::RateLimited, Some(1)))
        );
        assert_eq!(Refusal::Other.error_code(), None);
        assert_eq!(Refusal::from(ErrorCode::InvalidPayload), Refusal::Other);
        assert_eq!(Refusal::from(ErrorCode::Forbidden), Refusal::NotOwner);
    }
}
