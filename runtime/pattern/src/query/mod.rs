//! Querying cycle-domain patterns: Tidal's query semantics for every [`Pat`] node.
//!
//! `pat.query(span, budget, out)` appends every hap intersecting `span` to `out`, as Tidal
//! fragments (`whole` + `part`). Nodes append their children's haps to the caller's `out`
//! and transform the newly appended tail in place, so a query allocates only where a node
//! needs a second list (the value side of `App`, patterned parameters). Zero-width queries
//! `[t, t]` follow Tidal's rules: they sample what is active at `t` (see [`ops::rev`] for
//! the one place where we deliberately do better than Tidal).
//!
//! Every node visit, every cycle piece and every hap produced costs budget, so runaway
//! patterns (`fast 1e9`, deep nesting) stop with [`Overrun`] instead of hanging.

mod bound;
mod combine;
#[cfg(test)]
pub(crate) mod test_gen {
    //! A small deterministic generator for the randomized tests of the query modules.

    /// Xorshift64: the tests need no crate for their random trees.
    pub(crate) struct Gen(pub(crate) u64);

    impl Gen {
        /// A number in `0..n` (n > 0).
        pub(crate) fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }
}
mod ops;
mod point;
mod random;
mod structure;

pub(crate) use combine::unary;

use crate::pat::{Hap, Pat};
use crate::time::{Time, TimeSpan};
use crate::value::Value;
pub(crate) use structure::arp_pick;

/// Work allowance for one query: each hap produced or visited costs one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Steps left.
    pub remaining: u64,
}

impl Budget {
    /// A budget of `steps`.
    pub fn new(steps: u64) -> Budget {
        Budget { remaining: steps }
    }

    /// Spend one step.
    #[inline]
    pub fn spend(&mut self, steps: u64) -> Result<(), Overrun> {
        if self.remaining < steps {
            self.remaining = 0;
            return Err(Overrun);
        }
        self.remaining -= steps;
        Ok(())
    }
}

/// The budget ran out: the pattern produces too many events or nests too deeply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overrun;

/// A query continuation: "query the pattern under this node over a span".
pub(crate) type Q<'a> =
    &'a mut dyn FnMut(TimeSpan, &mut Budget, &mut Vec<Hap>) -> Result<(), Overrun>;

/// A continuation that queries the `i`-th of several patterns (`cat`).
pub(crate) type QIndexed<'a> =
    &'a mut dyn FnMut(usize, TimeSpan, &mut Budget, &mut Vec<Hap>) -> Result<(), Overrun>;

/// A continuation that queries the pattern a parameter value selects (`tParam`).
pub(crate) type QValued<'a> =
    &'a mut dyn FnMut(&Value, TimeSpan, &mut Budget, &mut Vec<Hap>) -> Result<(), Overrun>;

impl Pat {
    /// All haps of this pattern intersecting `span` (cycles), appended to `out`.
    pub fn query(
        &self,
        span: TimeSpan,
        budget: &mut Budget,
        out: &mut Vec<Hap>,
    ) -> Result<(), Overrun> {
        budget.spend(1)?;
        if span.begin > span.end {
            return Ok(());
        }
        match self {
            Pat::Silence => Ok(()),
            Pat::Pure(v) => ops::pure(v, span, budget, out),
            Pat::Signal { kind, seed } => {
                crate::signal::query_signal(*kind, *seed, span, budget, out)
            }
            Pat::Stack(ps) => {
                for p in ps {
                    p.query(span, budget, out)?;
                }
                Ok(())
            }
            Pat::TimeCat(ps) => ops::timecat(ps, span, budget, out),
            Pat::SlowCat(ps) => ops::slowcat(
                ps.len(),
                span,
                budget,
                out,
                &mut |i, s, b, o| match ps.get(i) {
                    Some(p) => p.query(s, b, o),
                    None => Ok(()),
                },
            ),
            Pat::Fast { factor, pat } => ops::with_param(
                factor,
                span,
                budget,
                out,
                &mut |v, s, b, o| match as_time(v) {
                    Some(r) => ops::fast(r, s, b, o, &mut |s, b, o| pat.query(s, b, o)),
                    None => Ok(()),
                },
            ),
            Pat::Early { amount, pat } => ops::with_param(
                amount,
                span,
                budget,
                out,
                &mut |v, s, b, o| match as_time(v) {
                    Some(t) => ops::early(t, s, b, o, &mut |s, b, o| pat.query(s, b, o)),
                    None => Ok(()),
                },
            ),
            Pat::Rev(p) => ops::rev(span, budget, out, &mut |s, b, o| p.query(s, b, o)),
            Pat::Euclid {
                k,
                n,
                rot,
                pat,
                bool_gaps,
            } => structure::euclid(k, n, rot, pat, *bool_gaps, span, budget, out),
            Pat::Degrade {
                amount,
                seed,
                invert,
                pat,
            } => random::degrade(amount, *seed, *invert, pat, span, budget, out),
            Pat::RandChoice { seed, options } => {
                random::rand_choice(*seed, options, span, budget, out)
            }
            Pat::Range { from, to } => structure::range(from, to, span, budget, out),
            Pat::WhenCycle {
                cond,
                then,
                otherwise,
            } => ops::when_cycle(*cond, then, otherwise, span, budget, out),
            Pat::OnsetWithin {
                begin,
                end,
                invert,
                pat,
            } => {
                let start = out.len();
                pat.query(span, budget, out)?;
                retain_tail(out, start, |h| {
                    let pos = h.onset().cycle_pos();
                    (*begin <= pos && pos < *end) != *invert
                });
                Ok(())
            }
            Pat::Ply { factor, pat } => structure::ply(factor, pat, span, budget, out),
            Pat::App { op, left, right } => combine::app(*op, left, right, span, budget, out),
            Pat::Map { op, pat } => {
                let start = out.len();
                pat.query(span, budget, out)?;
                for h in out.iter_mut().skip(start) {
                    h.value = combine::unary(*op, &h.value);
                }
                Ok(())
            }
            Pat::Struct { mask, pat } => combine::structure(mask, pat, span, budget, out),
            Pat::Mask { mask, pat } => combine::mask(mask, pat, span, budget, out),
            Pat::Arp { mode, pat } => structure::arp(*mode, pat, span, budget, out),
            Pat::Gain { factor, pat } => {
                let start = out.len();
                pat.query(span, budget, out)?;
                for h in out.iter_mut().skip(start) {
                    h.gain *= factor;
                }
                Ok(())
            }
            Pat::Trig(t) => t.query(span, budget, out),
        }
    }
}

