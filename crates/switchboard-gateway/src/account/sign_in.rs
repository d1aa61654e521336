//! Who a socket is over its lifetime: sign-in from the handshake or the
//! `authenticate` event, `logout`, and demotion when the token's `exp`
//! passes (SPEC §2).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};
use switchboard_core::room::RoomName;
use switchboard_core::{Identity, TokenError};

use super::wire;
use crate::socketio::Args;
use crate::socketio::Session;
use crate::socketio::client_transports::ClientTransports;
use crate::socketio::{Call, emit};
use crate::state::SharedState;

/// What happens to a socket whose token expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExpiry {
    /// It stays connected as an anonymous socket (`/`).
    Demote,
    /// Its transport is closed (namespaces that need a token): the client
    /// reconnects, meets `connect_error`, and refreshes its token there.
    CloseTransport,
}

/// Makes `identity` the socket's identity: joins `user:{id}`, emits
/// `authenticated`, and arms the expiry watcher.
pub fn sign_in<A: Adapter>(
    socket: &SocketRef<A>,
    session: &Session,
    identity: Identity,
    on_expiry: OnExpiry,
) {
    let watcher = identity.expires_at.map(|expires_at| {
        let socket = socket.clone();
        let session = session.clone();
        let identity = identity.clone();
        let wait = (expires_at - Utc::now()).to_std().unwrap_or_default();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            expire(&socket, &session, &identity, on_expiry);
        })
        .abort_handle()
    });
    if let Some(previous) = session.replace(Some(identity.clone()), watcher)
        && previous.user_id != identity.user_id
    {
        // Rooms were joined on the previous user's authority.
        socket.leave_all();
    }
    socket.join(RoomName::of_user(&identity.user_id));
    emit(
        socket,
        "authenticated",
        &wire::Authenticated {
            user_id: &identity.user_id,
            email: identity.email.as_deref(),
            authenticated_at: wire::iso(Utc::now()),
        },
    );
}

/// Drops the identity and every room joined with it.
fn sign_out<A: Adapter>(socket: &SocketRef<A>, session: &Session) {
    session.replace(None, None);
    // Rooms were joined on the identity's authority; none survive it.
    socket.leave_all();
}

fn expire<A: Adapter>(
    socket: &SocketRef<A>,
    session: &Session,
    identity: &Identity,
    on_expiry: OnExpiry,
) {
    if !session.expire(identity) {
        return;
    }
    socket.leave_all();
    tracing::info!(sid = %socket.id, user = %identity.user_id, "token expired; socket demoted");
    emit(
        socket,
        "authError",
        &wire::Message {
            message: "Token expired",
        },
    );
    if on_expiry == OnExpiry::CloseTransport {
        close_transport(socket);
    }
}

/// Closes the connections under `socket` once `authError` has had a moment
/// to be written (or polled). A namespace disconnect would be final for the
/// official client; a transport close makes it reconnect (SPEC §2).
fn close_transport<A: Adapter>(socket: &SocketRef<A>) {
    let Some(transports) = socket.req_parts().extensions.get::<Arc<ClientTransports>>() else {
        // Served without the closable listener (not through `App::serve`).
        if let Err(error) = socket.clone().disconnect() {
            tracing::debug!(sid = %socket.id, %error, "disconnect after expiry failed");
        }
        return;
    };
    let transports = transports.clone();
    tokio::spawn(async move {
        tokio::time::sleep(AUTH_ERROR_FLUSH).await;
        transports.close();
    });
}

/// How long the expired socket's `authError` gets before its transport closes.
const AUTH_ERROR_FLUSH: Duration = Duration::from_millis(250);

/// `authenticate {token}` (or a bare token string).
pub async fn authenticate<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("authenticate", socket, ack, state, &args).await else {
        return;
    };
    let token = match args.string_or_field("token") {
        Ok(Some(token)) if !token.is_empty() => token,
        _ => return refuse(call, "Token is required", None),
    };
    let identity = match call.state.verifier.verify(token) {
        Ok(identity) => identity,
        Err(error) => {
            let message = match error {
                TokenError::Expired => "Token expired",
                TokenError::Invalid => "Invalid token",
            };
            return refuse(call, message, Some(error));
        }
    };
    sign_in(
        &call.socket,
        &call.session,
        identity.clone(),
        OnExpiry::Demote,
    );
    tracing::info!(sid = %call.socket.id, user = %identity.user_id, "authenticated by event");
    call.ack(&wire::AuthenticateOk {
        success: true,
        user_id: &identity.user_id,
    });
}

/// A failed `authenticate` leaves the socket as it was.
fn refuse<A: Adapter>(call: Call<A>, message: &str, error: Option<TokenError>) {
    if let Some(error) = error {
        call.state.metrics.auth_failed(error.code());
    }
    call.emit("authError", &wire::Message { message });
    call.ack(&wire::Failure {
        success: false,
        error: message,
    });
}

/// `logout`: the socket becomes anonymous.
pub async fn logout<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("logout", socket, ack, state, &args).await else {
        return;
    };
    sign_out(&call.socket, &call.session);
    call.emit(
        "loggedOut",
        &wire::Message {
            message: "Logged out successfully",
        },
    );
    call.ack(&wire::Success { success: true });
}
