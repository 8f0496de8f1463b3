//! Search's rules: how text becomes terms, what a query asks for, whether a text
//! matches it, and the snippet a result shows. Pure: the index that stores the terms is
//! `store::search`, the API that reads it `messaging::search`.
//!
//! * **Words** are Unicode words (UAX #29), folded: accents and other scripts to ASCII
//!   (`café` → `cafe`, `Straße` → `strasse`), lower case, apostrophes dropped (`don't` →
//!   `dont`), and split where letters meet digits or other marks (`R5000` → `r` `5000`,
//!   `example.co.za` → `example` `co` `za`).
//! * **Stop words** (the list below: English function words and greetings, without
//!   `no` and `not`) are not indexed, and a query ignores them unless it has nothing
//!   else.
//!   No stemming: word prefixes cover most of it (`car` finds `cars`, not the reverse).
//! * **Matching**: every query word must match a word of the text, in any order; a
//!   query word of [`PREFIX_CHARS`] or more matches the words it begins (`corol` finds
//!   `Corolla`), a shorter one only itself. A `"quoted phrase"` must also appear as
//!   written, its words in order (its last word may be a prefix).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use unicode_segmentation::UnicodeSegmentation;

use crate::identity::Team;
use crate::{Conversation, ConversationType, Message, Rejection, Result};

/// A query may be at most this long, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// And have at most this many words.
pub const MAX_QUERY_WORDS: usize = 10;
/// Query words this long or longer match as prefixes; the index groups words by their
/// first this many characters.
pub const PREFIX_CHARS: usize = 3;
/// Longer words are indexed (and matched) by their first this many characters.
pub const MAX_TERM_CHARS: usize = 40;
/// A document's terms are stored with each of its index entries; a longer text is cut
/// into passages of at most this many distinct terms, so an entry stays under 1 KB (one
/// write unit).
pub const PASSAGE_TERMS: usize = 80;
/// A snippet is about this many characters of the text around the first hit.
pub const SNIPPET_CHARS: usize = 160;

/// English function words, not indexed: Lucene's English stop set (without `no` and
/// `not`, which change what a message means), pronouns, auxiliaries and question words,
/// and the greetings nearly every message has. They are a third of a chat's words, and
/// nobody searches for them.
const STOP_WORDS: &[&str] = &[
    "a", "am", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did",
    "do", "does", "for", "had", "has", "have", "he", "hello", "her", "hi", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "please",
    "she", "so", "such", "thank", "thanks", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "to", "us", "was", "we", "were", "what", "when", "where", "which",
    "who", "will", "with", "would", "you", "your",
];

pub fn is_stop_word(term: &str) -> bool {
    STOP_WORDS.contains(&term)
}

/// A word of a text: where it is, in characters (`[start, end)`), and its terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub terms: Vec<String>,
}

/// The words of `text`, in order, each with its folded terms.
pub fn words(text: &str) -> Vec<Word> {
    // Byte offsets to character offsets, walking once.
    let mut chars_before = 0;
    let mut bytes_seen = 0;
    let mut words = Vec::new();
    for (at, word) in text.unicode_word_indices() {
        chars_before += text[bytes_seen..at].chars().count();
        bytes_seen = at;
        let length = word.chars().count();
        let terms = fold(word);
        if !terms.is_empty() {
            words.push(Word {
                start: chars_before,
                end: chars_before + length,
                terms,
            });
        }
    }
    words
}

/// One word's terms: folded to lower-case ASCII, split where letters meet digits or
/// other marks.
fn fold(word: &str) -> Vec<String> {
    let ascii = deunicode::deunicode(word).to_ascii_lowercase();
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    for c in ascii.chars() {
        if c == '\'' {
            continue;
        }
        let kind_changed = !current.is_empty() && c.is_ascii_digit() != digits;
        if !c.is_ascii_alphanumeric() || kind_changed {
            if !current.is_empty() {
                terms.push(std::mem::take(&mut current));
            }
            if !c.is_ascii_alphanumeric() {
                continue;
            }
        }
        digits = c.is_ascii_digit();
        current.push(c);
    }
    if !current.is_empty() {
        terms.push(current);
    }
    for term in &mut terms {
        term.truncate(MAX_TERM_CHARS);
    }
    terms
}

