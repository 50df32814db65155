//! Evaluation of [`Stream`]s: the value at an event index, as a pure function.
//!
//! SuperCollider streams are stateful iterators; here every value is computed from the
//! stream tree, the event index and a *salt* that identifies one embedding instance (a
//! `Pseq` item played for the third time is a fresh stream, as in SC, so its random values
//! differ from the first time). Randomness is `splitmix64(seed, salt, position)`, so values
//! do not depend on the order they are asked in.
//!
//! Positions inside list patterns are found arithmetically when item lengths are known
//! statically (`Pseq` of fixed-length items: O(items)), and by scanning instances
//! otherwise (random picks among items of unequal length, `Pxrand`'s no-repeat chain,
//! `Pbrown`'s walk, `Pseries` with a stream step). Scans resume from checkpoints kept in a
//! [`StreamMemo`] so that increasing indices cost amortised O(1); a fresh memo gives the
//! same values, only slower. All work is charged to a [`Budget`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::pat::{BinOp, Hap, Pat, UnOp};
use crate::query::{Budget, Overrun};
use crate::stream::{Repeats, Stream, StreamCtx, StreamRef};
use crate::time::{Time, TimeSpan};
use crate::value::Value;

mod root;
pub(crate) use root::Roots;

/// Budget used by the convenience methods [`Stream::len`] and [`Stream::at`].
const DEFAULT_STEPS: u64 = 1 << 22;
/// Entries kept in a memo before it is cleared (bounds memory on any input).
const MEMO_CAP: usize = 4096;

/// A stream's length: a number of values or forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Len {
    Fin(u64),
    Inf,
}

impl Len {
    fn min(self, other: Len) -> Len {
        match (self, other) {
            (Len::Fin(a), Len::Fin(b)) => Len::Fin(a.min(b)),
            (Len::Fin(a), Len::Inf) | (Len::Inf, Len::Fin(a)) => Len::Fin(a),
            (Len::Inf, Len::Inf) => Len::Inf,
        }
    }

    fn contains(self, i: u64) -> bool {
        match self {
            Len::Fin(n) => i < n,
            Len::Inf => true,
        }
    }

    fn to_option(self) -> Option<u64> {
        match self {
            Len::Fin(n) => Some(n),
            Len::Inf => None,
        }
    }
}

fn repeats_len(repeats: Repeats) -> Len {
    match repeats {
        Some(n) => Len::Fin(n),
        None => Len::Inf,
    }
}

/// A resumption point of a sequential scan.
#[derive(Clone, Copy, Debug, Default)]
struct Ckpt {
    /// Instance (or index) number the scan is at.
    m: u64,
    /// Event position where instance `m` starts.
    start: u64,
    /// Scan state before instance `m` (previous `Pxrand` pick).
    aux: u64,
    /// Scan state as a number (`Pbrown`'s position, `Pseries`' sum).
    val: f64,
}

/// A fast hasher for the memo's `(address, salt)` keys (no untrusted keys reach it: the
/// salts are already hashes).
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

/// Checkpoints of sequential scans, keyed by stream node and embedding instance. Only a
/// speed-up: results never depend on it. Holds no reference to the nodes, so it must be
/// dropped when the program it was used with is replaced (the player cache does that).
#[derive(Clone, Debug, Default)]
pub struct StreamMemo {
    map: HashMap<(usize, u64), Ckpt, BuildHasherDefault<WordHasher>>,
    scratch: Vec<Hap>,
}

impl StreamMemo {
    /// An empty memo.
    pub fn new() -> StreamMemo {
        StreamMemo::default()
    }

    fn get(&self, key: (usize, u64)) -> Option<Ckpt> {
        self.map.get(&key).copied()
    }

    fn put(&mut self, key: (usize, u64), ck: Ckpt) {
        if self.map.len() >= MEMO_CAP && !self.map.contains_key(&key) {
            self.map.clear();
        }
        self.map.insert(key, ck);
    }
}

/// Evaluation state: memo and budget.
pub(crate) struct Ev<'a> {
    pub memo: &'a mut StreamMemo,
    pub budget: &'a mut Budget,
}

// ---------------------------------------------------------------------------------------
// Hashing

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Combine two words into a well-mixed one.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    splitmix64(a ^ splitmix64(b))
}

fn hash3(seed: u64, salt: u64, pos: u64) -> u64 {
    mix(mix(seed, salt), pos)
}

/// A float in `[0, 1)`.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An integer in `0..n` (n > 0).
fn below(h: u64, n: u64) -> u64 {
    ((h as u128 * n as u128) >> 64) as u64
}

fn addr(s: &Stream) -> usize {
    s as *const Stream as usize
}

// Salt tags for the parameters of a node, so that one shared node used twice gets
// independent values.
const TAG_LO: u64 = 0x6c6f;
const TAG_HI: u64 = 0x6869;
const TAG_STEP: u64 = 0x7374;
const TAG_START: u64 = 0x7374_6172;
const TAG_LEFT: u64 = 0x4c;
const TAG_RIGHT: u64 = 0x52;
const TAG_INIT: u64 = u64::MAX;

// ---------------------------------------------------------------------------------------
// Static structure

/// A value that embeds as one item (SC: a non-pattern object yields itself once).
fn is_literal(s: &Stream) -> bool {
    let mut fuel = FUEL;
    is_literal_f(s, &mut fuel)
}

