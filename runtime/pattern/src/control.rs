//! MIDI input as values and triggers: controllers (`cc`), held notes (`held`), switches,
//! latching toggles, and note or button triggers.
//!
//! The input history is a [`ControlLog`]: channel messages stamped with the exact beat at
//! which they take effect (the scheduler stamps each at the first beat not yet queried, or
//! later), so nothing already played changes and a render that replays the log hears the
//! same thing. A query reads the log through a per-thread *current input* ([`with_input`]):
//! the [`crate::Pat`] API and the query budget stay as they are, and with no input set every
//! control reads its default.
//!
//! Every value is positional: the state at beat `b` folds the messages stamped at or before
//! `b` into the log's checkpoint, so any window can be asked for in any order. A message
//! stamped at `b` is seen by events at `b` and after.
//!
//! Memory stays bounded over an hours-long set: [`ControlLog::compact`] folds messages older
//! than a horizon ([`ControlLog::HORIZON`] beats before the frontier, or more than
//! [`ControlLog::MAX_MESSAGES`] of them) into the checkpoint, which holds each controller's
//! last value, the held notes and pedal of each channel, and the counts of note-ons and
//! controller crossings (the trigger counts). Everything is exact across a compaction except
//! a smoothed controller's glide when computed afresh (a thread that has been following it
//! goes on exactly), which restarts from the controller's value at the checkpoint; at the
//! frontier, a horizon later, the difference has decayed by
//! `e^(−horizon/smooth)` (below 1e-7 for `smooth` under a sixteenth of the horizon). Times
//! before the checkpoint read the checkpoint's state.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::pat::Hap;
use crate::query::{Budget, Overrun};
use crate::time::{Time, TimeSpan};
use crate::value::Value;

/// Channel rows of the checkpoint: 16 MIDI channels and one for "any channel" (the
/// messages of all channels merged in arrival order).
const ROWS: usize = 17;
/// The row of "any channel".
const ANY: usize = 16;
/// A controller at or above this value is "on" (MIDI's switch convention).
const ON: u8 = 64;
/// The sustain pedal's controller number.
const PEDAL: u8 = 64;

/// One input message, stamped with the beat at which it takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamped {
    /// Beat (exact) from which events see the message.
    pub at: Time,
    /// A channel message: status byte and up to two data bytes (unused bytes 0).
    pub bytes: [u8; 3],
}

impl Stamped {
    fn channel(&self) -> usize {
        (self.bytes[0] & 0x0F) as usize
    }

    /// A control change: (channel, controller, value).
    fn cc(&self) -> Option<(usize, u8, u8)> {
        (self.bytes[0] & 0xF0 == 0xB0)
            .then(|| (self.channel(), self.bytes[1] & 0x7F, self.bytes[2] & 0x7F))
    }

    /// A note-on (velocity above 0): (channel, note).
    fn note_on(&self) -> Option<(usize, u8)> {
        (self.bytes[0] & 0xF0 == 0x90 && self.bytes[2] > 0)
            .then(|| (self.channel(), self.bytes[1] & 0x7F))
    }

    /// A note-off (or a note-on with velocity 0): (channel, note).
    fn note_off(&self) -> Option<(usize, u8)> {
        let kind = self.bytes[0] & 0xF0;
        (kind == 0x80 || (kind == 0x90 && self.bytes[2] == 0))
            .then(|| (self.channel(), self.bytes[1] & 0x7F))
    }
}

/// The state folded from all messages before the log's first: see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Checkpoint {
    /// Messages at or before this beat are folded in.
    at: Time,
    /// Each controller's last value per row; 255: never received.
    cc: [[u8; 128]; ROWS],
    /// Firings so far and the last one, by [`fire_key`] (at most 5 · 17 · 128 entries).
    fired: BTreeMap<u32, (u64, Time)>,
    /// Keys down per channel (bit n: note n).
    down: [u128; 16],
    /// Keys released while the pedal was down, still sounding, per channel.
    sustained: [u128; 16],
}

/// Firing kinds of the checkpoint's counts.
const NOTE_ON: u32 = 0;
const RISE: u32 = 1;
const FALL: u32 = 2;
const TOGGLE_ON: u32 = 3;
const TOGGLE_OFF: u32 = 4;

fn fire_key(kind: u32, row: usize, number: u8) -> u32 {
    (kind << 16) | ((row as u32) << 8) | number as u32
}

impl Checkpoint {
    fn new() -> Checkpoint {
        Checkpoint {
            at: Time::ZERO,
            cc: [[255; 128]; ROWS],
            fired: BTreeMap::new(),
            down: [0; 16],
            sustained: [0; 16],
        }
    }

