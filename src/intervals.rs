//! Interval algebra on person-level day intervals, in Polars, without expanding person-days.
//!
//! Days are `i32` (days since 1970-01-01) and intervals `[start, end]` include both ends. The
//! building blocks:
//! - [`merge_ids`]: per person, in order of `(start, end)`, number the runs of intervals that
//!   touch within `gap` days (`start ≤ reach + gap + 1`, reach = the largest end so far). One
//!   sort and two window expressions: O(n log n) in the number of intervals.
//! - [`union`]: the merged intervals themselves.
//! - [`cover_steps`]: the step function "smallest key among the intervals covering day d" as
//!   change points `(person, day, key)`; the value holds from `day` until the next change point
//!   (null = not covered). Cost: O(b · k) rows for b change points and k distinct keys of a
//!   person (k is 1 for almost everyone: the municipality rarely changes).
//! - [`pieces`]: splits each person's window into maximal pieces on which every given step
//!   function is constant, by as-of joins of the pooled change points onto each step function.
//!   Day counts then are sums of piece lengths, never rows per day.
//! - [`value_on`]: the value of a step function on one day per row (backward as-of join).

use polars::lazy::dsl::min_horizontal;
use polars::prelude::*;

use crate::schema::PERSON_ID;

/// Change point day of a step function.
pub const DAY: &str = "day";
/// First and last day of a piece.
pub const FROM: &str = "from";
pub const TO: &str = "to";
/// Numbers merged runs within a person (see [`merge_ids`]).
pub const MERGE_ID: &str = "__merge";
const ORDER: &str = "__order";
const DELTA: &str = "__delta";
/// Columns of a [`covered_steps`] step function besides `DAY` (its interval start).
const COV_START: &str = "__cov_start";
const COV_END: &str = "__cov_end";
const COV_BEFORE: &str = "__cov_before";

/// Adds `MERGE_ID` (1, 2, … within each `by` group) numbering the merged runs of intervals
/// `start..end` (i32 day columns) whose members touch within `gap` days. Rows are ordered by
/// `by`, `start`, `tie_break`, `end` and then row order, so the result is the same on every run
/// (a merge never depends on the order of equal starts).
pub fn merge_ids(
    lf: LazyFrame,
    by: &[&str],
    start: &str,
    end: &str,
    gap: i32,
    tie_break: &[&str],
) -> PolarsResult<LazyFrame> {
    let mut keys = by.to_vec();
    keys.push(start);
    keys.extend_from_slice(tie_break);
    keys.extend([end, ORDER]);
    let part: Vec<Expr> = by.iter().map(|b| col(*b)).collect();
    Ok(lf
        .with_row_index(ORDER, None)
        .sort(keys, SortMultipleOptions::default())
        .with_column(
            col(end)
                .cum_max(false)
                .shift(lit(1))
                .over(part.clone())?
                .alias("__reach"),
        )
        .with_column(
            (col("__reach")
                .is_null()
                .or(col(start).gt(col("__reach") + lit(gap + 1))))
            .cast(DataType::Int32)
            .cum_sum(false)
            .over(part)?
            .alias(MERGE_ID),
        )
        .drop(by_name([ORDER, "__reach"], true, false)))
}

/// The union of intervals per `by` (which must include `PERSON_ID`), merging intervals that
/// touch within `gap` days. Output: `by`, `start`, `end`, sorted.
pub fn union(
    lf: LazyFrame,
    by: &[&str],
    start: &str,
    end: &str,
    gap: i32,
) -> PolarsResult<LazyFrame> {
    let mut group: Vec<Expr> = by.iter().map(|b| col(*b)).collect();
    group.push(col(MERGE_ID));
    let mut out: Vec<&str> = by.to_vec();
    out.extend([start, end]);
    let mut sort_keys = by.to_vec();
    sort_keys.push(start);
    Ok(merge_ids(lf, by, start, end, gap, &[])?
        .group_by(group)
        .agg([col(start).min(), col(end).max()])
        .select(out.iter().map(|c| col(*c)).collect::<Vec<_>>())
        .sort(sort_keys, SortMultipleOptions::default()))
}