/// Node visits allowed to one static analysis. Shared nodes (`let` bindings reused) make
/// the tree a DAG whose walk can be exponential; past this bound a node counts as not
/// literal / of unknown length, which sends evaluation down the budgeted paths.
const FUEL: u32 = 4096;

/// Run a static analysis with fresh fuel and charge the visits to the budget (one step
/// per 16 node visits: free for ordinary trees, bounded for pathological ones).
fn charged<T>(ev: &mut Ev, f: impl FnOnce(&mut u32) -> T) -> Result<T, Overrun> {
    let mut fuel = FUEL;
    let r = f(&mut fuel);
    ev.budget.spend(u64::from(FUEL - fuel) / 16)?;
    Ok(r)
}

fn burn(fuel: &mut u32) -> bool {
    if *fuel == 0 {
        return false;
    }
    *fuel -= 1;
    true
}

fn is_literal_f(s: &Stream, fuel: &mut u32) -> bool {
    if !burn(fuel) {
        return false;
    }
    match s {
        Stream::Const(_) | Stream::Cycle(_) => true,
        Stream::Chord(ps) => ps.iter().all(|p| is_literal_f(p, fuel)),
        Stream::Bin { left, right, .. } => is_literal_f(left, fuel) && is_literal_f(right, fuel),
        Stream::Un { stream, .. } => is_literal_f(stream, fuel),
        _ => false,
    }
}

/// True when the stream's values do not depend on the index (constants and cycle
/// patterns, combined): such keys need no event counting.
pub(crate) fn is_index_free(s: &Stream) -> bool {
    is_literal(s)
}

fn mul_len(l: Len, repeats: Repeats) -> Len {
    match (l, repeats) {
        (_, Some(0)) | (Len::Fin(0), _) => Len::Fin(0),
        (Len::Fin(a), Some(r)) => Len::Fin(a.saturating_mul(r)),
        _ => Len::Inf,
    }
}

/// Length known without evaluating randomness; `None` when it depends on random picks
/// (or when the walk runs out of fuel).
fn static_len_f(s: &Stream, fuel: &mut u32) -> Option<Len> {
    if !burn(fuel) {
        return None;
    }
    match s {
        Stream::Const(_) | Stream::Cycle(_) => Some(Len::Inf),
        Stream::Seq { items, repeats, .. } | Stream::Shuf { items, repeats, .. } => {
            let mut pass = Len::Fin(0);
            for it in items {
                match (pass, static_embed_f(it, fuel)?) {
                    (Len::Fin(a), Len::Fin(b)) => pass = Len::Fin(a.saturating_add(b)),
                    _ => pass = Len::Inf,
                }
            }
            Some(mul_len(pass, *repeats))
        }
        Stream::Rand { items, repeats, .. }
        | Stream::XRand { items, repeats, .. }
        | Stream::WRand { items, repeats, .. } => {
            let first = match items.first() {
                Some(f) => static_embed_f(f, fuel)?,
                None => return Some(Len::Fin(0)),
            };
            for it in items {
                if static_embed_f(it, fuel)? != first {
                    return None;
                }
            }
            Some(mul_len(first, *repeats))
        }
        Stream::White { lo, hi, length, .. } | Stream::ExpRand { lo, hi, length, .. } => Some(
            repeats_len(*length)
                .min(static_len_f(lo, fuel)?)
                .min(static_len_f(hi, fuel)?),
        ),
        Stream::Brown {
            lo,
            hi,
            step,
            length,
            ..
        } => {
            let params = static_len_f(lo, fuel)?
                .min(static_len_f(hi, fuel)?)
                .min(static_len_f(step, fuel)?);
            let params = match params {
                Len::Fin(n) => Len::Fin(n.saturating_sub(1)),
                Len::Inf => Len::Inf,
            };
            Some(repeats_len(*length).min(params))
        }
        Stream::Series {
            start,
            step,
            length,
        } => {
            let l = repeats_len(*length).min(static_len_f(step, fuel)?);
            Some(if static_len_f(start, fuel)? == Len::Fin(0) {
                Len::Fin(0)
            } else {
                l
            })
        }
        Stream::Geom {
            start,
            grow,
            length,
        } => {
            let l = repeats_len(*length).min(static_len_f(grow, fuel)?);
            Some(if static_len_f(start, fuel)? == Len::Fin(0) {
                Len::Fin(0)
            } else {
                l
            })
        }
        Stream::Repeat { stream, repeats } => {
            Some(mul_len(static_embed_f(stream, fuel)?, *repeats))
        }
        Stream::Chord(ps) => {
            let mut l = Len::Inf;
            for p in ps {
                l = l.min(static_len_f(p, fuel)?);
            }
            Some(l)
        }
        Stream::Bin { left, right, .. } => {
            Some(static_len_f(left, fuel)?.min(static_len_f(right, fuel)?))
        }
        Stream::Un { stream, .. } | Stream::Arp { stream, .. } => static_len_f(stream, fuel),
    }
}

fn static_embed_f(s: &Stream, fuel: &mut u32) -> Option<Len> {
    if is_literal_f(s, fuel) {
        Some(Len::Fin(1))
    } else {
        static_len_f(s, fuel)
    }
}

// ---------------------------------------------------------------------------------------
// Dynamic lengths

