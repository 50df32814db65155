//! Turning players into events.
//!
//! A [`Bind`] runs in one of two modes (see its docs):
//!
//! - **stream mode**: SuperCollider's Pbind. Event `i` is evaluated at index `i`; its onset
//!   is the sum of the previous events' `delta` (`dur · stretch` unless `delta` is given),
//!   from beat 0. The player ends when any key's stream ends. A rest in any key silences
//!   the event but keeps its time; a `dur` that is not a number counts as 1, and a delta of
//!   0 or less never advances (the budget then stops the player, as SC's clock would hang).
//! - **cycle mode**: the first key bound to a cycle pattern (or to an operator whose left
//!   side is one) gives Tidal structure; each onset becomes an event, numbered from cycle 0,
//!   and every other key is evaluated at that number and onset (indices before cycle 0
//!   restart from 0 each cycle). `dur` does not affect timing; the event lasts its whole.
//!   An event whose other key has ended is dropped.
//!
//! Randomness is salted per player seed, per bind (in `ppar` order) and per key position,
//! so the same stream node bound to two keys gives independent values, as in SC.
//!
//! Every event's `params` are sorted by key name and hold single values: chords are
//! expanded into one event per note (the i-th note takes element `i mod len` of every
//! chord), except `scale`, whose list of steps is used whole by the pitch model and then
//! left out of the params (a scale *name* stays). `s: "bd:3"` becomes `s: bd, n: 3` unless
//! `n` is given. Pitch (`midinote`, `freq`) is derived for events with a pitch key or
//! without `s`/`sound`; `amp` (times the hap's gain) and `velocity` always.
//!
//! Seeking to a beat is O(1) when the rhythm is constant, and otherwise resumes from
//! checkpoints in the [`QueryCache`]; a fresh cache gives identical events, only slower.
//! A cycle-mode bind whose events repeat every `P` cycles (see [`crate::period`]) keeps the
//! finished events of each of its `P` cycles in the cache and serves later cycles from
//! them, moved by whole cycles: the same events, built once per swap instead of per cycle.

use std::collections::HashMap;
use std::sync::Arc;

use crate::key::Key;
use crate::params::Params;
use crate::pat::{BinOp, Hap, Pat, PatRef};
use crate::period;
use crate::pitch::{self, Slot};
use crate::program::{Bind, Event, EventPat, Player, Program};
use crate::query::{Budget, Overrun};
use crate::stream::{Stream, StreamCtx, StreamRef};
use crate::stream_eval::{self, apply_bin, mix, Ev, Roots, StreamMemo};
use crate::time::{Time, TimeSpan};
use crate::value::Value;

/// Events between two stream-mode checkpoints.
const CHECKPOINT_EVERY: u64 = 64;
/// Checkpoints kept per bind (bounds memory on endless players).
const MAX_CHECKPOINTS: usize = 1 << 14;
/// Players from which [`Program::probe`] spreads its work over several threads.
const PROBE_SPLIT: usize = 32;
/// Steps allowed for measuring a stream player's length.
const LEN_ALLOWANCE: u64 = 4096;
/// Per-cycle event counts kept per bind.
const MAX_COUNTS: usize = 1 << 12;
/// Most events kept per bind as templates of periodic cycles (about 330 bytes each).
const TEMPLATE_EVENTS: usize = 1024;
/// Templates serve cycles whose number is below this in magnitude: far out, exact time
/// could in principle need terms past 64 bits, which a fresh query would approximate.
const TEMPLATE_CYCLES: u64 = 1 << 32;

/// Per-player memo of stream positions and of the finished events of periodic players'
/// cycles; carried between queries by the runtime so that successive windows cost
/// O(events). Results never depend on it.
#[derive(Clone, Debug, Default)]
pub struct QueryCache {
    /// By player index (a program has few players; no hashing per query).
    players: Vec<Option<PlayerCache>>,
    /// Scratch for `Program::query` with several players: each one's events.
    bufs: Vec<(u32, Vec<Event>)>,
    /// Scratch for ordering the players' events: `(beat, player rank, position)`.
    keys: Vec<(Time, u32, usize)>,
    /// Scratch for ordering the players' events: the events being moved.
    slots: Vec<Option<Event>>,
    /// Scratch for ordering the players' events: `keys` packed into integers.
    packed: Vec<u128>,
}

impl QueryCache {
    /// An empty cache.
    pub fn new() -> QueryCache {
        QueryCache::default()
    }

    /// Forget everything (e.g. after a program swap; stale entries are also detected).
    pub fn clear(&mut self) {
        self.players.clear();
        self.bufs.clear();
    }
}

#[derive(Clone, Debug)]
struct PlayerCache {
    /// The body this cache was built for: kept alive so node addresses used as memo keys
    /// stay unique, and compared by pointer to detect a swapped program.
    body: Arc<EventPat>,
    seed: u64,
    cycle_beats: Time,
    binds: Vec<BindCache>,
}

#[derive(Clone, Debug, Default)]
struct BindCache {
    memo: StreamMemo,
    /// Stream mode: `(index, onset)` of events, increasing.
    checkpoints: Vec<(u64, Time)>,
    /// Stream mode: the player's length (`Some(None)` = forever or unknown), once known.
    len: Option<Option<u64>>,
    /// Stream mode: the onset from which the player has no more events, once seen.
    ended: Option<Time>,
    /// Cycle mode: number of events in each cycle.
    counts: HashMap<i64, u64>,
    /// Cycle mode: `(cycle, events before it)`.
    bases: Vec<(i64, u64)>,
    /// Cycle mode: the onset haps of the last cycle queried, sorted by onset.
    cycle_haps: Option<(i64, Vec<Hap>)>,
    /// Cycle mode: an emptied hap list, kept for its memory.
    spare_haps: Vec<Hap>,
    /// Key positions sorted by key name, one per name (the last given), classified.
    order: Vec<KeyInfo>,
    order_ready: bool,
    /// Scratch for one event's values, kept between queries.
    values: Vec<Value>,
    /// The keys' root streams, prepared for evaluation event after event.
    roots: Roots,
    /// Recent sample-name splits.
    splits: Splits,
    /// The bind's structure key (`structure_key`), once computed: the bind behind a cache
    /// entry never changes (the cache is rebuilt when the body does).
    structure_key: Option<Option<usize>>,
    /// Cycle mode: whether any value stream reads the event index, once computed.
    needs_index: Option<bool>,
    /// Cycle mode: whether the structure reads MIDI input, once computed (its cycles are
    /// then not kept: input arriving within a cycle changes the rest of it).
    reads_input: Option<bool>,
    /// Stream mode: whether the timing streams are constants, once computed.
    constant_timing: Option<bool>,
    /// Cycle mode: the period of the bind's events in cycles, once computed (`Some(None)`:
    /// unknown, or too many events to keep).
    period: Option<Option<u64>>,
    /// Cycle mode with a period: the finished events of cycle `c mod period`, by `c mod
    /// period`, once built.
    templates: Vec<Option<Template>>,
    /// Events kept in `templates`.
    template_events: usize,
}

/// The events of one whole cycle of a periodic bind, as emitted.
#[derive(Clone, Debug)]
struct Template {
    /// The cycle they were built for.
    cycle: i64,
    /// The events are in onset order (as cycle mode emits them).
    sorted: bool,
    events: Vec<Event>,
}

impl BindCache {
    fn bind_mut(binds: &mut Vec<BindCache>, i: usize) -> &mut BindCache {
        while binds.len() <= i {
            binds.push(BindCache::default());
        }
        // The loop above guarantees the index exists.
        let last = binds.len() - 1;
        let i = i.min(last);
        &mut binds[i]
    }
}

