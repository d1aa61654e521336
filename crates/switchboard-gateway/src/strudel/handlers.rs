//! `strudel:validate`, `strudel:execute`, `strudel:cancel`, `strudel:status`
//! (SPEC §5): thin handlers over the renderer.

use chrono::Utc;
use serde_json::{Value as Json, json};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};
use switchboard_core::ErrorCode;
use switchboard_jobs::strudel::{
    RenderLookup, RenderRefusal, RenderRequest, RenderStatus, StrudelRenderer,
};
use switchboard_strudel::ScriptError;

use crate::socketio::Args;
use crate::socketio::{Call, Refusal};
use crate::state::SharedState;
use crate::wire;

fn error_json(error: &ScriptError) -> Json {
    json!({"message": error.message, "line": error.position.line, "column": error.position.column})
}

/// Answers a failure: the ack, `strudel:error`, and the generic `error`
/// its code calls for (SPEC §3).
fn fail<A: Adapter>(
    call: Call<A>,
    process_id: Option<&str>,
    code: ErrorCode,
    message: &str,
    errors: Option<Json>,
) {
    call.report(Refusal::from(code), message);
    call.emit(
        "strudel:error",
        &json!({"processId": process_id, "code": code, "message": message, "error": message, "timestamp": wire::iso(Utc::now())}),
    );
    let mut answer = json!({"success": false, "error": message, "code": code});
    if let Some(errors) = errors {
        answer["errors"] = errors;
    }
    call.ack(&answer);
}

/// `strudel:validate {code}` (or the bare code).
pub async fn validate<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("strudel:validate", socket, ack, state, &args).await else {
        return;
    };
    let Ok(Some(code)) = args.string_or_field("code") else {
        return fail(
            call,
            None,
            ErrorCode::InvalidPayload,
            "strudel:validate expects {code}",
            None,
        );
    };
    match StrudelRenderer::validate(code) {
        Ok(_) => call.ack(&json!({"success": true})),
        Err(error) => call.ack(&json!({"success": false, "errors": [error_json(&error)]})),
    }
}

/// `strudel:execute {code, options: {duration, sampleRate, format}}`.
pub async fn execute<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("strudel:execute", socket, ack, state, &args).await else {
        return;
    };
    let Some(identity) = call.session.identity() else {
        return fail(
            call,
            None,
            ErrorCode::Unauthorized,
            "Authentication required to render Strudel code",
            None,
        );
    };
    let base_url = wire::base_url(&call.state.config.server, call.socket.req_parts());
    let request = match decode(args.first(), base_url) {
        Ok(request) => request,
        Err(message) => return fail(call, None, ErrorCode::InvalidPayload, &message, None),
    };
    let renderer = call.state.strudel.clone();
    let accepted = match renderer.submit(&identity.user_id, request) {
        Ok(accepted) => accepted,
        Err(RenderRefusal::Code(error)) => {
            let message = error.to_string();
            return fail(
                call,
                None,
                ErrorCode::InvalidPayload,
                &message,
                Some(json!([error_json(&error)])),
            );
        }
        Err(RenderRefusal::Options(message)) => {
            return fail(call, None, ErrorCode::InvalidPayload, &message, None);
        }
        Err(RenderRefusal::ShuttingDown) => {
            return fail(
                call,
                None,
                ErrorCode::Internal,
                "The server is shutting down",
                None,
            );
        }
    };
    let id = accepted.id.to_string();
    call.socket.join(format!("process:{id}"));
    call.ack(&json!({"success": true, "processId": id}));
    renderer.run(accepted);
}