fn len_of(s: &Stream, salt: u64, ev: &mut Ev) -> Result<Len, Overrun> {
    if let Some(l) = charged(ev, |f| static_len_f(s, f))? {
        return Ok(l);
    }
    ev.budget.spend(1)?;
    match s {
        Stream::Seq {
            items,
            repeats,
            offset,
        } => {
            let n = items.len() as u64;
            let Some(r) = repeats else {
                return Ok(Len::Inf);
            };
            sum_instances(n.saturating_mul(*r), salt, ev, |m| {
                seq_item(items, *offset, m)
            })
        }
        Stream::Shuf {
            items,
            repeats,
            seed,
        } => {
            let n = items.len() as u64;
            let Some(r) = repeats else {
                return Ok(Len::Inf);
            };
            let perm = shuffle(items.len(), mix(*seed, salt));
            sum_instances(n.saturating_mul(*r), salt, ev, |m| {
                perm.get((m % n.max(1)) as usize)
                    .and_then(|&k| items.get(k))
            })
        }
        Stream::Rand {
            items,
            repeats,
            seed,
        } => {
            let Some(r) = repeats else {
                return Ok(Len::Inf);
            };
            let n = items.len() as u64;
            sum_instances(*r, salt, ev, |m| {
                items.get(below(hash3(*seed, salt, m), n.max(1)) as usize)
            })
        }
        Stream::WRand {
            items,
            weights,
            repeats,
            seed,
        } => {
            let Some(r) = repeats else {
                return Ok(Len::Inf);
            };
            sum_instances(*r, salt, ev, |m| {
                items.get(windex(weights, items.len(), unit(hash3(*seed, salt, m))))
            })
        }
        Stream::XRand {
            items,
            repeats,
            seed,
        } => {
            let Some(r) = repeats else {
                return Ok(Len::Inf);
            };
            let n = items.len() as u64;
            let mut prev = xrand_init(*seed, salt, n);
            let mut total = 0u64;
            for m in 0..*r {
                ev.budget.spend(1)?;
                prev = xrand_next(*seed, salt, n, prev, m);
                let Some(it) = items.get(prev as usize) else {
                    return Ok(Len::Fin(total));
                };
                match embed_len(it, mix(salt, m), ev)? {
                    Len::Fin(l) => total = total.saturating_add(l),
                    Len::Inf => return Ok(Len::Inf),
                }
            }
            Ok(Len::Fin(total))
        }
        Stream::Repeat { stream, repeats } => {
            let Some(r) = repeats else {
                return Ok(Len::Inf);
            };
            sum_instances(*r, salt, ev, |_| Some(stream))
        }
        Stream::White { lo, hi, length, .. } | Stream::ExpRand { lo, hi, length, .. } => {
            Ok(repeats_len(*length)
                .min(len_of(lo, mix(salt, TAG_LO), ev)?)
                .min(len_of(hi, mix(salt, TAG_HI), ev)?))
        }
        Stream::Brown {
            lo,
            hi,
            step,
            length,
            ..
        } => {
            let p = len_of(lo, mix(salt, TAG_LO), ev)?
                .min(len_of(hi, mix(salt, TAG_HI), ev)?)
                .min(len_of(step, mix(salt, TAG_STEP), ev)?);
            let p = match p {
                Len::Fin(n) => Len::Fin(n.saturating_sub(1)),
                Len::Inf => Len::Inf,
            };
            Ok(repeats_len(*length).min(p))
        }
        Stream::Series {
            start,
            step: other,
            length,
        }
        | Stream::Geom {
            start,
            grow: other,
            length,
        } => {
            if len_of(start, mix(salt, TAG_START), ev)? == Len::Fin(0) {
                return Ok(Len::Fin(0));
            }
            Ok(repeats_len(*length).min(len_of(other, mix(salt, TAG_STEP), ev)?))
        }
        Stream::Chord(ps) => {
            let mut l = Len::Inf;
            for (i, p) in ps.iter().enumerate() {
                l = l.min(len_of(p, mix(salt, i as u64), ev)?);
            }
            Ok(l)
        }
        Stream::Bin { left, right, .. } => Ok(len_of(left, mix(salt, TAG_LEFT), ev)?.min(len_of(
            right,
            mix(salt, TAG_RIGHT),
            ev,
        )?)),
        Stream::Un { stream, .. } | Stream::Arp { stream, .. } => len_of(stream, salt, ev),
        Stream::Const(_) | Stream::Cycle(_) => Ok(Len::Inf),
    }
}

fn embed_len(s: &Stream, salt: u64, ev: &mut Ev) -> Result<Len, Overrun> {
    if charged(ev, |f| is_literal_f(s, f))? {
        Ok(Len::Fin(1))
    } else {
        len_of(s, salt, ev)
    }
}

fn sum_instances<'s>(
    count: u64,
    salt: u64,
    ev: &mut Ev,
    item: impl Fn(u64) -> Option<&'s StreamRef>,
) -> Result<Len, Overrun> {
    let mut total = 0u64;
    for m in 0..count {
        ev.budget.spend(1)?;
        let Some(it) = item(m) else {
            return Ok(Len::Fin(total));
        };
        match embed_len(it, mix(salt, m), ev)? {
            Len::Fin(l) => total = total.saturating_add(l),
            Len::Inf => return Ok(Len::Inf),
        }
    }
    Ok(Len::Fin(total))
}

// ---------------------------------------------------------------------------------------
// Random helpers