impl Program {
    /// Events with onsets in `beats` (a window in beats), ordered by onset then player name.
    /// Players whose budget runs out are skipped and their indices pushed to `failed`.
    pub fn query(
        &self,
        beats: TimeSpan,
        cache: &mut QueryCache,
        budget_per_player: Budget,
        out: &mut Vec<Event>,
        failed: &mut Vec<u32>,
    ) {
        let first = out.len();
        if beats.end <= beats.begin {
            return;
        }
        let cycle_beats = self.queried_cycle_beats();
        let audible =
            |p: &Player| !p.muted && (self.solo.is_empty() || self.solo.contains(&p.name));
        // Several players: each fills its own list, and sorted lists are merged straight
        // into `out`, so that an event (a few hundred bytes) moves once.
        let split = self.players.iter().filter(|p| audible(p)).nth(1).is_some();
        let mut bufs = std::mem::take(&mut cache.bufs);
        let mut used = 0;
        for (pi, player) in self.players.iter().enumerate() {
            let Ok(pi) = u32::try_from(pi) else {
                break;
            };
            if !audible(player) {
                continue;
            }
            if cache.players.len() <= pi as usize {
                cache.players.resize_with(pi as usize + 1, || None);
            }
            let Some(entry) = cache.players.get_mut(pi as usize) else {
                break;
            };
            let target = if split {
                if bufs.len() <= used {
                    bufs.push((pi, Vec::new()));
                }
                match bufs.get_mut(used) {
                    Some(slot) => {
                        used += 1;
                        slot.0 = pi;
                        slot.1.clear();
                        &mut slot.1
                    }
                    None => &mut *out,
                }
            } else {
                &mut *out
            };
            if !self.query_player(
                pi,
                player,
                beats,
                cycle_beats,
                entry,
                budget_per_player,
                target,
            ) {
                failed.push(pi);
            }
        }
        let runs = bufs.get_mut(..used).unwrap_or_default();
        let by_beat = |x: &Event, y: &Event| x.beat <= y.beat;
        if split && runs.iter().all(|(_, b)| b.is_sorted_by(by_beat)) {
            let rank = self.name_ranks(runs.iter().map(|r| r.0));
            out.reserve(runs.iter().map(|(_, b)| b.len()).sum());
            merge_runs(runs, &rank, out);
        } else {
            // Players' events sharing a beat go by name, which is not list order: sort
            // whenever two players sounded.
            let several = runs.iter().filter(|(_, b)| !b.is_empty()).nth(1).is_some();
            for (_, b) in runs.iter_mut() {
                out.append(b);
            }
            if several || out.get(first..).is_some_and(|r| !r.is_sorted_by(by_beat)) {
                let players = {
                    let mut ps: Vec<u32> = out
                        .get(first..)
                        .unwrap_or_default()
                        .iter()
                        .map(|e| e.player)
                        .collect();
                    ps.dedup();
                    ps
                };
                let rank = self.name_ranks(players.into_iter());
                self.sort_events(first, &rank, cache, out);
            }
        }
        cache.bufs = bufs;
    }

    /// The cycle length queries use: the program's, or 4 beats if it is not positive.
    fn queried_cycle_beats(&self) -> Time {
        if self.cycle_beats > Time::ZERO {
            self.cycle_beats
        } else {
            Time::int(4)
        }
    }

    /// One player's events in `beats`, appended to `target`; false (and nothing appended)
    /// when its budget runs out.
    #[allow(clippy::too_many_arguments)]
    fn query_player(
        &self,
        pi: u32,
        player: &Player,
        beats: TimeSpan,
        cycle_beats: Time,
        entry: &mut Option<PlayerCache>,
        mut budget: Budget,
        target: &mut Vec<Event>,
    ) -> bool {
        let stale = entry.as_ref().is_none_or(|pc| {
            !Arc::ptr_eq(&pc.body, &player.body)
                || pc.seed != player.seed
                || pc.cycle_beats != cycle_beats
        });
        if stale {
            *entry = Some(PlayerCache {
                body: player.body.clone(),
                seed: player.seed,
                cycle_beats,
                binds: Vec::new(),
            });
        }
        let Some(pc) = entry.as_mut() else {
            return false;
        };
        let start = target.len();
        let binds = &mut pc.binds;
        // Arrangement, groove and humanize wrap the pattern's own query (arrange.rs).
        let mut raw = |w: TimeSpan, out: &mut Vec<Event>| {
            let mut q = Query {
                player: pi,
                seed: player.seed,
                cycle_beats,
                budget: &mut budget,
                out,
            };
            q.event_pat(&player.body, w, Time::ZERO, binds, &mut 0usize)
        };
        if crate::arrange::player_events(player, cycle_beats, beats, target, &mut raw).is_err() {
            target.truncate(start);
            return false;
        }
        true
    }

    /// A static upper bound on the budget player `index` spends on a one-cycle query from
    /// a fresh cache (`None`: not a player the bound covers, or not known). [`probe`]
    /// leaves a player whose bound is far below its budget unqueried.
    ///
    /// [`probe`]: Program::probe
    pub fn work_bound(&self, index: usize) -> Option<u64> {
        work_bound(self.players.get(index)?, self.queried_cycle_beats())
    }

    /// The indices of the players whose budget runs out in `beats`, muted and unsoloed
    /// players included: what a compiler checks before a program may play. Each player is
    /// queried on its own (no events are kept or ordered), spread over the machine's
    /// cores when there are many.
    pub fn probe(&self, beats: TimeSpan, budget_per_player: Budget) -> Vec<u32> {
        let cycle_beats = self.queried_cycle_beats();
        let n = self.players.len().min(u32::MAX as usize);
        // Plainly small players need no probe: their work's static bound is far below
        // the budget (see `Pat::work_bound`).
        let small = budget_per_player.remaining / 4;
        let check = |range: std::ops::Range<usize>| -> Vec<u32> {
            let mut failed = Vec::new();
            let mut scratch = Vec::new();
            for pi in range {
                let (Some(player), Ok(index)) = (self.players.get(pi), u32::try_from(pi)) else {
                    break;
                };
                if work_bound(player, cycle_beats).is_some_and(|w| w <= small) {
                    continue;
                }
                scratch.clear();
                let mut entry = None;
                if !self.query_player(
                    index,
                    player,
                    beats,
                    cycle_beats,
                    &mut entry,
                    budget_per_player,
                    &mut scratch,
                ) {
                    failed.push(index);
                }
            }
            failed
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .min(4);
        if threads < 2 || n < PROBE_SPLIT {
            return check(0..n);
        }
        let chunk = n.div_ceil(threads);
        std::thread::scope(|scope| {
            let rest: Vec<_> = (1..threads)
                .map(|t| {
                    let range = (t * chunk).min(n)..((t + 1) * chunk).min(n);
                    (range.clone(), scope.spawn(move || check(range)))
                })
                .collect();
            let mut failed = check(0..chunk.min(n));
            for (range, handle) in rest {
                // A panicking probe thread would be a bug; its players count as failed
                // rather than taking the compiler down.
                match handle.join() {
                    Ok(f) => failed.extend(f),
                    Err(_) => failed.extend(range.filter_map(|i| u32::try_from(i).ok())),
                }
            }
            failed.sort_unstable();
            failed.dedup();
            failed
        })
    }

    /// Rank of each player index by name (equal names by index), for the players given;
    /// others rank last. Ties then compare integers, not names.
    fn name_ranks(&self, players: impl Iterator<Item = u32>) -> Vec<u32> {
        let mut by_name: Vec<u32> = players.collect();
        by_name.sort_unstable();
        by_name.dedup();
        let name = |pi: u32| self.players.get(pi as usize).map(|p| &*p.name);
        by_name.sort_by(|&a, &b| name(a).cmp(&name(b)).then(a.cmp(&b)));
        let mut rank = vec![u32::MAX; self.players.len()];
        for (r, &pi) in by_name.iter().enumerate() {
            if let Some(x) = rank.get_mut(pi as usize) {
                *x = r as u32;
            }
        }
        rank
    }

    /// Order `out[first..]` by `(beat, rank)`, keeping each player's order (a stable sort).
    fn sort_events(
        &self,
        first: usize,
        rank: &[u32],
        cache: &mut QueryCache,
        out: &mut Vec<Event>,
    ) {
        // Sort small keys, then move each event once. The position in the key makes every
        // key distinct, so the unstable sort gives the stable order.
        let mut keys = std::mem::take(&mut cache.keys);
        keys.clear();
        keys.extend(
            out.get(first..)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let r = rank.get(e.player as usize).copied().unwrap_or(u32::MAX);
                    (e.beat, r, i)
                }),
        );
        let mut packed = std::mem::take(&mut cache.packed);
        let fast = pack_keys(&keys, &mut packed);
        if fast {
            packed.sort_unstable();
        } else {
            keys.sort_unstable();
        }
        let mut slots = std::mem::take(&mut cache.slots);
        slots.clear();
        slots.extend(out.drain(first..).map(Some));
        let mut take = |i: usize| {
            if let Some(e) = slots.get_mut(i).and_then(Option::take) {
                out.push(e);
            }
        };
        if fast {
            for &k in &packed {
                take((k & 0xffff_ffff) as usize);
            }
        } else {
            for &(_, _, i) in &keys {
                take(i);
            }
        }
        slots.clear();
        packed.clear();
        cache.keys = keys;
        cache.slots = slots;
        cache.packed = packed;
    }
}