    fn fire(&mut self, kind: u32, row: usize, number: u8, at: Time) {
        let e = self
            .fired
            .entry(fire_key(kind, row, number))
            .or_insert((0, at));
        e.0 += 1;
        e.1 = at;
    }

    fn count(&self, kind: u32, row: usize, number: u8) -> u64 {
        self.fired
            .get(&fire_key(kind, row, number))
            .map_or(0, |e| e.0)
    }

    fn apply(&mut self, m: &Stamped) {
        if let Some((ch, n, v)) = m.cc() {
            for row in [ch, ANY] {
                let prev = self
                    .cc
                    .get(row)
                    .and_then(|r| r.get(n as usize))
                    .copied()
                    .unwrap_or(255);
                let was_on = prev != 255 && prev >= ON;
                if v >= ON && !was_on {
                    self.fire(RISE, row, n, m.at);
                    let odd = self.count(RISE, row, n) % 2 == 1;
                    self.fire(if odd { TOGGLE_ON } else { TOGGLE_OFF }, row, n, m.at);
                } else if v < ON && was_on {
                    self.fire(FALL, row, n, m.at);
                }
                if let Some(x) = self.cc.get_mut(row).and_then(|r| r.get_mut(n as usize)) {
                    *x = v;
                }
            }
            if n == PEDAL && v < ON {
                if let Some(s) = self.sustained.get_mut(ch) {
                    *s = 0;
                }
            }
        } else if let Some((ch, n)) = m.note_on() {
            self.fire(NOTE_ON, ch, n, m.at);
            if let Some(d) = self.down.get_mut(ch) {
                *d |= 1u128 << n;
            }
        } else if let Some((ch, n)) = m.note_off() {
            let pedal = self
                .cc
                .get(ch)
                .and_then(|r| r.get(PEDAL as usize))
                .is_some_and(|v| *v != 255 && *v >= ON);
            let bit = 1u128 << n;
            if let Some(d) = self.down.get_mut(ch) {
                if *d & bit != 0 && pedal {
                    if let Some(s) = self.sustained.get_mut(ch) {
                        *s |= bit;
                    }
                }
                *d &= !bit;
            }
        }
    }
}

/// The input history: a checkpoint and the messages after it, in the order they take
/// effect. See the module docs.
#[derive(Clone, Debug)]
pub struct ControlLog {
    id: u64,
    checkpoint: Box<Checkpoint>,
    msgs: Vec<Stamped>,
    /// Messages ever added (compacted or not).
    pushed: u64,
    /// Messages folded into the checkpoint.
    compacted: u64,
    /// The state after `msgs[..i]` every [`SNAP_EVERY`] messages, so that a read replays
    /// at most that many messages (results never depend on them).
    snaps: Vec<(usize, Checkpoint)>,
}

/// Messages between two snapshots of a log's state.
const SNAP_EVERY: usize = 256;

impl PartialEq for ControlLog {
    fn eq(&self, other: &Self) -> bool {
        self.checkpoint == other.checkpoint && self.msgs == other.msgs
    }
}

