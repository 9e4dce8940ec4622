//! Duration on benefit (MEASURES.md §3): Kaplan–Meier survival by entry cohort and group at
//! entry, its 30-day curve, and Aalen–Johansen cumulative incidence of the exit classes.
//!
//! Why: how long people stay on kontanthjælp opens the yearly report; spells still running on R
//! are right-censored, so shares of finished spells would understate duration — the
//! Kaplan–Meier estimator uses every spell for as long as it was observed. Exits compete (work,
//! education, health, other), and 1 − KM split by class needs the Aalen–Johansen estimator.
//!
//! How: Polars aggregates the spells to an event table — per level, unit, entry year, group and
//! duration: spells, censored, and events per exit class — so the estimators never see person
//! rows. The estimators (`stats`) then run per cohort on those counts, in parallel with rayon.

use polars::prelude::*;

use crate::schema::out::TableId;
use rayon::prelude::*;

use crate::config::Effective;
use crate::reference::Reference;
use crate::schema::{self as s, out, spell as sp};
use crate::spells::Spells;
use crate::stats::aalen_johansen::{AalenJohansen, CompetingEvents};
use crate::stats::z_value;
use crate::status::{self, EXIT_CLASSES};

use super::{by_levels, texts, Definition, Table, LEVEL_KEYS};

use crate::schema::out::hidden::hidden;
use crate::schema::out::{
    AT_RISK, CENSORED, CIF, CI_HI, CI_LO, ENTRY_YEAR, EVENTS, EVENTS_CUM, EXIT_CLASS, MEDIAN_DAYS,
    SPELLS, SURVIVAL, T_DAYS,
};

/// Spacing of the `survival_curves` grid.
pub const GRID_DAYS: i32 = 30;

/// The three duration tables.
pub struct DurationTables {
    pub cohorts: Table,
    pub curves: Table,
    pub incidence: Table,
}

/// The cohort key of every duration row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Cohort {
    level: String,
    unit: String,
    unit_name: String,
    entry_year: i32,
    group: String,
}

/// One cohort's counts: spells, persons, and its event table.
struct CohortCounts {
    cohort: Cohort,
    spells: i64,
    persons: i64,
    events: CompetingEvents,
    /// Closed spells per exit class with duration ≤ each horizon (for disclosure control).
    class_events_at: Vec<Vec<u64>>,
}

/// A fitted cohort.
struct Fitted {
    cohort: Cohort,
    spells: i64,
    persons: i64,
    aj: AalenJohansen,
    class_events_at: Vec<Vec<u64>>,
}

/// The `duration_cohorts` columns of horizon `h`: S(h) and its interval bounds.
pub fn survival_columns(h: i32) -> [String; 3] {
    [format!("s_{h}"), format!("s_{h}_lo"), format!("s_{h}_hi")]
}

fn class_col(class: &str) -> String {
    format!("__events_{class}")
}

/// Spells of the duration population (not left-censored) with `entry_year`, `group` (at entry)
/// and, for closed spells, the exit class of the status on `spell_end + gap_days + 1`.
pub fn population(
    spells: &Spells,
    status_steps: LazyFrame,
    gap_days: i32,
) -> PolarsResult<LazyFrame> {
    let lf = spells
        .df
        .clone()
        .lazy()
        .filter(col(sp::LEFT_CENSORED).not())
        .with_columns([
            col(sp::SPELL_START)
                .cast(DataType::Date)
                .dt()
                .year()
                .alias(ENTRY_YEAR),
            col(sp::GROUP_AT_ENTRY).alias(s::GROUP),
            (col(sp::SPELL_END) + lit(gap_days + 1)).alias("__over"),
        ]);
    let lf = status::on(lf, "__over", status_steps)?;
    Ok(lf.with_column(
        when(col(sp::CLOSED))
            .then(status::exit_class(col(status::STATUS)))
            .otherwise(lit(NULL).cast(DataType::String))
            .alias(EXIT_CLASS),
    ))
}