/// Merge lists of events, each sorted by beat, into `out` by `(beat, rank of the player)`;
/// each list keeps its order. The lists are left empty.
fn merge_runs(runs: &mut [(u32, Vec<Event>)], rank: &[u32], out: &mut Vec<Event>) {
    let mut heads: Vec<(u32, std::vec::Drain<'_, Event>)> = runs
        .iter_mut()
        .filter(|(_, b)| !b.is_empty())
        .map(|(pi, b)| {
            let r = rank.get(*pi as usize).copied().unwrap_or(u32::MAX);
            (r, b.drain(..))
        })
        .collect();
    // By rank (stable: equal ranks keep list order), so that the events of one beat are
    // taken list by list: players mostly share beats, and a beat then costs two passes
    // over the lists instead of one per event.
    heads.sort_by_key(|(r, _)| *r);
    loop {
        let mut least: Option<Time> = None;
        for (_, d) in heads.iter() {
            if let Some(e) = d.as_slice().first() {
                if least.is_none_or(|b| e.beat < b) {
                    least = Some(e.beat);
                }
            }
        }
        let Some(beat) = least else {
            break;
        };
        for (_, d) in heads.iter_mut() {
            let n = d.as_slice().iter().take_while(|e| e.beat == beat).count();
            // A counted run extends without a check per event.
            out.extend(d.by_ref().take(n));
        }
    }
}

/// Largest common denominator of a window's beats for which [`pack_keys`] applies.
const PACK_DEN: i64 = 1 << 24;

/// `(beat, rank, position)` keys as integers `(beat·L − least) << 64 | rank << 32 |
/// position`, with `L` the beats' common denominator: exact, so they sort as the tuples
/// do, with cheaper comparisons. False (and `packed` empty) when the terms do not fit.
fn pack_keys(keys: &[(Time, u32, usize)], packed: &mut Vec<u128>) -> bool {
    packed.clear();
    let mut l: i64 = 1;
    for (t, _, i) in keys {
        if *i > u32::MAX as usize {
            return false;
        }
        let d = t.den();
        if l % d != 0 {
            let (mut a, mut b) = (l, d);
            while b != 0 {
                (a, b) = (b, a % b);
            }
            match (l / a).checked_mul(d) {
                Some(m) if m <= PACK_DEN => l = m,
                _ => return false,
            }
        }
    }
    let scaled = |t: Time| t.num() as i128 * (l / t.den()) as i128;
    let Some(least) = keys.iter().map(|k| scaled(k.0)).min() else {
        return true;
    };
    for (t, r, i) in keys {
        let Ok(s) = u64::try_from(scaled(*t) - least) else {
            packed.clear();
            return false;
        };
        packed.push(((s as u128) << 64) | ((*r as u128) << 32) | *i as u128);
    }
    true
}

/// One player's query in progress.
struct Query<'a> {
    player: u32,
    seed: u64,
    cycle_beats: Time,
    budget: &'a mut Budget,
    out: &'a mut Vec<Event>,
}

/// The structure of a cycle-mode key: the pattern and the operators applied to it.
fn structure(s: &StreamRef) -> Option<(&PatRef, Vec<(BinOp, &StreamRef)>)> {
    match &**s {
        Stream::Cycle(p) => Some((p, Vec::new())),
        Stream::Bin { op, left, right } => {
            let (p, mut ops) = structure(left)?;
            ops.push((*op, right));
            Some((p, ops))
        }
        _ => None,
    }
}

/// An upper bound on the budget one cycle of `player` spends, when it is a plain player
/// (one bind, no arrangement or feel) whose rhythm and values the bound covers (`None`
/// otherwise).
fn work_bound(player: &Player, cycle_beats: Time) -> Option<u64> {
    if player.feel.is_some() || player.active.is_some() {
        return None;
    }
    let EventPat::Bind(bind) = &*player.body else {
        return None;
    };
    let Some(k) = structure_key(bind) else {
        return stream_bound(bind, cycle_beats);
    };
    let (pat, ops) = structure(&bind.keys.get(k)?.1)?;
    let haps = pat.work_bound()?;
    // Every hap evaluates the other keys (a walk may go back to index 0: at most `haps`
    // steps) and is built into events (one per chord note).
    let mut per_hap: u64 = 2;
    let mut fuel = 256u32;
    for s in value_streams(bind, k, &ops) {
        per_hap = per_hap.checked_add(stream_work(s, haps, &mut fuel)?)?;
    }
    haps.checked_add(haps.checked_mul(per_hap)?)
}

/// [`work_bound`] of a stream-mode bind: events in a cycle from the shortest `dur` its
/// stream can give (constants only; no `delta`), each evaluating every key, plus the
/// measuring of the player's length.
fn stream_bound(bind: &Bind, cycle_beats: Time) -> Option<u64> {
    let constant = |s: &Stream| match s {
        Stream::Const(v) => v.as_num().filter(|x| *x > 0.0 && x.is_finite()),
        _ => None,
    };
    // The least value a constant or a list of positive constants gives.
    let positive = |s: &Stream| -> Option<f64> {
        match s {
            Stream::Const(_) => constant(s),
            Stream::Seq { items, .. }
            | Stream::Rand { items, .. }
            | Stream::XRand { items, .. }
            | Stream::Shuf { items, .. }
            | Stream::WRand { items, .. } => {
                let mut least = f64::INFINITY;
                for it in items {
                    least = least.min(constant(it)?);
                }
                least.is_finite().then_some(least)
            }
            _ => None,
        }
    };
    let mut dur = 1.0;
    let mut stretch = 1.0;
    for (key, s) in &bind.keys {
        match &**key {
            "delta" => return None,
            "dur" => dur = positive(s)?,
            "stretch" => stretch = positive(s)?,
            _ => {}
        }
    }
    let events = (cycle_beats.to_f64() / (dur * stretch)).ceil();
    if !(events.is_finite() && events < 1e9) {
        return None;
    }
    let events = events as u64 + 2;
    let mut per_event: u64 = 2;
    let mut fuel = 256u32;
    for (_, s) in &bind.keys {
        per_event = per_event.checked_add(stream_work(s, events, &mut fuel)?)?;
    }
    // Every stream `stream_work` admits has a length known from its tree: measuring it
    // costs a charged walk (at most 4096 node visits, one step per 16) per key.
    let measuring = 300u64.checked_mul(bind.keys.len() as u64)?;
    events.checked_mul(per_event)?.checked_add(measuring)
}

/// An upper bound on evaluating `s` at one index below `haps` with a fresh memo (`None`
/// for shapes not covered).
fn stream_work(s: &Stream, haps: u64, fuel: &mut u32) -> Option<u64> {
    *fuel = fuel.checked_sub(1)?;
    let consts = |items: &[StreamRef]| -> Option<u64> {
        let mut notes = 1u64;
        for it in items {
            match &**it {
                Stream::Const(v) => notes = notes.max(flat_len(v) as u64),
                _ => return None,
            }
        }
        Some(notes)
    };
    let num = |s: &Stream| matches!(s, Stream::Const(_));
    Some(match s {
        Stream::Const(v) => 1 + flat_len(v) as u64,
        Stream::Cycle(p) => p.work_bound()?.checked_add(2)?,
        Stream::Seq { items, .. } | Stream::Rand { items, .. } | Stream::WRand { items, .. } => {
            consts(items)?
                .checked_add(items.len() as u64)?
                .checked_add(2)?
        }
        Stream::Shuf { items, .. } => consts(items)?
            .checked_add((items.len() as u64).checked_mul(2)?)?
            .checked_add(2)?,
        Stream::XRand { items, .. } => consts(items)?.checked_add(haps)?.checked_add(2)?,
        Stream::White { lo, hi, .. } | Stream::ExpRand { lo, hi, .. } if num(lo) && num(hi) => 2,
        Stream::Brown { lo, hi, step, .. } if num(lo) && num(hi) && num(step) => {
            haps.checked_add(4)?
        }
        Stream::Bin { left, right, .. } => stream_work(left, haps, fuel)?
            .checked_add(stream_work(right, haps, fuel)?)?
            .checked_add(1)?,
        Stream::Un { stream, .. } => stream_work(stream, haps, fuel)?.checked_add(1)?,
        _ => return None,
    })
}

