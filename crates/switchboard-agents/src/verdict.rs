//! Structured answers from models that may not comply: the critic's scores
//! and the judge's consensus verdict. Models wrap JSON in prose or code
//! fences, or answer in prose alone; each reader tries JSON first, then
//! falls back to what can be read from the text, and never fails.

use std::collections::BTreeMap;

use serde_json::Value;

/// A critic's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Critique {
    /// Score per criterion, 0..=10; a criterion the critic skipped scores 0.
    pub scores: BTreeMap<String, f64>,
    /// What to improve.
    pub feedback: String,
    /// Whether the scores came from JSON (false: read from prose).
    pub structured: bool,
}

impl Critique {
    /// The mean score.
    pub fn average(&self) -> f64 {
        if self.scores.is_empty() {
            return 0.0;
        }
        self.scores.values().sum::<f64>() / self.scores.len() as f64
    }

    /// Whether every criterion reaches `threshold`.
    pub fn passes(&self, threshold: f64) -> bool {
        !self.scores.is_empty() && self.scores.values().all(|score| *score >= threshold)
    }
}

/// Reads a critic's answer for `criteria`.
pub fn read_critique(text: &str, criteria: &[String]) -> Critique {
    if let Some(json) = first_json_object(text) {
        let scores_value = json.get("scores").unwrap_or(&json);
        let mut scores = BTreeMap::new();
        for criterion in criteria {
            let score = lookup(scores_value, criterion).and_then(number);
            scores.insert(criterion.clone(), score.map_or(0.0, clamp));
        }
        let found = criteria
            .iter()
            .any(|criterion| lookup(scores_value, criterion).and_then(number).is_some());
        if found {
            let feedback = ["feedback", "comments", "issues", "suggestions"]
                .iter()
                .find_map(|key| json.get(*key))
                .map(|value| match value {
                    Value::String(s) => s.clone(),
                    Value::Array(items) => items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map_or_else(|| item.to_string(), str::to_owned)
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            return Critique {
                scores,
                feedback,
                structured: true,
            };
        }
    }
    // Prose: "Clarity: 7/10", "accuracy - 8".
    let lower = text.to_ascii_lowercase();
    let scores = criteria
        .iter()
        .map(|criterion| {
            let score = lower
                .find(&criterion.to_ascii_lowercase())
                .and_then(|at| leading_number(&lower[at + criterion.len()..]))
                .map_or(0.0, clamp);
            (criterion.clone(), score)
        })
        .collect();
    Critique {
        scores,
        feedback: text.trim().to_owned(),
        structured: false,
    }
}

/// A judge's consensus verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether the participants agree.
    pub consensus: bool,
    /// The judge's confidence, 0..=1, when given.
    pub confidence: Option<f64>,
    /// The judge's reasoning.
    pub summary: String,
}

/// Reads a judge's answer; unreadable answers count as no consensus.
pub fn read_verdict(text: &str) -> Verdict {
    if let Some(json) = first_json_object(text)
        && let Some(consensus) = json
            .get("consensus")
            .or_else(|| json.get("consensusReached"))
            .and_then(|value| match value {
                Value::Bool(b) => Some(*b),
                Value::String(s) => {
                    Some(s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("yes"))
                }
                _ => None,
            })
    {
        return Verdict {
            consensus,
            confidence: json.get("confidence").and_then(number),
            summary: ["summary", "reason", "reasoning"]
                .iter()
                .find_map(|key| json.get(*key).and_then(Value::as_str))
                .unwrap_or_default()
                .to_owned(),
        };
    }
    let lower = text.to_ascii_lowercase();
    let consensus = lower.contains("consensus: yes")
        || lower.contains("consensus reached")
        || (lower.contains("consensus")
            && !lower.contains("no consensus")
            && !lower.contains("not"));
    Verdict {
        consensus,
        confidence: None,
        summary: text.trim().to_owned(),
    }
}

/// The first `{...}` in `text` that parses as a JSON object (code fences and prose around it ignored).
fn first_json_object(text: &str) -> Option<Value> {
    let mut from = 0;
    while let Some(start) = text[from..].find('{').map(|i| i + from) {
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        for (i, c) in text[start..].char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '{' if !in_string => depth += 1,
                '}' if !in_string => {
                    depth -= 1;
                    if depth == 0 {
                        if let Ok(value @ Value::Object(_)) =
                            serde_json::from_str(&text[start..=start + i])
                        {
                            return Some(value);
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
        from = start + 1;
    }
    None
}

/// A key looked up exactly, then case-insensitively; arrays of `{criterion, score}` too.
fn lookup<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(key).or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        }),
        Value::Array(items) => items.iter().find_map(|item| {
            let name = item
                .get("criterion")
                .or_else(|| item.get("name"))
                .and_then(Value::as_str)?;
            name.eq_ignore_ascii_case(key)
                .then(|| item.get("score"))
                .flatten()
        }),
        _ => None,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().split('/').next()?.trim().parse().ok(),
        Value::Object(_) => value.get("score").and_then(number),
        _ => None,
    }
}

