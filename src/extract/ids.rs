//! The dense integer person id, given once while the extract is read: `persons` numbers its
//! text ids by rank, every other table looks its rows' ids up right after it is read. Every
//! later rule, summary and join then works on four-byte integers instead of text, and the text
//! ids of the large tables are not kept at all.

use polars::prelude::*;

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

/// The rows of `df` (table `spec`, read from `origin`) with `person_id` replaced by the integer
/// id of `persons` (numbered by [`number_persons`]), and the findings for rows whose person_id
/// is not one of persons. A table with such rows keeps its text ids: it is invalid, and the
/// summary counts its distinct ids as written.
pub fn number_rows(
    df: DataFrame,
    persons: &DataFrame,
    spec: TableSpec,
    origin: &Origin,
) -> PolarsResult<(DataFrame, Vec<Finding>)> {
    let keys = persons
        .clone()
        .lazy()
        .select([col(s::PERSON_KEY), col(s::PERSON_ID).alias(ID)])
        .filter(col(ID).is_not_null())
        .unique(Some(by_name([ID], true, false)), UniqueKeepStrategy::Any);
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    let joined = df
        .lazy()
        .join(keys, [col(s::PERSON_ID)], [col(s::PERSON_KEY)], args)
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

/// Working column: the integer id while it is looked up.
const ID: &str = "__id";
