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
mod build;
pub mod engine;
mod hierarchy;
mod write_back;

use super::survival::{null_where, PUBLISHED};
use build::{cohort_keys, Cohort, Frames};
pub use hierarchy::Hierarchy;
use write_back::write_back;

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use crate::config::Config;
use crate::error::Error;
use crate::measures::duration::survival_columns;
use crate::measures::{floats, ints, text_refs, texts, Table};
use crate::reference::{self, Reference};
use crate::schema::out::hidden::TOTAL;
use crate::schema::out::{TableId, CATEGORY, PROFILE_SIDES, VARIABLE};
use crate::schema::out::{
    AT_RISK, CENSORED, CIF, CI_HI, CI_LO, DENOMINATOR, DESTINATION, ENTRY_YEAR, EVENTS, EVENTS_CUM,
    LAG_DAYS, MEASURE, MEDIAN_DAYS, NUMERATOR, PERSONS_NUM, SHARE, SPELLS, T_DAYS, VALUE,
};
use crate::schema::{self as s, out, DURATION_BANDS};

pub use engine::{CellId, Line, State, SubTable};

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
    /// `longterm_profile` row and side (index into `PROFILE_SIDES`): the count and its share.
    Profile(usize, usize),
    /// `longterm_profile` side and the table's height: every share of that side, since any
    /// (count, share) pair tells the side's total.
    ProfileTotal(usize, usize),
}

impl Place {
    fn table(self) -> TableId {
        match self {
            Place::Numerator(_) | Place::Denominator(_) => TableId::Indicators,
            Place::Band(_) => TableId::StockDuration,
            Place::PersonDays(_) => TableId::Fte,
            Place::Destination(_) | Place::LagTotal(..) => TableId::ExitDestinations,
            Place::Cohort(_) | Place::Events(_) | Place::Survival(..) => TableId::DurationCohorts,
            Place::Point(_) => TableId::SurvivalCurves,
            Place::Incidence(_) => TableId::CumulativeIncidence,
            Place::Profile(..) | Place::ProfileTotal(..) => TableId::LongtermProfile,
        }
    }
}

/// The cells of a report with their relations.
#[derive(Debug, Default)]
struct Cells {
    /// The figure (a count, or a probability for survival and incidence values).
    value: Vec<i64>,
    /// What hiding the cell costs when partners are chosen: its count, raised for cells whose
    /// hiding takes many others with it (see `build`).
    cost: Vec<i64>,
    state: Vec<State>,
    places: Vec<Vec<Place>>,
    tables: Vec<SubTable>,
    lines: Vec<Line>,
    /// (a, b): when a is hidden, b must be hidden too.
    implies: Vec<(CellId, CellId)>,
    /// (t, ways): a figure no table prints itself (a lag's total in `exit_destinations`, a
    /// side's total in `longterm_profile`) is known only while one of `ways` — a set of cells
    /// that tell it when all are published, e.g. one (spells, share) pair — is wholly
    /// published. When the secondary rules hide the last way, `t` is hidden with it (see
    /// `close`).
    known_through: Vec<(CellId, Vec<Vec<CellId>>)>,
}

impl Cells {
    /// Every cell of the tables with its places and relations; a cell is suppressed when
    /// `frames.safe` leaves it null (or, in `survival_curves`, unpublished).
    fn build(frames: &Frames, hierarchy: &Hierarchy, config: &Config) -> Result<Cells, Error> {
        let mut cells = Cells::default();
        let ind = build::indicators(frames, hierarchy, &mut cells)?;
        build::stock(frames, hierarchy, &ind, config.long_term_days, &mut cells)?;
        build::fte(frames, hierarchy, &ind, &mut cells)?;
        build::destinations(frames, hierarchy, &mut cells)?;
        build::duration(frames, hierarchy, &config.horizons_days, &mut cells)?;
        build::profile(frames, &ind, &mut cells)?;
        Ok(cells)
    }

    fn add(&mut self, value: i64, suppressed: bool, place: Place) -> CellId {
        self.value.push(value);
        self.cost.push(value);
        self.state.push(if suppressed {
            State::Primary
        } else {
            State::Published
        });
        self.places.push(vec![place]);
        self.value.len() - 1
    }

    /// Raises the partner cost of cell `id` by its place in the hierarchy (see [`tier`] and
    /// [`tier_cost`]). Idempotent; a cell shared by places of different tiers keeps the
    /// highest.
    fn weigh(&mut self, id: CellId, tier: i64) {
        let cost = self.value[id].max(0).saturating_add(tier_cost(tier));
        self.cost[id] = self.cost[id].max(cost);
    }

