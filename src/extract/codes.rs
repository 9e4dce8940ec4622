//! Coded text columns (the closed code lists of DATA.md): while the extract is loaded each value
//! is held as its one-byte position in the sorted code list instead of a 16-byte text view; the
//! view of a report (`Extract::as_of`) holds them as Enums of that sorted list, one byte per row
//! as well. The categories are in text order, so a sort on such an Enum orders rows as a sort on
//! the text would; comparisons with text literals and `is_in` with text lists work on them
//! unchanged.

use polars::prelude::*;

use crate::schema::TableSpec;

/// The position of `value` in the sorted `codes`, as Int8; null stays null. Only for values
/// known to be in the list (a part with another value keeps its text). The value is cast to the
/// Enum of the sorted list and its category index taken: an elementwise look-up that the
/// streaming engine runs in parallel, where a search in the list would run on one thread over
/// the whole column.
pub fn encode(value: Expr, codes: &[&str]) -> PolarsResult<Expr> {
    let dtype = enum_of(&sorted(codes))?;
    Ok(value.cast(dtype).to_physical().cast(DataType::Int8))
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

/// Every column of `df` (a frame of table `spec`), in order, encoded ones as Enums of their
/// sorted code list (a part that kept its text is cast to the same Enum; validation admitted
/// only codes of the list).
pub fn as_enum(df: &DataFrame, spec: &TableSpec) -> PolarsResult<Vec<Expr>> {
    df.columns()
        .iter()
        .map(|c| {
            let name = c.name().as_str();
            Ok(match spec.column(name).and_then(|c| c.codes) {
                Some(codes) => {
                    let list = sorted(codes);
                    let dtype = enum_of(&list)?;
                    match c.dtype() {
                        DataType::Int8 => lit(list.cast(&dtype)?).gather(col(name), false),
                        _ => col(name).cast(dtype),
                    }
                    .alias(name)
                }
                None => col(name),
            })
        })
        .collect()
}

/// The Enum whose categories are `list`, in its order.
fn enum_of(list: &Series) -> PolarsResult<DataType> {
    let categories = FrozenCategories::new(list.str()?.iter().flatten())?;
    Ok(DataType::from_frozen_categories(categories))
}

fn sorted(codes: &[&str]) -> Series {
    let mut codes = codes.to_vec();
    codes.sort_unstable();
    Series::new("codes".into(), codes)
}
