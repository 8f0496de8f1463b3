//! Search through the API: users find their own conversations (`GET /v1/search`), admins
//! their teams' support conversations and moderators, saying why, buyer–seller threads
//! (`GET /v1/admin/search`). The index (`store::search`) narrows; the items themselves
//! decide: every candidate is read back (one batch read for the page) and kept only if
//! the caller may read it now and, for a message, it still says what was searched for.
//! So nothing is found that was hidden, erased, moved or expired, even in the second
//! before the index catches up.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::instrument;

use super::admin::{admin_may_see, teams_to_read};
use super::{Page, PageRequest};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use domain::conversation::ConversationView;
use domain::identity::{Access, Caller, Team};
use domain::search::{Scope, SearchQuery};
use domain::{Category, Conversation, ConversationType, Message, Status, validate};
use store::keys::{INBOX_ROW_PREFIX, user_partition};
use store::search::{Candidate, Window, find};
use store::table::{Index, Item, Query, SortKey, Value, from_item};
use store::{Cursor, conversation_key, message_key};

/// Results a page holds at most: with their conversations, one batch read of 100 keys.
pub const MAX_SEARCH_LIMIT: usize = 50;

/// A page's size and where it starts: a cursor of this search's own.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub limit: usize,
    before: Option<String>,
}

impl SearchPage {
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> ApiResult<Self> {
        let limit = limit.map_or(PageRequest::DEFAULT_LIMIT, |l| l as usize);
        if !(1..=MAX_SEARCH_LIMIT).contains(&limit) {
            return Err(ApiError::invalid(format!(
                "limit: must be between 1 and {MAX_SEARCH_LIMIT}"
            )));
        }
        let before = match cursor {
            None => None,
            Some(text) => {
                let cursor = Cursor::decode(text)?;
                match cursor.0.get("before").and_then(Value::as_s) {
                    Some(before) if cursor.0.len() == 1 && before.len() <= 200 => {
                        Some(before.to_string())
                    }
                    _ => return Err(ApiError::invalid("cursor: not a cursor of this list")),
                }
            }
        };
        Ok(Self { limit, before })
    }
}

/// Whether `q` could be an id (one token of an id's characters, with a digit or a
/// dash in it): then it is also looked up as a conversation's or a user's.
fn looks_like_an_id(q: &str) -> bool {
    validate::id("q", q).is_ok()
        && q.chars()
            .any(|c| c.is_ascii_digit() || c == '-' || c == '_')
}

fn cursor(before: String) -> Cursor {
    Cursor(Item::from([("before".to_string(), Value::S(before))]))
}

/// What admins may narrow a search by.
#[derive(Debug, Clone, Default)]
pub struct AdminSearchFilter {
    pub team: Option<Team>,
    pub status: Option<Status>,
    pub category: Option<Category>,
    /// `me`, `none`, or a user id.
    pub assignee: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Why a moderator searches buyer–seller threads (audited); only with it do they.
    pub reason: Option<String>,
}

/// One result: where the match is, the matched text around it, and the conversation as
/// the caller sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub conversation_id: String,
    /// The message matched; null when the conversation's own words did (its subject,
    /// its listing's title, or for admins who started it).
    #[schema(required = true)]
    pub message_id: Option<String>,
    /// The matched text, shortened around the first hit (`…` where cut).
    pub snippet: String,
    /// The matched words in `snippet`: `[start, end)` in characters (Unicode scalar
    /// values), to highlight without trusting HTML.
    pub highlights: Vec<[usize; 2]>,
    /// When the matched message was written (or the conversation started).
    pub at: DateTime<Utc>,
    /// The other side's name where known: a buyer–seller thread's other participant;
    /// for admins, the user who started the conversation.
    #[schema(required = true)]
    pub other_party: Option<String>,
    pub conversation: ConversationView,
}

