//! What a run shows on a terminal: each stage's name and elapsed time while it runs, a line per
//! finished stage, and one summary line of time and peak memory at the end. A national run
//! takes long enough that a silent terminal looks hung; output that is not a terminal (a
//! pipe, a file, CI) stays quiet, because indicatif draws nothing when stderr is not a
//! terminal (or `TERM` is unset or `dumb`).

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::rss;
use crate::stage::{Progress, Stage};

/// How often the running stage's clock is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// The live display of one command's stages on stderr.
pub struct Live {
    started: Instant,
    /// The spinner of the running stage, if any.
    bar: Option<(ProgressBar, Instant)>,
    hidden: bool,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            started: Instant::now(),
            bar: None,
            hidden: ProgressDrawTarget::stderr().is_hidden(),
        }
    }
}

impl Live {
    /// The summary line, printed once the command is done: "`what`: 41.2 s, peak memory
    /// 2.71 GiB". Nothing when stderr is not a terminal.
    pub fn finish(&self, what: &str) {
        if !self.hidden {
            eprintln!("{}", summary(what, self.started.elapsed(), rss::peak_kib()));
        }
    }
}

impl Progress for Live {
    fn start(&mut self, stage: Stage) {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        // The template is a constant; should it ever fail to parse, the default style is shown.
        if let Ok(style) = ProgressStyle::with_template("  {spinner} {msg:<32} {secs}") {
            bar.set_style(style.with_key(
                "secs",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:>7.1} s", state.elapsed().as_secs_f64());
                },
            ));
        }
        bar.set_message(stage.label());
        bar.enable_steady_tick(TICK);
        self.bar = Some((bar, Instant::now()));
    }

    fn done(&mut self, stage: Stage) {
        if let Some((bar, since)) = self.bar.take() {
            bar.println(lap(stage, since.elapsed()));
            bar.finish_and_clear();
        }
    }
}

/// A run that fails leaves its running stage on screen (the error names it too).
impl Drop for Live {
    fn drop(&mut self) {
        if let Some((bar, _)) = self.bar.take() {
            bar.abandon();
        }
    }
}

/// A finished stage as the terminal keeps it: "  ✓ load and validate   3.2 s".
fn lap(stage: Stage, took: Duration) -> String {
    format!("  ✓ {:<32} {:>7.1} s", stage.label(), took.as_secs_f64())
}

fn summary(what: &str, took: Duration, peak_kib: Option<u64>) -> String {
    let memory = peak_kib.map_or_else(String::new, |k| format!(", peak memory {}", rss::gib(k)));
    format!("{what}: {:.1} s{memory}", took.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_stage_shows_its_name_and_seconds() {
        assert_eq!(
            lap(Stage::LoadValidate, Duration::from_millis(3_240)),
            "  ✓ load and validate                    3.2 s"
        );
    }

    #[test]
    fn the_summary_gives_time_and_peak_memory() {
        let line = summary(
            "forloeb run",
            Duration::from_secs_f64(41.23),
            Some(2_841_641),
        );
        assert_eq!(line, "forloeb run: 41.2 s, peak memory 2.71 GiB");
        assert_eq!(
            summary("forloeb run", Duration::from_secs(2), None),
            "forloeb run: 2.0 s"
        );
    }
}
