//! No input hangs, panics or exhausts memory: generated programs (valid and
//! broken) are evaluated, queried and rendered within their limits.

#![allow(clippy::unwrap_used)]

use switchboard_strudel::render::{RenderOptions, render};
use switchboard_strudel::synth::SampleBank;
use switchboard_strudel::{Frac, evaluate, haps};

const PIECES: &[&str] = &[
    "s(",
    "note(",
    "n(",
    "stack(",
    "cat(",
    "seq(",
    ")",
    "(",
    ",",
    ".",
    "\"",
    "'",
    "`",
    "bd",
    "sd",
    "hh*",
    "8",
    "1000000",
    "0",
    "-1",
    "0.5",
    "1/3",
    "[",
    "]",
    "<",
    ">",
    "{",
    "}",
    "%",
    "?",
    "|",
    "@",
    "!",
    "_",
    "~",
    ":",
    "..",
    "(3,8)",
    " ",
    "\n",
    "fast",
    "slow",
    "rev()",
    "every",
    "ply",
    "jux",
    "x => x",
    "degradeBy",
    "euclid",
    "struct",
    "segment",
    "sine",
    "rand",
    "$:",
    "//",
    "/*",
    "*/",
    "setcps",
    "1e308",
    "room",
    "gain",
    "add",
    "range",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 33) as usize
    }
}

#[test]
fn generated_programs_never_panic_or_run_away() {
    let mut rng = Rng(0x5EED_1234_ABCD);
    let options = RenderOptions {
        duration: 0.5,
        sample_rate: 8_000,
        max_events: 2_000,
    };
    let bank = SampleBank::default();
    for _ in 0..3_000 {
        let length = 1 + rng.next() % 24;
        let code: String = (0..length)
            .map(|_| PIECES[rng.next() % PIECES.len()])
            .collect();
        let Ok(program) = evaluate(&code) else {
            continue;
        };
        let _ = haps::query(&program.pattern, Frac::ZERO, Frac::int(2), true);
        let _ = render(&program, &options, &bank, |_| true);
    }
}

#[test]
fn pathological_inputs_are_refused_quickly() {
    // Too small to be a fraction: slow(0), which is silence.
    let program = evaluate("s(\"bd\").slow(1e-12)").unwrap();
    assert_eq!(
        haps::query(&program.pattern, Frac::ZERO, Frac::ONE, true),
        Ok(Vec::new())
    );
    for code in [
        "[".repeat(100_000),
        format!("s(\"{}bd{}\")", "[".repeat(10_000), "]".repeat(10_000)),
        format!("s(\"bd\"){}", ".fast(2)".repeat(10_000)),
        format!("1{}", "+1".repeat(100_000)),
        "-".repeat(100_000),
        "s(\"bd*1000000000\")".to_owned(),
        "s(\"bd\").fast(1e12)".to_owned(),
    ] {
        let Ok(program) = evaluate(&code) else {
            continue;
        };
        assert!(
            haps::query(&program.pattern, Frac::ZERO, Frac::ONE, true).is_err(),
            "{code:.40}"
        );
    }
}