/// The request in `payload`; its URLs will start with `base_url`.
fn decode(payload: Option<&Json>, base_url: String) -> Result<RenderRequest, String> {
    let Some(Json::Object(fields)) = payload else {
        return Err("strudel:execute expects {code, options?}".into());
    };
    let Some(Json::String(code)) = fields.get("code") else {
        return Err("code must be a string".into());
    };
    let options = match fields.get("options") {
        None | Some(Json::Null) => serde_json::Map::new(),
        Some(Json::Object(options)) => options.clone(),
        Some(_) => return Err("options must be an object".into()),
    };
    let duration = match options.get("duration") {
        None | Some(Json::Null) => None,
        Some(value) => Some(
            value
                .as_f64()
                .ok_or("options.duration must be a number of seconds")?,
        ),
    };
    let sample_rate = match options.get("sampleRate") {
        None | Some(Json::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or("options.sampleRate must be a positive integer")?,
        ),
    };
    let format = match options.get("format") {
        None | Some(Json::Null) => None,
        Some(Json::String(format)) => Some(format.clone()),
        Some(_) => return Err("options.format must be a string".into()),
    };
    Ok(RenderRequest {
        code: code.clone(),
        duration,
        sample_rate,
        format,
        base_url,
    })
}

/// Starts `strudel:cancel`/`strudel:status`: an authenticated caller and
/// the render id (bare or `{processId}`), or the failure answered.
async fn begin_lookup<A: Adapter>(
    event: &'static str,
    socket: SocketRef<A>,
    ack: AckSender<A>,
    state: SharedState,
    args: &Args,
) -> Option<(Call<A>, String, String)> {
    let call = Call::begin(event, socket, ack, state, args).await?;
    let Some(identity) = call.session.identity() else {
        fail(
            call,
            None,
            ErrorCode::Unauthorized,
            "Authentication required",
            None,
        );
        return None;
    };
    let Ok(Some(id)) = args.string_or_field("processId") else {
        fail(
            call,
            None,
            ErrorCode::InvalidPayload,
            &format!("{event} expects {{processId}}"),
            None,
        );
        return None;
    };
    let id = id.to_owned();
    Some((call, identity.user_id, id))
}

fn lookup_failure<A: Adapter>(call: Call<A>, id: &str, error: RenderLookup) {
    let code = match error {
        RenderLookup::NotFound => ErrorCode::ProcessNotFound,
        RenderLookup::AccessDenied => ErrorCode::Forbidden,
        RenderLookup::Finished => ErrorCode::InvalidState,
    };
    fail(call, Some(id), code, &error.to_string(), None);
}

/// `strudel:cancel {processId}` (or the bare id).
pub async fn cancel<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some((call, user, id)) = begin_lookup("strudel:cancel", socket, ack, state, &args).await
    else {
        return;
    };
    let id = id.as_str();
    match call.state.strudel.cancel(&user, id) {
        Ok(()) => {
            call.ack(&json!({"success": true, "processId": id, "message": "Render cancelled"}))
        }
        Err(error) => lookup_failure(call, id, error),
    }
}

/// `strudel:status {processId}` (or the bare id).
pub async fn status<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some((call, user, id)) = begin_lookup("strudel:status", socket, ack, state, &args).await
    else {
        return;
    };
    let id = id.as_str();
    let status = match call.state.strudel.status(&user, id) {
        Ok(status) => status,
        Err(error) => return lookup_failure(call, id, error),
    };
    let answer = match status {
        RenderStatus::Queued(position) => {
            json!({"success": true, "processId": id, "status": "queued", "progress": 0, "queuePosition": position})
        }
        RenderStatus::Running(progress) => {
            json!({"success": true, "processId": id, "status": "running", "progress": progress})
        }
        RenderStatus::Completed(rendered) => json!({
            "success": true, "processId": id, "status": "completed", "progress": 100,
            "audioUrl": rendered.audio_url, "durationMs": (rendered.duration * 1000.0).round() as u64,
        }),
        RenderStatus::Failed(code, message) => json!({
            "success": true, "processId": id,
            "status": if code == ErrorCode::Cancelled { "cancelled" } else { "failed" },
            "code": code, "error": message,
        }),
    };
    call.ack(&answer);
}