fn seq_item<T>(items: &[T], offset: i64, m: u64) -> Option<&T> {
    let n = items.len() as i128;
    if n == 0 {
        return None;
    }
    let k = ((m as i128 % n) + offset as i128).rem_euclid(n);
    items.get(k as usize)
}

/// A permutation of `0..n` (Fisher–Yates driven by the hash).
fn shuffle(n: usize, seed: u64) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = below(mix(seed, i as u64), i as u64 + 1) as usize;
        perm.swap(i, j);
    }
    perm
}

/// SC's `windex` over normalised weights; uniform when the weights are unusable.
fn windex(weights: &[f64], n: usize, u: f64) -> usize {
    let w = |i: usize| {
        weights
            .get(i)
            .copied()
            .filter(|x| x.is_finite() && *x > 0.0)
            .unwrap_or(0.0)
    };
    let total: f64 = (0..n).map(w).sum();
    if n == 0 || total <= 0.0 || !total.is_finite() {
        return below((u * (1u64 << 53) as f64) as u64, n.max(1) as u64) as usize;
    }
    let target = u * total;
    let mut acc = 0.0;
    for i in 0..n {
        acc += w(i);
        if target < acc {
            return i;
        }
    }
    // Rounding left the target at the very top: the last item with weight.
    (0..n).rev().find(|&i| w(i) > 0.0).unwrap_or(0)
}

fn xrand_init(seed: u64, salt: u64, n: u64) -> u64 {
    below(hash3(seed, salt, TAG_INIT), n.max(1))
}

/// Pxrand: `index = (index + rand(size - 1) + 1) % size`.
fn xrand_next(seed: u64, salt: u64, n: u64, prev: u64, m: u64) -> u64 {
    xrand_step(hash3(seed, salt, m), n, prev)
}

/// [`xrand_next`] with the pick's hash `h` already made.
fn xrand_step(h: u64, n: u64, prev: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    (prev + below(h, n - 1) + 1) % n
}

// ---------------------------------------------------------------------------------------
// Evaluation

/// Where event position `idx` falls: which item instance, and the position inside it.
struct Located<'s> {
    item: &'s StreamRef,
    m: u64,
    j: u64,
}

/// Walk instances `m = 0, 1, …` (at most `count`), each `(item, aux) = pick(m, aux)` with
/// its embedded length, resuming from the memo checkpoint for `key`.
fn scan<'s>(
    key: (usize, u64),
    count: Len,
    idx: u64,
    init_aux: u64,
    ev: &mut Ev,
    pick: impl Fn(u64, u64) -> (Option<&'s StreamRef>, u64),
) -> Result<Option<Located<'s>>, Overrun> {
    let salt = key.1;
    let mut ck = match ev.memo.get(key) {
        Some(ck) if ck.start <= idx => ck,
        _ => Ckpt {
            m: 0,
            start: 0,
            aux: init_aux,
            val: 0.0,
        },
    };
    loop {
        if !count.contains(ck.m) {
            return Ok(None);
        }
        ev.budget.spend(1)?;
        let (item, aux) = pick(ck.m, ck.aux);
        let Some(item) = item else {
            return Ok(None);
        };
        let len = embed_len(item, mix(salt, ck.m), ev)?;
        let inside = match len {
            Len::Fin(l) => idx - ck.start < l,
            Len::Inf => true,
        };
        if inside {
            ev.memo.put(key, ck);
            return Ok(Some(Located {
                item,
                m: ck.m,
                j: idx - ck.start,
            }));
        }
        if let Len::Fin(l) = len {
            ck.start = ck.start.saturating_add(l);
        }
        ck.aux = aux;
        ck.m = ck.m.saturating_add(1);
    }
}

/// Locate `idx` in a list pattern whose passes play every item once (Pseq, Pshuf).
fn locate_passes<'s>(
    s: &Stream,
    items: &'s [StreamRef],
    repeats: Repeats,
    idx: u64,
    salt: u64,
    ev: &mut Ev,
    order: impl Fn(u64) -> Option<&'s StreamRef>,
) -> Result<Option<Located<'s>>, Overrun> {
    let n = items.len() as u64;
    if n == 0 {
        return Ok(None);
    }
    let count = mul_len(Len::Fin(n), repeats);
    let mut pass = 0u64;
    let mut has_inf = false;
    let mut all_static = true;
    for it in items {
        match charged(ev, |f| static_embed_f(it, f))? {
            Some(Len::Fin(l)) => pass = pass.saturating_add(l),
            Some(Len::Inf) => has_inf = true,
            None => all_static = false,
        }
    }
    if all_static {
        // Static lengths: jump over whole passes, then walk one pass.
        let (r, mut q) = if has_inf {
            (0, idx)
        } else {
            if pass == 0 {
                return Ok(None);
            }
            (idx / pass, idx % pass)
        };
        for k in 0..n {
            let m = r.saturating_mul(n).saturating_add(k);
            if !count.contains(m) {
                return Ok(None);
            }
            ev.budget.spend(1)?;
            let Some(item) = order(m) else {
                return Ok(None);
            };
            match charged(ev, |f| static_embed_f(item, f))? {
                Some(Len::Fin(l)) if q >= l => q -= l,
                _ => return Ok(Some(Located { item, m, j: q })),
            }
        }
        return Ok(None);
    }
    scan((addr(s), salt), count, idx, 0, ev, |m, _| (order(m), 0))
}

