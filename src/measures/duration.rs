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

use super::{by_levels, texts, Definition, Table};

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

/// The cohort key of every duration row. Its fields are in the order of the tables' key columns,
/// and text compares bytewise in Rust as in Polars, so cohorts in `Ord` order are rows in key
/// order.
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

/// Spells of the duration population (not left-censored) as `person_id`, `municipality`,
/// `group` (at entry), `entry_year`, `duration_days`, `closed` and, for closed spells,
/// `exit_class`: the class of the status on `spell_end + gap_days + 1`.
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
    Ok(status::on(lf, "__over", status_steps)?.select([
        col(s::PERSON_ID),
        col(s::MUNICIPALITY),
        col(s::GROUP),
        col(ENTRY_YEAR),
        col(sp::DURATION_DAYS),
        col(sp::CLOSED),
        when(col(sp::CLOSED))
            .then(status::exit_class(col(status::STATUS)))
            .otherwise(lit(NULL).cast(DataType::String))
            .alias(EXIT_CLASS),
    ]))
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
///
/// How: the spells are counted per municipality, group, entry year and duration first; the
/// levels pool those counts (sums of integers, so exact) and gather each cohort's counts into
/// lists, one row per cohort. Only the persons per cohort need the spell rows themselves.
fn cohort_counts(
    population: LazyFrame,
    reference: &Reference,
    horizons: &[i32],
) -> PolarsResult<Vec<CohortCounts>> {
    let classes: Vec<String> = EXIT_CLASSES.iter().map(|(c, _)| class_col(c)).collect();
    let mut counts = vec![col(sp::CLOSED)
        .not()
        .sum()
        .cast(DataType::Int64)
        .alias(CENSORED)];
    for ((class, _), name) in EXIT_CLASSES.iter().zip(&classes) {
        counts.push(
            col(EXIT_CLASS)
                .eq(lit(*class))
                .fill_null(false)
                .sum()
                .cast(DataType::Int64)
                .alias(name.as_str()),
        );
    }
    let fine = population.clone().group_by([
        col(s::MUNICIPALITY),
        col(s::GROUP),
        col(ENTRY_YEAR),
        col(sp::DURATION_DAYS),
    ]);
    let mut columns = vec![CENSORED];
    columns.extend(classes.iter().map(String::as_str));
    let pooled: Vec<Expr> = columns.iter().map(|c| col(*c).sum()).collect();
    let mut lists = vec![col(sp::DURATION_DAYS)];
    lists.extend(columns.iter().map(|c| col(*c)));
    let keys = cohort_keys();
    let key_cols: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let events = by_levels(
        fine.agg(counts),
        reference,
        &[ENTRY_YEAR, sp::DURATION_DAYS],
        &pooled,
    )?
    .group_by(key_cols.clone())
    .agg(lists);
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
    )?;
    let df = events
        .join(
            sizes,
            key_cols.clone(),
            key_cols,
            JoinArgs::new(JoinType::Inner),
        )
        .collect()?;

    // Counts are never null here; a null would be a bug upstream, read as 0.
    let ints = |c: &str| -> PolarsResult<Vec<i64>> {
        Ok(super::ints(&df, c)?
            .into_iter()
            .map(|v| v.unwrap_or(0))
            .collect())
    };
    let lists = |c: &str| -> PolarsResult<Vec<Vec<i64>>> {
        df.column(c)?
            .list()?
            .amortized_iter()
            .map(|v| match v {
                Some(v) => Ok(v
                    .as_ref()
                    .cast(&DataType::Int64)?
                    .i64()?
                    .iter()
                    .map(|x| x.unwrap_or(0))
                    .collect()),
                None => Ok(Vec::new()),
            })
            .collect()
    };
    let (l, u, n, g) = (
        texts(&df, out::LEVEL)?,
        texts(&df, out::UNIT)?,
        texts(&df, out::UNIT_NAME)?,
        texts(&df, out::GROUP)?,
    );
    let (years, spells, persons) = (ints(ENTRY_YEAR)?, ints(SPELLS)?, ints(out::PERSONS)?);
    let durations = lists(sp::DURATION_DAYS)?;
    let censored = lists(CENSORED)?;
    let class_events: Vec<Vec<Vec<i64>>> = classes
        .iter()
        .map(|c| lists(c))
        .collect::<PolarsResult<_>>()?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let cohort = Cohort {
            level: l[i].clone(),
            unit: u[i].clone(),
            unit_name: n[i].clone(),
            entry_year: years[i] as i32,
            group: g[i].clone(),
        };
        // The cohort's durations ascending (a group's list keeps no particular order).
        let mut order: Vec<usize> = (0..durations[i].len()).collect();
        order.sort_unstable_by_key(|&j| durations[i][j]);
        let times: Vec<i32> = order.iter().map(|&j| durations[i][j] as i32).collect();
        let as_u64 =
            |v: &[i64]| -> Vec<u64> { order.iter().map(|&j| v[j].max(0) as u64).collect() };
        let per_class: Vec<Vec<u64>> = class_events.iter().map(|c| as_u64(&c[i])).collect();
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
        let events = CompetingEvents::new(times, as_u64(&censored[i]), per_class)
            .map_err(|e| polars_err!(ComputeError: "event table of {cohort:?}: {e}"))?;
        out.push(CohortCounts {
            cohort,
            spells: spells[i],
            persons: persons[i],
            events,
            class_events_at,
        });
    }
    // The tables are built in this order, which is their key order.
    out.sort_unstable_by(|a, b| a.cohort.cmp(&b.cohort));
    Ok(out)
}

