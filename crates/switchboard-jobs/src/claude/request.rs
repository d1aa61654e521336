//! A request to run Claude, validated, and the command line it becomes.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use switchboard_core::config::ClaudeConfig;

use crate::child::ChildSpec;

/// Longest prompt, in characters (seed 001).
pub const MAX_PROMPT_CHARS: usize = 100_000;
/// Longest system prompt in bytes: it travels as one argument, and Linux
/// limits a single argument to 128 KiB.
pub const MAX_SYSTEM_PROMPT_BYTES: usize = 120 * 1024;
/// Stderr kept per process.
pub const STDERR_CAP: usize = 64 * 1024;

/// What a client asked for, as decoded from its payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecuteRequest {
    /// The prompt, sent on stdin.
    pub prompt: String,
    /// Replaces the CLI's system prompt.
    pub system_prompt: Option<String>,
    /// Model alias or id.
    pub model: Option<String>,
    /// Output token cap.
    pub max_tokens: Option<u64>,
    /// Directory to run in; must resolve inside an allowed root.
    pub working_directory: Option<String>,
    /// Run time limit, capped by configuration.
    pub timeout_ms: Option<u64>,
}

/// Why a request was refused (answered as `INVALID_PAYLOAD`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidRequest(pub String);

/// A request that passed validation, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRequest {
    /// The request as given.
    pub request: ExecuteRequest,
    /// The resolved working directory.
    pub cwd: PathBuf,
    /// The effective run time limit.
    pub timeout: Duration,
}

impl ExecuteRequest {
    /// Checks bounds and resolves the working directory.
    pub fn validate(self, config: &ClaudeConfig) -> Result<ValidRequest, InvalidRequest> {
        let invalid = |message: &str| Err(InvalidRequest(message.to_owned()));
        if self.prompt.is_empty() {
            return invalid("prompt must not be empty");
        }
        if self.prompt.chars().count() > MAX_PROMPT_CHARS {
            return invalid("prompt must be at most 100000 characters");
        }
        if let Some(system) = &self.system_prompt
            && system.len() > MAX_SYSTEM_PROMPT_BYTES
        {
            return invalid("systemPrompt is too long");
        }
        if let Some(model) = &self.model
            && (model.is_empty()
                || model.len() > 200
                || model.starts_with('-')
                || model.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return invalid("model must be a model name or id");
        }
        if self.max_tokens == Some(0) {
            return invalid("maxTokens must be a positive integer");
        }
        let timeout = match self.timeout_ms {
            Some(0) => return invalid("timeoutMs must be a positive integer"),
            Some(ms) => Duration::from_millis(ms).min(config.timeout),
            None => config.timeout,
        };
        let cwd =
            resolve_working_directory(self.working_directory.as_deref(), &config.allowed_roots)?;
        Ok(ValidRequest {
            request: self,
            cwd,
            timeout,
        })
    }
}

/// Resolves `requested` (absolute, or relative to the first root) and checks
/// that it lies inside one of `roots` after following symlinks.
fn resolve_working_directory(
    requested: Option<&str>,
    roots: &[PathBuf],
) -> Result<PathBuf, InvalidRequest> {
    let refuse = |message: &str| InvalidRequest(format!("workingDirectory {message}"));
    let Some(first_root) = roots.first() else {
        return Err(refuse("is not allowed: no roots are configured"));
    };
    let Some(requested) = requested else {
        // The default is the first root, created on demand.
        std::fs::create_dir_all(first_root)
            .map_err(|_| refuse("default root cannot be created"))?;
        return first_root
            .canonicalize()
            .map_err(|_| refuse("default root cannot be resolved"));
    };
    let path = Path::new(requested);
    if requested.is_empty() || path.components().any(|part| part == Component::ParentDir) {
        return Err(refuse("must not contain '..'"));
    }
    let candidate = if path.is_absolute() {
        path.to_owned()
    } else {
        first_root.join(path)
    };
    let resolved = candidate
        .canonicalize()
        .map_err(|_| refuse("does not exist"))?;
    if !resolved.is_dir() {
        return Err(refuse("is not a directory"));
    }
    let inside = roots
        .iter()
        .filter_map(|root| root.canonicalize().ok())
        .any(|root| resolved.starts_with(root));
    if inside {
        Ok(resolved)
    } else {
        Err(refuse("is outside the allowed roots"))
    }
}

