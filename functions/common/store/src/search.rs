//! The search index, in the table: for each scope that may find a document, one entry
//! per group of its terms (a passage's distinct first three letters), each carrying the
//! passage's terms. A query reads, per word, one partition of each of the caller's
//! scopes, newest first, and checks every word on the entries themselves; no scan, no
//! cluster. Written from the stream by notify; read by `messaging::search`.
//!
//! **Completeness.** A document with every query word has an entry in each word's
//! group, so any one group's entries, read newest first down to some point, hold every
//! match above that point. Reading all the words' groups at once, the deepest read
//! (the rarest word's) decides how far the results are complete: [`find`] returns the
//! matches above that line, and where to go on from.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use domain::search::{Document, Scope, SearchQuery, group, passages};
use futures_util::future::join_all;

use crate::keys::{search_entry_key, search_entry_of, search_partition};
use crate::table::schema::TTL;
use crate::table::{Index, Item, Key, Query, SortKey, Table, TableError, Value, WriteOp};

/// An entry's attribute: its passage's terms, space-separated, sorted.
const TERMS: &str = "terms";

/// The entries that make `document` findable in `scope`, and until when (its TTL).
pub fn entries(scope: &Scope, document: &Document, expires_at: i64) -> Vec<(Key, Item)> {
    let mut entries = Vec::new();
    for (passage, terms) in passages(&document.text).iter().enumerate() {
        let groups: BTreeSet<&str> = terms.iter().map(|t| group(t)).collect();
        let joined = terms.join(" ");
        for group in groups {
            let key = search_entry_key(scope, group, document, passage);
            let item = Item::from([
                ("pk".to_string(), Value::s(&key.pk)),
                ("sk".to_string(), Value::s(&key.sk)),
                (TERMS.to_string(), Value::s(&joined)),
                (TTL.to_string(), Value::n(expires_at)),
            ]);
            entries.push((key, item));
        }
    }
    entries
}

/// What to write to go from the documents `before` to those `after` (each with its
/// scope and expiry): the entries no longer wanted deleted, the new or changed ones
/// put. Nothing when nothing changed, so a record processed twice writes nothing twice
/// (and the same entries are overwritten, never duplicated).
pub fn changes(
    before: &[(Scope, Document, i64)],
    after: &[(Scope, Document, i64)],
) -> Vec<WriteOp> {
    let index = |documents: &[(Scope, Document, i64)]| -> HashMap<Key, Item> {
        documents
            .iter()
            .flat_map(|(scope, document, expires)| entries(scope, document, *expires))
            .collect()
    };
    let (old, new) = (index(before), index(after));
    let mut writes: Vec<WriteOp> = old
        .keys()
        .filter(|key| !new.contains_key(*key))
        .map(|key| WriteOp::Delete {
            key: key.clone(),
            condition: None,
        })
        .collect();
    writes.extend(
        new.into_iter()
            .filter(|(key, item)| old.get(key) != Some(item))
            .map(|(_, item)| WriteOp::Put {
                item,
                condition: None,
            }),
    );
    writes
}

/// Which part of the index a query reads: documents from `since` (inclusive) to before
/// `until`, and, for a next page, only those before the cursor's position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Entries sorting below this (a [`Found::next`]).
    pub before: Option<String>,
}

/// A document whose entry has every word of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its place in the index (`search_document_sort`): newest first.
    pub position: String,
    pub conversation_id: String,
    pub message_id: Option<String>,
    pub scope: Scope,
}

/// What [`find`] found: the matches, newest first, that are certainly all of those
/// above `next`; and `next`, where the following page starts (none: nothing more).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub candidates: Vec<Candidate>,
    pub next: Option<String>,
}

/// Entries read per partition in the first round, and in each further one.
const FIRST_READ: u32 = 100;
const FURTHER_READ: u32 = 1_000;
/// Rounds of reads at most (each round's queries go at once): the page's hydration is
/// the request's third round trip.
const ROUNDS: usize = 2;

