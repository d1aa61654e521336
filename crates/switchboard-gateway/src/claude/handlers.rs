//! `claude:execute`, `claude:status`, `claude:cancel` (SPEC §4): thin
//! handlers that decode the payload, call the runner, and answer.

use chrono::Utc;
use serde_json::Value as Json;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State};
use switchboard_core::{ErrorCode, Identity};
use switchboard_jobs::claude::{CancelError, ExecuteRequest, LookupError, SubmitError};

use super::wire;
use crate::socketio::Args;
use crate::socketio::{Call, Refusal};
use crate::state::SharedState;

const AUTH_REQUIRED: &str = "Authentication required to execute Claude commands";

/// Answers a failed `claude:*` call: the ack, a `claude:error` event, and
/// the generic `error` its refusal calls for.
fn fail<A: Adapter>(
    call: Call<A>,
    process_id: Option<&str>,
    code: ErrorCode,
    message: &str,
    refusal: Refusal,
) {
    call.report(refusal, message);
    let retry_after = refusal
        .error_code()
        .and_then(|(_, retry_after)| retry_after);
    call.emit(
        "claude:error",
        &wire::ClaudeError {
            process_id,
            code,
            message,
            retry_after,
            timestamp: wire::iso(Utc::now()),
        },
    );
    call.ack(&wire::Failure {
        success: false,
        error: message,
    });
}

/// The caller's identity, or the `UNAUTHORIZED` answer.
fn identity<A: Adapter>(call: Call<A>) -> Result<(Call<A>, Identity), ()> {
    match call.session.identity() {
        Some(identity) => Ok((call, identity)),
        None => {
            fail(
                call,
                None,
                ErrorCode::Unauthorized,
                AUTH_REQUIRED,
                Refusal::Anonymous,
            );
            Err(())
        }
    }
}

/// `claude:execute {prompt, systemPrompt?, model?, maxTokens?, workingDirectory?, timeoutMs?, streaming?}`.
pub async fn execute<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("claude:execute", socket, ack, state, &args).await else {
        return;
    };
    let Ok((call, identity)) = identity(call) else {
        return;
    };
    let request = match decode_execute(args.first()) {
        Ok(request) => request,
        Err(message) => {
            return fail(
                call,
                None,
                ErrorCode::InvalidPayload,
                &message,
                Refusal::Other,
            );
        }
    };
    let runner = call.state.claude.clone();
    let accepted = match runner.submit(&identity, request).await {
        Ok(accepted) => accepted,
        Err(error) => {
            let (code, refusal) = match &error {
                SubmitError::Invalid(_) => (ErrorCode::InvalidPayload, Refusal::Other),
                SubmitError::RateLimited { retry_after, .. } => (
                    ErrorCode::RateLimitExceeded,
                    Refusal::RateLimited(
                        retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0),
                    ),
                ),
                SubmitError::Unavailable(_) => (ErrorCode::ClaudeUnavailable, Refusal::Other),
                SubmitError::ShuttingDown => (ErrorCode::Internal, Refusal::Other),
                SubmitError::Store(cause) => {
                    tracing::error!(%cause, "cannot store a new process");
                    let message = "Internal error";
                    return fail(call, None, ErrorCode::Internal, message, Refusal::Other);
                }
            };
            return fail(call, None, code, &error.to_string(), refusal);
        }
    };
    if accepted.rate_limit_failed_open {
        call.state.metrics.rate_limit_failed_open();
    }
    let id = accepted.id.to_string();
    // Joined before the run starts, so the requester sees every event.
    call.socket.join(format!("process:{id}"));
    let runner = call.state.claude.clone();
    call.ack(&wire::Executing {
        success: true,
        process_id: &id,
    });
    runner.run(accepted);
}

