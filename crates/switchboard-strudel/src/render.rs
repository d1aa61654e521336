//! Offline rendering as Strudel's own offline renderer does it: query the
//! onsets of `duration · cps` cycles, start each voice at `whole.begin / cps`
//! held for its duration, then the shared delay and reverb, then 16-bit
//! stereo WAV clamped to full scale.

use std::io::Cursor;

use crate::eval::Program;
use crate::fraction::Frac;
use crate::pattern::{Value, query_bounded};
use crate::synth::{Controls, SampleBank, Voice};

/// What to render.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// Seconds of audio.
    pub duration: f64,
    /// Frames per second.
    pub sample_rate: u32,
    /// Most events one render may play (no input exhausts memory or time).
    pub max_events: usize,
}

/// Rendered audio.
#[derive(Debug, Clone)]
pub struct Audio {
    /// Stereo frames in `[-1, 1]`.
    pub frames: Vec<[f32; 2]>,
    /// Frames per second.
    pub sample_rate: u32,
    /// Events that played.
    pub events: usize,
    /// Sounds that were not found, once each.
    pub unknown_sounds: Vec<String>,
}

/// Why a render stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    /// The pattern has more events than allowed in the span.
    #[error("the pattern has more than {max} events in {duration} s; shorten it or slow it down")]
    TooManyEvents {
        /// The limit.
        max: usize,
        /// The requested duration.
        duration: f64,
    },
    /// The caller asked to stop.
    #[error("render cancelled")]
    Cancelled,
    /// The options are out of range.
    #[error("{0}")]
    Invalid(String),
}

