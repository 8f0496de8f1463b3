//! Notification preferences, their defaults, and which channels a notice takes.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::notice::{Notice, NoticeKind};
use crate::{Contact, Zone};

/// How long a message's email waits, by default, for the message to be read in the app.
pub const DEFAULT_EMAIL_DELAY_MINUTES: i64 = 5;

/// When a message's email goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailTiming {
    /// After a few minutes (`EmailDelayMinutes`), and only if the message is still
    /// unread then: reading it in the app, on any device, cancels the email.
    #[default]
    WhenUnread,
    /// As soon as the message is stored.
    Immediately,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmsPreference {
    Off,
    /// Only for urgent conversations (the default for admins).
    #[default]
    Urgent,
    All,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Local time, `HH:MM`; may be later than `end` (overnight).
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// A person's notification preferences, as stored and as `GET/PUT /v1/me/preferences`
/// shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    #[serde(default = "yes")]
    pub email: bool,
    /// SMS reach admins only; users are told by email and in the app.
    #[serde(default)]
    pub sms: SmsPreference,
    /// No SMS in these hours unless urgent (held until they end).
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// An IANA time zone for quiet hours.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// One email a day summarising messages, instead of one email per message.
    #[serde(default)]
    pub digest: bool,
    /// A message's email only if it stays unread a few minutes (the default), or at once.
    #[serde(default)]
    pub email_timing: EmailTiming,
}

fn yes() -> bool {
    true
}

fn default_time_zone() -> String {
    crate::HOME_TIME_ZONE.name().into()
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            email: true,
            sms: SmsPreference::Urgent,
            quiet_hours: None,
            time_zone: default_time_zone(),
            digest: false,
            email_timing: EmailTiming::WhenUnread,
        }
    }
}

impl Preferences {
    pub fn time_zone(&self) -> Option<Zone> {
        self.time_zone.parse().ok()
    }

    /// When quiet hours that include `now` end; `None` outside quiet hours.
    pub fn quiet_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let quiet = self.quiet_hours.as_ref()?;
        let zone = self.time_zone().unwrap_or(crate::HOME_TIME_ZONE);
        let local = now.with_timezone(&zone);
        let time = local.time();
        let inside = if quiet.start <= quiet.end {
            time >= quiet.start && time < quiet.end
        } else {
            time >= quiet.start || time < quiet.end
        };
        if !inside {
            return None;
        }
        let mut day = local.date_naive();
        if time >= quiet.end {
            day = day.succ_opt()?;
        }
        day.and_time(quiet.end)
            .and_local_timezone(zone)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// When a digest collecting messages now goes out: the next 18:00 in the recipient's
/// time zone.
pub fn digest_due(preferences: &Preferences, now: DateTime<Utc>) -> DateTime<Utc> {
    let zone = preferences.time_zone().unwrap_or(crate::HOME_TIME_ZONE);
    let local = now.with_timezone(&zone);
    let six_pm = NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default();
    let day = if local.time() < six_pm {
        local.date_naive()
    } else {
        local.date_naive().succ_opt().unwrap_or(local.date_naive())
    };
    day.and_time(six_pm)
        .and_local_timezone(zone)
        .earliest()
        .map_or(now, |t| t.with_timezone(&Utc))
}

/// When an SMS goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsTiming {
    Now,
    /// Quiet hours: held until then.
    HeldUntil(DateTime<Utc>),
}

/// The channels one notice takes to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channels {
    pub email: Option<String>,
    pub sms: Option<(String, SmsTiming)>,
}

/// In-app always (not decided here); email unless turned off or suppressed (collected
/// into a daily digest if the recipient prefers);
/// SMS to admins for urgent conversations (or all, by preference), outside quiet hours
/// unless urgent.
pub fn channels(
    notice: &Notice,
    admin: bool,
    preferences: &Preferences,
    contact: &Contact,
    email_suppressed: bool,
    now: DateTime<Utc>,
) -> Channels {
    let email = contact
        .email
        .clone()
        .filter(|_| preferences.email && !email_suppressed);
    let wants_sms = match preferences.sms {
        SmsPreference::Off => false,
        SmsPreference::Urgent => notice.urgent,
        SmsPreference::All => true,
    };
    let sms = contact
        .phone
        .clone()
        .filter(|_| admin && wants_sms)
        .map(|phone| {
            let timing = match preferences.quiet_until(now) {
                Some(until) if !notice.urgent => SmsTiming::HeldUntil(until),
                _ => SmsTiming::Now,
            };
            (phone, timing)
        });
    Channels { email, sms }
}

