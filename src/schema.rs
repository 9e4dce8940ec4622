//! The input contract (`docs/DATA.md`) spelled once: table names, column names, dtypes and the
//! closed code lists. Every other module refers to these constants instead of string literals,
//! so a renamed column is a one-line change.

/// Logical type of a contract column. Dates are loaded as Polars `Date` (days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Str,
    Int,
    Float,
    Date,
}

impl ColType {
    /// What a user must write, for error messages.
    pub fn expectation(self) -> &'static str {
        match self {
            ColType::Str => "text",
            ColType::Int => "a whole number",
            ColType::Float => "a number",
            ColType::Date => "a date YYYY-MM-DD",
        }
    }
}

/// One contract column: name, type, whether it must be present and non-null, and its code list.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColType,
    pub required: bool,
    pub codes: Option<&'static [&'static str]>,
}

const fn col(name: &'static str, ty: ColType, required: bool) -> Column {
    Column {
        name,
        ty,
        required,
        codes: None,
    }
}

const fn coded(name: &'static str, required: bool, codes: &'static [&'static str]) -> Column {
    Column {
        name,
        ty: ColType::Str,
        required,
        codes: Some(codes),
    }
}

/// One table of the extract.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [Column],
}

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

// Column names shared by several tables.
pub const PERSON_ID: &str = "person_id";
/// A period's start as the extract reported it, before `Extract::as_of` moved it to X.
pub const REPORTED_START: &str = "reported_start";
/// The text person_id, kept in `persons` once `Extract::as_of` has replaced `person_id` by a
/// dense integer.
pub const PERSON_KEY: &str = "person_key";
pub const START: &str = "start";
pub const END: &str = "end";
pub const DATE: &str = "date";
pub const KIND: &str = "kind";

// persons
pub const BIRTH_YEAR: &str = "birth_year";
pub const SEX: &str = "sex";
pub const ORIGIN: &str = "origin";
pub const EDUCATION: &str = "education";
pub const EXIT_DATE: &str = "exit_date";
// benefit_periods
pub const BENEFIT: &str = "benefit";
pub const MUNICIPALITY: &str = "municipality";
// assessments
pub const GROUP: &str = "group";
// meetings
pub const STATUS: &str = "status";
// paid_hours
pub const MONTH: &str = "month";
pub const HOURS: &str = "hours";
pub const EARNINGS: &str = "earnings_dkk";

pub const SEXES: &[&str] = &["M", "F"];
pub const ORIGINS: &[&str] = &[
    "danish",
    "immigrant_western",
    "immigrant_nonwestern",
    "descendant_western",
    "descendant_nonwestern",
];
pub const EDUCATIONS: &[&str] = &[
    "basic",
    "upper_secondary",
    "vocational",
    "short_higher",
    "bachelor",
    "master_plus",
];
pub const BENEFITS: &[&str] = &[
    "kontanthjaelp",
    "uddannelseshjaelp",
    "integrationsydelse",
    "ressourceforloeb",
    "jobafklaring",
    "ledighedsydelse",
    "fleksjob",
    "foertidspension",
    "sygedagpenge",
    "a_dagpenge",
    "su",
    "revalidering",
    "barsel",
    "efterloen",
    "folkepension",
    "other",
];
pub const GROUPS: &[&str] = &[
    "jobparat",
    "aktivitetsparat",
    "uddannelsesparat",
    "aabenlyst_uddannelsesparat",
];
pub const INTERVENTION_KINDS: &[&str] = &[
    "virksomhedspraktik",
    "loentilskud",
    "vejledning_opkvalificering",
    "nytteindsats",
    "mentor",
    "ips",
    "social_health",
    "other",
];
pub const MEETING_KINDS: &[&str] = &["individual", "joint", "rehabilitation_team"];
pub const MEETING_STATUSES: &[&str] = &[
    "held",
    "cancelled_citizen",
    "no_show",
    "cancelled_jobcentre",
];

