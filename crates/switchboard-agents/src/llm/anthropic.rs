//! The Anthropic Messages API with streaming (`POST {base}/v1/messages`):
//! `message_start`, content block deltas, `message_delta`, `message_stop`;
//! `ping` and unknown events ignored, an `error` event fails the call, and
//! a stream that ends before `message_stop` was cut off.

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::http::{self, Endpoint};
use super::{Answer, Completion, LlmError, LlmProvider, LlmRequest, OnDelta};

const DEFAULT_BASE: &str = "https://api.anthropic.com";
const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
const DEFAULT_MAX_TOKENS: u32 = 4096;
/// What Claude Code sends; still accepted by the API.
const API_VERSION: &str = "2023-06-01";

/// An Anthropic Messages API endpoint.
#[derive(Debug, Clone)]
pub struct Anthropic {
    endpoint: Endpoint,
}

impl Anthropic {
    /// A provider at `base_url` (as the official SDK takes it, default
    /// `https://api.anthropic.com`).
    pub fn new(
        base_url: Option<&str>,
        api_key: Option<String>,
        model: Option<String>,
    ) -> Result<Self, LlmError> {
        let endpoint = Endpoint::new(
            base_url,
            DEFAULT_BASE,
            "/v1/messages",
            api_key,
            model,
            DEFAULT_MODEL,
        )?;
        Ok(Anthropic { endpoint })
    }

    async fn call(
        &self,
        request: &LlmRequest,
        on_delta: OnDelta<'_>,
    ) -> Result<Completion, LlmError> {
        let mut body = json!({
            "model": self.endpoint.model(request),
            "max_tokens": request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            "messages": [{"role": "user", "content": request.prompt}],
            "stream": true,
        });
        if let Some(system) = &request.system {
            body["system"] = json!(system);
        }
        let mut builder = self
            .endpoint
            .post(&body)
            .header("anthropic-version", API_VERSION);
        if let Some(key) = &self.endpoint.api_key {
            builder = builder.header("x-api-key", key);
        }
        let response = http::send(builder).await?;
        let mut events = std::pin::pin!(http::events(response));
        let mut completion = Completion::default();
        while let Some(event) = events.next().await {
            let event = event?;
            let data = http::json(&event.data)?;
            match data["type"].as_str().unwrap_or(event.event.as_str()) {
                "message_start" => {
                    let message = &data["message"];
                    completion.model = message["model"].as_str().map(str::to_owned);
                    completion.input_tokens = message["usage"]["input_tokens"].as_u64();
                }
                "content_block_delta" => {
                    if let Some(text) = data["delta"]["text"].as_str() {
                        on_delta(text);
                        completion.text.push_str(text);
                    }
                }
                "message_delta" => {
                    if let Some(reason) = data["delta"]["stop_reason"].as_str() {
                        completion.stop_reason = Some(reason.to_owned());
                    }
                    // Cumulative: the last one holds the total.
                    if let Some(tokens) = data["usage"]["output_tokens"].as_u64() {
                        completion.output_tokens = Some(tokens);
                    }
                }
                "message_stop" => return Ok(completion),
                "error" => return Err(stream_error(&data)),
                _ => {}
            }
        }
        Err(LlmError::Malformed(
            "the stream ended before message_stop".into(),
        ))
    }
}

fn stream_error(data: &Value) -> LlmError {
    LlmError::Stream {
        kind: data["error"]["type"].as_str().unwrap_or("error").to_owned(),
        message: data["error"]["message"]
            .as_str()
            .unwrap_or("the provider reported an error")
            .to_owned(),
    }
}

impl LlmProvider for Anthropic {
    fn name(&self) -> &'static str {
        "anthropic"
    }

    fn stream<'a>(&'a self, request: &'a LlmRequest, on_delta: OnDelta<'a>) -> Answer<'a> {
        Box::pin(self.call(request, on_delta))
    }
}
