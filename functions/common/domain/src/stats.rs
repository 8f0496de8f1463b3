//! Daily statistics: what each stored change adds to the day's counters, so a monthly
//! report reads a few items per day instead of every message.
//!
//! Days and hours are South African (Africa/Johannesburg). Each day has one counters
//! item and one response-times item per dimension (everything, a team, a category, an
//! agent): small items, so each `ADD` costs one write unit. Response times are kept
//! wall-clock and in business time (time on business days, as the SLA counts it) as
//! [`Histogram`] buckets; whether each time met the report's target is counted exactly.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};

use super::calendar::Calendar;
use super::histogram::{Histogram, bucket};
use super::{
    Category, Conversation, ConversationType, Listing, ListingStatus, Message, SenderRole, Status,
};
use crate::HOME_TIME_ZONE;
use crate::identity::Team;

/// The seed's targets, in business time: first response within 10 minutes, each
/// response within 30 minutes, resolution within 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Timing {
    FirstResponse,
    Response,
    Resolution,
}

impl Timing {
    pub const ALL: [Timing; 3] = [Timing::FirstResponse, Timing::Response, Timing::Resolution];

    /// The attribute prefix of its counters.
    pub fn prefix(self) -> &'static str {
        match self {
            Timing::FirstResponse => "frt",
            Timing::Response => "art",
            Timing::Resolution => "rt",
        }
    }

    pub fn target(self) -> Duration {
        match self {
            Timing::FirstResponse => Duration::minutes(10),
            Timing::Response => Duration::minutes(30),
            Timing::Resolution => Duration::hours(24),
        }
    }
}

/// Which clock a time was read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Clock {
    Wall,
    Business,
}

impl Clock {
    fn letter(self) -> &'static str {
        match self {
            Clock::Wall => "w",
            Clock::Business => "b",
        }
    }
}

/// What a day's figures are about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    All,
    Team(Team),
    Category(Category),
    Agent(String),
    /// What the functions used, for the cost report.
    Usage,
}

impl Dimension {
    /// How the dimension is written in its items' sort keys.
    pub fn key(&self) -> String {
        match self {
            Dimension::All => "ALL".into(),
            Dimension::Team(team) => format!("TEAM#{team}"),
            Dimension::Category(category) => format!("CAT#{}", category.as_str()),
            Dimension::Agent(id) => format!("AGENT#{id}"),
            Dimension::Usage => "USAGE".into(),
        }
    }

    pub fn parse(text: &str) -> Option<Dimension> {
        Some(match text.split_once('#') {
            None if text == "ALL" => Dimension::All,
            None if text == "USAGE" => Dimension::Usage,
            Some(("TEAM", team)) => {
                Dimension::Team(Team::ALL.into_iter().find(|t| t.as_str() == team)?)
            }
            Some(("CAT", name)) => {
                Dimension::Category(Category::ALL.into_iter().find(|c| c.as_str() == name)?)
            }
            Some(("AGENT", id)) => Dimension::Agent(id.to_string()),
            _ => return None,
        })
    }

    /// The dimensions a support conversation's figures count in.
    fn of(category: Category, team: Option<Team>, agent: Option<&str>) -> Vec<Dimension> {
        let mut dimensions = vec![Dimension::All, Dimension::Category(category)];
        dimensions.extend(team.map(Dimension::Team));
        dimensions.extend(agent.map(|a| Dimension::Agent(a.to_string())));
        dimensions
    }
}

/// Counters and response times live in separate items, so a message (counters only)
/// updates a small item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Counts,
    Times,
}

/// Where a tally's additions go: one day's figures for one dimension (counters or
/// times), or the gauges of the present. `store::keys::stats` gives each its item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    Day {
        day: NaiveDate,
        dimension: Dimension,
        family: Family,
    },
    Gauges,
}

/// The local day and hour of an instant.
pub fn local_day_hour(at: DateTime<Utc>) -> (NaiveDate, u32) {
    let local = at.with_timezone(&HOME_TIME_ZONE);
    (local.date_naive(), local.hour())
}

fn dimensions_of(conversation: &Conversation, agent: Option<&str>) -> Vec<Dimension> {
    Dimension::of(conversation.category, conversation.team, agent)
}

