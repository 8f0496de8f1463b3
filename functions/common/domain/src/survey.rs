//! Satisfaction surveys: a 1–5 rating of a resolved support conversation (with optional
//! clarity, timeliness and helpfulness scores and a comment), changeable for 7 days; and
//! a Net Promoter question (0–10) answered at most once a quarter.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::stats::RatingFigures;
use super::{Category, Conversation, validate};
use crate::HOME_TIME_ZONE;
use crate::identity::Team;
use crate::{Rejection, Result};

/// A rating may be changed this long after it was first given.
pub const CHANGE_WINDOW: Duration = Duration::days(7);
/// An emailed survey link works this long.
pub const LINK_DAYS: i64 = 30;
const MAX_COMMENT: usize = 2_000;

/// What a user answers (`POST /v1/conversations/{id}/rating`, or the emailed survey's
/// `POST /v1/surveys/{token}` with `nps` beside it).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SurveyAnswer)]
pub struct Answer {
    #[schema(maximum = 5)]
    pub stars: u8,
    #[schema(maximum = 5)]
    pub clarity: Option<u8>,
    #[schema(maximum = 5)]
    pub timeliness: Option<u8>,
    #[schema(maximum = 5)]
    pub helpfulness: Option<u8>,
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
    /// Only on the emailed survey: the quarter's Net Promoter question, if still due.
    #[serde(default)]
    #[schema(maximum = 10)]
    pub nps: Option<u8>,
}

impl Answer {
    /// The answer checked, its comment trimmed (an empty one is none).
    pub fn validated(mut self) -> Result<Self> {
        if !(1..=5).contains(&self.stars) {
            return Err(Rejection::invalid("stars: a whole number from 1 to 5"));
        }
        for (field, score) in [
            ("clarity", self.clarity),
            ("timeliness", self.timeliness),
            ("helpfulness", self.helpfulness),
        ] {
            if score.is_some_and(|s| !(1..=5).contains(&s)) {
                return Err(Rejection::invalid(format!(
                    "{field}: a whole number from 1 to 5"
                )));
            }
        }
        self.comment = match self.comment.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(comment) => Some(validate::bounded_text("comment", comment, MAX_COMMENT)?),
        };
        if self.nps.is_some_and(|s| s > 10) {
            return Err(Rejection::invalid("nps: a whole number from 0 to 10"));
        }
        Ok(self)
    }
}

/// A rating as stored (`USER#<user>` / `RATING#<conversation>`), with what it is about
/// copied from the conversation so the stats count it without another read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub conversation_id: String,
    pub user_id: String,
    pub stars: u8,
    pub clarity: Option<u8>,
    pub timeliness: Option<u8>,
    pub helpfulness: Option<u8>,
    pub comment: Option<String>,
    pub category: Category,
    pub team: Option<Team>,
    /// Who was assigned when it was rated.
    pub agent: Option<String>,
    /// When it was first given: the day it counts on, and the start of the change window.
    pub rated_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// A rating as its author sees it, in the app, on the emailed link's page and in their
/// export: what they answered and when, not who was assigned nor the stored copy's
/// bookkeeping (the link is a bearer token: it shows what the author needs only).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = Rating)]
pub struct RatingView {
    pub conversation_id: String,
    #[schema(maximum = 5)]
    pub stars: u8,
    #[schema(required = true, maximum = 5)]
    pub clarity: Option<u8>,
    #[schema(required = true, maximum = 5)]
    pub timeliness: Option<u8>,
    #[schema(required = true, maximum = 5)]
    pub helpfulness: Option<u8>,
    #[schema(required = true)]
    pub comment: Option<String>,
    /// When it was first given; it may be changed for 7 days from then.
    pub rated_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Rating> for RatingView {
    fn from(rating: &Rating) -> Self {
        Self {
            conversation_id: rating.conversation_id.clone(),
            stars: rating.stars,
            clarity: rating.clarity,
            timeliness: rating.timeliness,
            helpfulness: rating.helpfulness,
            comment: rating.comment.clone(),
            rated_at: rating.rated_at,
            updated_at: rating.updated_at,
        }
    }
}

impl Rating {
    pub fn figures(&self) -> RatingFigures {
        RatingFigures {
            stars: self.stars,
            clarity: self.clarity,
            timeliness: self.timeliness,
            helpfulness: self.helpfulness,
        }
    }