/// Builds `duration_cohorts`, `survival_curves` and `cumulative_incidence`.
pub fn compute(
    population: LazyFrame,
    effective: &Effective,
    reference: &Reference,
) -> PolarsResult<DurationTables> {
    let config = &effective.config;
    let counts = cohort_counts(population, reference, &config.horizons_days)?;
    let z = z_value(config.confidence);
    let fitted: Vec<Fitted> = counts
        .into_par_iter()
        .map(|c| Fitted {
            aj: AalenJohansen::fit(&c.events),
            cohort: c.cohort,
            spells: c.spells,
            persons: c.persons,
            class_events_at: c.class_events_at,
        })
        .collect();
    Ok(DurationTables {
        cohorts: cohorts_table(&fitted, &config.horizons_days, z)?,
        curves: curves_table(&fitted, z)?,
        incidence: incidence_table(&fitted, &config.horizons_days)?,
    })
}

/// Event tables per cohort at every level, pooled by Polars.
fn cohort_counts(
    population: LazyFrame,
    reference: &Reference,
    horizons: &[i32],
) -> PolarsResult<Vec<CohortCounts>> {
    let mut aggs = vec![
        len().cast(DataType::Int64).alias(SPELLS),
        col(sp::CLOSED)
            .not()
            .sum()
            .cast(DataType::Int64)
            .alias(CENSORED),
    ];
    for (class, _) in EXIT_CLASSES {
        aggs.push(
            col(EXIT_CLASS)
                .eq(lit(*class))
                .fill_null(false)
                .sum()
                .cast(DataType::Int64)
                .alias(class_col(class)),
        );
    }
    let mut keys: Vec<&str> = LEVEL_KEYS.to_vec();
    keys.insert(3, ENTRY_YEAR);
    let mut by_duration = keys.clone();
    by_duration.push(sp::DURATION_DAYS);
    let events = by_levels(
        population.clone(),
        reference,
        &[ENTRY_YEAR, sp::DURATION_DAYS],
        &aggs,
    )?
    .sort(by_duration, SortMultipleOptions::default())
    .collect()?;
    let sizes = by_levels(
        population,
        reference,
        &[ENTRY_YEAR],
        &[
            len().cast(DataType::Int64).alias(SPELLS),
            col(s::PERSON_ID)
                .n_unique()
                .cast(DataType::Int64)
                .alias(out::PERSONS),
        ],
    )?
    .sort(keys, SortMultipleOptions::default())
    .collect()?;

    // Counts are never null here; a null would be a bug upstream, read as 0.
    let ints = |df: &DataFrame, c: &str| -> PolarsResult<Vec<i64>> {
        Ok(super::ints(df, c)?
            .into_iter()
            .map(|v| v.unwrap_or(0))
            .collect())
    };
    let cohort_at = |df: &DataFrame| -> PolarsResult<Vec<Cohort>> {
        let (l, u, n, g) = (
            texts(df, out::LEVEL)?,
            texts(df, out::UNIT)?,
            texts(df, out::UNIT_NAME)?,
            texts(df, out::GROUP)?,
        );
        let y = ints(df, ENTRY_YEAR)?;
        Ok((0..df.height())
            .map(|i| Cohort {
                level: l[i].clone(),
                unit: u[i].clone(),
                unit_name: n[i].clone(),
                entry_year: y[i] as i32,
                group: g[i].clone(),
            })
            .collect())
    };
    let event_cohorts = cohort_at(&events)?;
    let durations = ints(&events, sp::DURATION_DAYS)?;
    let censored = ints(&events, CENSORED)?;
    let class_events: Vec<Vec<i64>> = EXIT_CLASSES
        .iter()
        .map(|(c, _)| ints(&events, &class_col(c)))
        .collect::<PolarsResult<_>>()?;
    let size_cohorts = cohort_at(&sizes)?;
    let (spells, persons) = (ints(&sizes, SPELLS)?, ints(&sizes, out::PERSONS)?);

    // Both frames are sorted by the cohort key, so each cohort is one contiguous run of rows.
    let mut out = Vec::with_capacity(size_cohorts.len());
    let mut row = 0;
    for (i, cohort) in size_cohorts.into_iter().enumerate() {
        let start = row;
        while row < event_cohorts.len() && event_cohorts[row] == cohort {
            row += 1;
        }
        let as_u64 = |v: &[i64]| {
            v[start..row]
                .iter()
                .map(|&x| x.max(0) as u64)
                .collect::<Vec<_>>()
        };
        let times: Vec<i32> = durations[start..row].iter().map(|&d| d as i32).collect();
        let per_class: Vec<Vec<u64>> = class_events.iter().map(|c| as_u64(c)).collect();
        let class_events_at = per_class
            .iter()
            .map(|c| {
                horizons
                    .iter()
                    .map(|h| {
                        times
                            .iter()
                            .zip(c)
                            .filter(|(t, _)| *t <= h)
                            .map(|(_, n)| n)
                            .sum()
                    })
                    .collect()
            })
            .collect();
        let events = CompetingEvents::new(times, as_u64(&censored), per_class)
            .map_err(|e| polars_err!(ComputeError: "event table of {cohort:?}: {e}"))?;
        out.push(CohortCounts {
            cohort,
            spells: spells[i],
            persons: persons[i],
            events,
            class_events_at,
        });
    }
    Ok(out)
}

