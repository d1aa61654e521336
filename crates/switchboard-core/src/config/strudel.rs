//! The Strudel section: render limits, the samples folder and how long
//! rendered audio is kept.

use std::path::PathBuf;
use std::time::Duration;

use super::layer::Layer;
use super::values::{ConfigError, Printed, millis, positive, print_count, print_ms, print_path};

/// Strudel renders (SPEC §5).
#[derive(Debug, Clone)]
pub struct StrudelConfig {
    /// Folder of samples in the Dirt-Samples layout (`<dir>/<name>/*.wav`).
    pub samples_dir: Option<PathBuf>,
    /// Longest render in seconds (default 60).
    pub max_duration_s: f64,
    /// Highest sample rate (default 96000).
    pub max_sample_rate: u32,
    /// Most events one render may play (default 20000).
    pub max_events: usize,
    /// Renders at once on this node (default 2); the rest queue.
    pub max_concurrent: usize,
    /// How long rendered audio stays downloadable (default 1 h).
    pub audio_retention: Duration,
}

impl StrudelConfig {
    pub(super) fn from_layer(layer: &Layer) -> Result<Self, ConfigError> {
        let max_duration_s = layer.strudel_max_duration_s.unwrap_or(60.0);
        if !(max_duration_s.is_finite() && max_duration_s > 0.0) {
            return Err(ConfigError::Invalid {
                key: "strudel_max_duration_s",
                message: "must be a positive number of seconds".into(),
            });
        }
        let max_sample_rate = layer.strudel_max_sample_rate.unwrap_or(96_000);
        if !(8_000..=192_000).contains(&max_sample_rate) {
            return Err(ConfigError::Invalid {
                key: "strudel_max_sample_rate",
                message: "must be 8000..=192000".into(),
            });
        }
        Ok(StrudelConfig {
            samples_dir: layer
                .strudel_samples_dir
                .clone()
                .filter(|dir| !dir.as_os_str().is_empty()),
            max_duration_s,
            max_sample_rate,
            max_events: positive("strudel_max_events", layer.strudel_max_events, 20_000)?,
            max_concurrent: positive("strudel_max_concurrent", layer.strudel_max_concurrent, 2)?,
            audio_retention: millis(
                "strudel_audio_retention_ms",
                layer.strudel_audio_retention_ms,
                3_600_000,
            )?,
        })
    }

    pub(super) fn print(&self, keys: &mut Printed) {
        if let Some(dir) = &self.samples_dir {
            keys.insert("strudel_samples_dir", print_path(dir));
        }
        keys.insert(
            "strudel_max_duration_s",
            toml::Value::Float(self.max_duration_s),
        );
        keys.insert(
            "strudel_max_sample_rate",
            toml::Value::Integer(self.max_sample_rate.into()),
        );
        keys.insert("strudel_max_events", print_count(self.max_events));
        keys.insert("strudel_max_concurrent", print_count(self.max_concurrent));
        keys.insert("strudel_audio_retention_ms", print_ms(self.audio_retention));
    }
}
