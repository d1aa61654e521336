//! Any text as Strudel code: parsing, evaluation, a bounded query and a
//! short render must neither panic nor run away.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_strudel::render::{RenderOptions, render};
use switchboard_strudel::synth::SampleBank;
use switchboard_strudel::{Frac, evaluate, haps};

fuzz_target!(|data: &[u8]| {
    let Ok(code) = std::str::from_utf8(data) else { return };
    let Ok(program) = evaluate(code) else { return };
    let _ = haps::query(&program.pattern, Frac::ZERO, Frac::int(2), false);
    let options = RenderOptions {
        duration: 0.25,
        sample_rate: 8_000,
        max_events: 500,
    };
    let _ = render(&program, &options, &SampleBank::default(), |_| true);
});
