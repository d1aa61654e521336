//! The one door for child processes. Every subprocess Switchboard starts is
//! created here: argv without a shell, an allow-listed environment, its own
//! process group, input written to stdin and then closed, stdout read line
//! by line with a cap, stderr kept up to a cap, and the whole group killed
//! if the handle is dropped while the child runs. What identifies the
//! group is available while it runs ([`RunningChild::process_group`]) so
//! that a restarted server can kill what a crash left behind
//! ([`kill_leftover_groups`]).

mod group;

pub use group::{Leftover, kill_leftover_groups};

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use switchboard_store::ProcessGroup;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdout};
use tokio::sync::Mutex;

/// What to run.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// The program (a name looked up on `PATH`, or a path).
    pub program: PathBuf,
    /// Arguments, passed verbatim (no shell).
    pub args: Vec<OsString>,
    /// The complete environment of the child; nothing else is inherited.
    pub env: BTreeMap<OsString, OsString>,
    /// Working directory.
    pub cwd: PathBuf,
    /// Written to stdin, which is then closed.
    pub stdin: Vec<u8>,
    /// Most bytes of stderr kept (the rest is read and dropped).
    pub stderr_cap: usize,
}

/// Why a child could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The program does not exist or is not executable.
    #[error("{program} is not installed or not executable")]
    NotFound {
        /// The program as configured.
        program: String,
    },
    /// Any other failure to start.
    #[error("cannot start {program}: {source}")]
    Io {
        /// The program as configured.
        program: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Names of variables passed to children when set in the server's environment.
pub fn allowed_env() -> BTreeMap<OsString, OsString> {
    const EXACT: &[&str] = &[
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LC_ALL",
        "TZ",
        "TMPDIR",
        "SHELL",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "DISABLE_TELEMETRY",
        "DISABLE_AUTOUPDATER",
        "API_TIMEOUT_MS",
        "NODE_EXTRA_CA_CERTS",
        "SSL_CERT_FILE",
    ];
    const PREFIXES: &[&str] = &["ANTHROPIC_", "CLAUDE_CODE_", "CLAUDE_STREAM_"];
    std::env::vars_os()
        .filter(|(name, _)| {
            name.to_str().is_some_and(|name| {
                EXACT.contains(&name) || PREFIXES.iter().any(|prefix| name.starts_with(prefix))
            })
        })
        .collect()
}

/// A running child: its stdout lines, its stderr so far, and signals to its group.
#[derive(Debug)]
pub struct RunningChild {
    child: Child,
    group: Pid,
    identity: Option<ProcessGroup>,
    /// Line reader over stdout.
    pub stdout: LineReader<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<tokio::task::JoinHandle<()>>,
    finished: bool,
}

/// Starts `spec`.
pub fn spawn(spec: ChildSpec) -> Result<RunningChild, SpawnError> {
    let program = spec.program.display().to_string();
    #[allow(clippy::disallowed_methods)] // this module is the one door
    let mut command = tokio::process::Command::new(&spec.program);
    command
        .args(&spec.args)
        .env_clear()
        .envs(&spec.env)
        .current_dir(&spec.cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            SpawnError::NotFound {
                program: program.clone(),
            }
        }
        _ => SpawnError::Io {
            program: program.clone(),
            source,
        },
    })?;
    let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) else {
        return Err(SpawnError::Io {
            program,
            source: std::io::Error::other("child exited before it could be tracked"),
        });
    };

    if let Some(mut stdin) = child.stdin.take() {
        let input = spec.stdin;
        tokio::spawn(async move {
            // A child that exits without reading its input is not our error.
            let _ = stdin.write_all(&input).await;
            let _ = stdin.shutdown().await;
        });
    }
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let stderr_reader = child.stderr.take().map(|mut pipe| {
        let kept = stderr.clone();
        let cap = spec.stderr_cap;
        tokio::spawn(async move {
            let mut chunk = [0u8; 8192];
            while let Ok(read) = pipe.read(&mut chunk).await {
                if read == 0 {
                    break;
                }
                let mut kept = kept.lock().await;
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..read.min(room)]);
            }
        })
    });
    let Some(stdout) = child.stdout.take() else {
        return Err(SpawnError::Io {
            program,
            source: std::io::Error::other("stdout not captured"),
        });
    };
    Ok(RunningChild {
        child,
        group: Pid::from_raw(pid),
        identity: group::identify(pid),
        stdout: LineReader::new(BufReader::new(stdout)),
        stderr,
        stderr_reader,
        finished: false,
    })
}

impl RunningChild {
    /// The child's process group and what identifies its leader across a
    /// pid reuse, to be recorded while it runs; `None` where `/proc` is
    /// missing.
    pub fn process_group(&self) -> Option<ProcessGroup> {
        self.identity.clone()
    }

    /// Sends `signal` to the child's whole process group.
    pub fn signal(&self, signal: Signal) {
        if self.finished {
            return;
        }
        if let Err(error) = killpg(self.group, signal) {
            tracing::debug!(group = %self.group, ?signal, %error, "signal not delivered");
        }
    }

