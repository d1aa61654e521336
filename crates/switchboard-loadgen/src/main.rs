//! `switchboard-loadgen`: drives a Socket.IO server on loopback with many
//! websocket clients and prints what it measured, one JSON line per run.
//! `suite` compares Switchboard with the Node reference server and writes
//! the report; `fake-claude` is the CLI stand-in the stream scenario runs.

mod client;
mod fake_claude;
mod measure;
mod packet;
mod report;
mod scenario;
mod server;
mod suite;
mod target;
mod token;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::scenario::Bench;
use crate::server::Launcher;
use crate::suite::{Plan, Scenario};

#[derive(Parser)]
#[command(
    version,
    about = "Socket.IO load generator for Switchboard (loopback only)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs one scenario against a running server.
    Run(RunArgs),
    /// Compares Switchboard and the Node reference server and writes the report.
    Suite(SuiteArgs),
    /// Behaves like the Claude CLI, streaming deltas fast (used by `stream`).
    FakeClaude {
        /// The CLI flags Switchboard passes; ignored.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        ignored: Vec<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ScenarioArg {
    Idle,
    Fanout,
    Ack,
    Handshake,
    Stream,
}

impl From<ScenarioArg> for Scenario {
    fn from(arg: ScenarioArg) -> Self {
        match arg {
            ScenarioArg::Idle => Scenario::Idle,
            ScenarioArg::Fanout => Scenario::Fanout,
            ScenarioArg::Ack => Scenario::Ack,
            ScenarioArg::Handshake => Scenario::Handshake,
            ScenarioArg::Stream => Scenario::Stream,
        }
    }
}

#[derive(Args)]
struct RunArgs {
    /// The scenario.
    scenario: ScenarioArg,
    /// The server, a loopback URL.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The server's HS256 secret, to mint client tokens.
    #[arg(long, env = "LOADGEN_JWT_SECRET")]
    jwt_secret: String,
    /// A publish API key of the server.
    #[arg(long, env = "LOADGEN_API_KEY", default_value = "")]
    api_key: String,
    /// The server's process id (memory and CPU readings; needed by `idle`).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Use the tiny sizes of the smoke run.
    #[arg(long)]
    smoke: bool,
    /// Clients (fan-out, ack) or the largest idle level.
    #[arg(long)]
    clients: Option<usize>,
    /// Seconds of load (fan-out, ack, handshake).
    #[arg(long)]
    seconds: Option<f64>,
    /// Requests per second (ack).
    #[arg(long)]
    rate: Option<u32>,
}

