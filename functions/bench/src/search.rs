//! Search: what indexing a message costs beside the message's own writes, at realistic
//! lengths; and what a query costs and how fast it answers at 10,000, 100,000 and
//! 1,000,000 indexed messages of one team (`GET /v1/admin/search` through the router,
//! the page's hydration included), beside a brute-force scan of the same messages.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use common::domain::clock::{Clock, ManualClock};
use common::domain::conversation::Conversation;
use common::domain::identity::Team;
use common::domain::search::{Scope, SearchQuery, message_documents};
use common::domain::{Category, ConversationType, Message, Priority, SenderRole, Status};
use common::store::table::capacity::write_units;
use common::store::table::embedded::EmbeddedTable;
use common::store::table::{
    Index, Item, Key, Page, Query, SortKey, Table, TableError, TableMetrics, WriteOp,
};
use common::store::{conversation_writes, message_write, messages_partition, retention};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::*;

/// A vocabulary with Zipf-like frequencies: word `n` is about `1/(n+1)` as common as
/// the first, as in real text. Words are made of syllables, some with a capital or an
/// accent, so folding is exercised.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new(size: usize) -> Self {
        let syllables = [
            "ka", "lo", "mi", "ne", "tu", "ra", "so", "vi", "de", "ba", "zo", "pe", "ri", "gu",
            "ha", "ché",
        ];
        let words = (0..size)
            .map(|n| {
                let mut word = String::new();
                let mut rest = n + 17;
                for _ in 0..3 {
                    word.push_str(syllables[rest % syllables.len()]);
                    rest /= syllables.len();
                }
                if n % 5 == 0 {
                    word[..1].to_uppercase() + &word[1..]
                } else {
                    word
                }
            })
            .collect();
        let mut total = 0.0;
        let cumulative = (0..size)
            .map(|n| {
                total += 1.0 / (n as f64 + 1.0);
                total
            })
            .collect();
        Self { words, cumulative }
    }

    fn pick(&self, random: &mut Random) -> &str {
        let total = self.cumulative[self.cumulative.len() - 1];
        let at = random.unit() * total;
        let n = self.cumulative.partition_point(|c| *c < at);
        &self.words[n.min(self.words.len() - 1)]
    }

    /// A message of `words` words: as in real chat, about 45% are function words
    /// (which are not indexed), the rest drawn by frequency.
    fn sentence(&self, random: &mut Random, words: usize) -> String {
        const FUNCTION_WORDS: &[&str] = &[
            "the", "to", "I", "and", "a", "you", "it", "is", "my", "of", "for", "on", "in", "this",
            "have", "can", "do", "please", "that", "with", "was", "me", "what", "thanks",
        ];
        (0..words)
            .map(|_| {
                if random.unit() < 0.45 {
                    FUNCTION_WORDS[random.next() as usize % FUNCTION_WORDS.len()]
                } else {
                    self.pick(random)
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A small deterministic generator (the figures repeat run to run).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }
    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 53) as f64
    }
}

/// The table, counting rounds of latency: a round starts when a call goes out with
/// none in flight, so calls sent at once are one round.
struct Rounds {
    inner: Arc<EmbeddedTable>,
    in_flight: AtomicUsize,
    rounds: AtomicUsize,
}

impl Rounds {
    async fn timed<T>(&self, call: impl std::future::Future<Output = T>) -> T {
        if self.in_flight.fetch_add(1, Ordering::SeqCst) == 0 {
            self.rounds.fetch_add(1, Ordering::SeqCst);
        }
        let output = call.await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        output
    }
}

#[async_trait::async_trait]
impl Table for Rounds {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, TableError> {
        self.timed(self.inner.get(key, consistent)).await
    }
    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        // Yield first, as a network call would, so that queries sent together overlap.
        self.timed(async {
            tokio::task::yield_now().await;
            self.inner.query(query).await
        })
        .await
    }
    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), TableError> {
        self.timed(self.inner.write(ops)).await
    }
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, TableError> {
        self.timed(self.inner.get_many(keys)).await
    }
    async fn write_each(&self, ops: Vec<WriteOp>) -> Result<(), TableError> {
        self.timed(self.inner.write_each(ops)).await
    }
    fn metrics(&self) -> &TableMetrics {
        self.inner.metrics()
    }
}

fn support_conversation(n: usize, at: DateTime<Utc>) -> Conversation {
    Conversation {
        id: format!("C{n:025}"),
        kind: ConversationType::Support,
        listing_id: None,
        subject: "Help".into(),
        category: Category::General,
        priority: Priority::Normal,
        status: Status::Open,
        created_by: format!("bench-user-{}", n % 5_000),
        participants: vec![format!("bench-user-{}", n % 5_000)],
        team: Some(Team::Support),
        assignee: None,
        created_at: at,
        last_message_at: at,
        last_message_id: String::new(),
        unread: BTreeMap::new(),
        read_marks: BTreeMap::new(),
        contacts: BTreeMap::new(),
        sla: None,
        resolved_at: None,
        snoozed_until: None,
        merged_from: Vec::new(),
        merged_into: None,
        broadcast_id: None,
        version: 1,
    }
}

