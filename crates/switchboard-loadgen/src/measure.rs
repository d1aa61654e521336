//! What the scenarios measure besides their own counts: a process's
//! resident memory and CPU time (from `/proc`), and latency percentiles.

use std::fs;
use std::io;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// `/proc` reports CPU time in USER_HZ ticks, 100 a second on Linux.
const TICKS_PER_SECOND: f64 = 100.0;

/// Resident memory of `pid` in bytes (`VmRSS`).
pub fn rss_bytes(pid: u32) -> io::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| kib * 1024)
        .ok_or_else(|| io::Error::other("no VmRSS line"))
}

/// User plus system CPU seconds used so far by `pid` (or this process).
pub fn cpu_seconds(pid: Option<u32>) -> io::Result<f64> {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |pid| format!("/proc/{pid}/stat"),
    );
    let stat = fs::read_to_string(path)?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| io::Error::other("malformed stat"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = |index: usize| -> io::Result<f64> {
        fields
            .get(index)
            .and_then(|value| value.parse::<f64>().ok())
            .ok_or_else(|| io::Error::other("malformed stat"))
    };
    Ok((ticks(11)? + ticks(12)?) / TICKS_PER_SECOND)
}

/// The soft limit on open files of this process.
pub fn open_file_limit() -> io::Result<u64> {
    let limits = fs::read_to_string("/proc/self/limits")?;
    limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse().ok())
        .ok_or_else(|| io::Error::other("no open-file limit"))
}

/// CPU use of one process over a stretch of wall time, in percent of one core.
#[derive(Debug)]
pub struct CpuMeter {
    pid: Option<u32>,
    cpu: f64,
    wall: Instant,
}

impl CpuMeter {
    /// Starts measuring `pid`, or this process when `None`.
    pub fn start(pid: Option<u32>) -> Self {
        CpuMeter {
            pid,
            cpu: cpu_seconds(pid).unwrap_or(0.0),
            wall: Instant::now(),
        }
    }

    /// Percent of one core used since `start` (200 is both cores of a
    /// two-core machine); `None` when the process is gone.
    pub fn percent(&self) -> Option<f64> {
        let used = cpu_seconds(self.pid).ok()? - self.cpu;
        let wall = self.wall.elapsed().as_secs_f64();
        (wall > 0.0).then(|| round1(100.0 * used / wall))
    }
}

/// Latencies recorded in microseconds, from 1 µs to 60 s.
#[derive(Debug, Clone)]
pub struct Latencies(Histogram<u64>);

/// Percentiles of a [`Latencies`], in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencySummary {
    /// How many samples.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest sample.
    pub max_ms: f64,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies(
            Histogram::new_with_bounds(1, 60_000_000, 3)
                .unwrap_or_else(|_| unreachable!("constant, valid bounds")),
        )
    }
}

impl Latencies {
    /// Records one latency; values past the range count as the maximum.
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.0.saturating_record(micros.max(1));
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Latencies) {
        // Both have the same bounds, so adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    /// The percentiles.
    pub fn summary(&self) -> LatencySummary {
        let ms = |micros: u64| round3(micros as f64 / 1000.0);
        LatencySummary {
            count: self.0.len(),
            p50_ms: ms(self.0.value_at_quantile(0.5)),
            p90_ms: ms(self.0.value_at_quantile(0.9)),
            p99_ms: ms(self.0.value_at_quantile(0.99)),
            p999_ms: ms(self.0.value_at_quantile(0.999)),
            max_ms: ms(self.0.max()),
        }
    }
}

/// `value` rounded to one decimal.
pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// `value` rounded to three decimals.
pub fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_memory_and_cpu() {
        let rss = rss_bytes(std::process::id()).unwrap();
        assert!(rss > 0);
        let before = cpu_seconds(None).unwrap();
        // Burn a little CPU so the counter can move; bounded work.
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_seconds(None).unwrap() >= before);
        assert!(open_file_limit().unwrap() > 0);
    }

    #[test]
    fn percentiles_come_from_the_samples() {
        let mut latencies = Latencies::default();
        for ms in 1..=1000u64 {
            latencies.record(Duration::from_millis(ms));
        }
        let mut other = Latencies::default();
        other.record(Duration::from_secs(120));
        latencies.merge(&other);
        let summary = latencies.summary();
        assert_eq!(summary.count, 1001);
        assert!((summary.p50_ms - 501.0).abs() < 2.0, "{summary:?}");
        assert!((summary.p99_ms - 990.0).abs() < 2.0, "{summary:?}");
        assert!(summary.max_ms >= 59_000.0, "saturates at the bound");
    }

    #[test]
    fn rounds() {
        assert_eq!(round1(12.345), 12.3);
        assert_eq!(round3(0.12345), 0.123);
    }
}