    /// A figure that is published nowhere (a total no table prints): a suppressed cell with no
    /// place, so the relations through it tell the attacker nothing.
    fn unknown(&mut self, value: i64) -> CellId {
        self.value.push(value);
        self.cost.push(value);
        self.state.push(State::Primary);
        self.places.push(Vec::new());
        self.value.len() - 1
    }

    /// The cell of a figure that may be one already made (`same`: a shared denominator, the
    /// band that is a numerator, …): that cell, printed at `place` too, when it holds the same
    /// value; else a new cell. Should the two places disagree on suppression (they cannot after
    /// the primary rules), the cell counts as suppressed.
    fn share(
        &mut self,
        same: Option<CellId>,
        value: i64,
        suppressed: bool,
        place: Place,
    ) -> CellId {
        match same.filter(|&id| self.value[id] == value) {
            Some(id) => {
                if suppressed {
                    self.state[id] = State::Primary;
                }
                self.places[id].push(place);
                id
            }
            None => self.add(value, suppressed, place),
        }
    }

    /// The secondary rules: the engine's sub-table and line rules with the consequences within
    /// rows, until nothing changes; then the exact attacker over all relations together, since
    /// sub-tables that share cells (a peer group's row in its own and in the national
    /// sub-table; a band in three slices; a numerator in a line) can leave a cell determined
    /// that no single sub-table determines. Each cell it finds gets one partner — the cheapest
    /// published cell with count > 0 in one of its relations, one per relation and round — and
    /// the whole repeats until the attacker finds nothing (or no partner is left). The
    /// attacker is kept across rounds ([`audit::Attacker`]) and told only the cells hidden
    /// since the last round: what it finds equals a fresh [`audit::determined`] over every
    /// relation, without solving again what did not change.
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
        // Scratch sets of cells and of relations for the searches of every round.
        let mut seen = (Marks::new(self.value.len()), Marks::new(relations.len()));
        let mut touched = Marks::new(relations.len());
        let mut state = std::mem::take(&mut self.state);
        let primary: Vec<CellId> = (0..state.len())
            .filter(|&c| state[c] != State::Published)
            .collect();
        // Every cell hidden since the start, in the order hidden; `passed`, `closed` and
        // `audited` are how much of it the last engine pass, the last closure and the last
        // audit had seen. Why a log: the rounds are many (476 on 200,000 persons) and each
        // hides a few cells, so comparing every cell's state each round cost more than the
        // round's own work.
        let mut log: Vec<CellId> = Vec::new();
        let (mut passed, mut closed) = (None, None);
        let engine = engine::Engine::new(self.value.len(), &self.tables, &self.lines);
        let consequences = Consequences::new(state.len(), &self.implies, &self.known_through);
        let mut settle = |state: &mut [State], log: &mut Vec<CellId>| loop {
            let changed: Option<Vec<CellId>> = passed.map(|from| {
                let mut c = log[from..].to_vec();
                c.sort_unstable();
                c
            });
            engine.protect(&self.cost, state, changed.as_deref(), log);
            passed = Some(log.len());
            let fresh = closed.map(|from: usize| log[from..].to_vec());
            let more = consequences.close(fresh.as_deref(), state, log);
            closed = Some(log.len());
            if !more {
                break;
            }
        };
        // The attacker's first reduction (of the primary cells) does not depend on the rules'
        // first pass, so the two run side by side (on 1M persons 0.5 s and 0.3 s).
        let (mut attacker, ()) = rayon::join(
            || {
                let mut attacker = audit::Attacker::new(self.value.len(), &relations);
                attacker.hide(&primary);
                attacker
            },
            || settle(&mut state, &mut log),
        );
        let mut audited = 0;
        loop {
            attacker.hide(&log[audited..]);
            audited = log.len();
            let found: Vec<CellId> = attacker
                .determined()
                .into_iter()
                .filter(|&c| self.value[c] != 0)
                .collect();
            touched.clear();
            let mut added = false;
            for &c in &found {
                if index[c].iter().any(|&r| touched.contains(r)) {
                    continue;
                }
                let partner = nearest_partner(c, &self.cost, &state, &relations, &index, &mut seen);
                if let Some(p) = partner {
                    state[p] = State::Secondary;
                    log.push(p);
                    index[p].iter().for_each(|&r| {
                        touched.insert(r);
                    });
                    added = true;
                }
            }
            if !added {
                break;
            }
            settle(&mut state, &mut log);
        }
        self.state = state;
    }
}

/// The partner cost of a tier of the hierarchy: tier t adds 2^(26 + 8t) for t > 0, above any
/// count (person-days included) and far enough apart that 256 cells of one tier cost what one
/// of the next does; below the costs that keep survival values and profile totals out of reach
/// (2^58, `build::SURVIVAL_COST`, `build::PROFILE_TOTAL_COST`).
fn tier_cost(tier: i64) -> i64 {
    if tier <= 0 {
        0
    } else {
        1 << (26 + 8 * tier.min(3))
    }
}

