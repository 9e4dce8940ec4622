//! The stages of a run, as progress reports and errors name them. The pipeline runs each stage
//! through [`staged`], which names the stage in a failure and tells a [`Progress`] when it is
//! done; it knows nothing of clocks: `forloeb bench` times the stages, a plain run ignores them.

use crate::error::Error;

/// A stage of `forloeb run`, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Writing the synthetic extract (`forloeb bench` only).
    Synth,
    LoadValidate,
    Spells,
    StatusSteps,
    Duration,
    DestinationsStock,
    Indicators,
    Disclosure,
    Write,
}

impl Stage {
    /// How reports name the stage.
    pub const fn label(self) -> &'static str {
        match self {
            Stage::Synth => "synth",
            Stage::LoadValidate => "load and validate",
            Stage::Spells => "as of R, spells",
            Stage::StatusSteps => "status steps, exit classes",
            Stage::Duration => "duration (KM, AJ)",
            Stage::DestinationsStock => "destinations, stock",
            Stage::Indicators => "indicators",
            Stage::Disclosure => "disclosure",
            Stage::Write => "write tables, charts, manifest",
        }
    }
}

/// Told when each stage of a run starts and when it is done.
pub trait Progress {
    /// `stage` begins (a live display names it; the benchmark's laps need only `done`).
    fn start(&mut self, _stage: Stage) {}
    fn done(&mut self, stage: Stage);
}

/// No one listening.
impl Progress for () {
    fn done(&mut self, _: Stage) {}
}

/// Runs `work` as `stage`: its start and success are reported to `progress`, a failure names
/// the stage.
pub fn staged<T, E: Into<Error>>(
    progress: &mut dyn Progress,
    stage: Stage,
    work: impl FnOnce() -> Result<T, E>,
) -> Result<T, Error> {
    progress.start(stage);
    let value = work().map_err(|e| e.into().in_stage(stage.label()))?;
    crate::alloc::release();
    progress.done(stage);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::PolarsError;

    #[derive(Default)]
    struct Seen(Vec<Stage>);

    impl Progress for Seen {
        fn done(&mut self, stage: Stage) {
            self.0.push(stage);
        }
    }

    #[test]
    fn a_polars_failure_names_its_stage_and_is_not_reported_done() {
        let mut seen = Seen::default();
        let err = staged(&mut seen, Stage::Duration, || {
            Err::<(), _>(PolarsError::ComputeError("no cohorts".into()))
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "duration (KM, AJ) failed: no cohorts",
            "the stage is named once, the cause follows"
        );
        assert_eq!(err.exit_code(), 1);
        assert!(seen.0.is_empty());
    }

    #[test]
    fn a_user_error_keeps_its_message_and_exit_code() {
        let err = staged(&mut (), Stage::LoadValidate, || {
            Err::<(), _>(Error::Request("no such year".into()))
        })
        .unwrap_err();
        assert_eq!(
            (err.to_string(), err.exit_code()),
            ("no such year".into(), 2)
        );
    }

    #[test]
    fn each_stage_done_is_reported_in_order() {
        let mut seen = Seen::default();
        for stage in [Stage::LoadValidate, Stage::Spells] {
            staged(&mut seen, stage, || Ok::<_, Error>(())).unwrap();
        }
        assert_eq!(seen.0, vec![Stage::LoadValidate, Stage::Spells]);
    }
}
