//! Wire shapes of Claude runs: the `claude:*` events and acks, and the
//! stored process as the HTTP API shows it.

use serde::Serialize;

pub use crate::wire::*;
use switchboard_core::{ErrorCode, ProcessStatus};
use switchboard_store::{Outcome, ProcessRecord};

/// `claude:error`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeError<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_id: Option<&'a str>,
    pub code: ErrorCode,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    pub timestamp: String,
}

/// The `claude:execute` ack on success.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Executing<'a> {
    pub success: bool,
    pub process_id: &'a str,
}

/// `claude:queued`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeQueued<'a> {
    pub process_id: &'a str,
    pub queue_position: usize,
    pub message: String,
    pub timestamp: String,
}

/// `claude:progress`: the start notice (empty `data`), then one per text
/// chunk; `output` repeats `data` for seed-000 clients, on every event.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeProgress<'a> {
    pub process_id: &'a str,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a str>,
    pub data: &'a str,
    pub output: &'a str,
    /// 0..=99 while running, never smaller than before.
    pub progress: u8,
    pub timestamp: String,
}

/// `claude:complete`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeComplete<'a> {
    pub process_id: &'a str,
    pub result: ProcessResult<'a>,
    pub output: &'a str,
    pub duration_ms: i64,
    pub timestamp: String,
}

/// Seed 001's `ClaudeProcessResult`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessResult<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub status: &'static str,
    pub stdout: &'a str,
    pub stderr: &'a str,
    pub exit_code: Option<i32>,
    pub started_at: Option<String>,
    pub completed_at: String,
    pub duration_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parsed_response: Option<ParsedResponse<'a>>,
}

/// Seed 001's `ClaudeParsedResponse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedResponse<'a> {
    pub content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<&'a str>,
}

/// Token counts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
}

impl<'a> ProcessResult<'a> {
    /// The result of a finished process.
    pub fn new(id: &'a str, user_id: &'a str, status: ProcessStatus, outcome: &'a Outcome) -> Self {
        let duration_ms = outcome
            .started_at
            .map(|started| (outcome.completed_at - started).num_milliseconds())
            .unwrap_or(0);
        let usage = match (outcome.input_tokens, outcome.output_tokens) {
            (None, None) => None,
            (input, output) => {
                let (input, output) = (input.unwrap_or(0), output.unwrap_or(0));
                Some(TokenUsage {
                    input_tokens: input,
                    output_tokens: output,
                    total_tokens: input + output,
                })
            }
        };
        ProcessResult {
            id,
            user_id,
            status: status.as_str(),
            stdout: &outcome.stdout,
            stderr: &outcome.stderr,
            exit_code: outcome.exit_code,
            started_at: outcome.started_at.map(iso),
            completed_at: iso(outcome.completed_at),
            duration_ms,
            error: outcome.error_message.as_deref(),
            parsed_response: outcome.content.as_deref().map(|content| ParsedResponse {
                content,
                usage,
                model: outcome.response_model.as_deref(),
                stop_reason: outcome.stop_reason.as_deref(),
            }),
        }
    }
}

/// The `claude:status` ack.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeStatus<'a> {
    pub success: bool,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<usize>,
    pub output: &'a str,
}

/// The `claude:cancel` ack on success.
#[derive(Serialize)]
pub struct Cancelled {
    pub success: bool,
    pub message: &'static str,
}

/// A stored process over HTTP.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessView<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub status: &'static str,
    pub request: ProcessRequestView<'a>,
    pub output: &'a str,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ProcessResult<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiErrorBody<'a>>,
}

/// What was asked, over HTTP.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessRequestView<'a> {
    pub prompt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    pub working_directory: &'a str,
    pub timeout_ms: u64,
}

/// `{code, message}` inside HTTP errors and failed processes.
#[derive(Serialize)]
pub struct ApiErrorBody<'a> {
    pub code: &'a str,
    pub message: &'a str,
}

impl<'a> ProcessView<'a> {
    /// The HTTP view of a stored process.
    pub fn new(record: &'a ProcessRecord) -> Self {
        let request = &record.request;
        let outcome = record.outcome.as_ref();
        ProcessView {
            id: request.id.as_str(),
            user_id: &request.user_id,
            status: record.status.as_str(),
            request: ProcessRequestView {
                prompt: &request.prompt,
                system_prompt: request.system_prompt.as_deref(),
                model: request.model.as_deref(),
                max_tokens: request.max_tokens,
                working_directory: &request.working_directory,
                timeout_ms: request.timeout_ms,
            },
            output: outcome.map_or("", |outcome| outcome.output.as_str()),
            created_at: iso(request.created_at),
            result: outcome.map(|outcome| {
                ProcessResult::new(
                    request.id.as_str(),
                    &request.user_id,
                    record.status,
                    outcome,
                )
            }),
            error: outcome.and_then(|outcome| {
                Some(ApiErrorBody {
                    code: outcome.error_code?.as_str(),
                    message: outcome.error_message.as_deref().unwrap_or_default(),
                })
            }),
        }
    }
}
