//! Last month planned before anything runs: who writes when, about what, how soon an
//! agent answers and who, what users rate. A fixed-seed generator makes it the same
//! month every time; the times follow a classifieds site's week (weekdays and business
//! hours busiest, buyers in the evenings), and the agents' hours make out-of-hours
//! questions wait, so some answers are late and the SLA check escalates them.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc,
    Weekday,
};
use common::domain::{HOME_TIME_ZONE, ListingStatus};
use serde_json::{Value, json};

use super::script::{
    BROADCAST_QUESTIONS, CHATS, Chat, GRUMBLES, MEMBERS, MORE_LISTINGS, Member, PRAISE, TOPICS,
    Topic,
};
use crate::demo::LISTINGS;

/// One thing someone does; conversations are numbered in the plan, their ids known only
/// once created.
pub enum Step {
    /// A user asks the admin team.
    Ask {
        conversation: usize,
        user: &'static Member,
        topic: &'static Topic,
        listing: Option<&'static str>,
    },
    /// A buyer writes to a listing's seller.
    Chat {
        conversation: usize,
        buyer: &'static str,
        listing: &'static str,
        body: &'static str,
    },
    /// A participant writes again.
    Write {
        conversation: usize,
        from: &'static str,
        body: &'static str,
    },
    /// An agent's internal note for colleagues.
    Note {
        conversation: usize,
        agent: &'static str,
        body: &'static str,
    },
    Reply {
        conversation: usize,
        agent: &'static str,
        body: String,
        resolve: bool,
    },
    /// An agent closes a conversation the user has not answered for days, with the
    /// closing template.
    Close {
        conversation: usize,
        agent: &'static str,
    },
    /// The user confirms the answer helped.
    Confirm {
        conversation: usize,
        user: &'static str,
    },
    Rate {
        conversation: usize,
        user: &'static str,
        answer: Value,
    },
    Nps {
        user: &'static str,
        score: u8,
    },
    /// A manager sends the month's broadcast.
    Broadcast,
    /// A recipient answers the broadcast in its conversation.
    AnswerBroadcast {
        conversation: usize,
        user: &'static str,
        body: &'static str,
    },
}

pub struct Event {
    pub at: DateTime<Utc>,
    pub step: Step,
}

pub struct Plan {
    /// In time order.
    pub events: Vec<Event>,
    pub conversations: usize,
}

/// Relative weights of the hour (SAST) a support question is asked in.
const ASKING_HOURS: [u32; 24] = [
    1, 0, 0, 0, 0, 1, 3, 6, 10, 12, 12, 11, 9, 10, 11, 10, 8, 6, 5, 5, 4, 3, 2, 1,
];
/// Buyers write to sellers more in the evening.
const BROWSING_HOURS: [u32; 24] = [
    0, 0, 0, 0, 0, 0, 1, 3, 4, 4, 4, 5, 6, 5, 4, 4, 5, 6, 8, 9, 9, 7, 4, 1,
];
/// Categories' shares of support questions: general, payment, account, technical,
/// complaint.
const CATEGORIES: [(&str, u32); 5] = [
    ("general", 38),
    ("payment", 18),
    ("account", 12),
    ("technical", 17),
    ("complaint", 15),
];
/// Net Promoter answers 0–10: about half promoters, one in six detractors.
const NPS_SCORES: [u32; 11] = [0, 0, 1, 1, 1, 2, 3, 6, 9, 14, 12];

/// A fixed-seed generator (SplitMix64): the same month every run, without a crate.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn minutes(&mut self, from: i64, to: i64) -> Duration {
        Duration::minutes(from + (self.next() % (to - from + 1) as u64) as i64)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut roll = self.next() % total.max(1);
        for (i, weight) in weights.iter().enumerate() {
            if roll < u64::from(*weight) {
                return i;
            }
            roll -= u64::from(*weight);
        }
        weights.len() - 1
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The local (South African) time of an instant.
fn local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&HOME_TIME_ZONE).naive_local()
}

/// The instant of a local time (South Africa keeps no daylight saving: every local time
/// is one instant).
fn instant(local: NaiveDateTime) -> DateTime<Utc> {
    HOME_TIME_ZONE
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(
            || Utc.from_utc_datetime(&local),
            |at| at.with_timezone(&Utc),
        )
}

