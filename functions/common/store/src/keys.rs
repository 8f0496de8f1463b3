//! Every key of the single table, in one place: each kind of item's partition and sort
//! key, the index partitions it appears in, and how a stream record's key tells its
//! kind. Nothing outside this module spells a key prefix.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | conversation | `CONV#<id>` | `META` (SLA timeline `META#SLA#…`, survey `SURVEY`) |
//! | message | `CONV#<id>` | `MSG#<ulid>` |
//! | inbox row | `USER#<uid>` | `CONV#<id>` |
//! | profile, preferences, block, account | `USER#<uid>` | `PROFILE`, `PREFS`, `BLOCK`, `ACCOUNT` |
//! | rating, NPS answer | `USER#<uid>` | `RATING#<conversation>`, `NPS#<quarter>` |
//! | listing, direct thread | `LISTING#<id>` | `META`, `BUYER#<uid>` |
//! | configuration document | `CONFIG#<kind>` | `CURRENT` |
//! | template, webhook | `CONFIG#template`, `CONFIG#webhook` | `<id>` |
//! | daily stats | `STATS#<yyyy-mm>` | `<yyyy-mm-dd>#<dimension>[#times]` |
//! | WebSocket ticket, connection | `TICKET#<sha256>`, `CONN#<id>` | `TICKET`, `CONNECTION` |
//! | a connection in an audience | `CONNS#USER#<uid>`, `CONNS#TEAM#<team>` | `<connection id>` |
//! | broadcast, a bounce of it counted | `BROADCAST#<id>`, `BOUNCED#<id>` | `BROADCAST`, `<sha256 of the address>` |

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::Status;
use domain::identity::{Role, Team};
use domain::stats::{Cell, Family};

use crate::table::Key;

/// A key nothing is stored under: the health check reads it (one eventually
/// consistent GetItem, ½ RCU).
pub fn probe_key() -> Key {
    Key::new("PROBE", "PROBE")
}

// ----- conversations and messages -------------------------------------------------

const CONVERSATION: &str = "CONV#";
/// The sort key of an object's main item (a conversation, a listing).
pub const META: &str = "META";
pub const MESSAGE_PREFIX: &str = "MSG#";
/// SLA timeline items sort right after the conversation's META item (and before its
/// `MSG#` items), so one query reads the conversation and its timeline.
pub const SLA_TIMELINE_PREFIX: &str = "META#SLA#";

pub fn conversation_key(id: &str) -> Key {
    Key::new(messages_partition(id), META)
}

/// The partition of a conversation: its META item, timeline and messages.
pub fn messages_partition(conversation_id: &str) -> String {
    format!("{CONVERSATION}{conversation_id}")
}

pub fn message_key(conversation_id: &str, message_id: &str) -> Key {
    Key::new(
        messages_partition(conversation_id),
        format!("{MESSAGE_PREFIX}{message_id}"),
    )
}

/// Unique per change (`version`), so a retried write of the same change lands on the
/// same item.
pub fn sla_timeline_key(conversation_id: &str, first_at: DateTime<Utc>, version: u64) -> Key {
    Key::new(
        messages_partition(conversation_id),
        format!(
            "{SLA_TIMELINE_PREFIX}{}#{version:010}",
            sortable_time(first_at)
        ),
    )
}

/// The survey invitation sent when a conversation was resolved (at most one).
pub fn invited_key(conversation: &str) -> Key {
    Key::new(messages_partition(conversation), "SURVEY")
}

/// A participant's inbox row: a copy of the conversation under the user.
pub fn inbox_row_key(user: &str, conversation_id: &str) -> Key {
    Key::new(
        user_partition(user),
        format!("{CONVERSATION}{conversation_id}"),
    )
}

/// The inbox rows' prefix within a user's partition.
pub const INBOX_ROW_PREFIX: &str = CONVERSATION;

/// A user's inbox on gsi1, by last activity.
pub fn inbox_partition(user: &str) -> String {
    format!("INBOX#{user}")
}

/// A team's queue of one status, on gsi1 (by due time) and gsi3 (by activity).
pub fn queue_partition(team: Team, status: Status) -> String {
    format!("QUEUE#{team}#{}", status.as_str())
}

