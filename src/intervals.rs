//! Interval algebra on person-level day intervals, in Polars, without expanding person-days.
//!
//! Days are `i32` (days since 1970-01-01) and intervals `[start, end]` include both ends. The
//! building blocks:
//! - [`merge_ids`]: per person, in order of `(start, end)`, number the runs of intervals that
//!   touch within `gap` days (`start ≤ reach + gap + 1`, reach = the largest end so far). One
//!   sort and a few vectorised passes: O(n log n) in the number of intervals.
//! - [`union`]: the merged intervals themselves.
//! - [`cover_steps`]: the step function "smallest key among the intervals covering day d" as
//!   change points `(person, day, key)`; the value holds from `day` until the next change point
//!   (null = not covered). Cost: O(b · k) rows for b change points and k distinct keys of a
//!   person (k is 1 for almost everyone: the municipality rarely changes).
//! - [`pieces`]: splits each person's window into maximal pieces on which every given step
//!   function is constant, by as-of look-ups of the pooled change points on each step function.
//!   Day counts then are sums of piece lengths, never rows per day.
//! - [`value_on`]: the value of a step function on one day per row (the last change point on or
//!   before the day: a backward as-of look-up).
//!
//! Per-person work runs on rows sorted by person as vectorised passes ([`run_starts`] and the
//! helpers after it), never as window expressions (`over`): those evaluate a cumulative function
//! group by group, an order of magnitude slower with a group per person.

use polars::lazy::dsl::{max_horizontal, min_horizontal};
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
const FIRST: &str = "__first";
const REACH: &str = "__reach";
const NEW_RUN: &str = "__new_run";
const DELTA: &str = "__delta";
/// Columns of a [`covered_steps`] step function besides `DAY` (its interval start).
const COV_START: &str = "__cov_start";
const COV_END: &str = "__cov_end";
const COV_BEFORE: &str = "__cov_before";
/// The sorted person×day keys of a [`count_steps`] step function.
const EVENT_KEY: &str = "__event_key";
/// Position of the change point a look-up found ([`value_on`]).
const ASOF_AT: &str = "__asof_at";

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
    Ok(merge_starts(
        sort_rows(lf.with_row_index(ORDER, None), &keys),
        by,
        start,
        end,
        gap,
    )
    .with_column(cum_sum_in_runs(col(NEW_RUN).cast(DataType::Int32), col(FIRST)).alias(MERGE_ID))
    .drop(by_name([ORDER, FIRST, REACH, NEW_RUN], true, false)))
}

/// On rows sorted by `by` and `start`: adds [`FIRST`] (first row of its `by` group), [`REACH`]
/// (the largest `end` of the group's earlier rows, i64) and [`NEW_RUN`] (the row starts a merged
/// run: first of its group or `start > reach + gap + 1`).
fn merge_starts(sorted: LazyFrame, by: &[&str], start: &str, end: &str, gap: i32) -> LazyFrame {
    sorted
        .with_column(run_starts(by).alias(FIRST))
        .with_column(previous_max_in_runs(col(end), col(FIRST)).alias(REACH))
        .with_column(
            col(REACH)
                .is_null()
                .or(col(start).gt(col(REACH) + lit(i64::from(gap) + 1)))
                .alias(NEW_RUN),
        )
}

/// True on the first row of each run of rows with equal `keys` (nulls equal), in a frame
/// sorted so that equal keys are adjacent.
pub fn run_starts(keys: &[&str]) -> Expr {
    // `is_null().shift(1)` is null exactly on the frame's first row.
    let mut first = col(keys[0]).is_null().shift(lit(1)).is_null();
    for k in keys {
        first = first.or(col(*k).neq_missing(col(*k).shift(lit(1))));
    }
    first
}

/// `value` of the previous row of the same run (`first` from [`run_starts`]), null on a run's
/// first row: `shift(1).over(run)` on sorted rows.
pub fn previous_in_runs(value: Expr, first: Expr) -> Expr {
    when(first).then(lit(NULL)).otherwise(value.shift(lit(1)))
}

