//! The unit hierarchy (municipality → peer group → country) and the sub-tables it gives.

use super::*;

/// Municipality → peer group: the unit hierarchy of every table.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    peer_of: BTreeMap<String, String>,
    /// The rows of each block of the hierarchy, total last: per peer group its municipalities
    /// then the peer group; then the peer groups and the country.
    blocks: Vec<Vec<String>>,
    /// Every unit: municipalities, peer groups, the country.
    units: Vec<String>,
}

impl Hierarchy {
    pub fn new(reference: &Reference) -> Result<Hierarchy, Error> {
        let df = &reference.municipalities;
        let codes = ints(df, reference::CODE)?;
        let peers = texts(df, reference::PEER_GROUP)?;
        let peer_of: BTreeMap<String, String> = codes
            .into_iter()
            .zip(peers)
            .filter_map(|(c, p)| c.map(|c| (c.to_string(), p)))
            .collect();
        let mut by_peer: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (m, p) in &peer_of {
            by_peer.entry(p).or_default().push(m.clone());
        }
        let mut top: Vec<String> = by_peer.keys().map(|p| (*p).to_owned()).collect();
        top.push(out::NATIONAL_UNIT.to_owned());
        let mut blocks: Vec<Vec<String>> = by_peer
            .into_iter()
            .map(|(p, mut rows)| {
                rows.push(p.to_owned());
                rows
            })
            .collect();
        blocks.push(top.clone());
        let units = peer_of.keys().cloned().chain(top).collect();
        Ok(Hierarchy {
            peer_of,
            blocks,
            units,
        })
    }

    /// The peer group of a municipality (its code as text).
    pub fn peer_of(&self, municipality: &str) -> Option<&str> {
        self.peer_of.get(municipality).map(String::as_str)
    }

    /// The sub-tables of the hierarchy for one variable over (unit, group): per peer group its
    /// municipalities plus its total × the groups plus `all`, and the peer groups plus the
    /// country × the groups plus `all`. `cell` gives the cell of a (unit, group), if any.
    pub(super) fn unit_group(
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
    pub(super) fn unit_tables(
        &self,
        grid: impl Fn(&[String]) -> Vec<Vec<Option<CellId>>>,
    ) -> Vec<SubTable> {
        self.blocks
            .iter()
            .map(|rows| SubTable { grid: grid(rows) })
            .collect()
    }

    /// Every unit: municipalities, peer groups, the country.
    pub(super) fn units(&self) -> &[String] {
        &self.units
    }

    /// The sub-tables of a three-way cube over (unit, group, x), x's last value the total of
    /// the others: every two-way slice of the hierarchy.
    pub(super) fn cube(
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
                .map(|g| (0..xs).map(|x| cell(u, g, x)).collect())
                .collect();
            if grid.iter().flatten().any(Option::is_some) {
                tables.push(SubTable { grid });
            }
        }
        tables
    }
}