    /// The answer replaces this rating, if still within the change window.
    pub fn change(&mut self, answer: &Answer, now: DateTime<Utc>) -> Result<()> {
        if now > self.rated_at + CHANGE_WINDOW {
            return Err(Rejection::conflict(
                "a rating can be changed for 7 days after it was first given",
            ));
        }
        self.stars = answer.stars;
        self.clarity = answer.clarity;
        self.timeliness = answer.timeliness;
        self.helpfulness = answer.helpfulness;
        self.comment = answer.comment.clone();
        self.updated_at = now;
        self.version += 1;
        Ok(())
    }
}

/// A Net Promoter answer as stored (`USER#<user>` / `NPS#<quarter>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NpsAnswer {
    pub user_id: String,
    pub quarter: String,
    #[schema(maximum = 10)]
    pub score: u8,
    pub answered_at: DateTime<Utc>,
}

/// The calendar quarter of an instant in South Africa, as `2026-Q4`.
pub fn quarter(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&HOME_TIME_ZONE);
    format!("{}-Q{}", local.year(), local.month0() / 3 + 1)
}

/// The Net Promoter Score of answers: % promoters (9–10) − % detractors (0–6).
pub fn net_promoter_score(counts: &[i64; 11]) -> Option<f64> {
    let total: i64 = counts.iter().sum();
    if total <= 0 {
        return None;
    }
    let promoters: i64 = counts[9..].iter().sum();
    let detractors: i64 = counts[..7].iter().sum();
    Some(100.0 * (promoters - detractors) as f64 / total as f64)
}

/// An emailed survey: who may answer it, about what, until when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub token: String,
    pub conversation_id: String,
    pub user_id: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    /// Unix seconds (DynamoDB TTL): the link stops working then.
    pub expires_at: i64,
}

impl Invitation {
    /// A new invitation for a conversation's user, with a fresh 160-bit token.
    pub fn new(conversation: &Conversation, now: DateTime<Utc>) -> Self {
        let token = format!("{}{}", ulid::Ulid::new(), ulid::Ulid::new()).to_lowercase();
        Self {
            token,
            conversation_id: conversation.id.clone(),
            user_id: conversation.created_by.clone(),
            subject: conversation.subject.clone(),
            created_at: now,
            expires_at: (now + Duration::days(LINK_DAYS)).timestamp(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quarters_are_south_african() {
        // 31 December 23:30 UTC is already 1 January in Johannesburg.
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        assert_eq!(quarter(at), "2027-Q1");
        assert_eq!(
            quarter(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()),
            "2026-Q4"
        );
    }

    #[test]
    fn nps_is_promoters_minus_detractors() {
        let mut counts = [0; 11];
        counts[10] = 5;
        counts[9] = 1;
        counts[8] = 2;
        counts[3] = 2;
        assert_eq!(net_promoter_score(&counts), Some(40.0));
        assert_eq!(net_promoter_score(&[0; 11]), None);
    }

    #[test]
    fn answers_out_of_range_are_refused() {
        for answer in [
            Answer {
                stars: 0,
                ..Answer::default()
            },
            Answer {
                stars: 6,
                ..Answer::default()
            },
            Answer {
                stars: 3,
                clarity: Some(9),
                ..Answer::default()
            },
            Answer {
                stars: 3,
                nps: Some(11),
                ..Answer::default()
            },
        ] {
            assert!(answer.clone().validated().is_err(), "{answer:?}");
        }
        let answer = Answer {
            stars: 5,
            nps: Some(10),
            comment: Some("  ".into()),
            ..Answer::default()
        };
        assert_eq!(answer.validated().unwrap().comment, None);
    }

    #[test]
    fn a_rating_changes_for_seven_days_only() {
        let at = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let mut rating = Rating {
            conversation_id: "c".into(),
            user_id: "u".into(),
            stars: 2,
            clarity: None,
            timeliness: None,
            helpfulness: None,
            comment: None,
            category: Category::General,
            team: None,
            agent: None,
            rated_at: at,
            updated_at: at,
            version: 1,
        };
        let better = Answer {
            stars: 4,
            ..Answer::default()
        };
        rating.change(&better, at + Duration::days(7)).unwrap();
        assert_eq!((rating.stars, rating.version), (4, 2));
        assert!(
            rating
                .change(&better, at + Duration::days(7) + Duration::seconds(1))
                .is_err()
        );
    }
}
