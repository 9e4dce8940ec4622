//! The single integration-test binary: CLI behaviour, pipeline runs and invariants.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

mod benchmark;
mod case_sample;
mod cli;
mod cli_snapshots;
mod contract;
mod disclosure;
mod ex;
mod indicators;
mod municipality;
mod out;
mod pipeline;
mod profile;
mod sample;
mod tables;