fn locate<'s>(
    s: &'s Stream,
    idx: u64,
    salt: u64,
    ev: &mut Ev,
) -> Result<Option<Located<'s>>, Overrun> {
    match s {
        Stream::Seq {
            items,
            repeats,
            offset,
        } => locate_passes(s, items, *repeats, idx, salt, ev, |m| {
            seq_item(items, *offset, m)
        }),
        Stream::Shuf {
            items,
            repeats,
            seed,
        } => {
            let perm = shuffle(items.len(), mix(*seed, salt));
            let n = items.len().max(1) as u64;
            locate_passes(s, items, *repeats, idx, salt, ev, |m| {
                perm.get((m % n) as usize).and_then(|&k| items.get(k))
            })
        }
        Stream::Rand {
            items,
            repeats,
            seed,
        } => {
            let n = items.len() as u64;
            if n == 0 {
                return Ok(None);
            }
            let pick = |m: u64| items.get(below(hash3(*seed, salt, m), n) as usize);
            locate_random(s, items, *repeats, idx, salt, ev, pick)
        }
        Stream::WRand {
            items,
            weights,
            repeats,
            seed,
        } => {
            if items.is_empty() {
                return Ok(None);
            }
            let pick =
                |m: u64| items.get(windex(weights, items.len(), unit(hash3(*seed, salt, m))));
            locate_random(s, items, *repeats, idx, salt, ev, pick)
        }
        Stream::XRand {
            items,
            repeats,
            seed,
        } => {
            let n = items.len() as u64;
            if n == 0 {
                return Ok(None);
            }
            let init = xrand_init(*seed, salt, n);
            scan(
                (addr(s), salt),
                repeats_len(*repeats),
                idx,
                init,
                ev,
                |m, prev| {
                    let k = xrand_next(*seed, salt, n, prev, m);
                    (items.get(k as usize), k)
                },
            )
        }
        Stream::Repeat { stream, repeats } => match charged(ev, |f| static_embed_f(stream, f))? {
            Some(Len::Fin(0)) => Ok(None),
            Some(Len::Fin(l)) => {
                let m = idx / l;
                if !repeats_len(*repeats).contains(m) {
                    return Ok(None);
                }
                Ok(Some(Located {
                    item: stream,
                    m,
                    j: idx % l,
                }))
            }
            Some(Len::Inf) => Ok(if repeats_len(*repeats).contains(0) {
                Some(Located {
                    item: stream,
                    m: 0,
                    j: idx,
                })
            } else {
                None
            }),
            None => scan(
                (addr(s), salt),
                repeats_len(*repeats),
                idx,
                0,
                ev,
                |_, _| (Some(stream), 0),
            ),
        },
        _ => Ok(None),
    }
}

fn locate_random<'s>(
    s: &Stream,
    items: &'s [StreamRef],
    repeats: Repeats,
    idx: u64,
    salt: u64,
    ev: &mut Ev,
    pick: impl Fn(u64) -> Option<&'s StreamRef>,
) -> Result<Option<Located<'s>>, Overrun> {
    let count = repeats_len(repeats);
    if items.iter().all(|it| matches!(**it, Stream::Const(_))) {
        // The common case, a choice among plain values: one value per pick.
        if !count.contains(idx) {
            return Ok(None);
        }
        return Ok(pick(idx).map(|item| Located { item, m: idx, j: 0 }));
    }
    let first = match items.first() {
        Some(it) => charged(ev, |f| static_embed_f(it, f))?,
        None => None,
    };
    let equal = first.is_some()
        && charged(ev, |f| {
            items.iter().all(|it| static_embed_f(it, f) == first)
        })?;
    if equal {
        let (m, j) = match first {
            Some(Len::Fin(0)) | None => return Ok(None),
            Some(Len::Fin(l)) => (idx / l, idx % l),
            Some(Len::Inf) => (0, idx),
        };
        if !count.contains(m) {
            return Ok(None);
        }
        return Ok(pick(m).map(|item| Located { item, m, j }));
    }
    scan((addr(s), salt), count, idx, 0, ev, |m, _| (pick(m), 0))
}

/// Value of an item embedded in a list, at position `j` of its instance.
fn eval_embedded(
    item: &Stream,
    j: u64,
    salt: u64,
    cycle: Time,
    ev: &mut Ev,
) -> Result<Option<Value>, Overrun> {
    if let Stream::Const(v) = item {
        return Ok((j == 0).then(|| v.clone()));
    }
    if charged(ev, |f| is_literal_f(item, f))? {
        if j == 0 {
            eval(item, 0, salt, cycle, ev)
        } else {
            Ok(None)
        }
    } else {
        eval(item, j, salt, cycle, ev)
    }
}

/// A random stream's bounds, each `None` when not a number.
type Bounds = (Option<f64>, Option<f64>);

/// The `lo` and `hi` bounds of a random number stream at `idx` (outer `None`: a bound's
/// stream has ended; inner `None`: a bound is not a number).
fn bounds_at(
    lo: &Stream,
    hi: &Stream,
    idx: u64,
    salt: u64,
    cycle: Time,
    ev: &mut Ev,
) -> Result<Option<Bounds>, Overrun> {
    let (Some(lo), Some(hi)) = (
        num_at(lo, idx, mix(salt, TAG_LO), cycle, ev)?,
        num_at(hi, idx, mix(salt, TAG_HI), cycle, ev)?,
    ) else {
        return Ok(None);
    };
    Ok(Some((lo, hi)))
}

