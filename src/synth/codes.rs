//! Codes of the contract's lists as the generator uses them. Spelled here once; a test checks
//! each against the code lists of `schema`.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::dates::Day;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Benefit {
    Kontanthjaelp,
    Uddannelseshjaelp,
    Integrationsydelse,
    Ressourceforloeb,
    Jobafklaring,
    Ledighedsydelse,
    Fleksjob,
    Foertidspension,
    Sygedagpenge,
    ADagpenge,
    Su,
    Revalidering,
    Barsel,
    Efterloen,
    Folkepension,
    Other,
}

impl Benefit {
    #[cfg(test)]
    const ALL: [Benefit; 16] = [
        Benefit::Kontanthjaelp,
        Benefit::Uddannelseshjaelp,
        Benefit::Integrationsydelse,
        Benefit::Ressourceforloeb,
        Benefit::Jobafklaring,
        Benefit::Ledighedsydelse,
        Benefit::Fleksjob,
        Benefit::Foertidspension,
        Benefit::Sygedagpenge,
        Benefit::ADagpenge,
        Benefit::Su,
        Benefit::Revalidering,
        Benefit::Barsel,
        Benefit::Efterloen,
        Benefit::Folkepension,
        Benefit::Other,
    ];

    pub(super) fn code(self) -> &'static str {
        match self {
            Benefit::Kontanthjaelp => "kontanthjaelp",
            Benefit::Uddannelseshjaelp => "uddannelseshjaelp",
            Benefit::Integrationsydelse => "integrationsydelse",
            Benefit::Ressourceforloeb => "ressourceforloeb",
            Benefit::Jobafklaring => "jobafklaring",
            Benefit::Ledighedsydelse => "ledighedsydelse",
            Benefit::Fleksjob => "fleksjob",
            Benefit::Foertidspension => "foertidspension",
            Benefit::Sygedagpenge => "sygedagpenge",
            Benefit::ADagpenge => "a_dagpenge",
            Benefit::Su => "su",
            Benefit::Revalidering => "revalidering",
            Benefit::Barsel => "barsel",
            Benefit::Efterloen => "efterloen",
            Benefit::Folkepension => "folkepension",
            Benefit::Other => "other",
        }
    }

    /// Cash benefits handled by the job centre's contact course (kontaktforløb).
    pub(super) fn is_cash(self) -> bool {
        matches!(
            self,
            Benefit::Kontanthjaelp | Benefit::Uddannelseshjaelp | Benefit::Integrationsydelse
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MatchGroup {
    Jobparat,
    Aktivitetsparat,
    Uddannelsesparat,
    AabenlystUddannelsesparat,
}

impl MatchGroup {
    #[cfg(test)]
    const ALL: [MatchGroup; 4] = [
        MatchGroup::Jobparat,
        MatchGroup::Aktivitetsparat,
        MatchGroup::Uddannelsesparat,
        MatchGroup::AabenlystUddannelsesparat,
    ];

    pub(super) fn code(self) -> &'static str {
        match self {
            MatchGroup::Jobparat => "jobparat",
            MatchGroup::Aktivitetsparat => "aktivitetsparat",
            MatchGroup::Uddannelsesparat => "uddannelsesparat",
            MatchGroup::AabenlystUddannelsesparat => "aabenlyst_uddannelsesparat",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Offer {
    Virksomhedspraktik,
    Loentilskud,
    VejledningOpkvalificering,
    Nytteindsats,
    Mentor,
    Ips,
    SocialHealth,
    Other,
}

impl Offer {
    #[cfg(test)]
    const ALL: [Offer; 8] = [
        Offer::Virksomhedspraktik,
        Offer::Loentilskud,
        Offer::VejledningOpkvalificering,
        Offer::Nytteindsats,
        Offer::Mentor,
        Offer::Ips,
        Offer::SocialHealth,
        Offer::Other,
    ];

    pub(super) fn code(self) -> &'static str {
        match self {
            Offer::Virksomhedspraktik => "virksomhedspraktik",
            Offer::Loentilskud => "loentilskud",
            Offer::VejledningOpkvalificering => "vejledning_opkvalificering",
            Offer::Nytteindsats => "nytteindsats",
            Offer::Mentor => "mentor",
            Offer::Ips => "ips",
            Offer::SocialHealth => "social_health",
            Offer::Other => "other",
        }
    }

    /// Length in days.
    pub(super) fn days(self, rng: &mut ChaCha8Rng) -> Day {
        match self {
            Offer::Virksomhedspraktik | Offer::Nytteindsats => rng.gen_range(28..=91),
            Offer::Loentilskud | Offer::Mentor => rng.gen_range(91..=365),
            Offer::VejledningOpkvalificering => rng.gen_range(14..=182),
            Offer::Ips => rng.gen_range(182..=540),
            Offer::SocialHealth => rng.gen_range(60..=270),
            Offer::Other => rng.gen_range(7..=84),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MeetingKind {
    Individual,
    Joint,
    RehabilitationTeam,
}

impl MeetingKind {
    #[cfg(test)]
    const ALL: [MeetingKind; 3] = [
        MeetingKind::Individual,
        MeetingKind::Joint,
        MeetingKind::RehabilitationTeam,
    ];

    pub(super) fn code(self) -> &'static str {
        match self {
            MeetingKind::Individual => "individual",
            MeetingKind::Joint => "joint",
            MeetingKind::RehabilitationTeam => "rehabilitation_team",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MeetingStatus {
    Held,
    CancelledCitizen,
    NoShow,
    CancelledJobcentre,
}

impl MeetingStatus {
    #[cfg(test)]
    const ALL: [MeetingStatus; 4] = [
        MeetingStatus::Held,
        MeetingStatus::CancelledCitizen,
        MeetingStatus::NoShow,
        MeetingStatus::CancelledJobcentre,
    ];

    pub(super) fn code(self) -> &'static str {
        match self {
            MeetingStatus::Held => "held",
            MeetingStatus::CancelledCitizen => "cancelled_citizen",
            MeetingStatus::NoShow => "no_show",
            MeetingStatus::CancelledJobcentre => "cancelled_jobcentre",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    #[test]
    fn codes_are_in_the_contract_lists() {
        for b in Benefit::ALL {
            assert!(schema::BENEFITS.contains(&b.code()), "{}", b.code());
        }
        for g in MatchGroup::ALL {
            assert!(schema::GROUPS.contains(&g.code()), "{}", g.code());
        }
        for o in Offer::ALL {
            assert!(
                schema::INTERVENTION_KINDS.contains(&o.code()),
                "{}",
                o.code()
            );
        }
        for k in MeetingKind::ALL {
            assert!(schema::MEETING_KINDS.contains(&k.code()), "{}", k.code());
        }
        for s in MeetingStatus::ALL {
            assert!(schema::MEETING_STATUSES.contains(&s.code()), "{}", s.code());
        }
        // Every code of the lists occurs in the generator (each has a code() arm).
        assert_eq!(Benefit::ALL.len(), schema::BENEFITS.len());
        assert_eq!(Offer::ALL.len(), schema::INTERVENTION_KINDS.len());
    }
}
