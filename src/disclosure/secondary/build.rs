//! From tables to cells: one builder per table family, each adding its cells, sub-tables,
//! lines and consequences to [`Cells`].
//!
//! The look-up maps use Polars' hasher (`PlHashMap`), not the standard library's SipHash, which
//! took about 8 % of disclosure on a million persons. No output depends on their order: they are
//! looked up, and the one walked over adds its counts into an ordered map.

use super::*;

/// The measure whose numerator the `stock_duration` bands above two years sum to (§7).
const LONG_TERM_SHARE: &str = "long_term_share";

/// Measures whose denominators are one figure (MEASURES.md §7): the stock shares; the
/// six-month measures; activation and meetings per target person-day (with the `fte` row).
const SHARED_DENOMINATORS: [&[&str]; 3] = [
    &[
        LONG_TERM_SHARE,
        "long_term_5y_share",
        "support_80pct_5y_share",
    ],
    &[
        "meetings_4_in_6m",
        "offer_6m",
        "rule_4_plus_1",
        "company_offer_6m",
    ],
    &["activation_rate", "meetings_per_year"],
];

/// The bands whose sum is the `long_term_share` numerator (more than `long_term_days` on
/// benefit): those above the band that ends at `long_term_days`. `None` when no band ends
/// there (a configured threshold inside a band): then the bands tell nothing of the numerator.
fn long_term_bands(long_term_days: i32) -> Option<std::ops::Range<usize>> {
    DURATION_BANDS
        .iter()
        .position(|(_, last)| *last == long_term_days)
        .map(|i| i + 1..DURATION_BANDS.len())
}
/// Cost of hiding a survival value S(h) as a partner of a hidden incidence class: far above
/// any class, so a class is always preferred (hiding S(h) hides all four classes with it).
const SURVIVAL_COST: i64 = 1 << 58;
/// Incidence and survival values are probabilities; as partner costs they are scaled to
/// integers (only their order matters).
const PROBABILITY_SCALE: f64 = 1e9;

/// The tables by name, before (`raw`) and after (`safe`) the primary rules.
pub(super) struct Frames<'a> {
    pub(super) raw: &'a [Table],
    pub(super) safe: &'a [Table],
}

impl Frames<'_> {
    fn get(&self, id: TableId) -> Option<(&DataFrame, &DataFrame)> {
        let find = |ts: &[Table]| ts.iter().position(|t| t.id == id);
        let i = find(self.raw)?;
        let j = find(self.safe)?;
        Some((&self.raw[i].df, &self.safe[j].df))
    }
}

/// A column before and after the primary rules: the value, and whether it was hidden.
fn figures(raw: &DataFrame, safe: &DataFrame, c: &str) -> PolarsResult<Vec<Option<(i64, bool)>>> {
    let (a, b) = (ints(raw, c)?, ints(safe, c)?);
    Ok(a.into_iter()
        .zip(b)
        .map(|(a, b)| a.map(|a| (a, b.is_none())))
        .collect())
}

/// Groups of a table, sorted, with `all` last (the total column of every sub-table).
fn group_list(group: &[String]) -> Vec<String> {
    let mut set: BTreeSet<String> = group.iter().cloned().collect();
    set.remove(s::ALL_GROUPS);
    set.into_iter().chain([s::ALL_GROUPS.to_owned()]).collect()
}

/// Cells of `indicators`, by (unit, group, measure): numerator and denominator. Sorted, so
/// that the lines built from it come in the same order every run.
type IndicatorCells = BTreeMap<(String, String, String), (Option<CellId>, Option<CellId>)>;