/// Renders `program`; `progress(percent)` is called at least every 5 % and
/// stops the render when it returns false.
pub fn render(
    program: &Program,
    options: &RenderOptions,
    bank: &SampleBank,
    mut progress: impl FnMut(u8) -> bool,
) -> Result<Audio, RenderError> {
    if !(options.duration.is_finite() && options.duration > 0.0) {
        return Err(RenderError::Invalid(
            "duration must be a positive number of seconds".into(),
        ));
    }
    if !(8_000..=192_000).contains(&options.sample_rate) {
        return Err(RenderError::Invalid(
            "sampleRate must be 8000..=192000".into(),
        ));
    }
    let rate = f64::from(options.sample_rate);
    let cps = if program.cps.is_finite() && program.cps > 0.0 {
        program.cps
    } else {
        0.5
    };
    let total = (options.duration * rate).round() as usize;
    let cycles = Frac::from_f64(options.duration * cps).unwrap_or(Frac::ONE);

    // Query a cycle at a time so a dense pattern is refused before it fills memory.
    let mut haps = Vec::new();
    let mut begin = Frac::ZERO;
    let too_many = RenderError::TooManyEvents {
        max: options.max_events,
        duration: options.duration,
    };
    let budget = (options.max_events as u64).saturating_mul(64).max(100_000);
    while begin < cycles {
        let end = (begin.sam() + Frac::ONE).min(cycles);
        let cycle =
            query_bounded(&program.pattern, begin, end, budget).map_err(|_| too_many.clone())?;
        for hap in cycle {
            if hap.has_onset() {
                haps.push(hap);
                if haps.len() > options.max_events {
                    return Err(too_many);
                }
            }
        }
        begin = end;
    }
    haps.sort_by_key(|hap| hap.whole_or_part().begin);

    let mut dry = vec![[0.0f32; 2]; total];
    let mut delay_send = vec![[0.0f32; 2]; total];
    let mut reverb_send = vec![[0.0f32; 2]; total];
    let mut delay_settings = None;
    let mut room_size: f64 = 2.0;
    let mut unknown = Vec::new();
    let mut reported = 0u8;
    if !progress(0) {
        return Err(RenderError::Cancelled);
    }
    let count = haps.len();
    for (index, hap) in haps.iter().enumerate() {
        let percent = u8::try_from(index * 90 / count.max(1)).unwrap_or(90);
        // Every 5 % step is reported, also when one event spans several.
        while reported + 5 <= percent {
            reported += 5;
            if !progress(reported) {
                return Err(RenderError::Cancelled);
            }
        }
        let single;
        let map = match &hap.value {
            Value::Map(map) => map,
            Value::Str(s) => {
                single = [("s".to_owned(), Value::Str(s.clone()))]
                    .into_iter()
                    .collect();
                &single
            }
            _ => continue,
        };
        let controls = Controls(map);
        let whole = hap.whole_or_part();
        let start = (whole.begin.to_f64() / cps * rate).round() as usize;
        let clip = map.get("clip").and_then(Value::as_number).unwrap_or(1.0);
        let length = map
            .get("duration")
            .and_then(Value::as_number)
            .unwrap_or((whole.end - whole.begin).to_f64());
        let hold = (length * clip / cps).max(0.0);
        let voice = Voice {
            controls,
            hold,
            rate,
            seed: 0x9E37_79B9_7F4A_7C15 ^ (index as u64).wrapping_mul(0x2545_F491_4F6C_DD1D),
        };
        let frames = match voice.frames(bank) {
            Ok(frames) => frames.min(total.saturating_sub(start)),
            Err(sound) => {
                if !unknown.contains(&sound.0) {
                    unknown.push(sound.0);
                }
                continue;
            }
        };
        // Each voice is rendered once into its own buffer, then mixed into
        // the dry bus and, scaled by its send levels, into the effect buses.
        let mut buffer = vec![[0.0f32; 2]; frames];
        let _ = voice.render(bank, &mut buffer, 0);
        let number = |key: &str| map.get(key).and_then(Value::as_number);
        let delay = number("delay").unwrap_or(0.0).clamp(0.0, 1.0) as f32;
        let room = number("room").unwrap_or(0.0).clamp(0.0, 1.0) as f32;
        for (offset, frame) in buffer.iter().enumerate() {
            let i = start + offset;
            for ch in 0..2 {
                dry[i][ch] += frame[ch];
                if delay > 0.0 {
                    delay_send[i][ch] += frame[ch] * delay;
                }
                if room > 0.0 {
                    reverb_send[i][ch] += frame[ch] * room;
                }
            }
        }
        if delay > 0.0 {
            let time = number("delaytime")
                .unwrap_or(0.1875 / cps)
                .clamp(0.001, 10.0);
            let feedback = number("delayfeedback").unwrap_or(0.5).clamp(0.0, 0.98);
            delay_settings = Some((time, feedback));
        }
        if room > 0.0 {
            room_size = number("roomsize").unwrap_or(2.0).clamp(0.1, 20.0);
        }
    }
    while reported < 90 {
        reported += 5;
        if !progress(reported) {
            return Err(RenderError::Cancelled);
        }
    }
    if let Some((time, feedback)) = delay_settings {
        feedback_delay(&mut delay_send, (time * rate) as usize, feedback as f32);
        mix(&mut dry, &delay_send);
    }
    if !progress(95) {
        return Err(RenderError::Cancelled);
    }
    if reverb_send.iter().any(|f| f != &[0.0, 0.0]) {
        reverb(&mut reverb_send, room_size, rate);
        mix(&mut dry, &reverb_send);
    }
    for frame in &mut dry {
        for sample in frame.iter_mut() {
            *sample = if sample.is_finite() {
                sample.clamp(-1.0, 1.0)
            } else {
                0.0
            };
        }
    }
    progress(100);
    Ok(Audio {
        frames: dry,
        sample_rate: options.sample_rate,
        events: count,
        unknown_sounds: unknown,
    })
}

fn mix(into: &mut [[f32; 2]], from: &[[f32; 2]]) {
    for (a, b) in into.iter_mut().zip(from) {
        a[0] += b[0];
        a[1] += b[1];
    }
}