/// The terms `text` is found by, in passages of at most [`PASSAGE_TERMS`] distinct
/// terms each (sorted); stop words left out. Empty for a text with no words.
pub fn passages(text: &str) -> Vec<Vec<String>> {
    let mut passages = Vec::new();
    let mut current = BTreeSet::new();
    for word in words(text) {
        for term in word.terms {
            if is_stop_word(&term) {
                continue;
            }
            if current.len() == PASSAGE_TERMS && !current.contains(&term) {
                passages.push(std::mem::take(&mut current).into_iter().collect());
            }
            current.insert(term);
        }
    }
    if !current.is_empty() {
        passages.push(current.into_iter().collect());
    }
    passages
}

/// Where a term's index entries are kept: its first [`PREFIX_CHARS`] characters, or
/// the whole of a shorter term.
pub fn group(term: &str) -> &str {
    match term.char_indices().nth(PREFIX_CHARS) {
        Some((at, _)) => &term[..at],
        None => term,
    }
}

/// A term as a query asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    pub term: String,
    /// Matches the words it begins (long enough), or only itself.
    pub prefix: bool,
}

impl QueryTerm {
    fn new(term: String) -> Self {
        let prefix = term.chars().count() >= PREFIX_CHARS;
        Self { term, prefix }
    }

    /// Whether a word's term is this one (or begins with it).
    pub fn matches(&self, term: &str) -> bool {
        if self.prefix {
            term.starts_with(&self.term)
        } else {
            term == self.term
        }
    }

    /// Whether any of sorted `terms` matches (a binary search, then a look at the next).
    fn found_in(&self, terms: &[String]) -> bool {
        let at = terms.partition_point(|t| t.as_str() < self.term.as_str());
        terms.get(at).is_some_and(|t| self.matches(t))
    }

    /// The index group to read for it.
    pub fn group(&self) -> &str {
        group(&self.term)
    }
}

/// A parsed query: the terms every result must have, and the phrases it must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub terms: Vec<QueryTerm>,
    pub phrases: Vec<Vec<QueryTerm>>,
}

