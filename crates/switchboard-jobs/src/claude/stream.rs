//! The Claude CLI's `--output-format stream-json` lines, reduced to what a
//! run needs: text as it streams, the model, and the final `result`.
//!
//! Lines are routed on `type` (then `subtype`); unknown types are ignored,
//! as the CLI adds new ones often. Lines that do not start with `{` (debug
//! noise some builds print on stdout) are skipped; a line that starts with
//! `{` but is not JSON is a stream error.

use serde::Deserialize;
use serde_json::Value as Json;

/// One meaningful stream-json line.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// `system/init`: the model the CLI will use.
    Init {
        /// The model id.
        model: Option<String>,
    },
    /// A text block is starting (partial messages only).
    TextBlockStart,
    /// A piece of streamed text (partial messages only).
    TextDelta(String),
    /// A completed assistant text block.
    AssistantText {
        /// The block's text.
        text: String,
        /// The model that wrote it.
        model: Option<String>,
    },
    /// The final `result` line.
    Result(ResultLine),
    /// Anything else: tool use, tool results, retries, status, unknown types.
    Other,
}

/// The final line of a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultLine {
    /// The only reliable failure flag.
    pub is_error: bool,
    /// `success`, `error_max_turns`, `error_during_execution`, ...
    pub subtype: String,
    /// Final text, or the error text; absent on `error_*` subtypes.
    pub result: Option<String>,
    /// Error messages of `error_*` subtypes.
    pub errors: Vec<String>,
    /// Token usage of the main loop.
    pub usage: Option<Usage>,
    /// Why generation stopped.
    pub stop_reason: Option<String>,
}

impl ResultLine {
    /// A human-readable reason for a failed result.
    pub fn failure_message(&self) -> String {
        if !self.errors.is_empty() {
            return self.errors.join("; ");
        }
        match &self.result {
            Some(text) if !text.is_empty() => text.clone(),
            _ => format!("Claude CLI reported an error ({})", self.subtype),
        }
    }
}

/// Token counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
}

/// A line that claims to be JSON but is not.
#[derive(Debug, thiserror::Error)]
#[error("malformed stream-json line: {0}")]
pub struct MalformedLine(String);

#[derive(Deserialize)]
struct RawResult {
    #[serde(default)]
    is_error: bool,
    #[serde(default)]
    subtype: String,
    result: Option<String>,
    #[serde(default)]
    errors: Vec<Json>,
    usage: Option<RawUsage>,
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct RawUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
}

/// Parses one line of stdout.
pub fn parse_line(line: &str) -> Result<StreamItem, MalformedLine> {
    let line = line.trim();
    if !line.starts_with('{') {
        return Ok(StreamItem::Other);
    }
    let value: Json =
        serde_json::from_str(line).map_err(|error| MalformedLine(error.to_string()))?;
    let kind = value.get("type").and_then(Json::as_str).unwrap_or_default();
    Ok(match kind {
        "system" if value.get("subtype").and_then(Json::as_str) == Some("init") => {
            StreamItem::Init {
                model: value.get("model").and_then(Json::as_str).map(str::to_owned),
            }
        }
        "stream_event" => stream_event(value.get("event").unwrap_or(&Json::Null)),
        "assistant" => assistant(&value),
        "result" => {
            let raw: RawResult =
                serde_json::from_value(value).map_err(|error| MalformedLine(error.to_string()))?;
            StreamItem::Result(ResultLine {
                is_error: raw.is_error,
                subtype: raw.subtype,
                result: raw.result,
                errors: raw
                    .errors
                    .into_iter()
                    .map(|error| match error {
                        Json::String(text) => text,
                        other => other.to_string(),
                    })
                    .collect(),
                usage: raw.usage.map(|usage| Usage {
                    input_tokens: usage.input_tokens,
                    output_tokens: usage.output_tokens,
                }),
                stop_reason: raw.stop_reason,
            })
        }
        _ => StreamItem::Other,
    })
}

fn stream_event(event: &Json) -> StreamItem {
    match event.get("type").and_then(Json::as_str) {
        Some("content_block_start")
            if event.pointer("/content_block/type").and_then(Json::as_str) == Some("text") =>
        {
            StreamItem::TextBlockStart
        }
        Some("content_block_delta")
            if event.pointer("/delta/type").and_then(Json::as_str) == Some("text_delta") =>
        {
            match event.pointer("/delta/text").and_then(Json::as_str) {
                Some(text) => StreamItem::TextDelta(text.to_owned()),
                None => StreamItem::Other,
            }
        }
        _ => StreamItem::Other,
    }
}