/// One partition being read, newest first.
struct List {
    scope: usize,
    partition: String,
    start: Option<Item>,
    /// The lowest document position read so far (`None`: nothing yet).
    reached: Option<String>,
    exhausted: bool,
}

/// The documents in `scopes` matching `query` within `window`, newest first: at least
/// `want` when there are that many within [`ROUNDS`] rounds of reads, and where to go
/// on from. Entries past their expiry (`now`) are not matches, though TTL may not have
/// removed them yet.
pub async fn find(
    table: &dyn Table,
    scopes: &[Scope],
    query: &SearchQuery,
    window: &Window,
    want: usize,
    now: DateTime<Utc>,
) -> Result<Found, TableError> {
    let groups: BTreeSet<&str> = query.terms.iter().map(|t| t.group()).collect();
    let mut lists: Vec<List> = scopes
        .iter()
        .enumerate()
        .flat_map(|(scope, s)| {
            groups.iter().map(move |g| List {
                scope,
                partition: search_partition(s, g),
                start: None,
                reached: None,
                exhausted: false,
            })
        })
        .collect();
    let low = window.since.map_or("0".to_string(), crate::sortable_time);
    let mut high = window.until.map_or("~".to_string(), crate::sortable_time);
    if let Some(before) = &window.before {
        high = high.min(before.clone());
    }
    let now = now.timestamp();
    let mut matches: BTreeMap<String, Candidate> = BTreeMap::new();
    for round in 0..ROUNDS {
        // The first round reads every list; later ones only each scope's deepest (it
        // alone decides how far that scope is complete).
        let reading: Vec<usize> = if round == 0 {
            (0..lists.len()).collect()
        } else {
            deepest_of_incomplete_scopes(&lists, scopes.len())
        };
        if reading.is_empty() {
            break;
        }
        let size = if round == 0 { FIRST_READ } else { FURTHER_READ };
        let pages = join_all(reading.iter().map(|&n| {
            let list = &lists[n];
            let query = Query::partition(Index::Table, &list.partition)
                .sort(SortKey::Between(low.clone(), high.clone()))
                .descending(true)
                .limit(size)
                .start(list.start.clone())
                .eventually_consistent();
            async move { table.query(&query).await }
        }))
        .await;
        for (n, page) in reading.into_iter().zip(pages) {
            let page = page?;
            let list = &mut lists[n];
            for item in &page.items {
                let Some(sk) = item.get("sk").and_then(Value::as_s) else {
                    continue;
                };
                let Some((position, conversation, message)) = search_entry_of(sk) else {
                    continue;
                };
                list.reached = Some(position.to_string());
                let expired = item
                    .get(TTL)
                    .and_then(Value::as_i64)
                    .is_some_and(|at| at <= now);
                let terms: Vec<String> = item
                    .get(TERMS)
                    .and_then(Value::as_s)
                    .map(|t| t.split(' ').map(str::to_string).collect())
                    .unwrap_or_default();
                if !expired && query.matches_terms(&terms) {
                    matches
                        .entry(position.to_string())
                        .or_insert_with(|| Candidate {
                            position: position.to_string(),
                            conversation_id: conversation.to_string(),
                            message_id: message.map(str::to_string),
                            scope: scopes[list.scope].clone(),
                        });
                }
            }
            list.exhausted = page.last.is_none();
            list.start = page.last;
        }
        let line = complete_above(&lists, scopes.len());
        let confirmed = matches
            .keys()
            .rev()
            .take_while(|p| line.as_ref().is_none_or(|l| p.as_str() > l.as_str()))
            .count();
        if confirmed >= want || line.is_none() {
            break;
        }
    }
    let line = complete_above(&lists, scopes.len());
    let candidates: Vec<Candidate> = matches
        .into_values()
        .rev()
        .take_while(|c| {
            line.as_ref()
                .is_none_or(|l| c.position.as_str() > l.as_str())
        })
        .collect();
    // The document on the line may have been read in part: the next page starts just
    // above it ('$' sorts after its entries' '#').
    let next = line.map(|l| format!("{l}$"));
    Ok(Found { candidates, next })
}