/// The streams a cycle-mode bind evaluates at each hap: every key but the structure key,
/// and the right sides of the operators on the structure.
fn value_streams<'a>(
    bind: &'a Bind,
    structure_key: usize,
    ops: &'a [(BinOp, &'a StreamRef)],
) -> impl Iterator<Item = &'a StreamRef> {
    bind.keys
        .iter()
        .enumerate()
        .filter(move |(ki, _)| *ki != structure_key)
        .map(|(_, (_, s))| s)
        .chain(ops.iter().map(|(_, s)| *s))
}

/// The period in cycles of a cycle-mode bind's events: every key's values and the
/// structure repeat with it. `None` when unknown (see [`crate::period`]).
fn bind_period(
    bind: &Bind,
    pat: &Pat,
    ops: &[(BinOp, &StreamRef)],
    structure_key: usize,
) -> Option<u64> {
    let mut p = period::pat_period(pat)?;
    for s in value_streams(bind, structure_key, ops) {
        p = period::lcm(p, period::stream_period(s)?)?;
    }
    Some(p)
}

/// True for a pattern whose structure comes from a continuous signal: it has no onsets of
/// its own, so it cannot give a player its rhythm (it is sampled instead).
fn is_continuous(p: &Pat) -> bool {
    match p {
        Pat::Signal { .. } => true,
        Pat::Trig(t) => t.is_sampled(),
        Pat::Fast { pat, .. }
        | Pat::Early { pat, .. }
        | Pat::Rev(pat)
        | Pat::Map { pat, .. }
        | Pat::Gain { pat, .. }
        | Pat::Degrade { pat, .. } => is_continuous(pat),
        Pat::App { left, .. } => is_continuous(left),
        _ => false,
    }
}

/// Which key gives a bind its structure, if any: none when the bind has `dur` or `delta`
/// (rhythm from durations, as in SuperCollider's Pbind; strings are then sampled), else the
/// first key bound to a cycle pattern with onsets of its own.
fn structure_key(bind: &Bind) -> Option<usize> {
    if bind
        .keys
        .iter()
        .any(|(k, _)| &**k == "dur" || &**k == "delta")
    {
        return None;
    }
    bind.keys
        .iter()
        .position(|(_, s)| structure(s).is_some_and(|(p, _)| !is_continuous(p)))
}

/// True for streams made of constants only (no index, no onset dependence). The walk is
/// bounded (shared nodes can make it exponential); past the bound the answer is "no",
/// which only costs speed.
fn is_constant(s: &Stream) -> bool {
    fn walk(s: &Stream, fuel: &mut u32) -> bool {
        if *fuel == 0 {
            return false;
        }
        *fuel -= 1;
        match s {
            Stream::Const(_) => true,
            Stream::Chord(ps) => ps.iter().all(|p| walk(p, fuel)),
            Stream::Bin { left, right, .. } => walk(left, fuel) && walk(right, fuel),
            Stream::Un { stream, .. } => walk(stream, fuel),
            _ => false,
        }
    }
    walk(s, &mut 4096)
}

fn first_num(v: &Value) -> Option<f64> {
    match v {
        Value::Chord(xs) => xs.first().and_then(first_num),
        _ => v.as_num(),
    }
}

fn to_time(x: f64) -> Time {
    if x.is_finite() && x > 0.0 {
        Time::from_f64(x)
    } else {
        Time::ZERO
    }
}

