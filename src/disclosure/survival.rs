//! The survival step rule of MEASURES.md §7: a published survival value reveals the events
//! behind it, so every published step must stand for 0 or ≥ k events.

use std::collections::HashMap;

use polars::prelude::*;

use crate::measures::duration::survival_columns;
use crate::measures::{ints, texts, Table};
use crate::schema::out;
use crate::schema::out::hidden::hidden;
use crate::schema::out::{
    AT_RISK, CENSORED, CIF, ENTRY_YEAR, EVENTS, EVENTS_CUM, EXIT_CLASS, MEDIAN_DAYS, SPELLS, T_DAYS,
};

/// Marks the `survival_curves` rows the primary walk publishes; rows are dropped only after
/// the secondary rules, which need every point.
pub const PUBLISHED: &str = "__published";

/// One point of a cohort's walk: time, spells at risk, and closed spells with duration ≤ t.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub t: i32,
    pub at_risk: u64,
    pub events_cum: u64,
}

/// `0` or `≥ k` events: a step that stands for nobody or for enough people.
fn safe_step(events: u64, k: u64) -> bool {
    events == 0 || events >= k
}

/// Decides which of a cohort's `points` (ascending, distinct t; `horizon[i]` marks the horizons
/// of `duration_cohorts`, the rest are the 30-day grid of `survival_curves`) are published, by
/// the revised step rule of MEASURES.md §7. The horizons are the headline, so they are decided
/// first; walking the union in one pass would suppress nearly every horizon, since each lies a
/// few days after a grid point and those days rarely hold k events.
///
/// 1. Horizon walk: h is published when ≥ k spells are at risk at h and the events since the
///    last published horizon (since t = 0 for the first) are 0 or ≥ k; otherwise its events
///    carry to the next horizon.
/// 2. Grid fill: t = 0 and the published horizons are anchors; between consecutive anchors
///    a < b (and after the last one, with no b) a grid point g is published when ≥ k are at
///    risk at g, the events since the last published point are 0 or ≥ k, and the events in
///    (g, b] are 0 or ≥ k. So every step between published points of the union stands for 0 or
///    ≥ k events.
/// 3. Tail: with `total_events = Some(total)` (the cohort's events are published), while the
///    events after the last published point are in (0, k), that point is suppressed too; t = 0
///    (no events before it) stays.
pub fn walk(points: &[Point], horizon: &[bool], k: u64, total_events: Option<u64>) -> Vec<bool> {
    let mut published = vec![false; points.len()];
    let mut last = 0;
    for (i, p) in points.iter().enumerate().filter(|(i, _)| horizon[*i]) {
        if p.at_risk >= k && safe_step(p.events_cum - last, k) {
            published[i] = true;
            last = p.events_cum;
        }
    }
    // The anchors ahead of the grid points: the published horizons (t = 0, with no events
    // before it, is the first anchor: `last` starts at 0).
    let anchors: Vec<usize> = (0..points.len()).filter(|&i| published[i]).collect();
    let mut last = 0;
    let mut next_anchor = anchors.iter().peekable();
    for (i, p) in points.iter().enumerate() {
        if horizon[i] {
            if published[i] {
                last = p.events_cum;
                next_anchor.next();
            }
            continue;
        }
        let to_anchor = next_anchor
            .peek()
            .is_none_or(|&&b| safe_step(points[b].events_cum - p.events_cum, k));
        if p.at_risk >= k && safe_step(p.events_cum - last, k) && to_anchor {
            published[i] = true;
            last = p.events_cum;
        }
    }
    if let Some(total) = total_events {
        while let Some(i) = published.iter().rposition(|&p| p) {
            let tail = total - points[i].events_cum;
            if points[i].t == 0 || safe_step(tail, k) {
                break;
            }
            published[i] = false;
        }
    }
    published
}

/// The class walk of `cumulative_incidence`: a class value at a horizon is published where the
/// cohort's S there is published (`s_published`) and the class events since the last published
/// class point are 0 or ≥ k; a value suppressed for either reason carries its events on.
pub fn class_walk(class_events_cum: &[u64], s_published: &[bool], k: u64) -> Vec<bool> {
    let mut last = 0;
    class_events_cum
        .iter()
        .zip(s_published)
        .map(|(&cum, &s_ok)| {
            let ok = s_ok && safe_step(cum - last, k);
            if ok {
                last = cum;
            }
            ok
        })
        .collect()
}

