//! `forloeb bench`: times every stage of the pipeline on a synthetic extract of a given size
//! (performance is measured here, never in a timed test). The pipeline tells its [`Progress`]
//! when each stage is done; the [`Stopwatch`] reads the clock then.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::reference::Reference;
use crate::stage::{Progress, Stage};
use crate::synth::{self, SynthFormat, SynthOptions};
use crate::RunRequest;

#[derive(Debug)]
pub struct Stopwatch {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
    /// Peak resident memory (KiB) during each lap, where the system tells it.
    peaks: Vec<Option<u64>>,
}

impl Default for Stopwatch {
    fn default() -> Self {
        Stopwatch {
            last: Instant::now(),
            laps: Vec::new(),
            peaks: Vec::new(),
        }
    }
}

impl Progress for Stopwatch {
    /// Records the time since the previous stage ended under `stage`.
    fn done(&mut self, stage: Stage) {
        let now = Instant::now();
        self.laps.push((stage.label(), now - self.last));
        self.peaks.push(crate::rss::peak_kib());
        crate::rss::reset_peak();
        self.last = Instant::now();
    }
}

impl Stopwatch {
    /// Peak resident memory during each lap (KiB).
    pub fn peaks(&self) -> &[Option<u64>] {
        &self.peaks
    }

    pub fn laps(&self) -> &[(&'static str, Duration)] {
        &self.laps
    }
}

/// The synthetic extract covers 2015-01-01..2024-12-31, as `data-sample/` does.
const BENCH_START: crate::dates::Day = 16_436;
const BENCH_END: crate::dates::Day = 20_088;

/// What `forloeb bench` measured.
#[derive(Debug)]
pub struct BenchReport {
    pub persons: u64,
    pub laps: Vec<(&'static str, Duration)>,
    /// Peak resident memory during each lap (KiB).
    pub peaks: Vec<Option<u64>>,
    /// Peak resident memory of the whole run: the largest lap peak (KiB), if known.
    pub peak_rss_kib: Option<u64>,
}

/// Writes a synthetic extract of `persons` into `work` (unless `extract` is given), then runs
/// the whole pipeline on it with the report going to `work/report`, timing each stage.
pub fn bench(
    persons: u64,
    seed: u64,
    format: SynthFormat,
    extract: Option<&Path>,
    work: &Path,
) -> Result<BenchReport, Error> {
    let mut watch = Stopwatch::default();
    let extract = match extract {
        Some(dir) => dir.to_path_buf(),
        None => {
            let dir = work.join("extract");
            let options = SynthOptions {
                persons,
                seed,
                out: dir.clone(),
                start: crate::dates::from_day(BENCH_START),
                end: crate::dates::from_day(BENCH_END),
                format,
                oversample: Vec::new(),
            };
            synth::write(&options, &Reference::load(None)?)?;
            watch.done(Stage::Synth);
            dir
        }
    };
    let request = RunRequest {
        extract,
        out: Some(work.join("report")),
        ..RunRequest::default()
    };
    // Synthesis is not part of the run: its peak is left out of the run's.
    crate::rss::reset_peak();
    crate::run(&request, &mut watch)?;
    let peaks = watch.peaks().to_vec();
    let run_peaks = peaks
        .iter()
        .zip(watch.laps())
        .filter(|(_, (n, _))| *n != Stage::Synth.label());
    Ok(BenchReport {
        persons,
        laps: watch.laps().to_vec(),
        peak_rss_kib: run_peaks.filter_map(|(p, _)| *p).max(),
        peaks,
    })
}

/// A fresh working folder for one benchmark under the system's temporary folder.
pub fn work_dir(seed: u64) -> PathBuf {
    std::env::temp_dir().join(format!("forloeb-bench-{}-{seed}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_extract_covers_the_sample_years() {
        assert_eq!(crate::dates::iso(BENCH_START), "2015-01-01");
        assert_eq!(crate::dates::iso(BENCH_END), "2024-12-31");
    }

    #[test]
    fn laps_are_recorded_in_order() {
        let mut watch = Stopwatch::default();
        watch.done(Stage::Synth);
        watch.done(Stage::LoadValidate);
        let names: Vec<&str> = watch.laps().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, vec!["synth", "load and validate"]);
    }
}
