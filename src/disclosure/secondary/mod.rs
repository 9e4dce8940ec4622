//! Secondary (complementary) suppression, MEASURES.md §7 "Secondary rules" and "Method": after
//! the primary rules, hide further published figures until no suppressed figure can be worked
//! out exactly from the published ones and the additive relations between them.
//!
//! Every published count becomes a *cell*; a figure that appears in several places (a shared
//! denominator, the stock that is also the bands' total, a cohort's spells that are also its
//! curve's `at_risk` at t = 0) is one cell, so a cell suppressed anywhere is suppressed
//! everywhere. The relations become two-way sub-tables of the hierarchy and one-way lines
//! ([`engine`]); the engine adds partners until no suppressed cell is a bridge, then the
//! consequences a hidden figure has for its neighbours in a row (a hidden denominator hides
//! its numerator, a hidden cohort hides its curve, …) are applied, and the two alternate until
//! nothing changes.

pub mod audit;
pub mod engine;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use polars::prelude::*;

use crate::error::Error;
use crate::measures::duration::{
    AT_RISK, CENSORED, CIF, ENTRY_YEAR, EVENTS, EVENTS_CUM, MEDIAN_DAYS, SPELLS as COHORT_SPELLS,
    T_DAYS,
};
use crate::measures::indicators::{
    CI_HI, CI_LO, DENOMINATOR, MEASURE, NUMERATOR, PERSONS_NUM, VALUE,
};
use crate::measures::outcomes::{DESTINATION, LAG_DAYS, SHARE, SPELLS, TOTAL};
use crate::measures::{floats, ints, texts, Table};
use crate::reference::{self, Reference};
use crate::schema::{self as s, out, DURATION_BANDS};

pub use engine::{CellId, Line, State, SubTable};

/// Marks the `survival_curves` rows the primary walk publishes; rows are dropped only after
/// the secondary rules, which need every point.
pub const PUBLISHED: &str = "__published";

