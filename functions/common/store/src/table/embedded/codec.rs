//! The compact form items and keys take in memory.
//!
//! An [`Item`] as a `BTreeMap<String, Value>` costs a B-tree node (about 630 bytes, for
//! 11 attributes or for 2) plus one heap block per attribute name and per string, and
//! repeats the key's `pk` and `sk`: a stored message of 10 attributes (440 bytes of
//! JSON) took about 1.1 KB of heap that way, a 3-attribute stats claim 810 bytes. Stored items are instead one byte string each:
//! attribute names interned per table, `pk` and `sk` left out when they repeat the key,
//! lengths as varints. Reads decode, which allocates what the clone they replace did.
//!
//! Keys are one byte string too, ordered as the `(pk, sk)` tuples they encode: the
//! partition escaped (`00` → `00 FF`) and ended by `00 01`, then the sort key. An index
//! entry is the index's partition and sort key that way, then the table key's bytes.

use std::collections::{BTreeMap, HashMap};

use super::super::schema::{PK, SK};
use super::super::{Item, Key, Value};

/// At most this many attribute names are interned; later ones are stored inline (a
/// table whose items had data-dependent top-level names would otherwise grow the list).
const MAX_NAMES: usize = 4096;

const S: u8 = 0;
const N: u8 = 1;
const FALSE: u8 = 2;
const TRUE: u8 = 3;
const NULL: u8 = 4;
const L: u8 = 5;
const M: u8 = 6;

/// Flags: the item's `pk` / `sk` attributes equal the key's and are left out.
const PK_IS_KEY: u8 = 1;
const SK_IS_KEY: u8 = 2;

/// The attribute names of one table, each stored once.
#[derive(Default)]
pub(super) struct Names {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Names {
    fn intern(&mut self, name: &str) -> Option<u32> {
        if let Some(id) = self.ids.get(name) {
            return Some(*id);
        }
        if self.names.len() >= MAX_NAMES {
            return None;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        Some(id)
    }

    fn id(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Encodes `item`, stored under `key`.
pub(super) fn encode(names: &mut Names, key: &Key, item: &Item) -> Box<[u8]> {
    let is_key =
        |attr: &str, expected: &str| matches!(item.get(attr), Some(Value::S(s)) if s == expected);
    let mut flags = 0;
    if is_key(PK, &key.pk) {
        flags |= PK_IS_KEY;
    }
    if is_key(SK, &key.sk) {
        flags |= SK_IS_KEY;
    }
    let skipped = |name: &str| {
        (name == PK && flags & PK_IS_KEY != 0) || (name == SK && flags & SK_IS_KEY != 0)
    };
    let mut out = Vec::with_capacity(64);
    out.push(flags);
    let count = item.keys().filter(|name| !skipped(name)).count();
    put_varint(&mut out, count as u64);
    for (name, value) in item {
        if skipped(name) {
            continue;
        }
        match names.intern(name) {
            Some(id) => put_varint(&mut out, u64::from(id) + 1),
            None => {
                out.push(0);
                put_bytes(&mut out, name.as_bytes());
            }
        }
        encode_value(&mut out, value);
    }
    out.into_boxed_slice()
}

fn encode_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::S(s) => {
            out.push(S);
            put_bytes(out, s.as_bytes());
        }
        Value::N(n) => {
            out.push(N);
            put_bytes(out, n.as_bytes());
        }
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Null => out.push(NULL),
        Value::L(list) => {
            out.push(L);
            put_varint(out, list.len() as u64);
            for v in list {
                encode_value(out, v);
            }
        }
        Value::M(map) => {
            out.push(M);
            put_varint(out, map.len() as u64);
            for (k, v) in map {
                put_bytes(out, k.as_bytes());
                encode_value(out, v);
            }
        }
    }
}

/// A cursor over encoded bytes. Only this module's encoder writes them, so running
/// short is a bug; it reads as empty rather than panicking.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.bytes.split_first().unwrap_or((&0, &[]));
        self.bytes = rest;
        *first
    }

    fn varint(&mut self) -> u64 {
        let mut n = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte();
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 || shift >= 63 {
                return n;
            }
            shift += 7;
        }
    }

    fn bytes(&mut self) -> &'a [u8] {
        let len = (self.varint() as usize).min(self.bytes.len());
        let (taken, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        taken
    }

    fn text(&mut self) -> &'a str {
        std::str::from_utf8(self.bytes()).unwrap_or_default()
    }

    /// The attribute name: interned, or inline.
    fn name(&mut self, names: &'a Names) -> &'a str {
        match self.varint() {
            0 => self.text(),
            id => names.names.get(id as usize - 1).map_or("", |n| n),
        }
    }

    fn value(&mut self) -> Value {
        match self.byte() {
            S => Value::S(self.text().to_string()),
            N => Value::N(self.text().to_string()),
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            L => {
                let count = self.varint();
                Value::L((0..count).map(|_| self.value()).collect())
            }
            M => {
                let count = self.varint();
                let map = (0..count)
                    .map(|_| (self.text().to_string(), self.value()))
                    .collect::<BTreeMap<_, _>>();
                Value::M(map)
            }
            _ => Value::Null,
        }
    }

    fn skip_value(&mut self) {
        match self.byte() {
            S | N => {
                self.bytes();
            }
            L => {
                for _ in 0..self.varint() {
                    self.skip_value();
                }
            }
            M => {
                for _ in 0..self.varint() {
                    self.bytes();
                    self.skip_value();
                }
            }
            _ => {}
        }
    }
}