fn num_at(
    s: &Stream,
    idx: u64,
    salt: u64,
    cycle: Time,
    ev: &mut Ev,
) -> Result<Option<Option<f64>>, Overrun> {
    if let Stream::Const(v) = s {
        // The common case (numeric parameters) without a value clone.
        return Ok(Some(v.as_num()));
    }
    Ok(eval(s, idx, salt, cycle, ev)?.map(|v| v.as_num()))
}

fn fold(x: f64, lo: f64, hi: f64) -> f64 {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let range = hi - lo;
    if range <= 0.0 || !range.is_finite() || !x.is_finite() {
        return lo;
    }
    let r2 = 2.0 * range;
    let c = (x - lo).rem_euclid(r2);
    lo + if c > range { r2 - c } else { c }
}

/// The value of `s` at index `idx` of one instance, or `None` when the stream has ended.
pub(crate) fn eval(
    s: &Stream,
    idx: u64,
    salt: u64,
    cycle: Time,
    ev: &mut Ev,
) -> Result<Option<Value>, Overrun> {
    ev.budget.spend(1)?;
    match s {
        Stream::Const(v) => Ok(Some(v.clone())),
        Stream::Cycle(pat) => sample(pat, cycle, ev).map(Some),
        Stream::Seq { .. }
        | Stream::Shuf { .. }
        | Stream::Rand { .. }
        | Stream::XRand { .. }
        | Stream::WRand { .. }
        | Stream::Repeat { .. } => match locate(s, idx, salt, ev)? {
            Some(loc) => eval_embedded(loc.item, loc.j, mix(salt, loc.m), cycle, ev),
            None => Ok(None),
        },
        Stream::White {
            lo,
            hi,
            length,
            seed,
        } => {
            if !repeats_len(*length).contains(idx) {
                return Ok(None);
            }
            let Some((lo, hi)) = bounds_at(lo, hi, idx, salt, cycle, ev)? else {
                return Ok(None);
            };
            Ok(Some(match (lo, hi) {
                (Some(lo), Some(hi)) => Value::Num(lo + (hi - lo) * unit(hash3(*seed, salt, idx))),
                _ => Value::Rest,
            }))
        }
        Stream::ExpRand {
            lo,
            hi,
            length,
            seed,
        } => {
            if !repeats_len(*length).contains(idx) {
                return Ok(None);
            }
            let Some((lo, hi)) = bounds_at(lo, hi, idx, salt, cycle, ev)? else {
                return Ok(None);
            };
            Ok(Some(match (lo, hi) {
                (Some(lo), Some(hi)) if lo * hi > 0.0 => {
                    Value::Num(lo * (hi / lo).powf(unit(hash3(*seed, salt, idx))))
                }
                _ => Value::Rest,
            }))
        }
        Stream::Brown { length, .. } => {
            if !repeats_len(*length).contains(idx) {
                return Ok(None);
            }
            brown(s, idx, salt, cycle, ev)
        }
        Stream::Series { length, .. } | Stream::Geom { length, .. } => {
            if !repeats_len(*length).contains(idx) {
                return Ok(None);
            }
            series(s, idx, salt, cycle, ev)
        }
        Stream::Chord(ps) => {
            let mut out = Vec::with_capacity(ps.len());
            for (i, p) in ps.iter().enumerate() {
                match eval(p, idx, mix(salt, i as u64), cycle, ev)? {
                    Some(v) => out.push(v),
                    None => return Ok(None),
                }
            }
            Ok(Some(Value::Chord(Arc::from(out))))
        }
        Stream::Bin { op, left, right } => {
            let Some(a) = eval(left, idx, mix(salt, TAG_LEFT), cycle, ev)? else {
                return Ok(None);
            };
            let Some(b) = eval(right, idx, mix(salt, TAG_RIGHT), cycle, ev)? else {
                return Ok(None);
            };
            Ok(Some(apply_bin(*op, &a, &b)))
        }
        Stream::Un { op, stream } => {
            Ok(eval(stream, idx, salt, cycle, ev)?.map(|v| apply_un(*op, &v)))
        }
        Stream::Arp { mode, stream } => Ok(eval(stream, idx, salt, cycle, ev)?
            .map(|v| crate::query::arp_pick(*mode, &v, idx, cycle))),
    }
}