/// Measures whose denominators are one figure (MEASURES.md §7): the stock shares; the
/// six-month measures; activation and meetings per target person-day (with the `fte` row).
const SHARED_DENOMINATORS: [&[&str]; 3] = [
    &[
        "long_term_share",
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
/// Bands whose sum is the `long_term_share` numerator (more than two years).
const LONG_TERM_BANDS: [&str; 3] = ["2-3y", "3-5y", "5y+"];
/// Cost of hiding a survival value S(h) as a partner of a hidden incidence class: far above
/// any class, so a class is always preferred (hiding S(h) hides all four classes with it).
const SURVIVAL_COST: i64 = 1 << 40;
/// Incidence and survival values are probabilities; as partner costs they are scaled to
/// integers (only their order matters).
const PROBABILITY_SCALE: f64 = 1e9;

/// Municipality → peer group: the unit hierarchy of every table.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    peer_of: BTreeMap<String, String>,
}

impl Hierarchy {
    pub fn new(reference: &Reference) -> Result<Hierarchy, Error> {
        let df = &reference.municipalities;
        let codes = ints(df, reference::CODE)?;
        let peers = texts(df, reference::PEER_GROUP)?;
        Ok(Hierarchy {
            peer_of: codes
                .into_iter()
                .zip(peers)
                .filter_map(|(c, p)| c.map(|c| (c.to_string(), p)))
                .collect(),
        })
    }

    /// The peer group of a municipality (its code as text).
    pub fn peer_of(&self, municipality: &str) -> Option<&str> {
        self.peer_of.get(municipality).map(String::as_str)
    }

    /// The sub-tables of the hierarchy for one variable over (unit, group): per peer group its
    /// municipalities plus its total × the groups plus `all`, and the peer groups plus the
    /// country × the groups plus `all`. `cell` gives the cell of a (unit, group), if any.
    fn unit_group(
        &self,
        groups: &[String],
        cell: impl Fn(&str, &str) -> Option<CellId>,
    ) -> Vec<SubTable> {
        self.unit_tables(|rows| {
            rows.iter()
                .map(|u| groups.iter().map(|g| cell(u, g)).collect())
                .collect()
        })
    }

    /// For each block of the unit hierarchy (a peer group's municipalities then the peer
    /// group; the peer groups then the country), the sub-table `grid(rows)` builds.
    fn unit_tables(&self, grid: impl Fn(&[String]) -> Vec<Vec<Option<CellId>>>) -> Vec<SubTable> {
        let mut blocks: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (m, p) in &self.peer_of {
            blocks.entry(p).or_default().push(m.clone());
        }
        let mut tables = Vec::new();
        let mut top: Vec<String> = blocks.keys().map(|p| (*p).to_owned()).collect();
        for (p, mut rows) in blocks {
            rows.push(p.to_owned());
            tables.push(SubTable { grid: grid(&rows) });
        }
        top.push(out::NATIONAL_UNIT.to_owned());
        tables.push(SubTable { grid: grid(&top) });
        tables
    }

    /// Every unit: municipalities, peer groups, the country.
    fn units(&self) -> Vec<String> {
        let peers: BTreeSet<&String> = self.peer_of.values().collect();
        self.peer_of
            .keys()
            .cloned()
            .chain(peers.into_iter().cloned())
            .chain([out::NATIONAL_UNIT.to_owned()])
            .collect()
    }

    /// The sub-tables of a three-way cube over (unit, group, x), x's last value the total of
    /// the others: every two-way slice of the hierarchy.
    fn cube(
        &self,
        groups: &[String],
        xs: usize,
        cell: impl Fn(&str, &str, usize) -> Option<CellId>,
    ) -> Vec<SubTable> {
        let mut tables = Vec::new();
        for x in 0..xs {
            tables.extend(self.unit_group(groups, |u, g| cell(u, g, x)));
        }
        for g in groups {
            tables.extend(self.unit_tables(|rows| {
                rows.iter()
                    .map(|u| (0..xs).map(|x| cell(u, g, x)).collect())
                    .collect()
            }));
        }
        for u in self.units() {
            let grid: Vec<Vec<Option<CellId>>> = groups
                .iter()
                .map(|g| (0..xs).map(|x| cell(&u, g, x)).collect())
                .collect();
            if grid.iter().flatten().any(Option::is_some) {
                tables.push(SubTable { grid });
            }
        }
        tables
    }
}

/// Where a cell's figure is printed, so that hiding the cell hides it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `indicators` row: numerator, value, interval, persons_num.
    Numerator(usize),
    /// `indicators` row: denominator and persons.
    Denominator(usize),
    /// `stock_duration` row: persons.
    Band(usize),
    /// `fte` row: person_days, fte, persons.
    PersonDays(usize),
    /// `exit_destinations` row: spells and share.
    Destination(usize),
    /// `exit_destinations` rows `start..start + len` (one lag of a unit and group): every
    /// share, since any (spells, share) pair tells the lag's total.
    LagTotal(usize, usize),
    /// `duration_cohorts` row: the whole cohort, in all three duration tables.
    Cohort(usize),
    /// `duration_cohorts` row: events and censored (together, as the primary rule has them).
    Events(usize),
    /// `survival_curves` row: the whole point.
    Point(usize),
    /// `duration_cohorts` row and horizon index: `s_<h>` with its interval.
    Survival(usize, usize),
    /// `cumulative_incidence` row: cif.
    Incidence(usize),
}

impl Place {
    fn table(self) -> &'static str {
        match self {
            Place::Numerator(_) | Place::Denominator(_) => "indicators",
            Place::Band(_) => "stock_duration",
            Place::PersonDays(_) => "fte",
            Place::Destination(_) | Place::LagTotal(..) => "exit_destinations",
            Place::Cohort(_) | Place::Events(_) | Place::Survival(..) => "duration_cohorts",
            Place::Point(_) => "survival_curves",
            Place::Incidence(_) => "cumulative_incidence",
        }
    }
}

/// The cells of a report with their relations.
#[derive(Debug, Default)]
struct Cells {
    value: Vec<i64>,
    state: Vec<State>,
    places: Vec<Vec<Place>>,
    tables: Vec<SubTable>,
    lines: Vec<Line>,
    /// (a, b): when a is hidden, b must be hidden too.
    implies: Vec<(CellId, CellId)>,
}

impl Cells {
    /// Every cell of the tables with its places and relations; a cell is suppressed when
    /// `frames.safe` leaves it null (or, in `survival_curves`, unpublished).
    fn build(frames: &Frames, hierarchy: &Hierarchy, horizons: &[i32]) -> Result<Cells, Error> {
        let mut cells = Cells::default();
        let ind = indicators(frames, hierarchy, &mut cells)?;
        stock(frames, hierarchy, &ind, &mut cells)?;
        fte(frames, hierarchy, &ind, &mut cells)?;
        destinations(frames, hierarchy, &mut cells)?;
        duration(frames, hierarchy, horizons, &mut cells)?;
        Ok(cells)
    }

    fn add(&mut self, value: i64, suppressed: bool, place: Place) -> CellId {
        self.value.push(value);
        self.state.push(if suppressed {
            State::Primary
        } else {
            State::Published
        });
        self.places.push(vec![place]);
        self.value.len() - 1
    }