/// A cohort's identity across the three duration tables.
type CohortKey = (String, String, i64, String);

fn keys_of(df: &DataFrame) -> PolarsResult<Vec<CohortKey>> {
    let (l, u, g) = (
        texts(df, out::LEVEL)?,
        texts(df, out::UNIT)?,
        texts(df, out::GROUP)?,
    );
    let y = ints(df, ENTRY_YEAR)?;
    Ok((0..df.height())
        .map(|i| (l[i].clone(), u[i].clone(), y[i].unwrap_or(0), g[i].clone()))
        .collect())
}

fn in_small(n: Option<i64>, k: u64) -> bool {
    n.is_some_and(|n| n > 0 && (n as u64) < k)
}

/// Nulls the rows of `column` where `mask` is true; returns how many non-null values it hid.
pub(super) fn null_where(df: &mut DataFrame, column: &str, mask: &[bool]) -> PolarsResult<usize> {
    let s = df.column(column)?.as_materialized_series().clone();
    let hidden = s
        .is_not_null()
        .iter()
        .zip(mask)
        .filter(|(nn, m)| nn.unwrap_or(false) && **m)
        .count();
    let keep =
        BooleanChunked::from_slice("keep".into(), &mask.iter().map(|m| !m).collect::<Vec<_>>());
    let nulls = Series::full_null(column.into(), s.len(), s.dtype());
    df.with_column(s.zip_with(&keep, &nulls)?.into_column())?;
    Ok(hidden)
}

