//! A conversation's messages with those of the duplicates merged into it, read side by
//! side: each conversation's partition from the same position (message ids are ULIDs,
//! so every partition sorts in time order by the same key), merged into one page. The
//! cursor of such a page is the position itself, valid in every partition.

use futures_util::future::try_join_all;

use super::Order;
use super::user::Viewer;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use store::table::{Filter, Index, Item, Query, SortKey, Value};
use store::{self, Cursor, MESSAGE_PREFIX, messages_partition};

/// The cursor attribute of a linked page: the id of its last message.
const AFTER: &str = "after";
/// Sorts after every `MSG#…` key: the end of a partition's messages.
const AFTER_MESSAGES: &str = "MSG$";

/// What one partition gave: its messages from the position, and how far it was read
/// when it has more (a filtered read may stop short of a full page).
pub(super) struct Partial {
    pub items: Vec<Item>,
    pub read_to: Option<String>,
}

impl Partial {
    pub fn of((items, next): (Vec<Item>, Option<Cursor>)) -> Self {
        let read_to = next.and_then(|c| c.0.get("sk").and_then(Value::as_s).map(String::from));
        Self { items, read_to }
    }
}

/// The message id a linked page's cursor continues after (`None`: not such a cursor).
pub(super) fn position(cursor: Option<&Cursor>) -> ApiResult<Option<String>> {
    let Some(cursor) = cursor.filter(|c| c.0.contains_key(AFTER)) else {
        return Ok(None);
    };
    match cursor.0.get(AFTER).and_then(Value::as_s) {
        Some(after) if cursor.0.len() == 1 => Ok(Some(after.to_string())),
        _ => Err(ApiError::invalid("cursor: not a cursor of this list")),
    }
}

/// Where a plain cursor of a conversation's own messages stopped, as a message id.
pub(super) fn position_of_plain(cursor: &Cursor) -> ApiResult<String> {
    cursor
        .0
        .get("sk")
        .and_then(Value::as_s)
        .and_then(|sk| sk.strip_prefix(MESSAGE_PREFIX))
        .map(String::from)
        .ok_or_else(|| ApiError::invalid("cursor: not a cursor of this list"))
}

/// The messages of one conversation from `after` (that message included, if it is
/// there: the caller drops it), in `order`, as `viewer` may see them.
pub(super) fn messages_from(
    conversation_id: &str,
    after: Option<&str>,
    order: Order,
    viewer: Viewer,
) -> Query {
    let sort = match (after, order) {
        (None, _) => SortKey::BeginsWith(MESSAGE_PREFIX.into()),
        (Some(id), Order::Asc) => {
            SortKey::Between(format!("{MESSAGE_PREFIX}{id}"), AFTER_MESSAGES.into())
        }
        (Some(id), Order::Desc) => {
            SortKey::Between(MESSAGE_PREFIX.into(), format!("{MESSAGE_PREFIX}{id}"))
        }
    };
    let mut query = Query::partition(Index::Table, messages_partition(conversation_id))
        .sort(sort)
        .descending(order == Order::Desc);
    if viewer != Viewer::Admin {
        query = query.filter(Filter::Equals("internal".into(), Value::Bool(false)));
    }
    query
}

fn sort_key(item: &Item) -> &str {
    item.get("sk").and_then(Value::as_s).unwrap_or_default()
}