pub const PERSONS: TableSpec = TableSpec {
    name: "persons",
    columns: &[
        col(PERSON_ID, ColType::Str, true),
        col(BIRTH_YEAR, ColType::Int, true),
        coded(SEX, true, SEXES),
        coded(ORIGIN, false, ORIGINS),
        coded(EDUCATION, false, EDUCATIONS),
        col(EXIT_DATE, ColType::Date, false),
    ],
};
pub const BENEFIT_PERIODS: TableSpec = TableSpec {
    name: "benefit_periods",
    columns: &[
        col(PERSON_ID, ColType::Str, true),
        coded(BENEFIT, true, BENEFITS),
        col(START, ColType::Date, true),
        col(END, ColType::Date, false),
        col(MUNICIPALITY, ColType::Int, true),
    ],
};
pub const ASSESSMENTS: TableSpec = TableSpec {
    name: "assessments",
    columns: &[
        col(PERSON_ID, ColType::Str, true),
        col(DATE, ColType::Date, true),
        coded(GROUP, true, GROUPS),
    ],
};
pub const INTERVENTIONS: TableSpec = TableSpec {
    name: "interventions",
    columns: &[
        col(PERSON_ID, ColType::Str, true),
        coded(KIND, true, INTERVENTION_KINDS),
        col(START, ColType::Date, true),
        col(END, ColType::Date, false),
    ],
};
pub const MEETINGS: TableSpec = TableSpec {
    name: "meetings",
    columns: &[
        col(PERSON_ID, ColType::Str, true),
        col(DATE, ColType::Date, true),
        coded(KIND, true, MEETING_KINDS),
        coded(STATUS, true, MEETING_STATUSES),
    ],
};
pub const PAID_HOURS: TableSpec = TableSpec {
    name: "paid_hours",
    columns: &[
        col(PERSON_ID, ColType::Str, true),
        col(MONTH, ColType::Date, true),
        col(HOURS, ColType::Float, true),
        col(EARNINGS, ColType::Float, false),
    ],
};

/// The six tables in the order they are loaded and reported.
pub const TABLES: [TableSpec; 6] = [
    PERSONS,
    BENEFIT_PERIODS,
    ASSESSMENTS,
    INTERVENTIONS,
    MEETINGS,
    PAID_HOURS,
];

/// Group label for days and spells without an applicable assessment (MEASURES.md §1.5).
pub const UNKNOWN_GROUP: &str = "unknown";
/// Group label of the pooled row over every group.
pub const ALL_GROUPS: &str = "all";

