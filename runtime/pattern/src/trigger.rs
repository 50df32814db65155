//! Triggers: moments that make things happen, and the values they switch.
//!
//! A [`Trigger`] is a set of instants (in cycles) after the start, `0 < τ`, computed from
//! the program alone, so live play, seeking and offline render agree exactly:
//!
//! - a **leaky integrator** of a signal ([`Integrator`]): the signal is sampled on a fixed
//!   exact grid and integrated by Euler steps, `s += dt·(scale·x − leak·s)` (`dt` in
//!   beats); when `s` reaches the threshold the integrator fires (with a seeded
//!   probability) and resets to 0. The firing time is the end of the step that crossed;
//! - the **onsets** of any cycle pattern (a Euclidean rhythm, any mini-notation string);
//! - a **timer**, every `period` cycles after `offset`;
//! - a trigger **thinned** with a probability, or **shared** between listeners by weight
//!   (each instant goes to exactly one of them). Both decide with a hash of (seed, ordinal
//!   of the instant), so every listener of the same trigger agrees.
//! - every **`n`th** instant of a trigger ([`TriggerKind::Nth`]): how a scene launch that
//!   steps through a list hears only the firings that launch its item.
//!
//! - **input**: note-ons or controller presses read from the thread's current input
//!   ([`crate::control`]). Cached checkpoints of triggers that read input (directly or
//!   through a pattern) are dropped from the first beat where the input changed since.
//!
//! A [`TrigPat`] turns a trigger into values (a [`Pat::Trig`] node): `Step` plays item
//! `count mod n` (or the last one, holding) of a list, where `count` is the number of
//! instants that have taken effect; `Gate` is true while a player is started. An instant
//! `τ` takes effect at the first multiple of `quant` at or after it (SuperCollider's
//! `roundUp`; `quant` 0: at `τ` itself), and every event from then on sees it. The state is
//! positional (a count from the start), so any window can be asked for in any order.
//! Scene launches (`crate::arrange`) read the same state through [`Listen::last_at`] and
//! [`Listen::changes_between`].
//!
//! Counting from the start costs work proportional to the time asked for (integrator steps,
//! pattern cycles). A small per-thread table of checkpoints per trigger (bounded: old ones
//! are thinned) makes successive windows cost only their own length; results never depend
//! on it. The query [`Budget`] pays for every step, so pathological parameters overrun
//! instead of hanging.

use std::cell::RefCell;
use std::sync::Arc;

use crate::control::{ControlPat, InputTrigger};
use crate::pat::{Hap, Pat, PatRef};
use crate::query::{Budget, Overrun};
use crate::time::{Time, TimeSpan};
use crate::value::Value;

/// A shared trigger.
pub type TriggerRef = Arc<Trigger>;

/// A trigger: its definition and a content hash (the key of its checkpoint table).
#[derive(Clone, PartialEq)]
pub struct Trigger {
    kind: TriggerKind,
    key: u64,
    /// Beats per cycle when the trigger reads input (see [`crate::control`]).
    input: Option<Time>,
}

/// Where a trigger's instants come from. See the module docs.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TriggerKind {
    /// A leaky integrator of a signal.
    Integrate(Integrator),
    /// The onsets of a cycle pattern.
    Onsets(PatRef),
    /// Every `period` cycles after `offset` (cycles, both exact; period > 0).
    Every {
        /// Period in cycles.
        period: Time,
        /// Offset in cycles (the first instant is `offset + period`).
        offset: Time,
    },
    /// The instants of `of`, each kept with probability `prob`.
    Chance {
        /// Probability of keeping an instant (0..1).
        prob: f64,
        /// Seed.
        seed: u64,
        /// The trigger thinned.
        of: TriggerRef,
    },
    /// The instants of `of` that listener `which` takes when each instant goes to one
    /// listener, chosen by `weights`.
    Share {
        /// One weight per listener (≥ 0, not all 0).
        weights: Vec<f64>,
        /// Which listener this is.
        which: usize,
        /// Seed (the same for every listener of one share).
        seed: u64,
        /// The trigger shared.
        of: TriggerRef,
    },
    /// Every `n`th instant of `of`, starting with ordinal `first + 1` (the instants whose
    /// 0-based ordinal is `first` mod `n`): item `first` of a list stepped by `of`.
    Nth {
        /// Cycle length (≥ 1).
        n: u64,
        /// Which instant of each cycle (0-based, below `n`).
        first: u64,
        /// The trigger counted.
        of: TriggerRef,
    },
    /// Note-ons or controller presses from the input.
    Input(InputTrigger),
}

