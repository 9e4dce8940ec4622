//! Secondary (complementary) cell suppression for additively linked count tables.
//!
//! Published tables obey exact relations (cells sum to margins), so an attacker can solve them
//! for a primary-suppressed cell. This engine hides extra published cells ("partners") until no
//! suppressed cell can be worked out exactly from any two-way sub-table or one-way line alone.
//!
//! **Criterion.** In a two-way sub-table with all margins, take the bipartite *row–column
//! graph*: one node per row and per column (the total row and total column included) and one
//! edge per suppressed cell (grand total included). Flipping the sign of the total row and the
//! total column turns every relation into "the signed cells at a node sum to zero", so the
//! attacker's unknowns are free exactly along cycles: a suppressed cell is determined iff its
//! edge is a **bridge**. A lone suppressed cell in a line is the simplest bridge.
//!
//! **Why paths, not single partners.** Hiding one more cell never puts a bridge on a cycle; the
//! two sides of the bridge must be reconnected by a whole path of hidden cells (a lone interior
//! cell needs three partners forming a rectangle). For each bridge, in ascending cell-id order,
//! we run Dijkstra from one end of the bridge to the other over the sub-table's other cells and
//! suppress the published cells on the cheapest path.
//!
//! **Cost.** Suppressed cells cost nothing; a published cell with count > 0 costs `(count, 1)`;
//! path costs add up and compare lexicographically: smaller hidden sum first, then fewer cells.
//! Published cells with count <= 0 and absent cells (`None`, a known zero) are never partners.
//! Ties: the heap pops the smaller node id first, and a node reached at equal cost keeps the
//! edge through the smaller cell id.
//!
//! **One-way lines** (`members` sum to `total`) are safe unless exactly one term is suppressed;
//! then the published term with the smallest count > 0 (ties: smaller id) is suppressed.
//!
//! Sub-tables and lines are processed from a worklist: a sub-table or line is re-examined
//! whenever one of its cells is newly suppressed elsewhere, until nothing changes. A bridge with
//! no usable path (or a line with no usable partner) is left as is and reported in
//! [`Outcome::unresolved`]. With all margins present and consistent, a path via the totals
//! always exists for a cell with count > 0; what stays unresolved is e.g. a suppressed zero in a
//! row of zeros, which the published zeros disclose anyway.
//!
//! Cell ids `>= min(value.len(), state.len())` are ignored (treated as absent), so no input
//! panics.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Index of a cell. Cells are numbered in the sorted order of their keys, so "ties by sorted
/// keys" = ties by smaller id.
pub type CellId = usize;

/// Publication state of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Published,
    Primary,
    Secondary,
}

/// Two-way sub-table: `grid[r][c]`, the LAST row holds the column totals and the LAST column
/// the row totals (`grid[R-1][C-1]` the grand total). `None` = absent cell (a known zero; never
/// a partner; not an edge). Ragged rows are padded with `None`.
#[derive(Debug, Clone)]
pub struct SubTable {
    pub grid: Vec<Vec<Option<CellId>>>,
}

/// One-way line: `members` sum to `total` (a cell, or `None` when the total is a published
/// constant).
#[derive(Debug, Clone)]
pub struct Line {
    pub members: Vec<CellId>,
    pub total: Option<CellId>,
}

/// Outcome counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Number of cells turned from `Published` into `Secondary`.
    pub added: usize,
    /// Suppressed cells still determinable in some sub-table (bridges without a usable path) or
    /// line (lone suppressed term without a usable partner); ascending, deduplicated.
    pub unresolved: Vec<CellId>,
}

/// Path cost: (sum of the counts of the published cells on it, number of those cells).
type Cost = (i64, usize);

/// A present cell of a sub-table as an edge between its row node and its column node.
struct Edge {
    a: usize,
    b: usize,
    cell: CellId,
}

/// Row–column graph of a sub-table with *all* present cells as edges: rows are nodes `0..R`,
/// columns `R..R+C`. Which edges are "on" (suppressed) is read from the state when needed.
struct Graph {
    edges: Vec<Edge>,
    /// Per node: (neighbour, edge index), in row-major cell order.
    adj: Vec<Vec<(usize, usize)>>,
}