/// The published tables and their columns (MEASURES.md §8): every output column name is
/// spelled here once.
pub mod out {
    /// Every table a report publishes, in the order they are computed and written.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum TableId {
        DurationCohorts,
        SurvivalCurves,
        CumulativeIncidence,
        ExitDestinations,
        StockDuration,
        Fte,
        Indicators,
        Benchmark,
        LongtermProfile,
    }

    impl TableId {
        /// The table's name: the Parquet file stem and its key in the manifest.
        pub const fn name(self) -> &'static str {
            match self {
                TableId::DurationCohorts => "duration_cohorts",
                TableId::SurvivalCurves => "survival_curves",
                TableId::CumulativeIncidence => "cumulative_incidence",
                TableId::ExitDestinations => "exit_destinations",
                TableId::StockDuration => "stock_duration",
                TableId::Fte => "fte",
                TableId::Indicators => "indicators",
                TableId::Benchmark => "benchmark",
                TableId::LongtermProfile => "longterm_profile",
            }
        }
    }

    impl std::fmt::Display for TableId {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.name())
        }
    }

    // The leading keys of every level table.
    pub const LEVEL: &str = "level";
    pub const UNIT: &str = "unit";
    pub const UNIT_NAME: &str = "unit_name";
    pub const GROUP: &str = "group";

    // Counts and values shared by several tables.
    pub const PERSONS: &str = "persons";
    pub const SPELLS: &str = "spells";
    pub const CI_LO: &str = "ci_lo";
    pub const CI_HI: &str = "ci_hi";
    pub const SUPPRESSED: &str = "suppressed";

    // duration_cohorts, survival_curves, cumulative_incidence (the S(h) columns are named by
    // `measures::duration::survival_columns`).
    pub const ENTRY_YEAR: &str = "entry_year";
    pub const EVENTS: &str = "events";
    pub const CENSORED: &str = "censored";
    pub const MEDIAN_DAYS: &str = "median_days";
    pub const T_DAYS: &str = "t_days";
    pub const AT_RISK: &str = "at_risk";
    pub const EVENTS_CUM: &str = "events_cum";
    pub const SURVIVAL: &str = "survival";
    pub const EXIT_CLASS: &str = "exit_class";
    pub const CIF: &str = "cif";

    // exit_destinations
    pub const LAG_DAYS: &str = "lag_days";
    pub const DESTINATION: &str = "destination";
    pub const SHARE: &str = "share";

    // stock_duration, fte
    pub const DURATION_BAND: &str = "duration_band";
    pub const PERSON_DAYS: &str = "person_days";
    pub const FTE: &str = "fte";

    // indicators
    pub const MEASURE: &str = "measure";
    pub const NUMERATOR: &str = "numerator";
    pub const DENOMINATOR: &str = "denominator";
    pub const VALUE: &str = "value";
    pub const PERSONS_NUM: &str = "persons_num";

    // benchmark (also unit, unit_name, measure, value)
    pub const PEER_GROUP: &str = "peer_group";
    pub const PEER_VALUE: &str = "peer_value";
    pub const NATIONAL_VALUE: &str = "national_value";
    pub const RANK: &str = "rank";
    pub const N_RANKED: &str = "n_ranked";
    pub const EXPECTED: &str = "expected";
    pub const OE_RATIO: &str = "oe_ratio";
    pub const OE_LO: &str = "oe_lo";
    pub const OE_HI: &str = "oe_hi";
    pub const FUNNEL_Z: &str = "funnel_z";
    pub const FUNNEL_FLAG: &str = "funnel_flag";
    // longterm_profile
    pub const VARIABLE: &str = "variable";
    pub const CATEGORY: &str = "category";
    pub const N_LONG: &str = "n_long";
    pub const SHARE_LONG: &str = "share_long";
    pub const N_SHORT: &str = "n_short";
    pub const SHARE_SHORT: &str = "share_short";
    /// The two sides of `longterm_profile` (long-term, not long-term): count, share, and the
    /// working column with the side's total (the share's denominator).
    pub const PROFILE_SIDES: [(&str, &str, &str); 2] = [
        (N_LONG, SHARE_LONG, hidden::TOTAL_LONG),
        (N_SHORT, SHARE_SHORT, hidden::TOTAL_SHORT),
    ];

    // Values of `level` and of the national row.
    pub const LEVEL_MUNICIPALITY: &str = "municipality";
    pub const LEVEL_PEER_GROUP: &str = "peer_group";
    pub const LEVEL_NATIONAL: &str = "national";
    pub const NATIONAL_UNIT: &str = "DK";
    pub const NATIONAL_NAME: &str = "Danmark";

    /// Working columns the measures hand to disclosure control, which reads them and removes
    /// every column starting with [`HIDDEN_PREFIX`] before anything is published.
    pub mod hidden {
        pub const HIDDEN_PREFIX: &str = "__";
        /// `indicators`: true for person- and spell-based proportions (the proportion rule).
        pub const PROPORTION: &str = "__proportion";
        /// `exit_destinations`: all spells of the lag in the same line.
        pub const TOTAL: &str = "__total";
        /// `benchmark`: the municipality's, its peer group's and the country's `indicators`
        /// row of the measure is suppressed (or absent), so what derives from it is hidden.
        pub const UNIT_HIDDEN: &str = "__unit_hidden";
        pub const PEER_HIDDEN: &str = "__peer_hidden";
        pub const NATIONAL_HIDDEN: &str = "__national_hidden";
        /// `longterm_profile`: the long-term stock on R, and the rest of it (every variable's
        /// categories sum to these).
        pub const TOTAL_LONG: &str = "__total_long";
        pub const TOTAL_SHORT: &str = "__total_short";

        /// Name of a working column (never published).
        pub fn hidden(name: &str) -> String {
            format!("{HIDDEN_PREFIX}{name}")
        }
    }
}