/// A leaky integrator (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Integrator {
    /// The integrated signal (any cycle pattern, sampled at each grid point).
    pub signal: PatRef,
    /// Grid step in cycles (> 0).
    pub step: Time,
    /// Grid step in beats (the Euler `dt`).
    pub dt: f64,
    /// Gain on the signal.
    pub scale: f64,
    /// Leak per beat (0: a pure integrator).
    pub leak: f64,
    /// Firing threshold (> 0).
    pub threshold: f64,
    /// Probability that a crossing fires (it always resets).
    pub prob: f64,
    /// Seed of the firing probability.
    pub seed: u64,
}

impl Trigger {
    /// A trigger with its content hash.
    pub fn new(kind: TriggerKind) -> TriggerRef {
        let key = fnv(format!("{kind:?}").as_bytes());
        let input = kind_input(&kind, &mut 10_000);
        Arc::new(Trigger { kind, key, input })
    }

    /// The content hash (equal definitions have equal keys).
    pub fn key(&self) -> u64 {
        self.key
    }

    /// The definition.
    pub fn kind(&self) -> &TriggerKind {
        &self.kind
    }

    /// The same trigger with every seed mixed with `seed` and every pattern inside mapped
    /// by `f` (the language's per-program reseeding).
    pub fn reseeded(&self, seed: u64, f: &mut dyn FnMut(&PatRef) -> PatRef) -> TriggerRef {
        let kind = match &self.kind {
            TriggerKind::Integrate(i) => TriggerKind::Integrate(Integrator {
                signal: f(&i.signal),
                seed: mix(i.seed, seed),
                ..i.clone()
            }),
            TriggerKind::Onsets(p) => TriggerKind::Onsets(f(p)),
            TriggerKind::Every { period, offset } => TriggerKind::Every {
                period: *period,
                offset: *offset,
            },
            TriggerKind::Chance { prob, seed: s, of } => TriggerKind::Chance {
                prob: *prob,
                seed: mix(*s, seed),
                of: of.reseeded(seed, f),
            },
            TriggerKind::Share {
                weights,
                which,
                seed: s,
                of,
            } => TriggerKind::Share {
                weights: weights.clone(),
                which: *which,
                seed: mix(*s, seed),
                of: of.reseeded(seed, f),
            },
            TriggerKind::Nth { n, first, of } => TriggerKind::Nth {
                n: *n,
                first: *first,
                of: of.reseeded(seed, f),
            },
            TriggerKind::Input(i) => TriggerKind::Input(i.clone()),
        };
        Trigger::new(kind)
    }

    /// The instants in `(0, end]` (cycles), in order, at most `max` of them.
    pub fn instants(
        &self,
        end: Time,
        max: usize,
        budget: &mut Budget,
    ) -> Result<Vec<Time>, Overrun> {
        let mut out = Vec::new();
        with_tables(|tables| {
            let tl = tables.get(self);
            let (_, _) = tl.advance(
                self,
                Time::ZERO,
                end,
                &mut Some((&mut out, max)),
                budget,
                tables,
            )?;
            Ok(())
        })?;
        Ok(out)
    }
}

// The content hash of derived triggers (and so their seeds) is taken over this text: it
// leaves out `input`, which follows from `kind`, so seeds stay as they were before it.
impl std::fmt::Debug for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trigger")
            .field("kind", &self.kind)
            .field("key", &self.key)
            .finish()
    }
}

/// When the instants of a trigger take effect.
#[derive(Clone, Debug, PartialEq)]
pub struct Listen {
    /// The trigger.
    pub trigger: TriggerRef,
    /// Effect at the next multiple of this many cycles (0: at once).
    pub quant: Time,
}