/// One page out of several partitions read from the same position: in order, never past
/// where a partition with more stopped being read, the position's own message left out.
pub(super) fn combine(
    partials: Vec<Partial>,
    after: Option<&str>,
    order: Order,
    limit: usize,
) -> (Vec<Item>, Option<Cursor>) {
    let before = |a: &str, b: &str| match order {
        Order::Asc => a < b,
        Order::Desc => a > b,
    };
    let skip = after.map(|id| format!("{MESSAGE_PREFIX}{id}"));
    // Beyond the nearest point a partition with more was read to, a message of another
    // partition might come after one not yet read.
    let frontier = partials
        .iter()
        .filter_map(|p| p.read_to.clone())
        .reduce(|a, b| if before(&a, &b) { a } else { b });
    let mut items: Vec<Item> = partials
        .into_iter()
        .flat_map(|p| p.items)
        .filter(|item| skip.as_deref() != Some(sort_key(item)))
        .filter(|item| {
            frontier
                .as_deref()
                .is_none_or(|edge| !before(edge, sort_key(item)))
        })
        .collect();
    items.sort_by(|a, b| match order {
        Order::Asc => sort_key(a).cmp(sort_key(b)),
        Order::Desc => sort_key(b).cmp(sort_key(a)),
    });
    let more = items.len() > limit || frontier.is_some();
    items.truncate(limit);
    let last = match items.last() {
        Some(last) if items.len() == limit => Some(sort_key(last).to_string()),
        _ => frontier,
    };
    let next = last.filter(|_| more).and_then(|sk| {
        sk.strip_prefix(MESSAGE_PREFIX)
            .map(|id| Cursor(Item::from([(AFTER.to_string(), Value::s(id))])))
    });
    (items, next)
}

impl App {
    /// The messages of the conversations merged into one, from `after`: each partition
    /// read at once (one round trip of latency).
    pub(super) async fn linked_partials(
        &self,
        merged_from: &[String],
        after: Option<&str>,
        order: Order,
        viewer: Viewer,
        limit: usize,
    ) -> ApiResult<Vec<Partial>> {
        let reads = merged_from.iter().map(|id| {
            let query = messages_from(id, after, order, viewer);
            // One more than the page: the position's own message may be among them.
            store::page(self.table.as_ref(), query, limit + 1)
        });
        Ok(try_join_all(reads)
            .await?
            .into_iter()
            .map(Partial::of)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str) -> Item {
        Item::from([("sk".to_string(), Value::s(format!("MSG#{id}")))])
    }

    fn sks(items: &[Item]) -> Vec<&str> {
        items.iter().map(sort_key).collect()
    }

    fn partial(ids: &[&str], read_to: Option<&str>) -> Partial {
        Partial {
            items: ids.iter().map(|id| message(id)).collect(),
            read_to: read_to.map(|id| format!("MSG#{id}")),
        }
    }

    #[test]
    fn pages_interleave_partitions_in_time_order_and_continue_after_the_last() {
        let (page, next) = combine(
            vec![
                partial(&["01", "04", "05"], None),
                partial(&["02", "03"], None),
            ],
            None,
            Order::Asc,
            3,
        );
        assert_eq!(sks(&page), ["MSG#01", "MSG#02", "MSG#03"]);
        let next = next.unwrap();
        assert_eq!(position(Some(&next)).unwrap().as_deref(), Some("03"));
        // The next page, read from "03" (included by the range: dropped).
        let (page, next) = combine(
            vec![partial(&["04", "05"], None), partial(&["03"], None)],
            Some("03"),
            Order::Asc,
            3,
        );
        assert_eq!(sks(&page), ["MSG#04", "MSG#05"]);
        assert!(next.is_none(), "everything read");
    }

    #[test]
    fn a_page_stops_where_a_partition_with_more_was_read_to() {
        // The first partition was read to 03 and has more: 06 of the other may not
        // come yet (04 or 05 might be waiting in the first).
        let (page, next) = combine(
            vec![partial(&["01"], Some("03")), partial(&["02", "06"], None)],
            None,
            Order::Asc,
            10,
        );
        assert_eq!(sks(&page), ["MSG#01", "MSG#02"]);
        assert_eq!(position(next.as_ref()).unwrap().as_deref(), Some("03"));
    }

    #[test]
    fn newest_first_works_the_same_way_down() {
        let (page, next) = combine(
            vec![
                partial(&["05", "02"], None),
                partial(&["04", "03", "01"], None),
            ],
            Some("06"),
            Order::Desc,
            2,
        );
        assert_eq!(sks(&page), ["MSG#05", "MSG#04"]);
        assert_eq!(position(next.as_ref()).unwrap().as_deref(), Some("04"));
    }
}
