//! Pages of a list for the API: `limit` items and an opaque cursor for the next page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::table::{Item, Query, Table, TableError, key_item};

/// At most this many round trips fill one filtered page; past that the page is returned
/// short, with a cursor, as DynamoDB itself does with filters.
const MAX_ROUND_TRIPS: usize = 4;

/// Why a list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The cursor was not made by this system (or not for this list).
    #[error("cursor: not a cursor of this list")]
    BadCursor,
    /// `everything` found more than its limit.
    #[error("{0} is too large to serve at once; contact SayPro support")]
    TooLarge(String),
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Opaque cursor: the last key of a page, encoded. Only meaningful for the same list.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(pub Item);

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(crate::table::item_json(&self.0))
    }

    pub fn decode(text: &str) -> Result<Self, ListError> {
        URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .map(Cursor)
            .ok_or(ListError::BadCursor)
    }
}

/// Reads up to `limit` matching items. Without filters that is one round trip: it asks
/// for one item more than the page to know whether another page exists.
pub async fn page(
    table: &dyn Table,
    mut query: Query,
    limit: usize,
) -> Result<(Vec<Item>, Option<Cursor>), ListError> {
    let index = query.index;
    let mut items = Vec::new();
    for _ in 0..MAX_ROUND_TRIPS {
        query.limit = Some((limit + 1 - items.len()) as u32);
        let page = table.query(&query).await?;
        items.extend(page.items);
        if items.len() > limit {
            items.truncate(limit);
            let next = items.last().map(|last| Cursor(key_item(index, last)));
            return Ok((items, next));
        }
        match page.last {
            None => return Ok((items, None)),
            Some(last) => query.start = Some(last),
        }
    }
    let next = query.start.map(Cursor);
    Ok((items, next))
}

/// Every item of a list, page by page; more than `limit` items is refused (413) rather
/// than served cut short, naming `what` was too large.
pub async fn everything(
    table: &dyn Table,
    mut query: Query,
    limit: usize,
    what: &str,
) -> Result<Vec<Item>, ListError> {
    let mut items = Vec::new();
    loop {
        let (found, next) = page(table, query.clone(), 1000).await?;
        items.extend(found);
        if items.len() > limit {
            return Err(ListError::TooLarge(what.to_string()));
        }
        match next {
            Some(cursor) => query = query.start(Some(cursor.0)),
            None => return Ok(items),
        }
    }
}
