//! Turns a suite's records into the tables of `docs/BENCHMARKS.md` and a
//! chart: medians and ranges over repeats, Switchboard/Node ratios, and
//! whether each target is met.

mod document;
#[cfg(test)]
mod fixtures;
mod metrics;
mod numbers;
mod stats;
mod svg;
mod tables;
mod targets;

pub use document::splice;
pub use svg::chart;
pub use tables::{Context, markdown};
pub use targets::targets;
