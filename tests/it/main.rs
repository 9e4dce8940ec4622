//! The single integration-test binary: CLI behaviour, pipeline runs and invariants.

mod cli;
mod pipeline;
