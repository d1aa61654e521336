//! The `switchboard` binary: parse the command line, load the configuration,
//! and hand over to the gateway. Everything else lives in the library crates.

mod cli;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use switchboard_core::Config;
use switchboard_core::config::{Layer, LogFormat};
use switchboard_core::token::{Keys, TokenRequest};
use switchboard_gateway::App;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command, EventsArgs, RenderArgs, ServeArgs, StrudelCommand, TokenArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(cli.config.as_deref(), &args),
        Command::Token(args) => token(cli.config.as_deref(), &args),
        Command::Config => Config::load(cli.config.as_deref(), Layer::default())
            .map(|config| print!("{}", config.to_masked_toml()))
            .map_err(Into::into),
        Command::Strudel(StrudelCommand::Events(args)) => strudel_events(&args),
        Command::Render(args) => render(cli.config.as_deref(), &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("switchboard: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config_file: Option<&std::path::Path>, args: &ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(config_file, args.layer())?;
    init_logging(config.log.format);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let address = (config.server.host, config.server.port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("binding {}:{}", address.0, address.1))?;
        let app = App::build(config).await?;
        app.serve(listener, shutdown_signal()).await
    })
}

/// Prints the haps of a span; on an error prints `{"error": ...}` and fails.
fn strudel_events(args: &EventsArgs) -> anyhow::Result<()> {
    use std::io::Write as _;
    use switchboard_strudel::{Frac, haps};
    let span = Frac::from_f64(args.from).zip(Frac::from_f64(args.to));
    let Some((from, to)) = span.filter(|(from, to)| from <= to) else {
        anyhow::bail!("--from and --to must be finite with from <= to");
    };
    let program = match switchboard_strudel::evaluate(&args.code) {
        Ok(program) => program,
        Err(error) => {
            println!("{}", serde_json::json!({ "error": error.to_string() }));
            return Err(error.into());
        }
    };
    let haps = match haps::query(&program.pattern, from, to, args.onsets) {
        Ok(haps) => haps,
        Err(error) => {
            println!("{}", serde_json::json!({ "error": error.to_string() }));
            return Err(error.into());
        }
    };
    let mut out = std::io::stdout().lock();
    for hap in haps {
        writeln!(out, "{}", haps::to_json(&hap))?;
    }
    Ok(())
}

/// Renders code to a WAV file with a progress bar on stderr, within the
/// configured limits (`strudel_max_duration_s`, `strudel_max_events`).
fn render(config_file: Option<&std::path::Path>, args: &RenderArgs) -> anyhow::Result<()> {
    use switchboard_strudel::render::{RenderOptions, render, wav};
    use switchboard_strudel::synth::SampleBank;
    let config = Config::load(config_file, Layer::default())?;
    let limits = &config.strudel;
    if args.duration > limits.max_duration_s {
        anyhow::bail!(
            "--duration is at most {} s (strudel_max_duration_s)",
            limits.max_duration_s
        );
    }
    if args.sample_rate > limits.max_sample_rate {
        anyhow::bail!(
            "--sample-rate is at most {} (strudel_max_sample_rate)",
            limits.max_sample_rate
        );
    }
    let program = switchboard_strudel::evaluate(&args.code)?;
    let bar = indicatif::ProgressBar::new(100).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos:>3}% {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let options = RenderOptions {
        duration: args.duration,
        sample_rate: args.sample_rate,
        max_events: limits.max_events,
    };
    let bank = SampleBank::new(limits.samples_dir.as_deref());
    let audio = render(&program, &options, &bank, |percent| {
        bar.set_position(percent.into());
        true
    })?;
    bar.finish_with_message(format!("{} events", audio.events));
    for sound in &audio.unknown_sounds {
        eprintln!("switchboard: sound {sound} not found; it was skipped");
    }
    std::fs::write(&args.output, wav(&audio))
        .with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!("wrote {}", args.output.display());
    Ok(())
}

fn token(config_file: Option<&std::path::Path>, args: &TokenArgs) -> anyhow::Result<()> {
    let config = Config::load(config_file, Layer::default())?;
    let keys = Keys::load(&config.auth)?;
    let token = keys.signer()?.sign(&TokenRequest {
        sub: args.sub.clone(),
        email: args.email.clone(),
        roles: args.roles.clone(),
        projects: args.projects.clone(),
        ttl: args.ttl,
    });
    println!("{token}");
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}