impl Default for ControlLog {
    fn default() -> Self {
        ControlLog::new()
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl ControlLog {
    /// Beats of history kept before the frontier; older messages are folded into the
    /// checkpoint by [`ControlLog::compact`].
    pub const HORIZON: i64 = 64;
    /// Messages kept at most; beyond this the oldest are folded whatever their age.
    pub const MAX_MESSAGES: usize = 16_384;

    fn empty() -> ControlLog {
        ControlLog {
            id: 0,
            checkpoint: Box::new(Checkpoint::new()),
            msgs: Vec::new(),
            pushed: 0,
            compacted: 0,
            snaps: Vec::new(),
        }
    }

    /// An empty log: every control at its default.
    pub fn new() -> ControlLog {
        ControlLog {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            checkpoint: Box::new(Checkpoint::new()),
            msgs: Vec::new(),
            pushed: 0,
            compacted: 0,
            snaps: Vec::new(),
        }
    }

    /// A log of these messages (a recording), sorted by their beats (stable).
    pub fn from_messages(mut msgs: Vec<Stamped>) -> ControlLog {
        msgs.sort_by_key(|m| m.at);
        let mut log = ControlLog::new();
        log.pushed = msgs.len() as u64;
        log.msgs = msgs;
        let mut i = SNAP_EVERY;
        while i <= log.msgs.len() {
            log.snap(i);
            i += SNAP_EVERY;
        }
        log
    }

    /// Take a snapshot of the state after `msgs[..i]` (snapshots are taken in order).
    fn snap(&mut self, i: usize) {
        let (j, base) = self.base(i);
        let mut cp = base.clone();
        for m in self.msgs.get(j..i).unwrap_or(&[]) {
            cp.apply(m);
            cp.at = cp.at.max(m.at);
        }
        self.snaps.push((i, cp));
    }

    /// The latest state known at or before message `i`: (its position, the state).
    fn base(&self, i: usize) -> (usize, &Checkpoint) {
        match self.snaps.iter().rev().find(|(j, _)| *j <= i) {
            Some((j, cp)) => (*j, cp),
            None => (0, &self.checkpoint),
        }
    }

    /// The number of messages taking effect at or before `t` (beats).
    fn upto_len(&self, t: Time) -> usize {
        self.msgs.partition_point(|m| m.at <= t)
    }

    /// Add a message taking effect at `at`, or at the last message's beat if that is
    /// later (stamps never go back). Returns the beat used.
    pub fn push(&mut self, at: Time, bytes: [u8; 3]) -> Time {
        let last = self.msgs.last().map_or(self.checkpoint.at, |m| m.at);
        let at = at.max(last);
        self.msgs.push(Stamped { at, bytes });
        self.pushed += 1;
        let last = self.snaps.last().map_or(0, |(i, _)| *i);
        if self.msgs.len() >= last + SNAP_EVERY {
            self.snap(self.msgs.len());
        }
        at
    }

    /// What changed since a reader saw the log as `seen` (its id and message count):
    /// `Some(None)` nothing, `Some(Some(b))` messages from beat `b` on, `None` anything.
    fn changes_since(&self, seen: (u64, u64)) -> Option<Option<Time>> {
        if seen.0 != self.id || seen.1 > self.pushed {
            return None;
        }
        if seen.1 == self.pushed {
            return Some(None);
        }
        let i = seen.1.checked_sub(self.compacted)?;
        self.msgs.get(i as usize).map(|m| Some(m.at))
    }

    /// The messages after the checkpoint.
    pub fn messages(&self) -> &[Stamped] {
        &self.msgs
    }

    /// Fold messages more than [`ControlLog::HORIZON`] beats before `frontier` (and any
    /// beyond [`ControlLog::MAX_MESSAGES`]) into the checkpoint.
    pub fn compact(&mut self, frontier: Time) {
        let cut = frontier - Time::int(Self::HORIZON);
        let old = self.msgs.partition_point(|m| m.at < cut);
        // Folding shifts the whole log: past the cap, fold a quarter of it at once rather
        // than one message per push (a busy controller keeps the log at its cap).
        let excess = match self.msgs.len().checked_sub(Self::MAX_MESSAGES) {
            Some(over) if over > 0 => over + Self::MAX_MESSAGES / 4,
            _ => 0,
        };
        let n = old.max(excess).min(self.msgs.len());
        if n == 0 {
            return;
        }
        self.compacted += n as u64;
        for m in self.msgs.drain(..n) {
            self.checkpoint.apply(&m);
            self.checkpoint.at = self.checkpoint.at.max(m.at);
        }
        self.snaps.retain(|(i, _)| *i > n);
        for (i, _) in &mut self.snaps {
            *i -= n;
        }
    }

    /// Start again from `beat` with everything received so far (a seek back, a loop, a
    /// stop): all messages are folded into the checkpoint, which then holds from `beat`
    /// on, so the knobs and keys keep their state and new messages take effect from
    /// `beat`. A new identity: cached trigger states from before are dropped.
    pub fn rebase(&mut self, beat: Time) {
        self.compacted += self.msgs.len() as u64;
        for m in self.msgs.drain(..) {
            self.checkpoint.apply(&m);
        }
        self.snaps.clear();
        self.checkpoint.at = beat;
        self.id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    }

    /// A controller's raw value (0–127) at `t`, if it was ever received.
    pub fn cc_raw(&self, channel: Option<u8>, number: u8, t: Time) -> Option<u8> {
        let row = row(channel);
        let p = self.upto_len(t);
        let (i, cp) = self.base(p);
        for m in self.msgs.get(i..p).unwrap_or(&[]).iter().rev() {
            if let Some((ch, n, v)) = m.cc() {
                if n == number && (row == ANY || ch == row) {
                    return Some(v);
                }
            }
        }
        let v = *cp.cc.get(row)?.get(number as usize)?;
        (v != 255).then_some(v)
    }

    /// A controller's value scaled to 0..1 at `t` (beats), glided by a one-pole filter with
    /// time constant `smooth` beats (0: none); `default` before any message.
    pub fn cc_value(
        &self,
        channel: Option<u8>,
        number: u8,
        smooth: f64,
        default: f64,
        t: Time,
    ) -> f64 {
        let scale = |v: u8| v as f64 / 127.0;
        if smooth <= 0.0 || !smooth.is_finite() {
            return self.cc_raw(channel, number, t).map_or(default, scale);
        }
        let row = row(channel);
        let start = self
            .checkpoint
            .cc
            .get(row)
            .and_then(|r| r.get(number as usize))
            .copied()
            .filter(|v| *v != 255);
        // The filter follows a piecewise-constant target exactly: between two messages
        // y moves toward the target by 1 − e^(−Δ/smooth).
        let y0 = start.map_or(default, scale);
        let key = GlideKey {
            id: self.id,
            row,
            number,
            smooth: smooth.to_bits(),
            default: default.to_bits(),
        };
        let p = self.upto_len(t);
        // Resume from this thread's last glide of the same controller when it is not
        // past `t`: the same steps in the same order, so the same bits.
        let resume = GLIDES
            .try_with(|g| {
                g.try_borrow().ok().and_then(|g| {
                    g.iter()
                        .find(|m| m.key == key)
                        .filter(|m| m.abs >= self.compacted && m.abs - self.compacted <= p as u64)
                        .map(|m| ((m.abs - self.compacted) as usize, m.y, m.target, m.since))
                })
            })
            .ok()
            .flatten();
        let (i, mut y, mut target, mut since) = resume.unwrap_or((0, y0, y0, self.checkpoint.at));
        for m in self.msgs.get(i..p).unwrap_or(&[]) {
            if let Some((ch, n, v)) = m.cc() {
                if n == number && (row == ANY || ch == row) {
                    y = glide(y, target, (m.at - since).to_f64(), smooth);
                    since = m.at;
                    target = scale(v);
                }
            }
        }
        let memo = GlideMemo {
            key,
            abs: self.compacted + p as u64,
            y,
            target,
            since,
        };
        let _ = GLIDES.try_with(|g| {
            if let Ok(mut g) = g.try_borrow_mut() {
                match g.iter_mut().find(|m| m.key == key) {
                    Some(m) => *m = memo,
                    None => {
                        if g.len() >= MAX_GLIDES {
                            g.remove(0);
                        }
                        g.push(memo);
                    }
                }
            }
        });
        glide(y, target, (t - since).to_f64(), smooth)
    }

    /// The notes held on a channel (or any) at `t`, ascending; with `pedal`, notes
    /// released while the sustain pedal is down count until it lifts.
    pub fn held(&self, channel: Option<u8>, pedal: bool, t: Time) -> Vec<u8> {
        let p = self.upto_len(t);
        let (i, cp) = self.base(p);
        let mut down = cp.down;
        let mut sustained = cp.sustained;
        let mut ped = [false; 16];
        for (ch, p) in ped.iter_mut().enumerate() {
            *p = cp
                .cc
                .get(ch)
                .and_then(|r| r.get(PEDAL as usize))
                .is_some_and(|v| *v != 255 && *v >= ON);
        }
        for m in self.msgs.get(i..p).unwrap_or(&[]) {
            let ch = m.channel();
            let (Some(d), Some(s), Some(p)) =
                (down.get_mut(ch), sustained.get_mut(ch), ped.get_mut(ch))
            else {
                continue;
            };
            if let Some((_, n, v)) = m.cc() {
                if n == PEDAL {
                    *p = v >= ON;
                    if !*p {
                        *s = 0;
                    }
                }
            } else if let Some((_, n)) = m.note_on() {
                *d |= 1u128 << n;
            } else if let Some((_, n)) = m.note_off() {
                let bit = 1u128 << n;
                if *d & bit != 0 && *p {
                    *s |= bit;
                }
                *d &= !bit;
            }
        }
        let mut bits = 0u128;
        for ch in 0..16 {
            if channel.is_none_or(|c| c as usize == ch) {
                bits |= down.get(ch).copied().unwrap_or(0);
                if pedal {
                    bits |= sustained.get(ch).copied().unwrap_or(0);
                }
            }
        }
        (0..128u8).filter(|n| bits & (1u128 << n) != 0).collect()
    }

    /// Upward (`rising`) or downward crossings of 64 by a controller in `(0, t]` (beats).
    pub fn crossings(&self, channel: Option<u8>, number: u8, rising: bool, t: Time) -> u64 {
        let edge = if rising { Edge::Rise } else { Edge::Fall };
        let src = InputSource::Cc {
            channel,
            number,
            edge,
        };
        self.instants(&src, t, t, &mut Vec::new()).0
    }

    /// The instants of an input trigger in `(0, to]` (beats): their number and the last
    /// of them; those in `(from, to]` are pushed to `out`.
    pub fn instants(
        &self,
        src: &InputSource,
        from: Time,
        to: Time,
        out: &mut Vec<Time>,
    ) -> (u64, Option<Time>) {
        let p_to = self.upto_len(to);
        let (i, cp) = self.base(self.upto_len(from).min(p_to));
        let mut count = 0u64;
        let mut last: Option<Time> = None;
        let mut take = |e: Option<&(u64, Time)>| {
            if let Some((c, t)) = e {
                count += c;
                last = Some(last.map_or(*t, |l: Time| l.max(*t)));
            }
        };
        let mut prev = 255u8;
        let mut rises = 0u64;
        match *src {
            InputSource::Notes { channel, lo, hi } => {
                for ch in 0..16usize {
                    if channel.is_none_or(|c| c as usize == ch) {
                        for n in lo..=hi.min(127) {
                            take(cp.fired.get(&fire_key(NOTE_ON, ch, n)));
                        }
                    }
                }
            }
            InputSource::Cc {
                channel,
                number,
                edge,
            } => {
                let row = row(channel);
                let kind = match edge {
                    Edge::Rise => RISE,
                    Edge::Fall => FALL,
                    Edge::ToggleOn => TOGGLE_ON,
                    Edge::ToggleOff => TOGGLE_OFF,
                };
                take(cp.fired.get(&fire_key(kind, row, number)));
                prev = cp
                    .cc
                    .get(row)
                    .and_then(|r| r.get(number as usize))
                    .copied()
                    .unwrap_or(255);
                rises = cp.count(RISE, row, number);
            }
        }
        for m in self.msgs.get(i..p_to).unwrap_or(&[]) {
            let fired = match *src {
                InputSource::Notes { channel, lo, hi } => m.note_on().is_some_and(|(ch, n)| {
                    channel.is_none_or(|c| c as usize == ch) && (lo..=hi).contains(&n)
                }),
                InputSource::Cc {
                    channel,
                    number,
                    edge,
                } => {
                    let row = row(channel);
                    match m.cc() {
                        Some((ch, n, v)) if n == number && (row == ANY || ch == row) => {
                            let was_on = prev != 255 && prev >= ON;
                            prev = v;
                            let rise = v >= ON && !was_on;
                            if rise {
                                rises += 1;
                            }
                            match edge {
                                Edge::Rise => rise,
                                Edge::Fall => v < ON && was_on,
                                Edge::ToggleOn => rise && rises % 2 == 1,
                                Edge::ToggleOff => rise && rises % 2 == 0,
                            }
                        }
                        _ => false,
                    }
                }
            };
            if fired {
                count += 1;
                last = Some(m.at);
                if m.at > from {
                    out.push(m.at);
                }
            }
        }
        (count, last)
    }

    /// Messages after the checkpoint (for tests and status).
    pub fn len(&self) -> usize {
        self.msgs.len()
    }

    /// True when no message is kept after the checkpoint.
    pub fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }
}

fn row(channel: Option<u8>) -> usize {
    channel.map_or(ANY, |c| (c as usize).min(15))
}

/// Glides remembered per thread.
const MAX_GLIDES: usize = 32;

/// Which glide a [`GlideMemo`] is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct GlideKey {
    id: u64,
    row: usize,
    number: u8,
    smooth: u64,
    default: u64,
}

