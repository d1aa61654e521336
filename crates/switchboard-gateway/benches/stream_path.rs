//! The stream path of a Claude run: one stdout line of the CLI is parsed,
//! turned into a text chunk, and encoded as the Socket.IO packet that
//! `claude:progress` sends (`42["claude:progress",{...}]`).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use socketioxide_core::packet::Packet;
use socketioxide_core::parser::Parse;
use socketioxide_parser_common::CommonParser;
use switchboard_jobs::claude::stream::{TextAssembler, parse_line};

/// A text delta as the CLI prints it with `--include-partial-messages`.
const DELTA: &str = r#"{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" How can I help you today with your Rust project?"}},"session_id":"cdeee00f-5185-437c-ac9f-03fac454981f","parent_tool_use_id":null,"uuid":"637aaf3c-b9ca-41fb-bd8f-aa263ded7edf","api_message_id":"msg_01Fakefb3407ae77e8450b94"}"#;

fn line_to_packet(assembler: &mut TextAssembler, line: &str) -> usize {
    let item = parse_line(line).expect("valid line");
    let Some(chunk) = assembler.feed(&item) else {
        return 0;
    };
    let payload = json!({
        "processId": "proc_0123456789abcdef0123456789abcdef",
        "status": "running",
        "data": chunk,
        "output": chunk,
        "timestamp": "2026-11-22T05:00:00.000Z",
    });
    let value = CommonParser
        .encode_value(&payload, Some("claude:progress"))
        .expect("serializable");
    match CommonParser.encode(Packet::event("/", value)) {
        socketioxide_core::Value::Str(text, _) => text.len(),
        socketioxide_core::Value::Bytes(bytes) => bytes.len(),
    }
}

fn stream_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("stream_path");
    group.throughput(Throughput::Bytes(DELTA.len() as u64));
    group.bench_function("delta_line_to_progress_packet", |b| {
        let mut assembler = TextAssembler::default();
        b.iter(|| line_to_packet(&mut assembler, std::hint::black_box(DELTA)));
    });
    group.bench_function("parse_only", |b| {
        b.iter(|| parse_line(std::hint::black_box(DELTA)));
    });
    group.finish();
}

criterion_group!(benches, stream_path);
criterion_main!(benches);
