//! `/media`: `subscribeMedia` / `unsubscribeMedia` for an item's owner or an
//! admin; a late subscriber to a finished item hears its outcome at once; a
//! subscriber to an item not created yet waits for it (see [`pending`]).

use serde_json::json;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};
use switchboard_core::ErrorCode;

use super::{announce, pending};
use crate::socketio::Args;
use crate::socketio::Call;
use crate::state::SharedState;

const MEDIA_ID_REQUIRED: &str = "mediaId must be a non-empty string";

/// The media id, given bare or as `{mediaId}`.
fn media_id(args: &Args) -> Option<String> {
    match args.string_or_field("mediaId") {
        Ok(Some(id)) if !id.is_empty() => Some(id.to_owned()),
        _ => None,
    }
}

/// `subscribeMedia(id)` -> `{success, mediaId}`.
pub async fn subscribe<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("subscribeMedia", socket, ack, state, &args).await else {
        return;
    };
    let Some(identity) = call.session.identity() else {
        return call.fail(ErrorCode::Unauthorized, "Authentication required");
    };
    let Some(id) = media_id(&args) else {
        return call.fail(ErrorCode::InvalidPayload, MEDIA_ID_REQUIRED);
    };
    let mut media = match call.state.store.get_media(&id).await {
        Ok(media) => media,
        Err(error) => {
            tracing::error!(%error, media = %id, "media lookup failed");
            return call.fail(ErrorCode::Internal, "Internal error");
        }
    };
    if media.is_none() {
        if !pending::valid_id(&id) {
            return call.fail(ErrorCode::NotFound, "Media not found");
        }
        let ttl = call.state.config.socketio.media_pending_subscribe;
        if !pending::hold(&call.socket, &id, &identity, ttl) {
            return call.fail(
                ErrorCode::Forbidden,
                &format!(
                    "Limit reached: at most {} subscriptions to media not created yet",
                    pending::MAX_PENDING_PER_SOCKET
                ),
            );
        }
        // Read again now that the socket waits: an item created in between
        // did not see it waiting.
        media = call.state.store.get_media(&id).await.ok().flatten();
        if media.is_none() {
            return call.ack(&json!({"success": true, "mediaId": id, "pending": true}));
        }
        pending::release(&call.socket, &id, &identity);
    }
    let Some(media) = media else {
        return call.fail(ErrorCode::NotFound, "Media not found");
    };
    if media.user_id != identity.user_id && !identity.is_admin() {
        return call.fail(ErrorCode::Forbidden, "Access denied");
    }
    call.socket.join(format!("media:{id}"));
    // Read again now that the socket is in the room: an outcome that landed
    // in between is not missed (hearing it twice is harmless).
    let media = match call.state.store.get_media(&id).await {
        Ok(Some(latest)) => latest,
        _ => media,
    };
    let late = media
        .status
        .is_final()
        .then(|| announce::media_event(&media));
    let socket = call.socket.clone();
    call.ack(&json!({"success": true, "mediaId": id}));
    if let Some((event, payload)) = late {
        crate::socketio::emit(&socket, event, &payload);
    }
}

/// `unsubscribeMedia(id)` -> `{success, mediaId}`.
pub async fn unsubscribe<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("unsubscribeMedia", socket, ack, state, &args).await else {
        return;
    };
    let Some(id) = media_id(&args) else {
        return call.fail(ErrorCode::InvalidPayload, MEDIA_ID_REQUIRED);
    };
    call.socket.leave(format!("media:{id}"));
    if let Some(identity) = call.session.identity() {
        pending::release(&call.socket, &id, &identity);
    }
    call.ack(&json!({"success": true, "mediaId": id}));
}