/// Shards of the sparse due index, so SLA checks never crowd one partition.
pub const DUE_SHARDS: u32 = 4;

/// The due-index partition of a conversation: `DUE#<shard>`, the shard fixed by its id.
pub fn due_partition(conversation_id: &str) -> String {
    due_shard(shard_of(conversation_id, DUE_SHARDS))
}

pub fn due_shard(shard: u32) -> String {
    format!("DUE#{shard}")
}

/// A stable shard in `0..shards` for a key.
pub fn shard_of(key: &str, shards: u32) -> u32 {
    key.bytes().map(u32::from).sum::<u32>() % shards
}

/// Fixed-width UTC time: sorts as text in time order.
pub fn sortable_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

// ----- listings -------------------------------------------------------------------

const LISTING: &str = "LISTING#";

pub fn listing_key(id: &str) -> Key {
    Key::new(format!("{LISTING}{id}"), META)
}

/// One direct thread per buyer and listing: this item points at it.
pub fn direct_thread_key(listing_id: &str, buyer: &str) -> Key {
    Key::new(format!("{LISTING}{listing_id}"), format!("BUYER#{buyer}"))
}

/// Marks that a listing had a conversation this month (listing coverage in reports).
pub fn listing_engaged_key(listing: &str, day: NaiveDate) -> Key {
    Key::new(
        format!("{LISTING}{listing}"),
        format!("ENGAGED#{}", day.format("%Y-%m")),
    )
}

// ----- users ----------------------------------------------------------------------

const USER: &str = "USER#";

/// Everything kept under one user: inbox rows, profile, preferences, ratings, ...
pub fn user_partition(user: &str) -> String {
    format!("{USER}{user}")
}

/// An admin's directory profile (name, contact, teams, capacity, open count).
pub fn profile_key(user: &str) -> Key {
    Key::new(user_partition(user), "PROFILE")
}

/// The directory's index partition (gsi1): every admin profile, by id.
pub const DIRECTORY: &str = "AGENTS";

pub fn preferences_key(user: &str) -> Key {
    Key::new(user_partition(user), "PREFS")
}

pub fn block_key(user: &str) -> Key {
    Key::new(user_partition(user), "BLOCK")
}

pub fn account_key(user: &str) -> Key {
    Key::new(user_partition(user), "ACCOUNT")
}

pub const RATING_PREFIX: &str = "RATING#";
pub const NPS_PREFIX: &str = "NPS#";

pub fn rating_key(user: &str, conversation: &str) -> Key {
    Key::new(
        user_partition(user),
        format!("{RATING_PREFIX}{conversation}"),
    )
}

pub fn nps_key(user: &str, quarter: &str) -> Key {
    Key::new(user_partition(user), format!("{NPS_PREFIX}{quarter}"))
}

/// A survey link's token, for the page that answers it without signing in.
pub fn invitation_key(token: &str) -> Key {
    Key::new(format!("SURVEY#{token}"), "INVITATION")
}

/// A notification email's Reply-To token (`domain::email_reply`), for the reply.
pub fn reply_address_key(token: &str) -> Key {
    Key::new(format!("REPLYTO#{token}"), META)
}

/// What became of one received email (by its SES message id), so a redelivered one is
/// not answered twice.
pub fn inbound_mail_key(mail_id: &str) -> Key {
    Key::new(format!("INBOUND#{mail_id}"), META)
}

/// The admins of a team, for notifications (one item per member).
pub fn team_partition(team: Team) -> String {
    format!("TEAM#{team}")
}

/// Seniors and managers, for escalations.
pub fn role_partition(role: Role) -> String {
    format!("ROLE#{}", role.as_str())
}

/// An admin's entry in a team or role list.
pub fn member_key(partition: String, user: &str) -> Key {
    Key::new(partition, format!("AGENT#{user}"))
}

/// Shards of the user registry on gsi1, so a fan-out to every user reads several
/// partitions rather than crowding one.
pub const USER_SHARDS: u32 = 4;

pub fn users_shard(shard: u32) -> String {
    format!("USERS#{shard}")
}

/// Registry entries sort by tier within a shard: `<tier>#<user>`, `-` for no tier.
pub fn tier_prefix(tier: &str) -> String {
    format!("{tier}#")
}

