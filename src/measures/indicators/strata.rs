//! The strata behind the benchmark's indirect standardisation (MEASURES.md §6): per measure,
//! municipality and stratum (age band on R × sex × origin) the pooled numerator and
//! denominator of a proportion measure. Kept beside the `indicators` table from the same
//! unit-level rows; unprotected and never written: only `measures::benchmark` reads them, to
//! compute a municipality's expected count.

use polars::prelude::*;

use crate::extract::at_person;
use crate::reference::{self, Reference};
use crate::schema::{self as s, out};

/// Stratum columns: the §1.6 age band on R, `sex` and `origin` of the person.
pub const AGE_BAND: &str = "__age_band";
pub const STRATUM: [&str; 3] = [AGE_BAND, s::SEX, s::ORIGIN];
/// Pooled numerator and denominator of a (municipality, stratum).
pub const NUM: &str = "__stratum_num";
pub const DEN: &str = "__stratum_den";
/// The stratum value of a null attribute: null origin is its own stratum (§6).
pub const UNKNOWN: &str = "unknown";

/// Per (measure, municipality, stratum): `measure`, `unit` (the municipality code as text, as
/// in `indicators`), `peer_group`, the [`STRATUM`] columns, [`NUM`] and [`DEN`]. Only
/// proportion measures (not `meetings_per_year`) have rows. Unprotected: never written.
#[derive(Debug, Clone)]
pub struct Strata {
    df: DataFrame,
}

impl Strata {
    pub fn df(&self) -> &DataFrame {
        &self.df
    }
}

/// Every person's stratum on R, built once for all measures: a stratum number per person, and
/// the [`STRATUM`] columns of each number. Why: each measure's pooling computed every person's
/// age band, joined the persons and grouped on three text columns; with the numbers it looks
/// one integer up by the person's id and groups on two (on 1M persons the strata of the 16
/// measures that have them took 1.1 s, and now 0.5 s less).
pub(super) struct PersonStrata {
    /// The stratum number of each of the view's persons, in their order (for [`at_person`]).
    of_person: Series,
    /// [`NUMBER`] and the [`STRATUM`] columns.
    columns: DataFrame,
}

/// Working column: a stratum's number.
const NUMBER: &str = "__stratum";

impl PersonStrata {
    /// The strata of `persons` on R (`r_year` = year of R); a null attribute is [`UNKNOWN`].
    pub(super) fn new(persons: &DataFrame, r_year: i32) -> PolarsResult<PersonStrata> {
        let attributes = persons
            .clone()
            .lazy()
            .select([
                col(s::PERSON_ID),
                s::age_band(col(s::BIRTH_YEAR), r_year).alias(AGE_BAND),
                col(s::SEX),
                col(s::ORIGIN),
            ])
            .with_columns(
                STRATUM
                    .iter()
                    .map(|c| col(*c).fill_null(lit(UNKNOWN)))
                    .collect::<Vec<_>>(),
            );
        let stratum: Vec<Expr> = STRATUM.iter().map(|c| col(*c)).collect();
        let columns = attributes
            .clone()
            .select(stratum.clone())
            .unique(None, UniqueKeepStrategy::Any)
            .sort(STRATUM, SortMultipleOptions::default())
            .with_row_index(NUMBER, None)
            .collect()?;
        let mut args = JoinArgs::new(JoinType::Left);
        args.maintain_order = MaintainOrderJoin::Left;
        let of_person = attributes
            .join(columns.clone().lazy(), stratum.clone(), stratum, args)
            .select([col(NUMBER)])
            .collect()?;
        let of_person = of_person.columns()[0].as_materialized_series().clone();
        Ok(PersonStrata { of_person, columns })
    }

    /// One measure's unit-level rows (`person_id`, `municipality`, `den`, `num`) pooled per
    /// municipality and stratum of the person, with `measure`.
    pub(super) fn pool(&self, rows: LazyFrame, measure: &str, den: &str, num: &str) -> LazyFrame {
        rows.with_column(at_person(self.of_person.clone()).alias(NUMBER))
            .group_by([col(s::MUNICIPALITY), col(NUMBER)])
            .agg([col(num).sum().alias(NUM), col(den).sum().alias(DEN)])
            .join(
                self.columns.clone().lazy(),
                [col(NUMBER)],
                [col(NUMBER)],
                JoinArgs::new(JoinType::Left),
            )
            .select([
                col(s::MUNICIPALITY),
                col(AGE_BAND),
                col(s::SEX),
                col(s::ORIGIN),
                col(NUM),
                col(DEN),
            ])
            .with_column(lit(measure.to_owned()).alias(out::MEASURE))
    }
}

/// The pooled parts of every proportion measure as one [`Strata`], with each municipality's
/// peer group from `reference`.
pub(super) fn collect(parts: Vec<LazyFrame>, reference: &Reference) -> PolarsResult<Strata> {
    if parts.is_empty() {
        // No proportion measure was computed: no strata, but the columns the benchmark reads.
        let empty = |name: &str, dtype: DataType| Column::new_empty(name.into(), &dtype);
        let mut columns = vec![
            empty(out::MEASURE, DataType::String),
            empty(out::UNIT, DataType::String),
            empty(out::PEER_GROUP, DataType::String),
        ];
        columns.extend(STRATUM.iter().map(|c| empty(c, DataType::String)));
        columns.extend([empty(NUM, DataType::Int64), empty(DEN, DataType::Int64)]);
        return Ok(Strata {
            df: DataFrame::new(0, columns)?,
        });
    }
    let peers = reference.municipalities.clone().lazy().select([
        col(reference::CODE).alias(s::MUNICIPALITY),
        col(reference::PEER_GROUP).alias(out::PEER_GROUP),
    ]);
    let df = concat(parts, UnionArgs::default())?
        .join(
            peers,
            [col(s::MUNICIPALITY)],
            [col(s::MUNICIPALITY)],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col(out::MEASURE),
            col(s::MUNICIPALITY).cast(DataType::String).alias(out::UNIT),
            col(out::PEER_GROUP),
            col(AGE_BAND),
            col(s::SEX),
            col(s::ORIGIN),
            col(NUM).cast(DataType::Int64),
            col(DEN).cast(DataType::Int64),
        ])
        .filter(col(DEN).gt(lit(0)))
        .collect()?;
    Ok(Strata { df })
}