/// Column builder for the cohort key columns: the fitted cohort of each row, gathered from one
/// row per cohort at the end (no text copied per row).
#[derive(Default)]
struct KeyColumns {
    rows: Vec<IdxSize>,
}

impl KeyColumns {
    /// A row of the cohort `fitted[i]`.
    fn push(&mut self, i: usize) {
        self.rows.push(i as IdxSize);
    }

    fn into_columns(self, fitted: &[Fitted]) -> PolarsResult<Vec<Column>> {
        let cohorts = fitted.iter().map(|f| &f.cohort);
        let text = |c: fn(&Cohort) -> &str| cohorts.clone().map(c).collect::<Vec<_>>();
        let one_per_cohort = DataFrame::new_infer_height(vec![
            Column::new(out::LEVEL.into(), text(|c| &c.level)),
            Column::new(out::UNIT.into(), text(|c| &c.unit)),
            Column::new(out::UNIT_NAME.into(), text(|c| &c.unit_name)),
            Column::new(
                ENTRY_YEAR.into(),
                cohorts.clone().map(|c| c.entry_year).collect::<Vec<_>>(),
            ),
            Column::new(out::GROUP.into(), text(|c| &c.group)),
        ])?;
        Ok(one_per_cohort
            .take(&IdxCa::from_vec("rows".into(), self.rows))?
            .into_columns())
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

fn cohorts_table(fitted: &[Fitted], horizons: &[i32], z: f64) -> PolarsResult<Table> {
    let mut keys = KeyColumns::default();
    let (mut spells, mut persons, mut events, mut censored, mut median) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut median_n, mut median_d) = (vec![], vec![]);
    let mut s_h: Vec<[Vec<Option<f64>>; 3]> =
        horizons.iter().map(|_| [vec![], vec![], vec![]]).collect();
    let mut n_d_h: Vec<[Vec<i64>; 2]> = horizons.iter().map(|_| [vec![], vec![]]).collect();
    for (i, f) in fitted.iter().enumerate() {
        let km = f.aj.kaplan_meier();
        keys.push(i);
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
    let mut columns = keys.into_columns(fitted)?;
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
        // Built in key order (cohorts in `Ord` order), so not sorted again.
        df: DataFrame::new_infer_height(columns)?,
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
    for (i, f) in fitted.iter().enumerate() {
        let km = f.aj.kaplan_meier();
        let mut t = 0;
        while km.at_risk(t) > 0 {
            keys.push(i);
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
    let mut columns = keys.into_columns(fitted)?;
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
        // Built in key order (cohorts in `Ord` order), so not sorted again.
        df: DataFrame::new_infer_height(columns)?,
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
    // In key order: classes alphabetically, then horizons ascending.
    let mut classes: Vec<(usize, &str)> = EXIT_CLASSES
        .iter()
        .enumerate()
        .map(|(j, (name, _))| (j, *name))
        .collect();
    classes.sort_by_key(|(_, name)| *name);
    let mut ascending: Vec<(usize, i32)> = horizons.iter().copied().enumerate().collect();
    ascending.sort_by_key(|(_, h)| *h);
    for (k, f) in fitted.iter().enumerate() {
        let values: Vec<Option<Vec<f64>>> = ascending
            .iter()
            .map(|(_, h)| f.aj.cumulative_incidence(*h))
            .collect();
        for (j, name) in &classes {
            for ((i, h), values) in ascending.iter().zip(&values) {
                keys.push(k);
                class.push(*name);
                t_days.push(*h);
                cif.push(values.as_ref().map(|v| v[*j]));
                class_d.push(f.class_events_at[*j][*i] as i64);
            }
        }
    }
    let mut columns = keys.into_columns(fitted)?;
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
        // Built in key order (cohorts in `Ord` order), so not sorted again.
        df: DataFrame::new_infer_height(columns)?,
        keys,
        definition: Definition::Text("Aalen–Johansen cumulative incidence of exit class j (work, education, health, \
                     other; class of the status on spell_end + gap_days + 1): F_j(t) = Σ_{tᵢ ≤ t} \
                     S(tᵢ₋₁) d_{j,i}/nᵢ with S the all-cause Kaplan–Meier; null where S(t) is null."),
    })
}