/// The kinds of segment kept as rows: who started a conversation about a listing of a
/// category, or in a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    ListingCategory,
    Location,
}

impl SegmentKind {
    fn as_str(self) -> &'static str {
        match self {
            SegmentKind::ListingCategory => "listing_category",
            SegmentKind::Location => "location",
        }
    }
}

/// The rows of one segment: `SEGMENT#<kind>#<value>`, one per user (`USER#<id>`).
pub fn segment_partition(kind: SegmentKind, value: &str) -> String {
    format!("SEGMENT#{}#{value}", kind.as_str())
}

pub fn segment_member_key(kind: SegmentKind, value: &str, user: &str) -> Key {
    Key::new(segment_partition(kind, value), user_partition(user))
}

/// An `Idempotency-Key` the caller sent, remembered with what it created.
pub fn idempotency_key(caller: &str, key: &str) -> Key {
    Key::new(idempotency_partition(caller), key)
}

pub fn idempotency_partition(caller: &str) -> String {
    format!("IDEM#{caller}")
}

/// One fixed window of a rate limit (`label` names the window).
pub fn rate_counter_key(subject: &str, label: &str) -> Key {
    Key::new(format!("RATE#{subject}"), label)
}

// ----- notifications --------------------------------------------------------------

pub fn notifications_partition(recipient: &str) -> String {
    format!("NOTIF#{recipient}")
}

/// The sparse index (gsi1) of a recipient's unread notifications.
pub fn unread_partition(recipient: &str) -> String {
    format!("UNREAD#{recipient}")
}

pub fn notification_key(recipient: &str, id: &str) -> Key {
    Key::new(notifications_partition(recipient), id)
}

pub fn suppression_key(email: &str) -> Key {
    Key::new(format!("SUPPRESSED#{}", email.to_lowercase()), META)
}

/// The create-once marker of one delivery (an email or SMS sent once).
pub fn sent_marker_key(marker: &str) -> Key {
    Key::new(format!("SENT#{marker}"), "MARKER")
}

/// SMS sent today, against the daily cap.
pub fn sms_sent_key(day: NaiveDate) -> Key {
    Key::new("SMS_SENT", day.to_string())
}

/// SMS held for the end of someone's quiet hours, by release time.
pub const HELD_SMS: &str = "HELD_SMS";

pub fn held_sms_key(until: DateTime<Utc>, marker: &str) -> Key {
    Key::new(HELD_SMS, format!("{}#{marker}", sortable_time(until)))
}

/// Message emails waiting to see whether their message is read first:
/// `<due time>#<marker>`.
pub const EMAILS_DUE: &str = "EMAILS_DUE";

pub fn email_due_key(due: DateTime<Utc>, marker: &str) -> Key {
    Key::new(EMAILS_DUE, format!("{}#{marker}", sortable_time(due)))
}

/// Who has a digest due when: `<due time>#<user>`.
pub const DIGESTS_DUE: &str = "DIGESTS_DUE";

pub fn digest_due_key(due: DateTime<Utc>, user: &str) -> Key {
    Key::new(DIGESTS_DUE, format!("{}#{user}", sortable_time(due)))
}

/// The messages waiting for a user's next digest.
pub fn digest_partition(user: &str) -> String {
    format!("DIGEST#{user}")
}

pub fn digest_entry_key(user: &str, message_id: &str) -> Key {
    Key::new(digest_partition(user), message_id)
}

// ----- search ------------------------------------------------------------------------

/// The index entries of one scope whose terms share a group (`domain::search::group`):
/// a word-prefix query reads one such partition per word, newest first.
pub fn search_partition(scope: &domain::search::Scope, group: &str) -> String {
    use domain::search::Scope;
    match scope {
        Scope::User(user) => format!("SEARCH#U#{user}#{group}"),
        Scope::Team(team) => format!("SEARCH#T#{}#{group}", team.as_str()),
        Scope::Market => format!("SEARCH#M#{group}"),
    }
}

