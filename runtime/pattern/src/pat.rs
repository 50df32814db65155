//! The cycle-domain pattern IR: Tidal's pattern algebra as data.
//!
//! A [`Pat`] is a tree (a DAG: children are shared `Arc`s, so `every 2 (fast 2)` over a big
//! pattern does not copy it) whose meaning is a function from a query span (in cycles) to
//! the events ([`Hap`]s) active in it. There are no closures: higher-order transforms
//! (`every`, `sometimesBy`, `off`, `chunk`, …) are expanded by the language's evaluator into
//! these primitives with both branches precomputed, which keeps programs comparable
//! (`PartialEq`), printable (`:show ir`) and sendable between threads.
//!
//! Semantics follow Tidal exactly where Tidal defines them (see `shared/reference/
//! mini-notation.md`). Parameters that Tidal allows to be patterns (`fast "<1 2>"`) are
//! patterns here too and are applied with Tidal's `tParam` (inner join: the factor's event
//! active at each point decides).

use std::sync::Arc;

use crate::time::{Time, TimeSpan};
use crate::trigger::TrigPat;
use crate::value::Value;

/// A shared pattern node.
pub type PatRef = Arc<Pat>;

/// One event of a cycle-domain pattern (Tidal's `Hap`).
#[derive(Clone, Debug, PartialEq)]
pub struct Hap {
    /// The event's logical extent; `None` for samples of continuous signals.
    pub whole: Option<TimeSpan>,
    /// The fragment of `whole` inside the query span.
    pub part: TimeSpan,
    /// The value.
    pub value: Value,
    /// Multiplier for the event's amplitude, set by `echo`/`stut` (1 otherwise).
    pub gain: f64,
}

impl Hap {
    /// True when this fragment contains the event's start (only onsets are played).
    pub fn has_onset(&self) -> bool {
        match self.whole {
            Some(w) => w.begin == self.part.begin,
            None => false,
        }
    }

    /// The event's start: whole begin, or part begin for continuous values.
    pub fn onset(&self) -> Time {
        match self.whole {
            Some(w) => w.begin,
            None => self.part.begin,
        }
    }
}

/// Binary operators between patterns (structure comes from the left operand, like Tidal's
/// `|+` family and Strudel's `.add`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (division by zero gives a rest)
    Div,
    /// `%` (floored modulo, as SuperCollider's `%`)
    Mod,
    /// `**`
    Pow,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `&&`
    And,
    /// `||`
    Or,
    /// Keep the left value (Tidal `|<`): structure and value from the left.
    Left,
    /// Take the right value (Tidal `|>`): structure from the left, value from the right.
    Right,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// Negation.
    Neg,
    /// Logical not.
    Not,
    /// `1 / x` (zero gives a rest): patterned divisors, `slow "<2 4>"`.
    Recip,
}

/// Periodic and random continuous signals. All are functions of time in cycles; a period
/// given in beats is converted by the evaluator using the program's cycle length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignalKind {
    /// `(sin(2πt) + 1) / 2`, range 0..1.
    Sine,
    /// Sine shifted by a quarter period.
    Cosine,
    /// Triangle 0 → 1 → 0.
    Tri,
    /// Ramp 0 → 1.
    Saw,
    /// Ramp 1 → 0.
    ISaw,
    /// 0 for the first half of the period, 1 for the second.
    Square,
    /// Tidal's `rand`: a deterministic function of time (xorshift over time).
    Rand,
    /// Tidal's `perlin`: smooth noise with one random value per cycle.
    Perlin,
}

/// Arpeggio orders for [`Pat::Arp`] (Tidal's `arp` modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArpMode {
    /// As given (lowest first when built from a chord).
    Up,
    /// Reversed.
    Down,
    /// Up then down without repeating the ends (`updown`).
    UpDown,
    /// Down then up without repeating the ends (`downup`).
    DownUp,
    /// Outside in (`converge`).
    Converge,
    /// Inside out (`diverge`).
    Diverge,
    /// Random order per chord instance (seeded by time).
    Random,
}

/// When a [`Pat::WhenCycle`] applies its `then` branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CycleCond {
    /// `every n` with offset: `cycle mod n == offset` (Tidal `every'`). n ≤ 0 never applies.
    Every {
        /// Period in cycles.
        n: i64,
        /// Which cycle of the period.
        offset: i64,
    },
    /// `whenmod a b`: `cycle mod a >= b`.
    WhenMod {
        /// Period.
        a: i64,
        /// Threshold.
        b: i64,
    },
}