impl ValidRequest {
    /// The child to start: stream-json with partial messages, the prompt on
    /// stdin, flags in `--flag=value` form so no value is read as a flag.
    pub fn child_spec(
        &self,
        config: &ClaudeConfig,
        base_env: BTreeMap<OsString, OsString>,
    ) -> ChildSpec {
        let mut args: Vec<OsString> = [
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--include-partial-messages",
            "--no-session-persistence",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        if let Some(model) = &self.request.model {
            args.push(format!("--model={model}").into());
        }
        if let Some(system) = &self.request.system_prompt {
            args.push(format!("--system-prompt={system}").into());
        }
        let mut env = base_env;
        if let Some(max_tokens) = self.request.max_tokens {
            env.insert(
                "CLAUDE_CODE_MAX_OUTPUT_TOKENS".into(),
                max_tokens.to_string().into(),
            );
        }
        ChildSpec {
            program: config.command.clone(),
            args,
            env,
            cwd: self.cwd.clone(),
            stdin: self.request.prompt.as_bytes().to_vec(),
            stderr_cap: STDERR_CAP,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::Config;
    use switchboard_core::config::Layer;

    fn config(root: &Path) -> ClaudeConfig {
        let mut config = Config::from_layer(Layer::default()).unwrap().claude;
        config.allowed_roots = vec![root.to_owned()];
        config
    }

    fn request(prompt: &str) -> ExecuteRequest {
        ExecuteRequest {
            prompt: prompt.into(),
            ..ExecuteRequest::default()
        }
    }

    #[test]
    fn prompt_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        assert!(request("").validate(&config).is_err());
        assert!(
            request(" ").validate(&config).is_ok(),
            "1..100000 characters, any"
        );
        assert!(request(&"é".repeat(100_000)).validate(&config).is_ok());
        assert!(request(&"x".repeat(100_001)).validate(&config).is_err());
    }

    #[test]
    fn working_directory_stays_inside_roots() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("project")).unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("escape")).unwrap();
        let config = config(&root);
        let with = |dir: &str| ExecuteRequest {
            working_directory: Some(dir.into()),
            ..request("hi")
        };
        let ok = with("project").validate(&config).unwrap();
        assert_eq!(ok.cwd, root.join("project").canonicalize().unwrap());
        let absolute = root.join("project").display().to_string();
        assert!(with(&absolute).validate(&config).is_ok());
        for bad in ["../outside", "project/../..", "escape", "missing", "/etc"] {
            assert!(with(bad).validate(&config).is_err(), "{bad} accepted");
        }
        assert_eq!(
            request("hi").validate(&config).unwrap().cwd,
            root.canonicalize().unwrap()
        );
    }

    #[test]
    fn timeout_is_capped_and_flags_cannot_inject() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        let long = ExecuteRequest {
            timeout_ms: Some(10 * 60 * 60 * 1000),
            ..request("hi")
        };
        assert_eq!(long.validate(&config).unwrap().timeout, config.timeout);
        let flag = ExecuteRequest {
            model: Some("--dangerously-skip-permissions".into()),
            ..request("hi")
        };
        assert!(flag.validate(&config).is_err());

        let valid = ExecuteRequest {
            model: Some("sonnet".into()),
            system_prompt: Some("--be brief".into()),
            max_tokens: Some(100),
            ..request("--help me")
        }
        .validate(&config)
        .unwrap();
        let spec = valid.child_spec(&config, BTreeMap::new());
        assert!(spec.args.contains(&OsString::from("--model=sonnet")));
        assert!(
            spec.args
                .contains(&OsString::from("--system-prompt=--be brief"))
        );
        assert!(
            !spec.args.iter().any(|arg| arg == "--help me"),
            "the prompt is not an argument"
        );
        assert_eq!(spec.stdin, b"--help me");
        assert_eq!(
            spec.env
                .get(&OsString::from("CLAUDE_CODE_MAX_OUTPUT_TOKENS")),
            Some(&OsString::from("100"))
        );
    }
}