/// Pbrown: `cur = rrand(lo, hi)`, then each value `cur = (cur + step.xrand2).fold(lo, hi)`
/// with the parameter streams advanced once more per value (as SC's embedInStream does).
fn brown(
    s: &Stream,
    idx: u64,
    salt: u64,
    cycle: Time,
    ev: &mut Ev,
) -> Result<Option<Value>, Overrun> {
    let Stream::Brown {
        lo, hi, step, seed, ..
    } = s
    else {
        return Ok(None);
    };
    let (sl, sh, ss) = (mix(salt, TAG_LO), mix(salt, TAG_HI), mix(salt, TAG_STEP));
    let key = (addr(s), salt);
    // `ck.m` counts parameter values consumed: parameters 0 set the start, value i uses
    // parameters i + 1, so the state holding value i has `m == i + 2`.
    let mut ck = match ev.memo.get(key) {
        Some(ck) if ck.m >= 1 && ck.m <= idx.saturating_add(2) => ck,
        _ => {
            let (Some(l), Some(h), Some(_)) = (
                num_at(lo, 0, sl, cycle, ev)?,
                num_at(hi, 0, sh, cycle, ev)?,
                num_at(step, 0, ss, cycle, ev)?,
            ) else {
                return Ok(None);
            };
            let (l, h) = (l.unwrap_or(0.0), h.unwrap_or(0.0));
            Ckpt {
                m: 1,
                start: 0,
                aux: 0,
                val: l + (h - l) * unit(hash3(*seed, salt, TAG_INIT)),
            }
        }
    };
    while ck.m < idx.saturating_add(2) {
        ev.budget.spend(1)?;
        let p = ck.m;
        let (Some(l), Some(h), Some(st)) = (
            num_at(lo, p, sl, cycle, ev)?,
            num_at(hi, p, sh, cycle, ev)?,
            num_at(step, p, ss, cycle, ev)?,
        ) else {
            return Ok(None);
        };
        let (l, h, st) = (l.unwrap_or(0.0), h.unwrap_or(0.0), st.unwrap_or(0.0));
        let r = unit(hash3(*seed, salt, p)) * 2.0 - 1.0;
        ck.val = fold(ck.val + st * r, l, h);
        ck.m = ck.m.saturating_add(1);
    }
    let value = ck.val;
    ev.memo.put(key, ck);
    Ok(Some(Value::Num(value)))
}

/// Pseries / Pgeom: value i is `start ⊕ step_0 ⊕ … ⊕ step_{i-1}`, defined while the step
/// stream still has a value at i.
fn series(
    s: &Stream,
    idx: u64,
    salt: u64,
    cycle: Time,
    ev: &mut Ev,
) -> Result<Option<Value>, Overrun> {
    let (start, step, geom) = match s {
        Stream::Series { start, step, .. } => (start, step, false),
        Stream::Geom { start, grow, .. } => (start, grow, true),
        _ => return Ok(None),
    };
    let combine = |a: f64, b: f64| if geom { a * b } else { a + b };
    let ss = mix(salt, TAG_STEP);
    // SC checks the step before yielding each value.
    let Some(step_now) = num_at(step, idx, ss, cycle, ev)? else {
        return Ok(None);
    };
    let Some(start) = num_at(start, 0, mix(salt, TAG_START), cycle, ev)? else {
        return Ok(None);
    };
    let Some(start) = start else {
        return Ok(Some(Value::Rest));
    };
    if charged(ev, |f| is_literal_f(step, f))? {
        let st = step_now.unwrap_or(0.0);
        let v = if geom {
            start * st.powf(idx as f64)
        } else {
            start + st * idx as f64
        };
        return Ok(Some(Value::Num(v)));
    }
    let key = (addr(s), salt);
    let mut ck = match ev.memo.get(key) {
        Some(ck) if ck.m <= idx => ck,
        _ => Ckpt {
            m: 0,
            start: 0,
            aux: 0,
            val: start,
        },
    };
    while ck.m < idx {
        ev.budget.spend(1)?;
        let Some(st) = num_at(step, ck.m, ss, cycle, ev)? else {
            return Ok(None);
        };
        ck.val = combine(ck.val, st.unwrap_or(if geom { 1.0 } else { 0.0 }));
        ck.m = ck.m.saturating_add(1);
    }
    ev.memo.put(key, ck);
    Ok(Some(Value::Num(ck.val)))
}

/// The values of a cycle pattern at `cycle`: every hap whose whole contains it (and
/// continuous values). One value is itself, several a chord, none a rest.
fn sample(pat: &Pat, cycle: Time, ev: &mut Ev) -> Result<Value, Overrun> {
    if let Some(v) = pat.sample_point(cycle, ev.budget)? {
        return Ok(v);
    }
    let mut haps = std::mem::take(&mut ev.memo.scratch);
    haps.clear();
    let r = pat.query(TimeSpan::new(cycle, cycle), ev.budget, &mut haps);
    let mut values: Vec<Value> = Vec::new();
    if r.is_ok() {
        for h in &haps {
            let inside = match h.whole {
                Some(w) => w.begin <= cycle && (cycle < w.end || w.begin == w.end),
                None => true,
            };
            if inside {
                values.push(h.value.clone());
            }
        }
    }
    haps.clear();
    ev.memo.scratch = haps;
    r?;
    Ok(match values.len() {
        0 => Value::Rest,
        1 => values.pop().unwrap_or(Value::Rest),
        _ => Value::Chord(Arc::from(values)),
    })
}

// ---------------------------------------------------------------------------------------
// Operators

fn truthy_num(x: f64) -> bool {
    x != 0.0
}