impl SearchQuery {
    /// `q` as typed. Empty (or only punctuation), over [`MAX_QUERY_CHARS`] characters or
    /// [`MAX_QUERY_WORDS`] words is refused, naming `q`.
    pub fn parse(q: &str) -> Result<Self> {
        let q = q.trim();
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(Rejection::invalid(format!(
                "q: at most {MAX_QUERY_CHARS} characters"
            )));
        }
        if q.chars().any(char::is_control) {
            return Err(Rejection::invalid("q: must not contain control characters"));
        }
        let mut all = Vec::new();
        let mut phrases = Vec::new();
        let mut word_count = 0;
        // Text between quotes (odd pieces) is a phrase; an unclosed quote runs to the end.
        for (n, piece) in q.split('"').enumerate() {
            let words = words(piece);
            word_count += words.len();
            let terms: Vec<QueryTerm> = words
                .into_iter()
                .flat_map(|w| w.terms)
                .map(QueryTerm::new)
                .collect();
            if n % 2 == 1 && terms.len() > 1 {
                phrases.push(terms.clone());
            }
            all.extend(terms);
        }
        if word_count > MAX_QUERY_WORDS {
            return Err(Rejection::invalid(format!(
                "q: at most {MAX_QUERY_WORDS} words"
            )));
        }
        if all.is_empty() {
            return Err(Rejection::invalid(
                "q: type a word to search for (letters or digits)",
            ));
        }
        // Stop words say nothing unless they are all there is ("the" then finds "theft").
        let mut terms: Vec<QueryTerm> = all
            .iter()
            .filter(|t| !is_stop_word(&t.term))
            .cloned()
            .collect();
        if terms.is_empty() {
            terms = all;
        }
        // A term another one begins adds nothing ("cor corolla" asks for "corolla").
        terms.sort_by(|a, b| a.term.cmp(&b.term));
        terms.dedup();
        let implied: Vec<bool> = terms
            .iter()
            .map(|t| {
                t.prefix
                    && terms
                        .iter()
                        .any(|o| o.term != t.term && o.term.starts_with(&t.term))
            })
            .collect();
        let terms = terms
            .into_iter()
            .zip(implied)
            .filter(|(_, implied)| !implied)
            .map(|(t, _)| t)
            .collect();
        Ok(Self { terms, phrases })
    }

    /// Whether a document with these sorted terms has every term (phrases are checked
    /// on the text itself, [`SearchQuery::matches`]).
    pub fn matches_terms(&self, terms: &[String]) -> bool {
        self.terms.iter().all(|t| t.found_in(terms))
    }

    /// Whether `text` matches: one of its passages has every term (as the index finds
    /// it), and every phrase appears as written. Search's definition of a hit: the index
    /// finds exactly the documents this admits.
    pub fn matches(&self, text: &str) -> bool {
        if !passages(text).iter().any(|p| self.matches_terms(p)) {
            return false;
        }
        if self.phrases.is_empty() {
            return true;
        }
        let words = words(text);
        let sequence: Vec<&str> = words
            .iter()
            .flat_map(|w| w.terms.iter().map(String::as_str))
            .collect();
        self.phrases.iter().all(|phrase| {
            sequence.windows(phrase.len()).any(|window| {
                window.iter().zip(phrase).enumerate().all(|(n, (s, p))| {
                    // Only the phrase's last word may be a prefix.
                    if n + 1 == phrase.len() {
                        p.matches(s)
                    } else {
                        *s == p.term
                    }
                })
            })
        })
    }

    /// Whether a word of a text is one this query looks for (to highlight it).
    fn hits(&self, word: &Word) -> bool {
        word.terms.iter().any(|term| {
            self.terms
                .iter()
                .chain(self.phrases.iter().flatten())
                .any(|q| q.matches(term))
        })
    }

    /// The part of `text` to show for a result: about [`SNIPPET_CHARS`] characters
    /// around the first hit, cut at word boundaries and marked `…` where cut, and the
    /// `[start, end)` character ranges of the words it matched, in the snippet.
    pub fn snippet(&self, text: &str) -> Snippet {
        let words = words(text);
        let chars: Vec<char> = text.chars().collect();
        let first = words.iter().find(|w| self.hits(w));
        let hit_at = first.map_or(0, |w| w.start);
        // Start a little before the hit, at the start of a word.
        let lead = SNIPPET_CHARS / 3;
        let start = words
            .iter()
            .map(|w| w.start)
            .filter(|s| *s + lead >= hit_at && *s <= hit_at)
            .min()
            .unwrap_or(0);
        let start = if hit_at < lead { 0 } else { start };
        let limit = start + SNIPPET_CHARS;
        let end = if chars.len() <= limit {
            chars.len()
        } else {
            // End at the end of the last word that fits.
            words
                .iter()
                .map(|w| w.end)
                .filter(|e| *e > start && *e <= limit)
                .max()
                .unwrap_or(limit)
        };
        let cut_before = start > 0;
        let cut_after = end < chars.len();
        let shift = usize::from(cut_before);
        let mut text: String = chars[start..end].iter().collect::<String>();
        text = text.trim().to_string();
        // Leading spaces trimmed move every offset back.
        let trimmed = chars[start..end]
            .iter()
            .take_while(|c| c.is_whitespace())
            .count();
        let highlights = words
            .iter()
            .filter(|w| w.start >= start && w.end <= end && self.hits(w))
            .map(|w| {
                [
                    w.start - start - trimmed + shift,
                    w.end - start - trimmed + shift,
                ]
            })
            .collect();
        let mut snippet = String::new();
        if cut_before {
            snippet.push('…');
        }
        snippet.push_str(&text);
        if cut_after {
            snippet.push('…');
        }
        Snippet {
            text: snippet,
            highlights,
        }
    }
}

