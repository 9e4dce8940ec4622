//! The dense integer person id, given once while the extract is read: `persons` numbers its
//! text ids by rank, every other table looks its rows' ids up right after it is read. Every
//! later rule, summary and join then works on four-byte integers instead of text, and the text
//! ids of the large tables are not kept at all.

use polars::prelude::*;

use crate::intervals::run_starts;
use crate::schema::{self as s, TableSpec};
use crate::validation::Finding;

use super::rows::{find, Origin};

/// `persons` with `person_id` replaced by its dense UInt32 (the rank of the text id among the
/// distinct ones, from 0) and the text kept beside it as `person_key`; rows stay in file order.
pub fn number_persons(persons: DataFrame) -> PolarsResult<DataFrame> {
    persons
        .lazy()
        .with_column(col(s::PERSON_ID).alias(s::PERSON_KEY))
        .with_column(
            (col(s::PERSON_ID).rank(
                RankOptions {
                    method: RankMethod::Dense,
                    descending: false,
                },
                None,
            ) - lit(1))
            .cast(DataType::UInt32)
            .alias(s::PERSON_ID),
        )
        .select(persons_columns())
        .collect()
}

/// The columns of a numbered `persons`: the contract's, with `person_key` after `person_id`.
fn persons_columns() -> Vec<Expr> {
    let mut cols = vec![col(s::PERSON_ID), col(s::PERSON_KEY)];
    cols.extend(s::PERSONS.columns[1..].iter().map(|c| col(c.name)));
    cols
}

/// The look-up table of [`number_rows`]: each text id of `persons` (numbered by
/// [`number_persons`]) once, with its integer id. Built once for the five tables (on 1M persons
/// 0.05 s each time).
pub fn person_keys(persons: &DataFrame) -> PolarsResult<DataFrame> {
    persons
        .clone()
        .lazy()
        .select([col(s::PERSON_KEY), col(s::PERSON_ID).alias(ID)])
        .filter(col(ID).is_not_null())
        .unique(Some(by_name([ID], true, false)), UniqueKeepStrategy::Any)
        .collect()
}

/// The rows of `df` (table `spec`, read from `origin`) with `person_id` replaced by the integer
/// id of `keys` (the persons' [`person_keys`]), and the findings for rows whose person_id is not
/// one of persons. A table with such rows keeps its text ids: it is invalid, and the
/// summary counts its distinct ids as written.
///
/// Only the first row of each run of equal ids is looked up, and its integer id given to the
/// whole run: registers are mostly written person by person, so this looks up about one text
/// per person instead of one per row (on 1M persons 58 M rows, where looking up every row took
/// 1.9 s of the load). Any row order gives the same ids, only more runs.
pub fn number_rows(
    df: DataFrame,
    keys: &DataFrame,
    spec: TableSpec,
    origin: &Origin,
) -> PolarsResult<(DataFrame, Vec<Finding>)> {
    let df = df
        .lazy()
        .with_column(run_starts(&[s::PERSON_ID]).alias(FIRST))
        .collect()?;
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    let starts = df
        .clone()
        .lazy()
        .filter(col(FIRST))
        .select([col(s::PERSON_ID)])
        .join(
            keys.clone().lazy(),
            [col(s::PERSON_ID)],
            [col(s::PERSON_KEY)],
            args,
        )
        .collect()?;
    let ids = starts.column(ID)?.as_materialized_series().clone();
    let run = col(FIRST).cast(DataType::UInt32).cum_sum(false) - lit(1u32);
    let joined = df
        .lazy()
        .with_column(lit(ids).gather(run, false).alias(ID))
        .drop(by_name([FIRST], true, false))
        .collect()?;
    let unknown = col(ID).is_null().and(col(s::PERSON_ID).is_not_null());
    let findings = find(
        joined.clone().lazy(),
        unknown,
        col(s::PERSON_ID),
        spec.name,
        s::PERSON_ID,
        "is not in persons",
        "a person_id of the persons table",
        origin,
    )?;
    let replaced = if findings.is_empty() {
        col(ID).alias(s::PERSON_ID)
    } else {
        col(s::PERSON_ID)
    };
    let df = joined
        .lazy()
        .with_column(replaced)
        .drop(by_name([ID], true, false))
        .collect()?;
    Ok((df, findings))
}

/// Working columns: the integer id while it is looked up, and the first row of a run of ids.
const ID: &str = "__id";
const FIRST: &str = "__first";

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ids: &[&str]) -> DataFrame {
        let n = ids.len();
        let mut df = df!(s::PERSON_ID => ids).unwrap();
        for c in &s::PERSONS.columns[1..] {
            df.with_column(Column::full_null(c.name.into(), n, &DataType::String))
                .unwrap();
        }
        person_keys(&number_persons(df).unwrap()).unwrap()
    }

    #[test]
    fn runs_in_any_order_get_their_persons_ids_and_unknown_ids_their_rows() {
        let keys = keys(&["b", "c", "a"]);
        let rows = df!(s::PERSON_ID => ["c", "c", "a", "c", "x", "x", "b"]).unwrap();
        let origin = Origin::new(vec!["t.csv".into()], &[7]);
        let (df, findings) = number_rows(rows.clone(), &keys, s::MEETINGS, &origin).unwrap();
        // A table with an unknown id keeps its text ids; the finding names both of its rows.
        assert_eq!(df, rows);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].total, 2);
        assert_eq!(findings[0].examples[0], (Some(5), Some("x".into())));
        let rows = df!(s::PERSON_ID => ["c", "c", "a", "c", "b", "a"]).unwrap();
        let (df, findings) = number_rows(rows, &keys, s::MEETINGS, &origin).unwrap();
        assert!(findings.is_empty());
        let ids: Vec<Option<u32>> = df
            .column(s::PERSON_ID)
            .unwrap()
            .u32()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(ids, [2, 2, 0, 2, 1, 0].map(Some));
    }
}
