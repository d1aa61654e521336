//! One render job: wait for a slot, render on the blocking pool while
//! reporting progress, write the WAV and its waveform, and record the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use switchboard_core::process::random_id;
use switchboard_core::{ErrorCode, ProcessId};
use switchboard_strudel::Program;
use switchboard_strudel::render::{RenderError, RenderOptions, render, wav};
use switchboard_strudel::waveform::waveform_png;
use tokio::sync::mpsc;

use super::{AcceptedRender, Inner, RenderEventKind, RenderStatus, Rendered, StrudelRenderer};

/// Finished renders remembered for `strudel:status`.
const REMEMBERED: usize = 1000;

impl StrudelRenderer {
    /// Renders an accepted request in the background.
    pub fn run(&self, accepted: AcceptedRender) {
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let AcceptedRender {
                id,
                program,
                options,
                base_url,
            } = accepted;
            inner.emit(&id, RenderEventKind::Validated).await;
            let Some((user, cancel)) = inner
                .lock()
                .get(&id)
                .map(|entry| (entry.user.clone(), entry.cancel.clone()))
            else {
                return;
            };
            // Held until the render is finished and reported.
            let Some(_slot) = inner.slot(&id, &user, &cancel).await else {
                let kind = RenderEventKind::Failed {
                    code: ErrorCode::Cancelled,
                    message: "Render cancelled".into(),
                };
                return inner.finish(&id, kind).await;
            };
            inner.set_status(&id, RenderStatus::Running(0));
            let kind = inner.render(&id, program, options, &base_url, cancel).await;
            inner.finish(&id, kind).await;
        });
    }
}

impl Inner {
    async fn render(
        self: &Arc<Self>,
        id: &ProcessId,
        program: Program,
        options: RenderOptions,
        base_url: &str,
        cancel: Arc<AtomicBool>,
    ) -> RenderEventKind {
        let started = std::time::Instant::now();
        let (progress_tx, mut progress_rx) = mpsc::unbounded_channel::<u8>();
        let bank = self.bank.clone();
        let job = tokio::task::spawn_blocking(move || {
            let mut last = None;
            render(&program, &options, &bank, |percent| {
                // At least every 5 %: every crossing of a multiple of 5 is reported.
                let step = percent / 5;
                if last != Some(step) {
                    last = Some(step);
                    let _ = progress_tx.send(percent);
                }
                !cancel.load(Ordering::SeqCst)
            })
            .map(|audio| ((wav(&audio), waveform_png(&audio)), audio))
        });
        tokio::pin!(job);
        let result = loop {
            tokio::select! {
                Some(percent) = progress_rx.recv() => {
                    self.set_status(id, RenderStatus::Running(percent));
                    self.emit(id, RenderEventKind::Progress { percent }).await;
                }
                result = &mut job => break result,
            }
        };
        let failed = |code, message: String| RenderEventKind::Failed { code, message };
        match result {
            Ok(Ok(((bytes, picture), audio))) => {
                let name = random_id("audio");
                let written = async {
                    tokio::fs::write(self.audio_dir.join(format!("{name}.wav")), bytes).await?;
                    tokio::fs::write(self.audio_dir.join(format!("{name}.png")), picture).await
                };
                if let Err(error) = written.await {
                    tracing::error!(render = %id, %error, "cannot write rendered audio");
                    return failed(ErrorCode::Internal, "Cannot store the audio".into());
                }
                RenderEventKind::Completed(Box::new(Rendered {
                    audio_url: format!("{base_url}/audio/{name}.wav"),
                    thumbnail_url: format!("{base_url}/audio/{name}.png"),
                    duration: options.duration,
                    sample_rate: options.sample_rate,
                    events: audio.events,
                    render_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    unknown_sounds: audio.unknown_sounds,
                }))
            }
            Ok(Err(RenderError::Cancelled)) => {
                failed(ErrorCode::Cancelled, "Render cancelled".into())
            }
            Ok(Err(error)) => failed(ErrorCode::ExecutionError, error.to_string()),
            Err(error) => {
                tracing::error!(render = %id, %error, "render task failed");
                failed(ErrorCode::Internal, "The render failed".into())
            }
        }
    }

    /// Records the end for `strudel:status`, forgetting the oldest finished
    /// render past [`REMEMBERED`], and reports it.
    async fn finish(&self, id: &ProcessId, kind: RenderEventKind) {
        let status = match &kind {
            RenderEventKind::Completed(rendered) => RenderStatus::Completed(rendered.clone()),
            RenderEventKind::Failed { code, message } => {
                RenderStatus::Failed(*code, message.clone())
            }
            _ => return,
        };
        self.set_status(id, status);
        tracing::info!(render = %id, "strudel render finished");
        {
            let mut order = self
                .finished_order
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            order.push(id.clone());
            if order.len() > REMEMBERED {
                let old = order.remove(0);
                self.lock().remove(&old);
            }
        }
        self.emit(id, kind).await;
    }
}