/// A glide's state after the log's first `abs` messages (counting folded ones).
#[derive(Clone, Copy, Debug)]
struct GlideMemo {
    key: GlideKey,
    abs: u64,
    y: f64,
    target: f64,
    since: Time,
}

thread_local! {
    static GLIDES: RefCell<Vec<GlideMemo>> = const { RefCell::new(Vec::new()) };
}

/// One-pole glide from `y` toward `target` over `dt` beats with time constant `tau`.
fn glide(y: f64, target: f64, dt: f64, tau: f64) -> f64 {
    if dt <= 0.0 {
        return y;
    }
    target + (y - target) * (-dt / tau).exp()
}

// ---------------------------------------------------------------------------------------
// The current input of this thread.

thread_local! {
    static CURRENT: RefCell<Option<(Arc<ControlLog>, Time)>> = const { RefCell::new(None) };
}

/// Run `f` (a query) with `log` as this thread's input, restoring the previous input after.
pub fn with_input<R>(log: &Arc<ControlLog>, f: impl FnOnce() -> R) -> R {
    with_input_at(log, Time::ZERO, f)
}

/// [`with_input`] for a query whose time 0 sits at beat `origin` of the log (a player
/// restarted at a boundary queries its own time).
pub fn with_input_at<R>(log: &Arc<ControlLog>, origin: Time, f: impl FnOnce() -> R) -> R {
    let prev = CURRENT
        .try_with(|c| {
            c.try_borrow_mut()
                .ok()
                .map(|mut c| c.replace((log.clone(), origin)))
        })
        .ok()
        .flatten()
        .flatten();
    let r = f();
    let _ = CURRENT.try_with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            *c = prev;
        }
    });
    r
}