/// Reads the execute payload, naming the first field of the wrong type.
fn decode_execute(payload: Option<&Json>) -> Result<ExecuteRequest, String> {
    let Some(Json::Object(fields)) = payload else {
        return Err("claude:execute expects an object with a prompt".into());
    };
    let text = |name: &str| -> Result<Option<String>, String> {
        match fields.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(value)) => Ok(Some(value.clone())),
            Some(_) => Err(format!("{name} must be a string")),
        }
    };
    let count = |name: &str| -> Result<Option<u64>, String> {
        match fields.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .filter(|n| *n > 0)
                .map(Some)
                .ok_or_else(|| format!("{name} must be a positive integer")),
        }
    };
    if let Some(streaming) = fields.get("streaming")
        && !(streaming.is_boolean() || streaming.is_null())
    {
        return Err("streaming must be a boolean".into());
    }
    Ok(ExecuteRequest {
        prompt: text("prompt")?.ok_or("prompt is required")?,
        system_prompt: text("systemPrompt")?,
        model: text("model")?,
        max_tokens: count("maxTokens")?,
        working_directory: text("workingDirectory")?,
        timeout_ms: count("timeoutMs")?,
    })
}

/// The process id, given bare or as `{processId}`.
fn process_id<A: Adapter>(call: Call<A>, args: &Args) -> Result<(Call<A>, String), ()> {
    match args.string_or_field("processId") {
        Ok(Some(id)) if !id.is_empty() => Ok((call, id.to_owned())),
        _ => {
            fail(
                call,
                None,
                ErrorCode::InvalidPayload,
                "processId must be a non-empty string",
                Refusal::Other,
            );
            Err(())
        }
    }
}

fn lookup_failure<A: Adapter>(call: Call<A>, id: &str, error: &LookupError) {
    match error {
        LookupError::NotFound => fail(
            call,
            Some(id),
            ErrorCode::ProcessNotFound,
            "Process not found",
            Refusal::UnknownId,
        ),
        // SPEC §4 lists UNAUTHORIZED among claude:error codes, FORBIDDEN is
        // not one; the generic `error` says FORBIDDEN (SPEC §3).
        LookupError::AccessDenied => fail(
            call,
            Some(id),
            ErrorCode::Unauthorized,
            "Access denied",
            Refusal::NotOwner,
        ),
        LookupError::Store(cause) => {
            tracing::error!(%cause, process = id, "process lookup failed");
            let message = "Internal error";
            fail(call, Some(id), ErrorCode::Internal, message, Refusal::Other);
        }
    }
}

/// `claude:status id` -> `{success, status, queuePosition?, output}`.
pub async fn status<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("claude:status", socket, ack, state, &args).await else {
        return;
    };
    let Ok((call, identity)) = identity(call) else {
        return;
    };
    let Ok((call, id)) = process_id(call, &args) else {
        return;
    };
    match call.state.claude.status(&identity, &id).await {
        Ok(view) => call.ack(&wire::ClaudeStatus {
            success: true,
            status: view.status.as_str(),
            queue_position: view.queue_position,
            output: &view.output,
        }),
        Err(error) => lookup_failure(call, &id, &error),
    }
}

/// `claude:cancel id` -> `{success, message}`, then `claude:error {code:'CANCELLED'}`.
pub async fn cancel<A: Adapter>(
    socket: SocketRef<A>,
    ack: AckSender<A>,
    State(state): State<SharedState>,
    args: Args,
) {
    let Some(call) = Call::begin("claude:cancel", socket, ack, state, &args).await else {
        return;
    };
    let Ok((call, identity)) = identity(call) else {
        return;
    };
    let Ok((call, id)) = process_id(call, &args) else {
        return;
    };
    match call.state.claude.cancel(&identity, &id).await {
        Ok(cancellation) => {
            call.ack(&wire::Cancelled {
                success: true,
                message: "Process cancelled successfully",
            });
            cancellation.fire();
        }
        Err(CancelError::Lookup(error)) => lookup_failure(call, &id, &error),
        Err(error @ CancelError::Finished(_)) => {
            fail(
                call,
                Some(&id),
                ErrorCode::InvalidPayload,
                &error.to_string(),
                Refusal::Other,
            );
        }
    }
}