impl Graph {
    fn new(t: &SubTable, n: usize) -> Self {
        let rows = t.grid.len();
        let cols = t.grid.iter().map(Vec::len).max().unwrap_or(0);
        let mut edges = Vec::new();
        let mut adj = vec![Vec::new(); rows + cols];
        for (r, row) in t.grid.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if let Some(cell) = cell.filter(|&id| id < n) {
                    let (a, b) = (r, rows + c);
                    adj[a].push((b, edges.len()));
                    adj[b].push((a, edges.len()));
                    edges.push(Edge { a, b, cell });
                }
            }
        }
        Graph { edges, adj }
    }

    /// Bridges (edge indices) of the subgraph of suppressed cells: iterative Tarjan
    /// (discovery time / low-link), skipping the tree edge by id so parallel edges work.
    fn bridges(&self, state: &[State]) -> Vec<usize> {
        let nodes = self.adj.len();
        let (mut tin, mut low) = (vec![usize::MAX; nodes], vec![0; nodes]);
        let (mut timer, mut out) = (0, Vec::new());
        let mut stack: Vec<(usize, usize, usize)> = Vec::new(); // (node, parent edge, next adj)
        for root in 0..nodes {
            if tin[root] != usize::MAX {
                continue;
            }
            (tin[root], low[root], timer) = (timer, timer, timer + 1);
            stack.push((root, usize::MAX, 0));
            while let Some(top) = stack.last_mut() {
                let (v, parent_edge, i) = *top;
                if let Some(&(w, e)) = self.adj[v].get(i) {
                    top.2 += 1;
                    if e == parent_edge || state[self.edges[e].cell] == State::Published {
                        continue;
                    }
                    if tin[w] == usize::MAX {
                        (tin[w], low[w], timer) = (timer, timer, timer + 1);
                        stack.push((w, e, 0));
                    } else {
                        low[v] = low[v].min(tin[w]);
                    }
                } else {
                    stack.pop();
                    if let Some(&(p, _, _)) = stack.last() {
                        low[p] = low[p].min(low[v]);
                        if low[v] > tin[p] {
                            out.push(parent_edge);
                        }
                    }
                }
            }
        }
        out
    }

    /// Published cells on the cheapest path joining the ends of edge `bridge` without using it
    /// (see the module doc for the cost and tie rules); `None` if no usable path exists.
    fn cheapest_path(&self, bridge: usize, value: &[i64], state: &[State]) -> Option<Vec<CellId>> {
        let (from, to) = (self.edges[bridge].a, self.edges[bridge].b);
        let nodes = self.adj.len();
        let mut dist: Vec<Option<Cost>> = vec![None; nodes];
        let mut pred = vec![usize::MAX; nodes];
        let mut done = vec![false; nodes];
        let mut heap: BinaryHeap<Reverse<(Cost, usize)>> = BinaryHeap::new();
        dist[from] = Some((0, 0));
        heap.push(Reverse(((0, 0), from)));
        while let Some(Reverse((d, v))) = heap.pop() {
            if std::mem::replace(&mut done[v], true) {
                continue;
            }
            if v == to {
                break;
            }
            for &(w, e) in &self.adj[v] {
                let cell = self.edges[e].cell;
                let step = match (state[cell], value[cell]) {
                    (State::Published, x) if x > 0 => (x, 1),
                    (State::Published, _) => continue,
                    _ => (0, 0),
                };
                if e == bridge || done[w] {
                    continue;
                }
                let nd = (d.0.saturating_add(step.0), d.1 + step.1);
                let better = match (dist[w], self.edges.get(pred[w])) {
                    (Some(old), Some(p)) => (nd, cell) < (old, p.cell),
                    _ => true,
                };
                if better {
                    (dist[w], pred[w]) = (Some(nd), e);
                    heap.push(Reverse((nd, w)));
                }
            }
        }
        if !done[to] {
            return None;
        }
        // Predecessors point to nodes finalised earlier, so this walk ends at `from`.
        let (mut path, mut v) = (Vec::new(), to);
        while v != from {
            let e = self.edges.get(pred[v])?;
            if state[e.cell] == State::Published {
                path.push(e.cell);
            }
            v = if e.a == v { e.b } else { e.a };
        }
        Some(path)
    }
}

/// Cells newly suppressed by one examination and suppressed cells left determinable.
type Fix = (Vec<CellId>, Vec<CellId>);