/// `value` of the next row of the same run, null on a run's last row: `shift(-1).over(run)`
/// on sorted rows.
fn next_in_runs(value: Expr, first: Expr) -> Expr {
    when(first.shift(lit(-1)).fill_null(lit(true)))
        .then(lit(NULL))
        .otherwise(value.shift(lit(-1)))
}

/// The running sum of `value` (integer, no nulls) within each run (`first` from
/// [`run_starts`]): the running sum over all rows less its value just before the run began.
/// Integer sums, so exactly `cum_sum().over(run)`, in the same dtype.
fn cum_sum_in_runs(value: Expr, first: Expr) -> Expr {
    let total = value.clone().cum_sum(false);
    total.clone()
        - when(first)
            .then(total - value)
            .otherwise(lit(NULL))
            .fill_null_with_strategy(FillNullStrategy::Forward(None))
}

/// The largest `value` (i32) on the earlier rows of the same run, null on a run's first row:
/// `cum_max().shift(1).over(run)` on sorted rows. Each row's value is offset by its run's
/// number times 2^32, so that a later run's values exceed every earlier one and one running
/// maximum over all rows restarts at each run.
fn previous_max_in_runs(value: Expr, first: Expr) -> Expr {
    let run = first.clone().cast(DataType::Int64).cum_sum(false) * lit(1i64 << 32);
    let shifted = value.cast(DataType::Int64) + run.clone();
    when(first)
        .then(lit(NULL))
        .otherwise(shifted.cum_max(false).shift(lit(1)) - run)
}

/// The union of intervals per `by` (which must include `PERSON_ID`), merging intervals that
/// touch within `gap` (≥ 0) days. Output: `by`, `start`, `end` (i32), sorted. No nulls in
/// `by` and `start` (see [`sort_rows`]).
///
/// A merged run is contiguous once the rows are sorted, so no group-by is needed: its start is
/// its first row's, its end the largest end up to its last row (`max(reach, end)` there: the
/// ends of the group's earlier runs all lie before this run's first start).
pub fn union(
    lf: LazyFrame,
    by: &[&str],
    start: &str,
    end: &str,
    gap: i32,
) -> PolarsResult<LazyFrame> {
    // The order of equal starts does not change the runs: a later one always joins.
    let mut sort_keys = by.to_vec();
    sort_keys.push(start);
    let mut out: Vec<Expr> = by.iter().map(|b| col(*b)).collect();
    out.extend([col(start), col(end)]);
    Ok(merge_starts(sort_rows(lf, &sort_keys), by, start, end, gap)
        .with_columns([
            when(col(NEW_RUN))
                .then(col(start))
                .otherwise(lit(NULL))
                .fill_null_with_strategy(FillNullStrategy::Forward(None))
                .alias(start),
            max_horizontal([col(end).cast(DataType::Int64), col(REACH)])?
                .cast(DataType::Int32)
                .alias(end),
        ])
        .filter(col(NEW_RUN).shift(lit(-1)).fill_null(lit(true)))
        .select(out))
}