impl Query<'_> {
    fn event_pat(
        &mut self,
        ep: &EventPat,
        window: TimeSpan,
        offset: Time,
        binds: &mut Vec<BindCache>,
        counter: &mut usize,
    ) -> Result<(), Overrun> {
        match ep {
            EventPat::Bind(bind) => {
                let n = *counter;
                *counter += 1;
                let bc = BindCache::bind_mut(binds, n);
                let salt = mix(self.seed, n as u64);
                let local = TimeSpan::new(window.begin - offset, window.end - offset);
                let sk = *bc.structure_key.get_or_insert_with(|| structure_key(bind));
                let structural = sk
                    .and_then(|i| bind.keys.get(i))
                    .and_then(|(_, s)| structure(s));
                match structural {
                    Some((pat, ops)) => self.cycle_mode(bind, pat, &ops, local, offset, salt, bc),
                    None => self.stream_mode(bind, local, offset, salt, bc),
                }
            }
            EventPat::Par(subs) => {
                for (off, sub) in subs {
                    self.event_pat(sub, window, offset + *off, binds, counter)?;
                }
                Ok(())
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Stream mode

    /// `delta` of an event from its timing values.
    fn delta_of(values: &Timing) -> Time {
        if let Some(d) = values.delta {
            return to_time(d);
        }
        if values.stretch == 1.0 {
            return to_time(values.dur);
        }
        to_time(values.dur) * to_time(values.stretch)
    }

    #[allow(clippy::too_many_arguments)]
    fn stream_mode(
        &mut self,
        bind: &Bind,
        window: TimeSpan,
        offset: Time,
        salt: u64,
        bc: &mut BindCache,
    ) -> Result<(), Overrun> {
        if window.end <= Time::ZERO {
            return Ok(());
        }
        if bc.ended.is_some_and(|t| window.begin >= t) {
            return Ok(());
        }
        let keys = &bind.keys;
        // The player's length only lets seeking stop early: a stream that has ended
        // answers `None` at every later index, so events are right without it. It is
        // measured with a small allowance, and left unknown when that runs out (a
        // million random picks among items of unequal length need not be counted).
        let len = match bc.len {
            Some(l) => l,
            None => {
                let allowance = self.budget.remaining.min(LEN_ALLOWANCE);
                let mut local = Budget::new(allowance);
                let mut l: Option<u64> = None;
                let mut ev = Ev {
                    memo: &mut bc.memo,
                    budget: &mut local,
                };
                let mut known = true;
                for (ki, (_, s)) in keys.iter().enumerate() {
                    match stream_eval::root_len(s, mix(salt, ki as u64), &mut ev) {
                        Ok(Some(n)) => l = Some(l.map_or(n, |m: u64| m.min(n))),
                        Ok(None) => {}
                        Err(Overrun) => {
                            known = false;
                            break;
                        }
                    }
                }
                self.budget.spend(allowance - local.remaining)?;
                let l = if known { l } else { None };
                bc.len = Some(l);
                l
            }
        };
        let exists = |i: u64| len.is_none_or(|n| i < n);
        let timing_keys = TimingKeys::of(keys);
        let constant = *bc
            .constant_timing
            .get_or_insert_with(|| timing_keys.all(is_constant));
        let cb = self.cycle_beats;

        // Find the first event at or after window.begin.
        let (mut i, mut onset) = if constant {
            let mut ev = Ev {
                memo: &mut bc.memo,
                budget: self.budget,
            };
            let t = timing_keys.eval(0, Time::ZERO, salt, &mut ev)?;
            match t {
                None => return Ok(()),
                Some(t) => {
                    let d = Self::delta_of(&t);
                    if d > Time::ZERO && window.begin > Time::ZERO {
                        let k = (window.begin / d).ceil_int().max(0);
                        (k as u64, d * Time::int(k))
                    } else {
                        (0, Time::ZERO)
                    }
                }
            }
        } else {
            let (mut i, mut onset) = bc
                .checkpoints
                .iter()
                .rev()
                .find(|(_, t)| *t <= window.begin)
                .copied()
                .unwrap_or((0, Time::ZERO));
            while onset < window.begin {
                self.budget.spend(1)?;
                if !exists(i) {
                    bc.ended = Some(onset);
                    return Ok(());
                }
                let mut ev = Ev {
                    memo: &mut bc.memo,
                    budget: self.budget,
                };
                let Some(t) = timing_keys.eval(i, onset / cb, salt, &mut ev)? else {
                    bc.ended = Some(onset);
                    return Ok(());
                };
                onset += Self::delta_of(&t);
                i += 1;
                if i % CHECKPOINT_EVERY == 0 {
                    push_checkpoint(&mut bc.checkpoints, i, onset);
                }
            }
            (i, onset)
        };

        if !bc.order_ready {
            bc.order = sorted_order(keys);
            bc.order_ready = true;
        }
        bc.roots.prepare(keys.iter().map(|(_, s)| &**s), salt);
        let offset_cycles = offset / cb;
        let mut cycle = onset / cb;
        // The last conversion of a float delta to exact time (rhythms repeat values).
        let mut last_delta: Option<(u64, u64, Option<u64>, Time)> = None;
        while onset < window.end {
            if !exists(i) {
                bc.ended = Some(onset);
                return Ok(());
            }
            self.budget.spend(1)?;
            bc.values.clear();
            {
                let mut ev = Ev {
                    memo: &mut bc.memo,
                    budget: self.budget,
                };
                for (ki, (_, s)) in keys.iter().enumerate() {
                    let ctx = StreamCtx { index: i, cycle };
                    match bc.roots.eval(ki, s, ctx, &mut ev)? {
                        Some(v) => bc.values.push(v),
                        None => {
                            bc.ended = Some(onset);
                            return Ok(());
                        }
                    }
                }
            }
            let t = timing_keys.timing_of(&bc.values);
            let bits = (
                t.dur.to_bits(),
                t.stretch.to_bits(),
                t.delta.map(f64::to_bits),
            );
            let d = match last_delta {
                Some((a, b, c, d)) if (a, b, c) == bits => d,
                _ => {
                    let d = Self::delta_of(&t);
                    last_delta = Some((bits.0, bits.1, bits.2, d));
                    d
                }
            };
            let next = onset + d;
            let next_cycle = next / cb;
            let whole = if offset.is_zero() {
                TimeSpan::new(cycle, next_cycle)
            } else {
                TimeSpan::new(cycle + offset_cycles, next_cycle + offset_cycles)
            };
            self.emit(
                keys,
                &mut bc.values,
                &bc.order,
                1.0,
                whole,
                onset + offset,
                d,
                t.dur,
                true,
                &mut bc.splits,
            )?;
            onset = next;
            cycle = next_cycle;
            i += 1;
            if i % CHECKPOINT_EVERY == 0 {
                push_checkpoint(&mut bc.checkpoints, i, onset);
            }
        }
        if !constant {
            push_checkpoint(&mut bc.checkpoints, i, onset);
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // Cycle mode

    #[allow(clippy::too_many_arguments)]
    fn cycle_mode(
        &mut self,
        bind: &Bind,
        pat: &PatRef,
        ops: &[(BinOp, &StreamRef)],
        window: TimeSpan,
        offset: Time,
        salt: u64,
        bc: &mut BindCache,
    ) -> Result<(), Overrun> {
        let cb = self.cycle_beats;
        let span = TimeSpan::new(window.begin / cb, window.end / cb);
        let structure_key = bc
            .structure_key
            .get_or_insert_with(|| structure_key(bind))
            .unwrap_or(0);
        let needs_index = *bc.needs_index.get_or_insert_with(|| {
            bind.keys
                .iter()
                .enumerate()
                .any(|(ki, (_, s))| ki != structure_key && !stream_eval::is_index_free(s))
                || ops.iter().any(|(_, s)| !stream_eval::is_index_free(s))
        });

        if !bc.order_ready {
            bc.order = sorted_order(&bind.keys);
            bc.order_ready = true;
        }
        let order = std::mem::take(&mut bc.order);
        let mut values = std::mem::take(&mut bc.values);
        let r = self.cycle_events(
            bind,
            pat,
            ops,
            span,
            offset,
            salt,
            bc,
            structure_key,
            needs_index,
            &order,
            &mut values,
        );
        bc.order = order;
        values.clear();
        bc.values = values;
        r
    }

    /// The events of cycle-mode binds in `span` (cycles), one cycle at a time.
    #[allow(clippy::too_many_arguments)]
    fn cycle_events(
        &mut self,
        bind: &Bind,
        pat: &PatRef,
        ops: &[(BinOp, &StreamRef)],
        span: TimeSpan,
        offset: Time,
        salt: u64,
        bc: &mut BindCache,
        structure_key: usize,
        needs_index: bool,
        order: &[KeyInfo],
        values: &mut Vec<Value>,
    ) -> Result<(), Overrun> {
        let reads_input = *bc
            .reads_input
            .get_or_insert_with(|| crate::trigger::pat_input(pat, &mut 4096).is_some());
        let period = match bc.period {
            Some(p) => p,
            None => {
                // Input is not periodic: a cycle that reads it is built afresh each time.
                let p = if needs_index || reads_input {
                    None
                } else {
                    bind_period(bind, pat, ops, structure_key)
                };
                bc.period = Some(p);
                p
            }
        };
        for cyc in span.cycles() {
            let c = cyc.begin.floor_int();
            if let Some(p) = period.filter(|_| c.unsigned_abs() < TEMPLATE_CYCLES) {
                if self.kept_cycle(
                    bind,
                    pat,
                    ops,
                    cyc,
                    c,
                    p,
                    offset,
                    salt,
                    bc,
                    structure_key,
                    order,
                    values,
                )? {
                    continue;
                }
            }
            self.cycle_piece(
                bind,
                pat,
                ops,
                cyc,
                c,
                offset,
                salt,
                bc,
                structure_key,
                needs_index,
                reads_input,
                order,
                values,
            )?;
        }
        Ok(())
    }

    /// The events of `cyc`, a piece of cycle `c`, from the kept events of cycle `c mod
    /// period` moved by whole cycles (built first if not kept yet). False, with nothing
    /// emitted, when the cycle's events are too many to keep: templates are then given up
    /// for this bind.
    #[allow(clippy::too_many_arguments)]
    fn kept_cycle(
        &mut self,
        bind: &Bind,
        pat: &PatRef,
        ops: &[(BinOp, &StreamRef)],
        cyc: TimeSpan,
        c: i64,
        period: u64,
        offset: Time,
        salt: u64,
        bc: &mut BindCache,
        structure_key: usize,
        order: &[KeyInfo],
        values: &mut Vec<Value>,
    ) -> Result<bool, Overrun> {
        let Ok(p) = i64::try_from(period) else {
            return Ok(false);
        };
        let slot = c.rem_euclid(p) as usize;
        if bc.templates.len() != period as usize {
            bc.templates.clear();
            bc.templates.resize_with(period as usize, || None);
            bc.template_events = 0;
        }
        if bc.templates.get(slot).is_some_and(Option::is_none) {
            // Build the whole cycle as a fresh query would, into a list of its own.
            let mut events = Vec::new();
            std::mem::swap(self.out, &mut events);
            let whole_cycle = TimeSpan::new(Time::int(c), Time::int(c) + Time::ONE);
            let r = self.cycle_piece(
                bind,
                pat,
                ops,
                whole_cycle,
                c,
                offset,
                salt,
                bc,
                structure_key,
                false,
                false,
                order,
                values,
            );
            std::mem::swap(self.out, &mut events);
            r?;
            bc.template_events += events.len();
            if bc.template_events > TEMPLATE_EVENTS {
                bc.period = Some(None);
                bc.templates = Vec::new();
                return Ok(false);
            }
            if let Some(t) = bc.templates.get_mut(slot) {
                // Served as copies from now on: shared lists copy and drop as a count.
                for e in &mut events {
                    e.params.share();
                }
                let sorted = events.is_sorted_by_key(|e| e.whole.begin);
                *t = Some(Template {
                    cycle: c,
                    sorted,
                    events,
                });
            }
        }
        let Some(Some(t)) = bc.templates.get(slot) else {
            return Ok(false);
        };
        let cb = self.cycle_beats;
        let k = c - t.cycle;
        let shift = Time::int(k);
        let shift_beats = cb * shift;
        let whole_piece = cyc.begin == Time::int(c) && cyc.end == Time::int(c) + Time::ONE;
        let start = self.out.len();
        if whole_piece {
            self.budget.spend(t.events.len() as u64)?;
            self.out.extend_from_slice(&t.events);
        } else {
            // Onsets were kept as emitted (moved by the bind's offset): compare them with
            // the piece moved the same way, back to the template's cycle.
            let back = if offset.is_zero() {
                Time::ZERO
            } else {
                offset / cb
            } - shift;
            let (lo, hi) = (cyc.begin + back, cyc.end + back);
            let inside = |e: &&Event| lo <= e.whole.begin && e.whole.begin < hi;
            if t.sorted {
                // A scheduler's small windows take a few events of a long cycle each.
                let first = t.events.partition_point(|e| e.whole.begin < lo);
                let end = t.events.partition_point(|e| e.whole.begin < hi);
                let run = t.events.get(first..end).unwrap_or_default();
                self.budget.spend(run.len() as u64)?;
                self.out.extend_from_slice(run);
            } else {
                for e in t.events.iter().filter(inside) {
                    self.budget.spend(1)?;
                    self.out.push(e.clone());
                }
            }
        }
        // Moved in place: an event is large, and only its times change.
        let player = self.player;
        for e in self.out.iter_mut().skip(start) {
            e.player = player;
            if k != 0 {
                e.whole = TimeSpan::new(e.whole.begin.add_int(k), e.whole.end.add_int(k));
                e.beat = if shift_beats.den() == 1 {
                    e.beat.add_int(shift_beats.num())
                } else {
                    e.beat + shift_beats
                };
            }
        }
        Ok(true)
    }

    /// The events of `cyc`, a piece of cycle `c`, built from the pattern's haps.
    #[allow(clippy::too_many_arguments)]
    fn cycle_piece(
        &mut self,
        bind: &Bind,
        pat: &PatRef,
        ops: &[(BinOp, &StreamRef)],
        cyc: TimeSpan,
        c: i64,
        offset: Time,
        salt: u64,
        bc: &mut BindCache,
        structure_key: usize,
        needs_index: bool,
        reads_input: bool,
        order: &[KeyInfo],
        values: &mut Vec<Value>,
    ) -> Result<(), Overrun> {
        let base = if needs_index {
            self.cycle_base(pat, c, bc)?
        } else {
            0
        };
        // Whole cycles are queried (ranks inside the cycle give indices) and kept, so
        // that the small windows of a scheduler query each cycle once.
        let mut haps = match bc.cycle_haps.take() {
            Some((cc, hs)) if cc == c && !reads_input => hs,
            other => {
                let mut hs = other
                    .map(|(_, v)| v)
                    .unwrap_or_else(|| std::mem::take(&mut bc.spare_haps));
                hs.clear();
                let whole_cycle = TimeSpan::new(Time::int(c), Time::int(c) + Time::ONE);
                pat.query(whole_cycle, self.budget, &mut hs)?;
                hs.retain(|h| h.has_onset());
                // Sequences come out in onset order; a stable sort would keep them.
                if !hs.is_sorted_by_key(|h| h.onset()) {
                    hs.sort_by_key(|h| h.onset());
                }
                // Counts only serve `cycle_base`, which index-free binds never call.
                // A count taken before the cycle is over may change with input.
                if needs_index && !reads_input {
                    if bc.counts.len() >= MAX_COUNTS {
                        bc.counts.clear();
                    }
                    bc.counts.insert(c, hs.len() as u64);
                }
                hs
            }
        };
        // A window that reaches the cycle's end is its last visit in playing order:
        // the haps' values then move into the events, and the list is not kept.
        let last_visit = cyc.end == Time::int(c) + Time::ONE;
        let r = self.cycle_haps(
            bind,
            ops,
            cyc,
            offset,
            salt,
            bc,
            structure_key,
            base,
            &mut haps,
            last_visit,
            order,
            values,
        );
        if last_visit {
            haps.clear();
            bc.spare_haps = std::mem::take(&mut haps);
        } else {
            bc.cycle_haps = Some((c, std::mem::take(&mut haps)));
        }
        r
    }

    /// Events of one cycle's onset haps that fall in `cyc`.
    #[allow(clippy::too_many_arguments)]
    fn cycle_haps(
        &mut self,
        bind: &Bind,
        ops: &[(BinOp, &StreamRef)],
        cyc: TimeSpan,
        offset: Time,
        salt: u64,
        bc: &mut BindCache,
        structure_key: usize,
        base: u64,
        haps: &mut [Hap],
        take_values: bool,
        order: &[KeyInfo],
        values: &mut Vec<Value>,
    ) -> Result<(), Overrun> {
        let cb = self.cycle_beats;
        let offset_cycles = if offset.is_zero() {
            Time::ZERO
        } else {
            offset / cb
        };
        bc.roots.prepare(bind.keys.iter().map(|(_, s)| &**s), salt);
        {
            let mut last_len: Option<(Time, Time, f64)> = None;
            let mut last_end: Option<(Time, Time)> = None;
            for (rank, h) in haps.iter_mut().enumerate() {
                let Some(whole) = h.whole else { continue };
                if !cyc.contains(whole.begin) {
                    continue;
                }
                self.budget.spend(1)?;
                let index = base.saturating_add(rank as u64);
                let ctx = StreamCtx {
                    index,
                    cycle: whole.begin,
                };
                values.clear();
                let mut ended = false;
                {
                    let mut ev = Ev {
                        memo: &mut bc.memo,
                        budget: self.budget,
                    };
                    for (ki, (_, s)) in bind.keys.iter().enumerate() {
                        let ks = mix(salt, ki as u64);
                        let v = if ki == structure_key {
                            let mut v = if take_values {
                                std::mem::replace(&mut h.value, Value::Rest)
                            } else {
                                h.value.clone()
                            };
                            for (oi, (op, right)) in ops.iter().enumerate() {
                                match stream_eval::root_at(right, ctx, mix(ks, oi as u64), &mut ev)?
                                {
                                    Some(r) => v = apply_bin(*op, &v, &r),
                                    None => {
                                        ended = true;
                                        break;
                                    }
                                }
                            }
                            v
                        } else {
                            match bc.roots.eval(ki, s, ctx, &mut ev)? {
                                Some(v) => v,
                                None => {
                                    ended = true;
                                    Value::Rest
                                }
                            }
                        };
                        values.push(v);
                    }
                }
                if ended {
                    // A key that has ended ends the player (SC Pbind): indices only grow.
                    continue;
                }
                // Consecutive haps mostly share a length and meet end to start: reuse the
                // last conversions to beats (exact, so the same values as converting anew).
                let len = whole.duration();
                let (d, d_f64) = match last_len {
                    Some((l, d, f)) if l == len => (d, f),
                    _ => {
                        let d = len * cb;
                        let f = d.to_f64();
                        last_len = Some((len, d, f));
                        (d, f)
                    }
                };
                let begin_beats = match last_end {
                    Some((e, b)) if e == whole.begin => b,
                    _ => whole.begin * cb,
                };
                last_end = Some((whole.end, begin_beats + d));
                // Adding zero is the identity on reduced fractions: skip it.
                let (shifted, beat) = if offset.is_zero() {
                    (whole, begin_beats)
                } else {
                    (
                        TimeSpan::new(whole.begin + offset_cycles, whole.end + offset_cycles),
                        begin_beats + offset,
                    )
                };
                self.emit(
                    &bind.keys,
                    values,
                    order,
                    h.gain,
                    shifted,
                    beat,
                    d,
                    d_f64,
                    false,
                    &mut bc.splits,
                )?;
            }
        }
        Ok(())
    }

    /// Number of onsets of `pat` in cycles `[0, c)` (0 for c ≤ 0).
    fn cycle_base(&mut self, pat: &PatRef, c: i64, bc: &mut BindCache) -> Result<u64, Overrun> {
        if c <= 0 {
            return Ok(0);
        }
        let (mut at, mut base) = bc
            .bases
            .iter()
            .rev()
            .find(|(k, _)| *k <= c)
            .copied()
            .unwrap_or((0, 0));
        let mut haps = Vec::new();
        while at < c {
            let n = match bc.counts.get(&at) {
                Some(&n) => n,
                None => {
                    haps.clear();
                    let span = TimeSpan::new(Time::int(at), Time::int(at) + Time::ONE);
                    pat.query(span, self.budget, &mut haps)?;
                    let n = haps.iter().filter(|h| h.has_onset()).count() as u64;
                    if bc.counts.len() >= MAX_COUNTS {
                        bc.counts.clear();
                    }
                    bc.counts.insert(at, n);
                    n
                }
            };
            self.budget.spend(1)?;
            base = base.saturating_add(n);
            at += 1;
        }
        match bc.bases.last() {
            Some((k, _)) if *k >= c => {
                if let Err(pos) = bc.bases.binary_search_by(|(k, _)| k.cmp(&c)) {
                    if bc.bases.len() < MAX_CHECKPOINTS {
                        bc.bases.insert(pos, (c, base));
                    }
                }
            }
            _ => {
                if bc.bases.len() < MAX_CHECKPOINTS {
                    bc.bases.push((c, base));
                }
            }
        }
        Ok(base)
    }

    // -----------------------------------------------------------------------------------
    // Events

    /// Turn one evaluated key set into events (one per chord note).
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        keys: &[(Key, StreamRef)],
        values: &mut [Value],
        order: &[KeyInfo],
        gain: f64,
        whole: TimeSpan,
        beat: Time,
        dur: Time,
        dur_value: f64,
        stream_mode: bool,
        splits: &mut Splits,
    ) -> Result<(), Overrun> {
        let mut notes: Option<usize> = None;
        for info in order {
            match values.get(info.ki) {
                Some(Value::Rest) => return Ok(()),
                Some(v) if keys.get(info.ki).is_some() && info.slot != Slot::Scale => {
                    let n = match v {
                        Value::Chord(_) => flat_len(v),
                        _ => 1,
                    };
                    notes = Some(notes.map_or(n, |m| m.max(n)));
                }
                _ => {}
            }
        }
        let notes = notes.unwrap_or(1);
        if notes == 0 {
            return Ok(());
        }
        'notes: for j in 0..notes {
            self.budget.spend(1)?;
            // First pass: the note's values, read into the Event model's fields.
            let mut fields = pitch::Fields::default();
            let mut has_n = false;
            let mut sample: Option<(usize, Value, f64)> = None;
            for info in order {
                let ki = info.ki;
                let (Some(_), Some(v)) = (keys.get(ki), values.get(ki)) else {
                    continue;
                };
                let v = if info.slot == Slot::Scale {
                    v
                } else {
                    match flat_at(v, j) {
                        Some(x) => x,
                        None => continue 'notes,
                    }
                };
                if matches!(v, Value::Rest) {
                    continue 'notes;
                }
                fields.add_slot(info.slot, v);
                if info.is_n {
                    has_n = true;
                } else if info.slot == Slot::Sound && sample.is_none() {
                    sample = splits.split(v).map(|(name, n)| (ki, name, n));
                }
            }
            let sustain = match fields.sustain {
                Some(s) => s,
                None => {
                    let legato = fields.legato.unwrap_or(pitch::DEFAULT_LEGATO);
                    if stream_mode {
                        let d = fields.dur.unwrap_or(dur_value);
                        pitch::sustain(d, legato, fields.stretch.unwrap_or(1.0))
                    } else {
                        dur_value * legato
                    }
                }
            };
            let (midinote, freq) = if fields.is_pitched() {
                let (m, f) = fields.pitch();
                (m, Some(f))
            } else {
                (None, None)
            };
            let amp = fields.amp() * gain;
            let velocity = match fields.velocity {
                Some(_) => None,
                None => Some(pitch::amp_to_velocity(amp)),
            };
            let n = if has_n {
                None
            } else {
                sample.as_ref().map(|(_, _, n)| *n)
            };
            // Derived keys in name order (see `DERIVED`), merged with the sorted keys by
            // their precomputed ranks: no sort, no name comparison, and no allocation up to
            // `Params::INLINE` pairs.
            let derived: [Option<f64>; DERIVED.len()] = [Some(amp), freq, midinote, n, velocity];
            // Pairs this event gets: one per key (a derived key given too, such as `amp`,
            // once), plus the other derived keys that have a value. Counted exactly, so a
            // list that fits inline is never given heap room.
            let mut room = order.len() + DERIVED.len();
            if room > Params::INLINE {
                let absent = derived.iter().filter(|d| d.is_none()).count();
                let given = order
                    .iter()
                    .filter(|i| i.same && derived.get(i.below).is_some_and(Option::is_some))
                    .count();
                room -= absent + given;
            }
            // Built in place: an event is large, and moving it costs more than filling it.
            self.out.push(Event {
                player: self.player,
                whole,
                beat,
                dur,
                sustain,
                params: if room > Params::INLINE {
                    Params::with_capacity(room)
                } else {
                    Params::new()
                },
            });
            let Some(params) = self.out.last_mut().map(|e| e.params.own()) else {
                continue;
            };
            // The last note moves each plain value out instead of cloning it (values are
            // evaluated afresh for every event): no reference count for words.
            let last = j + 1 == notes;
            let mut di = 0;
            for info in order {
                let ki = info.ki;
                let (Some((k, _)), Some(v)) = (keys.get(ki), values.get_mut(ki)) else {
                    continue;
                };
                while di < info.below {
                    if let (Some(Some(x)), Some(dkey)) = (derived.get(di), DERIVED_KEYS.get(di)) {
                        params.push((dkey.clone(), Value::Num(*x)));
                    }
                    di += 1;
                }
                if info.same && di == info.below {
                    if let (Some(Some(x)), Some(dkey)) = (derived.get(di), DERIVED_KEYS.get(di)) {
                        params.push((dkey.clone(), Value::Num(*x)));
                        di += 1;
                        continue;
                    }
                }
                let v = match &sample {
                    Some((si, name, _)) if *si == ki && !has_n => name.clone(),
                    // A user scale (a list of steps) is consumed by the pitch model and
                    // left out, so that no chord reaches the params.
                    _ if info.slot == Slot::Scale && matches!(v, Value::Chord(_)) => continue,
                    _ if info.slot == Slot::Scale => v.clone(),
                    _ => {
                        let x = if last && !matches!(v, Value::Chord(_)) {
                            std::mem::replace(v, Value::Rest)
                        } else {
                            flat_at(v, j).cloned().unwrap_or(Value::Rest)
                        };
                        if info.numeric {
                            numeric_word(x)
                        } else {
                            x
                        }
                    }
                };
                params.push((k.clone(), v));
            }
            for (dval, dkey) in derived.iter().zip(DERIVED_KEYS.iter()).skip(di) {
                if let Some(x) = dval {
                    params.push((dkey.clone(), Value::Num(*x)));
                }
            }
        }
        Ok(())
    }
}

/// The names of the derived keys, in name order (the order `emit` pushes them in).
const DERIVED: [&str; 5] = ["amp", "freq", "midinote", "n", "velocity"];
/// [`DERIVED`] as keys.
static DERIVED_KEYS: [Key; 5] = [Key::AMP, Key::FREQ, Key::MIDINOTE, Key::N, Key::VELOCITY];

/// One key of a bind, in name order, classified once per bind so that events need no
/// name comparisons.
#[derive(Clone, Copy, Debug)]
struct KeyInfo {
    /// Position in the bind's keys.
    ki: usize,
    slot: Slot,
    /// The key is `n`.
    is_n: bool,
    /// A word in this key is written out as its number (see [`NUMERIC_KEYS`]).
    numeric: bool,
    /// Number of [`DERIVED`] keys whose names sort before this key's.
    below: usize,
    /// A derived key has this key's name (it is `DERIVED[below]`).
    same: bool,
}

impl KeyInfo {
    fn of(ki: usize, key: &str) -> KeyInfo {
        KeyInfo {
            ki,
            slot: Slot::of(key),
            is_n: key == "n",
            numeric: NUMERIC_KEYS.contains(&key),
            below: DERIVED.iter().filter(|d| **d < key).count(),
            same: DERIVED.contains(&key),
        }
    }
}

/// Keys whose values are numbers: a word there (a note name such as `c4` or `f#3`) is
/// written out as its number, so every consumer sees `note=-12`, not `note=c4`.
const NUMERIC_KEYS: &[&str] = &[
    "amp",
    "ctranspose",
    "db",
    "degree",
    "detune",
    "dur",
    "freq",
    "gtranspose",
    "harmonic",
    "legato",
    "midinote",
    "mtranspose",
    "n",
    "note",
    "octave",
    "pan",
    "root",
    "stepsPerOctave",
    "stretch",
    "sustain",
    "velocity",
];

fn numeric_word(v: Value) -> Value {
    if let Value::Str(_) = &v {
        if let Some(x) = v.as_num() {
            return Value::Num(x);
        }
    }
    v
}

/// Key positions sorted by name; equal names keep source order (the later one wins).
fn sorted_order(keys: &[(Key, StreamRef)]) -> Vec<KeyInfo> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| {
        let ka = keys.get(a).map(|(k, _)| &**k);
        let kb = keys.get(b).map(|(k, _)| &**k);
        ka.cmp(&kb)
    });
    // A key given twice: the later one wins, the earlier is dropped.
    let name = |i: &usize| keys.get(*i).map(|(k, _)| k.clone());
    let mut unique: Vec<usize> = Vec::with_capacity(order.len());
    for (pos, i) in order.iter().enumerate() {
        if order.get(pos + 1).map(name) != Some(name(i)) {
            unique.push(*i);
        }
    }
    unique
        .into_iter()
        .filter_map(|i| keys.get(i).map(|(k, _)| KeyInfo::of(i, k)))
        .collect()
}