pub(crate) async fn search(secret: &str) -> anyhow::Result<()> {
    index_cost(secret).await?;
    query_cost(secret).await
}

/// Indexing beside the message's own writes: a support message of each length through
/// the API, its index entries as notify writes them (user's scope and team's).
async fn index_cost(secret: &str) -> anyhow::Result<()> {
    println!(
        "search: indexing a support message (its user's scope and its team's), beside the message's own writes"
    );
    println!(
        "{:>7} {:>10} {:>16} {:>14} {:>8} {:>22}",
        "words", "entries", "index WCU", "message WCU", "ratio", "index USD / 1,000 msgs"
    );
    let vocabulary = Vocabulary::new(5_000);
    let mut random = Random(11);
    for words in [8, 20, 40, 80, 200] {
        let table = Arc::new(EmbeddedTable::in_memory());
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let system = bench_system(table.clone(), clock.clone(), secret).await?;
        let router = system.router();
        let user = token(secret, "bench-user", &[]);
        let opening = json!({"type": "support", "category": "general", "subject": "Help", "body": "Opening my question"});
        let created = call(
            &router,
            request("POST", "/v1/conversations", &user, Some(&opening)),
        )
        .await?;
        let id = created["conversation"]["id"]
            .as_str()
            .context("id")?
            .to_string();
        let (mut index_units, mut message_units, mut entries) = (0, 0, 0);
        let samples = 50;
        for _ in 0..samples {
            let body = json!({"body": vocabulary.sentence(&mut random, words)});
            let before = table.metrics().snapshot();
            let sent = post_message(&router, &id, &user, &body).await?;
            message_units += (table.metrics().snapshot() - before).write_units;
            let message: Message = serde_json::from_value(sent)?;
            let item = table
                .get(&common::store::conversation_key(&id), false)
                .await?
                .context("the conversation")?;
            let conversation: Conversation = common::store::table::from_item(item)?;
            let expires = (message.created_at + retention()).timestamp();
            for (scope, document) in message_documents(&conversation, &message) {
                for (_, item) in common::store::search::entries(&scope, &document, expires) {
                    entries += 1;
                    index_units += write_units(None, Some(&item), false);
                }
            }
        }
        let per = |n: u64| n as f64 / samples as f64;
        println!(
            "{:>7} {:>10.1} {:>16.1} {:>14.1} {:>7.1}× {:>22.4}",
            words,
            per(entries),
            per(index_units),
            per(message_units),
            per(index_units) / per(message_units),
            per(index_units) * 1_000.0 * 0.625 / 1e6,
        );
    }
    println!(
        "  message WCU: the POST's own writes (message, conversation and inbox row in one transaction, rate counters); \
         index WCU: BatchWriteItem, 1 unit an entry under 1 KB; USD at 0.625 a million writes\n"
    );
    Ok(())
}

/// One team's conversations of 20 messages each, `messages` in all, written directly
/// with their index entries (as notify would leave them).
async fn corpus(
    table: &EmbeddedTable,
    vocabulary: &Vocabulary,
    messages: usize,
) -> anyhow::Result<()> {
    let mut random = Random(29);
    let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")?.to_utc();
    let per_conversation = 20;
    let mut writes: Vec<WriteOp> = Vec::new();
    for c in 0..messages.div_ceil(per_conversation) {
        let at = start + chrono::Duration::seconds(c as i64 * 300);
        let mut conversation = support_conversation(c, at);
        let mut bodies = Vec::new();
        for m in 0..per_conversation {
            let words = 4 + (random.next() % 25) as usize;
            let created = at + chrono::Duration::seconds(m as i64 * 10);
            let sender = if m % 2 == 0 {
                SenderRole::User
            } else {
                SenderRole::Admin
            };
            let message = Message::new(
                format!("M{c:015}{m:010}"),
                conversation.id.clone(),
                conversation.created_by.clone(),
                sender,
                vocabulary.sentence(&mut random, words),
                created,
                false,
            );
            conversation.last_message_at = created;
            conversation.last_message_id = message.id.clone();
            bodies.push(message);
        }
        for op in conversation_writes(&conversation, None)? {
            table.write(vec![op]).await?;
        }
        for message in &bodies {
            if let WriteOp::Put { item, .. } = message_write(message)? {
                writes.push(WriteOp::Put {
                    item,
                    condition: None,
                });
            }
            let expires = (message.created_at + retention()).timestamp();
            for (scope, document) in message_documents(&conversation, message) {
                if scope != Scope::Team(Team::Support) {
                    continue;
                }
                for (_, item) in common::store::search::entries(&scope, &document, expires) {
                    writes.push(WriteOp::Put {
                        item,
                        condition: None,
                    });
                }
            }
        }
        if writes.len() > 10_000 {
            table.write_each(std::mem::take(&mut writes)).await?;
        }
    }
    table.write_each(writes).await?;
    Ok(())
}