/// The item stored under `key`.
pub(super) fn decode(names: &Names, key: &Key, bytes: &[u8]) -> Item {
    decode_parts(names, &key.pk, &key.sk, bytes)
}

/// The item stored under the key of `key_bytes`.
pub(super) fn decode_at(names: &Names, key_bytes: &[u8], bytes: &[u8]) -> Item {
    let (pk, sk) = take_component(key_bytes);
    decode_parts(names, &pk, &String::from_utf8_lossy(sk), bytes)
}

fn decode_parts(names: &Names, pk: &str, sk: &str, bytes: &[u8]) -> Item {
    let mut reader = Reader { bytes };
    let flags = reader.byte();
    let count = reader.varint() as usize;
    let mut attrs = Vec::with_capacity(count + 2);
    if flags & PK_IS_KEY != 0 {
        attrs.push((PK.to_string(), Value::s(pk)));
    }
    if flags & SK_IS_KEY != 0 {
        attrs.push((SK.to_string(), Value::s(sk)));
    }
    for _ in 0..count {
        let name = reader.name(names).to_string();
        attrs.push((name, reader.value()));
    }
    // Sorted but for the key attributes: the map is built in bulk, not insert by insert.
    attrs.into_iter().collect()
}

/// One top-level string attribute of an encoded item, without decoding the rest (index
/// maintenance reads the index keys this way). Not for `pk` and `sk`, which may be left
/// out of the encoding: the key has them.
pub(super) fn string<'a>(names: &'a Names, bytes: &'a [u8], name: &str) -> Option<&'a str> {
    scalar(names, bytes, name, S)
}

/// One top-level number attribute, as its decimal text (the TTL sweep reads `expires_at`).
pub(super) fn number<'a>(names: &'a Names, bytes: &'a [u8], name: &str) -> Option<&'a str> {
    scalar(names, bytes, name, N)
}

fn scalar<'a>(names: &'a Names, bytes: &'a [u8], name: &str, tag: u8) -> Option<&'a str> {
    let wanted = names.id(name).map(|id| u64::from(id) + 1);
    let mut reader = Reader { bytes };
    reader.byte();
    for _ in 0..reader.varint() {
        let found = match reader.varint() {
            0 => reader.text() == name,
            id => Some(id) == wanted,
        };
        if found {
            return (reader.byte() == tag).then(|| reader.text());
        }
        reader.skip_value();
    }
    None
}

// ---- keys ----

/// Appends `text` escaped so that byte order equals string order, then the terminator.
fn put_component(out: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

/// A table key's bytes.
pub(super) fn key_bytes(key: &Key) -> Box<[u8]> {
    let mut out = Vec::with_capacity(key.pk.len() + key.sk.len() + 2);
    put_component(&mut out, &key.pk);
    out.extend_from_slice(key.sk.as_bytes());
    out.into_boxed_slice()
}

/// The first key of partition `pk`, and the first key after it (exclusive end).
pub(super) fn partition_bounds(pk: &str) -> (Vec<u8>, Vec<u8>) {
    let mut start = Vec::with_capacity(pk.len() + 2);
    put_component(&mut start, pk);
    // `put_component` ends with the terminator (0, 1): the end raises its last byte.
    let mut end = start.clone();
    end.pop();
    end.push(2);
    (start, end)
}

/// Splits one escaped component off the front: its text and the rest.
fn take_component(bytes: &[u8]) -> (std::borrow::Cow<'_, str>, &[u8]) {
    let mut end = 0;
    let mut escaped = false;
    while end < bytes.len() {
        if bytes[end] == 0 {
            match bytes.get(end + 1) {
                Some(0xff) => {
                    escaped = true;
                    end += 2;
                    continue;
                }
                _ => break,
            }
        }
        end += 1;
    }
    let (raw, rest) = (&bytes[..end], bytes.get(end + 2..).unwrap_or_default());
    let text = if escaped {
        let mut unescaped = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            unescaped.push(raw[i]);
            i += if raw[i] == 0 { 2 } else { 1 };
        }
        std::borrow::Cow::Owned(String::from_utf8_lossy(&unescaped).into_owned())
    } else {
        String::from_utf8_lossy(raw)
    };
    (text, rest)
}