/// Read this thread's input and its origin (an empty log when none is set).
fn read<R>(f: impl FnOnce(&ControlLog, Time) -> R) -> R {
    let cur = CURRENT
        .try_with(|c| c.try_borrow().ok().and_then(|c| c.clone()))
        .ok()
        .flatten();
    match cur {
        Some((log, origin)) => f(&log, origin),
        None => EMPTY.with(|e| f(e, Time::ZERO)),
    }
}

thread_local! {
    static EMPTY: ControlLog = ControlLog::empty();
}

/// This thread's input as a reader records it (its id and message count), what changed
/// since `seen` (see [`ControlLog::changes_since`]), and the origin of the query's time.
pub(crate) fn changes_since(seen: (u64, u64)) -> ((u64, u64), Option<Option<Time>>, Time) {
    read(|log, origin| ((log.id, log.pushed), log.changes_since(seen), origin))
}

// ---------------------------------------------------------------------------------------
// Values and triggers.

/// A value read from the input (the payload of [`crate::trigger::TrigPat::Control`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ControlPat {
    /// What is read.
    pub source: ControlSource,
    /// Beats per cycle of the program (queries are in cycles, the log in beats).
    pub cycle_beats: Time,
}

/// What a [`ControlPat`] reads. Channels are 0–15; `None`: any channel.
#[derive(Clone, Debug, PartialEq)]
pub enum ControlSource {
    /// A controller scaled to 0..1 (`cc`).
    Cc {
        /// Controller number.
        number: u8,
        /// Channel.
        channel: Option<u8>,
        /// Glide time constant in beats (0: none).
        smooth: f64,
        /// Value before any message.
        default: f64,
    },
    /// The held notes as a chord (`held`).
    Held {
        /// Channel.
        channel: Option<u8>,
        /// Count notes sustained by the pedal.
        pedal: bool,
    },
    /// True while a controller is at 64 or above (`switch`).
    Switch {
        /// Controller number.
        number: u8,
        /// Channel.
        channel: Option<u8>,
    },
    /// True after an odd number of presses (`toggle`).
    Toggle {
        /// Controller number.
        number: u8,
        /// Channel.
        channel: Option<u8>,
    },
}