    /// Waits for the child to exit.
    pub async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        let status = self.child.wait().await;
        self.finished = true;
        // Grandchildren (tools the CLI started) must not outlive the run.
        if let Err(error) = killpg(self.group, Signal::SIGKILL) {
            tracing::trace!(group = %self.group, %error, "group already gone");
        }
        status
    }

    /// Stops the child: each signal in turn, waiting `grace` after each,
    /// then SIGKILL. Returns the exit status.
    pub async fn stop(
        &mut self,
        signals: &[Signal],
        grace: Duration,
    ) -> std::io::Result<ExitStatus> {
        for signal in signals {
            self.signal(*signal);
            if let Ok(status) = tokio::time::timeout(grace, self.child.wait()).await {
                self.finished = true;
                let _ = killpg(self.group, Signal::SIGKILL);
                return status;
            }
        }
        self.signal(Signal::SIGKILL);
        self.wait().await
    }

    /// Stderr (lossy UTF-8), read to its end when the child has exited.
    pub async fn stderr(&mut self) -> String {
        if self.finished
            && let Some(reader) = self.stderr_reader.take()
        {
            // The pipe closes when the group is gone; a grandchild holding
            // it open must not hold us here.
            let _ = tokio::time::timeout(Duration::from_secs(1), reader).await;
        }
        String::from_utf8_lossy(&self.stderr.lock().await).into_owned()
    }
}

impl Drop for RunningChild {
    fn drop(&mut self) {
        if !self.finished {
            let _ = killpg(self.group, Signal::SIGKILL);
        }
    }
}

/// A line read from a child.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line without its terminator.
    Text(String),
    /// A line longer than the cap; its content was discarded.
    TooLong(usize),
}

/// Reads `\n`-terminated lines, never buffering more than `max_line` bytes.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    max_line: usize,
}

/// Default cap on one stdout line: the CLI emits whole tool outputs on one line.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    /// Wraps `inner` with the default cap.
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            max_line: MAX_LINE_BYTES,
        }
    }

    /// Sets the cap (for tests).
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// The next line, or `None` at end of stream.
    pub async fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        let mut line = Vec::new();
        let mut dropped = 0usize;
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                return Ok(match (line.is_empty() && dropped == 0, dropped) {
                    (true, _) => None,
                    (false, 0) => Some(Line::Text(String::from_utf8_lossy(&line).into_owned())),
                    (false, _) => Some(Line::TooLong(dropped + line.len())),
                });
            }
            let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
                Some(end) => (&available[..end], Some(end + 1)),
                None => (available, None),
            };
            if dropped > 0 || line.len() + chunk.len() > self.max_line {
                dropped += line.len() + chunk.len();
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
            let consumed = done.unwrap_or(available.len());
            self.inner.consume(consumed);
            if done.is_some() {
                if dropped > 0 {
                    return Ok(Some(Line::TooLong(dropped)));
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(Line::Text(
                    String::from_utf8_lossy(&line).into_owned(),
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_split_and_capped() {
        let input: &[u8] = b"first\r\nsecond\n0123456789abcdef\nlast";
        let mut reader = LineReader::new(BufReader::with_capacity(4, input)).with_max_line(10);
        assert_eq!(
            reader.next_line().await.unwrap(),
            Some(Line::Text("first".into()))
        );
        assert_eq!(
            reader.next_line().await.unwrap(),
            Some(Line::Text("second".into()))
        );
        assert_eq!(reader.next_line().await.unwrap(), Some(Line::TooLong(16)));
        assert_eq!(
            reader.next_line().await.unwrap(),
            Some(Line::Text("last".into()))
        );
        assert_eq!(reader.next_line().await.unwrap(), None);
    }

    fn spec(script: &str) -> ChildSpec {
        ChildSpec {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            env: [("PATH".into(), "/usr/bin:/bin".into())]
                .into_iter()
                .collect(),
            cwd: std::env::temp_dir(),
            stdin: b"hello from stdin".to_vec(),
            stderr_cap: 8,
        }
    }

    #[tokio::test]
    async fn stdin_is_delivered_and_closed_and_env_is_scrubbed() {
        // CARGO is set for the test process; the child must not see it.
        let mut child = spawn(spec(
            "cat; echo; echo ${CARGO:-scrubbed}; echo 0123456789abc >&2",
        ))
        .unwrap();
        assert_eq!(
            child.stdout.next_line().await.unwrap(),
            Some(Line::Text("hello from stdin".into()))
        );
        assert_eq!(
            child.stdout.next_line().await.unwrap(),
            Some(Line::Text("scrubbed".into()))
        );
        assert!(child.wait().await.unwrap().success());
        assert_eq!(child.stderr().await, "01234567", "stderr is capped");
    }

    #[tokio::test]
    async fn stop_escalates_to_the_whole_group() {
        // The shell ignores SIGINT and SIGTERM; its background sleep is in the group.
        let mut child = spawn(spec("trap '' INT TERM; sleep 30 & echo started; wait")).unwrap();
        assert_eq!(
            child.stdout.next_line().await.unwrap(),
            Some(Line::Text("started".into()))
        );
        let status = child
            .stop(
                &[Signal::SIGINT, Signal::SIGTERM],
                Duration::from_millis(100),
            )
            .await
            .unwrap();
        assert!(!status.success());
        // The group is gone once its orphans are reaped: signalling it fails.
        let mut gone = false;
        for _ in 0..100 {
            if killpg(child.group, None).is_err() {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gone, "the background sleep survived");
    }

    #[tokio::test]
    async fn a_missing_program_is_not_found() {
        let mut missing = spec("");
        missing.program = "/nonexistent/claude".into();
        assert!(matches!(spawn(missing), Err(SpawnError::NotFound { .. })));
    }
}