impl Listen {
    /// The last instant that has taken effect at `t` (cycles), as `(effect, instant)`:
    /// when it takes effect and when it fired. `None` before the first.
    pub fn last_at(&self, t: Time, budget: &mut Budget) -> Result<Option<(Time, Time)>, Overrun> {
        let upto = if self.quant > Time::ZERO {
            Time::int((t / self.quant).floor_int()) * self.quant
        } else {
            t
        };
        if upto <= Time::ZERO {
            return Ok(None);
        }
        let (_, last) = with_tables(|tables| {
            let tl = tables.get(&self.trigger);
            tl.advance(&self.trigger, Time::ZERO, upto, &mut None, budget, tables)
        })?;
        Ok(last.map(|x| (effect(x, self.quant), x)))
    }

    /// Push the times in `(b, e)` (cycles) where what has taken effect may change: every
    /// quant boundary, or (quant 0) every instant.
    pub fn changes_between(
        &self,
        b: Time,
        e: Time,
        budget: &mut Budget,
        out: &mut Vec<Time>,
    ) -> Result<(), Overrun> {
        effects_between(self, b, e, budget, out)
    }
}

/// Values switched by triggers (the payload of [`Pat::Trig`]).
#[derive(Clone, Debug, PartialEq)]
pub enum TrigPat {
    /// Item `count mod len` of `items` (`hold`: item `min(count, len − 1)`), where `count`
    /// is the number of instants that have taken effect.
    Step {
        /// The trigger and quant.
        listen: Listen,
        /// The items (patterns, usually constants).
        items: Vec<PatRef>,
        /// Stay on the last item instead of wrapping.
        hold: bool,
    },
    /// `true` while a player is on: from a `start` instant to a `stop` instant (a stop and
    /// a start taking effect together leave it off). Without `start`, it is on from the
    /// beginning. Like a signal, its values have no whole: they are sampled, never onsets.
    Gate {
        /// Turns it on.
        start: Option<Listen>,
        /// Turns it off.
        stop: Option<Listen>,
    },
    /// An integrator's state (its charge) as a continuous value: the state at the last
    /// grid point, 0 before the start. Other triggers have no charge (always 0).
    Charge(TriggerRef),
    /// The number of instants that have taken effect, as a number (sampled, like a signal).
    Count(Listen),
    /// A value read from the input (`cc`, `held`, `switch`, `toggle`), sampled like a
    /// signal: see [`crate::control`].
    Control(ControlPat),
}

impl TrigPat {
    /// True when the values are constants sampled by events rather than a rhythm of their
    /// own (a player does not take its structure from such a key).
    pub fn is_sampled(&self) -> bool {
        match self {
            TrigPat::Step { items, .. } => items.iter().all(|p| is_constant(p)),
            TrigPat::Gate { .. } | TrigPat::Charge(_) | TrigPat::Count(_) | TrigPat::Control(_) => {
                true
            }
        }
    }

    /// The item patterns (children of the node).
    pub fn items(&self) -> &[PatRef] {
        match self {
            TrigPat::Step { items, .. } => items,
            TrigPat::Gate { .. } | TrigPat::Charge(_) | TrigPat::Count(_) | TrigPat::Control(_) => {
                &[]
            }
        }
    }

    /// The same node with its triggers reseeded and every pattern mapped by `f`.
    pub fn reseeded(&self, seed: u64, f: &mut dyn FnMut(&PatRef) -> PatRef) -> TrigPat {
        let listen = |l: &Listen, f: &mut dyn FnMut(&PatRef) -> PatRef| Listen {
            trigger: l.trigger.reseeded(seed, f),
            quant: l.quant,
        };
        match self {
            TrigPat::Step {
                listen: l,
                items,
                hold,
            } => TrigPat::Step {
                listen: listen(l, f),
                items: items.iter().map(&mut *f).collect(),
                hold: *hold,
            },
            TrigPat::Gate { start, stop } => TrigPat::Gate {
                start: start.as_ref().map(|l| listen(l, f)),
                stop: stop.as_ref().map(|l| listen(l, f)),
            },
            TrigPat::Charge(t) => TrigPat::Charge(t.reseeded(seed, f)),
            TrigPat::Count(l) => TrigPat::Count(listen(l, f)),
            TrigPat::Control(c) => TrigPat::Control(c.clone()),
        }
    }