impl ControlPat {
    /// The value at `t` (cycles); `None` for no value (nothing held).
    pub fn value_at(&self, t: Time) -> Option<Value> {
        read(|log, origin| {
            let beat = t * self.cycle_beats + origin;
            self.read_log(log, beat)
        })
    }

    fn read_log(&self, log: &ControlLog, beat: Time) -> Option<Value> {
        match self.source {
            ControlSource::Cc {
                number,
                channel,
                smooth,
                default,
            } => Some(Value::Num(
                log.cc_value(channel, number, smooth, default, beat),
            )),
            ControlSource::Held { channel, pedal } => {
                let notes = log.held(channel, pedal, beat);
                (!notes.is_empty()).then(|| {
                    Value::Chord(notes.into_iter().map(|n| Value::Num(n as f64)).collect())
                })
            }
            ControlSource::Switch { number, channel } => Some(Value::Bool(
                log.cc_raw(channel, number, beat).is_some_and(|v| v >= ON),
            )),
            ControlSource::Toggle { number, channel } => Some(Value::Bool(
                log.crossings(channel, number, true, beat) % 2 == 1,
            )),
        }
    }

    /// Like a signal: haps without a whole, valued at their start; the span is cut where
    /// a message for this source takes effect (so `mask(switch(64))` follows the pedal).
    pub(crate) fn query(
        &self,
        span: TimeSpan,
        budget: &mut Budget,
        out: &mut Vec<Hap>,
    ) -> Result<(), Overrun> {
        budget.spend(1)?;
        let mut cuts = vec![span.begin];
        if span.end > span.begin && self.cycle_beats > Time::ZERO {
            let cb = self.cycle_beats;
            read(|log, origin| {
                let (b, e) = (span.begin * cb + origin, span.end * cb + origin);
                let from = log.msgs.partition_point(|m| m.at <= b);
                for m in log.msgs.get(from..).unwrap_or(&[]) {
                    if m.at >= e {
                        break;
                    }
                    let t = (m.at - origin) / cb;
                    if self.reads(m) && cuts.last() != Some(&t) {
                        cuts.push(t);
                    }
                }
            });
        }
        for (i, &b) in cuts.iter().enumerate() {
            let e = cuts.get(i + 1).copied().unwrap_or(span.end);
            budget.spend(1)?;
            if let Some(value) = self.value_at(b) {
                out.push(Hap {
                    whole: None,
                    part: TimeSpan::new(b, e),
                    value,
                    gain: 1.0,
                });
            }
        }
        Ok(())
    }