/// Step function "smallest `key` covering the day" of intervals `(PERSON_ID, key, start, end)`,
/// as change points `(PERSON_ID, DAY, key)` sorted by person and day; `key` is null where no
/// interval covers. Consecutive change points never repeat a value. Intervals without a key
/// cover nothing.
///
/// How: after the union per (person, key), each key's intervals are disjoint and not adjacent,
/// so a key switches on at `start` and off at `end + 1`, alternately. A person with one key
/// (almost everyone: the municipality rarely changes) has exactly these change points. For the
/// others, give each of a person's keys a bit (its dense rank among the person's keys, so
/// smaller key = lower bit) and add `+2^bit` at a start and `−2^bit` at an end + 1: the running
/// sum per person is then exactly the bit set of the active keys, and the smallest active key
/// is its lowest set bit. A few sorts and cumulative sums: O(n log n) in the number of
/// intervals, with no pairing of days and keys. A person may hold at most 62 distinct keys.
pub fn cover_steps(lf: LazyFrame, key: &str, start: &str, end: &str) -> PolarsResult<LazyFrame> {
    const BIT: &str = "__bit";
    const ONE_KEY: &str = "__one_key";
    // The dense rank of the key among the person's keys, counted on the union's rows (sorted
    // by person, key and start).
    let merged = union(
        lf.filter(col(key).is_not_null()),
        &[PERSON_ID, key],
        start,
        end,
        0,
    )?
    .with_column(
        (cum_sum_in_runs(
            run_starts(&[PERSON_ID, key]).cast(DataType::Int32),
            run_starts(&[PERSON_ID]),
        ) - lit(1))
        .alias(BIT),
    )
    // The bit grows along a person's rows, so its largest is the one on the person's last row,
    // carried back over the person's rows (a window per person cost a group per person).
    .with_column(
        when(run_starts(&[PERSON_ID]).shift(lit(-1)).fill_null(lit(true)))
            .then(col(BIT))
            .otherwise(lit(NULL))
            .fill_null_with_strategy(FillNullStrategy::Backward(None))
            .eq(lit(0))
            .alias(ONE_KEY),
    )
    .collect()?;
    let max_bit = merged.column(BIT)?.i32()?.max().unwrap_or(0);
    polars_ensure!(
        max_bit <= 62,
        ComputeError: "a person holds {} distinct values of `{key}`; at most 63 are supported", max_bit + 1
    );
    let off = lit(NULL).cast(merged.column(key)?.dtype().clone());
    let merged = merged.lazy();
    // One key: on at each start, off at each end + 1. A person's merged intervals neither
    // overlap nor touch, so no two of these change points share a day and the sort below puts
    // them in one order (two frames concatenated cost less than `[on, off]` lists exploded).
    let one = merged.clone().filter(col(ONE_KEY));
    let on = one
        .clone()
        .select([col(PERSON_ID), col(start).alias(DAY), col(key)]);
    let off = one.select([
        col(PERSON_ID),
        (col(end) + lit(1)).alias(DAY),
        off.alias(key),
    ]);
    let several = bit_steps(merged.filter(col(ONE_KEY).not()), key, start, end, BIT)?;
    Ok(sort_rows(
        concat([on, off, several], UnionArgs::default())?,
        &[PERSON_ID, DAY],
    ))
}

/// [`cover_steps`] of the persons with several keys, from the union's rows with each key's
/// bit (column `bit`): change points `(PERSON_ID, DAY, key)`, deduplicated, unsorted.
fn bit_steps(
    merged: LazyFrame,
    key: &str,
    start: &str,
    end: &str,
    bit: &str,
) -> PolarsResult<LazyFrame> {
    const POWER: &str = "__power";
    const MASK: &str = "__mask";
    let powers = df!(bit => (0..=62).collect::<Vec<i32>>(), POWER => (0..=62).map(|b| 1i64 << b).collect::<Vec<i64>>())?.lazy();
    let merged = merged.join(
        powers,
        [col(bit)],
        [col(bit)],
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
        .with_column(cum_sum_in_runs(col(DELTA), run_starts(&[PERSON_ID])).alias(MASK))
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
    let lookup = df!(MASK => masks, bit => lowest)?.lazy();
    let keys = merged
        .select([col(PERSON_ID), col(bit), col(key)])
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
            [col(PERSON_ID), col(bit)],
            [col(PERSON_ID), col(bit)],
            JoinArgs::new(JoinType::Left),
        )
        .select([col(PERSON_ID), col(DAY), col(key)])
        .sort([PERSON_ID, DAY], SortMultipleOptions::default());
    dedup_steps(steps, key)
}

