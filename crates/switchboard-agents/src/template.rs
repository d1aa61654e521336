//! Prompt templates: text with `{{input.x}}`, `{{input}}` and
//! `{{steps.<id>.output}}` placeholders, parsed once when a definition is
//! saved so a bad placeholder is refused then, not mid-run.

use std::collections::HashMap;

use serde_json::Value;

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `{{input}}` (empty path) or `{{input.a.b}}`.
    Input(Vec<String>),
    /// `{{steps.<id>.output}}`.
    StepOutput(String),
}

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{` without a closing `}}`.
    #[error("unclosed `{{{{` at byte {0}")]
    Unclosed(usize),
    /// A placeholder that names nothing this runtime knows.
    #[error("unknown placeholder `{{{{{0}}}}}`: use input, input.<field> or steps.<id>.output")]
    Unknown(String),
}

impl Template {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or(TemplateError::Unclosed(offset + open))?;
            parts.push(placeholder(after[..close].trim())?);
            offset += open + 2 + close + 2;
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// The steps whose outputs this template reads.
    pub fn step_references(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::StepOutput(id) => Some(id.as_str()),
            _ => None,
        })
    }

    /// Fills the placeholders. Missing input fields render empty; strings
    /// render bare, other JSON values as JSON.
    pub fn render(&self, input: &Value, outputs: &HashMap<String, Value>) -> String {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Text(literal) => text.push_str(literal),
                Part::Input(path) => {
                    let value = path.iter().try_fold(input, |value, key| value.get(key));
                    push_value(&mut text, value);
                }
                Part::StepOutput(id) => push_value(&mut text, outputs.get(id)),
            }
        }
        text
    }
}

fn placeholder(inner: &str) -> Result<Part, TemplateError> {
    let unknown = || TemplateError::Unknown(inner.to_owned());
    let segments: Vec<&str> = inner.split('.').collect();
    let valid = |segment: &&str| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !segments.iter().all(valid) {
        return Err(unknown());
    }
    match segments.as_slice() {
        ["input", path @ ..] => Ok(Part::Input(
            path.iter().map(|segment| (*segment).to_owned()).collect(),
        )),
        ["steps", id, "output"] => Ok(Part::StepOutput((*id).to_owned())),
        _ => Err(unknown()),
    }
}

fn push_value(text: &mut String, value: Option<&Value>) {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => text.push_str(s),
        Some(other) => text.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_inputs_and_step_outputs() {
        let template =
            Template::parse("Write about {{ input.topic }} for {{input.reader.name}}: {{steps.research.output}} {{input.n}}")
                .expect("valid");
        assert_eq!(template.step_references().collect::<Vec<_>>(), ["research"]);
        let outputs = HashMap::from([("research".to_owned(), json!("facts"))]);
        let input = json!({"topic": "tides", "reader": {"name": "Ann"}, "n": 3});
        assert_eq!(
            template.render(&input, &outputs),
            "Write about tides for Ann: facts 3"
        );
        assert_eq!(
            Template::parse("{{input}}")
                .expect("valid")
                .render(&json!({"a": 1}), &outputs),
            r#"{"a":1}"#
        );
        assert_eq!(
            Template::parse("[{{input.missing}}]")
                .expect("valid")
                .render(&json!({}), &outputs),
            "[]"
        );
    }

    #[test]
    fn refuses_bad_placeholders() {
        assert_eq!(
            Template::parse("a {{input"),
            Err(TemplateError::Unclosed(2))
        );
        assert!(matches!(
            Template::parse("{{ env.HOME }}"),
            Err(TemplateError::Unknown(p)) if p == "env.HOME"
        ));
        assert!(Template::parse("{{steps.a}}").is_err());
        assert!(Template::parse("{{steps.a.output.x}}").is_err());
        assert!(Template::parse("{{input..x}}").is_err());
        assert!(Template::parse("no placeholders").is_ok());
    }
}
