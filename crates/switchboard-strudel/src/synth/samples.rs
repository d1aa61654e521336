//! Sample folders in the Dirt-Samples layout, decoded from WAV on first use
//! and cached by name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Decoded stereo frames and their sample rate.
pub(super) type Sample = Arc<(Vec<[f32; 2]>, u32)>;

/// Sample folders in the Dirt-Samples layout: `<dir>/<name>/*.wav`.
#[derive(Debug, Default)]
pub struct SampleBank {
    dir: Option<PathBuf>,
    cache: std::sync::Mutex<HashMap<String, Vec<Sample>>>,
}

impl SampleBank {
    /// Samples under `dir` (none when `None`).
    pub fn new(dir: Option<&Path>) -> Self {
        SampleBank {
            dir: dir.map(Path::to_owned),
            cache: std::sync::Mutex::default(),
        }
    }

    /// File `n` (mod the count) of folder `name`, decoded.
    pub(super) fn get(&self, name: &str, n: f64) -> Option<Sample> {
        let dir = self.dir.as_ref()?;
        if name.contains(['/', '\\', '.']) {
            return None;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if !cache.contains_key(name) {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(name))
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav")))
                .collect();
            files.sort();
            let decoded = files
                .iter()
                .filter_map(|path| decode(path))
                .map(Arc::new)
                .collect();
            cache.insert(name.to_owned(), decoded);
        }
        let list = cache.get(name)?;
        if list.is_empty() {
            return None;
        }
        let index = (n.round() as i64).rem_euclid(list.len() as i64) as usize;
        Some(list[index].clone())
    }
}

fn decode(path: &Path) -> Option<(Vec<[f32; 2]>, u32)> {
    let mut reader = hound::WavReader::open(path).ok()?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().filter_map(Result::ok).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .filter_map(Result::ok)
                .map(|s| s as f32 / scale)
                .collect()
        }
    };
    let frames = samples
        .chunks(channels)
        .map(|c| [c[0], *c.get(1).unwrap_or(&c[0])])
        .collect();
    Some((frames, spec.sample_rate))
}
