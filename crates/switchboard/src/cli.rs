//! The command line: `serve`, `token`, `config`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use switchboard_core::config::Layer;

/// Switchboard: a real-time server for AI-agent platforms.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about)]
pub struct Cli {
    /// Configuration file (default: ./switchboard.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Print a JWT signed with the configured key.
    Token(TokenArgs),
    /// Print the effective configuration, secrets masked.
    Config,
    /// Work with Strudel patterns offline.
    #[command(subcommand)]
    Strudel(StrudelCommand),
    /// Render Strudel code to a 16-bit stereo WAV file.
    Render(RenderArgs),
}

/// Flags of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Strudel code, e.g. 's("bd sd, hh*4").gain(0.8)'.
    pub code: String,
    /// Where to write the WAV file.
    #[arg(short, long, default_value = "out.wav")]
    pub output: PathBuf,
    /// Seconds of audio.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Frames per second.
    #[arg(long, default_value_t = 44_100)]
    pub sample_rate: u32,
}

/// `switchboard strudel ...`.
#[derive(Debug, Subcommand)]
pub enum StrudelCommand {
    /// Print the events (haps) of a span as JSON lines:
    /// `{"whole":[b,e]|null,"part":[b,e],"value":{...}}` with exact `"n/d"` times.
    Events(EventsArgs),
}

/// Flags of `strudel events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Start of the span, in cycles.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub from: f64,
    /// End of the span, in cycles.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub to: f64,
    /// Only events that start inside the span (the ones that sound).
    #[arg(long)]
    pub onsets: bool,
    /// Strudel code, e.g. 's("bd sd").gain(0.8)'.
    pub code: String,
}

/// Flags of `serve`; each overrides the file and the environment.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one) [default: 3000].
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to bind [default: 127.0.0.1].
    #[arg(long)]
    pub host: Option<String>,
    /// Directory for embedded state [default: ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (sqlite://PATH).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Redis URL: cluster mode (Redis Socket.IO adapter, shared rate limits).
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
    /// Base of the URLs handed out, e.g. https://cdn.example/sb [default: from the request's Host].
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

impl ServeArgs {
    /// The flags as the top configuration layer.
    pub fn layer(&self) -> Layer {
        Layer {
            port: self.port,
            host: self.host.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            redis_url: self.redis_url.clone(),
            public_url: self.public_url.clone(),
            ..Layer::default()
        }
    }
}

/// Flags of `token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The user id (`sub` claim).
    #[arg(long)]
    pub sub: String,
    /// The `email` claim.
    #[arg(long)]
    pub email: Option<String>,
    /// A role (repeatable), e.g. `admin`.
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    /// A project name or `*` (repeatable).
    #[arg(long = "project", value_name = "PROJECT")]
    pub projects: Vec<String>,
    /// Lifetime, e.g. `30m`, `1h`, `7d`.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub ttl: Duration,
}
