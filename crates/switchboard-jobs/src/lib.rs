//! Switchboard's work engine: the one door for child processes, the Claude
//! CLI runner with its queue and rate limit. It never imports axum or
//! socketioxide: it reports what happens as [`claude::ProcessEvent`]s and
//! the gateway decides how clients hear about it.

pub mod child;
pub mod claude;
pub mod rate_limit;
pub mod scheduler;
pub mod strudel;
