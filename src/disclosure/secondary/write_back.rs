//! From cells back to tables: every figure of a cell the secondary rules hid is nulled where it
//! is printed.

use super::*;

/// Hides, in `safe`, every figure of every cell the secondary rules suppressed, sets
/// `suppressed` on its row, and drops the unpublished `survival_curves` points.
pub(super) fn write_back(cells: &Cells, safe: &mut [Table], horizons: &[i32]) -> Result<(), Error> {
    // Rows to hide per (table, column set).
    let mut hide: BTreeMap<(TableId, Vec<String>), BTreeSet<usize>> = BTreeMap::new();
    let mut add = |table: TableId, columns: &[&str], row: usize| {
        hide.entry((table, columns.iter().map(|c| (*c).to_owned()).collect()))
            .or_default()
            .insert(row);
    };
    let s_columns: Vec<String> = horizons.iter().flat_map(|h| survival_columns(*h)).collect();
    let mut cohort_columns: Vec<&str> = vec![SPELLS, out::PERSONS, EVENTS, CENSORED, MEDIAN_DAYS];
    cohort_columns.extend(s_columns.iter().map(String::as_str));
    for (id, places) in cells.places.iter().enumerate() {
        let state = cells.state[id];
        if state == State::Published {
            continue;
        }
        for &p in places {
            // A profile figure that `indicators` hides by its own primary rules (the ties of
            // `build::profile`) is hidden in the profile too; elsewhere the primary rules have
            // already hidden every place of a primary cell.
            let profile = matches!(p, Place::Profile(..) | Place::ProfileTotal(..));
            if state == State::Primary && !profile {
                continue;
            }
            match p {
                Place::Numerator(r) => add(
                    TableId::Indicators,
                    &[NUMERATOR, VALUE, CI_LO, CI_HI, PERSONS_NUM],
                    r,
                ),
                Place::Denominator(r) => add(TableId::Indicators, &[DENOMINATOR, out::PERSONS], r),
                Place::Band(r) => add(TableId::StockDuration, &[out::PERSONS], r),
                Place::PersonDays(r) => {
                    add(TableId::Fte, &[out::PERSON_DAYS, out::FTE, out::PERSONS], r)
                }
                Place::Destination(r) => add(TableId::ExitDestinations, &[SPELLS, SHARE], r),
                Place::LagTotal(start, len) => {
                    for r in start..start + len {
                        add(TableId::ExitDestinations, &[SHARE], r);
                    }
                }
                Place::Cohort(r) => add(TableId::DurationCohorts, &cohort_columns, r),
                Place::Events(r) => add(TableId::DurationCohorts, &[EVENTS, CENSORED], r),
                Place::Point(r) => add(TableId::SurvivalCurves, &[PUBLISHED], r),
                Place::Survival(r, j) => {
                    let columns = survival_columns(horizons[j]);
                    add(
                        TableId::DurationCohorts,
                        &columns.iter().map(String::as_str).collect::<Vec<_>>(),
                        r,
                    );
                }
                Place::Incidence(r) => add(TableId::CumulativeIncidence, &[CIF], r),
                Place::Profile(r, side) => {
                    let (n, share, _) = PROFILE_SIDES[side];
                    add(TableId::LongtermProfile, &[n, share], r)
                }
                Place::ProfileTotal(side, len) => {
                    for r in 0..len {
                        add(TableId::LongtermProfile, &[PROFILE_SIDES[side].1], r);
                    }
                }
            }
        }
    }
    // Every row of a hidden cohort in cumulative_incidence says so, null value or not.
    let cohorts_hidden: BTreeSet<Cohort> =
        match safe.iter().find(|t| t.id == TableId::DurationCohorts) {
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
        if table.id == TableId::CumulativeIncidence && !cohorts_hidden.is_empty() {
            for (r, key) in cohort_keys(&table.df)?.iter().enumerate() {
                flagged[r] |= cohorts_hidden.contains(key);
            }
        }
        for ((name, columns), rows) in &hide {
            if *name != table.id {
                continue;
            }
            let mask: Vec<bool> = (0..height).map(|r| rows.contains(&r)).collect();
            for c in columns {
                if c == PUBLISHED {
                    // A hidden curve point is not written: clear its mark.
                    let keep = BooleanChunked::from_iter(mask.iter().map(|m| !m));
                    let marked = table.df.column(c)?.bool()? & &keep;
                    table
                        .df
                        .with_column(marked.with_name(c.as_str().into()).into_column())?;
                } else {
                    null_where(&mut table.df, c, &mask)?;
                }
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
