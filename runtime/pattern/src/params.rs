//! An event's parameter list.
//!
//! Queries produce millions of events per second, each with its own list of keys and
//! values; a heap list per event cost an allocation and a free per event. [`Params`] keeps
//! up to [`Params::INLINE`] pairs inside the event (enough for the derived pitch and level
//! keys plus a handful of given ones) and moves to the heap only past that.

use std::fmt;
use std::ops::{Deref, DerefMut};

use smallvec::SmallVec;

use crate::key::Key;
use crate::value::Value;

/// `(key, value)` pairs, stored inline up to [`Params::INLINE`] pairs. Derefs to a slice,
/// so `iter()`, `len()`, indexing and slice patterns work as on a `Vec`; events keep them
/// sorted by key name with each key once.
#[derive(Clone, Default, PartialEq)]
pub struct Params(SmallVec<[(Key, Value); Params::INLINE]>);

impl Params {
    /// Pairs held without allocating.
    pub const INLINE: usize = 6;

    /// An empty list.
    pub fn new() -> Params {
        Params(SmallVec::new())
    }

    /// An empty list with room for `n` pairs (allocates only past [`Params::INLINE`]).
    pub fn with_capacity(n: usize) -> Params {
        Params(SmallVec::with_capacity(n))
    }

    /// Append a pair (the caller keeps the list sorted where that matters).
    pub fn push(&mut self, pair: (Key, Value)) {
        self.0.push(pair);
    }

    /// Insert a pair at `index` (clamped to the length).
    pub fn insert(&mut self, index: usize, pair: (Key, Value)) {
        let i = index.min(self.0.len());
        self.0.insert(i, pair);
    }

    /// Remove every pair.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Keep only the pairs for which `f` is true.
    pub fn retain(&mut self, mut f: impl FnMut(&(Key, Value)) -> bool) {
        self.0.retain(|p| f(p));
    }

    /// The value of `key` (the first pair with that name).
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }

    /// Set `key` to `value` in a name-sorted list: replaces the pair with that name, or
    /// inserts one where it keeps the list sorted.
    pub fn set_sorted(&mut self, key: Key, value: Value) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(pos) => {
                if let Some(slot) = self.0.get_mut(pos) {
                    slot.1 = value;
                }
            }
            Err(pos) => self.0.insert(pos, (key, value)),
        }
    }

    /// The pairs as a `Vec`.
    pub fn to_vec(&self) -> Vec<(Key, Value)> {
        self.0.to_vec()
    }
}

impl Deref for Params {
    type Target = [(Key, Value)];

    fn deref(&self) -> &[(Key, Value)] {
        &self.0
    }
}

impl DerefMut for Params {
    fn deref_mut(&mut self) -> &mut [(Key, Value)] {
        &mut self.0
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl<K: Into<Key>> FromIterator<(K, Value)> for Params {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Params {
        Params(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl<K: Into<Key>> Extend<(K, Value)> for Params {
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, iter: I) {
        self.0.extend(iter.into_iter().map(|(k, v)| (k.into(), v)));
    }
}

impl<K: Into<Key>> From<Vec<(K, Value)>> for Params {
    fn from(pairs: Vec<(K, Value)>) -> Params {
        pairs.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = &'a (Key, Value);
    type IntoIter = std::slice::Iter<'a, (Key, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a mut Params {
    type Item = &'a mut (Key, Value);
    type IntoIter = std::slice::IterMut<'a, (Key, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut()
    }
}

impl IntoIterator for Params {
    type Item = (Key, Value);
    type IntoIter = smallvec::IntoIter<[(Key, Value); Params::INLINE]>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl PartialEq<Vec<(Key, Value)>> for Params {
    fn eq(&self, other: &Vec<(Key, Value)>) -> bool {
        self.0.as_slice() == other.as_slice()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn small_lists_stay_inline_and_large_ones_spill() {
        let mut p = Params::new();
        for i in 0..Params::INLINE {
            p.push((Key::new(&format!("k{i}")), Value::Num(i as f64)));
        }
        assert!(!p.0.spilled());
        p.push((Key::AMP, Value::Num(0.1)));
        assert!(p.0.spilled());
        assert_eq!(p.len(), Params::INLINE + 1);
        assert_eq!(p.value("k3"), Some(&Value::Num(3.0)));
    }

    #[test]
    fn set_sorted_replaces_or_inserts_in_order() {
        let mut p: Params = vec![("amp", Value::Num(0.1)), ("s", Value::str("bd"))].into();
        p.set_sorted(Key::N, Value::Num(3.0));
        p.set_sorted(Key::AMP, Value::Num(0.5));
        let names: Vec<&str> = p.iter().map(|(k, _)| &**k).collect();
        assert_eq!(names, ["amp", "n", "s"]);
        assert_eq!(p.value("amp"), Some(&Value::Num(0.5)));
    }
}

/// Events are moved by value (into lists, through merges); a key or a pair growing would
/// silently make every move dearer.
#[cfg(all(test, target_pointer_width = "64"))]
mod size {
    #[test]
    fn keys_pairs_and_events_stay_small() {
        assert_eq!(std::mem::size_of::<crate::Key>(), 16);
        assert_eq!(std::mem::size_of::<(crate::Key, crate::Value)>(), 40);
        assert!(std::mem::size_of::<crate::Event>() <= 328);
    }
}