/// Number of notes in a (possibly nested) chord.
fn flat_len(v: &Value) -> usize {
    match v {
        Value::Chord(xs) => xs.iter().map(flat_len).sum(),
        _ => 1,
    }
}

/// Note `j mod len` of a (possibly nested) chord; `None` for an empty chord.
fn flat_at(v: &Value, j: usize) -> Option<&Value> {
    match v {
        Value::Chord(_) => {
            let n = flat_len(v);
            if n == 0 {
                return None;
            }
            nth_leaf(v, j % n)
        }
        _ => Some(v),
    }
}

fn nth_leaf(v: &Value, mut j: usize) -> Option<&Value> {
    match v {
        Value::Chord(xs) => {
            for x in xs.iter() {
                let n = flat_len(x);
                if j < n {
                    return nth_leaf(x, j);
                }
                j -= n;
            }
            None
        }
        _ => Some(v),
    }
}

/// Sample-name splits remembered per bind.
const SPLITS: usize = 8;

/// Recent `"name:n"` splits, by the shared text they came from: without them a sample index
/// costs a new string (an allocation) per event. Bounded; results never depend on it.
#[derive(Clone, Debug, Default)]
struct Splits {
    recent: Vec<(Arc<str>, Value, f64)>,
    next: usize,
}

impl Splits {
    /// [`split_sample`], remembered.
    fn split(&mut self, v: &Value) -> Option<(Value, f64)> {
        let Value::Str(s) = v else {
            return None;
        };
        // Most names have no index: a plain byte scan answers faster than the string search.
        if !s.bytes().any(|b| b == b':') {
            return None;
        }
        if let Some((_, name, n)) = self.recent.iter().find(|(k, _, _)| Arc::ptr_eq(k, s)) {
            return Some((name.clone(), *n));
        }
        let (name, n) = split_sample(v)?;
        let entry = (s.clone(), name.clone(), n);
        if self.recent.len() < SPLITS {
            self.recent.push(entry);
        } else if let Some(slot) = self.recent.get_mut(self.next) {
            *slot = entry;
            self.next = (self.next + 1) % SPLITS;
        }
        Some((name, n))
    }
}

