//! Coded text columns (the closed code lists of DATA.md): while the extract is loaded each value
//! is held as its one-byte position in the sorted code list instead of a 16-byte text view; the
//! view of a report (`Extract::as_of`) holds them as Enums of that sorted list, one byte per row
//! as well. The categories are in text order, so a sort on such an Enum orders rows as a sort on
//! the text would; comparisons with text literals and `is_in` with text lists work on them
//! unchanged.

use polars::prelude::*;

use crate::schema::TableSpec;

/// The position of `value` in the sorted `codes`, as Int8; null for null and for a value not in
/// the list (the code check of `read` is this null). One comparison with each code, on the
/// text views, elementwise so that the streaming engine runs it in parallel: a cast to the Enum
/// of the list hashed every value and compared it again on a hit, which on 1M persons (70 M
/// coded values) took a fifth of the load; the lists hold 2 to 16 codes.
pub fn encode(value: Expr, codes: &[&str]) -> PolarsResult<Expr> {
    let list = sorted(codes);
    let list: Vec<&str> = list.str()?.iter().flatten().collect();
    let mut out = lit(NULL).cast(DataType::Int8);
    for (i, code) in list.iter().enumerate().rev() {
        let i = i8::try_from(i).map_err(|_| polars_err!(ComputeError: "over 127 codes"))?;
        out = when(value.clone().eq(lit(*code)))
            .then(lit(i))
            .otherwise(out);
    }
    Ok(out)
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