/// Every message of the team's conversations read and matched: the floor an index must
/// beat. Returns the matches, the round trips and RCU, and the time.
async fn brute_force(
    table: &EmbeddedTable,
    query: &SearchQuery,
    conversations: usize,
) -> anyhow::Result<(usize, u64, f64, Duration)> {
    let before = table.metrics().snapshot();
    let started = Instant::now();
    let mut matches = 0;
    for c in 0..conversations {
        let id = format!("C{c:025}");
        let mut start = None;
        loop {
            let page = table
                .query(
                    &Query::partition(Index::Table, messages_partition(&id))
                        .sort(SortKey::BeginsWith("MSG#".into()))
                        .start(start)
                        .eventually_consistent(),
                )
                .await?;
            for item in page.items {
                let message: Message = common::store::table::from_item(item)?;
                if query.matches(&message.body) {
                    matches += 1;
                }
            }
            match page.last {
                Some(last) => start = Some(last),
                None => break,
            }
        }
    }
    let used = table.metrics().snapshot() - before;
    Ok((
        matches,
        used.round_trips,
        used.read_units,
        started.elapsed(),
    ))
}

/// Queries through the router at three sizes, beside the brute-force scan.
async fn query_cost(secret: &str) -> anyhow::Result<()> {
    println!(
        "search: GET /v1/admin/search by an agent of the team, first page of 20, through the router \
         (index reads and the page's batch read), beside a scan of the same messages"
    );
    println!(
        "{:>10} {:>11} {:>8} {:>13} {:>9} {:>9} {:>9} {:>15} {:>14}",
        "messages",
        "query",
        "results",
        "rounds (calls)",
        "RCU",
        "p50 ms",
        "p99 ms",
        "scan matches",
        "scan s / RCU"
    );
    let vocabulary = Vocabulary::new(5_000);
    // A word of middling frequency, the prefix of another, and three words together.
    let one = vocabulary.words[40].to_lowercase();
    let prefix: String = vocabulary.words[7].to_lowercase().chars().take(4).collect();
    let three = format!(
        "{} {} {}",
        vocabulary.words[3], vocabulary.words[12], vocabulary.words[30]
    );
    for messages in [10_000usize, 100_000, 1_000_000] {
        let table = Arc::new(EmbeddedTable::in_memory());
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(Utc::now()));
        let written = Instant::now();
        corpus(&table, &vocabulary, messages).await?;
        let written = written.elapsed();
        let rounds = Arc::new(Rounds {
            inner: table.clone(),
            in_flight: AtomicUsize::new(0),
            rounds: AtomicUsize::new(0),
        });
        let system =
            local::Local::new(rounds.clone(), clock, secret, None, local::DEFAULT_BASE_URL);
        let router = system.router();
        let agent = token(secret, "bench-agent", &["agent", "team-support"]);
        for (name, q) in [
            ("one word", one.as_str()),
            ("prefix", prefix.as_str()),
            ("three words", three.as_str()),
        ] {
            let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let path = format!("/v1/admin/search?q={encoded}");
            let samples = if messages >= 1_000_000 { 100 } else { 200 };
            let mut latencies = Vec::with_capacity(samples);
            let mut results = 0;
            let before = table.metrics().snapshot();
            let rounds_before = rounds.rounds.load(Ordering::SeqCst);
            for _ in 0..samples {
                let started = Instant::now();
                let page = call(&router, request("GET", &path, &agent, None)).await?;
                latencies.push(started.elapsed());
                results = page["items"].as_array().map_or(0, Vec::len);
            }
            let used = table.metrics().snapshot() - before;
            let latency_rounds = rounds.rounds.load(Ordering::SeqCst) - rounds_before;
            latencies.sort();
            let query = SearchQuery::parse(q)?;
            let (matches, _, scan_rcu, scan_time) =
                brute_force(&table, &query, messages.div_ceil(20)).await?;
            println!(
                "{:>10} {:>11} {:>8} {:>7.1} ({:.1}) {:>9.1} {:>9.2} {:>9.2} {:>15} {:>8.2} / {:.0}",
                messages,
                name,
                results,
                latency_rounds as f64 / samples as f64,
                used.round_trips as f64 / samples as f64,
                used.read_units / samples as f64,
                percentile(&latencies, 0.50).as_secs_f64() * 1e3,
                percentile(&latencies, 0.99).as_secs_f64() * 1e3,
                matches,
                scan_time.as_secs_f64(),
                scan_rcu,
            );
        }
        println!(
            "  ({messages} messages written with their entries in {:.1} s; queries: \"{one}\", \"{prefix}\", \"{three}\")",
            written.as_secs_f64()
        );
    }
    println!(
        "  rounds: round trips of latency (calls sent at once count as one; the token check and \
         the rest of the request make none); calls: every call to the table\n"
    );
    Ok(())
}