/// A numeric value as exact time (factors and shifts), with the denominator bound used for
/// typed numbers; `None` for non-numbers and non-finite values.
pub(crate) fn as_time(v: &Value) -> Option<Time> {
    let x = v.as_num()?;
    if !x.is_finite() {
        return None;
    }
    Some(time_of(x))
}

thread_local! {
    /// Recent float → time conversions: a pattern's factors (`<a b c>` is `slow 3`) are
    /// converted again on every query, and the continued-fraction expansion is costly.
    static TIMES: std::cell::Cell<[(u64, Time); 8]> =
        const { std::cell::Cell::new([(0, Time::ZERO); 8]) };
}

/// `Time::from_f64(x)`, remembered per thread by the bits of `x` (the conversion is pure,
/// and 0.0, whose bits are 0, converts to zero, so the empty table is right).
fn time_of(x: f64) -> Time {
    let bits = x.to_bits();
    let slot = ((bits ^ (bits >> 29) ^ (bits >> 47)) & 7) as usize;
    let cached = TIMES
        .try_with(|t| t.get().get(slot).copied())
        .ok()
        .flatten();
    if let Some((b, t)) = cached {
        if b == bits {
            return t;
        }
    }
    let t = Time::from_f64(x);
    let _ = TIMES.try_with(|c| {
        let mut table = c.get();
        if let Some(e) = table.get_mut(slot) {
            *e = (bits, t);
        }
        c.set(table);
    });
    t
}

/// A numeric value as an integer (euclid arguments), flooring fractions.
pub(crate) fn as_int(v: &Value) -> Option<i64> {
    let x = v.as_num()?;
    if !x.is_finite() {
        return None;
    }
    Some(x.floor() as i64)
}

/// Keep the haps of `out[start..]` for which `keep` returns true (it may edit them),
/// preserving order, without touching the prefix.
pub(crate) fn retain_tail(
    out: &mut Vec<Hap>,
    start: usize,
    mut keep: impl FnMut(&mut Hap) -> bool,
) {
    let mut write = start;
    for read in start..out.len() {
        let kept = match out.get_mut(read) {
            Some(h) => keep(h),
            None => false,
        };
        if kept {
            if write != read {
                out.swap(write, read);
            }
            write += 1;
        }
    }
    out.truncate(write);
}

/// Apply `f` to both ends of the whole and of the part of every hap in `out[start..]`.
#[inline]
pub(crate) fn map_tail_times(out: &mut [Hap], start: usize, f: impl Fn(Time) -> Time) {
    for h in out.iter_mut().skip(start) {
        if let Some(w) = h.whole {
            if w == h.part {
                let p = TimeSpan::new(f(w.begin), f(w.end));
                h.whole = Some(p);
                h.part = p;
                continue;
            }
            h.whole = Some(TimeSpan::new(f(w.begin), f(w.end)));
        }
        h.part = TimeSpan::new(f(h.part.begin), f(h.part.end));
    }
}

/// Tidal's `subMaybeArc`: the intersection of two optional wholes. `None` (outer) means
/// the intersection is empty and the hap is dropped; a missing whole on either side gives
/// a missing whole.
pub(crate) fn sub_maybe(a: Option<TimeSpan>, b: Option<TimeSpan>) -> Option<Option<TimeSpan>> {
    match (a, b) {
        (Some(a), Some(b)) => a.intersect(b).map(Some),
        _ => Some(None),
    }
}

thread_local! {
    /// Spare hap lists, so nodes that need a second list (the value side of `App`, a
    /// patterned parameter) reuse memory from earlier queries on this thread instead of
    /// allocating on every visit.
    static POOL: std::cell::RefCell<Vec<Vec<Hap>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Most lists kept in the pool, and the largest capacity worth keeping (a runaway query's
/// huge list is freed instead).
const POOL_LISTS: usize = 64;
const POOL_CAPACITY: usize = 1 << 14;

/// A scratch hap list from the thread's pool, returned to it (emptied) on drop.
pub(crate) struct Scratch(Vec<Hap>);

impl Scratch {
    pub(crate) fn take() -> Scratch {
        let v = POOL
            .try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.pop()))
            .ok()
            .flatten();
        Scratch(v.unwrap_or_default())
    }
}

impl std::ops::Deref for Scratch {
    type Target = Vec<Hap>;
    fn deref(&self) -> &Vec<Hap> {
        &self.0
    }
}

impl std::ops::DerefMut for Scratch {
    fn deref_mut(&mut self) -> &mut Vec<Hap> {
        &mut self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let mut v = std::mem::take(&mut self.0);
        if v.capacity() == 0 || v.capacity() > POOL_CAPACITY {
            return;
        }
        v.clear();
        let _ = POOL.try_with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                if p.len() < POOL_LISTS {
                    p.push(v);
                }
            }
        });
    }
}
