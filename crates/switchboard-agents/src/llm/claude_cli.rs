//! The Claude CLI as a model: each call is a `claude:execute`-style run
//! through the [`ClaudeRunner`] (same queue, rate limit, process group and
//! stored record, owned by the user the agent works for), its text chunks
//! streamed as deltas. Dropping the call cancels the run.

use switchboard_core::Identity;
use switchboard_jobs::claude::{Cancellation, ClaudeRunner, ExecuteRequest, ProcessEventKind};

use super::{Answer, Completion, LlmError, LlmProvider, LlmRequest, OnDelta};

/// Runs prompts through the configured Claude CLI.
#[derive(Debug, Clone)]
pub struct ClaudeCli {
    runner: ClaudeRunner,
    model: Option<String>,
}

impl ClaudeCli {
    /// A provider using `runner`, with `model` unless a request names one.
    pub fn new(runner: ClaudeRunner, model: Option<String>) -> Self {
        ClaudeCli { runner, model }
    }
}

/// Cancels the run unless it finished: the caller went away.
struct CancelOnDrop(Option<Cancellation>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancellation) = self.0.take() {
            cancellation.fire();
        }
    }
}

impl LlmProvider for ClaudeCli {
    fn name(&self) -> &'static str {
        "claude-cli"
    }

    fn stream<'a>(&'a self, request: &'a LlmRequest, on_delta: OnDelta<'a>) -> Answer<'a> {
        Box::pin(async move {
            let identity = Identity {
                user_id: request.user.clone().unwrap_or_else(|| "agents".into()),
                email: None,
                roles: Vec::new(),
                projects: None,
                expires_at: None,
            };
            let execute = ExecuteRequest {
                prompt: request.prompt.clone(),
                system_prompt: request.system.clone(),
                model: request.model.clone().or_else(|| self.model.clone()),
                max_tokens: request.max_tokens.map(u64::from),
                working_directory: None,
                timeout_ms: None,
            };
            let accepted = self
                .runner
                .submit(&identity, execute)
                .await
                .map_err(|error| LlmError::Cli(error.to_string()))?;
            let observed = self.runner.run_observed(accepted);
            let mut events = observed.events;
            let mut guard = CancelOnDrop(Some(observed.cancellation));
            while let Some(kind) = events.recv().await {
                match kind {
                    ProcessEventKind::Output { chunk } => on_delta(&chunk),
                    ProcessEventKind::Completed(finished) => {
                        guard.0 = None;
                        let outcome = finished.outcome;
                        return Ok(Completion {
                            text: outcome.content.unwrap_or(outcome.output),
                            model: outcome.response_model,
                            stop_reason: outcome.stop_reason,
                            input_tokens: outcome.input_tokens,
                            output_tokens: outcome.output_tokens,
                        });
                    }
                    ProcessEventKind::Failed { code, message, .. } => {
                        guard.0 = None;
                        return Err(LlmError::Cli(format!("{}: {message}", code.as_str())));
                    }
                    ProcessEventKind::Queued { .. } | ProcessEventKind::Started => {}
                }
            }
            Err(LlmError::Cli("the run ended without a result".into()))
        })
    }
}