/// `lf` sorted ascending by `columns`, which hold no nulls. Each run of two adjacent columns of
/// at most 32-bit integers (person ids, days, codes) is sorted on as one order-preserving u64:
/// a sort on several columns compares them element by element, two to three times slower than
/// one on a single integer column (1M rows: 0.7 s against 0.3 s). Other columns are sorted on
/// as they are.
pub fn sort_rows(lf: LazyFrame, columns: &[&str]) -> LazyFrame {
    let mut lf = lf;
    let schema = lf.collect_schema().ok();
    let dtype = |c: &str| schema.as_ref().and_then(|s| s.get(c).cloned());
    // The column as u64 below 2^32 in the same order, when it fits.
    let as_u32 = |c: &str| match dtype(c)? {
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 => {
            Some(col(c).cast(DataType::UInt64))
        }
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Date => {
            Some((col(c).cast(DataType::Int64) + lit(1i64 << 31)).cast(DataType::UInt64))
        }
        _ => None,
    };
    let mut keys = Vec::new();
    let mut i = 0;
    while i < columns.len() {
        let pair = columns
            .get(i + 1)
            .and_then(|next| Some((as_u32(columns[i])?, as_u32(next)?)));
        match pair {
            Some((high, low)) => {
                keys.push(high * lit(1u64 << 32) + low);
                i += 2;
            }
            None => {
                keys.push(col(columns[i]));
                i += 1;
            }
        }
    }
    lf.sort_by_exprs(keys, SortMultipleOptions::default())
}

/// Drops change points whose value equals the previous one of the same person.
fn dedup_steps(steps: LazyFrame, value: &str) -> PolarsResult<LazyFrame> {
    Ok(steps.filter(run_starts(&[PERSON_ID]).or(col(value).neq_missing(col(value).shift(lit(1))))))
}

/// The values of the step function `steps` (`PERSON_ID`, `DAY`, `values`…, sorted by person and
/// day as every step function here is built) on day column `day` of each row of `lf`: those of
/// the last change point on or before it (null before the first). `values` must not be columns
/// of `lf`. Rows come out sorted by person and day.
///
/// With the pipeline's integer person ids (`Extract::as_of`) the rows, sorted on one u64 key
/// (person × 2^32 + day + 2^31), search the step function's sorted person and day columns in
/// turn and take the values at the change point found when it is the person's own: several
/// times faster than an as-of join `by` person, which first partitions both sides into a group
/// per person. Other ids (text ids in unit tests) take the join `by` person.
pub fn value_on(lf: LazyFrame, day: &str, steps: LazyFrame, values: &[&str]) -> LazyFrame {
    let mut lf = lf;
    let small_ids = lf.collect_schema().is_ok_and(|schema| {
        matches!(
            schema.get(PERSON_ID),
            Some(DataType::UInt8 | DataType::UInt16 | DataType::UInt32)
        )
    });
    let mut keep = vec![col(PERSON_ID), col(DAY).alias(day)];
    keep.extend(values.iter().map(|v| col(*v)));
    let steps = steps.select(keep);
    if small_ids {
        asof_on_key(lf, day, steps, values)
    } else {
        asof_by_person(lf, day, steps)
    }
}

/// [`value_on`] for person ids below 2^32 (`steps` already selected and named as `lf`).
///
/// The left rows are sorted by their person×day key (the order the look-up promises); each
/// then finds its change point by a search on the step function's own person and day columns,
/// and the values are gathered at the positions found. An as-of join on the packed key needed
/// that key on the step function too: built at every look-up from its person and day columns,
/// one u64 per change point and as many transient columns as the key has operations (1M
/// persons: 18 M held meetings, about 0.7 GiB for each look-up on them).
fn asof_on_key(lf: LazyFrame, day: &str, steps: LazyFrame, values: &[&str]) -> LazyFrame {
    const KEY: &str = "__asof_key";
    let left = lf
        .with_column(person_day_key(col(PERSON_ID), col(day)).alias(KEY))
        .sort([KEY], SortMultipleOptions::default());
    let steps = Arc::new(Collected::new(steps));
    let search = Arc::clone(&steps);
    let day_name = day.to_owned();
    let at = col(PERSON_ID)
        .map_many(
            move |columns| search.positions(&day_name, &columns[0], &columns[1]),
            &[col(day)],
            |_, _| Ok(Field::new(ASOF_AT.into(), IDX_DTYPE)),
        )
        .alias(ASOF_AT);
    let gathered = values
        .iter()
        .map(|v| {
            let (gather, dtype) = (Arc::clone(&steps), Arc::clone(&steps));
            let name = PlSmallStr::from(*v);
            let dtype_name = name.clone();
            col(ASOF_AT)
                .map(
                    move |at| gather.gather(&name, &at),
                    move |_, _| dtype.field(&dtype_name),
                )
                .alias(*v)
        })
        .collect::<Vec<_>>();
    left.with_column(at)
        .with_columns(gathered)
        .drop(by_name([KEY, ASOF_AT], true, false))
}

