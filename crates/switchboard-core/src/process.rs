//! Claude process vocabulary shared by the runner, the store and the gateway.

use std::fmt;

/// `{prefix}_` followed by 32 random hex digits: unguessable resource ids.
pub fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    // The OS random source failing is unrecoverable for id generation;
    // fall back to time-derived bytes rather than panic.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}

/// A process id, `proc_` followed by 32 random hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessId(String);

impl ProcessId {
    /// A new random id.
    pub fn generate() -> Self {
        ProcessId(random_id("proc"))
    }

    /// Wraps an id received from a client or the store.
    pub fn from_raw(id: impl Into<String>) -> Self {
        ProcessId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a process is in its life (seed 001 `ClaudeProcessStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessStatus {
    /// Accepted, not yet queued or started.
    Pending,
    /// Waiting for a concurrency slot.
    Queued,
    /// The CLI is running.
    Running,
    /// Finished successfully.
    Completed,
    /// Finished with an error (including interrupted runs).
    Failed,
    /// Stopped by a time limit.
    Timeout,
    /// Stopped by its owner.
    Cancelled,
}

impl ProcessStatus {
    /// Every status.
    pub const ALL: [ProcessStatus; 7] = [
        ProcessStatus::Pending,
        ProcessStatus::Queued,
        ProcessStatus::Running,
        ProcessStatus::Completed,
        ProcessStatus::Failed,
        ProcessStatus::Timeout,
        ProcessStatus::Cancelled,
    ];

    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessStatus::Pending => "pending",
            ProcessStatus::Queued => "queued",
            ProcessStatus::Running => "running",
            ProcessStatus::Completed => "completed",
            ProcessStatus::Failed => "failed",
            ProcessStatus::Timeout => "timeout",
            ProcessStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Whether the process can no longer change.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ProcessStatus::Completed
                | ProcessStatus::Failed
                | ProcessStatus::Timeout
                | ProcessStatus::Cancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unguessable_and_statuses_round_trip() {
        let a = ProcessId::generate();
        let b = ProcessId::generate();
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("proc_") && a.as_str().len() == 37);
        for status in ProcessStatus::ALL {
            assert_eq!(ProcessStatus::parse(status.as_str()), Some(status));
        }
    }
}