fn leading_number(text: &str) -> Option<f64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    // Only a number close to the criterion's name belongs to it.
    if text[..start].chars().any(char::is_alphabetic) || start > 12 {
        return None;
    }
    let digits: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.trim_end_matches('.').parse().ok()
}

fn clamp(score: f64) -> f64 {
    if score.is_finite() {
        score.clamp(0.0, 10.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criteria() -> Vec<String> {
        vec!["clarity".into(), "accuracy".into()]
    }

    #[test]
    fn reads_json_in_fences_and_prose() {
        let critique = read_critique(
            "Here you go:\n```json\n{\"scores\": {\"Clarity\": 8, \"accuracy\": \"6/10\"}, \"feedback\": \"Cite sources.\"}\n```",
            &criteria(),
        );
        assert!(critique.structured);
        assert_eq!(critique.scores["clarity"], 8.0);
        assert_eq!(critique.scores["accuracy"], 6.0);
        assert_eq!(critique.feedback, "Cite sources.");
        assert_eq!(critique.average(), 7.0);
        assert!(critique.passes(6.0) && !critique.passes(7.0));

        let array = read_critique(
            r#"{"scores": [{"criterion": "clarity", "score": 9}, {"criterion": "accuracy", "score": 9}], "issues": ["a", "b"]}"#,
            &criteria(),
        );
        assert!(array.passes(9.0));
        assert_eq!(array.feedback, "a\nb");
    }

    #[test]
    fn survives_non_compliant_critics() {
        let prose = read_critique("Clarity: 7/10. Accuracy - 4. Needs work.", &criteria());
        assert!(!prose.structured);
        assert_eq!(prose.scores["clarity"], 7.0);
        assert_eq!(prose.scores["accuracy"], 4.0);
        let nothing = read_critique("I refuse to grade this {not json}", &criteria());
        assert_eq!(nothing.scores["clarity"], 0.0);
        assert!(!nothing.passes(1.0));
        let out_of_range = read_critique(r#"{"clarity": 42, "accuracy": -3}"#, &criteria());
        assert_eq!(out_of_range.scores["clarity"], 10.0);
        assert_eq!(out_of_range.scores["accuracy"], 0.0);
    }

    #[test]
    fn reads_verdicts() {
        let yes = read_verdict(
            "```{\"consensus\": true, \"confidence\": 0.9, \"summary\": \"All agree.\"}```",
        );
        assert!(yes.consensus);
        assert_eq!(yes.confidence, Some(0.9));
        assert!(!read_verdict(r#"{"consensus": false}"#).consensus);
        assert!(read_verdict("Consensus reached on option B.").consensus);
        assert!(!read_verdict("There is no consensus yet.").consensus);
        assert!(!read_verdict("gibberish").consensus);
    }
}