pub(super) fn indicators(
    f: &Frames,
    h: &Hierarchy,
    cells: &mut Cells,
) -> Result<IndicatorCells, Error> {
    let Some((raw, safe)) = f.get(TableId::Indicators) else {
        return Ok(BTreeMap::new());
    };
    let (unit, group, measure) = (
        texts(raw, out::UNIT)?,
        texts(raw, out::GROUP)?,
        texts(raw, MEASURE)?,
    );
    let num = figures(raw, safe, NUMERATOR)?;
    let den = figures(raw, safe, DENOMINATOR)?;
    let family = |m: &str| {
        SHARED_DENOMINATORS
            .iter()
            .position(|f| f.contains(&m))
            .map_or_else(|| m.to_owned(), |i| format!("family {i}"))
    };
    let mut shared: PlHashMap<(String, String, String, i64), CellId> = PlHashMap::default();
    let mut map = IndicatorCells::new();
    for row in 0..raw.height() {
        let tier = tier(h, &unit[row], &group[row]);
        let n = num[row].map(|(v, hid)| cells.add(v, hid, Place::Numerator(row)));
        // The long_term_share numerator is tied to the stock_duration bands above two years
        // (§7). Weighed like the bands, it was the partner the repair reached for, and on
        // data-sample most municipalities lost the headline figure to protect a small band. One
        // tier up, the bands (and other cells of its tier) are taken first: 14 municipalities
        // published it on data-sample before, 59 after, with 116 more secondary cells in
        // indicators and 68 in stock_duration.
        let dearer = i64::from(measure[row] == LONG_TERM_SHARE);
        n.inspect(|&id| cells.weigh(id, tier + dearer));
        let d = den[row].map(|(v, hid)| {
            let key = (
                unit[row].clone(),
                group[row].clone(),
                family(&measure[row]),
                v,
            );
            let id = cells.share(shared.get(&key).copied(), v, hid, Place::Denominator(row));
            shared.insert(key, id);
            cells.weigh(id, tier);
            id
        });
        if let (Some(n), Some(d)) = (n, d) {
            // A hidden denominator with a published numerator and value gives itself away.
            cells.implies.push((d, n));
        }
        map.insert(
            (unit[row].clone(), group[row].clone(), measure[row].clone()),
            (n, d),
        );
    }
    let groups = group_list(&group);
    let measures: BTreeSet<&String> = measure.iter().collect();
    for m in measures {
        for den in [false, true] {
            let t = h.unit_group(&groups, |u, g| indicator_cell(&map, u, g, m, den));
            cells.tables.extend(t);
        }
    }
    // cancel_share: its denominator less its numerator is the meetings_per_year numerator.
    for ((u, g, m), (n, d)) in &map {
        if m != "cancel_share" {
            continue;
        }
        let other = indicator_cell(&map, u, g, "meetings_per_year", false);
        if let (Some(n), Some(d)) = (n, d) {
            cells.lines.push(Line {
                members: [Some(*n), other].into_iter().flatten().collect(),
                total: Some(*d),
            });
        }
    }
    Ok(map)
}

/// The numerator (`den = false`) or denominator cell of a measure in a unit and group.
fn indicator_cell(map: &IndicatorCells, u: &str, g: &str, m: &str, den: bool) -> Option<CellId> {
    map.get(&(u.to_owned(), g.to_owned(), m.to_owned()))
        .and_then(|nd| if den { nd.1 } else { nd.0 })
}

pub(super) fn stock(
    f: &Frames,
    h: &Hierarchy,
    ind: &IndicatorCells,
    long_term_days: i32,
    cells: &mut Cells,
) -> Result<(), Error> {
    let Some((raw, safe)) = f.get(TableId::StockDuration) else {
        return Ok(());
    };
    let (unit, group, band) = (
        texts(raw, out::UNIT)?,
        texts(raw, out::GROUP)?,
        texts(raw, out::DURATION_BAND)?,
    );
    let persons = figures(raw, safe, out::PERSONS)?;
    let mut map: PlHashMap<(String, String, usize), CellId> = PlHashMap::default();
    for row in 0..raw.height() {
        let Some((v, hid)) = persons[row] else {
            continue;
        };
        let Some(b) = DURATION_BANDS.iter().position(|(l, _)| *l == band[row]) else {
            continue;
        };
        // The last band (over five years) is the long_term_5y_share numerator.
        let same = (b + 1 == DURATION_BANDS.len())
            .then(|| indicator_cell(ind, &unit[row], &group[row], "long_term_5y_share", false))
            .flatten();
        let id = cells.share(same, v, hid, Place::Band(row));
        cells.weigh(id, tier(h, &unit[row], &group[row]));
        map.insert((unit[row].clone(), group[row].clone(), b), id);
    }
    let groups = group_list(&group);
    let bands = DURATION_BANDS.len();
    // The stock on R (the stock shares' denominator) is the bands' total; where no published
    // figure equals it, it is an unknown (a cell with no place), not a known zero.
    let mut sums: BTreeMap<(String, String), i64> = BTreeMap::new();
    for ((u, g, _), &id) in &map {
        *sums.entry((u.clone(), g.clone())).or_default() += cells.value[id];
    }
    for ((u, g), sum) in sums {
        let total = indicator_cell(ind, &u, &g, LONG_TERM_SHARE, true)
            .filter(|&id| cells.value[id] == sum)
            .unwrap_or_else(|| cells.unknown(sum));
        cells.weigh(total, tier(h, &u, &g));
        map.insert((u, g, bands), total);
    }
    cells.tables.extend(h.cube(&groups, bands + 1, |u, g, x| {
        map.get(&(u.to_owned(), g.to_owned(), x)).copied()
    }));
    if let Some(long) = long_term_bands(long_term_days) {
        for u in h.units() {
            for g in &groups {
                let Some(total) = indicator_cell(ind, u, g, LONG_TERM_SHARE, false) else {
                    continue;
                };
                let members = long
                    .clone()
                    .filter_map(|b| map.get(&(u.clone(), g.clone(), b)).copied())
                    .collect();
                cells.lines.push(Line {
                    members,
                    total: Some(total),
                });
            }
        }
    }
    Ok(())
}