    /// True when `m` may change this value.
    fn reads(&self, m: &Stamped) -> bool {
        let on = |channel: Option<u8>| channel.is_none_or(|c| c as usize == m.channel());
        match self.source {
            ControlSource::Cc {
                number, channel, ..
            }
            | ControlSource::Switch { number, channel }
            | ControlSource::Toggle { number, channel } => {
                on(channel) && m.cc().is_some_and(|(_, n, _)| n == number)
            }
            ControlSource::Held { channel, .. } => {
                on(channel)
                    && (m.note_on().is_some()
                        || m.note_off().is_some()
                        || m.cc().is_some_and(|(_, n, _)| n == PEDAL))
            }
        }
    }

    /// The trigger of this value's switching on (`rising`) or off, if it switches.
    pub fn edges(&self, rising: bool) -> Option<InputTrigger> {
        let (number, channel, edge) = match self.source {
            ControlSource::Switch { number, channel } => (
                number,
                channel,
                if rising { Edge::Rise } else { Edge::Fall },
            ),
            ControlSource::Toggle { number, channel } => (
                number,
                channel,
                if rising {
                    Edge::ToggleOn
                } else {
                    Edge::ToggleOff
                },
            ),
            _ => return None,
        };
        Some(InputTrigger {
            source: InputSource::Cc {
                channel,
                number,
                edge,
            },
            cycle_beats: self.cycle_beats,
        })
    }
}

/// Which crossings of 64 fire a controller trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// From below 64 to 64 or above (a press).
    Rise,
    /// From 64 or above to below (a release).
    Fall,
    /// Odd-numbered presses (a latching button turning on).
    ToggleOn,
    /// Even-numbered presses (a latching button turning off).
    ToggleOff,
}

/// Where an input trigger's instants come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputSource {
    /// Note-ons in `lo..=hi`.
    Notes {
        /// Channel (`None`: any).
        channel: Option<u8>,
        /// Lowest note.
        lo: u8,
        /// Highest note.
        hi: u8,
    },
    /// Crossings of 64 by a controller.
    Cc {
        /// Channel (`None`: any).
        channel: Option<u8>,
        /// Controller number.
        number: u8,
        /// Which crossings.
        edge: Edge,
    },
}

/// A trigger firing on input (a [`crate::trigger::TriggerKind::Input`]).
#[derive(Clone, Debug, PartialEq)]
pub struct InputTrigger {
    /// What fires it.
    pub source: InputSource,
    /// Beats per cycle (instants are in cycles).
    pub cycle_beats: Time,
}

