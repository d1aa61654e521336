//! The servers a suite measures, each started fresh for one scenario run
//! on a free loopback port with its own scratch directory, and killed after.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// This project's binary, `switchboard serve`.
    Switchboard,
    /// The hand-written Node socket.io reference server.
    Node,
}

impl Kind {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Switchboard => "switchboard",
            Kind::Node => "node",
        }
    }
}

/// How to start the servers, and the credentials they share with the clients.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The `switchboard` binary.
    pub switchboard: PathBuf,
    /// The reference server's script (`server.mjs`); `None` measures Switchboard alone.
    pub node_server: Option<PathBuf>,
    /// The JWT secret of both servers.
    pub secret: String,
    /// The publish API key of both servers.
    pub api_key: String,
}

/// Why a server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Spawning or preparing files failed.
    #[error("starting {0}: {1}")]
    Spawn(&'static str, std::io::Error),
    /// It did not answer `/healthz` in time; its log says why.
    #[error("{0} did not become ready; log: {1}")]
    NotReady(&'static str, String),
}

/// A running server.
pub struct Server {
    /// Which one.
    pub kind: Kind,
    /// Its base URL.
    pub url: String,
    /// Its process id.
    pub pid: u32,
    child: Child,
    scratch: tempfile::TempDir,
}

const READY_TIMEOUT: Duration = Duration::from_secs(30);

impl Launcher {
    /// Starts `kind` and waits until `/healthz` answers.
    pub async fn start(&self, kind: Kind) -> Result<Server, ServerError> {
        let fail = |error| ServerError::Spawn(kind.name(), error);
        let scratch = tempfile::tempdir().map_err(fail)?;
        let port = free_port().map_err(fail)?;
        let log = std::fs::File::create(scratch.path().join("server.log")).map_err(fail)?;
        let mut command = match kind {
            Kind::Switchboard => self
                .switchboard_command(scratch.path(), port)
                .map_err(fail)?,
            Kind::Node => {
                let script = self
                    .node_server
                    .as_deref()
                    .ok_or_else(|| fail(std::io::Error::other("no reference server given")))?;
                let mut command = command("node");
                command
                    .arg(script)
                    .env("PORT", port.to_string())
                    .env("JWT_SECRET", &self.secret)
                    .env("API_KEY", &self.api_key)
                    .env("NODE_ENV", "production");
                command
            }
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(fail)?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(fail)?;
        let pid = child
            .id()
            .ok_or_else(|| fail(std::io::Error::other("exited at once")))?;
        let server = Server {
            kind,
            url: format!("http://127.0.0.1:{port}"),
            pid,
            child,
            scratch,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    fn switchboard_command(&self, scratch: &Path, port: u16) -> std::io::Result<Command> {
        let claude = scratch.join("claude");
        std::fs::write(
            &claude,
            format!(
                "#!/bin/sh\nexec '{}' fake-claude \"$@\"\n",
                std::env::current_exe()?.display()
            ),
        )?;
        let mut permissions = std::fs::metadata(&claude)?.permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&claude, permissions)?;
        let mut command = command(&self.switchboard);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SWITCHBOARD_") {
                command.env_remove(name);
            }
        }
        command
            .arg("serve")
            .current_dir(scratch)
            .env("RUST_LOG", "warn")
            .env("SWITCHBOARD_HOST", "127.0.0.1")
            .env("SWITCHBOARD_PORT", port.to_string())
            .env("SWITCHBOARD_DATA_DIR", scratch.join("data"))
            .env("SWITCHBOARD_JWT_SECRET", &self.secret)
            .env("SWITCHBOARD_API_KEYS", &self.api_key)
            .env("SWITCHBOARD_CLAUDE_COMMAND", &claude)
            .env("SWITCHBOARD_CLAUDE_MAX_CONCURRENT", "16")
            .env("SWITCHBOARD_CLAUDE_MAX_PER_USER", "4");
        Ok(command)
    }
}

impl Server {
    async fn wait_ready(&self) -> Result<(), ServerError> {
        let http = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < READY_TIMEOUT {
            if let Ok(response) = http.get(format!("{}/healthz", self.url)).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(ServerError::NotReady(self.kind.name(), self.log()))
    }

    /// What the server wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.scratch.path().join("server.log")).unwrap_or_default()
    }

    /// Kills the server and removes its scratch directory.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A command for `program`: the generator's one door for child processes
/// (the servers it measures and the version probes).
#[allow(clippy::disallowed_methods)] // this function is the one door
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    Command::new(program)
}

/// A port free on loopback right now.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