/// The tier of a figure of `unit` and `group` in the partner cost: 0 for a municipality's
/// group, 1 for a municipality's `all` or a peer group's group, 2 for a peer group's `all` or
/// the country's group, 3 for the country's `all`.
///
/// Why: partners were chosen by count alone, and a path, a line or the attacker's repair
/// reached past the small cells where the problem was to a peer-group or national figure
/// whenever that was the cheapest published cell left in a relation — or the only one, in a
/// one-way line whose total the rules treated as just another hideable term. On `data-sample/`
/// a national group's `long_term_share` numerator of 3 thus led, through the long-term
/// profile's lines, to the national stock (the shared denominator of the three stock shares),
/// and `long_term_share` was suppressed in every unit, the country included. With tiers a
/// total is a partner only when no cell below it can close the cycle; counts still decide
/// within a tier.
fn tier(h: &Hierarchy, unit: &str, group: &str) -> i64 {
    let level = if unit == out::NATIONAL_UNIT {
        2
    } else if h.peer_of(unit).is_some() {
        0
    } else {
        1
    };
    level + i64::from(group == s::ALL_GROUPS)
}

/// The published cell with count > 0 nearest to `c` that adds an unknown to the equations that
/// determine it, preferring the lowest tier of the hierarchy: rings of relations are searched
/// outwards from `c` (a relation of `c`, then the relations of the suppressed cells in those,
/// and so on), from the first ring holding a candidate up to [`EXTRA_RINGS`] rings further, and
/// the candidate with the smallest (tier, ring, cost, id) wins.
///
/// Why the tier first: the cheapest cell of the first ring is often a peer-group or national
/// figure (the total of the line the determined cell lies in, the cells beside it being
/// suppressed already), and hiding it determines the next cell up; on `data-sample/` the
/// repairs climbed from a municipality's figure of 18 to the peer groups' and the country's
/// `long_term_share` and back down to every municipality's. A cell of the determined cell's
/// own tier one or two rings further out frees it as well, and the loop repeats until the
/// attacker finds nothing, so the requirement does not rest on the choice.
fn nearest_partner(
    c: CellId,
    value: &[i64],
    state: &[State],
    relations: &[Vec<(CellId, i64)>],
    index: &[Vec<usize>],
    seen: &mut (Marks, Marks),
) -> Option<CellId> {
    let (seen_cells, seen_relations) = seen;
    seen_cells.clear();
    seen_relations.clear();
    seen_cells.insert(c);
    let mut frontier = vec![c];
    let mut best: Option<((u32, usize, i64), CellId)> = None;
    let mut last_ring: Option<usize> = None;
    let mut ring = 0;
    while !frontier.is_empty() && last_ring.is_none_or(|l| ring <= l) {
        let mut next = Vec::new();
        for &cell in &frontier {
            for &r in &index[cell] {
                if !seen_relations.insert(r) {
                    continue;
                }
                for &(x, _) in &relations[r] {
                    if state[x] == State::Published {
                        let key = (cost_tier(value[x]), ring, value[x]);
                        if value[x] > 0 && best.is_none_or(|b| (key, x) < b) {
                            best = Some((key, x));
                            last_ring.get_or_insert(ring + EXTRA_RINGS);
                        }
                    } else if seen_cells.insert(x) {
                        next.push(x);
                    }
                }
            }
        }
        frontier = next;
        ring += 1;
    }
    best.map(|(_, x)| x)
}

/// A set of indices `0..n` that empties in O(1): an index is in the set when its stamp is the
/// current one. Why: the repair loop searches a few cells' neighbourhoods every round, and a
/// fresh tree or array per search cost more than the search.
struct Marks {
    stamp: Vec<u32>,
    now: u32,
}

impl Marks {
    fn new(n: usize) -> Marks {
        Marks {
            stamp: vec![0; n],
            now: 1,
        }
    }

    fn clear(&mut self) {
        self.now += 1;
    }

    /// Adds `i`; true when it was not in the set.
    fn insert(&mut self, i: usize) -> bool {
        std::mem::replace(&mut self.stamp[i], self.now) != self.now
    }

    fn contains(&self, i: usize) -> bool {
        self.stamp[i] == self.now
    }
}

/// How many rings past the first one with a candidate [`nearest_partner`] looks for a partner
/// of a lower tier.
const EXTRA_RINGS: usize = 2;

/// The tier a partner cost stands for (see [`tier_cost`]): 0 for a count of a municipality's
/// group, up to 4 for the costs that keep survival values and profile totals out of reach.
fn cost_tier(cost: i64) -> u32 {
    match cost {
        c if c < 1 << 34 => 0,
        c if c < 1 << 42 => 1,
        c if c < 1 << 50 => 2,
        c if c < 1 << 58 => 3,
        _ => 4,
    }
}

