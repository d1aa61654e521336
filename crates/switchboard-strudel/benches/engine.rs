//! The Strudel engine: how many events a second the pattern engine yields
//! for a typical groove, and how fast audio renders against real time.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use switchboard_strudel::render::{RenderOptions, render};
use switchboard_strudel::synth::SampleBank;
use switchboard_strudel::{Frac, evaluate, haps};

/// Drums, a bass line and hats with the usual transformations.
const GROOVE: &str = r#"stack(
  s("bd(3,8), ~ sd, hh*8?").every(4, x => x.fast(2)).sometimes(x => x.speed(2)),
  note("<c2 a1 f1 g1>*2 [c3 e3]").s("sawtooth").lpf(800).jux(rev),
  s("hh*16").gain(sine.range(0.3, 0.9)).pan(saw)
)"#;

fn engine(c: &mut Criterion) {
    let program = evaluate(GROOVE).expect("valid");
    let cycles = 64;
    let events = haps::query(&program.pattern, Frac::ZERO, Frac::int(cycles), true)
        .expect("bounded")
        .len();
    let mut group = c.benchmark_group("strudel");
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function("query_64_cycles", |b| {
        b.iter(|| {
            haps::query(&program.pattern, Frac::ZERO, Frac::int(cycles), true).map(|h| h.len())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("strudel_render");
    group.sample_size(10);
    let options = RenderOptions {
        duration: 10.0,
        sample_rate: 44_100,
        max_events: 20_000,
    };
    let bank = SampleBank::default();
    group.bench_function("render_10s_44k1", |b| {
        b.iter(|| render(&program, &options, &bank, |_| true).map(|a| a.frames.len()))
    });
    let with_effects = evaluate(&format!("{GROOVE}.room(0.5).delay(0.3)")).expect("valid");
    group.bench_function("render_10s_44k1_room_delay", |b| {
        b.iter(|| render(&with_effects, &options, &bank, |_| true).map(|a| a.frames.len()))
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