/// The pattern IR. See the module docs for the semantics of each node.
#[derive(Clone, Debug, PartialEq)]
pub enum Pat {
    /// No events.
    Silence,
    /// The value once per cycle: whole `[c, c+1)` for each cycle c the query touches.
    Pure(Value),
    /// A continuous signal scaled to `[lo, hi)`: one hap without `whole` per query span,
    /// valued at the span's start (Tidal signals). `seed` offsets random signals in time
    /// (`rotL (0.0001·seed)`, as Tidal's per-operator seeds).
    Signal {
        /// Shape.
        kind: SignalKind,
        /// Seed offset for `Rand`/`Perlin`.
        seed: u32,
    },
    /// All patterns at once.
    Stack(Vec<PatRef>),
    /// Weighted sequence within one cycle (Tidal `timeCat`): step i takes
    /// `[Σw_<i / W, Σw_≤i / W)` of each cycle and plays that cycle of its pattern squeezed
    /// there (`compressArc` / `_fastGap`). `fastcat` and every mini-notation sequence.
    TimeCat(Vec<(Time, PatRef)>),
    /// One pattern per cycle in turn (Tidal `cat`/`slowcat`): pattern i's k-th cycle plays in
    /// cycle `n·k + i`.
    SlowCat(Vec<PatRef>),
    /// Speed up by a patterned factor (`tParam _fast`). Factor 0 is silence; negative
    /// factors reverse.
    Fast {
        /// Factor pattern.
        factor: PatRef,
        /// The pattern.
        pat: PatRef,
    },
    /// Shift earlier in time by a patterned amount in cycles (Tidal `<~`; negative = later).
    Early {
        /// Amount in cycles.
        amount: PatRef,
        /// The pattern.
        pat: PatRef,
    },
    /// Reverse each cycle.
    Rev(PatRef),
    /// Euclidean rhythm with patterned arguments: the whole pattern is squeezed into each
    /// pulse (Tidal `_euclid`, rotation turning left). With `bool_gaps`, gaps give `false`
    /// events (Tidal's Bool euclid); otherwise gaps are silent. Negative k inverts.
    Euclid {
        /// Pulses.
        k: PatRef,
        /// Steps.
        n: PatRef,
        /// Rotation (left).
        rot: PatRef,
        /// The pattern.
        pat: PatRef,
        /// Emit `false` events in the gaps.
        bool_gaps: bool,
    },
    /// Remove events at random: keep iff `rand(whole.begin + 0.0001·seed) >= amount`
    /// (Tidal `_degradeByUsing`), or the complement when `invert` (`unDegradeBy`, used by
    /// `sometimesBy` so both halves partition the events). Amount is patterned.
    Degrade {
        /// Probability of removal.
        amount: PatRef,
        /// Seed index.
        seed: u32,
        /// Keep the complement.
        invert: bool,
        /// The pattern.
        pat: PatRef,
    },
    /// Random choice per cycle among patterns (mini-notation `|`, Tidal `randcat`-like
    /// `chooseBy`): index `floor(rand(cycle + 0.0001·seed) · n)`.
    RandChoice {
        /// Seed index.
        seed: u32,
        /// The options.
        options: Vec<PatRef>,
    },
    /// Inclusive numeric range in one step (mini-notation `a .. b`), patterned ends:
    /// for each pair of values, `fastcat` of the integers from one to the other.
    Range {
        /// From.
        from: PatRef,
        /// To.
        to: PatRef,
    },
    /// Apply `then` in cycles matching `cond`, `otherwise` elsewhere (`every`, `whenmod`).
    WhenCycle {
        /// Which cycles.
        cond: CycleCond,
        /// Pattern in matching cycles.
        then: PatRef,
        /// Pattern elsewhere.
        otherwise: PatRef,
    },
    /// Keep only events whose onset's position in the cycle lies in `[begin, end)`
    /// (or outside it when `invert`): the building block of `within`/`chunk`.
    OnsetWithin {
        /// Start position in the cycle.
        begin: Time,
        /// End position in the cycle.
        end: Time,
        /// Keep events outside instead.
        invert: bool,
        /// The pattern.
        pat: PatRef,
    },
    /// Repeat each event `factor` times within its own span (Tidal `ply`, squeeze join).
    Ply {
        /// Patterned repeat count.
        factor: PatRef,
        /// The pattern.
        pat: PatRef,
    },
    /// Combine two patterns: structure from `left`, each left event combined with the right
    /// values active at its onset (Tidal's appLeft, `|+` etc.).
    App {
        /// Operator.
        op: BinOp,
        /// Structure side.
        left: PatRef,
        /// Value side.
        right: PatRef,
    },
    /// Apply a unary operator to every value.
    Map {
        /// Operator.
        op: UnOp,
        /// The pattern.
        pat: PatRef,
    },
    /// Structure from a boolean pattern, values from `pat` (Tidal `struct`): each true event
    /// of `mask` becomes an event with the value of `pat` at its onset.
    Struct {
        /// Boolean structure.
        mask: PatRef,
        /// Values.
        pat: PatRef,
    },
    /// Keep the parts of `pat` where `mask` is true (Tidal `mask`): events are cut to the
    /// true fragments.
    Mask {
        /// Boolean mask.
        mask: PatRef,
        /// The pattern.
        pat: PatRef,
    },
    /// Arpeggiate: events sharing the same whole (a chord) are spread over that whole in
    /// the given order (Tidal `arp`).
    Arp {
        /// Order.
        mode: ArpMode,
        /// The pattern.
        pat: PatRef,
    },
    /// Multiply the gain of every event (used by `echo`/`stut`).
    Gain {
        /// Factor.
        factor: f64,
        /// The pattern.
        pat: PatRef,
    },
    /// Values switched by triggers (`step`, player start/stop): see [`crate::trigger`].
    Trig(Arc<TrigPat>),
}

