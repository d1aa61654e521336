//! What both HTTP providers share: one client, the mapping of error
//! answers (with the official SDKs' retry rules), and SSE framing.

use std::time::Duration;

use eventsource_stream::{Event, Eventsource};
use futures_util::{Stream, StreamExt};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;

use super::{LlmError, LlmRequest};

/// Error bodies read at most this far.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A client for long streams: a connect timeout, no overall timeout (the
/// step's own limit applies).
fn client() -> Result<reqwest::Client, LlmError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|error| LlmError::Transport(error.to_string()))
}

/// Sends the request; a non-2xx answer becomes [`LlmError::Http`].
pub(super) async fn send(request: RequestBuilder) -> Result<Response, LlmError> {
    let response = request
        .send()
        .await
        .map_err(|error| LlmError::Transport(error.to_string()))?;
    if response.status().is_success() {
        return Ok(response);
    }
    Err(http_error(response).await)
}

async fn http_error(response: Response) -> LlmError {
    let status = response.status();
    let headers = response.headers().clone();
    let text = match response.bytes().await {
        Ok(bytes) => {
            String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_ERROR_BODY)]).into_owned()
        }
        Err(error) => error.to_string(),
    };
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let error = &body["error"];
    let kind = error["type"]
        .as_str()
        .or_else(|| error["code"].as_str())
        .unwrap_or("http_error")
        .to_owned();
    let message = error["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| text.chars().take(500).collect());
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    // The official SDKs: an explicit x-should-retry wins; else 408, 409,
    // 429 and 5xx (529 included) are retried. A spend limit never clears by waiting.
    let spend_limit = error["details"]["error_code"] == "enforced_spend_limit_reached";
    let retryable = match header("x-should-retry") {
        Some("true") => true,
        Some("false") => false,
        _ => {
            !spend_limit
                && (status == StatusCode::REQUEST_TIMEOUT
                    || status == StatusCode::CONFLICT
                    || status == StatusCode::TOO_MANY_REQUESTS
                    || status.is_server_error()
                    || status.as_u16() == 529)
        }
    };
    let retry_after = header("retry-after-ms")
        .and_then(|ms| ms.trim().parse::<f64>().ok())
        .map(|ms| ms / 1000.0)
        .or_else(|| header("retry-after").and_then(|s| s.trim().parse::<f64>().ok()))
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .map(Duration::from_secs_f64);
    LlmError::Http {
        status: status.as_u16(),
        kind,
        message,
        retryable,
        retry_after,
    }
}

/// The response body as SSE events; read errors become stream errors.
pub(super) fn events(response: Response) -> impl Stream<Item = Result<Event, LlmError>> {
    response.bytes_stream().eventsource().map(|event| {
        event.map_err(|error| LlmError::Stream {
            kind: "transport".into(),
            message: error.to_string(),
        })
    })
}

/// Parses one `data:` payload.
pub(super) fn json(data: &str) -> Result<Value, LlmError> {
    serde_json::from_str(data).map_err(|_| {
        let start: String = data.chars().take(80).collect();
        LlmError::Malformed(format!("a stream chunk is not JSON: {start}"))
    })
}

/// Where a provider sends its requests: one client, the URL (the base as
/// the official SDK takes it, plus the provider's path), key and model.
#[derive(Debug, Clone)]
pub(super) struct Endpoint {
    client: reqwest::Client,
    url: String,
    /// The API key, sent as the provider's header wants it.
    pub(super) api_key: Option<String>,
    model: String,
}

impl Endpoint {
    pub(super) fn new(
        base_url: Option<&str>,
        default_base: &str,
        path: &str,
        api_key: Option<String>,
        model: Option<String>,
        default_model: &str,
    ) -> Result<Self, LlmError> {
        let base = base_url.unwrap_or(default_base).trim_end_matches('/');
        Ok(Endpoint {
            client: client()?,
            url: format!("{base}{path}"),
            api_key,
            model: model.unwrap_or_else(|| default_model.into()),
        })
    }

    /// The request's model, else the configured one.
    pub(super) fn model<'a>(&'a self, request: &'a LlmRequest) -> &'a str {
        request.model.as_deref().unwrap_or(&self.model)
    }

    /// A JSON POST of `body`.
    pub(super) fn post(&self, body: &Value) -> RequestBuilder {
        self.client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body.to_string())
    }
}