/// What a result shows of the text it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    /// `[start, end)` of each matched word, in characters of `text`.
    pub highlights: Vec<[usize; 2]>,
}

/// Who may find a document; the index is partitioned by it, so a search reads only the
/// caller's own scopes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// A participant: what they can read of their conversations.
    User(String),
    /// A team's admins: its support conversations, internal notes included.
    Team(Team),
    /// Moderators: every buyer–seller thread.
    Market,
}

/// A text to be found by, and what it belongs to: a message, or a conversation's own
/// words (`message_id` none: its subject, its listing's title and, for the admin team,
/// who wrote it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub conversation_id: String,
    pub message_id: Option<String>,
    pub at: DateTime<Utc>,
    pub text: String,
}

/// The scopes a message is found in, with its text: none once hidden or erased;
/// internal notes only the team's.
pub fn message_documents(conversation: &Conversation, message: &Message) -> Vec<(Scope, Document)> {
    if message.hidden || message.erased || message.body.trim().is_empty() {
        return Vec::new();
    }
    let document = Document {
        conversation_id: conversation.id.clone(),
        message_id: Some(message.id.clone()),
        at: message.created_at,
        text: message.body.clone(),
    };
    let mut scopes = Vec::new();
    if !message.internal {
        scopes.extend(conversation.participants.iter().cloned().map(Scope::User));
        if conversation.kind == ConversationType::Direct {
            scopes.push(Scope::Market);
        }
    }
    if let (ConversationType::Support, Some(team)) = (conversation.kind, conversation.team) {
        scopes.push(Scope::Team(team));
    }
    scopes
        .into_iter()
        .map(|scope| (scope, document.clone()))
        .collect()
}

