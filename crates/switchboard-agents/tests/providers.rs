//! The Anthropic and OpenAI-compatible adapters against a real HTTP server
//! replaying captured streams, and the retry policy around them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};

use support::{FakeLlm, Reply};
use switchboard_agents::llm::{Anthropic, Llm, LlmError, LlmRequest, OpenAiCompatible};

fn request() -> LlmRequest {
    LlmRequest {
        system: Some("Be brief.".into()),
        prompt: "Hi".into(),
        model: None,
        max_tokens: None,
        user: None,
    }
}

fn anthropic(fake: &FakeLlm, retries: u32) -> Llm {
    let provider = Anthropic::new(
        Some(&fake.origin),
        Some("sk-test".into()),
        Some("claude-test".into()),
    )
    .unwrap();
    Llm::new(Arc::new(provider), retries)
}

fn openai(fake: &FakeLlm) -> Llm {
    let base = format!("{}/v1/", fake.origin);
    let provider =
        OpenAiCompatible::new(Some(&base), Some("sk-oai".into()), Some("gpt-test".into())).unwrap();
    Llm::new(Arc::new(provider), 2)
}

/// Calls `llm`, returning the result and every delta.
async fn call(
    llm: &Llm,
) -> (
    Result<switchboard_agents::llm::Completion, LlmError>,
    Vec<String>,
) {
    let deltas = Mutex::new(Vec::new());
    let on_delta = |text: &str| deltas.lock().unwrap().push(text.to_owned());
    let result = llm.complete(&request(), &on_delta).await;
    (result, deltas.into_inner().unwrap())
}

#[tokio::test]
async fn anthropic_streams_the_captured_answer() {
    let fake = FakeLlm::replies(vec![Reply::sse(include_str!(
        "fixtures/anthropic-text.sse"
    ))])
    .await;
    let (result, deltas) = call(&anthropic(&fake, 0)).await;
    let completion = result.unwrap();
    assert_eq!(completion.text, deltas.concat());
    assert!(!completion.text.is_empty());
    assert_eq!(completion.stop_reason.as_deref(), Some("end_turn"));
    assert!(completion.output_tokens.is_some() && completion.input_tokens.is_some());

    let seen = &fake.seen()[0];
    assert_eq!(seen.path, "/v1/messages");
    assert_eq!(seen.headers["x-api-key"], "sk-test");
    assert_eq!(seen.headers["anthropic-version"], "2023-06-01");
    assert_eq!(seen.body["model"], "claude-test");
    assert_eq!(seen.body["stream"], true);
    assert_eq!(seen.body["system"], "Be brief.");
    assert_eq!(seen.body["messages"][0]["content"], "Hi");
    assert!(seen.body["max_tokens"].as_u64().is_some());
}

#[tokio::test]
async fn anthropic_mid_stream_error_fails_after_the_text_before_it() {
    let fake = FakeLlm::replies(vec![
        Reply::sse(include_str!("fixtures/anthropic-midstream-error.sse")),
        Reply::sse(support::anthropic_text("never asked")),
    ])
    .await;
    let (result, deltas) = call(&anthropic(&fake, 2)).await;
    assert_eq!(
        result.unwrap_err(),
        LlmError::Stream {
            kind: "overloaded_error".into(),
            message: "Overloaded".into()
        }
    );
    assert_eq!(deltas, ["Hello!"]);
    assert_eq!(fake.seen().len(), 1, "text had streamed: not retried");
}

#[tokio::test]
async fn rate_limits_and_overload_are_retried_before_any_text() {
    let fake = FakeLlm::replies(vec![
        Reply::error(
            429,
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#,
        )
        .with_header("retry-after", "0"),
        Reply::error(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        )
        .with_header("retry-after-ms", "20"),
        Reply::sse(support::anthropic_text("third time")),
    ])
    .await;
    let (result, deltas) = call(&anthropic(&fake, 2)).await;
    assert_eq!(result.unwrap().text, "third time");
    assert_eq!(deltas.concat(), "third time");
    assert_eq!(fake.seen().len(), 3);

    let exhausted = FakeLlm::replies(vec![
        Reply::error(
            500,
            r#"{"type":"error","error":{"type":"api_error","message":"boom"}}"#,
        )
        .with_header("retry-after", "0"),
    ])
    .await;
    let (result, _) = call(&anthropic(&exhausted, 1)).await;
    assert!(matches!(result, Err(LlmError::Http { status: 500, .. })));
    assert_eq!(exhausted.seen().len(), 2);
}