pub(super) fn fte(
    f: &Frames,
    h: &Hierarchy,
    ind: &IndicatorCells,
    cells: &mut Cells,
) -> Result<(), Error> {
    let Some((raw, safe)) = f.get(TableId::Fte) else {
        return Ok(());
    };
    let (unit, group) = (texts(raw, out::UNIT)?, texts(raw, out::GROUP)?);
    let days = figures(raw, safe, out::PERSON_DAYS)?;
    let mut map: PlHashMap<(String, String), CellId> = PlHashMap::default();
    for row in 0..raw.height() {
        let Some((v, hid)) = days[row] else { continue };
        // Target person-days are the activation_rate denominator.
        let same = indicator_cell(ind, &unit[row], &group[row], "activation_rate", true);
        let id = cells.share(same, v, hid, Place::PersonDays(row));
        cells.weigh(id, tier(h, &unit[row], &group[row]));
        map.insert((unit[row].clone(), group[row].clone()), id);
    }
    let groups = group_list(&group);
    cells.tables.extend(h.unit_group(&groups, |u, g| {
        map.get(&(u.to_owned(), g.to_owned())).copied()
    }));
    Ok(())
}

pub(super) fn destinations(f: &Frames, h: &Hierarchy, cells: &mut Cells) -> Result<(), Error> {
    let Some((raw, safe)) = f.get(TableId::ExitDestinations) else {
        return Ok(());
    };
    let (unit, group, dest) = (
        texts(raw, out::UNIT)?,
        texts(raw, out::GROUP)?,
        texts(raw, DESTINATION)?,
    );
    let lag = ints(raw, LAG_DAYS)?;
    let spells = figures(raw, safe, SPELLS)?;
    let total = ints(raw, TOTAL)?;
    let share_shown: Vec<bool> = floats(safe, SHARE)?.iter().map(Option::is_some).collect();
    let destinations: Vec<String> = dest
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let lags: BTreeSet<i64> = lag.iter().flatten().copied().collect();
    let mut map: PlHashMap<(i64, String, String, usize), CellId> = PlHashMap::default();
    let mut row = 0;
    while row < raw.height() {
        // Rows are sorted by level, unit, group, lag, destination: one lag's block.
        let mut end = row;
        while end < raw.height()
            && (&unit[end], &group[end], lag[end]) == (&unit[row], &group[row], lag[row])
        {
            end += 1;
        }
        let l = lag[row].unwrap_or(0);
        // The published (spells, share) pairs, each of which tells the lag's total.
        let mut pairs: Vec<Vec<CellId>> = Vec::new();
        for r in row..end {
            if let (Some((v, hid)), Ok(x)) = (spells[r], destinations.binary_search(&dest[r])) {
                let id = cells.add(v, hid, Place::Destination(r));
                cells.weigh(id, tier(h, &unit[r], &group[r]));
                map.insert((l, unit[r].clone(), group[r].clone(), x), id);
                if !hid && share_shown[r] {
                    pairs.push(vec![id]);
                }
            }
        }
        let t = total[row].unwrap_or(0);
        let id = cells.add(t, pairs.is_empty(), Place::LagTotal(row, end - row));
        cells.weigh(id, tier(h, &unit[row], &group[row]));
        if !pairs.is_empty() {
            cells.known_through.push((id, pairs));
        }
        map.insert(
            (l, unit[row].clone(), group[row].clone(), destinations.len()),
            id,
        );
        row = end;
    }
    let groups = group_list(&group);
    for l in lags {
        cells
            .tables
            .extend(h.cube(&groups, destinations.len() + 1, |u, g, x| {
                map.get(&(l, u.to_owned(), g.to_owned(), x)).copied()
            }));
    }
    Ok(())
}