/// Column builder for the cohort key columns.
#[derive(Default)]
struct KeyColumns {
    level: Vec<String>,
    unit: Vec<String>,
    unit_name: Vec<String>,
    entry_year: Vec<i32>,
    group: Vec<String>,
}

impl KeyColumns {
    fn push(&mut self, c: &Cohort) {
        self.level.push(c.level.clone());
        self.unit.push(c.unit.clone());
        self.unit_name.push(c.unit_name.clone());
        self.entry_year.push(c.entry_year);
        self.group.push(c.group.clone());
    }

    fn into_columns(self) -> Vec<Column> {
        vec![
            Column::new(out::LEVEL.into(), self.level),
            Column::new(out::UNIT.into(), self.unit),
            Column::new(out::UNIT_NAME.into(), self.unit_name),
            Column::new(ENTRY_YEAR.into(), self.entry_year),
            Column::new(out::GROUP.into(), self.group),
        ]
    }
}

fn cohort_keys() -> Vec<&'static str> {
    vec![
        out::LEVEL,
        out::UNIT,
        out::UNIT_NAME,
        ENTRY_YEAR,
        out::GROUP,
    ]
}

fn sorted(columns: Vec<Column>, keys: &[&str]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(columns)?.sort(keys.to_vec(), SortMultipleOptions::default())
}

fn cohorts_table(fitted: &[Fitted], horizons: &[i32], z: f64) -> PolarsResult<Table> {
    let mut keys = KeyColumns::default();
    let (mut spells, mut persons, mut events, mut censored, mut median) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut median_n, mut median_d) = (vec![], vec![]);
    let mut s_h: Vec<[Vec<Option<f64>>; 3]> =
        horizons.iter().map(|_| [vec![], vec![], vec![]]).collect();
    let mut n_d_h: Vec<[Vec<i64>; 2]> = horizons.iter().map(|_| [vec![], vec![]]).collect();
    for f in fitted {
        let km = f.aj.kaplan_meier();
        keys.push(&f.cohort);
        spells.push(f.spells);
        persons.push(f.persons);
        let e = km.events_up_to(i32::MAX) as i64;
        events.push(e);
        censored.push(f.spells - e);
        let m = km.median();
        median.push(m);
        median_n.push(m.map(|t| km.at_risk(t) as i64));
        median_d.push(m.map(|t| km.events_up_to(t) as i64));
        for (h, (cols, nd)) in horizons.iter().zip(s_h.iter_mut().zip(n_d_h.iter_mut())) {
            let (lo, hi) = km.interval(*h, z).unwrap_or((None, None));
            cols[0].push(km.survival(*h));
            cols[1].push(lo);
            cols[2].push(hi);
            nd[0].push(km.at_risk(*h) as i64);
            nd[1].push(km.events_up_to(*h) as i64);
        }
    }
    let mut columns = keys.into_columns();
    columns.extend([
        Column::new(SPELLS.into(), spells),
        Column::new(out::PERSONS.into(), persons),
        Column::new(EVENTS.into(), events),
        Column::new(CENSORED.into(), censored),
        Column::new(MEDIAN_DAYS.into(), median),
    ]);
    for (h, values) in horizons.iter().zip(s_h) {
        for (name, v) in survival_columns(*h).into_iter().zip(values) {
            columns.push(Column::new(name.into(), v));
        }
    }
    // Working columns for the survival step rule of disclosure control.
    columns.push(Column::new(hidden("median_n").into(), median_n));
    columns.push(Column::new(hidden("median_d").into(), median_d));
    for (h, [n, d]) in horizons.iter().zip(n_d_h) {
        columns.push(Column::new(hidden(&format!("n_{h}")).into(), n));
        columns.push(Column::new(hidden(&format!("d_{h}")).into(), d));
    }
    let keys = cohort_keys();
    Ok(Table {
        id: TableId::DurationCohorts,
        df: sorted(columns, &keys)?,
        keys,
        definition: Definition::Text("Kaplan–Meier survival on benefit of spells that are not left-censored, by \
                     entry cohort year(spell_start) and group at entry: S(t) = Π_{tᵢ ≤ t} (1 − dᵢ/nᵢ), \
                     Greenwood V(t) = Σ dᵢ/(nᵢ(nᵢ − dᵢ)), log-log interval; s_<h> = S(h); median = \
                     smallest tᵢ with S(tᵢ) ≤ 0.5 + 1e-9."),
    })
}

