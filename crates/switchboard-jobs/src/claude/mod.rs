//! Claude CLI runs (SPEC §4): requests, the stream-json protocol, and the
//! runner that queues, starts, watches and stops them.

pub mod request;
pub mod runner;
pub mod stream;

pub use request::{ExecuteRequest, InvalidRequest};
pub use runner::{
    Accepted, CancelError, Cancellation, ClaudeRunner, Finished, LookupError, Observed,
    ProcessEvent, ProcessEventKind, StatusView, SubmitError,
};