pub fn queue_gauge(team: Team, status: Status) -> String {
    format!("queue_{team}_{}", status.as_str())
}

pub const ACTIVE_LISTINGS: &str = "listings_active";

/// The additions one change makes: per item, per attribute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    additions: BTreeMap<(NaiveDate, Dimension, Family), BTreeMap<String, i64>>,
    gauges: BTreeMap<String, i64>,
}

/// A response an admin gave: the user waited from `since` to `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub since: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub first: bool,
    /// The SLA deadline it was due by.
    pub due: Option<DateTime<Utc>>,
}

/// Did this change answer the user? The response clock stopped and a message was
/// written (setting a conversation pending stops the clock too, but writes nothing).
pub fn response(old: &Conversation, new: &Conversation) -> Option<Response> {
    let (before, after) = (old.sla.as_ref()?, new.sla.as_ref()?);
    let since = before.awaiting_since?;
    let answered = after.awaiting_since.is_none() && new.last_message_id != old.last_message_id;
    answered.then(|| Response {
        since,
        at: new.last_message_at,
        first: before.first_response_at.is_none(),
        due: if before.first_response_at.is_none() {
            Some(before.first_response_due)
        } else {
            before.next_response_due
        },
    })
}

/// A satisfaction rating as counted (see `messaging::surveys`).
#[derive(Debug, Clone, PartialEq)]
pub struct RatingFigures {
    pub stars: u8,
    pub clarity: Option<u8>,
    pub timeliness: Option<u8>,
    pub helpfulness: Option<u8>,
}

impl Tally {
    /// Adds another tally's additions to this one's.
    pub fn merge(&mut self, other: &Tally) {
        for (item, additions) in &other.additions {
            let mine = self.additions.entry(item.clone()).or_default();
            for (name, n) in additions {
                *mine.entry(name.clone()).or_default() += n;
            }
        }
        for (name, n) in &other.gauges {
            *self.gauges.entry(name.clone()).or_default() += n;
        }
    }

    /// Nothing to add anywhere.
    pub fn is_empty(&self) -> bool {
        self.updates().next().is_none()
    }

    fn add(&mut self, at: DateTime<Utc>, dimensions: &[Dimension], name: &str, n: i64) {
        self.add_to(at, dimensions, Family::Counts, name, n);
    }

    fn add_to(
        &mut self,
        at: DateTime<Utc>,
        dimensions: &[Dimension],
        family: Family,
        name: &str,
        n: i64,
    ) {
        let (day, _) = local_day_hour(at);
        for dimension in dimensions {
            *self
                .additions
                .entry((day, dimension.clone(), family))
                .or_default()
                .entry(name.to_string())
                .or_default() += n;
        }
    }

    fn time(
        &mut self,
        at: DateTime<Utc>,
        dimensions: &[Dimension],
        timing: Timing,
        wall: Duration,
        business: Duration,
    ) {
        let prefix = timing.prefix();
        for (clock, taken) in [(Clock::Wall, wall), (Clock::Business, business)] {
            let seconds = taken.num_seconds().max(0);
            let name = format!("{prefix}_{}", clock.letter());
            let bucket = bucket(seconds as f64);
            self.add_to(
                at,
                dimensions,
                Family::Times,
                &format!("{name}_{bucket:03}"),
                1,
            );
            self.add_to(
                at,
                dimensions,
                Family::Times,
                &format!("{name}_sum"),
                seconds,
            );
        }
        self.add(at, dimensions, &format!("{prefix}_n"), 1);
        if business <= timing.target() {
            self.add(at, dimensions, &format!("{prefix}_met"), 1);
        }
    }

    /// A message was stored: volumes by kind and sender, and the hour it came in.
    pub fn message(&mut self, message: &Message, conversation: &Conversation) {
        let at = message.created_at;
        let all = [Dimension::All];
        let kind = match conversation.kind {
            ConversationType::Support => "messages_support",
            ConversationType::Direct => "messages_direct",
        };
        let sender = match message.sender_role {
            SenderRole::User => "messages_from_user",
            SenderRole::Admin => "messages_from_admin",
            SenderRole::System => "messages_from_system",
        };
        self.add(at, &all, "messages", 1);
        self.add(at, &all, kind, 1);
        self.add(at, &all, sender, 1);
        if message.sender_role != SenderRole::System && !message.internal {
            let (_, hour) = local_day_hour(at);
            self.add(at, &all, &format!("hour_{hour:02}"), 1);
        }
    }

