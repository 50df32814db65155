//! An event's parameter list.
//!
//! Queries produce millions of events per second, each with its own list of keys and
//! values; a heap list per event cost an allocation and a free per event. [`Params`] keeps
//! up to [`Params::INLINE`] pairs inside the event (enough for the derived pitch and level
//! keys plus a handful of given ones) and moves to the heap only past that.
//!
//! A periodic player serves most cycles as copies of events it kept (`player.rs`), and
//! copying a list pair by pair, then dropping it pair by pair, was most of what such a
//! copy cost. A kept event's list is therefore [`Params::share`]d: one reference-counted
//! list that copies and drops as a count. Changing a shared list first makes it the
//! event's own again (copy on write), so sharing is invisible to everything that reads or
//! edits events.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use smallvec::SmallVec;

use crate::key::Key;
use crate::value::Value;

/// The pairs of an own list.
pub type Pairs = SmallVec<[(Key, Value); Params::INLINE]>;

/// `(key, value)` pairs, stored inline up to [`Params::INLINE`] pairs. Derefs to a slice,
/// so `iter()`, `len()`, indexing and slice patterns work as on a `Vec`; events keep them
/// sorted by key name with each key once.
#[derive(Clone)]
pub struct Params(Repr);

// Inline on purpose: boxing the own list would put back the allocation per event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Repr {
    /// The event's own list.
    Own(Pairs),
    /// A list shared with other copies of a kept event (see [`Params::share`]).
    Shared(Arc<[(Key, Value)]>),
}

impl Default for Params {
    fn default() -> Params {
        Params::new()
    }
}

impl Params {
    /// Pairs held without allocating.
    pub const INLINE: usize = 6;

    /// An empty list.
    pub fn new() -> Params {
        Params(Repr::Own(SmallVec::new()))
    }

    /// An empty list with room for `n` pairs (allocates only past [`Params::INLINE`]).
    pub fn with_capacity(n: usize) -> Params {
        Params(Repr::Own(SmallVec::with_capacity(n)))
    }

    /// Make the list one that clones and drops as a reference count (one allocation now).
    /// For events that are copied many times; editing a copy later makes it its own again.
    pub fn share(&mut self) {
        if let Repr::Own(pairs) = &mut self.0 {
            let shared: Arc<[(Key, Value)]> = pairs.drain(..).collect();
            self.0 = Repr::Shared(shared);
        }
    }

    /// Whether the list is shared (see [`Params::share`]).
    #[inline]
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(_))
    }

    /// The list as the event's own (copied out of a shared one first), to fill in place:
    /// pushes on it are plain vector pushes, for code that builds millions of lists.
    #[inline]
    pub fn own(&mut self) -> &mut Pairs {
        if self.is_shared() {
            self.unshare();
        }
        match &mut self.0 {
            Repr::Own(pairs) => pairs,
            Repr::Shared(_) => unreachable!("made own above"),
        }
    }

    /// Copy a shared list into the event's own (rare: building events never shares).
    #[cold]
    fn unshare(&mut self) {
        if let Repr::Shared(shared) = &self.0 {
            let pairs: Pairs = shared.iter().cloned().collect();
            self.0 = Repr::Own(pairs);
        }
    }

    /// Append a pair (the caller keeps the list sorted where that matters).
    #[inline]
    pub fn push(&mut self, pair: (Key, Value)) {
        self.own().push(pair);
    }

    /// Insert a pair at `index` (clamped to the length).
    pub fn insert(&mut self, index: usize, pair: (Key, Value)) {
        let pairs = self.own();
        let i = index.min(pairs.len());
        pairs.insert(i, pair);
    }

    /// Remove every pair.
    pub fn clear(&mut self) {
        match &mut self.0 {
            Repr::Own(pairs) => pairs.clear(),
            Repr::Shared(_) => self.0 = Repr::Own(SmallVec::new()),
        }
    }

    /// Keep only the pairs for which `f` is true.
    pub fn retain(&mut self, mut f: impl FnMut(&(Key, Value)) -> bool) {
        self.own().retain(|p| f(p));
    }

    /// The value of `key` (the first pair with that name).
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }

    /// Set `key` to `value` in a name-sorted list: replaces the pair with that name, or
    /// inserts one where it keeps the list sorted.
    #[inline]
    pub fn set_sorted(&mut self, key: Key, value: Value) {
        let pairs = self.own();
        match pairs.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(pos) => {
                if let Some(slot) = pairs.get_mut(pos) {
                    slot.1 = value;
                }
            }
            Err(pos) => pairs.insert(pos, (key, value)),
        }
    }

    /// The pairs as a `Vec`.
    pub fn to_vec(&self) -> Vec<(Key, Value)> {
        self.deref().to_vec()
    }
}

impl Deref for Params {
    type Target = [(Key, Value)];

    #[inline]
    fn deref(&self) -> &[(Key, Value)] {
        match &self.0 {
            Repr::Own(pairs) => pairs,
            Repr::Shared(shared) => shared,
        }
    }
}

impl DerefMut for Params {
    #[inline]
    fn deref_mut(&mut self) -> &mut [(Key, Value)] {
        self.own()
    }
}

/// Equal when the pairs are, shared or not.
impl PartialEq for Params {
    fn eq(&self, other: &Params) -> bool {
        self.deref() == other.deref()
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<K: Into<Key>> FromIterator<(K, Value)> for Params {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Params {
        Params(Repr::Own(
            iter.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ))
    }
}

impl<K: Into<Key>> Extend<(K, Value)> for Params {
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, iter: I) {
        self.own()
            .extend(iter.into_iter().map(|(k, v)| (k.into(), v)));
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
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Params {
    type Item = &'a mut (Key, Value);
    type IntoIter = std::slice::IterMut<'a, (Key, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.own().iter_mut()
    }
}

impl IntoIterator for Params {
    type Item = (Key, Value);
    type IntoIter = smallvec::IntoIter<[(Key, Value); Params::INLINE]>;

    fn into_iter(self) -> Self::IntoIter {
        match self.0 {
            Repr::Own(pairs) => pairs.into_iter(),
            Repr::Shared(shared) => shared.iter().cloned().collect::<Pairs>().into_iter(),
        }
    }
}

impl PartialEq<Vec<(Key, Value)>> for Params {
    fn eq(&self, other: &Vec<(Key, Value)>) -> bool {
        self.deref() == other.as_slice()
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
        assert!(matches!(&p.0, Repr::Own(v) if !v.spilled()));
        p.push((Key::AMP, Value::Num(0.1)));
        assert!(matches!(&p.0, Repr::Own(v) if v.spilled()));
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

    #[test]
    fn a_shared_list_reads_the_same_and_becomes_its_own_when_edited() {
        let mut p: Params = vec![("amp", Value::Num(0.1)), ("s", Value::str("bd"))].into();
        let own = p.clone();
        p.share();
        assert!(p.is_shared());
        assert_eq!(p, own);
        let copy = p.clone();
        assert!(copy.is_shared());
        p.set_sorted(Key::N, Value::Num(3.0));
        assert!(!p.is_shared());
        assert_eq!(copy, own, "editing one copy leaves the others alone");
        assert_eq!(p.len(), 3);
        let mut q = copy.clone();
        q.clear();
        assert!(q.is_empty() && !q.is_shared());
        let pairs: Vec<(Key, Value)> = copy.into_iter().collect();
        assert_eq!(own, pairs);
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
        // 8 of them the tag that tells a shared parameter list from an own one.
        assert!(std::mem::size_of::<crate::Event>() <= 336);
    }
}