/// A cohort: (unit, entry year, group).
pub(super) type Cohort = (String, i64, String);

/// A [`Cohort`] borrowed from its table: `duration` looks up hundreds of thousands of curve
/// points and sub-table cells by cohort, and copying two texts for each took most of its time.
type CohortRef<'a> = (&'a str, i64, &'a str);

pub(super) fn cohort_keys(df: &DataFrame) -> PolarsResult<Vec<Cohort>> {
    Ok(cohort_refs(df)?
        .into_iter()
        .map(|(u, y, g)| (u.to_owned(), y, g.to_owned()))
        .collect())
}

fn cohort_refs(df: &DataFrame) -> PolarsResult<Vec<CohortRef<'_>>> {
    let (u, g) = (text_refs(df, out::UNIT)?, text_refs(df, out::GROUP)?);
    let y = ints(df, ENTRY_YEAR)?;
    Ok(u.into_iter()
        .zip(y)
        .zip(g)
        .map(|((u, y), g)| (u, y.unwrap_or(0), g))
        .collect())
}

pub(super) fn duration(
    f: &Frames,
    h: &Hierarchy,
    horizons: &[i32],
    cells: &mut Cells,
) -> Result<(), Error> {
    let (Some((raw, safe)), Some((craw, csafe)), Some((iraw, isafe))) = (
        f.get(TableId::DurationCohorts),
        f.get(TableId::SurvivalCurves),
        f.get(TableId::CumulativeIncidence),
    ) else {
        return Ok(());
    };
    let keys = cohort_refs(raw)?;
    let spells = figures(raw, safe, SPELLS)?;
    let events = figures(raw, safe, EVENTS)?;
    let censored = figures(raw, safe, CENSORED)?;
    // (spells, events, censored) cells per cohort.
    let mut cohort: PlHashMap<CohortRef, [Option<CellId>; 3]> = PlHashMap::default();
    for (row, &key) in keys.iter().enumerate() {
        let sp = spells[row].map(|(v, hid)| cells.add(v, hid, Place::Cohort(row)));
        let ev = events[row].map(|(v, hid)| cells.add(v, hid, Place::Events(row)));
        let ce = censored[row].map(|(v, hid)| cells.add(v, hid, Place::Events(row)));
        let tier = tier(h, key.0, key.2);
        for id in [sp, ev, ce].into_iter().flatten() {
            cells.weigh(id, tier);
        }
        if let (Some(sp), Some(ev), Some(ce)) = (sp, ev, ce) {
            cells
                .implies
                .extend([(sp, ev), (sp, ce), (ev, ce), (ce, ev)]);
        }
        cohort.insert(key, [sp, ev, ce]);
    }
    let groups = group_list(&keys.iter().map(|k| k.2.to_owned()).collect::<Vec<_>>());
    let years: BTreeSet<i64> = keys.iter().map(|k| k.1).collect();
    for &y in &years {
        // events + censored = spells.
        cells.tables.extend(h.cube(&groups, 3, |u, g, x| {
            let [sp, ev, ce] = *cohort.get(&(u, y, g))?;
            [ev, ce, sp][x]
        }));
    }

    // Curve points: at_risk and events_cum per (entry year, t) over units × groups.
    let ckeys = cohort_refs(craw)?;
    let t = ints(craw, T_DAYS)?;
    let at_risk = ints(craw, AT_RISK)?;
    let events_cum = ints(craw, EVENTS_CUM)?;
    let shown: Vec<bool> = csafe
        .column(PUBLISHED)?
        .bool()?
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect();
    // (at_risk, events_cum) cells per cohort and t; the last t of each cohort's curve.
    let mut point: PlHashMap<(CohortRef, i64), (Option<CellId>, CellId)> = PlHashMap::default();
    let mut last_t: PlHashMap<CohortRef, i64> = PlHashMap::default();
    let mut grid: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for (row, &key) in ckeys.iter().enumerate() {
        let t = t[row].unwrap_or(0);
        let hid = !shown[row];
        let [sp, _, _] = cohort.get(&key).copied().unwrap_or([None; 3]);
        let n = at_risk[row].unwrap_or(0);
        // At t = 0 the spells at risk are the cohort's spells.
        let risk = cells.share(sp.filter(|_| t == 0), n, hid, Place::Point(row));
        let ev = cells.add(events_cum[row].unwrap_or(0), hid, Place::Point(row));
        let tier = tier(h, key.0, key.2);
        cells.weigh(risk, tier);
        cells.weigh(ev, tier);
        cells.implies.extend([(risk, ev), (ev, risk)]);
        if let Some(sp) = sp {
            cells.implies.extend([(sp, risk), (sp, ev)]);
        }
        point.insert((key, t), (Some(risk), ev));
        last_t.insert(key, t);
        grid.entry(key.1).or_default().insert(t);
    }
    for (y, ts) in &grid {
        for &t in ts {
            for pick in [0, 1] {
                cells.tables.extend(h.unit_group(&groups, |u, g| {
                    let key = (u, *y, g);
                    let cells = cohort.get(&key)?;
                    match point.get(&(key, t)) {
                        Some(&(risk, ev)) => {
                            if pick == 0 {
                                risk
                            } else {
                                Some(ev)
                            }
                        }
                        // After its curve ended a cohort has nobody at risk (a known zero)
                        // and all its events: the cohort's events cell.
                        None if last_t.get(&key).is_some_and(|&l| l < t) && pick == 1 => cells[1],
                        None => None,
                    }
                }));
            }
        }
    }

    // Incidence: per cohort and horizon the four classes and S(h) sum to 1.
    let mut survival: PlHashMap<(CohortRef, i64), CellId> = PlHashMap::default();
    for (j, hz) in horizons.iter().enumerate() {
        let (a, b) = (
            floats(raw, &survival_columns(*hz)[0])?,
            floats(safe, &survival_columns(*hz)[0])?,
        );
        for (row, &key) in keys.iter().enumerate() {
            if let Some(v) = a[row] {
                let scaled = (v * PROBABILITY_SCALE) as i64;
                let id = cells.add(scaled, b[row].is_none(), Place::Survival(row, j));
                cells.cost[id] = SURVIVAL_COST + scaled;
                if let Some(sp) = cohort.get(&key).and_then(|c| c[0]) {
                    cells.implies.push((sp, id));
                }
                survival.insert((key, i64::from(*hz)), id);
            }
        }
    }
    let ikeys = cohort_refs(iraw)?;
    let it = ints(iraw, T_DAYS)?;
    let (a, b) = (floats(iraw, CIF)?, floats(isafe, CIF)?);
    let mut lines: BTreeMap<(CohortRef, i64), Vec<CellId>> = BTreeMap::new();
    for (row, &key) in ikeys.iter().enumerate() {
        let Some(v) = a[row] else { continue };
        let id = cells.add(
            (v * PROBABILITY_SCALE) as i64,
            b[row].is_none(),
            Place::Incidence(row),
        );
        let hz = it[row].unwrap_or(0);
        if let Some(&s) = survival.get(&(key, hz)) {
            cells.implies.push((s, id));
        }
        lines.entry((key, hz)).or_default().push(id);
    }
    for ((key, hz), mut members) in lines {
        members.extend(survival.get(&(key, hz)));
        cells.lines.push(Line {
            members,
            total: None,
        });
    }
    Ok(())
}