/// Closes every bridge of one sub-table that has a usable path, smallest cell id first.
fn fix_table(t: &SubTable, value: &[i64], state: &mut [State]) -> Fix {
    let n = value.len().min(state.len());
    let mut added = Vec::new();
    let mut cells = t.grid.iter().flatten().flatten();
    if !cells.any(|&id| id < n && state[id] != State::Published) {
        return (added, Vec::new());
    }
    let g = Graph::new(t, n);
    let mut stuck = vec![false; g.edges.len()];
    loop {
        let bridges = g.bridges(state);
        let next = bridges
            .iter()
            .copied()
            .filter(|&e| !stuck[e] && value[g.edges[e].cell] != 0);
        let Some(e) = next.min_by_key(|&e| (g.edges[e].cell, e)) else {
            return (added, bridges.iter().map(|&e| g.edges[e].cell).collect());
        };
        // A path closes a cycle through `e`; it is never all-suppressed because `e` is a bridge.
        // Usable cells only ever become cheaper, so a bridge without a path stays without one.
        match g.cheapest_path(e, value, state) {
            Some(path) if !path.is_empty() => {
                for cell in path {
                    if state[cell] == State::Published {
                        state[cell] = State::Secondary;
                        added.push(cell);
                    }
                }
            }
            _ => stuck[e] = true,
        }
    }
}

/// Makes one line safe: with exactly one suppressed term, suppress the cheapest other term.
fn fix_line(l: &Line, value: &[i64], state: &mut [State]) -> Fix {
    let n = value.len().min(state.len());
    let terms: Vec<CellId> = l
        .members
        .iter()
        .chain(&l.total)
        .copied()
        .filter(|&id| id < n)
        .collect();
    let mut hidden = terms.iter().filter(|&&id| state[id] != State::Published);
    let (Some(&lone), None) = (hidden.next(), hidden.next()) else {
        return (Vec::new(), Vec::new());
    };
    if value[lone] == 0 {
        return (Vec::new(), Vec::new());
    }
    let usable = terms
        .iter()
        .copied()
        .filter(|&id| state[id] == State::Published && value[id] > 0);
    match usable.min_by_key(|&id| (value[id], id)) {
        Some(p) => {
            state[p] = State::Secondary;
            (vec![p], Vec::new())
        }
        None => (Vec::new(), vec![lone]),
    }
}

/// Cells of worklist item `item`: sub-tables first, then lines.
fn item_cells<'a>(
    tables: &'a [SubTable],
    lines: &'a [Line],
    item: usize,
) -> impl Iterator<Item = CellId> + 'a {
    let table = tables
        .get(item)
        .into_iter()
        .flat_map(|t| t.grid.iter().flatten().flatten().copied());
    let line = item.checked_sub(tables.len()).and_then(|i| lines.get(i));
    table.chain(
        line.into_iter()
            .flat_map(|l| l.members.iter().chain(&l.total).copied()),
    )
}

/// Secondary suppression: hides published cells (`Published` → `Secondary`) until no
/// suppressed cell is a bridge of any sub-table's row–column graph and no line has exactly one
/// suppressed term, except where no usable partner exists (reported as unresolved).
///
/// `value[i]`: the cell's count (the cost of hiding it). `state[i]`: updated in place.
/// Deterministic: the same input always gives the same pattern. One pass over everything, for
/// the tests; the pipeline keeps an [`Engine`] and passes only what changed.
#[cfg(test)]
pub fn protect(value: &[i64], state: &mut [State], tables: &[SubTable], lines: &[Line]) -> Outcome {
    Engine::new(value.len().min(state.len()), tables, lines).protect(
        value,
        state,
        None,
        &mut Vec::new(),
    )
}

/// The sub-tables and lines with the index from each cell to the items holding it, built once
/// so that later passes can start from the cells that changed.
pub struct Engine<'a> {
    tables: &'a [SubTable],
    lines: &'a [Line],
    n: usize,
    /// Cell → items holding it, in compressed-row form: `owners[start[c]..start[c + 1]]`.
    start: Vec<usize>,
    owners: Vec<usize>,
}

