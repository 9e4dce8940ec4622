//! The stages of a run, as progress reports name them. The pipeline tells a [`Progress`] when
//! each stage is done and knows nothing of clocks: `forloeb bench` times the stages, a plain run
//! ignores them.

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

/// Told when each stage of a run is done.
pub trait Progress {
    fn done(&mut self, stage: Stage);
}

/// No one listening.
impl Progress for () {
    fn done(&mut self, _: Stage) {}
}
