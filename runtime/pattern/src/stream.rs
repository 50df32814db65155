//! The index-domain IR: SuperCollider-style value streams (Pseq, Prand, Pwhite, …).
//!
//! A stream is a function of the event's ordinal `index` within its player (and of the
//! event's onset, for cycle patterns and signals embedded in it), never hidden mutable
//! state: that is what lets a player be started, sought or hot-swapped at any beat and land
//! in phase. Randomness is a pure hash of (seed, position), so the same seed gives the same
//! values whatever order they are asked in. Nested streams are *embedded* (played to
//! completion) as in SuperCollider; an item's length is the number of values it yields.

use std::sync::Arc;

use crate::pat::{ArpMode, BinOp, PatRef, UnOp};
use crate::time::Time;
use crate::value::Value;

/// A shared stream node.
pub type StreamRef = Arc<Stream>;

/// How many times a list pattern plays; `None` is forever (`inf`).
pub type Repeats = Option<u64>;

/// Where a stream is being evaluated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamCtx {
    /// The event's ordinal in its player (0 for the first event since beat 0).
    pub index: u64,
    /// The event's onset in cycles (for embedded cycle patterns and signals).
    pub cycle: Time,
}

/// The stream IR. `items` are embedded one after another; see the module docs.
#[derive(Clone, Debug, PartialEq)]
pub enum Stream {
    /// The same value for every event, forever.
    Const(Value),
    /// A cycle pattern sampled at the event's onset (all values whose whole contains the
    /// onset; several make a chord). Continuous signals are sampled the same way.
    Cycle(PatRef),
    /// `seq`/`Pseq(list, repeats, offset)`: `list.wrapAt(i + offset)` for each i, repeated.
    Seq {
        /// Items.
        items: Vec<StreamRef>,
        /// Repeats.
        repeats: Repeats,
        /// Start offset (wraps).
        offset: i64,
    },
    /// `rand`/`Prand(list, repeats)` and `choose`: a uniformly random item each time.
    Rand {
        /// Items.
        items: Vec<StreamRef>,
        /// Number of picks.
        repeats: Repeats,
        /// Seed.
        seed: u64,
    },
    /// `xrand`/`Pxrand`: random, never the same item twice in a row.
    XRand {
        /// Items.
        items: Vec<StreamRef>,
        /// Number of picks.
        repeats: Repeats,
        /// Seed.
        seed: u64,
    },
    /// `shuf`/`Pshuf`: one fixed random order, repeated.
    Shuf {
        /// Items.
        items: Vec<StreamRef>,
        /// Repeats.
        repeats: Repeats,
        /// Seed.
        seed: u64,
    },
    /// `wrand`/`Pwrand`: weighted random pick (weights normalised).
    WRand {
        /// Items.
        items: Vec<StreamRef>,
        /// Weights, one per item.
        weights: Vec<f64>,
        /// Number of picks.
        repeats: Repeats,
        /// Seed.
        seed: u64,
    },
    /// `white`/`Pwhite(lo, hi, length)`: uniform in `[lo, hi]`.
    White {
        /// Low bound.
        lo: StreamRef,
        /// High bound.
        hi: StreamRef,
        /// Number of values.
        length: Repeats,
        /// Seed.
        seed: u64,
    },
    /// `exprand`/`Pexprand(lo, hi, length)`: exponential distribution between lo and hi.
    ExpRand {
        /// Low bound (> 0).
        lo: StreamRef,
        /// High bound.
        hi: StreamRef,
        /// Number of values.
        length: Repeats,
        /// Seed.
        seed: u64,
    },
    /// `brown`/`Pbrown(lo, hi, step, length)`: a random walk folded into `[lo, hi]`.
    Brown {
        /// Low bound.
        lo: StreamRef,
        /// High bound.
        hi: StreamRef,
        /// Maximum step.
        step: StreamRef,
        /// Number of values.
        length: Repeats,
        /// Seed.
        seed: u64,
    },
    /// `series`/`Pseries(start, step, length)`: arithmetic series.
    Series {
        /// First value.
        start: StreamRef,
        /// Increment.
        step: StreamRef,
        /// Number of values.
        length: Repeats,
    },
    /// `geom`/`Pgeom(start, grow, length)`: geometric series.
    Geom {
        /// First value.
        start: StreamRef,
        /// Factor.
        grow: StreamRef,
        /// Number of values.
        length: Repeats,
    },
    /// `n`/`Pn(pattern, repeats)`: the embedded stream played `repeats` times.
    Repeat {
        /// What to repeat.
        stream: StreamRef,
        /// Repeats.
        repeats: Repeats,
    },
    /// Values stacked into a chord (one event per note). Each part advances per event.
    Chord(Vec<StreamRef>),
    /// Binary operation, element-wise; ends when either side ends.
    Bin {
        /// Operator.
        op: BinOp,
        /// Left.
        left: StreamRef,
        /// Right.
        right: StreamRef,
    },
    /// Unary operation.
    Un {
        /// Operator.
        op: UnOp,
        /// Operand.
        stream: StreamRef,
    },
    /// An arpeggiator over a chord stream (`held().arp(updown)`): value `i` is note
    /// `i mod k` of the arpeggio order of the chord at value `i` (k: the order's length),
    /// so each event plays the next note of whatever chord is there. A rest stays a rest.
    Arp {
        /// Order.
        mode: ArpMode,
        /// The chords.
        stream: StreamRef,
    },
}

impl Stream {
    /// Share this node.
    pub fn rc(self) -> StreamRef {
        Arc::new(self)
    }

    /// A constant number.
    pub fn num(x: f64) -> StreamRef {
        Arc::new(Stream::Const(Value::Num(x)))
    }
}
