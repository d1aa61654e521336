//! `scale("C:minor")`: scale degrees become note names, spelled as tonal.js
//! spells them (one letter per degree in seven-note scales: F# lydian has a
//! B#); notes already given are moved to the nearest note of the scale.

use crate::note::note_to_midi;
use crate::pattern::Value;

/// Intervals as (letter steps, semitones) from the tonic.
fn intervals(name: &str) -> Option<&'static [(i32, i32)]> {
    Some(match name {
        "major" | "ionian" => &[(0, 0), (1, 2), (2, 4), (3, 5), (4, 7), (5, 9), (6, 11)],
        "minor" | "aeolian" => &[(0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 8), (6, 10)],
        "dorian" => &[(0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 9), (6, 10)],
        "phrygian" => &[(0, 0), (1, 1), (2, 3), (3, 5), (4, 7), (5, 8), (6, 10)],
        "lydian" => &[(0, 0), (1, 2), (2, 4), (3, 6), (4, 7), (5, 9), (6, 11)],
        "mixolydian" => &[(0, 0), (1, 2), (2, 4), (3, 5), (4, 7), (5, 9), (6, 10)],
        "locrian" => &[(0, 0), (1, 1), (2, 3), (3, 5), (4, 6), (5, 8), (6, 10)],
        "harmonic minor" => &[(0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 8), (6, 11)],
        "melodic minor" => &[(0, 0), (1, 2), (2, 3), (3, 5), (4, 7), (5, 9), (6, 11)],
        "major pentatonic" | "pentatonic" => &[(0, 0), (1, 2), (2, 4), (4, 7), (5, 9)],
        "minor pentatonic" => &[(0, 0), (2, 3), (3, 5), (4, 7), (6, 10)],
        "blues" | "minor blues" => &[(0, 0), (2, 3), (3, 5), (4, 6), (4, 7), (6, 10)],
        "whole tone" => &[(0, 0), (1, 2), (2, 4), (4, 6), (5, 8), (6, 10)],
        "chromatic" => &[
            (0, 0),
            (1, 1),
            (1, 2),
            (2, 3),
            (2, 4),
            (3, 5),
            (4, 6),
            (4, 7),
            (5, 8),
            (5, 9),
            (6, 10),
            (6, 11),
        ],
        _ => return None,
    })
}

const NATURAL: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];
const LETTERS: [char; 7] = ['C', 'D', 'E', 'F', 'G', 'A', 'B'];

/// A parsed scale: tonic letter, its MIDI number and the intervals.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    letter: i32,
    tonic: i32,
    octave: i32,
    intervals: &'static [(i32, i32)],
}

impl Scale {
    /// Parses `"C:minor"`, `"F#4:lydian"`, `"A:minor:pentatonic"`.
    pub fn parse(name: &str) -> Option<Scale> {
        let mut parts = name.split(':');
        let tonic = parts.next()?.trim();
        let kind: Vec<&str> = parts.collect();
        let intervals = intervals(&kind.join(" ").to_ascii_lowercase())?;
        let letter = LETTERS.iter().position(|l| {
            tonic
                .chars()
                .next()
                .is_some_and(|c| c.to_ascii_uppercase() == *l)
        })? as i32;
        let digits = tonic.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '-');
        let octave = if digits.is_empty() {
            3
        } else {
            digits.parse().ok()?
        };
        Some(Scale {
            letter,
            tonic: note_to_midi(tonic)? as i32,
            octave,
            intervals,
        })
    }

    /// The spelled note of `degree` (any integer; wraps by octaves).
    pub fn degree(&self, degree: i64) -> String {
        let len = self.intervals.len() as i64;
        let octaves = degree.div_euclid(len) as i32;
        let (steps, semitones) = self.intervals[degree.rem_euclid(len) as usize];
        let midi = self.tonic + semitones + 12 * octaves;
        let absolute = self.letter + steps + 7 * octaves;
        let letter = absolute.rem_euclid(7);
        let octave = self.octave + absolute.div_euclid(7);
        let natural = (octave + 1) * 12 + NATURAL[letter as usize];
        let alteration = midi - natural;
        let accidentals = if alteration >= 0 {
            "#".repeat(alteration as usize)
        } else {
            "b".repeat((-alteration) as usize)
        };
        format!("{}{accidentals}{octave}", LETTERS[letter as usize])
    }

    /// The scale note nearest to `midi` (ties go up).
    pub fn nearest(&self, midi: f64) -> String {
        let len = self.intervals.len() as i64;
        let base = ((midi - f64::from(self.tonic)) / 12.0).floor() as i64 * len;
        let mut best: Option<(f64, i64)> = None;
        for degree in base - len..base + 2 * len {
            let (_, semitones) = self.intervals[degree.rem_euclid(len) as usize];
            let candidate =
                f64::from(self.tonic + semitones) + 12.0 * degree.div_euclid(len) as f64;
            let distance = (candidate - midi).abs();
            if best.is_none_or(|(d, _)| distance <= d) {
                best = Some((distance, degree));
            }
        }
        self.degree(best.map_or(0, |(_, degree)| degree))
    }
}

/// Applies `scale` to one value: `n` (or a bare number) is a degree, a
/// `note` is quantized; the result carries `note` as a name.
pub fn apply(scale: &Scale, value: &Value) -> Option<Value> {
    let degree_of = |v: &Value| v.as_number().map(|x| js_round(x) as i64);
    match value {
        Value::Map(map) => {
            let mut out = map.clone();
            if let Some(note) = map.get("note") {
                let midi = note.as_number()?;
                out.insert("note".into(), Value::Str(scale.nearest(midi)));
            } else {
                let degree = degree_of(map.get("n")?)?;
                out.remove("n");
                out.insert("note".into(), Value::Str(scale.degree(degree)));
            }
            Some(Value::Map(out))
        }
        Value::Num(_) => Some(Value::Str(scale.degree(degree_of(value)?))),
        Value::Str(s) => Some(Value::Str(scale.nearest(note_to_midi(s)?))),
        _ => None,
    }
}

/// `Math.round`: halves go up.
fn js_round(x: f64) -> f64 {
    (x + 0.5).floor()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degrees_are_spelled_like_tonal() {
        let names = |scale: &str, degrees: &[i64]| {
            let scale = Scale::parse(scale).expect("known scale");
            degrees
                .iter()
                .map(|d| scale.degree(*d))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            names("C:minor", &[0, 1, 2, 3, 4, 5, 6, 7]),
            "C3 D3 Eb3 F3 G3 Ab3 Bb3 C4"
        );
        assert_eq!(names("C:major", &[-1, -8, 9]), "B2 B1 E4");
        assert_eq!(names("D:dorian", &[-1, -8, 9, 2]), "C3 C2 F4 F3");
        assert_eq!(names("A:minor:pentatonic", &[0, 2, 4, 6]), "A3 D4 G4 C5");
        assert_eq!(
            names("F#:lydian", &[0, 1, 2, 3, 4, 5, 6, 7]),
            "F#3 G#3 A#3 B#3 C#4 D#4 E#4 F#4"
        );
        assert_eq!(
            names("Bb:major:pentatonic", &[0, 1, 2, 3, 4]),
            "Bb3 C4 D4 F4 G4"
        );
        assert_eq!(names("C4:major", &[0, 2]), "C4 E4");
        let c_minor = Scale::parse("C:minor").expect("known");
        assert_eq!(c_minor.nearest(52.0), "F3");
        assert!(Scale::parse("C:bogus").is_none());
    }
}