/// A step function for [`asof_on_key`], collected once by the first batch that searches it
/// (its plan is a selection of a materialised frame, or the plan of a one-off look-up).
struct Collected {
    plan: LazyFrame,
    frame: std::sync::Mutex<Option<DataFrame>>,
}

impl Collected {
    fn new(plan: LazyFrame) -> Self {
        Collected {
            plan,
            frame: std::sync::Mutex::new(None),
        }
    }

    /// The step function in one chunk per column.
    fn frame(&self) -> PolarsResult<DataFrame> {
        let mut frame = self
            .frame
            .lock()
            .map_err(|_| polars_err!(ComputeError: "a step function look-up panicked"))?;
        if let Some(df) = frame.as_ref() {
            return Ok(df.clone());
        }
        let mut df = self.plan.clone().collect()?;
        df.rechunk_mut_par();
        *frame = Some(df.clone());
        Ok(df)
    }

    /// The field of value column `name` (its type as the step function has it).
    fn field(&self, name: &PlSmallStr) -> PolarsResult<Field> {
        let schema = self.plan.clone().collect_schema()?;
        let dtype = schema
            .get(name)
            .ok_or_else(|| polars_err!(ColumnNotFound: "{name}"))?;
        Ok(Field::new(name.clone(), dtype.clone()))
    }

    /// Per row of `persons` and `days`, the position of the step function's last change point
    /// (columns `PERSON_ID` and `day`) on or before the day that is the same person's (null
    /// when there is none, or the day is null).
    fn positions(&self, day: &str, persons: &Column, days: &Column) -> PolarsResult<Column> {
        let df = self.frame()?;
        let step_persons = df.column(PERSON_ID)?.cast(&DataType::UInt32)?;
        let step_days = df.column(day)?.cast(&DataType::Int32)?;
        let (sp, sd) = (
            step_persons.u32()?.cont_slice()?,
            step_days.i32()?.cont_slice()?,
        );
        let mut upto = Gallop::default();
        let (persons, days) = person_days(persons, days)?;
        let found: IdxCa = persons
            .iter()
            .zip(days.iter())
            .map(|(person, day)| {
                let at = (person?, day?);
                let i = upto.rank(sp.len(), at, |i| (sp[i], sd[i]) <= at);
                let i = i.checked_sub(1)?;
                (sp[i] == at.0).then_some(i as IdxSize)
            })
            .collect();
        Ok(found.with_name(ASOF_AT.into()).into_column())
    }

    /// Per row of `persons` and `days`, the number of the person's events (the sorted keys
    /// [`EVENT_KEY`] of [`count_steps`]) dated on or before the day (0 for a null day).
    fn counts(&self, persons: &Column, days: &Column) -> PolarsResult<Column> {
        let df = self.frame()?;
        let keys = df.column(EVENT_KEY)?.u64()?.cont_slice()?;
        let (mut first, mut upto) = (Gallop::default(), Gallop::default());
        let (persons, days) = person_days(persons, days)?;
        let counts: Int64Chunked = persons
            .iter()
            .zip(days.iter())
            .map(|(person, day)| {
                let (Some(person), Some(day)) = (person, day) else {
                    return Some(0);
                };
                let (start, at) = (packed(person, i32::MIN), packed(person, day));
                let before = first.rank(keys.len(), (person, i32::MIN), |i| keys[i] < start);
                let upto = upto.rank(keys.len(), (person, day), |i| keys[i] <= at);
                i64::try_from(upto - before).ok()
            })
            .collect();
        Ok(counts.into_column())
    }

    /// Value column `name` of the step function at the positions `at` (null where null).
    fn gather(&self, name: &str, at: &Column) -> PolarsResult<Column> {
        self.frame()?.column(name)?.take(at.idx()?)
    }
}

