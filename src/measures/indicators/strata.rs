//! The strata behind the benchmark's indirect standardisation (MEASURES.md §6): per measure,
//! municipality and stratum (age band on R × sex × origin) the pooled numerator and
//! denominator of a proportion measure. Kept beside the `indicators` table from the same
//! unit-level rows; unprotected and never written: only `measures::benchmark` reads them, to
//! compute a municipality's expected count.

use polars::prelude::*;

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

/// One measure's unit-level rows (`person_id`, `municipality`, `den`, `num`) pooled per
/// municipality and stratum of the person on R (`r_year` = year of R), with `measure`.
pub(super) fn pool(
    rows: LazyFrame,
    persons: &DataFrame,
    r_year: i32,
    measure: &str,
    den: &str,
    num: &str,
) -> LazyFrame {
    let persons = persons.clone().lazy().select([
        col(s::PERSON_ID),
        s::age_band(col(s::BIRTH_YEAR), r_year).alias(AGE_BAND),
        col(s::SEX),
        col(s::ORIGIN),
    ]);
    rows.join(
        persons,
        [col(s::PERSON_ID)],
        [col(s::PERSON_ID)],
        JoinArgs::new(JoinType::Left),
    )
    .with_columns(
        STRATUM
            .iter()
            .map(|c| col(*c).fill_null(lit(UNKNOWN)))
            .collect::<Vec<_>>(),
    )
    .group_by([
        col(s::MUNICIPALITY),
        col(AGE_BAND),
        col(s::SEX),
        col(s::ORIGIN),
    ])
    .agg([col(num).sum().alias(NUM), col(den).sum().alias(DEN)])
    .with_column(lit(measure.to_owned()).alias(out::MEASURE))
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