    /// A conversation was stored for the first time.
    pub fn opened(&mut self, conversation: &Conversation) {
        let at = conversation.created_at;
        match conversation.kind {
            ConversationType::Support => {
                self.add(at, &dimensions_of(conversation, None), "opened", 1);
            }
            ConversationType::Direct => {
                self.add(at, &[Dimension::All], "opened_direct", 1);
            }
        }
    }

    /// An admin answered: first and every response time, and whether the SLA held.
    pub fn responded(
        &mut self,
        conversation: &Conversation,
        response: &Response,
        agent: &str,
        calendar: &Calendar,
    ) {
        let dimensions = dimensions_of(conversation, Some(agent));
        let wall = response.at - response.since;
        let business = calendar.business_time_between(response.since, response.at);
        self.time(response.at, &dimensions, Timing::Response, wall, business);
        if response.first {
            self.time(
                response.at,
                &dimensions,
                Timing::FirstResponse,
                wall,
                business,
            );
        }
        let on_time = response.due.is_none_or(|due| response.at <= due);
        let name = if on_time { "sla_met" } else { "sla_missed" };
        self.add(response.at, &dimensions, name, 1);
    }

    /// The status changed: a first resolution counts its time from the first message
    /// (later resolutions of a reopened conversation count as resolutions only).
    pub fn status_changed(&mut self, old: &Conversation, new: &Conversation, calendar: &Calendar) {
        if new.status != Status::Resolved || old.status == Status::Resolved {
            return;
        }
        let at = new.resolved_at.unwrap_or(new.last_message_at);
        let dimensions = dimensions_of(new, new.assignee.as_deref());
        self.add(at, &dimensions, "resolved", 1);
        let first_due = old.sla.as_ref().and_then(|s| s.resolution_due);
        if let Some(due) = first_due {
            let business = calendar.business_time_between(new.created_at, at);
            self.time(
                at,
                &dimensions,
                Timing::Resolution,
                at - new.created_at,
                business,
            );
            let name = if at <= due {
                "resolution_met"
            } else {
                "resolution_missed"
            };
            self.add(at, &dimensions, name, 1);
        }
    }

    /// A rating was given, changed or withdrawn: the old figures come off the day they
    /// were counted on, the new ones go on it.
    pub fn rating(
        &mut self,
        (category, team, agent): (Category, Option<Team>, Option<&str>),
        counted_at: DateTime<Utc>,
        old: Option<&RatingFigures>,
        new: Option<&RatingFigures>,
    ) {
        let dimensions = Dimension::of(category, team, agent);
        for (figures, sign) in [(old, -1), (new, 1)] {
            let Some(figures) = figures else { continue };
            self.add(counted_at, &dimensions, "csat_n", sign);
            self.add(
                counted_at,
                &dimensions,
                "csat_sum",
                sign * i64::from(figures.stars),
            );
            self.add(
                counted_at,
                &dimensions,
                &format!("csat_{}", figures.stars),
                sign,
            );
            for (name, score) in [
                ("clarity", figures.clarity),
                ("timeliness", figures.timeliness),
                ("helpfulness", figures.helpfulness),
            ] {
                if let Some(score) = score {
                    self.add(counted_at, &dimensions, &format!("{name}_n"), sign);
                    self.add(
                        counted_at,
                        &dimensions,
                        &format!("{name}_sum"),
                        sign * i64::from(score),
                    );
                }
            }
        }
    }

    /// A Net Promoter answer (0–10).
    pub fn nps(&mut self, at: DateTime<Utc>, score: u8) {
        self.add(at, &[Dimension::All], &format!("nps_{score:02}"), 1);
    }

    /// A listing was messaged about for the first time this month.
    pub fn listing_engaged(&mut self, at: DateTime<Utc>) {
        self.add(at, &[Dimension::All], "listings_engaged", 1);
    }