    /// A figure that is published nowhere (a total no table prints): a suppressed cell with no
    /// place, so the relations through it tell the attacker nothing.
    fn unknown(&mut self, value: i64) -> CellId {
        self.value.push(value);
        self.state.push(State::Primary);
        self.places.push(Vec::new());
        self.value.len() - 1
    }

    /// `place` prints the figure of `id` too. Should the two disagree on suppression (they
    /// cannot after the primary rules), the cell counts as suppressed.
    fn also(&mut self, id: CellId, suppressed: bool, place: Place) {
        if suppressed {
            self.state[id] = State::Primary;
        }
        self.places[id].push(place);
    }

    /// The secondary rules: the engine's sub-table and line rules with the consequences within
    /// rows, until nothing changes; then the exact attacker over all relations together, since
    /// sub-tables that share cells (a peer group's row in its own and in the national
    /// sub-table; a band in three slices; a numerator in a line) can leave a cell determined
    /// that no single sub-table determines. Each cell it finds gets one partner — the cheapest
    /// published cell with count > 0 in one of its relations, one per relation and round — and
    /// the whole repeats until the attacker finds nothing (or no partner is left).
    ///
    /// A suppressed zero is not repaired: a zero may be published under the count rule, and it
    /// is hidden only as part of a suppressed row; where it can be worked out it tells nothing
    /// a published zero would not.
    fn protect(&mut self) {
        let relations = engine::relations(&self.tables, &self.lines);
        let mut index: Vec<Vec<usize>> = vec![Vec::new(); self.value.len()];
        for (r, relation) in relations.iter().enumerate() {
            for &(c, _) in relation {
                if let Some(list) = index.get_mut(c) {
                    list.push(r);
                }
            }
        }
        // Only the components of cells newly hidden, or found determined last round, can hold
        // a determined cell: hiding a cell never determines one hidden before.
        let mut audited = vec![false; self.value.len()];
        let mut pending: Vec<CellId> = Vec::new();
        let engine = engine::Engine::new(self.value.len(), &self.tables, &self.lines);
        let mut state = std::mem::take(&mut self.state);
        // Hidden at the last engine pass; `None` before the first (a pass over everything).
        let mut passed: Option<Vec<bool>> = None;
        loop {
            loop {
                let changed: Option<Vec<CellId>> = passed.as_ref().map(|before| {
                    (0..state.len())
                        .filter(|&c| state[c] != State::Published && !before[c])
                        .collect()
                });
                engine.protect(&self.value, &mut state, changed.as_deref());
                passed = Some(state.iter().map(|s| *s != State::Published).collect());
                if !close(&self.implies, &mut state) {
                    break;
                }
            }
            let hidden: Vec<bool> = state.iter().map(|s| *s != State::Published).collect();
            let seeds: Vec<CellId> = (0..hidden.len())
                .filter(|&c| hidden[c] && !audited[c])
                .chain(pending.iter().copied())
                .collect();
            let subset = component_relations(&seeds, &relations, &index, &hidden);
            let found: Vec<CellId> = audit::determined(self.value.len(), &subset, &hidden)
                .into_iter()
                .filter(|&c| self.value[c] != 0)
                .collect();
            audited = hidden;
            let mut touched: BTreeSet<usize> = BTreeSet::new();
            let mut added = false;
            for &c in &found {
                if index[c].iter().any(|r| touched.contains(r)) {
                    continue;
                }
                let partner = nearest_partner(c, &self.value, &state, &relations, &index);
                if let Some(p) = partner {
                    state[p] = State::Secondary;
                    touched.extend(index[p].iter().copied());
                    added = true;
                }
            }
            if !added {
                break;
            }
            pending = found;
        }
        drop(engine);
        self.state = state;
    }
}

/// The cheapest published cell with count > 0 in a relation of `c`, or, when every cell there
/// is suppressed already, in the relations of those suppressed cells, and so on outwards: the
/// nearest cell that adds an unknown to the equations that determine `c`.
fn nearest_partner(
    c: CellId,
    value: &[i64],
    state: &[State],
    relations: &[Vec<(CellId, i64)>],
    index: &[Vec<usize>],
) -> Option<CellId> {
    let mut seen_cells: BTreeSet<CellId> = BTreeSet::from([c]);
    let mut seen_relations: BTreeSet<usize> = BTreeSet::new();
    let mut frontier = vec![c];
    while !frontier.is_empty() {
        let mut best: Option<CellId> = None;
        let mut next = Vec::new();
        for &cell in &frontier {
            for &r in &index[cell] {
                if !seen_relations.insert(r) {
                    continue;
                }
                for &(x, _) in &relations[r] {
                    if state[x] == State::Published {
                        if value[x] > 0 && best.is_none_or(|b| (value[x], x) < (value[b], b)) {
                            best = Some(x);
                        }
                    } else if seen_cells.insert(x) {
                        next.push(x);
                    }
                }
            }
        }
        if best.is_some() {
            return best;
        }
        frontier = next;
    }
    None
}