/// When agents work: weekdays 08:00–17:00 and Saturday mornings; urgent questions also
/// reach the senior on call, 07:00–21:00 every day.
fn staffed(at: DateTime<Utc>, urgent: bool) -> bool {
    let time = local(at);
    let hour = time.hour();
    let office = match time.weekday() {
        Weekday::Sat => (9..13).contains(&hour),
        Weekday::Sun => false,
        _ => (8..17).contains(&hour),
    };
    office || (urgent && (7..21).contains(&hour))
}

/// Users write between 06:00 and 23:00.
fn awake(at: DateTime<Utc>) -> bool {
    (6..23).contains(&local(at).hour())
}

/// The first quarter hour from `at` that is `open` (a long weekend at most).
fn first_from(at: DateTime<Utc>, open: impl Fn(DateTime<Utc>) -> bool) -> DateTime<Utc> {
    let mut time = at;
    for _ in 0..4 * 24 * 4 {
        if open(time) {
            break;
        }
        time += Duration::minutes(15);
    }
    time
}

fn seller_of(listing: &str) -> &'static str {
    LISTINGS
        .iter()
        .chain(MORE_LISTINGS)
        .find(|l| l.id == listing)
        .map_or("pieter", |l| l.seller)
}

/// The month from `start` to `end` (local midnights), planned.
pub fn month(start: DateTime<Utc>, end: DateTime<Utc>) -> Plan {
    let mut planner = Planner {
        dice: Dice(2026),
        events: Vec::new(),
        conversations: 0,
        // Everything ends half an hour before the month does: nothing reaches the next.
        last: end - Duration::minutes(30),
        chatted: BTreeSet::new(),
    };
    let first = local(start).date();
    let days = (local(end).date() - first).num_days();
    for day in 0..days {
        let date = first + Duration::days(day);
        let (questions, chats) = match date.weekday() {
            Weekday::Sat => (4, 2),
            Weekday::Sun => (3, 2),
            _ => (7 + planner.dice.below(3), 1),
        };
        for _ in 0..questions {
            let asked = planner.time_on(date, &ASKING_HOURS);
            planner.support(asked);
        }
        for _ in 0..chats {
            let asked = planner.time_on(date, &BROWSING_HOURS);
            planner.chat(asked);
        }
    }
    for user in MEMBERS {
        // Most answer the quarter's Net Promoter question when the website asks.
        if planner.dice.chance(70) {
            let date = first + Duration::days(planner.dice.below(days as usize) as i64);
            let at = planner.time_on(date, &BROWSING_HOURS);
            let score = planner.dice.weighted(&NPS_SCORES) as u8;
            planner.push(
                at,
                Step::Nps {
                    user: user.sub,
                    score,
                },
            );
        }
    }
    planner.broadcast(first);
    let Planner {
        mut events,
        conversations,
        last,
        ..
    } = planner;
    events.retain(|event| event.at <= last);
    events.sort_by_key(|event| event.at);
    Plan {
        events,
        conversations,
    }
}

struct Planner {
    dice: Dice,
    events: Vec<Event>,
    conversations: usize,
    /// Nothing happens after this.
    last: DateTime<Utc>,
    /// A buyer writes to a listing's seller once.
    chatted: BTreeSet<(&'static str, &'static str)>,
}

impl Planner {
    fn push(&mut self, at: DateTime<Utc>, step: Step) {
        self.events.push(Event { at, step });
    }

    /// When someone working `urgent` questions gets to what arrived at `at`: at once if
    /// they are working, else some time after they start (a night's backlog takes the
    /// morning, not the first minute).
    fn staffed_from(&mut self, at: DateTime<Utc>, urgent: bool) -> DateTime<Utc> {
        if staffed(at, urgent) {
            return at;
        }
        let start = first_from(at, |t| staffed(t, urgent));
        let later = start + self.dice.minutes(5, 150);
        if staffed(later, urgent) { later } else { start }
    }

    /// When a user next writes, from `at`: at night, some time after they wake.
    fn awake_from(&mut self, at: DateTime<Utc>) -> DateTime<Utc> {
        if awake(at) {
            return at;
        }
        first_from(at, awake) + self.dice.minutes(0, 180)
    }

    fn next_conversation(&mut self) -> usize {
        self.conversations += 1;
        self.conversations - 1
    }

    /// A time on `date` in an hour drawn by `weights`.
    fn time_on(&mut self, date: NaiveDate, weights: &[u32; 24]) -> DateTime<Utc> {
        let hour = self.dice.weighted(weights) as u32;
        let minute = self.dice.below(60) as u32;
        let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default();
        instant(date.and_time(time))
    }

