//! How numbers print: thousands grouped, precision by magnitude, and a
//! spread as one table cell.

use super::stats::Spread;

/// A number as people read it: thousands separated, a sensible precision.
pub fn human(value: f64) -> String {
    if value.abs() >= 100.0 {
        let whole = value.round() as i64;
        let digits = whole.abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if whole < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

pub(super) fn cell(spread: Option<Spread>, unit: &str) -> String {
    match spread {
        None => "—".to_owned(),
        Some(s) if s.min == s.max => format!("{} {unit}", human(s.median)),
        Some(s) => format!(
            "{} {unit} ({}–{})",
            human(s.median),
            human(s.min),
            human(s.max)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn numbers_read_well() {
        assert_eq!(human(1_234_567.4), "1,234,567");
        assert_eq!(human(-1234.0), "-1,234");
        assert_eq!(human(12.345), "12.3");
        assert_eq!(human(0.4567), "0.46");
    }
}