impl<'a> Engine<'a> {
    pub fn new(n: usize, tables: &'a [SubTable], lines: &'a [Line]) -> Engine<'a> {
        let items = tables.len() + lines.len();
        let mut start = vec![0usize; n + 1];
        for item in 0..items {
            item_cells(tables, lines, item)
                .filter(|&c| c < n)
                .for_each(|c| start[c + 1] += 1);
        }
        for c in 0..n {
            start[c + 1] += start[c];
        }
        let (mut fill, mut owners) = (start.clone(), vec![0; start[n]]);
        for item in 0..items {
            for c in item_cells(tables, lines, item).filter(|&c| c < n) {
                owners[fill[c]] = item;
                fill[c] += 1;
            }
        }
        Engine {
            tables,
            lines,
            n,
            start,
            owners,
        }
    }

    fn owners_of(&self, c: CellId) -> &[usize] {
        if c < self.n {
            &self.owners[self.start[c]..self.start[c + 1]]
        } else {
            &[]
        }
    }

    /// Runs the rules over every item (`changed = None`) or over the items holding the cells in
    /// `changed` (hidden since the last pass, ascending), and on through everything they
    /// change. Appends every cell it hides to `hidden`, so the caller need not compare states.
    pub fn protect(
        &self,
        value: &[i64],
        state: &mut [State],
        changed: Option<&[CellId]>,
        hidden: &mut Vec<CellId>,
    ) -> Outcome {
        let (tables, lines) = (self.tables, self.lines);
        let items = tables.len() + lines.len();
        let mut queued = vec![false; items];
        let mut queue: VecDeque<usize> = VecDeque::new();
        match changed {
            None => {
                queue.extend(0..items);
                queued.fill(true);
            }
            Some(cells) => {
                for &c in cells {
                    for &item in self.owners_of(c) {
                        if !std::mem::replace(&mut queued[item], true) {
                            queue.push_back(item);
                        }
                    }
                }
            }
        }
        let mut left: Vec<Vec<CellId>> = vec![Vec::new(); items];
        let mut added = 0;
        while let Some(item) = queue.pop_front() {
            queued[item] = false;
            let line = item.checked_sub(tables.len()).and_then(|i| lines.get(i));
            let (new, stuck) = match (tables.get(item), line) {
                (Some(t), _) => fix_table(t, value, state),
                (None, Some(l)) => fix_line(l, value, state),
                (None, None) => continue,
            };
            // An item's own result is final until one of its cells changes elsewhere.
            left[item] = stuck;
            added += new.len();
            hidden.extend_from_slice(&new);
            for c in new {
                for &other in self.owners_of(c) {
                    if other != item && !queued[other] {
                        queued[other] = true;
                        queue.push_back(other);
                    }
                }
            }
        }
        let mut unresolved: Vec<CellId> = left.into_iter().flatten().collect();
        unresolved.sort_unstable();
        unresolved.dedup();
        Outcome { added, unresolved }
    }
}

/// Sparse relation with duplicate cells merged and zero coefficients dropped, by cell.
fn relation(terms: impl Iterator<Item = (CellId, i64)>) -> Vec<(CellId, i64)> {
    let mut raw: Vec<(CellId, i64)> = terms.collect();
    raw.sort_unstable_by_key(|t| t.0);
    let mut out: Vec<(CellId, i64)> = Vec::with_capacity(raw.len());
    for (c, k) in raw {
        match out.last_mut() {
            Some(last) if last.0 == c => last.1 += k,
            _ => out.push((c, k)),
        }
    }
    out.retain(|t| t.1 != 0);
    out
}