    /// Who in a category's team answers.
    fn agent_for(&mut self, category: &str) -> &'static str {
        match category {
            "payment" => "agent-bongi",
            "technical" => "agent-thabo",
            _ if self.dice.chance(60) => "agent-sam",
            _ => "agent-naledi",
        }
    }

    /// How long a question waits for the team to get to it: mostly within the hour, some
    /// for hours; a few general ones are forgotten for two days, past their 24 business
    /// hours (the agents' hours add the rest).
    fn first_wait(&mut self, urgent: bool) -> (Duration, bool) {
        if !urgent && self.dice.chance(6) {
            return (self.dice.minutes(40 * 60, 52 * 60), true);
        }
        let wait = match self.dice.weighted(&[35, 30, 22, 13]) {
            0 => self.dice.minutes(2, 9),
            1 => self.dice.minutes(10, 45),
            2 => self.dice.minutes(45, 180),
            _ => self.dice.minutes(180, 420),
        };
        (wait, false)
    }

    /// One support conversation asked at `asked`, to its end: resolved (most), or
    /// pending on the user; never left waiting on an admin.
    fn support(&mut self, asked: DateTime<Utc>) {
        let user = self.dice.pick(MEMBERS);
        let weights = CATEGORIES.map(|(_, weight)| weight);
        let category = CATEGORIES[self.dice.weighted(&weights)].0;
        let topics: Vec<&'static Topic> =
            TOPICS.iter().filter(|t| t.category == category).collect();
        let topic = *self.dice.pick(&topics);
        let listing = topic.about_listing.then(|| {
            let active: Vec<&'static str> = LISTINGS
                .iter()
                .chain(MORE_LISTINGS)
                .filter(|l| l.status == ListingStatus::Active)
                .map(|l| l.id)
                .collect();
            *self.dice.pick(&active)
        });
        let urgent = topic.urgent();
        let conversation = self.next_conversation();
        let mut steps = vec![(
            asked,
            Step::Ask {
                conversation,
                user,
                topic,
                listing,
            },
        )];

        let (wait, forgotten) = self.first_wait(urgent);
        let answered = self.staffed_from(asked + wait, urgent);
        let waited = answered - asked;
        // Late: the SLA check has escalated it to the seniors (then the managers), who answer.
        let late = forgotten || (urgent && waited > Duration::hours(4));
        let agent = if late {
            if waited > Duration::hours(6) && self.dice.chance(40) {
                "manager-max"
            } else {
                "senior-sue"
            }
        } else if !staffed(answered, false) {
            "senior-sue"
        } else if category == "complaint" && self.dice.chance(20) {
            "manager-max"
        } else {
            self.agent_for(category)
        };
        if let Some(note) = topic.note
            && waited >= Duration::minutes(5)
            && self.dice.chance(60)
        {
            let noted = (answered - self.dice.minutes(2, 4)).max(asked + Duration::minutes(1));
            steps.push((
                noted,
                Step::Note {
                    conversation,
                    agent,
                    body: note,
                },
            ));
        }
        let sorry = if late { "Sorry for the wait. " } else { "" };
        let first_answer = format!(
            "{sorry}{}",
            topic.answer.replace("{first}", user.first_name())
        );
        // Resolved by the answer; by a second one after the user's follow-up; by the user
        // confirming; left pending; pending again after the follow-up.
        let ending = self.dice.weighted(&[50, 28, 7, 8, 7]);
        steps.push((
            answered,
            Step::Reply {
                conversation,
                agent,
                body: first_answer,
                resolve: ending == 0,
            },
        ));
        // Pending: waiting on the user since then.
        let mut waiting = None;
        let resolved = match ending {
            0 => Some(answered),
            3 => {
                waiting = Some(answered);
                None
            }
            _ => {
                let wait = self.dice.minutes(20, 1200);
                let wrote = self.awake_from(answered + wait);
                if ending == 2 {
                    steps.push((
                        wrote,
                        Step::Confirm {
                            conversation,
                            user: user.sub,
                        },
                    ));
                    Some(wrote)
                } else {
                    steps.push((
                        wrote,
                        Step::Write {
                            conversation,
                            from: user.sub,
                            body: topic.follow_up,
                        },
                    ));
                    let wait = match self.dice.weighted(&[60, 30, 10]) {
                        0 => self.dice.minutes(3, 40),
                        1 => self.dice.minutes(40, 180),
                        _ => self.dice.minutes(180, 480),
                    };
                    let again = self.staffed_from(wrote + wait, urgent);
                    let agent = if staffed(again, false) {
                        agent
                    } else {
                        "senior-sue"
                    };
                    let resolve = ending == 1;
                    steps.push((
                        again,
                        Step::Reply {
                            conversation,
                            agent,
                            body: topic.second_answer.to_string(),
                            resolve,
                        },
                    ));
                    if !resolve {
                        waiting = Some(again);
                    }
                    resolve.then_some(again)
                }
            }
        };
        if let Some(since) = waiting {
            // Three days without a word from the user: the agent closes it (unless the
            // month ends first, and it stays pending).
            let closed = self.staffed_from(since + Duration::days(3), false);
            steps.push((
                closed,
                Step::Close {
                    conversation,
                    agent,
                },
            ));
        }
        if let Some(resolved) = resolved
            && self.dice.chance(65)
        {
            let wait = self.dice.minutes(10, 1200);
            let rated = self.awake_from(resolved + wait);
            let answer = self.rating(waited);
            steps.push((
                rated,
                Step::Rate {
                    conversation,
                    user: user.sub,
                    answer,
                },
            ));
        }
        self.keep_answered(steps);
    }

    /// Stars as people give them: mostly 4–5 for a quick answer, lower the longer the
    /// wait; sometimes the three scores and a comment too.
    fn rating(&mut self, waited: Duration) -> Value {
        let (weights, timeliness) = if waited <= Duration::minutes(30) {
            ([0, 0, 1, 2, 7], 5)
        } else if waited <= Duration::hours(4) {
            ([0, 1, 2, 4, 4], 4)
        } else {
            ([2, 2, 3, 2, 1], 2)
        };
        let stars = self.dice.weighted(&weights) as i64 + 1;
        let mut answer = json!({ "stars": stars });
        if self.dice.chance(50) {
            let clarity = (stars + self.dice.below(3) as i64 - 1).clamp(1, 5);
            answer["clarity"] = json!(clarity);
            answer["timeliness"] = json!(timeliness);
            answer["helpfulness"] = json!(stars);
        }
        if self.dice.chance(25) {
            let comments = if stars >= 4 { PRAISE } else { GRUMBLES };
            answer["comment"] = json!(self.dice.pick(comments));
        }
        answer
    }

    /// Keeps what happens within the month, up to the last answer: nothing of last month
    /// waits on an admin in today's queue. A question the month leaves unanswered is left
    /// out.
    fn keep_answered(&mut self, mut steps: Vec<(DateTime<Utc>, Step)>) {
        while steps.last().is_some_and(|(at, _)| *at > self.last)
            || matches!(
                steps.last(),
                Some((_, Step::Write { .. } | Step::Note { .. }))
            )
        {
            steps.pop();
        }
        if steps.len() > 1 {
            for (at, step) in steps {
                self.push(at, step);
            }
        }
    }

    /// A buyer writes to a listing's seller, who mostly answers; some go on.
    fn chat(&mut self, asked: DateTime<Utc>) {
        let chat: &'static Chat = self.dice.pick(CHATS);
        let seller = seller_of(chat.listing);
        let buyer = self.dice.pick(MEMBERS).sub;
        if buyer == seller || !self.chatted.insert((buyer, chat.listing)) {
            return;
        }
        let conversation = self.next_conversation();
        self.push(
            asked,
            Step::Chat {
                conversation,
                buyer,
                listing: chat.listing,
                body: chat.ask,
            },
        );
        if !self.dice.chance(90) {
            return;
        }
        let wait = self.dice.minutes(10, 360);
        let answered = self.awake_from(asked + wait);
        let write = |at, from, body| {
            (
                at,
                Step::Write {
                    conversation,
                    from,
                    body,
                },
            )
        };
        let mut steps = vec![write(answered, seller, chat.answer)];
        if self.dice.chance(60) {
            let wait = self.dice.minutes(5, 180);
            let more = self.awake_from(answered + wait);
            steps.push(write(more, buyer, chat.more));
            if self.dice.chance(75) {
                let wait = self.dice.minutes(10, 240);
                let last = self.awake_from(more + wait);
                steps.push(write(last, seller, chat.last));
            }
        }
        for (at, step) in steps {
            self.push(at, step);
        }
    }

    /// On the month's second Tuesday at 10:00 a manager tells premium members about a
    /// weekend offer; two of them ask about it in the broadcast's conversation.
    fn broadcast(&mut self, first: NaiveDate) {
        let tuesday = (7..14)
            .map(|day| first + Duration::days(day))
            .find(|date| date.weekday() == Weekday::Tue)
            .unwrap_or(first);
        let sent = instant(tuesday.and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default()));
        self.push(sent, Step::Broadcast);
        for (n, (user, question, answer)) in BROADCAST_QUESTIONS.iter().enumerate() {
            let conversation = self.next_conversation();
            let asked = sent + Duration::hours(2 + 23 * n as i64);
            let wait = self.dice.minutes(5, 50);
            let answered = self.staffed_from(asked + wait, false);
            let first_name = MEMBERS
                .iter()
                .find(|m| m.sub == *user)
                .map_or(*user, |m| m.first_name());
            let agent = self.agent_for("general");
            self.push(
                asked,
                Step::AnswerBroadcast {
                    conversation,
                    user,
                    body: question,
                },
            );
            self.push(
                answered,
                Step::Reply {
                    conversation,
                    agent,
                    body: answer.replace("{first}", first_name),
                    resolve: true,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn november() -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |text| {
            DateTime::parse_from_rfc3339(text)
                .expect("an RFC 3339 time")
                .to_utc()
        };
        (at("2026-10-31T22:00:00Z"), at("2026-11-30T22:00:00Z"))
    }

    /// The conversation a step is in, and whether it leaves it waiting on someone else
    /// (an admin, in a support conversation).
    fn conversation_of(step: &Step) -> Option<(usize, bool)> {
        match step {
            Step::Ask { conversation, .. }
            | Step::Write { conversation, .. }
            | Step::AnswerBroadcast { conversation, .. } => Some((*conversation, true)),
            Step::Chat { conversation, .. }
            | Step::Reply { conversation, .. }
            | Step::Close { conversation, .. }
            | Step::Confirm { conversation, .. }
            | Step::Rate { conversation, .. } => Some((*conversation, false)),
            Step::Note { .. } | Step::Nps { .. } | Step::Broadcast => None,
        }
    }

    #[test]
    fn the_month_is_the_same_every_time() {
        let (start, end) = november();
        let times = |plan: Plan| plan.events.iter().map(|e| e.at).collect::<Vec<_>>();
        assert_eq!(times(month(start, end)), times(month(start, end)));
    }

    #[test]
    fn every_question_is_answered_within_the_month() {
        let (start, end) = november();
        let plan = month(start, end);
        assert!(plan.events.iter().all(|e| e.at > start && e.at < end));
        assert!(plan.events.windows(2).all(|w| w[0].at <= w[1].at));
        let support: BTreeSet<usize> = plan
            .events
            .iter()
            .filter_map(|e| match e.step {
                Step::Ask { conversation, .. } | Step::AnswerBroadcast { conversation, .. } => {
                    Some(conversation)
                }
                _ => None,
            })
            .collect();
        let mut waiting = std::collections::BTreeMap::new();
        for event in &plan.events {
            if let Some((conversation, waits)) = conversation_of(&event.step)
                && support.contains(&conversation)
            {
                waiting.insert(conversation, waits);
            }
        }
        assert_eq!(waiting.len(), support.len());
        assert!(
            waiting.values().all(|waits| !waits),
            "the month leaves no question waiting on an admin"
        );
    }

    #[test]
    fn the_month_has_every_kind_of_traffic() {
        let (start, end) = november();
        let plan = month(start, end);
        let count = |f: fn(&Step) -> bool| plan.events.iter().filter(|e| f(&e.step)).count();
        let questions = count(|s| matches!(s, Step::Ask { .. }));
        assert!((180..=300).contains(&questions), "{questions} questions");
        assert!(count(|s| matches!(s, Step::Chat { .. })) >= 25);
        assert!(count(|s| matches!(s, Step::Rate { .. })) >= 80);
        assert!(count(|s| matches!(s, Step::Nps { .. })) >= 15);
        assert!(count(|s| matches!(s, Step::Close { .. })) >= 5);
        assert_eq!(count(|s| matches!(s, Step::Broadcast)), 1);
        for (category, _) in CATEGORIES {
            assert!(
                plan.events.iter().any(
                    |e| matches!(e.step, Step::Ask { topic, .. } if topic.category == category)
                ),
                "{category}"
            );
        }
    }
}