#[derive(Args)]
struct SuiteArgs {
    /// The `switchboard` binary to measure.
    #[arg(long)]
    switchboard: PathBuf,
    /// The Node reference server's `server.mjs`; without it only Switchboard runs.
    #[arg(long)]
    node_server: Option<PathBuf>,
    /// Tiny sizes: checks every scenario works, in seconds.
    #[arg(long)]
    smoke: bool,
    /// Repeats of every scenario (default 3, or 1 with --smoke).
    #[arg(long)]
    repeats: Option<usize>,
    /// Only these scenarios (default: all).
    #[arg(long, value_delimiter = ',')]
    only: Vec<ScenarioArg>,
    /// The document whose generated part is rewritten.
    #[arg(long)]
    doc: Option<PathBuf>,
    /// Where the raw JSON lines go.
    #[arg(long)]
    results: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::FakeClaude { .. } = cli.command {
        return match fake_claude::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("fake-claude: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run(args).await,
            Command::Suite(args) => run_suite(args).await,
            Command::FakeClaude { .. } => Ok(()),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("switchboard-loadgen: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: RunArgs) -> Result<(), String> {
    let target = target::Target::parse(&args.url).map_err(|error| error.to_string())?;
    let mut plan = if args.smoke {
        Plan::smoke()
    } else {
        Plan::full(max_connections())
    };
    if let Some(clients) = args.clients {
        plan.fanout.clients = clients;
        plan.ack.clients = clients;
        plan.idle.levels.retain(|&level| level < clients);
        plan.idle.levels.push(clients);
    }
    if let Some(seconds) = args.seconds {
        let duration = Duration::from_secs_f64(seconds.max(0.1));
        plan.fanout.duration = duration;
        plan.ack.duration = duration;
        plan.handshake.duration = duration;
    }
    if let Some(rate) = args.rate {
        plan.ack.rate = rate;
    }
    let bench = Bench {
        target: Arc::new(target),
        minter: token::Minter::new(&args.jwt_secret),
        api_key: args.api_key,
        server_pid: args.server_pid,
    };
    let scenario = Scenario::from(args.scenario);
    let report = suite::run_scenario(&bench, &plan, scenario)
        .await
        .map_err(|error| error.to_string())?;
    println!(
        "{}",
        serde_json::json!({ "scenario": scenario, "result": report })
    );
    Ok(())
}

/// Connections a scenario may open: the open-file limit, less room for the
/// generator's own files.
fn max_connections() -> usize {
    measure::open_file_limit().map_or(1_000, |limit| limit.saturating_sub(1_000) as usize)
}

async fn run_suite(args: SuiteArgs) -> Result<(), String> {
    let absolute = |path: &Path| {
        std::fs::canonicalize(path).map_err(|error| format!("{}: {error}", path.display()))
    };
    let launcher = Launcher {
        switchboard: absolute(&args.switchboard)?,
        node_server: args.node_server.as_deref().map(absolute).transpose()?,
        secret: format!("loadgen-{}", std::process::id()),
        api_key: "loadgen-publish-key".to_owned(),
    };
    let mut plan = if args.smoke {
        Plan::smoke()
    } else {
        Plan::full(max_connections())
    };
    if let Some(repeats) = args.repeats {
        plan.repeats = repeats.max(1);
    }
    if !args.only.is_empty() {
        plan.scenarios = args.only.iter().copied().map(Scenario::from).collect();
    }
    let records = suite::run(&launcher, &plan).await;
    if let Some(path) = &args.results {
        let lines: String = records
            .iter()
            .map(|record| format!("{}\n", serde_json::to_string(record).unwrap_or_default()))
            .collect();
        write(path, &lines)?;
    }
    if let Some(doc) = &args.doc {
        let chart_name = "bench-chart.svg";
        let chart_path = doc.with_file_name(chart_name);
        write(&chart_path, &report::chart(&records))?;
        let context = report::Context {
            machine: machine(),
            versions: versions(&args.switchboard, args.node_server.as_deref()).await,
            date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
            repeats: plan.repeats,
        };
        let existing = std::fs::read_to_string(doc).unwrap_or_else(|_| "# Benchmarks\n".to_owned());
        write(
            doc,
            &report::splice(&existing, &report::markdown(&records, &context, chart_name)),
        )?;
        for target in report::targets(&records) {
            eprintln!(
                "target: {} — {} — met: {:?}",
                target.name, target.measured, target.met
            );
        }
    }
    let failed = records.iter().filter(|record| record.failed()).count();
    if failed > 0 {
        return Err(format!("{failed} of {} runs failed", records.len()));
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| format!("{}: {error}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|error| format!("{}: {error}", path.display()))
}

/// The machine in one line, from `/proc`.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} × {model}, {memory_gib:.0} GiB, Linux {}",
        kernel.trim()
    )
}

/// The versions of both servers and the runtime.
async fn versions(switchboard: &Path, node_server: Option<&Path>) -> String {
    let output = |program: &Path, arg: &str| {
        let program = program.to_owned();
        let arg = arg.to_owned();
        async move {
            server::command(program)
                .arg(arg)
                .output()
                .await
                .ok()
                .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
                .unwrap_or_default()
        }
    };
    let mut parts = vec![format!(
        "{} (release build)",
        output(switchboard, "--version").await
    )];
    if let Some(script) = node_server {
        let node = output(Path::new("node"), "--version").await;
        let socket_io = script
            .parent()
            .map(|dir| dir.join("node_modules/socket.io/package.json"))
            .and_then(|path| std::fs::read_to_string(path).ok())
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|package| package["version"].as_str().map(str::to_owned))
            .unwrap_or_default();
        parts.push(format!("Node {node} with socket.io {socket_io}"));
    }
    parts.join(", ")
}