    /// A conversation moved between team queues (or arrived, or went).
    pub fn queues(&mut self, old: Option<&Conversation>, new: Option<&Conversation>) {
        for (conversation, sign) in [(old, -1), (new, 1)] {
            let Some(conversation) = conversation else {
                continue;
            };
            // Resolved and merged ones are nobody's work any more.
            let queued = !matches!(conversation.status, Status::Resolved | Status::Merged);
            if let Some(team) = conversation.team.filter(|_| queued) {
                *self
                    .gauges
                    .entry(queue_gauge(team, conversation.status))
                    .or_default() += sign;
            }
        }
    }

    /// A listing was registered, changed or removed.
    pub fn listing(&mut self, old: Option<&Listing>, new: Option<&Listing>) {
        let active =
            |l: Option<&Listing>| i64::from(l.is_some_and(|l| l.status == ListingStatus::Active));
        let change = active(new) - active(old);
        if change != 0 {
            *self.gauges.entry(ACTIVE_LISTINGS.into()).or_default() += change;
        }
    }

    /// What a function used (its meters), on the day it ran.
    pub fn usage(&mut self, at: DateTime<Utc>, meters: &BTreeMap<String, i64>) {
        for (name, n) in meters {
            self.add(at, &[Dimension::Usage], name, *n);
        }
    }

    /// The cells to add to and what to add to each (nothing that adds zero).
    pub fn updates(&self) -> impl Iterator<Item = (Cell, &BTreeMap<String, i64>)> {
        let gauges =
            (self.gauges.values().any(|n| *n != 0)).then_some((Cell::Gauges, &self.gauges));
        self.additions
            .iter()
            .filter(|(_, adds)| adds.values().any(|n| *n != 0))
            .map(|((day, dimension, family), adds)| {
                let cell = Cell::Day {
                    day: *day,
                    dimension: dimension.clone(),
                    family: *family,
                };
                (cell, adds)
            })
            .chain(gauges)
    }
}

/// One day's figures for one dimension, as read back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub counts: BTreeMap<String, i64>,
    pub times: BTreeMap<(Timing, Clock), Histogram>,
}

impl Figures {
    pub fn count(&self, name: &str) -> i64 {
        self.counts.get(name).copied().unwrap_or_default()
    }

    pub fn times(&self, timing: Timing, clock: Clock) -> Histogram {
        self.times
            .get(&(timing, clock))
            .cloned()
            .unwrap_or_default()
    }

    pub fn merge(&mut self, other: &Figures) {
        for (name, n) in &other.counts {
            *self.counts.entry(name.clone()).or_default() += n;
        }
        for (key, histogram) in &other.times {
            self.times.entry(*key).or_default().merge(histogram);
        }
    }

    /// Adds one stored figure, by its name in the item.
    fn read(&mut self, family: Family, name: &str, n: i64) {
        match family {
            Family::Counts => *self.counts.entry(name.to_string()).or_default() += n,
            Family::Times => self.read_time(name, n),
        }
    }

    fn read_time(&mut self, name: &str, n: i64) {
        let mut parts = name.splitn(3, '_');
        let (Some(prefix), Some(clock), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        let Some(timing) = Timing::ALL.into_iter().find(|t| t.prefix() == prefix) else {
            return;
        };
        let clock = match clock {
            "w" => Clock::Wall,
            "b" => Clock::Business,
            _ => return,
        };
        let histogram = self.times.entry((timing, clock)).or_default();
        if rest == "sum" {
            histogram.sum += n as f64;
        } else if let Ok(bucket) = rest.parse::<u32>() {
            *histogram.buckets.entry(bucket).or_default() += n.max(0) as u64;
            histogram.count += n.max(0) as u64;
        }
    }
}

/// A month of stats items, by day and dimension.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailyStats {
    pub days: BTreeMap<NaiveDate, BTreeMap<Dimension, Figures>>,
}