    /// Tidal query: the span is cut where the state changes, and each piece plays the
    /// item (or gate value) of its state.
    pub(crate) fn query(
        &self,
        span: TimeSpan,
        budget: &mut Budget,
        out: &mut Vec<Hap>,
    ) -> Result<(), Overrun> {
        if let TrigPat::Control(c) = self {
            return c.query(span, budget, out);
        }
        if let TrigPat::Charge(trig) = self {
            // Like a signal: one value for the span, without a whole.
            budget.spend(1)?;
            let x = charge_at(trig, span.begin, budget)?;
            out.push(Hap {
                whole: None,
                part: span,
                value: Value::Num(x),
                gain: 1.0,
            });
            return Ok(());
        }
        // Events sample values with zero-width queries: one piece, nothing to collect.
        let mut cuts: Vec<Time> = Vec::new();
        if span.end > span.begin {
            cuts.push(span.begin);
            let listens: [Option<&Listen>; 2] = match self {
                TrigPat::Step { listen, .. } => [Some(listen), None],
                TrigPat::Gate { start, stop } => [start.as_ref(), stop.as_ref()],
                TrigPat::Charge(_) | TrigPat::Control(_) => [None, None],
                TrigPat::Count(listen) => [Some(listen), None],
            };
            for l in listens.into_iter().flatten() {
                effects_between(l, span.begin, span.end, budget, &mut cuts)?;
            }
            cuts.sort();
            cuts.dedup();
        }
        let single = [span.begin];
        let cuts: &[Time] = if cuts.is_empty() { &single } else { &cuts };
        for (i, &b) in cuts.iter().enumerate() {
            let e = cuts.get(i + 1).copied().unwrap_or(span.end);
            budget.spend(1)?;
            let piece = TimeSpan::new(b, e);
            match self {
                TrigPat::Charge(_) | TrigPat::Control(_) => {}
                TrigPat::Count(listen) => {
                    let (count, _) = state_at(listen, b, budget)?;
                    out.push(Hap {
                        whole: None,
                        part: piece,
                        value: Value::Num(count as f64),
                        gain: 1.0,
                    });
                }
                TrigPat::Step {
                    listen,
                    items,
                    hold,
                } => {
                    let (count, _) = state_at(listen, b, budget)?;
                    let n = items.len() as u64;
                    if n == 0 {
                        continue;
                    }
                    let i = if *hold { count.min(n - 1) } else { count % n };
                    if let Some(p) = items.get(i as usize) {
                        let start = out.len();
                        p.query(piece, budget, out)?;
                        // Items keep their own wholes; only what lies in the piece plays.
                        crate::query::retain_tail(out, start, |h| {
                            h.part.begin >= piece.begin
                                && (h.part.end <= piece.end || piece.begin == piece.end)
                        });
                    }
                }
                TrigPat::Gate { start, stop } => {
                    let on_at = match start {
                        Some(l) => state_at(l, b, budget)?.1,
                        None => Some(Time::int(-1)),
                    };
                    let off_at = match stop {
                        Some(l) => state_at(l, b, budget)?.1,
                        None => None,
                    };
                    let on = match (on_at, off_at) {
                        (None, _) => false,
                        (Some(_), None) => true,
                        (Some(a), Some(z)) => a > z,
                    };
                    if on {
                        out.push(Hap {
                            whole: None,
                            part: piece,
                            value: Value::Bool(true),
                            gain: 1.0,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// Beats per cycle of the first input a trigger reads, directly or through its patterns
/// (`None`: it reads none). Out of `fuel`, it assumes it does (its checkpoints are then
/// only dropped more often).
fn kind_input(kind: &TriggerKind, fuel: &mut u32) -> Option<Time> {
    match kind {
        TriggerKind::Input(i) => Some(i.cycle_beats),
        TriggerKind::Integrate(i) => pat_input(&i.signal, fuel),
        TriggerKind::Onsets(p) => pat_input(p, fuel),
        TriggerKind::Every { .. } => None,
        TriggerKind::Chance { of, .. }
        | TriggerKind::Share { of, .. }
        | TriggerKind::Nth { of, .. } => of.input,
    }
}

/// Beats per cycle of the first input a pattern reads (see [`kind_input`]).
pub(crate) fn pat_input(p: &Pat, fuel: &mut u32) -> Option<Time> {
    if *fuel == 0 {
        return Some(Time::ONE);
    }
    *fuel -= 1;
    if let Pat::Trig(t) = p {
        let listen = |l: &Listen| l.trigger.input;
        let own = match &**t {
            TrigPat::Control(c) => Some(c.cycle_beats),
            TrigPat::Step { listen: l, .. } | TrigPat::Count(l) => listen(l),
            TrigPat::Gate { start, stop } => start
                .as_ref()
                .and_then(listen)
                .or_else(|| stop.as_ref().and_then(listen)),
            TrigPat::Charge(t) => t.input,
        };
        if own.is_some() {
            return own;
        }
    }
    let mut found = None;
    p.for_each_child(|c| {
        if found.is_none() {
            found = pat_input(c, fuel);
        }
    });
    found
}

/// A constant or a chord of constants (a chord is a stack of them).
fn is_constant(p: &Pat) -> bool {
    match p {
        Pat::Pure(_) | Pat::Silence => true,
        Pat::Stack(ps) => ps.iter().all(|p| matches!(&**p, Pat::Pure(_))),
        _ => false,
    }
}

/// The effect time of an instant.
fn effect(t: Time, quant: Time) -> Time {
    if quant > Time::ZERO {
        Time::int((t / quant).ceil_int()) * quant
    } else {
        t
    }
}

/// The number of instants that have taken effect at `t`, and when the last one did.
fn state_at(l: &Listen, t: Time, budget: &mut Budget) -> Result<(u64, Option<Time>), Overrun> {
    // An instant τ takes effect by t when effect(τ) ≤ t, that is τ ≤ floor(t/q)·q.
    let upto = if l.quant > Time::ZERO {
        Time::int((t / l.quant).floor_int()) * l.quant
    } else {
        t
    };
    if upto <= Time::ZERO {
        return Ok((0, None));
    }
    let (count, last) = with_tables(|tables| {
        let tl = tables.get(&l.trigger);
        tl.advance(&l.trigger, Time::ZERO, upto, &mut None, budget, tables)
    })?;
    Ok((count, last.map(|x| effect(x, l.quant))))
}

/// An integrator's state at `t` (see [`TrigPat::Charge`]).
fn charge_at(trig: &Trigger, t: Time, budget: &mut Budget) -> Result<f64, Overrun> {
    if t <= Time::ZERO || !matches!(trig.kind, TriggerKind::Integrate(_)) {
        return Ok(0.0);
    }
    with_tables(|tables| {
        let tl = tables.get(trig);
        tl.level_at(trig, t, budget, tables)
    })
}

/// Push the times in `(b, e)` where `l`'s state may change.
fn effects_between(
    l: &Listen,
    b: Time,
    e: Time,
    budget: &mut Budget,
    cuts: &mut Vec<Time>,
) -> Result<(), Overrun> {
    if e <= Time::ZERO {
        return Ok(());
    }
    if l.quant > Time::ZERO {
        let mut k = (b / l.quant).floor_int().saturating_add(1).max(1);
        loop {
            let t = Time::int(k) * l.quant;
            if t >= e {
                break;
            }
            budget.spend(1)?;
            cuts.push(t);
            k = k.saturating_add(1);
        }
        return Ok(());
    }
    let mut times = Vec::new();
    with_tables(|tables| {
        let tl = tables.get(&l.trigger);
        tl.advance(
            &l.trigger,
            b.max(Time::ZERO),
            e,
            &mut Some((&mut times, usize::MAX)),
            budget,
            tables,
        )
        .map(|_| ())
    })?;
    cuts.extend(times.into_iter().filter(|t| *t < e && *t > b));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Timelines: checkpoints of a trigger's scan from the start.

/// Checkpoints kept per trigger (then every other one is dropped).
const MAX_MARKS: usize = 512;
/// Integrator steps between checkpoints during a long scan.
const MARK_EVERY: u64 = 256;
/// Triggers remembered per thread.
const MAX_TIMELINES: usize = 64;

/// Everything known at one time `t`: the instants in `(0, t]` are counted.
#[derive(Clone, Copy, Debug)]
struct Mark {
    t: Time,
    count: u64,
    last: Option<Time>,
    state: State,
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// Nothing beyond the time (onsets, timers).
    Plain,
    /// Integrator: samples done (`t = k·step`), state, crossings so far.
    Integ { k: u64, s: f64, crossings: u64 },
    /// Derived triggers: instants of the base trigger in `(0, t]`.
    Derived { base: u64 },
}

#[derive(Debug)]
struct Timeline {
    trigger: Trigger,
    marks: Vec<Mark>,
    used: u64,
    /// Integrator: the state at the end of the last advance.
    level: f64,
    /// The input (id, message count) the marks were computed with.
    seen: (u64, u64),
    /// The beat of the input at the query's time 0.
    seen_origin: Time,
}

#[derive(Debug, Default)]
struct Tables {
    lines: Vec<Timeline>,
    clock: u64,
}

thread_local! {
    static TABLES: RefCell<Option<Tables>> = const { RefCell::new(None) };
}

/// Run `f` with this thread's tables. A nested use (a trigger's pattern containing another
/// trigger's values) finds them taken and works on a fresh, temporary set, which the outer
/// use then replaces.
fn with_tables<R>(f: impl FnOnce(&mut Tables) -> R) -> R {
    let mut tables = TABLES
        .try_with(|t| t.try_borrow_mut().ok().and_then(|mut t| t.take()))
        .ok()
        .flatten()
        .unwrap_or_default();
    let r = f(&mut tables);
    let _ = TABLES.try_with(|t| {
        // The outermost use finishes last and holds the fullest tables: it wins.
        if let Ok(mut t) = t.try_borrow_mut() {
            *t = Some(tables);
        }
    });
    r
}

/// Forget this thread's checkpoints (results never depend on them; tests use this to
/// compare a fresh computation with a cached one).
pub fn forget_checkpoints() {
    let _ = TABLES.try_with(|t| {
        if let Ok(mut t) = t.try_borrow_mut() {
            *t = None;
        }
    });
}

impl Tables {
    /// The timeline of a trigger, taken out of the table (put back by `Timeline::advance`).
    fn get(&mut self, trig: &Trigger) -> Timeline {
        self.clock += 1;
        let found = self
            .lines
            .iter()
            .position(|l| l.trigger.key == trig.key && l.trigger.kind == trig.kind);
        let mut tl = match found {
            Some(i) => self.lines.swap_remove(i),
            None => Timeline {
                trigger: Trigger {
                    kind: trig.kind.clone(),
                    key: trig.key,
                    input: trig.input,
                },
                marks: Vec::new(),
                used: 0,
                level: 0.0,
                seen: (0, 0),
                seen_origin: Time::ZERO,
            },
        };
        if let Some(cycle_beats) = trig.input {
            // Checkpoints from where the input changed since (or all, for another input)
            // no longer hold.
            let (now, changed, origin) = crate::control::changes_since(tl.seen);
            // Checkpoints are in the query's own time: another origin, another timeline.
            let changed = if origin == tl.seen_origin {
                changed
            } else {
                None
            };
            tl.seen_origin = origin;
            match changed {
                Some(None) => {}
                Some(Some(beat)) => tl.marks.retain(|m| m.t * cycle_beats + origin < beat),
                None => tl.marks.clear(),
            }
            tl.seen = now;
        }
        tl
    }

    fn put(&mut self, mut tl: Timeline) {
        tl.used = self.clock;
        if self.lines.len() >= MAX_TIMELINES {
            if let Some((i, _)) = self.lines.iter().enumerate().min_by_key(|(_, l)| l.used) {
                self.lines.swap_remove(i);
            }
        }
        self.lines.push(tl);
    }
}

fn start_mark(kind: &TriggerKind) -> Mark {
    Mark {
        t: Time::ZERO,
        count: 0,
        last: None,
        state: match kind {
            TriggerKind::Integrate(_) => State::Integ {
                k: 0,
                s: 0.0,
                crossings: 0,
            },
            TriggerKind::Chance { .. } | TriggerKind::Share { .. } | TriggerKind::Nth { .. } => {
                State::Derived { base: 0 }
            }
            _ => State::Plain,
        },
    }
}

impl Timeline {
    /// Count the instants in `(0, to]` and the last of them; instants in `(from, to]` are
    /// also collected when asked (at most `max`). Consumes the timeline and puts it back
    /// into `tables`.
    fn advance(
        mut self,
        trig: &Trigger,
        from: Time,
        to: Time,
        collect: &mut Option<(&mut Vec<Time>, usize)>,
        budget: &mut Budget,
        tables: &mut Tables,
    ) -> Result<(u64, Option<Time>), Overrun> {
        let r = self.advance_inner(trig, from, to, collect, budget, tables);
        tables.put(self);
        r
    }

    /// An integrator's state at the last grid point at or before `to`.
    fn level_at(
        mut self,
        trig: &Trigger,
        to: Time,
        budget: &mut Budget,
        tables: &mut Tables,
    ) -> Result<f64, Overrun> {
        let r = self.advance_inner(trig, to, to, &mut None, budget, tables);
        let level = self.level;
        tables.put(self);
        r.map(|_| level)
    }

    fn advance_inner(
        &mut self,
        trig: &Trigger,
        from: Time,
        to: Time,
        collect: &mut Option<(&mut Vec<Time>, usize)>,
        budget: &mut Budget,
        tables: &mut Tables,
    ) -> Result<(u64, Option<Time>), Overrun> {
        // Collecting starts at `from`: resume no later than that.
        let resume_at = if collect.is_some() { from.min(to) } else { to };
        let mut m = self
            .marks
            .iter()
            .rev()
            .find(|m| m.t <= resume_at)
            .copied()
            .unwrap_or_else(|| start_mark(&trig.kind));
        let keep = |t: Time, collect: &mut Option<(&mut Vec<Time>, usize)>| {
            if let Some((v, max)) = collect {
                if t > from && v.len() < *max {
                    v.push(t);
                }
            }
        };
        match &trig.kind {
            TriggerKind::Every { period, offset } => {
                if *period <= Time::ZERO {
                    return Ok((0, None));
                }
                // Instants offset + k·period, k ≥ 1, that are above 0.
                let first_k = if *offset >= Time::ZERO {
                    1
                } else {
                    ((-*offset) / *period).floor_int().saturating_add(1).max(1)
                };
                let k_to = ((to - *offset) / *period).floor_int();
                let count = (k_to - first_k + 1).max(0) as u64;
                let last = (count > 0).then(|| *offset + Time::int(k_to) * *period);
                if collect.is_some() {
                    let mut k = ((from - *offset) / *period)
                        .floor_int()
                        .saturating_add(1)
                        .max(first_k);
                    while k <= k_to {
                        budget.spend(1)?;
                        keep(*offset + Time::int(k) * *period, collect);
                        k = k.saturating_add(1);
                    }
                }
                return Ok((count, last));
            }
            TriggerKind::Input(input) => {
                // Read straight from the log: nothing to remember.
                let out = collect.as_mut().map(|(v, _)| &mut **v);
                let mut times = Vec::new();
                let (count, last) =
                    input.advance(from, to, out.is_some().then_some(&mut times), budget)?;
                for t in times {
                    keep(t, collect);
                }
                return Ok((count, last));
            }
            TriggerKind::Onsets(pat) => {
                let mut haps = crate::query::Scratch::take();
                let mut marks_added = 0;
                while m.t < to {
                    let stop = m.t.sam().next_sam().min(to);
                    budget.spend(1)?;
                    haps.clear();
                    pat.query(TimeSpan::new(m.t, stop), budget, &mut haps)?;
                    // Onsets exactly at `stop` belong to this step: the count is of (0, t].
                    pat.query(TimeSpan::new(stop, stop), budget, &mut haps)?;
                    let mut onsets: Vec<Time> = haps
                        .iter()
                        .filter(|h| h.has_onset())
                        .map(|h| h.onset())
                        .filter(|t| *t > m.t && *t <= stop)
                        .collect();
                    onsets.sort();
                    onsets.dedup();
                    for t in onsets {
                        m.count += 1;
                        m.last = Some(t);
                        keep(t, collect);
                    }
                    m.t = stop;
                    if stop == stop.sam() {
                        marks_added += 1;
                        if marks_added % 8 == 0 {
                            self.mark(m);
                        }
                    }
                }
            }
            TriggerKind::Integrate(ig) => {
                let State::Integ {
                    mut k,
                    mut s,
                    mut crossings,
                } = m.state
                else {
                    return Ok((0, None));
                };
                if ig.step <= Time::ZERO {
                    return Ok((0, None));
                }
                let mut haps = crate::query::Scratch::take();
                loop {
                    let t_next = Time::int(k.saturating_add(1) as i64) * ig.step;
                    if t_next > to {
                        break;
                    }
                    budget.spend(1)?;
                    let t_k = Time::int(k as i64) * ig.step;
                    haps.clear();
                    ig.signal
                        .query(TimeSpan::new(t_k, t_k), budget, &mut haps)?;
                    let x = haps.iter().find_map(|h| first_num(&h.value)).unwrap_or(0.0);
                    s += ig.dt * (ig.scale * x - ig.leak * s);
                    k += 1;
                    if s >= ig.threshold {
                        s = 0.0;
                        crossings += 1;
                        if ig.prob >= 1.0 || unit(mix(ig.seed, crossings)) < ig.prob {
                            m.count += 1;
                            m.last = Some(t_next);
                            keep(t_next, collect);
                        }
                    }
                    m.t = t_next;
                    m.state = State::Integ { k, s, crossings };
                    if k % MARK_EVERY == 0 {
                        self.mark(m);
                    }
                }
                self.level = s;
            }
            TriggerKind::Chance { of, .. }
            | TriggerKind::Share { of, .. }
            | TriggerKind::Nth { of, .. } => {
                let State::Derived { base } = m.state else {
                    return Ok((0, None));
                };
                if m.t < to {
                    let mut times = Vec::new();
                    let tl = tables.get(of);
                    let (base_to, _) = tl.advance(
                        of,
                        m.t,
                        to,
                        &mut Some((&mut times, usize::MAX)),
                        budget,
                        tables,
                    )?;
                    // Instants before the input's checkpoint are not listed: number the
                    // listed ones from the base count.
                    let mut ordinal = base.max(base_to.saturating_sub(times.len() as u64));
                    for t in times {
                        budget.spend(1)?;
                        ordinal += 1;
                        if takes(&trig.kind, ordinal) {
                            m.count += 1;
                            m.last = Some(t);
                            keep(t, collect);
                        }
                    }
                    m.state = State::Derived { base: base_to };
                    m.t = to;
                }
            }
        }
        self.mark(m);
        Ok((m.count, m.last))
    }

    /// Remember a checkpoint (sorted by time; thinned when full).
    fn mark(&mut self, m: Mark) {
        match self.marks.binary_search_by(|x| x.t.cmp(&m.t)) {
            Ok(_) => {}
            Err(pos) => {
                if self.marks.len() >= MAX_MARKS {
                    let mut i = 0;
                    self.marks.retain(|_| {
                        i += 1;
                        i % 2 == 0
                    });
                    let pos = self.marks.partition_point(|x| x.t < m.t);
                    self.marks.insert(pos, m);
                } else {
                    self.marks.insert(pos, m);
                }
            }
        }
    }
}

/// Whether a derived trigger keeps the base instant with this ordinal (1-based).
fn takes(kind: &TriggerKind, ordinal: u64) -> bool {
    match kind {
        TriggerKind::Chance { prob, seed, .. } => *prob >= 1.0 || unit(mix(*seed, ordinal)) < *prob,
        TriggerKind::Share {
            weights,
            which,
            seed,
            ..
        } => {
            let total: f64 = weights.iter().sum();
            if total <= 0.0 {
                return false;
            }
            let u = unit(mix(*seed, ordinal)) * total;
            let mut acc = 0.0;
            let mut chosen = weights.len().saturating_sub(1);
            for (i, w) in weights.iter().enumerate() {
                acc += w;
                if u < acc {
                    chosen = i;
                    break;
                }
            }
            chosen == *which
        }
        TriggerKind::Nth { n, first, .. } => *n > 0 && (ordinal - 1) % *n == *first,
        _ => true,
    }
}

fn first_num(v: &Value) -> Option<f64> {
    match v {
        Value::Chord(xs) => xs.first().and_then(first_num),
        _ => v.as_num(),
    }
}

/// A uniform number in [0, 1) from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// 64-bit mixing (splitmix64 finaliser) of two values.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a: stable across runs and platforms.
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}