/// The scopes a conversation's own words are found in: its subject and listing title
/// for everyone who may see it; for its team also the name and email of the user who
/// started it (admins find "the user who wrote about…").
pub fn conversation_documents(
    conversation: &Conversation,
    listing_title: Option<&str>,
) -> Vec<(Scope, Document)> {
    let seen_by_all = [conversation.subject.as_str(), listing_title.unwrap_or("")].join("\n");
    let document = |text: String| Document {
        conversation_id: conversation.id.clone(),
        message_id: None,
        at: conversation.created_at,
        text,
    };
    let mut documents: Vec<(Scope, Document)> = conversation
        .participants
        .iter()
        .map(|p| (Scope::User(p.clone()), document(seen_by_all.clone())))
        .collect();
    match (conversation.kind, conversation.team) {
        (ConversationType::Direct, _) => {
            documents.push((Scope::Market, document(seen_by_all)));
        }
        (ConversationType::Support, Some(team)) => {
            // (The starter's id is looked up, not indexed: ids split into fragments.)
            let contact = conversation.contacts.get(&conversation.created_by);
            let about = [
                Some(seen_by_all.as_str()),
                contact.and_then(|c| c.name.as_deref()),
                contact.and_then(|c| c.email.as_deref()),
            ];
            let text = about.into_iter().flatten().collect::<Vec<_>>().join("\n");
            documents.push((Scope::Team(team), document(text)));
        }
        (ConversationType::Support, None) => {}
    }
    documents
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        words(text).into_iter().flat_map(|w| w.terms).collect()
    }

    fn q(text: &str) -> SearchQuery {
        SearchQuery::parse(text).unwrap()
    }

    #[test]
    fn words_fold_case_and_accents_and_split_where_a_person_would() {
        assert_eq!(terms("CAFÉ Straße"), ["cafe", "strasse"]);
        assert_eq!(terms("Don't pay R5000!"), ["dont", "pay", "r", "5000"]);
        assert_eq!(
            terms("thandi@example.co.za"),
            ["thandi", "example", "co", "za"]
        );
        assert_eq!(terms("4x4 V8"), ["4", "x", "4", "v", "8"]);
        assert_eq!(terms("...  —  "), Vec::<String>::new());
        let long = "a".repeat(60);
        assert_eq!(terms(&long)[0].len(), MAX_TERM_CHARS);
    }

    #[test]
    fn word_positions_are_in_characters() {
        let found = words("née Corolla");
        assert_eq!((found[1].start, found[1].end), (4, 11));
    }

    #[test]
    fn passages_leave_out_stop_words_and_keep_each_under_its_size() {
        assert_eq!(
            passages("The Corolla is in the garage, the CAR"),
            vec![vec!["car", "corolla", "garage"]]
        );
        let many: String = (0..200).map(|n| format!("word{n} ")).collect();
        let cut = passages(&many);
        assert_eq!(cut.len(), 3);
        assert!(cut.iter().all(|p| p.len() <= PASSAGE_TERMS));
    }

    #[test]
    fn groups_are_a_terms_first_three_characters() {
        assert_eq!(group("corolla"), "cor");
        assert_eq!(group("ad"), "ad");
        assert_eq!(q("corol").terms[0].group(), "cor");
    }

    #[test]
    fn queries_match_prefixes_from_three_letters_in_any_order() {
        let sorted = |t: &str| passages(t).concat();
        let corolla = sorted("Selling my Toyota Corolla, cash only");
        assert!(q("corol").matches_terms(&corolla));
        assert!(q("CASH toyota").matches_terms(&corolla));
        assert!(!q("cash honda").matches_terms(&corolla));
        // Short words match whole words only.
        assert!(q("ok").matches_terms(&sorted("ok ad")));
        assert!(!q("ad").matches_terms(&sorted("my address")));
        assert!(q("ad").matches_terms(&sorted("my ad")));
    }

    #[test]
    fn phrases_must_appear_as_written() {
        let query = q("\"double charge\"");
        assert!(query.matches("I saw a double charge on my card"));
        assert!(query.matches("I saw a double charged card"));
        assert!(!query.matches("charge me double"));
        assert!(q("\"renew my\" ad").matches("How do I renew my ad?"));
    }

    #[test]
    fn bad_queries_name_q() {
        for bad in ["", "   ", "?!", &"x".repeat(201), "1 2 3 4 5 6 7 8 9 10 11"] {
            match SearchQuery::parse(bad) {
                Err(Rejection::Invalid(message)) => assert!(message.starts_with("q:"), "{bad}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert!(SearchQuery::parse("a\u{0}b").is_err());
    }

    #[test]
    fn stop_words_count_only_when_nothing_else_is_asked() {
        assert_eq!(q("the corolla").terms.len(), 1);
        assert!(q("the").matches_terms(&["theft".to_string()]));
        // A term another begins is implied by it.
        assert_eq!(q("cor corolla").terms, q("corolla").terms);
    }

    #[test]
    fn a_snippet_is_cut_around_the_hit_with_its_words_highlighted() {
        let text = format!(
            "{} Please refund the double charge on my card. {}",
            "Hello team, I have a question about my account and the listing I posted. ".repeat(3),
            "Thanks, Thandi.".repeat(8)
        );
        let snippet = q("double charge").snippet(&text);
        assert!(snippet.text.starts_with('…') && snippet.text.ends_with('…'));
        assert!(snippet.text.chars().count() <= SNIPPET_CHARS + 2);
        let chars: Vec<char> = snippet.text.chars().collect();
        let marked: Vec<String> = snippet
            .highlights
            .iter()
            .map(|[a, b]| chars[*a..*b].iter().collect())
            .collect();
        assert_eq!(marked, ["double", "charge"]);

        let short = q("café").snippet("Meet at the Café?");
        assert_eq!(short.text, "Meet at the Café?");
        assert_eq!(short.highlights, vec![[12, 16]]);
    }
}
