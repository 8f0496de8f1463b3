//! The request a write belongs to: the HTTP layer runs each request inside
//! [`scope`], and the writes that carry a request's change to the stream (a message, a
//! conversation's META item) store its id as `request_id`, so notify can log the same
//! id for the record it handles. Outside a request (schedules, the stream, inbound
//! email) there is none and nothing is stored.

use crate::table::{Item, Value};

/// The attribute a request's id is stored as.
pub const REQUEST_ID: &str = "request_id";

tokio::task_local! {
    static CURRENT: String;
}

/// Runs `work` as the request `id`'s.
pub async fn scope<F: std::future::Future>(id: String, work: F) -> F::Output {
    CURRENT.scope(id, work).await
}

/// The id of the request being served, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Marks `item` as written by the current request, if there is one.
pub(crate) fn stamp(item: &mut Item) {
    if let Some(id) = current() {
        item.insert(REQUEST_ID.into(), Value::S(id));
    }
}

fn of(item: &Item) -> Option<&str> {
    item.get(REQUEST_ID).and_then(Value::as_s)
}

/// The request that made a change (a stream record's old and new images): the new
/// image's id, unless the old one had it too (a later update, say an erasure, that
/// kept the attribute of the request that first wrote the item).
pub fn of_change<'a>(old: Option<&Item>, new: Option<&'a Item>) -> Option<&'a str> {
    let id = new.and_then(of)?;
    (old.and_then(of) != Some(id)).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: Option<&str>) -> Item {
        id.map(|id| (REQUEST_ID.to_string(), Value::s(id)))
            .into_iter()
            .collect()
    }

    #[tokio::test]
    async fn writes_in_a_request_carry_its_id_and_only_its_changes_are_its() {
        let mut written = Item::new();
        scope("r1".into(), async { stamp(&mut written) }).await;
        assert_eq!(of(&written), Some("r1"));
        let mut outside = Item::new();
        stamp(&mut outside);
        assert_eq!(of(&outside), None);

        let (first, kept, later) = (item(None), item(Some("r1")), item(Some("r2")));
        assert_eq!(of_change(None, Some(&kept)), Some("r1"));
        assert_eq!(of_change(Some(&first), Some(&kept)), Some("r1"));
        assert_eq!(of_change(Some(&kept), Some(&kept)), None);
        assert_eq!(of_change(Some(&kept), Some(&later)), Some("r2"));
        assert_eq!(of_change(Some(&kept), None), None);
    }
}