impl DailyStats {
    /// Adds the figures read from one day's item (named as the tally wrote them).
    pub fn add<'a>(
        &mut self,
        day: NaiveDate,
        dimension: Dimension,
        family: Family,
        figures: impl IntoIterator<Item = (&'a str, i64)>,
    ) {
        let target = self
            .days
            .entry(day)
            .or_default()
            .entry(dimension)
            .or_default();
        for (name, n) in figures {
            target.read(family, name, n);
        }
    }

    /// Everything for one dimension, over the month.
    pub fn total(&self, dimension: &Dimension) -> Figures {
        let mut total = Figures::default();
        for figures in self.days.values().filter_map(|d| d.get(dimension)) {
            total.merge(figures);
        }
        total
    }

    /// Every dimension seen in the month.
    pub fn dimensions(&self) -> Vec<Dimension> {
        let mut all: Vec<Dimension> = self.days.values().flat_map(|d| d.keys().cloned()).collect();
        all.sort();
        all.dedup();
        all
    }

    /// Messages by weekday (Monday = 0) and hour.
    pub fn heatmap(&self) -> [[i64; 24]; 7] {
        let mut grid = [[0; 24]; 7];
        for (day, dimensions) in &self.days {
            let Some(all) = dimensions.get(&Dimension::All) else {
                continue;
            };
            let weekday = day.weekday().num_days_from_monday() as usize;
            for (hour, cell) in grid[weekday].iter_mut().enumerate() {
                *cell += all.count(&format!("hour_{hour:02}"));
            }
        }
        grid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::{Sla, SlaTargets};
    use crate::{Priority, Status};
    use chrono::TimeZone;

    fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        // November 2026: the 2nd is a Monday. Times are SAST (UTC+2).
        HOME_TIME_ZONE
            .with_ymd_and_hms(2026, 11, day, hour, minute, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn conversation(created: DateTime<Utc>) -> Conversation {
        let targets = SlaTargets::south_africa(2026);
        Conversation {
            id: "c1".into(),
            kind: ConversationType::Support,
            listing_id: None,
            subject: "Help".into(),
            category: Category::Complaint,
            priority: Priority::Normal,
            status: Status::Open,
            created_by: "u1".into(),
            participants: vec!["u1".into()],
            team: Some(Team::Support),
            assignee: None,
            created_at: created,
            last_message_at: created,
            last_message_id: "m1".into(),
            unread: BTreeMap::new(),
            read_marks: BTreeMap::new(),
            contacts: BTreeMap::new(),
            sla: Some(Sla::start(
                created,
                Priority::Normal,
                Category::Complaint,
                &targets,
            )),
            resolved_at: None,
            snoozed_until: None,
            merged_from: Vec::new(),
            merged_into: None,
            broadcast_id: None,
            version: 1,
        }
    }

    fn read_back(tally: &Tally) -> DailyStats {
        let mut stats = DailyStats::default();
        for (cell, adds) in tally.updates() {
            if let Cell::Day {
                day,
                dimension,
                family,
            } = cell
            {
                stats.add(
                    day,
                    dimension,
                    family,
                    adds.iter().map(|(k, v)| (k.as_str(), *v)),
                );
            }
        }
        stats
    }

    #[test]
    fn a_reply_counts_its_first_response_time_in_every_dimension() {
        let old = conversation(at(2, 9, 0));
        let mut new = old.clone();
        new.admin_replied("a1", "m2", at(2, 9, 7), Status::Pending);
        let response = response(&old, &new).expect("a response");
        assert!(response.first);
        let mut tally = Tally::default();
        tally.responded(&new, &response, "a1", &Calendar::south_africa([2026]));
        let stats = read_back(&tally);
        for dimension in [
            Dimension::All,
            Dimension::Team(Team::Support),
            Dimension::Category(Category::Complaint),
            Dimension::Agent("a1".into()),
        ] {
            let figures = stats.total(&dimension);
            assert_eq!(figures.count("frt_n"), 1, "{dimension:?}");
            assert_eq!(figures.count("frt_met"), 1);
            assert_eq!(figures.count("sla_met"), 1);
            let frt = figures.times(Timing::FirstResponse, Clock::Business);
            assert_eq!((frt.count, frt.sum), (1, 420.0));
        }
    }

    #[test]
    fn weekend_time_is_wall_clock_only() {
        // Asked on Saturday 09:00, answered Monday 08:00: 47 hours wall, 8 business.
        let old = conversation(at(7, 9, 0));
        let mut new = old.clone();
        new.admin_replied("a1", "m2", at(9, 8, 0), Status::Open);
        let mut tally = Tally::default();
        tally.responded(
            &new,
            &response(&old, &new).unwrap(),
            "a1",
            &Calendar::south_africa([2026]),
        );
        let all = read_back(&tally).total(&Dimension::All);
        assert_eq!(all.times(Timing::Response, Clock::Wall).sum, 47.0 * 3600.0);
        assert_eq!(
            all.times(Timing::Response, Clock::Business).sum,
            8.0 * 3600.0
        );
        assert_eq!(all.count("art_met"), 0);
        // Counted on Monday, the day of the answer.
        assert_eq!(
            read_back(&tally).days.keys().next(),
            Some(&at(9, 8, 0).with_timezone(&HOME_TIME_ZONE).date_naive())
        );
    }

    #[test]
    fn setting_pending_without_a_reply_is_no_response() {
        let old = conversation(at(2, 9, 0));
        let mut new = old.clone();
        new.set_status(
            Status::Pending,
            at(2, 9, 5),
            &SlaTargets::south_africa(2026),
        );
        assert_eq!(response(&old, &new), None);
    }

    #[test]
    fn a_first_resolution_counts_its_time_and_a_second_does_not() {
        let calendar = Calendar::south_africa([2026]);
        let old = conversation(at(2, 9, 0));
        let mut resolved = old.clone();
        resolved.set_status(
            Status::Resolved,
            at(2, 15, 0),
            &SlaTargets::south_africa(2026),
        );
        let mut tally = Tally::default();
        tally.status_changed(&old, &resolved, &calendar);
        let mut reopened = resolved.clone();
        reopened.user_wrote("u1", "m3", at(3, 9, 0), &SlaTargets::south_africa(2026));
        let mut again = reopened.clone();
        again.set_status(
            Status::Resolved,
            at(3, 10, 0),
            &SlaTargets::south_africa(2026),
        );
        tally.status_changed(&reopened, &again, &calendar);
        let all = read_back(&tally).total(&Dimension::All);
        assert_eq!(all.count("resolved"), 2);
        assert_eq!(all.count("rt_n"), 1);
        assert_eq!(all.count("rt_met"), 1);
        assert_eq!(all.count("resolution_met"), 1);
    }

    #[test]
    fn a_changed_rating_moves_the_figures() {
        let conversation = conversation(at(2, 9, 0));
        let (four, two) = (
            RatingFigures {
                stars: 4,
                clarity: Some(5),
                timeliness: None,
                helpfulness: None,
            },
            RatingFigures {
                stars: 2,
                clarity: None,
                timeliness: None,
                helpfulness: None,
            },
        );
        let mut tally = Tally::default();
        let about = (conversation.category, conversation.team, Some("a1"));
        tally.rating(about, at(2, 12, 0), None, Some(&four));
        tally.rating(about, at(2, 12, 0), Some(&four), Some(&two));
        let all = read_back(&tally).total(&Dimension::All);
        assert_eq!((all.count("csat_n"), all.count("csat_sum")), (1, 2));
        assert_eq!((all.count("csat_4"), all.count("csat_2")), (0, 1));
        assert_eq!(all.count("clarity_n"), 0);
    }

    #[test]
    fn messages_fill_the_heatmap_by_local_weekday_and_hour() {
        let conversation = conversation(at(2, 9, 0));
        let mut tally = Tally::default();
        for (day, hour) in [(2, 9), (2, 9), (4, 23), (9, 9)] {
            let message = Message::new(
                "m".into(),
                "c1".into(),
                "u1".into(),
                SenderRole::User,
                "hi".into(),
                at(day, hour, 30),
                false,
            );
            tally.message(&message, &conversation);
        }
        let stats = read_back(&tally);
        let grid = stats.heatmap();
        assert_eq!(grid[0][9], 3);
        assert_eq!(grid[2][23], 1);
        assert_eq!(stats.total(&Dimension::All).count("messages_support"), 4);
    }
}