/// A document's place in the index, the same in every group and scope:
/// `<time>#<conversation>#<message, or "-" for the conversation's own words>`. Entries
/// add `#<passage>`.
pub fn search_document_sort(document: &domain::search::Document) -> String {
    format!(
        "{}#{}#{}",
        sortable_time(document.at),
        document.conversation_id,
        document.message_id.as_deref().unwrap_or("-")
    )
}

pub fn search_entry_key(
    scope: &domain::search::Scope,
    group: &str,
    document: &domain::search::Document,
    passage: usize,
) -> Key {
    Key::new(
        search_partition(scope, group),
        format!("{}#{passage}", search_document_sort(document)),
    )
}

/// The conversation and message an entry's sort key names (`None`: not an entry's).
pub fn search_entry_of(sk: &str) -> Option<(&str, &str, Option<&str>)> {
    let mut parts = sk.rsplitn(4, '#');
    let _passage = parts.next()?;
    let message = parts.next()?;
    let conversation = parts.next()?;
    let at = parts.next()?;
    let document = &sk[..at.len() + conversation.len() + message.len() + 2];
    Some((document, conversation, (message != "-").then_some(message)))
}

// ----- configuration, templates, webhooks ---------------------------------------

/// A versioned configuration document (`sla-policy`, `routing`, ...).
pub fn config_key(kind: &str) -> Key {
    Key::new(format!("CONFIG#{kind}"), "CURRENT")
}

pub const TEMPLATES: &str = "CONFIG#template";

pub fn template_key(id: &str) -> Key {
    Key::new(TEMPLATES, id)
}

pub const WEBHOOKS: &str = "CONFIG#webhook";

pub fn webhook_key(id: &str) -> Key {
    Key::new(WEBHOOKS, id)
}

/// A webhook's delivery log.
pub fn deliveries_partition(webhook: &str) -> String {
    format!("WEBHOOK#{webhook}")
}

/// Keyed by what it is about (ids are time-ordered ULIDs), so a redelivered record
/// finds its entry.
pub fn delivery_key(webhook: &str, delivery_id: &str) -> Key {
    Key::new(
        deliveries_partition(webhook),
        format!("DELIVERY#{delivery_id}"),
    )
}

/// Webhook deliveries to try again, by due time.
pub const WEBHOOK_RETRIES: &str = "WEBHOOK_RETRY";

pub fn webhook_retry_key(due: DateTime<Utc>, webhook: &str, delivery: &str) -> Key {
    Key::new(
        WEBHOOK_RETRIES,
        format!("{}#{webhook}#{delivery}", sortable_time(due)),
    )
}

// ----- moderation and audit -----------------------------------------------------

/// Messages the safety policy held, waiting for a moderator (gsi1).
pub const HELD_QUEUE: &str = "MODQUEUE#held";

pub fn held_key(id: &str) -> Key {
    Key::new(format!("HELD#{id}"), "HELD")
}

/// A user's held messages once decided (gsi1), for erasure.
pub fn held_by_partition(user: &str) -> String {
    format!("HELDBY#{user}")
}

/// Open reports, waiting for a moderator (gsi1).
pub const REPORT_QUEUE: &str = "MODQUEUE#reports";

pub fn report_key(id: &str) -> Key {
    Key::new(format!("REPORT#{id}"), "REPORT")
}

/// One open report per reporter and message (or conversation, `-`): the marker that
/// refuses a second while the first is open.
pub fn open_report_key(reporter: &str, conversation: &str, message: Option<&str>) -> Key {
    Key::new(
        format!("REPORTING#{reporter}"),
        format!("{conversation}#{}", message.unwrap_or("-")),
    )
}

/// A reporter's reports once closed (gsi1), for erasure.
pub fn reports_by_partition(user: &str) -> String {
    format!("REPORTSBY#{user}")
}

pub fn audit_partition(month: &str) -> String {
    format!("AUDIT#{month}")
}

pub fn audit_key(at: DateTime<Utc>, id: &str) -> Key {
    Key::new(
        audit_partition(&at.format("%Y-%m").to_string()),
        format!("{}#{id}", sortable_time(at)),
    )
}

// ----- broadcasts ---------------------------------------------------------------

/// Broadcasts, newest first, on gsi1.
pub const BROADCASTS: &str = "BROADCASTS";
const BROADCAST: &str = "BROADCAST#";