fn assistant(value: &Json) -> StreamItem {
    let message = value.get("message").unwrap_or(&Json::Null);
    let text: String = message
        .get("content")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter(|block| block.get("type").and_then(Json::as_str) == Some("text"))
        .filter_map(|block| block.get("text").and_then(Json::as_str))
        .collect();
    if text.is_empty() {
        return StreamItem::Other;
    }
    StreamItem::AssistantText {
        text,
        model: message
            .get("model")
            .and_then(Json::as_str)
            .map(str::to_owned),
    }
}

/// Turns stream items into the text chunks a client sees, once each: with
/// partial messages the deltas are the text and whole blocks repeat it;
/// without them the whole blocks are the text. Separate blocks are joined
/// by a blank line. It keeps no copy of the text: the caller owns that.
#[derive(Debug, Default)]
pub struct TextAssembler {
    has_text: bool,
    streaming: bool,
    separator_pending: bool,
}

impl TextAssembler {
    /// Feeds one item; returns the new chunk of text, if any.
    pub fn feed(&mut self, item: &StreamItem) -> Option<String> {
        let text = match item {
            StreamItem::TextBlockStart => {
                self.streaming = true;
                self.separator_pending = self.has_text;
                return None;
            }
            StreamItem::TextDelta(text) => {
                self.streaming = true;
                text.as_str()
            }
            StreamItem::AssistantText { text, .. } if !self.streaming => {
                self.separator_pending = self.has_text;
                text.as_str()
            }
            _ => return None,
        };
        if text.is_empty() {
            return None;
        }
        let mut chunk = String::with_capacity(text.len() + 2);
        if std::mem::take(&mut self.separator_pending) {
            chunk.push_str("\n\n");
        }
        chunk.push_str(text);
        self.has_text = true;
        Some(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTIAL: &str = include_str!("testdata/stream-json-partial.jsonl");
    const WHOLE: &str = include_str!("testdata/stream-json-tool-use.jsonl");

    fn run(sample: &str) -> (String, Vec<String>, Option<ResultLine>) {
        let mut assembler = TextAssembler::default();
        let mut output = String::new();
        let mut chunks = Vec::new();
        let mut result = None;
        for line in sample.lines() {
            let item = parse_line(line).unwrap();
            if let Some(chunk) = assembler.feed(&item) {
                output.push_str(&chunk);
                chunks.push(chunk);
            }
            if let StreamItem::Result(line) = item {
                result = Some(line);
            }
        }
        (output, chunks, result)
    }

    #[test]
    fn partial_messages_stream_each_delta_once() {
        let (output, chunks, result) = run(PARTIAL);
        assert_eq!(output, "Hello! How can I help you today?");
        assert_eq!(chunks.first().map(String::as_str), Some("Hello!"));
        assert_eq!(chunks.len(), 7);
        let result = result.unwrap();
        assert!(!result.is_error);
        assert_eq!(
            result.result.as_deref(),
            Some("Hello! How can I help you today?")
        );
        assert_eq!(
            result.usage,
            Some(Usage {
                input_tokens: 25,
                output_tokens: 9
            })
        );
        assert_eq!(result.stop_reason.as_deref(), Some("end_turn"));
    }

    #[test]
    fn whole_blocks_are_used_without_partial_messages() {
        let (output, chunks, result) = run(WHOLE);
        assert_eq!(
            output,
            "I'll run a command.\n\nThe command printed: hello-from-tool"
        );
        assert_eq!(chunks.len(), 2);
        assert_eq!(result.unwrap().subtype, "success");
    }

    #[test]
    fn noise_unknown_types_and_errors() {
        assert_eq!(
            parse_line("[SandboxDebug] hello").unwrap(),
            StreamItem::Other
        );
        assert_eq!(
            parse_line(r#"{"type":"rate_limit_event"}"#).unwrap(),
            StreamItem::Other
        );
        assert!(parse_line("{not json").is_err());
        let StreamItem::Result(result) = parse_line(
            r#"{"type":"result","subtype":"error_max_turns","is_error":true,"errors":["Reached maximum number of turns (1)"]}"#,
        )
        .unwrap() else {
            panic!("a result line");
        };
        assert!(result.is_error);
        assert_eq!(
            result.failure_message(),
            "Reached maximum number of turns (1)"
        );
    }
}
