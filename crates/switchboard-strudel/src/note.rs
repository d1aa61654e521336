//! Note names: `c3` is MIDI 48, `a4` is 69; accidentals `#`/`s` and `b`/`f`
//! may repeat; the default octave is 3.

/// The MIDI number of a note name, if `name` is one.
pub fn note_to_midi(name: &str) -> Option<f64> {
    let mut chars = name.chars();
    let letter = chars.next()?.to_ascii_lowercase();
    let chroma: i32 = match letter {
        'c' => 0,
        'd' => 2,
        'e' => 4,
        'f' => 5,
        'g' => 7,
        'a' => 9,
        'b' => 11,
        _ => return None,
    };
    let rest: &str = chars.as_str();
    let accidentals_end = rest
        .find(|c: char| !matches!(c, '#' | 'b' | 's' | 'f'))
        .unwrap_or(rest.len());
    let (accidentals, octave) = rest.split_at(accidentals_end);
    let shift: i32 = accidentals
        .chars()
        .map(|c| if matches!(c, '#' | 's') { 1 } else { -1 })
        .sum();
    let octave: i32 = if octave.is_empty() {
        3
    } else {
        let digits = octave.strip_prefix('-').unwrap_or(octave);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        octave.parse().ok()?
    };
    Some(f64::from((octave + 1) * 12 + chroma + shift))
}

/// The frequency of a MIDI note.
pub fn midi_to_freq(midi: f64) -> f64 {
    440.0 * 2f64.powf((midi - 69.0) / 12.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_to_midi() {
        for (name, midi) in [
            ("c3", 48.0),
            ("c4", 60.0),
            ("a4", 69.0),
            ("c", 48.0),
            ("cs5", 73.0),
            ("bf2", 46.0),
            ("Eb3", 51.0),
            ("c#-1", 1.0),
        ] {
            assert_eq!(note_to_midi(name), Some(midi), "{name}");
        }
        assert_eq!(note_to_midi("bd"), None);
        assert_eq!(note_to_midi("x3"), None);
        assert!((midi_to_freq(69.0) - 440.0).abs() < 1e-9);
    }
}