/// How far every scope's matches are all read: each scope is complete above the
/// lowest position any of its lists reached (or entirely, once one is exhausted); the
/// results are complete above the highest of those. `None`: complete.
fn complete_above(lists: &[List], scopes: usize) -> Option<String> {
    (0..scopes)
        .filter_map(|scope| scope_line(lists, scope))
        .max()
}

fn scope_line(lists: &[List], scope: usize) -> Option<String> {
    let mine: Vec<&List> = lists.iter().filter(|l| l.scope == scope).collect();
    if mine.iter().any(|l| l.exhausted) {
        return None;
    }
    // A list that has read nothing (and is not exhausted) is complete nowhere.
    mine.iter()
        .map(|l| l.reached.clone().unwrap_or_else(|| "~".into()))
        .min()
}

/// For each scope not yet complete, its list that reached deepest.
fn deepest_of_incomplete_scopes(lists: &[List], scopes: usize) -> Vec<usize> {
    (0..scopes)
        .filter(|scope| scope_line(lists, *scope).is_some())
        .filter_map(|scope| {
            lists
                .iter()
                .enumerate()
                .filter(|(_, l)| l.scope == scope)
                .min_by_key(|(_, l)| l.reached.clone().unwrap_or_else(|| "~".into()))
                .map(|(n, _)| n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::embedded::EmbeddedTable;
    use domain::identity::Team;

    fn document(n: usize, text: &str) -> Document {
        Document {
            conversation_id: format!("c{}", n % 7),
            message_id: Some(format!("m{n:05}")),
            at: DateTime::from_timestamp(1_790_000_000 + n as i64 * 60, 0).unwrap(),
            text: text.to_string(),
        }
    }

    #[test]
    fn changing_nothing_writes_nothing_and_a_change_only_its_difference() {
        let scope = Scope::Team(Team::Billing);
        let before = vec![(scope.clone(), document(1, "double charge on my card"), 9)];
        assert!(changes(&before, &before).is_empty());
        let after = vec![(scope, document(1, "double charge"), 9)];
        let writes = changes(&before, &after);
        let deletes = writes
            .iter()
            .filter(|w| matches!(w, WriteOp::Delete { .. }))
            .count();
        // "card" is gone (its group deleted); the other two groups carry the new terms
        // ("on" and "my" are stop words, never indexed).
        assert_eq!((deletes, writes.len()), (1, 3));
    }

    #[tokio::test]
    async fn pages_of_matches_come_newest_first_each_once_and_all_of_them() {
        let table = EmbeddedTable::in_memory();
        let scopes = [Scope::User("thandi".into()), Scope::Team(Team::Support)];
        let mut documents = Vec::new();
        let mut expected = Vec::new();
        // 1,500 documents; every fifth mentions a corolla, every third a price.
        for n in 0..1_500 {
            let mut text = format!("listing {n} bakkie");
            if n % 5 == 0 {
                text.push_str(" Corolla");
            }
            if n % 3 == 0 {
                text.push_str(" price");
            }
            let scope = scopes[n % 2].clone();
            if n % 15 == 0 {
                expected.push(document(n, &text).message_id.unwrap());
            }
            documents.push((scope, document(n, &text), i64::MAX));
        }
        let writes = changes(&[], &documents);
        table.write_each(writes).await.unwrap();
        let query = SearchQuery::parse("price coro").unwrap();
        let mut window = Window::default();
        let mut found = Vec::new();
        let now = Utc::now();
        loop {
            let page = find(&table, &scopes, &query, &window, 20, now)
                .await
                .unwrap();
            found.extend(page.candidates.iter().take(20).cloned());
            let next = match page.candidates.get(20) {
                Some(_) => Some(page.candidates[19].position.clone()),
                None => page.next,
            };
            match next {
                Some(next) => window.before = Some(next),
                None => break,
            }
        }
        let ids: Vec<String> = found.iter().filter_map(|c| c.message_id.clone()).collect();
        expected.reverse();
        assert_eq!(ids, expected);
    }
}
