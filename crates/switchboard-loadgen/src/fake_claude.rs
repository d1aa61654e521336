//! A stand-in for the Claude CLI in `--output-format stream-json` mode
//! that streams text deltas as fast as a pipe takes them. The prompt (read
//! from stdin, as Switchboard sends it) says how many and after what pause:
//! `wait_ms=800 chunks=5000`. The line shapes are those of the real CLI.

use std::io::{self, BufWriter, Read, Write};
use std::time::Duration;

use serde_json::json;

/// What the prompt asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct Script {
    /// Pause before the first line.
    pub wait: Duration,
    /// Text deltas to stream.
    pub chunks: usize,
}

impl Script {
    /// Reads `wait_ms=` and `chunks=` out of the prompt; defaults 0 and 100.
    pub fn from_prompt(prompt: &str) -> Self {
        let field = |key: &str| {
            prompt
                .split_whitespace()
                .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
                .and_then(|value| value.parse::<u64>().ok())
        };
        Script {
            wait: Duration::from_millis(field("wait_ms").unwrap_or(0)),
            chunks: field("chunks").map_or(100, |n| n as usize),
        }
    }
}

/// Runs the fake CLI on this process's stdin and stdout.
pub fn run() -> io::Result<()> {
    let mut prompt = String::new();
    io::stdin().read_to_string(&mut prompt)?;
    let script = Script::from_prompt(&prompt);
    std::thread::sleep(script.wait);
    let mut out = BufWriter::new(io::stdout().lock());
    write_run(&mut out, &script)?;
    out.flush()
}

/// Writes a whole run's lines.
pub fn write_run(out: &mut impl Write, script: &Script) -> io::Result<()> {
    let session = "00000000-0000-4000-8000-000000000000";
    let model = "claude-opus-5-5";
    let mut line = |value: serde_json::Value| writeln!(out, "{value}");
    let event = |event: serde_json::Value| json!({"type": "stream_event", "event": event, "session_id": session, "parent_tool_use_id": null});
    line(
        json!({"type": "system", "subtype": "init", "cwd": "/", "session_id": session, "tools": [], "mcp_servers": [], "model": model, "permissionMode": "default", "apiKeySource": "ANTHROPIC_API_KEY", "claude_code_version": "2.1.330"}),
    )?;
    line(event(
        json!({"type": "message_start", "message": {"id": "msg_01Bench", "type": "message", "role": "assistant", "model": model, "content": [], "usage": {"input_tokens": 25, "output_tokens": 1}}}),
    ))?;
    line(event(
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ))?;
    let mut text = String::new();
    for n in 0..script.chunks {
        let word = format!("token{n} ");
        line(event(
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": word}}),
        ))?;
        text.push_str(&word);
    }
    line(
        json!({"type": "assistant", "message": {"id": "msg_01Bench", "type": "message", "role": "assistant", "model": model, "content": [{"type": "text", "text": text}], "stop_reason": null, "usage": {"input_tokens": 25, "output_tokens": script.chunks}}, "parent_tool_use_id": null, "session_id": session}),
    )?;
    line(event(json!({"type": "content_block_stop", "index": 0})))?;
    line(event(
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": script.chunks}}),
    ))?;
    line(event(json!({"type": "message_stop"})))?;
    line(
        json!({"type": "result", "subtype": "success", "is_error": false, "duration_ms": 100, "duration_api_ms": 20, "num_turns": 1, "result": text, "session_id": session, "stop_reason": "end_turn", "total_cost_usd": 0.0, "usage": {"input_tokens": 25, "output_tokens": script.chunks}}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_sets_the_script() {
        assert_eq!(
            Script::from_prompt("loadgen wait_ms=800 chunks=3"),
            Script {
                wait: Duration::from_millis(800),
                chunks: 3
            }
        );
        assert_eq!(Script::from_prompt("hello").chunks, 100);
    }

    #[test]
    fn writes_stream_json_lines() {
        let mut out = Vec::new();
        write_run(
            &mut out,
            &Script {
                wait: Duration::ZERO,
                chunks: 3,
            },
        )
        .unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.first().unwrap()["subtype"], "init");
        let deltas = lines
            .iter()
            .filter(|line| line["event"]["delta"]["type"] == "text_delta")
            .count();
        assert_eq!(deltas, 3);
        let result = lines.last().unwrap();
        assert_eq!(result["type"], "result");
        assert_eq!(result["result"], "token0 token1 token2 ");
    }
}