/// Step function "smallest `key` covering the day" of intervals `(PERSON_ID, key, start, end)`,
/// as change points `(PERSON_ID, DAY, key)` sorted by person and day; `key` is null where no
/// interval covers. Consecutive change points never repeat a value.
///
/// How: after the union per (person, key), each key's intervals are disjoint and not adjacent,
/// so a key switches on at `start` and off at `end + 1`, alternately. Give each of a person's
/// keys a bit (its dense rank among the person's keys, so smaller key = lower bit) and add
/// `+2^bit` at a start and `−2^bit` at an end + 1: the running sum per person is then exactly
/// the bit set of the active keys, and the smallest active key is its lowest set bit. One sort
/// and one cumulative sum: O(n log n) in the number of intervals, with no pairing of days and
/// keys. A person may hold at most 62 distinct keys.
pub fn cover_steps(lf: LazyFrame, key: &str, start: &str, end: &str) -> PolarsResult<LazyFrame> {
    const BIT: &str = "__bit";
    const POWER: &str = "__power";
    const MASK: &str = "__mask";
    let merged = union(lf, &[PERSON_ID, key], start, end, 0)?.with_column(
        (col(key)
            .rank(
                RankOptions {
                    method: RankMethod::Dense,
                    descending: false,
                },
                None,
            )
            .over([col(PERSON_ID)])?
            .cast(DataType::Int32)
            - lit(1))
        .alias(BIT),
    );
    let merged = merged.collect()?;
    let max_bit = merged.column(BIT)?.i32()?.max().unwrap_or(0);
    polars_ensure!(
        max_bit <= 62,
        ComputeError: "a person holds {} distinct values of `{key}`; at most 63 are supported", max_bit + 1
    );
    let powers = df!(BIT => (0..=62).collect::<Vec<i32>>(), POWER => (0..=62).map(|b| 1i64 << b).collect::<Vec<i64>>())?.lazy();
    let merged = merged.lazy().join(
        powers,
        [col(BIT)],
        [col(BIT)],
        JoinArgs::new(JoinType::Left),
    );
    let events = concat(
        [
            merged.clone().select([
                col(PERSON_ID),
                col(start).alias(DAY),
                col(POWER).alias(DELTA),
            ]),
            merged.clone().select([
                col(PERSON_ID),
                (col(end) + lit(1)).alias(DAY),
                (lit(0i64) - col(POWER)).alias(DELTA),
            ]),
        ],
        UnionArgs::default(),
    )?;
    let steps = events
        .group_by([col(PERSON_ID), col(DAY)])
        .agg([col(DELTA).sum()])
        .sort([PERSON_ID, DAY], SortMultipleOptions::default())
        .with_column(
            col(DELTA)
                .cum_sum(false)
                .over([col(PERSON_ID)])?
                .alias(MASK),
        )
        .select([col(PERSON_ID), col(DAY), col(MASK)])
        .collect()?;
    // The lowest set bit of each distinct mask (few distinct values), as a lookup table.
    let masks: Vec<i64> = steps
        .column(MASK)?
        .unique()?
        .i64()?
        .into_no_null_iter()
        .collect();
    let lowest: Vec<Option<i32>> = masks
        .iter()
        .map(|m| (*m != 0).then(|| m.trailing_zeros() as i32))
        .collect();
    let lookup = df!(MASK => masks, BIT => lowest)?.lazy();
    let keys = merged
        .select([col(PERSON_ID), col(BIT), col(key)])
        .unique(None, UniqueKeepStrategy::Any);
    let steps = steps
        .lazy()
        .join(
            lookup,
            [col(MASK)],
            [col(MASK)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            keys,
            [col(PERSON_ID), col(BIT)],
            [col(PERSON_ID), col(BIT)],
            JoinArgs::new(JoinType::Left),
        )
        .select([col(PERSON_ID), col(DAY), col(key)])
        .sort([PERSON_ID, DAY], SortMultipleOptions::default());
    dedup_steps(steps, key)
}

/// Drops change points whose value equals the previous one of the same person.
fn dedup_steps(steps: LazyFrame, value: &str) -> PolarsResult<LazyFrame> {
    let prev = col(value).shift(lit(1)).over([col(PERSON_ID)])?;
    let first = col(DAY).cum_count(false).over([col(PERSON_ID)])?.eq(lit(1));
    Ok(steps.filter(first.or(prev.clone().neq_missing(col(value)))))
}

/// Joins to each row of `left` the last row of `right` with the same `by` values and
/// `right.on ≤ left.on`. Both are sorted by (`by`, `on`) by the caller or here.
fn asof_backward(left: LazyFrame, right: LazyFrame, on: &str, by: &[&str]) -> LazyFrame {
    let by: Vec<PlSmallStr> = by.iter().map(|b| PlSmallStr::from(*b)).collect();
    let mut sort_keys: Vec<PlSmallStr> = by.clone();
    sort_keys.push(on.into());
    let left = left.sort(sort_keys.clone(), SortMultipleOptions::default());
    let right = right.sort(sort_keys, SortMultipleOptions::default());
    left.join_builder()
        .with(right)
        .left_on([col(on)])
        .right_on([col(on)])
        .how(JoinType::AsOf(Box::new(AsOfOptions {
            strategy: AsofStrategy::Backward,
            tolerance: None,
            tolerance_str: None,
            left_by: Some(by.clone()),
            right_by: Some(by),
            allow_eq: true,
            check_sortedness: false,
        })))
        .suffix("__right")
        .finish()
}

/// The values of the step function `steps` (`PERSON_ID`, `DAY`, `values`…) on day column `day`
/// of each row of `lf`: those of the last change point on or before it (null before the first).
pub fn value_on(lf: LazyFrame, day: &str, steps: LazyFrame, values: &[&str]) -> LazyFrame {
    let mut keep = vec![col(PERSON_ID), col(DAY).alias(day)];
    keep.extend(values.iter().map(|v| col(*v)));
    asof_backward(lf, steps.select(keep), day, &[PERSON_ID])
}

/// Splits each person's window `[from, to]` (rows of `windows`: `PERSON_ID`, `FROM`, `TO`) into
/// maximal pieces on which every step function of `layers` (`(steps, value column)`) is
/// constant. Output: `PERSON_ID`, `FROM`, `TO` and one column per layer value.
pub fn pieces(windows: LazyFrame, layers: &[(LazyFrame, &str)]) -> PolarsResult<LazyFrame> {
    let bounds = windows.clone().select([
        col(PERSON_ID),
        col(FROM).alias("__wfrom"),
        col(TO).alias("__wto"),
    ]);
    let mut points = vec![windows.select([col(PERSON_ID), col(FROM).alias(DAY)])];
    for (steps, _) in layers {
        points.push(steps.clone().select([col(PERSON_ID), col(DAY)]));
    }
    let mut lf = concat(points, UnionArgs::default())?
        .join(
            bounds,
            [col(PERSON_ID)],
            [col(PERSON_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            col(DAY)
                .gt_eq(col("__wfrom"))
                .and(col(DAY).lt_eq(col("__wto"))),
        )
        .unique(None, UniqueKeepStrategy::Any)
        .sort([PERSON_ID, DAY], SortMultipleOptions::default())
        .with_column(
            (col(DAY).shift(lit(-1)).over([col(PERSON_ID)])? - lit(1))
                .fill_null(col("__wto"))
                .alias(TO),
        )
        .select([col(PERSON_ID), col(DAY), col(TO)]);
    for (steps, value) in layers {
        lf = value_on(lf, DAY, steps.clone(), &[value]);
    }
    let mut out = vec![col(PERSON_ID), col(DAY).alias(FROM), col(TO)];
    out.extend(layers.iter().map(|(_, v)| col(*v)));
    Ok(lf
        .select(out)
        .sort([PERSON_ID, FROM], SortMultipleOptions::default()))
}

/// Cumulative event counts as a step function: `(PERSON_ID, DAY, value)` with `value` = the
/// number of rows of `events` dated on or before `DAY` (i32 day column `day`).
pub fn count_steps(events: LazyFrame, day: &str, value: &str) -> PolarsResult<LazyFrame> {
    Ok(events
        .group_by([col(PERSON_ID), col(day).alias(DAY)])
        .agg([len().cast(DataType::Int64).alias(value)])
        .sort([PERSON_ID, DAY], SortMultipleOptions::default())
        .with_column(col(value).cum_sum(false).over([col(PERSON_ID)])?))
}

/// Adds `out` = number of events in `[from, to]` per row, from `count_steps(…, value)`:
/// `count(≤ to) − count(≤ from − 1)`. Two as-of joins: O(n log n), no pairing of rows.
pub fn count_in(
    lf: LazyFrame,
    from: &str,
    to: &str,
    steps: LazyFrame,
    value: &str,
    out: &str,
) -> LazyFrame {
    let upto = |lf: LazyFrame, day: &str, name: &str| {
        value_on(
            lf,
            day,
            steps
                .clone()
                .select([col(PERSON_ID), col(DAY), col(value).alias(name)]),
            &[name],
        )
    };
    let lf = lf.with_column((col(from) - lit(1)).alias("__before"));
    let lf = upto(lf, to, "__n_to");
    let lf = upto(lf, "__before", "__n_before");
    lf.with_column((col("__n_to").fill_null(0) - col("__n_before").fill_null(0)).alias(out))
        .drop(by_name(["__before", "__n_to", "__n_before"], true, false))
}

/// Disjoint intervals `(PERSON_ID, start, end)` (e.g. from [`union`]) as a step function for
/// [`covered_in`]: one change point per interval start with its end and the covered days of the
/// person's earlier intervals.
pub fn covered_steps(unions: LazyFrame, start: &str, end: &str) -> PolarsResult<LazyFrame> {
    Ok(unions
        .sort([PERSON_ID, start], SortMultipleOptions::default())
        .select([
            col(PERSON_ID),
            col(start).alias(DAY),
            col(end).alias(COV_END),
            (col(end) - col(start) + lit(1))
                .cast(DataType::Int64)
                .cum_sum(false)
                .shift_and_fill(lit(1), lit(0i64))
                .over([col(PERSON_ID)])?
                .alias(COV_BEFORE),
        ]))
}

/// The disjoint intervals behind a [`covered_steps`] step function as `(PERSON_ID, start, end)`,
/// named by the caller: for measures that need the intervals themselves (the gaps between them).
pub fn covered_intervals(steps: LazyFrame, start: &str, end: &str) -> LazyFrame {
    steps.select([
        col(PERSON_ID),
        col(DAY).alias(start),
        col(COV_END).alias(end),
    ])
}

/// Adds `out` = days of `[from, to]` covered by the intervals of `covered_steps` (0 when none):
/// `F(to) − F(from − 1)` with `F(d)` = covered days `≤ d`, read by as-of joins. O(n log n).
pub fn covered_in(lf: LazyFrame, from: &str, to: &str, steps: LazyFrame, out: &str) -> LazyFrame {
    let upto = |lf: LazyFrame, day: &str, name: &str| {
        let right = steps.clone().select([
            col(PERSON_ID),
            col(DAY),
            col(DAY).alias(COV_START),
            col(COV_END),
            col(COV_BEFORE),
        ]);
        value_on(lf, day, right, &[COV_START, COV_END, COV_BEFORE])
            .with_column(
                (col(COV_BEFORE)
                    + (min_horizontal([col(day), col(COV_END)]).unwrap_or(col(day))
                        - col(COV_START)
                        + lit(1))
                    .cast(DataType::Int64))
                .fill_null(0)
                .alias(name),
            )
            .drop(by_name([COV_START, COV_END, COV_BEFORE], true, false))
    };
    let lf = lf.with_column((col(from) - lit(1)).alias("__before"));
    let lf = upto(lf, to, "__f_to");
    let lf = upto(lf, "__before", "__f_before");
    lf.with_column((col("__f_to") - col("__f_before")).alias(out))
        .drop(by_name(["__before", "__f_to", "__f_before"], true, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(rows: &[(&str, i32, i32, i32)]) -> LazyFrame {
        df!(
            PERSON_ID => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "key" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "start" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "end" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        )
        .unwrap()
        .lazy()
    }

    fn rows3(df: &DataFrame, a: &str, b: &str, c: &str) -> Vec<(String, i32, Option<i32>)> {
        let p = df.column(PERSON_ID).unwrap().str().unwrap();
        let x = df.column(a).unwrap().i32().unwrap();
        let y = df.column(b).unwrap().i32().unwrap();
        let _ = c;
        p.iter()
            .zip(x.iter())
            .zip(y.iter())
            .map(|((p, x), y)| (p.unwrap().to_owned(), x.unwrap(), y))
            .collect()
    }

    #[test]
    fn union_merges_within_gap_only() {
        let lf = frame(&[
            ("a", 1, 0, 9),
            ("a", 1, 12, 20),
            ("a", 1, 24, 30),
            ("b", 1, 5, 5),
        ]);
        let out = union(lf, &[PERSON_ID], "start", "end", 2)
            .unwrap()
            .collect()
            .unwrap();
        // 12 ≤ 9 + 2 + 1 joins; 24 > 20 + 3 does not.
        assert_eq!(
            rows3(&out, "start", "end", ""),
            vec![
                ("a".into(), 0, Some(20)),
                ("a".into(), 24, Some(30)),
                ("b".into(), 5, Some(5))
            ]
        );
    }

    #[test]
    fn cover_steps_take_the_smallest_key() {
        // key 7 on [0, 10], key 3 on [5, 6], nothing on [11, 14], key 7 from 15.
        let lf = frame(&[("a", 7, 0, 10), ("a", 3, 5, 6), ("a", 7, 15, 20)]);
        let out = cover_steps(lf, "key", "start", "end")
            .unwrap()
            .collect()
            .unwrap();
        assert_eq!(
            rows3(&out, DAY, "key", ""),
            vec![
                ("a".into(), 0, Some(7)),
                ("a".into(), 5, Some(3)),
                ("a".into(), 7, Some(7)),
                ("a".into(), 11, None),
                ("a".into(), 15, Some(7)),
                ("a".into(), 21, None),
            ]
        );
    }

    #[test]
    fn pieces_split_at_every_change() {
        let steps = cover_steps(frame(&[("a", 7, 0, 10)]), "key", "start", "end").unwrap();
        let groups = df!(PERSON_ID => ["a"], DAY => [4i32], "g" => ["x"])
            .unwrap()
            .lazy();
        let windows = df!(PERSON_ID => ["a"], FROM => [2i32], TO => [12i32])
            .unwrap()
            .lazy();
        let out = pieces(windows, &[(steps, "key"), (groups, "g")])
            .unwrap()
            .collect()
            .unwrap();
        assert_eq!(
            rows3(&out, FROM, TO, ""),
            vec![
                ("a".into(), 2, Some(3)),
                ("a".into(), 4, Some(10)),
                ("a".into(), 11, Some(12))
            ]
        );
        let g = out.column("g").unwrap().str().unwrap();
        assert_eq!(
            g.iter().collect::<Vec<_>>(),
            vec![None, Some("x"), Some("x")]
        );
    }
}