/// `"bd:3"` → `("bd", 3)`: a sample name with its index.
fn split_sample(v: &Value) -> Option<(Value, f64)> {
    let Value::Str(s) = v else {
        return None;
    };
    // Most names have no index: a plain byte scan answers faster than the string search.
    if !s.bytes().any(|b| b == b':') {
        return None;
    }
    let (name, num) = s.rsplit_once(':')?;
    let x = num.parse::<f64>().ok()?;
    Some((Value::str(name), x))
}

fn push_checkpoint(cps: &mut Vec<(u64, Time)>, i: u64, onset: Time) {
    match cps.last() {
        Some((last, _)) if *last >= i => {
            if let Err(pos) = cps.binary_search_by(|(k, _)| k.cmp(&i)) {
                if cps.len() < MAX_CHECKPOINTS {
                    cps.insert(pos, (i, onset));
                }
            }
        }
        _ => {
            if cps.len() < MAX_CHECKPOINTS {
                cps.push((i, onset));
            }
        }
    }
}

/// The timing-relevant values of one event.
struct Timing {
    dur: f64,
    stretch: f64,
    delta: Option<f64>,
}

/// The streams that decide timing (`dur`, `stretch`, `delta`) with their key positions.
struct TimingKeys<'a> {
    dur: Option<(usize, &'a StreamRef)>,
    stretch: Option<(usize, &'a StreamRef)>,
    delta: Option<(usize, &'a StreamRef)>,
}

impl<'a> TimingKeys<'a> {
    fn of(keys: &'a [(Key, StreamRef)]) -> TimingKeys<'a> {
        let find = |name: &str| {
            keys.iter()
                .enumerate()
                .rev()
                .find(|(_, (k, _))| &**k == name)
                .map(|(i, (_, s))| (i, s))
        };
        TimingKeys {
            dur: find("dur"),
            stretch: find("stretch"),
            delta: find("delta"),
        }
    }

    /// Timing of an event from its evaluated values (in key order).
    fn timing_of(&self, values: &[Value]) -> Timing {
        let get =
            |k: Option<(usize, &StreamRef)>| k.and_then(|(i, _)| values.get(i)).and_then(first_num);
        Timing {
            dur: get(self.dur).unwrap_or(1.0),
            stretch: get(self.stretch).unwrap_or(1.0),
            delta: get(self.delta),
        }
    }

    fn all(&self, f: impl Fn(&Stream) -> bool) -> bool {
        [self.dur, self.stretch, self.delta]
            .iter()
            .flatten()
            .all(|(_, s)| f(s))
    }

    /// Timing values of event `i`, or `None` when a timing stream has ended.
    fn eval(&self, i: u64, cycle: Time, salt: u64, ev: &mut Ev) -> Result<Option<Timing>, Overrun> {
        let ctx = StreamCtx { index: i, cycle };
        let mut get =
            |k: Option<(usize, &StreamRef)>| -> Result<Option<Option<f64>>, Overrun> {
                match k {
                    None => Ok(Some(None)),
                    Some((ki, s)) => Ok(stream_eval::root_at(s, ctx, mix(salt, ki as u64), ev)?
                        .map(|v| first_num(&v))),
                }
            };
        let (Some(dur), Some(stretch), Some(delta)) =
            (get(self.dur)?, get(self.stretch)?, get(self.delta)?)
        else {
            return Ok(None);
        };
        Ok(Some(Timing {
            dur: dur.unwrap_or(1.0),
            stretch: stretch.unwrap_or(1.0),
            delta,
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn remembered_splits_equal_fresh_ones_and_stay_bounded() {
        let mut splits = Splits::default();
        let words: Vec<Value> = (0..20)
            .map(|i| Value::str(&format!("s{}:{}", i % 11, i % 5)))
            .chain([Value::str("bd"), Value::str("a:b"), Value::Num(3.0)])
            .collect();
        for round in 0..3 {
            for w in &words {
                let got = splits.split(w);
                assert_eq!(got, split_sample(w), "round {round}: {w:?}");
            }
        }
        assert!(splits.recent.len() <= SPLITS);
    }

    #[test]
    fn packed_keys_sort_as_the_tuples_do() {
        let beats = [
            Time::new(3, 4),
            Time::new(-5, 3),
            Time::int(7),
            Time::new(7, 1),
            Time::new(1, 12),
            Time::new(22, 3),
            Time::ZERO,
            Time::new(1_000_001, 16),
        ];
        let mut keys: Vec<(Time, u32, usize)> = Vec::new();
        for i in 0..200usize {
            let b = beats[(i * 7 + i / 3) % beats.len()];
            keys.push((b, ((i * 5) % 3) as u32, i));
        }
        let mut packed = Vec::new();
        assert!(pack_keys(&keys, &mut packed));
        packed.sort_unstable();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        let from_packed: Vec<usize> = packed.iter().map(|k| (k & 0xffff_ffff) as usize).collect();
        let from_tuples: Vec<usize> = sorted.iter().map(|k| k.2).collect();
        assert_eq!(from_packed, from_tuples);
        // A denominator past the bound falls back.
        keys.push((Time::new(1, (1 << 24) + 1), 0, 200));
        assert!(!pack_keys(&keys, &mut packed));
        assert!(packed.is_empty());
    }
}
