//! Role prompts: the built-in ones, extended or replaced by configuration.

use std::collections::BTreeMap;

/// The built-in roles (SPEC §6).
const BUILT_IN: &[(&str, &str)] = &[
    (
        "researcher",
        "You are a researcher. Gather the relevant facts, sources and open questions for the task. Be precise and note uncertainty.",
    ),
    (
        "writer",
        "You are a writer. Turn the material you are given into clear, well-structured prose for the intended audience.",
    ),
    (
        "reviewer",
        "You are a reviewer. Check the work you are given for errors, gaps and unclear passages, and return an improved version with a short list of changes.",
    ),
    (
        "architect",
        "You are a software architect. Weigh structure, interfaces, trade-offs and long-term maintainability.",
    ),
    (
        "developer",
        "You are a software developer. Focus on a concrete, working implementation and its practical difficulties.",
    ),
    (
        "qa",
        "You are a QA engineer. Look for failure modes, edge cases and how the result will be tested.",
    ),
    (
        "critic",
        "You are a demanding critic. Score work strictly against the given criteria and give specific, actionable feedback.",
    ),
    (
        "moderator",
        "You are a neutral moderator. Summarise positions fairly, judge whether participants agree, and synthesise a conclusion.",
    ),
];

/// Role name → system prompt.
#[derive(Debug, Clone)]
pub struct Roles {
    prompts: BTreeMap<String, String>,
}

impl Roles {
    /// The built-in roles with `configured` added (replacing same names).
    pub fn new(configured: &BTreeMap<String, String>) -> Self {
        let mut prompts: BTreeMap<String, String> = BUILT_IN
            .iter()
            .map(|(role, prompt)| ((*role).to_owned(), (*prompt).to_owned()))
            .collect();
        prompts.extend(
            configured
                .iter()
                .map(|(role, prompt)| (role.to_ascii_lowercase(), prompt.clone())),
        );
        Roles { prompts }
    }

    /// The prompt of `role`; unknown roles get a generic one naming them,
    /// so a client may use any role the model can play.
    pub fn prompt(&self, role: &str) -> String {
        self.prompts
            .get(&role.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| {
                format!("You are acting as the {role}. Contribute from that perspective.")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_extends_and_overrides() {
        let roles = Roles::new(&BTreeMap::from([
            ("Poet".to_owned(), "You write verse.".to_owned()),
            ("critic".to_owned(), "Be kind.".to_owned()),
        ]));
        assert_eq!(roles.prompt("poet"), "You write verse.");
        assert_eq!(roles.prompt("critic"), "Be kind.");
        assert!(
            roles
                .prompt("researcher")
                .starts_with("You are a researcher")
        );
        assert!(roles.prompt("sommelier").contains("sommelier"));
    }
}