/// A table key from its bytes.
pub(super) fn key_of(bytes: &[u8]) -> Key {
    let (pk, sk) = take_component(bytes);
    Key::new(pk.into_owned(), String::from_utf8_lossy(sk).into_owned())
}

/// The sort key of a table key's bytes.
pub(super) fn sort_key_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(take_component(bytes).1)
}

/// An index entry: the index's partition and sort key, then the table key's bytes.
pub(super) fn index_entry(ipk: &str, isk: &str, key: &[u8]) -> Box<[u8]> {
    let mut out = Vec::with_capacity(ipk.len() + isk.len() + key.len() + 4);
    put_component(&mut out, ipk);
    put_component(&mut out, isk);
    out.extend_from_slice(key);
    out.into_boxed_slice()
}

/// An index entry's sort key and table key bytes.
pub(super) fn split_index_entry(entry: &[u8]) -> (std::borrow::Cow<'_, str>, &[u8]) {
    let (_, rest) = take_component(entry);
    take_component(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            ".*".prop_map(Value::S),
            "-?[0-9]{1,5}(\\.[0-9]{1,3})?".prop_map(Value::N),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::L),
                prop::collection::btree_map(".*", inner, 0..4).prop_map(Value::M),
            ]
        })
    }

    proptest! {
        #[test]
        fn items_round_trip(
            pk in "[A-Z#0-9\u{0}]{0,6}",
            sk in ".{0,6}",
            attrs in prop::collection::btree_map("[a-z_\u{0}]{1,8}", value(), 0..8),
            keyed in any::<(bool, bool)>(),
        ) {
            let key = Key::new(pk, sk);
            let mut item: Item = attrs;
            if keyed.0 { item.insert(PK.into(), Value::s(&key.pk)); }
            if keyed.1 { item.insert(SK.into(), Value::N("7".into())); }
            let mut names = Names::default();
            let bytes = encode(&mut names, &key, &item);
            prop_assert_eq!(decode(&names, &key, &bytes), item.clone());
            // The key attributes are read from the key, never looked up.
            for (name, v) in item.iter().filter(|(name, _)| *name != PK && *name != SK) {
                let (s, n) = match v {
                    Value::S(s) => (Some(s.as_str()), None),
                    Value::N(n) => (None, Some(n.as_str())),
                    _ => (None, None),
                };
                prop_assert_eq!(string(&names, &bytes, name), s);
                prop_assert_eq!(number(&names, &bytes, name), n);
            }
            prop_assert_eq!(string(&names, &bytes, "absent-name"), None);
        }

        #[test]
        fn key_bytes_sort_as_their_keys(a in (".{0,4}", ".{0,4}"), b in (".{0,4}", ".{0,4}")) {
            let (ka, kb) = (Key::new(a.0, a.1), Key::new(b.0, b.1));
            prop_assert_eq!(key_bytes(&ka).cmp(&key_bytes(&kb)), ka.cmp(&kb));
            prop_assert_eq!(key_of(&key_bytes(&ka)), ka.clone());
            let (start, end) = partition_bounds(&ka.pk);
            let inside = |k: &Key| { let b = key_bytes(k); *b >= *start && *b < *end };
            prop_assert!(inside(&ka));
            prop_assert_eq!(inside(&kb), kb.pk == ka.pk);
        }

        #[test]
        fn index_entries_sort_as_their_tuples(
            a in (".{0,3}", ".{0,3}", ".{0,3}"),
            b in (".{0,3}", ".{0,3}", ".{0,3}"),
        ) {
            let entry = |t: &(String, String, String)| {
                index_entry(&t.0, &t.1, &key_bytes(&Key::new(t.2.clone(), "s")))
            };
            let (ea, eb) = (entry(&a), entry(&b));
            prop_assert_eq!(ea.cmp(&eb), (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
            let (isk, key) = split_index_entry(&ea);
            prop_assert_eq!(isk.as_ref(), a.1.as_str());
            prop_assert_eq!(key_of(key), Key::new(a.2.clone(), "s"));
        }
    }

    #[test]
    fn names_beyond_the_limit_are_stored_inline() {
        let mut names = Names::default();
        let key = Key::new("P", "S");
        for n in 0..MAX_NAMES {
            names.intern(&format!("n{n}"));
        }
        let item = Item::from([("late".to_string(), Value::s("x"))]);
        let bytes = encode(&mut names, &key, &item);
        assert_eq!(names.names.len(), MAX_NAMES);
        assert_eq!(decode(&names, &key, &bytes), item);
        assert_eq!(string(&names, &bytes, "late"), Some("x"));
    }
}