fn curves_table(fitted: &[Fitted], z: f64) -> PolarsResult<Table> {
    let mut keys = KeyColumns::default();
    let (mut t_days, mut at_risk, mut events_cum, mut survival, mut lo, mut hi) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for f in fitted {
        let km = f.aj.kaplan_meier();
        let mut t = 0;
        while km.at_risk(t) > 0 {
            keys.push(&f.cohort);
            t_days.push(t);
            at_risk.push(km.at_risk(t) as i64);
            events_cum.push(km.events_up_to(t) as i64);
            survival.push(km.survival(t));
            let (l, h) = km.interval(t, z).unwrap_or((None, None));
            lo.push(l);
            hi.push(h);
            t += GRID_DAYS;
        }
    }
    let mut columns = keys.into_columns();
    columns.extend([
        Column::new(T_DAYS.into(), t_days),
        Column::new(AT_RISK.into(), at_risk),
        Column::new(EVENTS_CUM.into(), events_cum),
        Column::new(SURVIVAL.into(), survival),
        Column::new(CI_LO.into(), lo),
        Column::new(CI_HI.into(), hi),
    ]);
    let mut keys = cohort_keys();
    keys.push(T_DAYS);
    Ok(Table {
        id: TableId::SurvivalCurves,
        df: sorted(columns, &keys)?,
        keys,
        definition: Definition::Text(
            "Kaplan–Meier curve of each duration cohort on a 30-day grid t = 0, 30, … up to \
                     the last t with a spell at risk: at_risk = #{duration ≥ t}, events_cum = \
                     #{closed, duration ≤ t}, survival = S(t) with its log-log interval.",
        ),
    })
}

fn incidence_table(fitted: &[Fitted], horizons: &[i32]) -> PolarsResult<Table> {
    let mut keys = KeyColumns::default();
    let (mut class, mut t_days, mut cif, mut class_d) = (vec![], vec![], vec![], vec![]);
    for f in fitted {
        for (i, h) in horizons.iter().enumerate() {
            let values = f.aj.cumulative_incidence(*h);
            for (j, (name, _)) in EXIT_CLASSES.iter().enumerate() {
                keys.push(&f.cohort);
                class.push(*name);
                t_days.push(*h);
                cif.push(values.as_ref().map(|v| v[j]));
                class_d.push(f.class_events_at[j][i] as i64);
            }
        }
    }
    let mut columns = keys.into_columns();
    columns.extend([
        Column::new(EXIT_CLASS.into(), class),
        Column::new(T_DAYS.into(), t_days),
        Column::new(CIF.into(), cif),
        Column::new(hidden("class_d").into(), class_d),
    ]);
    let mut keys = cohort_keys();
    keys.extend([EXIT_CLASS, T_DAYS]);
    Ok(Table {
        id: TableId::CumulativeIncidence,
        df: sorted(columns, &keys)?,
        keys,
        definition: Definition::Text("Aalen–Johansen cumulative incidence of exit class j (work, education, health, \
                     other; class of the status on spell_end + gap_days + 1): F_j(t) = Σ_{tᵢ ≤ t} \
                     S(tᵢ₋₁) d_{j,i}/nᵢ with S the all-cause Kaplan–Meier; null where S(t) is null."),
    })
}