/// Who is searching, and so which scopes are read and what of them may be shown.
#[derive(Clone, Copy)]
enum Searcher<'a> {
    /// A user in their own conversations.
    Participant(&'a Caller),
    /// An admin in their teams' support conversations.
    Admin(&'a Caller, &'a AdminSearchFilter),
    /// A moderator in buyer–seller threads.
    Moderator(&'a AdminSearchFilter),
}

impl Searcher<'_> {
    /// Whether the caller may see `conversation` here, now, and it passes the filters.
    fn may_see(&self, conversation: &Conversation) -> bool {
        let filter = match self {
            Searcher::Participant(caller) => return conversation.is_participant(caller.id()),
            Searcher::Admin(caller, filter) => {
                if !admin_may_see(caller, conversation)
                    || filter.team.is_some_and(|t| conversation.team != Some(t))
                    || filter.category.is_some_and(|c| conversation.category != c)
                {
                    return false;
                }
                let assignee = conversation.assignee.as_deref();
                let assigned = match filter.assignee.as_deref() {
                    None => true,
                    Some("none") => assignee.is_none(),
                    Some("me") => assignee == Some(caller.id()),
                    Some(user) => assignee == Some(user),
                };
                if !assigned {
                    return false;
                }
                filter
            }
            Searcher::Moderator(filter) => {
                if conversation.kind != ConversationType::Direct {
                    return false;
                }
                filter
            }
        };
        filter.status.is_none_or(|s| conversation.status == s)
    }

    /// Whether the caller may read `message` of a conversation they may see.
    fn may_read(&self, message: &Message) -> bool {
        let internal_allowed = matches!(self, Searcher::Admin(..));
        !message.hidden && !message.erased && (internal_allowed || !message.internal)
    }

    /// The conversation as the caller sees it, and the other side's name.
    fn view(
        &self,
        conversation: &Conversation,
        now: DateTime<Utc>,
    ) -> (ConversationView, Option<String>) {
        let name_of = |user: &str| conversation.contacts.get(user).and_then(|c| c.name.clone());
        match self {
            Searcher::Participant(caller) => {
                let other = conversation
                    .participants
                    .iter()
                    .find(|p| *p != caller.id())
                    .filter(|_| conversation.kind == ConversationType::Direct)
                    .and_then(|p| name_of(p));
                (ConversationView::new(conversation, caller.id(), now), other)
            }
            Searcher::Admin(..) | Searcher::Moderator(..) => (
                ConversationView::new(conversation, domain::conversation::ADMIN_SIDE, now),
                name_of(&conversation.created_by),
            ),
        }
    }

    /// The text of the conversation's own words a result shows.
    fn conversation_text(&self, conversation: &Conversation) -> String {
        match self {
            Searcher::Admin(..) => {
                let contact = conversation.contacts.get(&conversation.created_by);
                [
                    Some(conversation.subject.as_str()),
                    contact.and_then(|c| c.name.as_deref()),
                    contact.and_then(|c| c.email.as_deref()),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
            }
            _ => conversation.subject.clone(),
        }
    }
}

impl App {
    /// The caller's own conversations matching `q`: message bodies they can see,
    /// subjects, listing titles.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn search(
        &self,
        caller: &Caller,
        q: &str,
        page: SearchPage,
    ) -> ApiResult<Page<SearchHit>> {
        caller.require_person()?;
        let query = SearchQuery::parse(q)?;
        let scopes = [Scope::User(caller.id().to_string())];
        let window = Window {
            before: page.before.clone(),
            ..Window::default()
        };
        self.run_search(
            Searcher::Participant(caller),
            &scopes,
            &query,
            window,
            page.limit,
        )
        .await
    }

    /// Admins: their teams' support conversations (seniors and managers: all), internal
    /// notes included, and a conversation by its id or a user's by theirs. With a `reason`, moderators (and
    /// managers) search buyer–seller threads instead, and the search is audited.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn admin_search(
        &self,
        caller: &Caller,
        q: &str,
        filter: AdminSearchFilter,
        page: SearchPage,
    ) -> ApiResult<Page<SearchHit>> {
        Access::AdminOrModerator.check(caller)?;
        let query = SearchQuery::parse(q)?;
        if let (Some(since), Some(until)) = (filter.since, filter.until)
            && since >= until
        {
            return Err(ApiError::invalid("until: must be after since"));
        }
        let window = Window {
            since: filter.since,
            until: filter.until,
            before: page.before.clone(),
        };
        let (searcher, scopes) = match &filter.reason {
            Some(reason) => {
                Access::Moderator.check(caller)?;
                let reason = validate::bounded_text("reason", reason, 500)?;
                for (field, given) in [
                    ("team", filter.team.is_some()),
                    ("category", filter.category.is_some()),
                    ("assignee", filter.assignee.is_some()),
                ] {
                    if given {
                        return Err(ApiError::invalid(format!(
                            "{field}: buyer–seller threads have none (a search with a reason reads them)"
                        )));
                    }
                }
                let audit = self.audit(
                    caller,
                    "conversations.searched",
                    "buyer-seller threads".into(),
                    Some(format!("{reason} (searched for: {})", q.trim())),
                )?;
                self.table.write(vec![audit]).await?;
                (Searcher::Moderator(&filter), vec![Scope::Market])
            }
            None => {
                if !caller.is_admin() {
                    return Err(ApiError::invalid(
                        "reason: moderators search buyer–seller threads and say why (reason)",
                    ));
                }
                let teams = teams_to_read(caller, filter.team)?;
                let scopes = teams.into_iter().map(Scope::Team).collect();
                (Searcher::Admin(caller, &filter), scopes)
            }
        };
        // An id finds its conversation, or the conversations of the user it names (ids
        // are not indexed: a conversation's share prefixes by time, a user's split into
        // fragments). Looked up beside the search, so it costs no round trip of its own.
        let text = self.run_search(searcher, &scopes, &query, window, page.limit);
        if page.before.is_none() && looks_like_an_id(q.trim()) {
            let (referenced, text) =
                futures_util::future::join(self.by_reference(searcher, q.trim()), text).await;
            let referenced = referenced?;
            if !referenced.is_empty() {
                return Ok(Page::new(referenced, None));
            }
            return text;
        }
        text.await
    }

    /// The conversation whose id `q` is, or the latest conversations of the user whose
    /// id it is, that the searcher may see.
    async fn by_reference(&self, searcher: Searcher<'_>, q: &str) -> ApiResult<Vec<SearchHit>> {
        let key = conversation_key(q);
        let conversation = self.table.get(&key, false);
        let inbox = Query::partition(Index::Table, user_partition(q))
            .sort(SortKey::BeginsWith(INBOX_ROW_PREFIX.into()))
            .limit(MAX_SEARCH_LIMIT as u32)
            .eventually_consistent();
        let started = self.table.query(&inbox);
        let (conversation, started) = futures_util::future::join(conversation, started).await;
        let mut found: Vec<Conversation> = Vec::new();
        if let Some(item) = conversation? {
            found.push(from_item(item)?);
        }
        for item in started?.items {
            let conversation: Conversation = from_item(item)?;
            if conversation.created_by == q {
                found.push(conversation);
            }
        }
        found.retain(|c| searcher.may_see(c));
        found.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        let now = self.clock.now();
        Ok(found
            .into_iter()
            .map(|conversation| {
                let (view, other_party) = searcher.view(&conversation, now);
                SearchHit {
                    conversation_id: conversation.id.clone(),
                    message_id: None,
                    snippet: searcher.conversation_text(&conversation),
                    highlights: Vec::new(),
                    at: conversation.created_at,
                    other_party,
                    conversation: view,
                }
            })
            .collect())
    }

    /// Reads the index, then the page's conversations and messages in one batch, and
    /// keeps what the searcher may read that still matches.
    async fn run_search(
        &self,
        searcher: Searcher<'_>,
        scopes: &[Scope],
        query: &SearchQuery,
        window: Window,
        limit: usize,
    ) -> ApiResult<Page<SearchHit>> {
        let now = self.clock.now();
        let found = find(self.table.as_ref(), scopes, query, &window, limit, now).await?;
        let considered: Vec<&Candidate> = found.candidates.iter().take(limit).collect();
        let next = match found.candidates.get(limit) {
            Some(_) => considered.last().map(|c| c.position.clone()),
            None => found.next.clone(),
        };
        let conversations: BTreeSet<&str> = considered
            .iter()
            .map(|c| c.conversation_id.as_str())
            .collect();
        let mut keys: Vec<store::table::Key> = conversations
            .iter()
            .map(|id| conversation_key(id))
            .collect();
        keys.extend(considered.iter().filter_map(|c| {
            c.message_id
                .as_deref()
                .map(|m| message_key(&c.conversation_id, m))
        }));
        let mut conversations: HashMap<String, Conversation> = HashMap::new();
        let mut messages: HashMap<String, Message> = HashMap::new();
        for item in self.table.get_many(&keys).await? {
            let is_message = item
                .get("sk")
                .and_then(Value::as_s)
                .is_some_and(|sk| sk.starts_with(store::keys::MESSAGE_PREFIX));
            if is_message {
                let message: Message = from_item(item)?;
                messages.insert(message.id.clone(), message);
            } else {
                let conversation: Conversation = from_item(item)?;
                conversations.insert(conversation.id.clone(), conversation);
            }
        }
        // A merged duplicate's messages are found in the conversation it joined (read in
        // a second round, only when the page has any).
        let joined: Vec<store::table::Key> = conversations
            .values()
            .filter_map(|c| c.merged_into.as_deref())
            .filter(|into| !conversations.contains_key(*into))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(conversation_key)
            .collect();
        if !joined.is_empty() {
            for item in self.table.get_many(&joined).await? {
                let conversation: Conversation = from_item(item)?;
                conversations.insert(conversation.id.clone(), conversation);
            }
        }
        let hits = considered
            .into_iter()
            .filter_map(|candidate| {
                let found = conversations.get(&candidate.conversation_id)?;
                let conversation = match &found.merged_into {
                    // Its own words (its subject) are not a conversation of their own now.
                    Some(_) if candidate.message_id.is_none() => return None,
                    Some(into) => conversations.get(into)?,
                    None => found,
                };
                if !searcher.may_see(conversation) {
                    return None;
                }
                let (text, at) = match &candidate.message_id {
                    Some(id) => {
                        let message = messages.get(id)?;
                        if !searcher.may_read(message) || !query.matches(&message.body) {
                            return None;
                        }
                        (message.body.clone(), message.created_at)
                    }
                    None => (
                        searcher.conversation_text(conversation),
                        conversation.created_at,
                    ),
                };
                let snippet = query.snippet(&text);
                let (view, other_party) = searcher.view(conversation, now);
                Some(SearchHit {
                    conversation_id: conversation.id.clone(),
                    message_id: candidate.message_id.clone(),
                    snippet: snippet.text,
                    highlights: snippet.highlights,
                    at,
                    other_party,
                    conversation: view,
                })
            })
            .collect();
        Ok(Page::new(hits, next.map(cursor)))
    }
}