/// The person and day columns of the rows a look-up searches for, as u32 and i32.
fn person_days(persons: &Column, days: &Column) -> PolarsResult<(UInt32Chunked, Int32Chunked)> {
    Ok((
        persons.cast(&DataType::UInt32)?.u32()?.clone(),
        days.cast(&DataType::Int32)?.i32()?.clone(),
    ))
}

/// A partition point of sorted rows found by galloping from the last one found: rows looked up
/// in person×day order each start where the last search ended, so a pass over sorted rows costs
/// O(n + m) rather than O(m log n); a key below the last one searches from the start.
#[derive(Default)]
struct Gallop {
    last: Option<((u32, i32), usize)>,
}

impl Gallop {
    /// The number of leading rows among `n` for which `before(i)` holds (`before` holds on a
    /// prefix of the rows, and on a longer one for a larger `key`).
    fn rank(&mut self, n: usize, key: (u32, i32), before: impl Fn(usize) -> bool) -> usize {
        let mut lo = match self.last {
            Some((last, at)) if key >= last => at,
            _ => 0,
        };
        // Widen [lo, hi) until `before` fails at hi, then bisect it.
        let (mut hi, mut step) = (lo, 1);
        while hi < n && before(hi) {
            lo = hi + 1;
            hi = lo + step;
            step *= 2;
        }
        hi = hi.min(n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if before(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.last = Some((key, lo));
        lo
    }
}

/// [`person_day_key`] of one person and day.
fn packed(person: u32, day: i32) -> u64 {
    (u64::from(person) << 32) | u64::from(day.wrapping_sub(i32::MIN) as u32)
}

/// `person · 2³² + day + 2³¹` of a person id below 2³² and an i32 day (or Date), as u64 (a null
/// day counts as the person's smallest): one integer that orders rows by person, then day, for
/// one-column sorts, group-bys and as-of joins where two columns would be compared each.
pub fn person_day_key(person: Expr, day: Expr) -> Expr {
    person.cast(DataType::UInt64) * lit(1u64 << 32)
        + (day.cast(DataType::Int32).cast(DataType::Int64) + lit(1i64 << 31))
            .fill_null(lit(0i64))
            .cast(DataType::UInt64)
}

/// Backward as-of join (the last `right` row with `key` ≤ the left row's, equal allowed) of two
/// frames already sorted by the one column `key`: the join under every look-up on a packed
/// person×day key, whose caller then checks that the match is the same person's.
pub fn backward_asof(left: LazyFrame, right: LazyFrame, key: &str) -> LazyFrame {
    left.join_builder()
        .with(right)
        .left_on([col(key)])
        .right_on([col(key)])
        .how(backward(None))
        .finish()
}

/// A backward as-of join (equal keys match; the sides are sorted by the caller, so Polars does
/// not check), within groups of the columns `by` when given.
fn backward(by: Option<Vec<PlSmallStr>>) -> JoinType {
    JoinType::AsOf(Box::new(AsOfOptions {
        strategy: AsofStrategy::Backward,
        tolerance: None,
        tolerance_str: None,
        left_by: by.clone(),
        right_by: by,
        allow_eq: true,
        check_sortedness: false,
    }))
}

/// [`value_on`] for any person ids: a backward as-of join `by` person.
fn asof_by_person(lf: LazyFrame, day: &str, steps: LazyFrame) -> LazyFrame {
    let sort_keys = [PERSON_ID, day];
    let left = lf.sort(sort_keys, SortMultipleOptions::default());
    let right = steps.sort(sort_keys, SortMultipleOptions::default());
    left.join_builder()
        .with(right)
        .left_on([col(day)])
        .right_on([col(day)])
        .how(backward(Some(vec![PlSmallStr::from(PERSON_ID)])))
        .suffix("__right")
        .finish()
}

/// Splits each person's window `[from, to]` (rows of `windows`: `PERSON_ID`, `FROM`, `TO`) into
/// maximal pieces on which every step function of `layers` (`(steps, value column)`) is
/// constant. Output: `PERSON_ID`, `FROM`, `TO` and one column per layer value. Every window lies
/// in the days `span`: the layers' change points outside it are dropped before they are matched
/// to the windows (the group steps of every assessment since X, where the measures' windows
/// are P).
pub fn pieces(
    windows: LazyFrame,
    layers: &[(LazyFrame, &str)],
    span: (i32, i32),
) -> PolarsResult<LazyFrame> {
    let bounds = windows.clone().select([
        col(PERSON_ID),
        col(FROM).alias("__wfrom"),
        col(TO).alias("__wto"),
    ]);
    let mut points = vec![windows.select([col(PERSON_ID), col(FROM).alias(DAY)])];
    let inside = col(DAY).gt_eq(lit(span.0)).and(col(DAY).lt_eq(lit(span.1)));
    for (steps, _) in layers {
        points.push(
            steps
                .clone()
                .select([col(PERSON_ID), col(DAY)])
                .filter(inside.clone()),
        );
    }
    let lf = concat(points, UnionArgs::default())?
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
        .unique(None, UniqueKeepStrategy::Any);
    let mut lf = sort_rows(lf, &[PERSON_ID, DAY])
        .with_column(
            (next_in_runs(col(DAY), run_starts(&[PERSON_ID])) - lit(1))
                .fill_null(col("__wto"))
                .alias(TO),
        )
        .select([col(PERSON_ID), col(DAY), col(TO)]);
    for (steps, value) in layers {
        lf = value_on(lf, DAY, steps.clone(), &[value]);
    }
    let mut out = vec![col(PERSON_ID), col(DAY).alias(FROM), col(TO)];
    out.extend(layers.iter().map(|(_, v)| col(*v)));
    Ok(sort_rows(lf.select(out), &[PERSON_ID, FROM]))
}

/// Events as a count step function for [`count_in`]: the [`person_day_key`] of every row of
/// `events` (i32 day column `day`), sorted, as column [`EVENT_KEY`]; each row counts, so the
/// events of a person on or before a day are the keys between the person's first and the day's.
/// (A cumulative count per change point cost two more columns and, on 1M persons' 18 M held
/// meetings, 0.8 GiB of transients to build; one sorted column sorts in place.)
pub fn count_steps(events: LazyFrame, day: &str) -> LazyFrame {
    events.select([person_day_key(col(PERSON_ID), col(day))
        .sort(SortOptions::default())
        .alias(EVENT_KEY)])
}

/// Adds `out` = number of events of `count_steps` in `[from, to]` per row:
/// `count(≤ to) − count(≤ from − 1)`, each the rows of the person up to the day, found by a
/// search of the sorted events (the pipeline's integer person ids only). The rows come out
/// sorted by person and `to`, the order that keeps the searches short.
pub fn count_in(lf: LazyFrame, from: &str, to: &str, events: LazyFrame, out: &str) -> LazyFrame {
    const KEY: &str = "__count_key";
    let events = Arc::new(Collected::new(events));
    let count = |day: Expr| {
        let events = Arc::clone(&events);
        col(PERSON_ID).map_many(
            move |columns| events.counts(&columns[0], &columns[1]),
            &[day],
            |_, field| Ok(Field::new(field[0].name().clone(), DataType::Int64)),
        )
    };
    lf.with_column(person_day_key(col(PERSON_ID), col(to)).alias(KEY))
        .sort([KEY], SortMultipleOptions::default())
        .with_column((count(col(to)) - count(col(from) - lit(1))).alias(out))
        .drop(by_name([KEY], true, false))
}

/// Disjoint intervals `(PERSON_ID, start, end)` sorted by person and start, as [`union`] by
/// person returns them, as a step function for [`covered_in`]: one change point per interval
/// start with its end and the covered days of the person's earlier intervals. (The union is
/// already in order; sorting it again cost a sort of every period.)
pub fn covered_steps(unions: LazyFrame, start: &str, end: &str) -> LazyFrame {
    let days = (col(end) - col(start) + lit(1)).cast(DataType::Int64);
    unions.select([
        col(PERSON_ID),
        col(start).alias(DAY),
        col(end).alias(COV_END),
        (cum_sum_in_runs(days.clone(), run_starts(&[PERSON_ID])) - days).alias(COV_BEFORE),
    ])
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
/// `F(to) − F(from − 1)` with `F(d)` = covered days `≤ d`, read by two [`value_on`] look-ups.
/// O(n log n).
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

    /// The integer-id look-up: the change point on or before the day, the person's own only,
    /// null before the person's first and for a null day; rows come out sorted by person, day.
    #[test]
    fn value_on_integer_ids_finds_the_persons_last_change_point() {
        let steps = df!(
            PERSON_ID => [1u32, 1, 1, 3, 3],
            DAY => [10i32, 20, 30, 5, 40],
            "v" => [100i64, 200, 300, 500, 600],
        )
        .unwrap()
        .lazy();
        let lf = df!(
            PERSON_ID => [3u32, 1, 1, 1, 2, 3, 1, 3, 1],
            "d" => [Some(4i32), Some(9), Some(10), Some(25), Some(50), Some(39), Some(99), Some(40), None],
        )
        .unwrap()
        .lazy();
        let df = value_on(lf, "d", steps, &["v"]).collect().unwrap();
        let got: Vec<_> = df
            .column(PERSON_ID)
            .unwrap()
            .u32()
            .unwrap()
            .iter()
            .zip(df.column("d").unwrap().i32().unwrap().iter())
            .zip(df.column("v").unwrap().i64().unwrap().iter())
            .map(|((p, d), v)| (p.unwrap(), d, v))
            .collect();
        assert_eq!(
            got,
            [
                (1, None, None),
                (1, Some(9), None),
                (1, Some(10), Some(100)),
                (1, Some(25), Some(200)),
                (1, Some(99), Some(300)),
                // Person 2 has no change point; person 1's last one is not theirs.
                (2, Some(50), None),
                (3, Some(4), None),
                (3, Some(39), Some(500)),
                (3, Some(40), Some(600)),
            ]
        );
    }

    /// Counts in `[from, to]`: every event counts (two on one day count twice), and another
    /// person's events never do.
    #[test]
    fn count_in_counts_the_persons_events_in_the_window() {
        let events = df!(
            PERSON_ID => [2u32, 1, 1, 1, 4],
            "date" => [7i32, 10, 5, 5, 1],
        )
        .unwrap()
        .lazy();
        let steps = count_steps(events, "date");
        let lf = df!(
            PERSON_ID => [1u32, 1, 1, 2, 3, 4],
            "from" => [5i32, 6, 11, 1, 0, 2],
            "to" => [5i32, 10, 20, 7, 100, 9],
        )
        .unwrap()
        .lazy();
        let df = count_in(lf, "from", "to", steps, "n").collect().unwrap();
        let got: Vec<_> = df
            .column(PERSON_ID)
            .unwrap()
            .u32()
            .unwrap()
            .iter()
            .zip(df.column("n").unwrap().i64().unwrap().iter())
            .map(|(p, n)| (p.unwrap(), n.unwrap()))
            .collect();
        assert_eq!(got, [(1, 2), (1, 1), (1, 0), (2, 1), (3, 0), (4, 0)]);
    }

    /// Rows out of person×day order search the whole step function again.
    #[test]
    fn positions_do_not_need_sorted_rows() {
        let steps = df!(
            PERSON_ID => [1u32, 1, 2],
            "d" => [10i32, 20, 15],
        )
        .unwrap()
        .lazy();
        let found = Collected::new(steps)
            .positions(
                "d",
                &Column::new(PERSON_ID.into(), [2u32, 1, 1, 2, 1]),
                &Column::new("d".into(), [15i32, 25, 10, 14, 9]),
            )
            .unwrap();
        let found: Vec<_> = found.idx().unwrap().iter().collect();
        assert_eq!(found, [Some(2), Some(1), Some(0), None, None]);
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
        let out = pieces(windows, &[(steps, "key"), (groups, "g")], (2, 12))
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
