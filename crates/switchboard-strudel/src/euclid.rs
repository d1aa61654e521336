//! Euclidean rhythms: `k` pulses spread over `n` steps by Bjorklund's
//! algorithm (in the form of its Haskell port), rotated right by `r`.

use crate::pattern::{Pattern, Value, fastcat};

/// The pulses and rests of `(pulses, steps)`; negative pulses invert.
pub fn bjorklund(pulses: i64, steps: i64) -> Vec<bool> {
    // More steps than any rhythm needs would only cost memory.
    if steps <= 0 || steps > 4096 {
        return Vec::new();
    }
    let invert = pulses < 0;
    let k = pulses.unsigned_abs().min(steps.unsigned_abs()) as usize;
    let n = steps as usize;
    let mut a: Vec<Vec<bool>> = vec![vec![true]; k];
    let mut b: Vec<Vec<bool>> = vec![vec![false]; n - k];
    while a.len().min(b.len()) > 1 {
        if a.len() > b.len() {
            let rest = a.split_off(b.len());
            for (head, tail) in a.iter_mut().zip(b) {
                head.extend(tail);
            }
            b = rest;
        } else {
            let rest = b.split_off(a.len());
            for (head, tail) in a.iter_mut().zip(b) {
                head.extend(tail);
            }
            b = rest;
        }
    }
    let bits: Vec<bool> = a.into_iter().chain(b).flatten().collect();
    if invert {
        bits.into_iter().map(|x| !x).collect()
    } else {
        bits
    }
}

/// `pattern.euclidRot(pulses, steps, rotation)`: its structure replaced by the rhythm.
pub fn euclid_rot(pattern: &Pattern, pulses: i64, steps: i64, rotation: i64) -> Pattern {
    let bits = bjorklund(pulses, steps);
    if bits.is_empty() {
        return Pattern::silence();
    }
    let n = bits.len() as i64;
    let rotated: Vec<bool> = (0..n)
        .map(|i| bits[(i - rotation).rem_euclid(n) as usize])
        .collect();
    let bools = fastcat(
        rotated
            .into_iter()
            .map(|b| Pattern::pure(Value::Bool(b)))
            .collect(),
    );
    pattern.structure(&bools)
}

/// `euclidRot` with patterned arguments: plain values apply directly,
/// patterns choose the rhythm per their events.
pub fn euclid_patterned(
    pattern: &Pattern,
    pulses: &Pattern,
    steps: &Pattern,
    rotation: &Pattern,
) -> Pattern {
    let number = |p: &Pattern| p.pure.as_ref().and_then(Value::as_number);
    if let (Some(k), Some(n), Some(r)) = (number(pulses), number(steps), number(rotation)) {
        return euclid_rot(
            pattern,
            k.floor() as i64,
            n.floor() as i64,
            r.floor() as i64,
        );
    }
    let pair = |a: &Value, b: &Value| {
        let mut list = match a {
            Value::List(items) => items.clone(),
            other => vec![other.clone()],
        };
        list.push(b.clone());
        Some(Value::List(list))
    };
    let args = pulses.app_left(steps, pair).app_left(rotation, pair);
    let pattern = pattern.clone();
    args.inner_join(move |v| {
        let Value::List(items) = v else {
            return Pattern::silence();
        };
        let int = |i: usize| {
            items
                .get(i)
                .and_then(Value::as_number)
                .map_or(0, |x| x.floor() as i64)
        };
        euclid_rot(&pattern, int(0), int(1), int(2))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(pulses: i64, steps: i64) -> String {
        bjorklund(pulses, steps)
            .iter()
            .map(|b| if *b { '1' } else { '0' })
            .collect()
    }

    #[test]
    fn known_rhythms() {
        assert_eq!(bits(3, 8), "10010010");
        assert_eq!(bits(5, 8), "10110110");
        assert_eq!(bits(4, 7), "1010101");
        assert_eq!(bits(-3, 8), "01101101");
        assert_eq!(bits(0, 4), "0000");
        assert_eq!(bits(4, 4), "1111");
    }
}