impl Pat {
    /// Share this node.
    pub fn rc(self) -> PatRef {
        Arc::new(self)
    }

    /// `Pure(Num(x))`.
    pub fn num(x: f64) -> PatRef {
        Arc::new(Pat::Pure(Value::Num(x)))
    }

    /// Count of nodes in the tree, counting shared nodes once per reference (an upper
    /// bound on the work one query step does; used for budgets and `:show ir`).
    pub fn size(&self) -> usize {
        let mut n = 1usize;
        self.for_each_child(|c| n = n.saturating_add(c.size()));
        n
    }

    /// Call `f` on each direct child.
    pub fn for_each_child(&self, mut f: impl FnMut(&PatRef)) {
        match self {
            Pat::Silence | Pat::Pure(_) | Pat::Signal { .. } => {}
            Pat::Stack(ps) | Pat::SlowCat(ps) => ps.iter().for_each(f),
            Pat::RandChoice { options, .. } => options.iter().for_each(f),
            Pat::TimeCat(ps) => ps.iter().for_each(|(_, p)| f(p)),
            Pat::Fast { factor: a, pat: b }
            | Pat::Early { amount: a, pat: b }
            | Pat::Ply { factor: a, pat: b }
            | Pat::Struct { mask: a, pat: b }
            | Pat::Mask { mask: a, pat: b }
            | Pat::Range { from: a, to: b }
            | Pat::App {
                left: a, right: b, ..
            } => {
                f(a);
                f(b);
            }
            Pat::WhenCycle {
                then, otherwise, ..
            } => {
                f(then);
                f(otherwise);
            }
            Pat::Degrade { amount, pat, .. } => {
                f(amount);
                f(pat);
            }
            Pat::Euclid { k, n, rot, pat, .. } => {
                f(k);
                f(n);
                f(rot);
                f(pat);
            }
            Pat::Rev(p)
            | Pat::OnsetWithin { pat: p, .. }
            | Pat::Map { pat: p, .. }
            | Pat::Arp { pat: p, .. }
            | Pat::Gain { pat: p, .. } => f(p),
            Pat::Trig(t) => t.items().iter().for_each(f),
        }
    }

    /// Replace each direct child by `f` of it (in the order of [`Pat::for_each_child`]).
    pub fn map_children(&mut self, mut f: impl FnMut(&PatRef) -> PatRef) {
        match self {
            Pat::Silence | Pat::Pure(_) | Pat::Signal { .. } => {}
            Pat::Stack(ps) | Pat::SlowCat(ps) => ps.iter_mut().for_each(|c| *c = f(c)),
            Pat::RandChoice { options, .. } => options.iter_mut().for_each(|c| *c = f(c)),
            Pat::TimeCat(ps) => ps.iter_mut().for_each(|(_, c)| *c = f(c)),
            Pat::Fast { factor: a, pat: b }
            | Pat::Early { amount: a, pat: b }
            | Pat::Ply { factor: a, pat: b }
            | Pat::Struct { mask: a, pat: b }
            | Pat::Mask { mask: a, pat: b }
            | Pat::Range { from: a, to: b }
            | Pat::App {
                left: a, right: b, ..
            }
            | Pat::Degrade {
                amount: a, pat: b, ..
            } => {
                *a = f(a);
                *b = f(b);
            }
            Pat::WhenCycle {
                then, otherwise, ..
            } => {
                *then = f(then);
                *otherwise = f(otherwise);
            }
            Pat::Euclid { k, n, rot, pat, .. } => {
                *k = f(k);
                *n = f(n);
                *rot = f(rot);
                *pat = f(pat);
            }
            Pat::Rev(c)
            | Pat::OnsetWithin { pat: c, .. }
            | Pat::Map { pat: c, .. }
            | Pat::Arp { pat: c, .. }
            | Pat::Gain { pat: c, .. } => *c = f(c),
            Pat::Trig(t) => {
                if let TrigPat::Step {
                    listen,
                    items,
                    hold,
                } = &**t
                {
                    *t = Arc::new(TrigPat::Step {
                        listen: listen.clone(),
                        items: items.iter().map(f).collect(),
                        hold: *hold,
                    });
                }
            }
        }
    }
}
