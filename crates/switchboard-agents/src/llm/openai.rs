//! Any OpenAI-compatible chat-completions server with streaming
//! (`POST {base}/chat/completions`): OpenAI, Ollama, vLLM, llama.cpp.
//! `data:` chunks end with `[DONE]`; `choices` may be empty, null or
//! absent; usage may come in a choice-less chunk; a chunk with `error`
//! fails the call.

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::http::{self, Endpoint};
use super::{Answer, Completion, LlmError, LlmProvider, LlmRequest, OnDelta};

const DEFAULT_BASE: &str = "https://api.openai.com/v1";
const DEFAULT_MODEL: &str = "gpt-4o-mini";

/// An OpenAI-compatible endpoint.
#[derive(Debug, Clone)]
pub struct OpenAiCompatible {
    endpoint: Endpoint,
}

impl OpenAiCompatible {
    /// A provider at `base_url` (as the official SDK takes it, default
    /// `https://api.openai.com/v1`; `http://localhost:11434/v1` for Ollama).
    pub fn new(
        base_url: Option<&str>,
        api_key: Option<String>,
        model: Option<String>,
    ) -> Result<Self, LlmError> {
        let endpoint = Endpoint::new(
            base_url,
            DEFAULT_BASE,
            "/chat/completions",
            api_key,
            model,
            DEFAULT_MODEL,
        )?;
        Ok(OpenAiCompatible { endpoint })
    }

    async fn call(
        &self,
        request: &LlmRequest,
        on_delta: OnDelta<'_>,
    ) -> Result<Completion, LlmError> {
        let mut messages = Vec::new();
        if let Some(system) = &request.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        messages.push(json!({"role": "user", "content": request.prompt}));
        let mut body = json!({
            "model": self.endpoint.model(request),
            "messages": messages,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        if let Some(max_tokens) = request.max_tokens {
            body["max_tokens"] = json!(max_tokens);
        }
        let mut builder = self.endpoint.post(&body);
        if let Some(key) = &self.endpoint.api_key {
            builder = builder.bearer_auth(key);
        }
        let response = http::send(builder).await?;
        let mut events = std::pin::pin!(http::events(response));
        let mut completion = Completion::default();
        while let Some(event) = events.next().await {
            let event = event?;
            if event.data.trim() == "[DONE]" {
                return Ok(completion);
            }
            let chunk = http::json(&event.data)?;
            if let Some(error) = chunk.get("error").filter(|e| !e.is_null()) {
                return Err(LlmError::Stream {
                    kind: error["type"]
                        .as_str()
                        .or_else(|| error["code"].as_str())
                        .unwrap_or("error")
                        .to_owned(),
                    message: error["message"]
                        .as_str()
                        .unwrap_or("the provider reported an error")
                        .to_owned(),
                });
            }
            read_chunk(&chunk, &mut completion, on_delta);
        }
        // Some servers close without [DONE]; a finish reason means the answer is whole.
        if completion.stop_reason.is_some() {
            return Ok(completion);
        }
        Err(LlmError::Malformed("the stream ended before [DONE]".into()))
    }
}

fn read_chunk(chunk: &Value, completion: &mut Completion, on_delta: OnDelta<'_>) {
    if let Some(model) = chunk["model"].as_str() {
        completion.model = Some(model.to_owned());
    }
    if let Some(choice) = chunk["choices"]
        .as_array()
        .and_then(|choices| choices.first())
    {
        if let Some(text) = choice["delta"]["content"]
            .as_str()
            .filter(|t| !t.is_empty())
        {
            on_delta(text);
            completion.text.push_str(text);
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            completion.stop_reason = Some(reason.to_owned());
        }
    }
    let usage = &chunk["usage"];
    if let Some(tokens) = usage["prompt_tokens"].as_u64() {
        completion.input_tokens = Some(tokens);
    }
    if let Some(tokens) = usage["completion_tokens"].as_u64() {
        completion.output_tokens = Some(tokens);
    }
}

impl LlmProvider for OpenAiCompatible {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn stream<'a>(&'a self, request: &'a LlmRequest, on_delta: OnDelta<'a>) -> Answer<'a> {
        Box::pin(self.call(request, on_delta))
    }
}