/// Columns of the spells table built by `spells::build` (MEASURES.md §1.3–1.5).
pub mod spell {
    pub const SPELL_START: &str = "spell_start";
    pub const SPELL_END: &str = "spell_end";
    pub const DURATION_DAYS: &str = "duration_days";
    pub const LEFT_CENSORED: &str = "left_censored";
    pub const CLOSED: &str = "closed";
    pub const GROUP_AT_ENTRY: &str = "group_at_entry";
    pub const SPELL_ID: &str = "spell_id";
}

/// Duration bands on a day (MEASURES.md §1.6): label and the largest `k` in the band.
pub const DURATION_BANDS: [(&str, i32); 6] = [
    ("0-6m", 182),
    ("6-12m", 365),
    ("1-2y", 730),
    ("2-3y", 1095),
    ("3-5y", 1826),
    ("5y+", i32::MAX),
];

/// Age bands on a day (MEASURES.md §1.6), age = `year(day) − birth_year`: label and the
/// largest age in the band (below 18 is counted in `18-29`).
pub const AGE_BANDS: [(&str, i32); 5] = [
    ("18-29", 29),
    ("30-39", 39),
    ("40-49", 49),
    ("50-59", 59),
    ("60+", i32::MAX),
];

/// The §1.6 age band ([`AGE_BANDS`]) of a person born in `birth_year` on a day of `year`;
/// null where `birth_year` is null.
pub fn age_band(birth_year: polars::prelude::Expr, year: i32) -> polars::prelude::Expr {
    use polars::prelude::*;
    let age = lit(year) - birth_year.clone();
    let (label, _) = AGE_BANDS[AGE_BANDS.len() - 1];
    let mut band = when(birth_year.is_null())
        .then(lit(NULL).cast(DataType::String))
        .otherwise(lit(label));
    for (label, last) in AGE_BANDS[..AGE_BANDS.len() - 1].iter().rev() {
        band = when(age.clone().lt_eq(lit(*last)))
            .then(lit(*label))
            .otherwise(band);
    }
    band
}

/// `expr ∈ values` (a code list or any other set of values), null-safe: null is not a member.
pub fn is_one_of(
    expr: polars::prelude::Expr,
    values: polars::prelude::Series,
) -> polars::prelude::Expr {
    use polars::prelude::*;
    expr.is_in(lit(values).implode(false), false)
}

#[cfg(test)]
mod tests {
    use super::{age_band, BIRTH_YEAR};
    use polars::prelude::*;

    #[test]
    fn age_bands_on_a_day() {
        // Born in these years, on a day of 2024: 17 and 18 → 18-29, 29 → 18-29, 30 → 30-39,
        // 59 → 50-59, 60 → 60+, null birth year → null.
        let df = df!(BIRTH_YEAR => [Some(2007), Some(2006), Some(1995), Some(1994), Some(1965), Some(1964), None])
            .unwrap()
            .lazy()
            .select([age_band(col(BIRTH_YEAR), 2024)])
            .collect()
            .unwrap();
        let bands: Vec<Option<&str>> = df.columns()[0].str().unwrap().iter().collect();
        assert_eq!(
            bands,
            [
                Some("18-29"),
                Some("18-29"),
                Some("18-29"),
                Some("30-39"),
                Some("50-59"),
                Some("60+"),
                None
            ]
        );
    }
}