pub fn broadcast_key(id: &str) -> Key {
    Key::new(format!("{BROADCAST}{id}"), "BROADCAST")
}

/// The marker that a broadcast's email to an address bounced and was counted (under a
/// hash of the address: no address in clear in a key).
pub fn bounce_counted_key(broadcast: &str, email: &str) -> Key {
    Key::new(
        format!("BOUNCED#{broadcast}"),
        domain::digest::hex(&domain::digest::sha256(email.to_lowercase().as_bytes())),
    )
}

// ----- stats and reports --------------------------------------------------------

/// The partition of a month's statistics (`yyyy-mm`).
pub fn month_partition(month: &str) -> String {
    format!("STATS#{month}")
}

pub const STATS_TIMES_SUFFIX: &str = "#times";

/// The item a stats cell is added to.
pub fn stats(cell: &Cell) -> Key {
    match cell {
        Cell::Gauges => Key::new("STATS#GAUGES", "CURRENT"),
        Cell::Day {
            day,
            dimension,
            family,
        } => {
            let suffix = match family {
                Family::Counts => "",
                Family::Times => STATS_TIMES_SUFFIX,
            };
            Key::new(
                month_partition(&day.format("%Y-%m").to_string()),
                format!("{}#{}{suffix}", day.format("%Y-%m-%d"), dimension.key()),
            )
        }
    }
}

/// The claim that a stream record was counted in the stats (so a redelivery is not).
pub fn counted_key(record_id: &str) -> Key {
    Key::new(format!("COUNTED#{record_id}"), "COUNTED")
}

/// The month's report as emailed, and each manager's delivery marker.
pub fn monthly_report_key(month: &str) -> Key {
    Key::new(format!("MONTHLY#{month}"), "REPORT")
}

pub fn monthly_report_sent_key(month: &str, manager: &str) -> Key {
    Key::new(format!("MONTHLY#{month}"), format!("SENT#{manager}"))
}

// ----- real-time connections -----------------------------------------------------

/// A WebSocket ticket, under the SHA-256 of the ticket (a table reader cannot use it).
pub fn ticket_key(ticket: &str) -> Key {
    Key::new(
        format!(
            "TICKET#{}",
            domain::digest::hex(&domain::digest::sha256(ticket.as_bytes()))
        ),
        "TICKET",
    )
}

/// A connection's own item: who it is, and the audience rows to delete with it.
pub fn connection_key(connection_id: &str) -> Key {
    Key::new(format!("CONN#{connection_id}"), "CONNECTION")
}

/// Where a user's connections are listed (events of their conversations).
pub fn user_connections_partition(user: &str) -> String {
    format!("CONNS#USER#{user}")
}

/// Where the connections of admins who work a team are listed.
pub fn team_connections_partition(team: Team) -> String {
    format!("CONNS#TEAM#{team}")
}

/// A connection's row in one audience partition.
pub fn audience_row_key(partition: &str, connection_id: &str) -> Key {
    Key::new(partition, connection_id)
}

// ----- what a stream record's key is ---------------------------------------------

/// The kinds of item the stream's consumers act on, told by their keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<'a> {
    Conversation { id: &'a str },
    Message { conversation_id: &'a str },
    Listing,
    Rating,
    Nps,
    Broadcast { id: &'a str },
    Other,
}

impl<'a> Kind<'a> {
    pub fn of(key: &'a Key) -> Self {
        let (pk, sk) = (key.pk.as_str(), key.sk.as_str());
        if let Some(id) = pk.strip_prefix(CONVERSATION) {
            if sk == META {
                return Kind::Conversation { id };
            }
            if sk.starts_with(MESSAGE_PREFIX) {
                return Kind::Message {
                    conversation_id: id,
                };
            }
        }
        if pk.starts_with(LISTING) && sk == META {
            return Kind::Listing;
        }
        if pk.starts_with(USER) && sk.starts_with(RATING_PREFIX) {
            return Kind::Rating;
        }
        if pk.starts_with(USER) && sk.starts_with(NPS_PREFIX) {
            return Kind::Nps;
        }
        if let Some(id) = pk.strip_prefix(BROADCAST) {
            return Kind::Broadcast { id };
        }
        Kind::Other
    }
}