/// Applies `implies` ((a, b): a hidden hides b) until nothing changes; true when anything was
/// hidden.
fn close(implies: &[(CellId, CellId)], state: &mut [State]) -> bool {
    let mut changed = false;
    loop {
        let mut again = false;
        for &(a, b) in implies {
            if state[a] != State::Published && state[b] == State::Published {
                state[b] = State::Secondary;
                again = true;
            }
        }
        if !again {
            return changed;
        }
        changed = true;
    }
}

/// The relations of the connected components (over hidden cells) that hold `seeds`.
fn component_relations(
    seeds: &[CellId],
    relations: &[Vec<(CellId, i64)>],
    index: &[Vec<usize>],
    hidden: &[bool],
) -> Vec<Vec<(CellId, i64)>> {
    let mut seen_cells = vec![false; hidden.len()];
    let mut seen_relations = vec![false; relations.len()];
    let mut stack: Vec<CellId> = seeds.to_vec();
    for &c in seeds {
        seen_cells[c] = true;
    }
    while let Some(c) = stack.pop() {
        for &r in &index[c] {
            if std::mem::replace(&mut seen_relations[r], true) {
                continue;
            }
            for &(x, _) in &relations[r] {
                if hidden[x] && !std::mem::replace(&mut seen_cells[x], true) {
                    stack.push(x);
                }
            }
        }
    }
    relations
        .iter()
        .zip(seen_relations)
        .filter(|(_, seen)| *seen)
        .map(|(r, _)| r.clone())
        .collect()
}

/// Cells suppressed per table: by the primary rules, and added by the secondary ones; and how
/// many cells the table has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub cells: u64,
    pub primary: u64,
    pub secondary: u64,
}

/// The tables by name, before (`raw`) and after (`safe`) the primary rules.
struct Frames<'a> {
    raw: &'a [Table],
    safe: &'a [Table],
}

impl Frames<'_> {
    fn get(&self, name: &str) -> Option<(&DataFrame, &DataFrame)> {
        let find = |ts: &[Table]| ts.iter().position(|t| t.name == name);
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

/// What the exact attacker found in a set of published tables.
#[derive(Debug, Default)]
pub struct Audit {
    /// Cells in the relations.
    pub cells: usize,
    /// Of those, suppressed.
    pub suppressed: usize,
    /// Suppressed cells with a non-zero value that the published figures and relations
    /// determine (a suppressed zero tells nothing a published zero would not; see
    /// `Cells::protect`).
    pub determined: Vec<String>,
    /// Published counts that break the count rule (0 < n < k), or curve points with fewer than
    /// k at risk.
    pub primary_leaks: Vec<String>,
}

/// The attacker test of MEASURES.md §7, on tables as published: every cell of `raw` (the
/// tables before disclosure control) that `published` leaves null or unwritten is suppressed;
/// with exact arithmetic, no suppressed cell may lie in the row space of the relations
/// restricted to the suppressed cells. Also lists published counts in (0, k).
pub fn audit(
    raw: &[Table],
    published: &[Table],
    hierarchy: &Hierarchy,
    horizons: &[i32],
    k: i64,
) -> Result<Audit, Error> {
    // The published curve points, as the `PUBLISHED` mark on the raw curve rows.
    let mut view: Vec<Table> = published.to_vec();
    if let (Some(rawc), Some(pos)) = (
        raw.iter().find(|t| t.name == "survival_curves"),
        view.iter().position(|t| t.name == "survival_curves"),
    ) {
        let point = |df: &DataFrame| -> PolarsResult<Vec<(Cohort, i64)>> {
            Ok(cohort_keys(df)?
                .into_iter()
                .zip(ints(df, T_DAYS)?)
                .map(|(c, t)| (c, t.unwrap_or(0)))
                .collect())
        };
        let written: BTreeSet<(Cohort, i64)> = point(&view[pos].df)?.into_iter().collect();
        let mark: Vec<bool> = point(&rawc.df)?
            .iter()
            .map(|p| written.contains(p))
            .collect();
        let mut df = rawc.df.clone();
        df.with_column(Column::new(PUBLISHED.into(), mark))?;
        view[pos] = Table { df, ..rawc.clone() };
    }
    let cells = Cells::build(&Frames { raw, safe: &view }, hierarchy, horizons)?;
    let hidden: Vec<bool> = cells.state.iter().map(|s| *s != State::Published).collect();
    let relations = engine::relations(&cells.tables, &cells.lines);
    let describe =
        |id: CellId| format!("cell {id} = {} at {:?}", cells.value[id], cells.places[id]);
    let mut report = Audit {
        cells: hidden.len(),
        suppressed: hidden.iter().filter(|h| **h).count(),
        determined: audit::determined(hidden.len(), &relations, &hidden)
            .into_iter()
            .filter(|&c| cells.value[c] != 0)
            .map(describe)
            .collect(),
        primary_leaks: Vec::new(),
    };
    for (id, places) in cells.places.iter().enumerate() {
        let v = cells.value[id];
        let count = places.iter().any(|p| {
            matches!(
                p,
                Place::Band(_)
                    | Place::Destination(_)
                    | Place::Cohort(_)
                    | Place::Events(_)
                    | Place::Point(_)
            )
        });
        if !hidden[id] && count && v > 0 && v < k {
            report.primary_leaks.push(describe(id));
        }
    }
    Ok(report)
}

/// Applies the secondary rules to `safe` (the tables after the primary rules; `raw` the same
/// tables before them) and returns the cell counts per table.
pub fn apply(
    raw: &[Table],
    safe: &mut [Table],
    hierarchy: &Hierarchy,
    horizons: &[i32],
) -> Result<BTreeMap<&'static str, Counts>, Error> {
    let mut cells = Cells::build(&Frames { raw, safe: &*safe }, hierarchy, horizons)?;
    let primary_state = cells.state.clone();
    cells.protect();
    let mut counts: BTreeMap<&'static str, Counts> = BTreeMap::new();
    for (id, places) in cells.places.iter().enumerate() {
        for p in places {
            let c = counts.entry(p.table()).or_default();
            c.cells += 1;
            match (primary_state[id], cells.state[id]) {
                (State::Primary, _) => c.primary += 1,
                (_, State::Published) => {}
                _ => c.secondary += 1,
            }
        }
    }
    write_back(&cells, safe, horizons)?;
    Ok(counts)
}