/// Cost of hiding a `longterm_profile` side total as a partner: far above any count, since
/// hiding it hides every share of that side (and the long-term total is the national
/// `long_term_share` numerator, so the indicators avoid it too).
const PROFILE_TOTAL_COST: i64 = 1 << 58;

/// `longterm_profile`: on each side (long-term, not), every variable's categories sum to the
/// side's total, one figure for all variables (they split the same persons). The total is
/// published when some row shows a count > 0 with its share (count ÷ share), when some variable
/// shows every count of the side (their sum), or when `indicators` shows it.
///
/// Ties to `indicators` (national level, `long_term_share`, whose numerator is the long-term
/// stock and whose denominator is the stock): the long-term total is the `all` numerator and
/// the long-term count of a `group` category that group's numerator (one cell each); the
/// not-long-term total and counts are the denominator less the numerator (a line each). A
/// figure hidden in either table is so hidden in both.
pub(super) fn profile(f: &Frames, ind: &IndicatorCells, cells: &mut Cells) -> Result<(), Error> {
    let Some((raw, safe)) = f.get(TableId::LongtermProfile) else {
        return Ok(());
    };
    let (variable, category) = (texts(raw, VARIABLE)?, texts(raw, CATEGORY)?);
    let height = raw.height();
    // The national long_term_share (numerator, denominator) of a group.
    let national = |g: &str| {
        let cell = |den| indicator_cell(ind, out::NATIONAL_UNIT, g, LONG_TERM_SHARE, den);
        (cell(false), cell(true))
    };
    for (side, (n, share, total)) in PROFILE_SIDES.iter().enumerate() {
        let Some(t) = ints(raw, total)?.first().copied().flatten() else {
            continue;
        };
        let counts = figures(raw, safe, n)?;
        let shown = floats(safe, share)?;
        let mut lines: BTreeMap<&str, Vec<CellId>> = BTreeMap::new();
        let mut whole: BTreeMap<&str, bool> = BTreeMap::new();
        let mut ids: BTreeMap<usize, CellId> = BTreeMap::new();
        for (r, figure) in counts.iter().enumerate() {
            let Some((v, hid)) = *figure else { continue };
            let tie = (variable[r] == "group").then(|| national(&category[r]));
            let id = tie_to_indicators(cells, side, tie, v, hid, Place::Profile(r, side));
            // National figures of one group or category.
            cells.weigh(id, 2);
            ids.insert(r, id);
            lines.entry(&variable[r]).or_default().push(id);
            *whole.entry(&variable[r]).or_insert(true) &= !hid;
        }
        let pair = (0..height)
            .any(|r| counts[r].is_some_and(|(v, hid)| v > 0 && !hid) && shown[r].is_some());
        let known = pair || whole.values().any(|&w| w);
        let place = Place::ProfileTotal(side, height);
        let id = tie_to_indicators(cells, side, Some(national(s::ALL_GROUPS)), t, !known, place);
        cells.cost[id] = PROFILE_TOTAL_COST + t;
        // Told only through the profile (not printed in `indicators`): known while a pair, a
        // whole variable or the indicators' numerator and denominator stay published.
        let printed = cells.places[id]
            .iter()
            .any(|p| !matches!(p, Place::Profile(..) | Place::ProfileTotal(..)));
        if known && !printed {
            let mut ways: Vec<Vec<CellId>> = (0..height)
                .filter(|&r| counts[r].is_some_and(|(v, hid)| v > 0 && !hid) && shown[r].is_some())
                .filter_map(|r| ids.get(&r).map(|&c| vec![c]))
                .collect();
            ways.extend(
                lines
                    .iter()
                    .filter(|(v, _)| whole.get(*v).copied().unwrap_or(false))
                    .map(|(_, m)| m.clone()),
            );
            if let (1, (Some(n), Some(d))) = (side, national(s::ALL_GROUPS)) {
                if cells.value[d] - cells.value[n] == t {
                    ways.push(vec![n, d]);
                }
            }
            cells.known_through.push((id, ways));
        }
        for (_, members) in lines {
            cells.lines.push(Line {
                members,
                total: Some(id),
            });
        }
    }
    Ok(())
}

/// The cell of a profile figure `v` on `side` that `indicators` also tells through `tie` (the
/// national long_term_share numerator and denominator of the same persons): on the long-term
/// side the numerator's cell, when it holds `v`; on the other side a new cell in the line
/// `v + numerator = denominator`, published when both are. Otherwise a new cell, suppressed
/// when `hidden`.
fn tie_to_indicators(
    cells: &mut Cells,
    side: usize,
    tie: Option<(Option<CellId>, Option<CellId>)>,
    v: i64,
    hidden: bool,
    place: Place,
) -> CellId {
    let (num, den) = tie.unwrap_or_default();
    if side == 0 {
        let same = num.filter(|&id| cells.value[id] == v);
        // Published in indicators, the figure is published whatever the profile shows.
        return cells.share(same, v, hidden && same.is_none(), place);
    }
    let line = num
        .zip(den)
        .filter(|&(n, d)| cells.value[d] - cells.value[n] == v);
    let published = line.is_some_and(|(n, d)| {
        cells.state[n] == State::Published && cells.state[d] == State::Published
    });
    let id = cells.add(v, hidden && !published, place);
    if let Some((n, d)) = line {
        cells.lines.push(Line {
            members: vec![id, n],
            total: Some(d),
        });
    }
    id
}