/// Applies §7 to `duration_cohorts`, `survival_curves` and `cumulative_incidence` together, so
/// the three cannot be played against each other. Returns the rows suppressed per table.
pub fn protect(
    cohorts: &mut Table,
    curves: &mut Table,
    incidence: &mut Table,
    horizons: &[i32],
    k: u64,
) -> PolarsResult<[u64; 3]> {
    let df = &cohorts.df;
    let keys = keys_of(df)?;
    let (spells, persons) = (ints(df, SPELLS)?, ints(df, out::PERSONS)?);
    let (events, censored) = (ints(df, EVENTS)?, ints(df, CENSORED)?);
    let (median_n, median_d) = (
        ints(df, &hidden("median_n"))?,
        ints(df, &hidden("median_d"))?,
    );
    // Per horizon: spells at risk and cumulative events, per cohort row.
    let horizon_points: Vec<[Vec<Option<i64>>; 2]> = horizons
        .iter()
        .map(|h| {
            Ok([
                ints(df, &hidden(&format!("n_{h}")))?,
                ints(df, &hidden(&format!("d_{h}")))?,
            ])
        })
        .collect::<PolarsResult<_>>()?;

    // Grid points of every cohort, from the curve rows.
    let cdf = &curves.df;
    let curve_keys = keys_of(cdf)?;
    let (ct, cn, cd) = (
        ints(cdf, T_DAYS)?,
        ints(cdf, AT_RISK)?,
        ints(cdf, EVENTS_CUM)?,
    );
    let mut grid: HashMap<&CohortKey, Vec<(usize, Point)>> = HashMap::new();
    for (row, key) in curve_keys.iter().enumerate() {
        let p = Point {
            t: ct[row].unwrap_or(0) as i32,
            at_risk: cn[row].unwrap_or(0) as u64,
            events_cum: cd[row].unwrap_or(0) as u64,
        };
        grid.entry(key).or_default().push((row, p));
    }

    let height = df.height();
    let (mut row_mask, mut ev_mask, mut median_mask) = (
        vec![false; height],
        vec![false; height],
        vec![false; height],
    );
    let mut s_mask: Vec<Vec<bool>> = vec![vec![false; height]; horizons.len()];
    let mut curve_keep = vec![false; cdf.height()];
    let mut s_published: HashMap<&CohortKey, Vec<bool>> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let row_supp =
            spells[i].is_none_or(|n| (n as u64) < k) || persons[i].is_none_or(|n| (n as u64) < k);
        let ev_supp = row_supp || in_small(events[i], k) || in_small(censored[i], k);
        row_mask[i] = row_supp;
        ev_mask[i] = ev_supp;
        // The union of the 30-day grid and the horizons, in time order.
        let mut points: Vec<(Option<usize>, Option<usize>, Point)> = grid
            .get(key)
            .map(|g| g.iter().map(|(row, p)| (Some(*row), None, *p)).collect())
            .unwrap_or_default();
        for (j, h) in horizons.iter().enumerate() {
            let p = Point {
                t: *h,
                at_risk: horizon_points[j][0][i].unwrap_or(0) as u64,
                events_cum: horizon_points[j][1][i].unwrap_or(0) as u64,
            };
            match points.iter_mut().find(|(_, _, q)| q.t == *h) {
                Some(existing) => existing.1 = Some(j),
                None => points.push((None, Some(j), p)),
            }
        }
        points.sort_by_key(|(_, _, p)| p.t);
        let walked = if row_supp {
            vec![false; points.len()]
        } else {
            let total = (!ev_supp).then(|| events[i].unwrap_or(0) as u64);
            walk(
                &points.iter().map(|(_, _, p)| *p).collect::<Vec<_>>(),
                &points
                    .iter()
                    .map(|(_, h, _)| h.is_some())
                    .collect::<Vec<_>>(),
                k,
                total,
            )
        };
        let mut published_h = vec![false; horizons.len()];
        for ((curve_row, horizon, _), ok) in points.iter().zip(&walked) {
            if let Some(r) = curve_row {
                curve_keep[*r] = *ok;
            }
            if let Some(j) = horizon {
                published_h[*j] = *ok;
                s_mask[*j][i] = !*ok;
            }
        }
        median_mask[i] =
            row_supp || median_n[i].is_none_or(|n| (n as u64) < k) || in_small(median_d[i], k);
        s_published.insert(key, published_h);
    }

    let mut df = cohorts.df.clone();
    let mut any = vec![false; height];
    let mut hide = |df: &mut DataFrame, column: &str, mask: &[bool]| -> PolarsResult<()> {
        let before: Vec<bool> = df
            .column(column)?
            .is_not_null()
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect();
        null_where(df, column, mask)?;
        for (a, (b, m)) in any.iter_mut().zip(before.iter().zip(mask)) {
            *a |= *b && *m;
        }
        Ok(())
    };
    for c in [SPELLS, out::PERSONS] {
        hide(&mut df, c, &row_mask)?;
    }
    for c in [EVENTS, CENSORED] {
        hide(&mut df, c, &ev_mask)?;
    }
    hide(&mut df, MEDIAN_DAYS, &median_mask)?;
    for (j, h) in horizons.iter().enumerate() {
        for c in survival_columns(*h) {
            hide(&mut df, &c, &s_mask[j])?;
        }
    }
    let n_cohorts = any.iter().filter(|a| **a).count() as u64;
    df.with_column(Column::new(out::SUPPRESSED.into(), any))?;
    cohorts.df = df;

    // Unpublished points are dropped after the secondary rules, which need every point.
    let dropped = curve_keep.iter().filter(|k| !**k).count() as u64;
    curves
        .df
        .with_column(Column::new(PUBLISHED.into(), curve_keep))?;

    // Class walks over the horizons, per cohort and class (rows sorted by cohort, class, t).
    let idf = &incidence.df;
    let inc_keys = keys_of(idf)?;
    let classes: Vec<String> = idf
        .column(EXIT_CLASS)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or("").to_owned())
        .collect();
    let (it, class_d) = (ints(idf, T_DAYS)?, ints(idf, &hidden("class_d"))?);
    let mut mask = vec![true; idf.height()];
    let mut start = 0;
    while start < idf.height() {
        let mut end = start;
        while end < idf.height()
            && inc_keys[end] == inc_keys[start]
            && classes[end] == classes[start]
        {
            end += 1;
        }
        let s_pub: Vec<bool> = (start..end)
            .map(|r| {
                let j = horizons
                    .iter()
                    .position(|h| i64::from(*h) == it[r].unwrap_or(-1));
                j.and_then(|j| s_published.get(&inc_keys[r]).map(|p| p[j]))
                    .unwrap_or(false)
            })
            .collect();
        let cum: Vec<u64> = (start..end)
            .map(|r| class_d[r].unwrap_or(0) as u64)
            .collect();
        for (r, ok) in (start..end).zip(class_walk(&cum, &s_pub, k)) {
            mask[r] = !ok;
        }
        start = end;
    }
    let mut idf = incidence.df.clone();
    let before: Vec<bool> = idf
        .column(CIF)?
        .is_not_null()
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect();
    null_where(&mut idf, CIF, &mask)?;
    // Every value of a suppressed cohort is a suppressed figure, even one the spec leaves null
    // (nobody at risk), so a reader cannot tell that the cohort ended before h.
    let cohort_hidden: HashMap<&CohortKey, bool> =
        keys.iter().zip(&row_mask).map(|(k, m)| (k, *m)).collect();
    let flags: Vec<bool> = before
        .iter()
        .zip(&mask)
        .zip(&inc_keys)
        .map(|((b, m), key)| (*b && *m) || cohort_hidden.get(key).copied().unwrap_or(false))
        .collect();
    let n_inc = flags.iter().filter(|f| **f).count() as u64;
    idf.with_column(Column::new(out::SUPPRESSED.into(), flags))?;
    incidence.df = idf;
    Ok([n_cohorts, dropped, n_inc])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(rows: &[(i32, u64, u64)]) -> Vec<Point> {
        rows.iter()
            .map(|&(t, at_risk, events_cum)| Point {
                t,
                at_risk,
                events_cum,
            })
            .collect()
    }

    /// Grid points only (no horizon among them).
    fn grid_walk(p: &[Point], k: u64, total: Option<u64>) -> Vec<bool> {
        walk(p, &vec![false; p.len()], k, total)
    }

    #[test]
    fn small_steps_carry_to_the_next_point() {
        // k = 5: events 0, 2 (carry), 6 (2 + 4 = 6 since the last published), 7 (1: carry).
        let p = pts(&[(0, 40, 0), (30, 38, 2), (60, 30, 6), (90, 20, 7)]);
        assert_eq!(grid_walk(&p, 5, None), vec![true, false, true, false]);
    }

    #[test]
    fn too_few_at_risk_suppresses() {
        let p = pts(&[(0, 4, 0), (30, 4, 0)]);
        assert_eq!(grid_walk(&p, 5, None), vec![false, false]);
    }

    #[test]
    fn published_total_suppresses_a_small_tail() {
        // Total 9 events published: after the point at 60 (6 events) 3 remain → suppress it;
        // then 9 − 0 = 9 ≥ 5 after t = 0, which stays anyway.
        let p = pts(&[(0, 40, 0), (60, 30, 6)]);
        assert_eq!(grid_walk(&p, 5, Some(9)), vec![true, false]);
        assert_eq!(grid_walk(&p, 5, Some(11)), vec![true, true]);
        assert_eq!(grid_walk(&p, 5, None), vec![true, true]);
    }

    #[test]
    fn horizons_are_decided_before_the_grid() {
        // k = 5. Grid 0, 90, 180; horizon 91 (2 events after 90), 183. In one pass over the
        // union 91 would carry 2 events and be lost; decided first, 91 stands for 8 events
        // since t = 0 and is published, 90 is then dropped because (90, 91] holds 2 events.
        let p = pts(&[
            (0, 50, 0),
            (90, 44, 6),
            (91, 42, 8),
            (180, 30, 14),
            (183, 29, 15),
        ]);
        let h = [false, false, true, false, true];
        // 183: 15 − 8 = 7 events since 91 → published; 180: 6 since 91 but 1 in (180, 183].
        assert_eq!(walk(&p, &h, 5, None), vec![true, false, true, false, true]);
    }

    #[test]
    fn grid_points_after_the_last_anchor_need_no_right_condition() {
        // k = 5: horizon 91 fails (3 events), so t = 0 is the only anchor; 120 has 6 events
        // since 0 and no right neighbour to protect.
        let p = pts(&[(0, 50, 0), (90, 45, 2), (91, 45, 3), (120, 40, 6)]);
        let h = [false, false, true, false];
        assert_eq!(walk(&p, &h, 5, None), vec![true, false, false, true]);
        // With 8 events in all published, 2 remain after 120: it goes, and t = 0 stays.
        assert_eq!(walk(&p, &h, 5, Some(8)), vec![true, false, false, false]);
    }

    #[test]
    fn class_values_need_a_published_s() {
        assert_eq!(
            class_walk(&[0, 5, 6, 12], &[true, false, true, true], 5),
            vec![true, false, true, true]
        );
        assert_eq!(
            class_walk(&[1, 2, 3], &[true, true, true], 5),
            vec![false, false, false]
        );
    }
}
