//! Switchboard's domain vocabulary, shared by every other crate: the typed
//! configuration, identities and tokens, room rules, resource kinds and the
//! error codes clients match on. Nothing here performs network I/O.

pub mod config;
pub mod error_code;
pub mod execution;
pub mod process;
pub mod resource;
pub mod room;
pub mod token;

pub use config::Config;
pub use error_code::ErrorCode;
pub use execution::{ExecutionKind, ExecutionStatus, StepStatus};
pub use process::{ProcessId, ProcessStatus};
pub use resource::ResourceKind;
pub use token::{Identity, TokenError};