fn feedback_delay(buffer: &mut [[f32; 2]], delay: usize, feedback: f32) {
    if delay == 0 {
        return;
    }
    let input = buffer.to_vec();
    for v in buffer.iter_mut() {
        *v = [0.0; 2];
    }
    for i in delay..buffer.len() {
        for ch in 0..2 {
            buffer[i][ch] = input[i - delay][ch] + feedback * buffer[i - delay][ch];
        }
    }
}

/// A small Schroeder reverb: parallel combs into series allpasses, the
/// decay time set by `size` seconds.
fn reverb(buffer: &mut [[f32; 2]], size: f64, rate: f64) {
    const COMBS: [f64; 4] = [0.0297, 0.0371, 0.0411, 0.0437];
    const ALLPASSES: [f64; 2] = [0.005, 0.0017];
    for ch in 0..2 {
        let input: Vec<f32> = buffer.iter().map(|f| f[ch]).collect();
        let mut out = vec![0.0f32; input.len()];
        for (k, seconds) in COMBS.iter().enumerate() {
            let length = ((seconds + 0.0011 * ch as f64 + 0.0003 * k as f64) * rate) as usize;
            let gain = 10f64.powf(-3.0 * seconds / size) as f32;
            let mut line = vec![0.0f32; length.max(1)];
            let mut pos = 0;
            for (i, x) in input.iter().enumerate() {
                let y = line[pos];
                line[pos] = x + y * gain;
                pos = (pos + 1) % line.len();
                out[i] += y * 0.25;
            }
        }
        for seconds in ALLPASSES {
            let length = ((seconds * rate) as usize).max(1);
            let mut line = vec![0.0f32; length];
            let mut pos = 0;
            for sample in &mut out {
                let delayed = line[pos];
                let x = *sample;
                line[pos] = x + delayed * 0.5;
                *sample = delayed - x * 0.5;
                pos = (pos + 1) % length;
            }
        }
        for (frame, y) in buffer.iter_mut().zip(out) {
            frame[ch] = y;
        }
    }
}