/// The relations implied by sub-tables and lines, as sparse integer rows (cell, coefficient)
/// meaning "sum = constant" (the constant is not needed for a determinability test): each
/// sub-table row `r`: `sum_{c<C-1} grid[r][c] − grid[r][C-1] = 0`, each column likewise (the
/// total row and column included); each line: `sum members − total = 0` (or `= constant`).
/// Absent cells drop out; relations left empty are omitted.
pub fn relations(tables: &[SubTable], lines: &[Line]) -> Vec<Vec<(CellId, i64)>> {
    let mut out = Vec::new();
    for t in tables {
        let (rows, cols) = (t.grid.len(), t.grid.iter().map(Vec::len).max().unwrap_or(0));
        let at = |r: usize, c: usize| t.grid.get(r).and_then(|row| row.get(c)).copied().flatten();
        let sign = |i: usize, len: usize| if i + 1 == len { -1 } else { 1 };
        for r in 0..rows {
            out.push(relation(
                (0..cols).filter_map(|c| Some((at(r, c)?, sign(c, cols)))),
            ));
        }
        for c in 0..cols {
            out.push(relation(
                (0..rows).filter_map(|r| Some((at(r, c)?, sign(r, rows)))),
            ));
        }
    }
    for l in lines {
        out.push(relation(
            l.members
                .iter()
                .map(|&m| (m, 1))
                .chain(l.total.map(|t| (t, -1))),
        ));
    }
    out.retain(|r| !r.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cell(value: &mut Vec<i64>, v: i64) -> CellId {
        value.push(v);
        value.len() - 1
    }

    /// Allocates `interior` plus row totals, then the total row (row-major ids), summing margins.
    fn table(value: &mut Vec<i64>, interior: &[Vec<Option<i64>>]) -> SubTable {
        let cols = interior.first().map_or(0, Vec::len);
        let (mut grid, mut col_sum) = (Vec::new(), vec![0; cols + 1]);
        for row in interior {
            let mut ids: Vec<Option<CellId>> = Vec::new();
            for (c, x) in row.iter().enumerate() {
                ids.push(x.map(|v| {
                    col_sum[c] += v;
                    cell(value, v)
                }));
            }
            let s: i64 = row.iter().flatten().sum();
            col_sum[cols] += s;
            ids.push(Some(cell(value, s)));
            grid.push(ids);
        }
        grid.push(col_sum.iter().map(|&v| Some(cell(value, v))).collect());
        SubTable { grid }
    }

    fn ids(rows: &[&[usize]]) -> SubTable {
        SubTable {
            grid: rows
                .iter()
                .map(|r| r.iter().map(|&c| Some(c)).collect())
                .collect(),
        }
    }

    fn secondary(state: &[State]) -> Vec<CellId> {
        (0..state.len())
            .filter(|&i| state[i] == State::Secondary)
            .collect()
    }

    /// Independent check: a suppressed cell is a bridge iff its row and column are disconnected
    /// in the suppressed graph without it (plain search per edge).
    fn brute_bridges(t: &SubTable, state: &[State]) -> Vec<CellId> {
        let rows = t.grid.len();
        let edges: Vec<(usize, usize, CellId)> = (t.grid.iter().enumerate())
            .flat_map(|(r, row)| {
                row.iter()
                    .enumerate()
                    .filter_map(move |(c, x)| Some((r, rows + c, (*x)?)))
            })
            .filter(|e| state[e.2] != State::Published)
            .collect();
        let connected = |skip: usize| {
            let (mut seen, mut todo) = (vec![edges[skip].0], vec![edges[skip].0]);
            while let Some(v) = todo.pop() {
                for (i, &(a, b, _)) in edges.iter().enumerate() {
                    if i != skip && (a == v || b == v) && !seen.contains(&(a + b - v)) {
                        seen.push(a + b - v);
                        todo.push(a + b - v);
                    }
                }
            }
            seen.contains(&edges[skip].1)
        };
        (0..edges.len())
            .filter(|&i| !connected(i))
            .map(|i| edges[i].2)
            .collect()
    }

    fn lone_in_lines(lines: &[Line], state: &[State]) -> Vec<CellId> {
        let hidden = |l: &Line| -> Vec<CellId> {
            l.members
                .iter()
                .chain(&l.total)
                .copied()
                .filter(|&c| state[c] != State::Published)
                .collect()
        };
        lines
            .iter()
            .map(hidden)
            .filter(|h| h.len() == 1)
            .map(|h| h[0])
            .collect()
    }

    fn out(added: usize, unresolved: &[CellId]) -> Outcome {
        let unresolved = unresolved.to_vec();
        Outcome { added, unresolved }
    }

    fn line(members: &[CellId], total: Option<CellId>) -> Line {
        let members = members.to_vec();
        Line { members, total }
    }

    fn run(
        value: &[i64],
        primary: &[CellId],
        tables: &[SubTable],
        lines: &[Line],
    ) -> (Vec<State>, Outcome) {
        let mut state = vec![State::Published; value.len()];
        primary.iter().for_each(|&p| state[p] = State::Primary);
        let out = protect(value, &mut state, tables, lines);
        (state, out)
    }

    #[test]
    fn lone_interior_cell_gets_cheapest_rectangle() {
        let mut value = Vec::new();
        let interior = [[10, 20, 30], [2, 15, 8], [12, 9, 40]].map(|r| r.map(Some).to_vec());
        let t = table(&mut value, &interior);
        // Rectangles through m1g0 (id 4): via m2×g1 costs 15+12+9 = 36, the next best 45.
        let (state, res) = run(&value, &[4], &[t], &[]);
        assert_eq!(secondary(&state), vec![5, 8, 9]);
        assert_eq!(res, out(3, &[]));
        let t = table(&mut Vec::new(), &interior);
        assert!(brute_bridges(&t, &state).is_empty());
    }

    #[test]
    fn row_of_zeros_goes_via_the_total_or_stays_unresolved() {
        // Row m0 = [absent, 3, 0 | 3]: the only usable way out of row m0 is its total (id 2);
        // cheapest: m0all 3 + m1all 15 + m1g1 5 = 23.
        let mut value = Vec::new();
        let interior = vec![
            vec![None, Some(3), Some(0)],
            vec![Some(4), Some(5), Some(6)],
            vec![Some(7), Some(8), Some(9)],
        ];
        let t = table(&mut value, &interior);
        let (state, res) = run(&value, &[0], &[t], &[]);
        assert_eq!((secondary(&state), res.unresolved), (vec![2, 4, 6], vec![]));
        // A suppressed zero in a row of zeros has no usable partner: it is reported (the
        // published zeros disclose it anyway).
        let mut value = Vec::new();
        let t = table(
            &mut value,
            &[vec![Some(0), Some(0)], vec![Some(5), Some(6)]],
        );
        let (state, res) = run(&value, &[0], &[t], &[]);
        assert_eq!((secondary(&state), res), (vec![], out(0, &[0])));
    }

    #[test]
    fn shared_margin_row_propagates_through_the_hierarchy() {
        #[rustfmt::skip]
        let value = [3, 20, 23, 5, 30, 35, 8, 50, 58, // region A: m0, m1, RA
                     10, 11, 21, 12, 13, 25, 22, 24, 46, // region B: m2, m3, RB
                     30, 74, 104]; // country
        let a = ids(&[&[0, 1, 2], &[3, 4, 5], &[6, 7, 8]]);
        let b = ids(&[&[9, 10, 11], &[12, 13, 14], &[15, 16, 17]]);
        let country = ids(&[&[6, 7, 8], &[15, 16, 17], &[18, 19, 20]]);
        let tables = [a, b, country];
        // RA×g0 (id 6) → in A: RAg1, m0g1, m0g0 (73); in the country: RBg0, RBg1 (46);
        // these reach region B: m2g0, m2g1 (21).
        let (state, res) = run(&value, &[6], &tables, &[]);
        assert_eq!(secondary(&state), vec![0, 1, 7, 9, 10, 15, 16]);
        assert_eq!(res, out(7, &[]));
        assert!(tables.iter().all(|t| brute_bridges(t, &state).is_empty()));
    }

    #[test]
    fn lines_take_the_smallest_positive_term() {
        let value = [5, 2, 7, 14, 3, 0, 6, 2, 0, 9, 0, 9, 3, 4, 4];
        let lines = [
            line(&[0, 1, 2], Some(3)), // → member 1 (2)
            line(&[4, 5, 6], None),    // constant total → 6 (0 is unusable)
            line(&[7, 8], None),       // nothing usable → unresolved 7
            line(&[9, 10], Some(11)),  // → the total 11
            line(&[12, 14, 13], None), // tie 4/4 → smaller id 13
        ];
        let (state, res) = run(&value, &[0, 4, 7, 9, 12], &[], &lines);
        assert_eq!(secondary(&state), vec![1, 6, 11, 13]);
        assert_eq!(res, out(4, &[7]));
        assert_eq!(lone_in_lines(&lines, &state), vec![7]);
    }

    #[test]
    fn ties_go_to_smaller_ids_and_runs_repeat() {
        let mut value = Vec::new();
        let t = [table(
            &mut value,
            &[[5, 5, 5], [5, 5, 5], [5, 5, 5]].map(|r| r.map(Some).to_vec()),
        )];
        let (first, res) = run(&value, &[0], &t, &[]);
        // All rectangles cost 15: rows {m0, m1} × columns {g0, g1} has the smallest ids.
        assert_eq!((secondary(&first), res.added), (vec![1, 4, 5], 3));
        assert_eq!(run(&value, &[0], &t, &[]).0, first);
    }

    #[test]
    fn out_of_range_ids_are_ignored_and_relations_are_signed() {
        // Id 99 (table) and 7 (line) are beyond `value`: treated as absent. The line hides 2 as
        // partner of 0; in the table neither 0 nor 2 can be reconnected without cell 99.
        let t = [ids(&[&[0, 1], &[2, 99]])];
        let lines = [line(&[0, 7], Some(2))];
        let (state, res) = run(&[1, 1, 1], &[0], &t, &lines);
        assert_eq!((secondary(&state), res), (vec![2], out(1, &[0, 2])));
        let rel = relations(&t, &lines);
        let rows: [&[(CellId, i64)]; 5] = [
            &[(0, 1), (1, -1)],
            &[(2, 1), (99, -1)],
            &[(0, 1), (2, -1)],
            &[(1, 1), (99, -1)],
            &[(0, 1), (2, -1), (7, 1)],
        ];
        assert_eq!(rel, rows.map(<[_]>::to_vec));
        // Duplicates merge, zero coefficients drop out.
        assert_eq!(
            relations(&[], &[line(&[3, 3, 5], Some(5))]),
            vec![vec![(3, 2)]]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Regions of municipalities × groups + `all`, region totals, a national total; a line
        /// overlapping region 0 and a constant-total line; primary = counts in 1..5.
        #[test]
        fn random_hierarchies_are_protected(
            munis in prop::collection::vec(1..=3usize, 1..=3),
            groups in 1..=3usize,
            counts in prop::collection::vec((0..30i64, 0..6u8), 27),
            consts in prop::collection::vec(1..8i64, 2..=4),
        ) {
            let (mut value, mut tables, mut region_rows) = (Vec::new(), Vec::new(), Vec::new());
            let mut counts = counts.into_iter();
            for &m in &munis {
                let interior: Vec<Vec<Option<i64>>> = (0..m)
                    .map(|_| (0..groups).map(|_| counts.next().and_then(|(v, a)| (a > 0).then_some(v))).collect())
                    .collect();
                let t = table(&mut value, &interior);
                region_rows.push(t.grid[m].clone());
                tables.push(t);
            }
            let mut country = region_rows.clone();
            let sum = |c: usize| region_rows.iter().filter_map(|r: &Vec<Option<CellId>>| r[c]).map(|i| value[i]).sum();
            let sums: Vec<i64> = (0..=groups).map(sum).collect();
            country.push(sums.into_iter().map(|v| Some(cell(&mut value, v))).collect());
            tables.push(SubTable { grid: country });
            let r0 = &tables[0].grid;
            let lines = [
                Line { members: r0[..munis[0]].iter().filter_map(|r| r[groups]).collect(), total: r0[munis[0]][groups] },
                Line { members: consts.iter().map(|&v| cell(&mut value, v)).collect(), total: None },
            ];
            let primary: Vec<CellId> = (0..value.len()).filter(|&i| (1..5).contains(&value[i])).collect();
            let (state, res) = run(&value, &primary, &tables, &lines);

            prop_assert!(primary.iter().all(|&p| state[p] == State::Primary));
            prop_assert!(secondary(&state).iter().all(|&s| value[s] > 0));
            prop_assert_eq!(res.added, secondary(&state).len());
            let mut left: Vec<CellId> = tables.iter().flat_map(|t| brute_bridges(t, &state)).collect();
            left.extend(lone_in_lines(&lines, &state));
            left.sort_unstable();
            left.dedup();
            prop_assert_eq!(&left, &res.unresolved);
            prop_assert_eq!(run(&value, &primary, &tables, &lines).0, state.clone());
            // Every suppressed cell has a count > 0 here, so a partner path always exists.
            prop_assert!(res.unresolved.is_empty(), "{:?}", res.unresolved);

            // The whole secondary procedure (these rules, then the exact attacker's repairs
            // across linked sub-tables): the attacker over all relations together finds
            // nothing, and the primary cells stay hidden.
            let n = value.len();
            let mut cells = super::super::Cells {
                value: value.clone(),
                cost: value.clone(),
                state: (0..n).map(|c| if primary.contains(&c) { State::Primary } else { State::Published }).collect(),
                places: vec![Vec::new(); n],
                tables,
                lines: lines.to_vec(),
                implies: Vec::new(),
                known_through: Vec::new(),
            };
            cells.protect();
            prop_assert!(primary.iter().all(|&p| cells.state[p] == State::Primary));
            let hidden: Vec<bool> = cells.state.iter().map(|&s| s != State::Published).collect();
            let found = super::super::audit::determined(n, &relations(&cells.tables, &cells.lines), &hidden);
            prop_assert!(found.is_empty(), "determined: {:?}", found);
        }
    }
}