/// `op` applied to two values: numbers as numbers, chords element-wise (the shorter one
/// wraps, SC multichannel style), rests and non-numbers give a rest, division by zero a rest.
pub fn apply_bin(op: BinOp, a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Rest, _) | (_, Value::Rest) => return Value::Rest,
        (Value::Chord(xs), _) | (_, Value::Chord(xs)) => {
            let _ = xs;
            let la = chord_len(a);
            let lb = chord_len(b);
            let n = la.max(lb);
            let out: Vec<Value> = (0..n)
                .map(|i| apply_bin(op, chord_at(a, i), chord_at(b, i)))
                .collect();
            return Value::Chord(Arc::from(out));
        }
        _ => {}
    }
    match op {
        BinOp::Left => return a.clone(),
        BinOp::Right => return b.clone(),
        BinOp::And => return Value::Bool(a.is_truthy() && b.is_truthy()),
        BinOp::Or => return Value::Bool(a.is_truthy() || b.is_truthy()),
        _ => {}
    }
    let (x, y) = match (a.as_num(), b.as_num()) {
        (Some(x), Some(y)) => (x, y),
        _ => {
            return match (op, a, b) {
                (BinOp::Eq, Value::Str(p), Value::Str(q)) => Value::Bool(p == q),
                (BinOp::Ne, Value::Str(p), Value::Str(q)) => Value::Bool(p != q),
                _ => Value::Rest,
            }
        }
    };
    match op {
        BinOp::Add => Value::Num(x + y),
        BinOp::Sub => Value::Num(x - y),
        BinOp::Mul => Value::Num(x * y),
        BinOp::Div => {
            if y == 0.0 {
                Value::Rest
            } else {
                Value::Num(x / y)
            }
        }
        BinOp::Mod => {
            if y == 0.0 {
                Value::Rest
            } else {
                Value::Num(x - y * (x / y).floor())
            }
        }
        BinOp::Pow => Value::Num(x.powf(y)),
        BinOp::Lt => Value::Bool(x < y),
        BinOp::Le => Value::Bool(x <= y),
        BinOp::Gt => Value::Bool(x > y),
        BinOp::Ge => Value::Bool(x >= y),
        BinOp::Eq => Value::Bool(x == y),
        BinOp::Ne => Value::Bool(x != y),
        BinOp::And => Value::Bool(truthy_num(x) && truthy_num(y)),
        BinOp::Or => Value::Bool(truthy_num(x) || truthy_num(y)),
        BinOp::Left => Value::Num(x),
        BinOp::Right => Value::Num(y),
    }
}

fn chord_len(v: &Value) -> usize {
    match v {
        Value::Chord(xs) => xs.len(),
        _ => 1,
    }
}

fn chord_at(v: &Value, i: usize) -> &Value {
    match v {
        Value::Chord(xs) if !xs.is_empty() => xs.get(i % xs.len()).unwrap_or(&Value::Rest),
        Value::Chord(_) => &Value::Rest,
        _ => v,
    }
}

/// `op` applied to one value (chords element-wise; `1/0` is a rest).
pub fn apply_un(op: UnOp, v: &Value) -> Value {
    match v {
        Value::Rest => return Value::Rest,
        Value::Chord(xs) => {
            return Value::Chord(xs.iter().map(|x| apply_un(op, x)).collect());
        }
        _ => {}
    }
    match op {
        UnOp::Not => Value::Bool(!v.is_truthy()),
        UnOp::Neg => v.as_num().map(|x| Value::Num(-x)).unwrap_or(Value::Rest),
        UnOp::Recip => match v.as_num() {
            Some(x) if x != 0.0 => Value::Num(1.0 / x),
            _ => Value::Rest,
        },
    }
}

// ---------------------------------------------------------------------------------------
// Entry points

/// Length of a root stream (`None` = forever).
pub(crate) fn root_len(s: &Stream, salt: u64, ev: &mut Ev) -> Result<Option<u64>, Overrun> {
    Ok(len_of(s, salt, ev)?.to_option())
}

/// Value of a root stream at `ctx` (`None` = ended).
pub(crate) fn root_at(
    s: &Stream,
    ctx: StreamCtx,
    salt: u64,
    ev: &mut Ev,
) -> Result<Option<Value>, Overrun> {
    eval(s, ctx.index, salt, ctx.cycle, ev)
}

impl Stream {
    /// Number of values this stream yields (`None` = forever), evaluated with a default
    /// budget; a stream too expensive to measure reports `None`.
    pub fn len(&self) -> Option<u64> {
        let mut memo = StreamMemo::new();
        let mut budget = Budget::new(DEFAULT_STEPS);
        let mut ev = Ev {
            memo: &mut memo,
            budget: &mut budget,
        };
        root_len(self, 0, &mut ev).ok().flatten()
    }

    /// True when the stream yields no value at all.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// The value at `ctx` (`None` = the stream has ended before this index, or its
    /// evaluation exceeded the default budget).
    pub fn at(&self, ctx: StreamCtx) -> Option<Value> {
        let mut memo = StreamMemo::new();
        self.at_with(ctx, 0, &mut memo, &mut Budget::new(DEFAULT_STEPS))
            .ok()
            .flatten()
    }

    /// The value at `ctx` with randomness salted by `seed` (a player's seed), reusing
    /// `memo` checkpoints and charging `budget`.
    pub fn at_with(
        &self,
        ctx: StreamCtx,
        seed: u64,
        memo: &mut StreamMemo,
        budget: &mut Budget,
    ) -> Result<Option<Value>, Overrun> {
        let mut ev = Ev { memo, budget };
        root_at(self, ctx, seed, &mut ev)
    }

    /// [`Stream::len`] with an explicit seed and budget.
    pub fn len_with(&self, seed: u64, budget: &mut Budget) -> Result<Option<u64>, Overrun> {
        let mut memo = StreamMemo::new();
        let mut ev = Ev {
            memo: &mut memo,
            budget,
        };
        root_len(self, seed, &mut ev)
    }
}
