//! The abuse pipeline around every user message: the policy moderators edit
//! (`GET/PUT /v1/admin/safety-policy`), the filter's verdict (`domain/safety.rs`), and
//! rate limits as counters written in the message's own transaction, so a limit costs
//! no extra round trip and a refused message uses up no quota.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;

use super::config::{Replacement, Setting, Versioned};
use super::edit::Guard;
use crate::app::{App, Cached};
use crate::error::{ApiError, ApiResult};
use domain::identity::{Access, Caller};
use domain::safety::{Action, Finding, Link, SafetyPolicy, Verdict, assess};
use store::keys::{block_key, rate_counter_key};
use store::table::{Change, Condition, Key, Value, WriteOp};

pub type VersionedSafety = Versioned<SafetyPolicy>;

impl Setting for SafetyPolicy {
    const KIND: &'static str = "safety";
    const LABEL: &'static str = "safety policy";
    fn validate(&self) -> ApiResult<()> {
        Ok(self.clone().checked().map(drop)?)
    }
    fn cache(app: &App) -> &Cached<Versioned<Self>> {
        &app.safety
    }
}

/// What the filter decided for a message that may be stored.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Screened {
    /// Shown to the recipient beside the message.
    pub warning: Option<String>,
    pub links: Vec<Link>,
}

/// One fixed window of a rate limit: its counter's key and when it ends.
fn window(subject: &str, now: DateTime<Utc>, length: Duration) -> (Key, DateTime<Utc>) {
    let start = now.duration_trunc(length).unwrap_or(now);
    let label = if length == Duration::minutes(1) {
        start.format("m#%Y-%m-%dT%H:%M")
    } else {
        start.format("h#%Y-%m-%dT%H")
    };
    (
        rate_counter_key(subject, &label.to_string()),
        start + length,
    )
}

/// Counts one more in a window's counter (under `condition`, if any).
fn count_one(key: Key, ends: DateTime<Utc>, condition: Option<Condition>) -> WriteOp {
    WriteOp::Update {
        key,
        changes: vec![
            Change::Add("count".into(), 1),
            // Kept an hour past its window (DynamoDB TTL), then gone.
            Change::Set(
                "expires_at".into(),
                Value::n((ends + Duration::hours(1)).timestamp()),
            ),
        ],
        condition,
    }
}

/// A counter that allows `limit` per window: counted only if the write goes ahead.
fn counter(subject: &str, limit: u32, now: DateTime<Utc>, length: Duration, what: &str) -> Guard {
    let (key, ends) = window(subject, now, length);
    let retry_after_seconds = (ends - now).num_seconds().max(1) as u64;
    let below = Condition::AbsentOrBelow("count".into(), i64::from(limit));
    Guard {
        write: count_one(key, ends, Some(below)),
        refusal: ApiError::RateLimited {
            retry_after_seconds,
            reason: what.to_string(),
        },
    }
}

impl App {
    pub async fn get_safety_policy(&self, caller: &Caller) -> ApiResult<VersionedSafety> {
        Access::Moderator.check(caller)?;
        super::config::read(
            self.table.as_ref(),
            SafetyPolicy::KIND,
            SafetyPolicy::default,
        )
        .await
    }

    pub async fn put_safety_policy(
        &self,
        caller: &Caller,
        edit: Replacement<SafetyPolicy>,
    ) -> ApiResult<VersionedSafety> {
        Access::Moderator.check(caller)?;
        let edit = Replacement {
            policy: edit.policy.checked()?,
            ..edit
        };
        let audit = self.audit(caller, "safety_policy.saved", "safety_policy".into(), None)?;
        let what = (SafetyPolicy::KIND, SafetyPolicy::LABEL);
        let now = self.clock.now();
        let saved =
            super::config::save(self.table.as_ref(), what, edit, (caller, now), vec![audit])
                .await?;
        SafetyPolicy::cache(self).clear();
        Ok(saved)
    }
}

/// What the filter lets through: the message with what to store beside it, or the
/// verdict that holds it for a moderator.
pub(crate) enum Screening {
    Pass(Screened),
    Hold(Verdict),
}

/// The filter's verdict on a user's message: refused with the reason as a 400, held, or
/// passed. `direct`: between a buyer and a seller.
pub(crate) fn screen(
    policy: &SafetyPolicy,
    text: &str,
    direct: bool,
    repeats: Option<&Repeats>,
) -> ApiResult<Screening> {
    let mut verdict = assess(policy, text, direct);
    let rule = &policy.duplicates;
    if let Some(repeats) = repeats.filter(|r| r.seen >= rule.max_conversations) {
        verdict.add(Finding {
            rule: "duplicate".into(),
            action: rule.action,
            reason: format!(
                "the same message was sent {} times within the hour",
                repeats.seen + 1
            ),
        });
    }
    match verdict.action {
        Action::Refuse => Err(ApiError::invalid(format!(
            "body: this message was not sent because {}",
            verdict.reason()
        ))),
        Action::Hold => Ok(Screening::Hold(verdict)),
        Action::Warn => Ok(Screening::Pass(Screened {
            warning: Some(format!("Be careful: {}", verdict.reason())),
            links: verdict.links,
        })),
        Action::Deliver => Ok(Screening::Pass(Screened {
            warning: None,
            links: verdict.links,
        })),
    }
}