/// How long a message's email waits for the message to be read first: `delay` for what
/// someone wrote in a conversation (a user's message, a reply, a direct message) unless
/// the recipient asked for email at once; nothing for the rest (SLA alerts go at once,
/// announcements and survey invitations are the email).
pub fn email_delay(
    kind: NoticeKind,
    preferences: &Preferences,
    delay: Duration,
) -> Option<Duration> {
    let conversational = matches!(
        kind,
        NoticeKind::UserMessage | NoticeKind::AdminReply | NoticeKind::DirectMessage
    );
    (conversational
        && preferences.email_timing == EmailTiming::WhenUnread
        && delay > Duration::zero())
    .then_some(delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::Audience;

    use crate::times::utc as at;

    fn notice(urgent: bool) -> Notice {
        Notice {
            audience: Audience::Person {
                id: "sam".into(),
                admin: true,
            },
            kind: NoticeKind::UserMessage,
            urgent,
        }
    }

    fn contact() -> Contact {
        Contact {
            name: None,
            email: Some("sam@saypro.test".into()),
            phone: Some("+27820000000".into()),
        }
    }

    fn quiet() -> Preferences {
        let hm = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        Preferences {
            sms: SmsPreference::All,
            quiet_hours: Some(QuietHours {
                start: hm(22),
                end: hm(7),
            }),
            ..Preferences::default()
        }
    }

    #[test]
    fn by_default_admins_get_email_and_sms_only_when_urgent_and_users_never_sms() {
        let now = at("2026-11-24T10:00:00Z");
        let defaults = Preferences::default();
        let normal = channels(&notice(false), true, &defaults, &contact(), false, now);
        assert_eq!(
            (normal.email.as_deref(), normal.sms),
            (Some("sam@saypro.test"), None)
        );
        let urgent = channels(&notice(true), true, &defaults, &contact(), false, now);
        assert_eq!(urgent.sms, Some(("+27820000000".into(), SmsTiming::Now)));
        assert_eq!(
            channels(&notice(true), false, &defaults, &contact(), false, now).sms,
            None
        );
    }

    #[test]
    fn email_stays_off_when_turned_off_or_suppressed_and_digests_go_at_six() {
        let now = at("2026-11-24T10:00:00Z");
        let off = Preferences {
            email: false,
            ..Preferences::default()
        };
        assert_eq!(
            channels(&notice(false), true, &off, &contact(), false, now).email,
            None
        );
        assert_eq!(
            digest_due(&Preferences::default(), at("2026-11-24T10:00:00Z")),
            at("2026-11-24T16:00:00Z"),
            "digests go at 18:00 local"
        );
        assert_eq!(
            digest_due(&Preferences::default(), at("2026-11-24T17:00:00Z")),
            at("2026-11-25T16:00:00Z")
        );
        assert_eq!(
            channels(
                &notice(false),
                true,
                &Preferences::default(),
                &contact(),
                true,
                now
            )
            .email,
            None
        );
    }

    #[test]
    fn quiet_hours_hold_sms_until_they_end_in_the_users_time_zone_unless_urgent() {
        // 23:30 in Johannesburg (21:30 UTC): quiet until 07:00 local, 05:00 UTC.
        let late = at("2026-11-24T21:30:00Z");
        let held = channels(&notice(false), true, &quiet(), &contact(), false, late);
        assert_eq!(
            held.sms,
            Some((
                "+27820000000".into(),
                SmsTiming::HeldUntil(at("2026-11-25T05:00:00Z"))
            ))
        );
        assert_eq!(
            channels(&notice(true), true, &quiet(), &contact(), false, late)
                .sms
                .unwrap()
                .1,
            SmsTiming::Now
        );
        // 05:00 local is still quiet; 08:00 local is not.
        assert_eq!(
            quiet().quiet_until(at("2026-11-25T03:00:00Z")),
            Some(at("2026-11-25T05:00:00Z"))
        );
        assert_eq!(quiet().quiet_until(at("2026-11-25T06:00:00Z")), None);
        let london = Preferences {
            time_zone: "Europe/London".into(),
            ..quiet()
        };
        assert_eq!(
            london.quiet_until(at("2026-11-24T21:30:00Z")),
            None,
            "21:30 in London is before 22:00"
        );
    }

    #[test]
    fn a_message_email_waits_to_be_read_unless_asked_for_at_once_and_alerts_never_wait() {
        let five = Duration::minutes(5);
        let mut preferences = Preferences::default();
        assert_eq!(
            email_delay(NoticeKind::AdminReply, &preferences, five),
            Some(five)
        );
        assert_eq!(
            email_delay(NoticeKind::DirectMessage, &preferences, five),
            Some(five)
        );
        assert_eq!(
            email_delay(NoticeKind::SlaEscalation, &preferences, five),
            None
        );
        assert_eq!(
            email_delay(NoticeKind::Announcement, &preferences, five),
            None
        );
        assert_eq!(
            email_delay(NoticeKind::AdminReply, &preferences, Duration::zero()),
            None
        );
        preferences.email_timing = EmailTiming::Immediately;
        assert_eq!(
            email_delay(NoticeKind::AdminReply, &preferences, five),
            None
        );
    }
}
