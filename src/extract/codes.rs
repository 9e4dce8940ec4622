//! Coded text columns (the closed code lists of DATA.md) while the extract is loaded: each value
//! is held as its one-byte position in the sorted code list instead of a 16-byte text view, and
//! turned back into text for `Extract::as_of`. (An Enum would do the same, but its one-byte
//! physical type needs a Polars feature the build does not have.)

use polars::prelude::*;

use crate::schema::TableSpec;

/// The position of `value` in `codes`, as Int8; null stays null. Only for values known to be in
/// the list (a part with another value keeps its text).
pub fn encode(value: Expr, codes: &[&str]) -> Expr {
    when(value.clone().is_null())
        .then(lit(NULL).cast(DataType::Int8))
        .otherwise(
            lit(sorted(codes))
                .search_sorted(value, SearchSortedSide::Left, false)
                .cast(DataType::Int8),
        )
}

/// Every column of `df` (a frame of table `spec`), in order, encoded ones as text again. The
/// codes are looked up in a text column of the list, so the rows share its few strings.
pub fn as_text(df: &DataFrame, spec: &TableSpec) -> Vec<Expr> {
    df.columns()
        .iter()
        .map(|c| {
            let name = c.name().as_str();
            match (c.dtype(), spec.column(name).and_then(|c| c.codes)) {
                (DataType::Int8, Some(codes)) => {
                    lit(sorted(codes)).gather(col(name), false).alias(name)
                }
                _ => col(name),
            }
        })
        .collect()
}

fn sorted(codes: &[&str]) -> Series {
    let mut codes = codes.to_vec();
    codes.sort_unstable();
    Series::new("codes".into(), codes)
}