/// `implies` ((a, b): a hidden hides b) and `known_through` (a figure whose every way of
/// being told is hidden is hidden), indexed by the cells whose hiding can set them off, so
/// that each round looks only at what its new hidden cells touch.
///
/// Why `known_through`: a lag's total in `exit_destinations` is printed nowhere; it is known
/// from any published (spells, share) pair. Without this rule a total published when the
/// secondary rules start stayed `Published` after they had hidden every pair of its lag as
/// partners of other cells: the report then no longer tells it, the attacker counts it as a
/// suppressed cell, and — since no rule had given it partners — could work it out from the
/// lags of the other units and groups (3 lag totals on `data-sample/`, 1 on a fresh
/// 3,000-person extract). Hiding it here makes it a suppressed cell the engine and the exact
/// attacker's repairs protect like any other.
struct Consequences<'a> {
    known_through: &'a [(CellId, Vec<Vec<CellId>>)],
    /// Per cell: the cells its hiding hides (`implies`).
    hides: Vec<Vec<CellId>>,
    /// Per cell: the `known_through` entries with a way through it.
    through: Vec<Vec<usize>>,
}

impl<'a> Consequences<'a> {
    fn new(
        n: usize,
        implies: &[(CellId, CellId)],
        known_through: &'a [(CellId, Vec<Vec<CellId>>)],
    ) -> Consequences<'a> {
        let mut hides = vec![Vec::new(); n];
        for &(a, b) in implies {
            hides[a].push(b);
        }
        let mut through = vec![Vec::new(); n];
        for (k, (_, ways)) in known_through.iter().enumerate() {
            for &c in ways.iter().flatten() {
                if through[c].last() != Some(&k) {
                    through[c].push(k);
                }
            }
        }
        Consequences {
            known_through,
            hides,
            through,
        }
    }

    /// Applies both rules until nothing changes, starting from the cells in `fresh` (hidden
    /// since the last call; `None` on the first: every hidden cell and every `known_through`
    /// entry), and appends what it hides to `log`; true when anything was hidden. The rules
    /// only ever hide, so the result is the same whatever order they fire in.
    fn close(&self, fresh: Option<&[CellId]>, state: &mut [State], log: &mut Vec<CellId>) -> bool {
        let start = log.len();
        let mut queue: Vec<CellId> = match fresh {
            Some(cells) => cells.to_vec(),
            None => (0..state.len())
                .filter(|&c| state[c] != State::Published)
                .collect(),
        };
        if fresh.is_none() {
            for k in 0..self.known_through.len() {
                self.unknown(k, state, log, &mut queue);
            }
        }
        while let Some(c) = queue.pop() {
            for &b in &self.hides[c] {
                if state[b] == State::Published {
                    state[b] = State::Secondary;
                    log.push(b);
                    queue.push(b);
                }
            }
            for &k in &self.through[c] {
                self.unknown(k, state, log, &mut queue);
            }
        }
        log.len() > start
    }

    /// Hides the figure of `known_through[k]` when it is published but no way tells it.
    fn unknown(
        &self,
        k: usize,
        state: &mut [State],
        log: &mut Vec<CellId>,
        queue: &mut Vec<CellId>,
    ) {
        let (t, ways) = &self.known_through[k];
        let told = |way: &Vec<CellId>| way.iter().all(|&c| state[c] == State::Published);
        if state[*t] == State::Published && !ways.iter().any(told) {
            state[*t] = State::Secondary;
            log.push(*t);
            queue.push(*t);
        }
    }
}

/// Cells suppressed per table: by the primary rules, and added by the secondary ones; and how
/// many cells the table has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub cells: u64,
    pub primary: u64,
    pub secondary: u64,
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
    config: &Config,
) -> Result<Audit, Error> {
    let k = i64::from(config.min_cell);
    // The published curve points, as the `PUBLISHED` mark on the raw curve rows.
    let mut view: Vec<Table> = published.to_vec();
    if let (Some(rawc), Some(pos)) = (
        raw.iter().find(|t| t.id == TableId::SurvivalCurves),
        view.iter().position(|t| t.id == TableId::SurvivalCurves),
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
    let cells = Cells::build(&Frames { raw, safe: &view }, hierarchy, config)?;
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
                    | Place::Profile(..)
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
    config: &Config,
) -> Result<BTreeMap<TableId, Counts>, Error> {
    let mut cells = Cells::build(&Frames { raw, safe: &*safe }, hierarchy, config)?;
    let primary_state = cells.state.clone();
    cells.protect();
    let mut counts: BTreeMap<TableId, Counts> = BTreeMap::new();
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
    write_back(&cells, safe, &config.horizons_days)?;
    Ok(counts)
}
