//! One handled event: counts it, enforces the payload limit, and answers
//! through both channels the seeds use, the ack callback (when the client
//! passed one) and, for failures, the `error` event.

use serde::Serialize;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use switchboard_core::ErrorCode;

use super::args::Args;
use super::session::{Session, Turn};
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
    /// Starts handling `event` once the socket's earlier events are done;
    /// answers `INVALID_PAYLOAD` and returns `None` when the packet is
    /// larger than the configured limit.
    pub async fn begin(
        event: &'static str,
        socket: SocketRef<A>,
        ack: AckSender<A>,
        state: SharedState,
        args: &Args,
    ) -> Option<Self> {
        state.metrics.event_received(event);
        let session = Session::of(&socket);
        let turn = match args.ticket() {
            Some(ticket) => Some(session.turn(ticket).await),
            None => None,
        };
        let call = Call {
            socket,
            state,
            session,
            ack,
            _turn: turn,
        };
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