/// Cells of `indicators`, by (unit, group, measure): numerator and denominator. Sorted, so
/// that the lines built from it come in the same order every run.
type IndicatorCells = BTreeMap<(String, String, String), (Option<CellId>, Option<CellId>)>;

fn indicators(f: &Frames, h: &Hierarchy, cells: &mut Cells) -> Result<IndicatorCells, Error> {
    let Some((raw, safe)) = f.get("indicators") else {
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
    let mut shared: HashMap<(String, String, String, i64), CellId> = HashMap::new();
    let mut map = IndicatorCells::new();
    for row in 0..raw.height() {
        let n = num[row].map(|(v, hid)| cells.add(v, hid, Place::Numerator(row)));
        let d = den[row].map(|(v, hid)| {
            let key = (
                unit[row].clone(),
                group[row].clone(),
                family(&measure[row]),
                v,
            );
            match shared.get(&key) {
                Some(&id) => {
                    cells.also(id, hid, Place::Denominator(row));
                    id
                }
                None => {
                    let id = cells.add(v, hid, Place::Denominator(row));
                    shared.insert(key, id);
                    id
                }
            }
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
        for pick in [0, 1] {
            let t = h.unit_group(&groups, |u, g| {
                map.get(&(u.to_owned(), g.to_owned(), m.clone()))
                    .and_then(|nd| if pick == 0 { nd.0 } else { nd.1 })
            });
            cells.tables.extend(t);
        }
    }
    // cancel_share: its denominator less its numerator is the meetings_per_year numerator.
    for ((u, g, m), (n, d)) in &map {
        if m != "cancel_share" {
            continue;
        }
        let other = map
            .get(&(u.clone(), g.clone(), "meetings_per_year".to_owned()))
            .and_then(|nd| nd.0);
        if let (Some(n), Some(d)) = (n, d) {
            cells.lines.push(Line {
                members: [Some(*n), other].into_iter().flatten().collect(),
                total: Some(*d),
            });
        }
    }
    Ok(map)
}

fn indicator_cell(map: &IndicatorCells, u: &str, g: &str, m: &str, den: bool) -> Option<CellId> {
    map.get(&(u.to_owned(), g.to_owned(), m.to_owned()))
        .and_then(|nd| if den { nd.1 } else { nd.0 })
}

fn stock(f: &Frames, h: &Hierarchy, ind: &IndicatorCells, cells: &mut Cells) -> Result<(), Error> {
    let Some((raw, safe)) = f.get("stock_duration") else {
        return Ok(());
    };
    let (unit, group, band) = (
        texts(raw, out::UNIT)?,
        texts(raw, out::GROUP)?,
        texts(raw, out::DURATION_BAND)?,
    );
    let persons = figures(raw, safe, out::PERSONS)?;
    let mut map: HashMap<(String, String, usize), CellId> = HashMap::new();
    for row in 0..raw.height() {
        let Some((v, hid)) = persons[row] else {
            continue;
        };
        let Some(b) = DURATION_BANDS.iter().position(|(l, _)| *l == band[row]) else {
            continue;
        };
        // The 5y+ band is the long_term_5y_share numerator.
        let same = (band[row] == "5y+")
            .then(|| indicator_cell(ind, &unit[row], &group[row], "long_term_5y_share", false))
            .flatten()
            .filter(|&id| cells.value[id] == v);
        let id = match same {
            Some(id) => {
                cells.also(id, hid, Place::Band(row));
                id
            }
            None => cells.add(v, hid, Place::Band(row)),
        };
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
        let total = indicator_cell(ind, &u, &g, "long_term_share", true)
            .filter(|&id| cells.value[id] == sum)
            .unwrap_or_else(|| cells.unknown(sum));
        map.insert((u, g, bands), total);
    }
    cells.tables.extend(h.cube(&groups, bands + 1, |u, g, x| {
        map.get(&(u.to_owned(), g.to_owned(), x)).copied()
    }));
    for u in h.units() {
        for g in &groups {
            let Some(total) = indicator_cell(ind, &u, g, "long_term_share", false) else {
                continue;
            };
            let members = LONG_TERM_BANDS
                .iter()
                .filter_map(|b| DURATION_BANDS.iter().position(|(l, _)| l == b))
                .filter_map(|b| map.get(&(u.clone(), g.clone(), b)).copied())
                .collect();
            cells.lines.push(Line {
                members,
                total: Some(total),
            });
        }
    }
    Ok(())
}

fn fte(f: &Frames, h: &Hierarchy, ind: &IndicatorCells, cells: &mut Cells) -> Result<(), Error> {
    let Some((raw, safe)) = f.get("fte") else {
        return Ok(());
    };
    let (unit, group) = (texts(raw, out::UNIT)?, texts(raw, out::GROUP)?);
    let days = figures(raw, safe, out::PERSON_DAYS)?;
    let mut map: HashMap<(String, String), CellId> = HashMap::new();
    for row in 0..raw.height() {
        let Some((v, hid)) = days[row] else { continue };
        // Target person-days are the activation_rate denominator.
        let same = indicator_cell(ind, &unit[row], &group[row], "activation_rate", true)
            .filter(|&id| cells.value[id] == v);
        let id = match same {
            Some(id) => {
                cells.also(id, hid, Place::PersonDays(row));
                id
            }
            None => cells.add(v, hid, Place::PersonDays(row)),
        };
        map.insert((unit[row].clone(), group[row].clone()), id);
    }
    let groups = group_list(&group);
    cells.tables.extend(h.unit_group(&groups, |u, g| {
        map.get(&(u.to_owned(), g.to_owned())).copied()
    }));
    Ok(())
}

fn destinations(f: &Frames, h: &Hierarchy, cells: &mut Cells) -> Result<(), Error> {
    let Some((raw, safe)) = f.get("exit_destinations") else {
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
    let mut map: HashMap<(i64, String, String, usize), CellId> = HashMap::new();
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
        for r in row..end {
            if let (Some((v, hid)), Ok(x)) = (spells[r], destinations.binary_search(&dest[r])) {
                let id = cells.add(v, hid, Place::Destination(r));
                map.insert((l, unit[r].clone(), group[r].clone(), x), id);
            }
        }
        let known = (row..end).any(|r| spells[r].is_some_and(|(_, hid)| !hid) && share_shown[r]);
        let t = total[row].unwrap_or(0);
        let id = cells.add(t, !known, Place::LagTotal(row, end - row));
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
type Cohort = (String, i64, String);

fn cohort_keys(df: &DataFrame) -> PolarsResult<Vec<Cohort>> {
    let (u, g) = (texts(df, out::UNIT)?, texts(df, out::GROUP)?);
    let y = ints(df, ENTRY_YEAR)?;
    Ok(u.into_iter()
        .zip(y)
        .zip(g)
        .map(|((u, y), g)| (u, y.unwrap_or(0), g))
        .collect())
}

fn duration(f: &Frames, h: &Hierarchy, horizons: &[i32], cells: &mut Cells) -> Result<(), Error> {
    let (Some((raw, safe)), Some((craw, csafe)), Some((iraw, isafe))) = (
        f.get("duration_cohorts"),
        f.get("survival_curves"),
        f.get("cumulative_incidence"),
    ) else {
        return Ok(());
    };
    let keys = cohort_keys(raw)?;
    let spells = figures(raw, safe, COHORT_SPELLS)?;
    let events = figures(raw, safe, EVENTS)?;
    let censored = figures(raw, safe, CENSORED)?;
    // (spells, events, censored) cells per cohort.
    let mut cohort: HashMap<&Cohort, [Option<CellId>; 3]> = HashMap::new();
    for (row, key) in keys.iter().enumerate() {
        let sp = spells[row].map(|(v, hid)| cells.add(v, hid, Place::Cohort(row)));
        let ev = events[row].map(|(v, hid)| cells.add(v, hid, Place::Events(row)));
        let ce = censored[row].map(|(v, hid)| cells.add(v, hid, Place::Events(row)));
        if let (Some(sp), Some(ev), Some(ce)) = (sp, ev, ce) {
            cells
                .implies
                .extend([(sp, ev), (sp, ce), (ev, ce), (ce, ev)]);
        }
        cohort.insert(key, [sp, ev, ce]);
    }
    let groups = group_list(&keys.iter().map(|k| k.2.clone()).collect::<Vec<_>>());
    let years: BTreeSet<i64> = keys.iter().map(|k| k.1).collect();
    for &y in &years {
        // events + censored = spells.
        cells.tables.extend(h.cube(&groups, 3, |u, g, x| {
            let [sp, ev, ce] = *cohort.get(&(u.to_owned(), y, g.to_owned()))?;
            [ev, ce, sp][x]
        }));
    }

    // Curve points: at_risk and events_cum per (entry year, t) over units × groups.
    let ckeys = cohort_keys(craw)?;
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
    let mut point: HashMap<(&Cohort, i64), (Option<CellId>, CellId)> = HashMap::new();
    let mut last_t: HashMap<&Cohort, i64> = HashMap::new();
    let mut grid: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for (row, key) in ckeys.iter().enumerate() {
        let t = t[row].unwrap_or(0);
        let hid = !shown[row];
        let [sp, _, _] = cohort.get(key).copied().unwrap_or([None; 3]);
        let n = at_risk[row].unwrap_or(0);
        // At t = 0 the spells at risk are the cohort's spells.
        let risk = match sp.filter(|&id| t == 0 && cells.value[id] == n) {
            Some(id) => {
                cells.also(id, hid, Place::Point(row));
                id
            }
            None => cells.add(n, hid, Place::Point(row)),
        };
        let ev = cells.add(events_cum[row].unwrap_or(0), hid, Place::Point(row));
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
                    let key = (u.to_owned(), *y, g.to_owned());
                    let (key, _) = cohort.get_key_value(&key)?;
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
                        None if last_t.get(key).is_some_and(|&l| l < t) && pick == 1 => {
                            cohort.get(key).and_then(|c| c[1])
                        }
                        None => None,
                    }
                }));
            }
        }
    }

    // Incidence: per cohort and horizon the four classes and S(h) sum to 1.
    let mut survival: HashMap<(&Cohort, i64), CellId> = HashMap::new();
    for (j, hz) in horizons.iter().enumerate() {
        let (a, b) = (
            floats(raw, &format!("s_{hz}"))?,
            floats(safe, &format!("s_{hz}"))?,
        );
        for (row, key) in keys.iter().enumerate() {
            if let Some(v) = a[row] {
                let cost = SURVIVAL_COST + (v * PROBABILITY_SCALE) as i64;
                let id = cells.add(cost, b[row].is_none(), Place::Survival(row, j));
                if let Some(sp) = cohort.get(key).and_then(|c| c[0]) {
                    cells.implies.push((sp, id));
                }
                survival.insert((key, i64::from(*hz)), id);
            }
        }
    }
    let ikeys = cohort_keys(iraw)?;
    let it = ints(iraw, T_DAYS)?;
    let (a, b) = (floats(iraw, CIF)?, floats(isafe, CIF)?);
    let mut lines: BTreeMap<(&Cohort, i64), Vec<CellId>> = BTreeMap::new();
    for (row, key) in ikeys.iter().enumerate() {
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

/// Hides, in `safe`, every figure of every cell the secondary rules suppressed, sets
/// `suppressed` on its row, and drops the unpublished `survival_curves` points.
fn write_back(cells: &Cells, safe: &mut [Table], horizons: &[i32]) -> Result<(), Error> {
    // Rows to hide per (table, column set).
    let mut hide: BTreeMap<(&'static str, Vec<String>), BTreeSet<usize>> = BTreeMap::new();
    let mut add = |table: &'static str, columns: &[&str], row: usize| {
        hide.entry((table, columns.iter().map(|c| (*c).to_owned()).collect()))
            .or_default()
            .insert(row);
    };
    let s_columns: Vec<String> = horizons
        .iter()
        .flat_map(|h| [format!("s_{h}"), format!("s_{h}_lo"), format!("s_{h}_hi")])
        .collect();
    let mut cohort_columns: Vec<&str> =
        vec![COHORT_SPELLS, out::PERSONS, EVENTS, CENSORED, MEDIAN_DAYS];
    cohort_columns.extend(s_columns.iter().map(String::as_str));
    for (id, places) in cells.places.iter().enumerate() {
        if cells.state[id] != State::Secondary {
            continue;
        }
        for &p in places {
            match p {
                Place::Numerator(r) => add(
                    "indicators",
                    &[NUMERATOR, VALUE, CI_LO, CI_HI, PERSONS_NUM],
                    r,
                ),
                Place::Denominator(r) => add("indicators", &[DENOMINATOR, out::PERSONS], r),
                Place::Band(r) => add("stock_duration", &[out::PERSONS], r),
                Place::PersonDays(r) => add("fte", &[out::PERSON_DAYS, out::FTE, out::PERSONS], r),
                Place::Destination(r) => add("exit_destinations", &[SPELLS, SHARE], r),
                Place::LagTotal(start, len) => {
                    for r in start..start + len {
                        add("exit_destinations", &[SHARE], r);
                    }
                }
                Place::Cohort(r) => add("duration_cohorts", &cohort_columns, r),
                Place::Events(r) => add("duration_cohorts", &[EVENTS, CENSORED], r),
                Place::Point(r) => add("survival_curves", &[PUBLISHED], r),
                Place::Survival(r, j) => {
                    let h = horizons[j];
                    add(
                        "duration_cohorts",
                        &[
                            &format!("s_{h}"),
                            &format!("s_{h}_lo"),
                            &format!("s_{h}_hi"),
                        ],
                        r,
                    );
                }
                Place::Incidence(r) => add("cumulative_incidence", &[CIF], r),
            }
        }
    }
    // Every row of a hidden cohort in cumulative_incidence says so, null value or not.
    let cohorts_hidden: BTreeSet<Cohort> = match safe.iter().find(|t| t.name == "duration_cohorts")
    {
        Some(t) => {
            let keys = cohort_keys(&t.df)?;
            cells
                .places
                .iter()
                .enumerate()
                .filter(|(id, _)| cells.state[*id] == State::Secondary)
                .flat_map(|(_, places)| places.iter())
                .filter_map(|p| match p {
                    Place::Cohort(r) => Some(keys[*r].clone()),
                    _ => None,
                })
                .collect()
        }
        None => BTreeSet::new(),
    };
    for table in safe.iter_mut() {
        let height = table.df.height();
        let mut flagged = vec![false; height];
        if table.name == "cumulative_incidence" && !cohorts_hidden.is_empty() {
            for (r, key) in cohort_keys(&table.df)?.iter().enumerate() {
                flagged[r] |= cohorts_hidden.contains(key);
            }
        }
        for ((name, columns), rows) in &hide {
            if *name != table.name {
                continue;
            }
            let mask: Vec<bool> = (0..height).map(|r| rows.contains(&r)).collect();
            for c in columns {
                let s = table.df.column(c)?.as_materialized_series().clone();
                let hidden = if c == PUBLISHED {
                    let keep = BooleanChunked::from_slice(
                        "keep".into(),
                        &mask.iter().map(|m| !m).collect::<Vec<_>>(),
                    );
                    (s.bool()? & &keep).into_series()
                } else {
                    let keep = BooleanChunked::from_slice(
                        "keep".into(),
                        &mask.iter().map(|m| !m).collect::<Vec<_>>(),
                    );
                    s.zip_with(
                        &keep,
                        &Series::full_null(c.as_str().into(), height, s.dtype()),
                    )?
                };
                table
                    .df
                    .with_column(hidden.with_name(c.as_str().into()).into_column())?;
            }
            for r in rows {
                flagged[*r] = true;
            }
        }
        if table
            .df
            .get_column_names()
            .iter()
            .any(|c| c.as_str() == out::SUPPRESSED)
        {
            let before: Vec<bool> = table
                .df
                .column(out::SUPPRESSED)?
                .bool()?
                .iter()
                .map(|v| v.unwrap_or(false))
                .collect();
            let after: Vec<bool> = before.iter().zip(&flagged).map(|(a, b)| *a || *b).collect();
            table
                .df
                .with_column(Column::new(out::SUPPRESSED.into(), after))?;
        }
    }
    Ok(())
}