#[tokio::test]
async fn client_errors_and_spend_limits_are_not_retried() {
    let fake = FakeLlm::replies(vec![Reply::error(
        401,
        r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
    )])
    .await;
    let (result, _) = call(&anthropic(&fake, 2)).await;
    match result.unwrap_err() {
        LlmError::Http {
            status,
            kind,
            message,
            retryable,
            ..
        } => {
            assert_eq!(
                (status, kind.as_str(), message.as_str(), retryable),
                (401, "authentication_error", "invalid x-api-key", false)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(fake.seen().len(), 1);

    let spend = FakeLlm::replies(vec![Reply::error(
        429,
        r#"{"type":"error","error":{"type":"rate_limit_error","message":"limit","details":{"error_code":"enforced_spend_limit_reached"}}}"#,
    )
    .with_header("retry-after", "0")])
    .await;
    let (result, _) = call(&anthropic(&spend, 2)).await;
    assert!(matches!(
        result,
        Err(LlmError::Http {
            status: 429,
            retryable: false,
            ..
        })
    ));
    assert_eq!(spend.seen().len(), 1);

    let told_not_to = FakeLlm::replies(vec![
        Reply::error(503, "{}").with_header("x-should-retry", "false"),
    ])
    .await;
    let (result, _) = call(&anthropic(&told_not_to, 2)).await;
    assert!(result.is_err());
    assert_eq!(told_not_to.seen().len(), 1);
}

#[tokio::test]
async fn cut_off_and_malformed_streams_are_errors() {
    let full = support::anthropic_text("cut here");
    let cut = full.split("event: message_stop").next().unwrap().to_owned();
    let fake = FakeLlm::replies(vec![Reply::sse(cut)]).await;
    let (result, deltas) = call(&anthropic(&fake, 0)).await;
    assert!(matches!(result, Err(LlmError::Malformed(m)) if m.contains("message_stop")));
    assert_eq!(deltas.concat(), "cut here");

    let garbled = FakeLlm::replies(vec![Reply::sse(
        "event: message_start\ndata: {not json\n\n",
    )])
    .await;
    let (result, _) = call(&anthropic(&garbled, 0)).await;
    assert!(matches!(result, Err(LlmError::Malformed(m)) if m.contains("not JSON")));
}

#[tokio::test]
async fn openai_compatible_streams_with_usage() {
    let fake = FakeLlm::replies(vec![Reply::sse(include_str!(
        "fixtures/openai-text-include-usage.sse"
    ))])
    .await;
    let (result, deltas) = call(&openai(&fake)).await;
    let completion = result.unwrap();
    assert_eq!(completion.text, "Hello!");
    assert_eq!(deltas, ["Hello", "!"]);
    assert_eq!(
        (completion.input_tokens, completion.output_tokens),
        (Some(9), Some(2))
    );
    assert_eq!(completion.stop_reason.as_deref(), Some("stop"));
    let seen = &fake.seen()[0];
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(seen.headers["authorization"], "Bearer sk-oai");
    assert_eq!(seen.body["stream_options"]["include_usage"], true);
    assert_eq!(seen.body["messages"][0]["role"], "system");
    assert_eq!(seen.body["messages"][1]["content"], "Hi");
    assert!(seen.body.get("max_tokens").is_none());
}

#[tokio::test]
async fn openai_compatible_server_quirks() {
    let ollama =
        FakeLlm::replies(vec![Reply::sse(include_str!("fixtures/openai-ollama.sse"))]).await;
    let (result, _) = call(&openai(&ollama)).await;
    assert_eq!(result.unwrap().text, "Hi");

    let llama = FakeLlm::replies(vec![Reply::sse(include_str!(
        "fixtures/openai-llamacpp-usage.sse"
    ))])
    .await;
    let (result, _) = call(&openai(&llama)).await;
    let completion = result.unwrap();
    assert_eq!(
        (completion.input_tokens, completion.output_tokens),
        (Some(75), Some(31))
    );

    let failing = FakeLlm::replies(vec![Reply::sse(include_str!(
        "fixtures/openai-midstream-error.sse"
    ))])
    .await;
    let (result, _) = call(&openai(&failing)).await;
    assert!(matches!(result, Err(LlmError::Stream { kind, .. }) if kind == "server_error"));

    let no_done = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\n";
    let closes_early = FakeLlm::replies(vec![Reply::sse(no_done)]).await;
    assert_eq!(call(&openai(&closes_early)).await.0.unwrap().text, "ok");
    let truncated = FakeLlm::replies(vec![Reply::sse("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"o\"},\"finish_reason\":null}]}\n\n")]).await;
    assert!(matches!(
        call(&openai(&truncated)).await.0,
        Err(LlmError::Malformed(_))
    ));

    let missing = FakeLlm::replies(vec![Reply::error(404, r#"{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"api_error","param":null,"code":null}}"#)]).await;
    match call(&openai(&missing)).await.0.unwrap_err() {
        LlmError::Http {
            status,
            message,
            retryable,
            ..
        } => {
            assert_eq!(status, 404);
            assert!(message.contains("llama9"));
            assert!(!retryable);
        }
        other => panic!("unexpected {other:?}"),
    }
}