/// 16-bit stereo PCM WAV.
pub fn wav(audio: &Audio) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: audio.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = Cursor::new(Vec::with_capacity(audio.frames.len() * 4 + 44));
    if let Ok(mut writer) = hound::WavWriter::new(&mut bytes, spec) {
        for frame in &audio.frames {
            for sample in frame {
                let value = (f64::from(*sample) * 32767.0)
                    .round()
                    .clamp(-32768.0, 32767.0) as i16;
                if writer.write_sample(value).is_err() {
                    break;
                }
            }
        }
        let _ = writer.finalize();
    }
    bytes.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audio(code: &str, duration: f64) -> Audio {
        let program = crate::evaluate(code).expect("evaluates");
        let options = RenderOptions {
            duration,
            sample_rate: 22_050,
            max_events: 10_000,
        };
        render(&program, &options, &SampleBank::default(), |_| true).expect("renders")
    }

    fn peak(audio: &Audio) -> f32 {
        audio
            .frames
            .iter()
            .flatten()
            .fold(0.0, |m, x| m.max(x.abs()))
    }

    /// Zero crossings per second of the left channel over a window, halved.
    fn pitch(audio: &Audio, from: f64, to: f64) -> f64 {
        let rate = f64::from(audio.sample_rate);
        let window = &audio.frames[(from * rate) as usize..(to * rate) as usize];
        let crossings = window
            .windows(2)
            .filter(|w| (w[0][0] < 0.0) != (w[1][0] < 0.0))
            .count();
        crossings as f64 / (to - from) / 2.0
    }

    #[test]
    fn length_rate_and_silence() {
        let rests = audio("s(\"~ ~\")", 1.5);
        assert_eq!(rests.frames.len(), 33_075);
        assert_eq!(peak(&rests), 0.0);
        let beat = audio("s(\"bd sd, hh*4\")", 2.0);
        assert!(peak(&beat) > 0.1);
        assert_eq!(beat.events, 6);
        let bytes = wav(&beat);
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(bytes.len(), 44 + 44_100 * 4);
    }

    #[test]
    fn never_past_full_scale() {
        let loud = audio(
            "note(\"c3 e3 g3 c4\").s(\"square\").gain(40).room(1).delay(0.9)",
            2.0,
        );
        assert!(peak(&loud) <= 1.0);
        assert!(peak(&loud) > 0.9);
    }

    #[test]
    fn every_voice_sounds_and_oscillators_are_in_tune() {
        for voice in crate::synth::DRUMS.iter().chain(&[
            "sine", "square", "sawtooth", "triangle", "white", "pink", "brown",
        ]) {
            let rendered = audio(&format!("s(\"{voice}\")"), 1.0);
            assert!(peak(&rendered) > 0.01, "{voice} is silent");
        }
        let a4 = audio("note(\"a4\").s(\"sine\")", 1.0);
        let hz = pitch(&a4, 0.1, 0.9);
        assert!((hz - 440.0).abs() < 5.0, "a4 sine measured {hz} Hz");
        let c2 = audio("s(\"sawtooth\")", 1.0);
        let hz = pitch(&c2, 0.1, 0.9);
        assert!((hz - 65.4).abs() < 3.0, "default pitch measured {hz} Hz");
        let panned = audio("s(\"sine\").pan(0)", 0.5);
        assert!(panned.frames.iter().all(|f| f[1].abs() < 1e-6));
    }

    #[test]
    fn sample_folders_play_and_n_picks_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("blip")).expect("folder");
        // Two files: a quiet one and a loud one, picked by n (mod 2).
        for (name, level) in [("a.wav", 0.1f32), ("b.wav", 0.8)] {
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: 22_050,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let mut writer =
                hound::WavWriter::create(dir.path().join("blip").join(name), spec).expect("wav");
            for i in 0..2205 {
                let x = level * ((i as f32) * 0.3).sin();
                writer.write_sample((x * 32767.0) as i16).expect("sample");
            }
            writer.finalize().expect("finalize");
        }
        let bank = SampleBank::new(Some(dir.path()));
        let options = RenderOptions {
            duration: 1.0,
            sample_rate: 22_050,
            max_events: 100,
        };
        let level = |code: &str| {
            let program = crate::evaluate(code).expect("evaluates");
            peak(&render(&program, &options, &bank, |_| true).expect("renders"))
        };
        let quiet = level("s(\"blip\").gain(1)");
        let loud = level("s(\"blip:1\").gain(1)");
        let wrapped = level("s(\"blip\").n(3).gain(1)");
        assert!(quiet > 0.01 && loud > 4.0 * quiet, "{quiet} {loud}");
        assert_eq!(loud, wrapped);
        let missing = crate::evaluate("s(\"nothing\")").expect("evaluates");
        let audio = render(&missing, &options, &bank, |_| true).expect("renders");
        assert_eq!(audio.unknown_sounds, ["nothing"]);
        assert_eq!(peak(&audio), 0.0);
    }

    #[test]
    fn dense_patterns_are_refused_and_cancel_stops() {
        let program = crate::evaluate("s(\"hh*1000\")").expect("evaluates");
        let options = RenderOptions {
            duration: 10.0,
            sample_rate: 8_000,
            max_events: 500,
        };
        let refused = render(&program, &options, &SampleBank::default(), |_| true);
        assert!(matches!(
            refused,
            Err(RenderError::TooManyEvents { max: 500, .. })
        ));
        let program = crate::evaluate("s(\"bd*8\")").expect("evaluates");
        let options = RenderOptions {
            max_events: 10_000,
            ..options
        };
        let mut seen = Vec::new();
        let cancelled = render(&program, &options, &SampleBank::default(), |p| {
            seen.push(p);
            p < 20
        });
        assert_eq!(cancelled.err(), Some(RenderError::Cancelled));
        assert_eq!(seen, [0, 5, 10, 15, 20]);
    }
}
