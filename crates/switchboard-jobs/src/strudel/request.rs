//! What a client asks to render, and its checks: options within the
//! configured bounds and code that evaluates, before anything is queued.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use switchboard_core::ProcessId;
use switchboard_strudel::render::RenderOptions;
use switchboard_strudel::{Program, ScriptError};

use super::{Entry, RenderStatus, StrudelRenderer};

/// What a client asks to render.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    /// Strudel code.
    pub code: String,
    /// Seconds (default 10).
    pub duration: Option<f64>,
    /// Frames per second (default 44100).
    pub sample_rate: Option<u32>,
    /// Only `wav` is produced.
    pub format: Option<String>,
    /// Where `/audio/` is served for this client (e.g. `https://cdn.example`,
    /// no trailing slash): the result's URLs start with it.
    pub base_url: String,
}

/// Why a render was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderRefusal {
    /// The code does not parse or evaluate.
    #[error("{0}")]
    Code(ScriptError),
    /// An option is out of bounds.
    #[error("{0}")]
    Options(String),
    /// The server is shutting down.
    #[error("The server is shutting down")]
    ShuttingDown,
}

/// A render accepted by [`StrudelRenderer::submit`], not yet started.
#[derive(Debug)]
pub struct AcceptedRender {
    /// Its id.
    pub id: ProcessId,
    pub(super) program: Program,
    pub(super) options: RenderOptions,
    pub(super) base_url: String,
}

impl StrudelRenderer {
    /// Checks code, returning every error with its position.
    pub fn validate(code: &str) -> Result<Program, ScriptError> {
        switchboard_strudel::evaluate(code)
    }

    /// Validates a request and accepts it. Call [`StrudelRenderer::run`]
    /// once the requester knows the id.
    pub fn submit(
        &self,
        user: &str,
        request: RenderRequest,
    ) -> Result<AcceptedRender, RenderRefusal> {
        let inner = &self.inner;
        if inner.shutting_down.load(Ordering::SeqCst) {
            return Err(RenderRefusal::ShuttingDown);
        }
        let limits = &inner.config;
        let duration = request.duration.unwrap_or(10.0);
        if !(duration.is_finite() && duration > 0.0 && duration <= limits.max_duration_s) {
            return Err(RenderRefusal::Options(format!(
                "duration must be more than 0 and at most {} seconds",
                limits.max_duration_s
            )));
        }
        let sample_rate = request.sample_rate.unwrap_or(44_100);
        if !(8_000..=limits.max_sample_rate).contains(&sample_rate) {
            return Err(RenderRefusal::Options(format!(
                "sampleRate must be 8000..={}",
                limits.max_sample_rate
            )));
        }
        if let Some(format) = &request.format
            && !format.eq_ignore_ascii_case("wav")
        {
            return Err(RenderRefusal::Options("format must be wav".into()));
        }
        let program = Self::validate(&request.code).map_err(RenderRefusal::Code)?;
        let id = ProcessId::generate();
        inner.lock().insert(
            id.clone(),
            Entry {
                user: user.to_owned(),
                status: RenderStatus::Queued(None),
                cancel: Arc::new(AtomicBool::new(false)),
            },
        );
        Ok(AcceptedRender {
            id,
            program,
            options: RenderOptions {
                duration,
                sample_rate,
                max_events: limits.max_events,
            },
            base_url: request.base_url,
        })
    }
}