/// The check, in a write's own transaction, that its author is not blocked: a block
/// stops every write of a user's own (messages, reports, ratings, files), though their
/// export and erasure stay open.
pub(crate) fn unblocked(user: &str) -> Guard {
    Guard {
        write: WriteOp::Check {
            key: block_key(user),
            condition: Condition::NotExists,
        },
        refusal: ApiError::forbidden(BLOCKED),
    }
}

const BLOCKED: &str =
    "your account is blocked from sending messages by a SayPro moderator; contact SayPro support";

/// A report's guards: its author is not blocked, files at most the policy's reports an
/// hour, and has no other open report of the same message (or conversation).
pub(crate) fn report_guards(
    policy: &SafetyPolicy,
    reporter: &str,
    (conversation, message): (&str, Option<&str>),
    now: DateTime<Utc>,
) -> ApiResult<Vec<Guard>> {
    let marker = store::record_item(
        &store::keys::open_report_key(reporter, conversation, message),
        &serde_json::json!({ "open": true }),
    )?;
    Ok(vec![
        unblocked(reporter),
        counter(
            &format!("reports#{reporter}"),
            policy.rate_limits.reports_per_hour,
            now,
            Duration::hours(1),
            "you are filing reports faster than SayPro allows",
        ),
        Guard {
            write: WriteOp::Put {
                item: marker,
                condition: Some(Condition::NotExists),
            },
            refusal: ApiError::conflict(
                "you have already reported this; a moderator will look at it",
            ),
        },
    ])
}

impl App {
    /// A read for writes that are not a transaction of their own (a signed upload):
    /// refused if the caller is blocked.
    pub(crate) async fn refuse_blocked(&self, caller: &Caller) -> ApiResult<()> {
        match self.table.get(&block_key(caller.id()), true).await? {
            Some(_) => Err(ApiError::forbidden(BLOCKED)),
            None => Ok(()),
        }
    }
}

/// What a user's message must pass in its own transaction: the sender is not blocked;
/// and the rate limits it counts against: theirs per minute and hour (tighter for new
/// accounts), and, for a new buyer–seller conversation, the listing's per hour.
pub(crate) fn send_guards(
    policy: &SafetyPolicy,
    caller: &Caller,
    now: DateTime<Utc>,
    new_direct_about: Option<&str>,
) -> Vec<Guard> {
    let limits = &policy.rate_limits;
    let new_account = caller
        .claims
        .joined_at()
        .is_some_and(|joined| now - joined < Duration::days(i64::from(limits.new_account_days)));
    let (per_minute, per_hour) = match new_account {
        true => (limits.new_account_per_minute, limits.new_account_per_hour),
        false => (limits.per_minute, limits.per_hour),
    };
    let user = format!("user#{}", caller.id());
    let too_fast = "you are sending messages faster than SayPro allows";
    let mut guards = vec![
        unblocked(caller.id()),
        counter(&user, per_minute, now, Duration::minutes(1), too_fast),
        counter(&user, per_hour, now, Duration::hours(1), too_fast),
    ];
    if let Some(listing) = new_direct_about {
        guards.push(counter(
            &format!("listing#{listing}"),
            limits.listing_conversations_per_hour,
            now,
            Duration::hours(1),
            "this listing has had too many new conversations in the last hour",
        ));
    }
    guards
}

/// How often a sender has sent one text this hour, and the write that counts this time
/// (in the message's own transaction).
pub(crate) struct Repeats {
    pub seen: u32,
    pub count: WriteOp,
}

impl App {
    /// The sender's repeats of `text` this hour; none for texts shorter than the rule's
    /// minimum ("Is it still available?" is sent to many sellers, and rightly).
    pub(crate) async fn repeats(
        &self,
        policy: &SafetyPolicy,
        caller: &Caller,
        text: &str,
    ) -> ApiResult<Option<Repeats>> {
        let text = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if text.chars().count() < policy.duplicates.min_chars {
            return Ok(None);
        }
        let now = self.clock.now();
        let hash = domain::digest::hex(&domain::digest::sha256(text.as_bytes())[..12]);
        let (key, ends) = window(
            &format!("text#{}#{hash}", caller.id()),
            now,
            Duration::hours(1),
        );
        let seen = match self.table.get(&key, false).await? {
            Some(item) => item
                .get("count")
                .and_then(Value::as_i64)
                .unwrap_or_default(),
            None => 0,
        };
        let count = count_one(key, ends, None);
        Ok(Some(Repeats {
            seen: u32::try_from(seen).unwrap_or(u32::MAX),
            count,
        }))
    }
}
