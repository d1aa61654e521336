//! Strudel live-coding patterns, self-contained: the JavaScript subset and
//! mini-notation they are written in, an exact-time pattern engine that
//! gives the events Strudel gives, a synthesizer and a WAV writer.
//!
//! Implemented from Strudel's documented and observed behaviour.

pub mod controls;
pub mod euclid;
pub mod eval;
pub mod fraction;
pub mod haps;
pub mod mini;
pub mod note;
pub mod pattern;
pub mod render;
pub mod scale;
pub mod script;
pub mod signal;
pub mod synth;
pub mod waveform;

pub use eval::{Program, evaluate};
pub use fraction::Frac;
pub use pattern::{Hap, Pattern, Span, Value};
pub use script::{Position, ScriptError};