impl InputTrigger {
    /// The instants in `(0, to]` (cycles) counted, and those in `(from, to]` pushed to
    /// `out` when given. Reads this thread's input.
    pub(crate) fn advance(
        &self,
        from: Time,
        to: Time,
        out: Option<&mut Vec<Time>>,
        budget: &mut Budget,
    ) -> Result<(u64, Option<Time>), Overrun> {
        budget.spend(1)?;
        if self.cycle_beats <= Time::ZERO {
            return Ok((0, None));
        }
        let cb = self.cycle_beats;
        let mut beats = Vec::new();
        let (count, last, origin) = read(|log, origin| {
            let (c, l) = log.instants(
                &self.source,
                from * cb + origin,
                to * cb + origin,
                &mut beats,
            );
            (c, l, origin)
        });
        budget.spend(beats.len() as u64 / 64)?;
        let cycles = |b: Time| (b - origin) / cb;
        if let Some(out) = out {
            out.extend(beats.into_iter().map(cycles));
        }
        Ok((count, last.map(cycles)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A deterministic stream of notes, pedal, button and knob messages on two channels,
    /// a few per beat.
    fn script(n: usize) -> Vec<Stamped> {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut at = Time::ZERO;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                at += Time::new((x % 5) as i64, 8);
                let ch = (x >> 8) as u8 % 2;
                let v = ((x >> 16) % 128) as u8;
                let bytes = match (x >> 24) % 6 {
                    0 => [0x90 | ch, 48 + (v % 12), 100],
                    1 => [0x80 | ch, 48 + (v % 12), 0],
                    2 => [0x90 | ch, 48 + (v % 12), 0],
                    3 => [0xB0 | ch, 64, v],
                    4 => [0xB0 | ch, 20, v],
                    _ => [0xB0 | ch, 74, v],
                };
                Stamped { at, bytes }
            })
            .collect()
    }

    fn sources() -> Vec<InputSource> {
        let mut v = Vec::new();
        for channel in [None, Some(0), Some(1)] {
            v.push(InputSource::Notes {
                channel,
                lo: 50,
                hi: 55,
            });
            for edge in [Edge::Rise, Edge::Fall, Edge::ToggleOn, Edge::ToggleOff] {
                v.push(InputSource::Cc {
                    channel,
                    number: 20,
                    edge,
                });
            }
        }
        v
    }

    #[test]
    fn compacting_keeps_every_value_and_count_and_bounds_memory() {
        let msgs = script(3000);
        let full = ControlLog::from_messages(msgs.clone());
        // Keep 8 beats (no snapshots survive), then 100 (snapshots shift as it folds).
        for keep in [8, 100] {
            let mut live = ControlLog::new();
            for m in &msgs {
                live.push(m.at, m.bytes);
                live.compact(m.at + Time::int(ControlLog::HORIZON - keep));
            }
            assert!(live.compacted > 2000, "{}", live.len());
            assert_eq!(live.snaps.is_empty(), keep == 8);
            compare(&live, &full, &msgs);
        }
        // However long the set, the log keeps at most its cap.
        let mut log = ControlLog::new();
        for (i, m) in script(40_000).iter().enumerate() {
            log.push(Time::new(i as i64, 1000), m.bytes);
            log.compact(Time::new(i as i64, 1000));
        }
        assert!(log.len() <= ControlLog::MAX_MESSAGES);
    }

    fn compare(live: &ControlLog, full: &ControlLog, msgs: &[Stamped]) {
        let end = msgs.last().unwrap().at;
        let mut t = live.checkpoint.at;
        while t <= end + Time::ONE {
            for ch in [None, Some(0), Some(1)] {
                assert_eq!(live.cc_raw(ch, 74, t), full.cc_raw(ch, 74, t));
                for pedal in [false, true] {
                    assert_eq!(live.held(ch, pedal, t), full.held(ch, pedal, t), "{t}");
                }
                // The glide restarts from the value at the checkpoint: exact again once
                // many time constants have passed (here 32).
                if t >= live.checkpoint.at + Time::int(8) {
                    let a = live.cc_value(ch, 74, 0.25, 0.5, t);
                    let b = full.cc_value(ch, 74, 0.25, 0.5, t);
                    assert!((a - b).abs() < 1e-7, "{a} {b} at {t}");
                }
            }
            for src in sources() {
                let (mut x, mut y) = (Vec::new(), Vec::new());
                let a = live.instants(&src, t - Time::ONE, t, &mut x);
                let b = full.instants(&src, t - Time::ONE, t, &mut y);
                assert_eq!(a, b, "{src:?} at {t}");
                if t - Time::ONE >= live.checkpoint.at {
                    assert_eq!(x, y);
                }
            }
            t += Time::new(3, 4);
        }
    }

    #[test]
    fn the_pedal_holds_released_notes_until_it_lifts() {
        let at = |n| Time::int(n);
        let msg = |n, bytes| Stamped { at: at(n), bytes };
        let log = ControlLog::from_messages(vec![
            msg(0, [0x90, 60, 1]),
            msg(1, [0xB0, 64, 127]),
            msg(2, [0x80, 60, 0]),
            msg(2, [0x90, 62, 9]),
            msg(3, [0x90, 62, 0]),
            msg(4, [0xB0, 64, 0]),
        ]);
        assert_eq!(log.held(None, true, at(2)), [60, 62]);
        assert_eq!(log.held(None, false, at(2)), [62]);
        assert_eq!(log.held(None, true, at(3)), [60, 62]);
        assert_eq!(log.held(Some(1), true, at(3)), Vec::<u8>::new());
        assert_eq!(log.held(None, true, at(4)), Vec::<u8>::new());
        // Stamps never go back.
        let mut l = ControlLog::new();
        assert_eq!(l.push(at(5), [0x90, 1, 1]), at(5));
        assert_eq!(l.push(at(4), [0x90, 2, 1]), at(5));
    }
}
