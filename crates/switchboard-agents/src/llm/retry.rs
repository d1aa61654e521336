//! [`Llm`]: a provider with the retry policy of the official SDKs. A call
//! is repeated after a retryable failure (429, 5xx, 529, unreachable) only
//! while no text has been forwarded: once a client has seen part of an
//! answer, a fresh answer would not continue it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{Completion, LlmError, LlmProvider, LlmRequest, OnDelta};

/// Longest wait a provider's `retry-after` may impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Longest computed backoff.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The configured model, with retries.
#[derive(Debug, Clone)]
pub struct Llm {
    provider: Arc<dyn LlmProvider>,
    max_retries: u32,
    base_delay: Duration,
}

impl Llm {
    /// `provider` with up to `max_retries` extra attempts.
    pub fn new(provider: Arc<dyn LlmProvider>, max_retries: u32) -> Self {
        Llm {
            provider,
            max_retries,
            base_delay: Duration::from_millis(500),
        }
    }

    /// The provider's configuration name.
    pub fn provider_name(&self) -> &'static str {
        self.provider.name()
    }

    /// One answer, streamed through `on_delta`.
    pub async fn complete(
        &self,
        request: &LlmRequest,
        on_delta: OnDelta<'_>,
    ) -> Result<Completion, LlmError> {
        let mut attempt = 0;
        loop {
            let forwarded = AtomicBool::new(false);
            let tracked = |text: &str| {
                forwarded.store(true, Ordering::Relaxed);
                on_delta(text);
            };
            let error = match self.provider.stream(request, &tracked).await {
                Ok(completion) => return Ok(completion),
                Err(error) => error,
            };
            let wait = match error.retry() {
                Some(wait) if attempt < self.max_retries && !forwarded.load(Ordering::Relaxed) => {
                    wait
                }
                _ => return Err(error),
            };
            let delay = match wait {
                Some(after) => after.min(MAX_RETRY_AFTER),
                None => self
                    .base_delay
                    .saturating_mul(1 << attempt.min(16))
                    .min(MAX_BACKOFF),
            };
            attempt += 1;
            tracing::warn!(
                provider = self.provider.name(),
                attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                %error,
                "retrying the model call"
            );
            tokio::time::sleep(delay).await;
        }
    }
}
