//! patter's pure program model.
//!
//! Contract: everything here is a pure function of its inputs. No I/O, no threads, no
//! clocks; the only state outside the values passed in is a few small, bounded per-thread
//! memo tables (recent float-to-time conversions, Euclidean step lists, spare hap lists)
//! that speed queries up and never change a result. Time is exact ([`Time`], rational); the same program and seed
//! always give the same events. A compiled [`Program`] answers `query(window)` with
//! [`Event`]s, and query additivity holds for every pattern:
//! `query(a..c) == query(a..b) ++ query(b..c)` — each onset is reported exactly once however
//! the timeline is tiled. Work per query is bounded by a [`Budget`]; a runaway pattern gets
//! [`Overrun`], never a hang or unbounded memory.
//!
//! Two pattern domains meet here:
//! - [`Pat`]: Tidal's cycle-domain algebra (mini-notation strings, `fast`, `every`, …);
//! - [`Stream`]: SuperCollider's index-domain value streams (`Pseq`, `Prand`, …),
//!
//! and [`Bind`] (a Pbind) turns keys bound to them into events with SuperCollider's default
//! Event pitch and duration model ([`pitch`]).

#![warn(missing_docs)]

mod arrange;
pub mod build;
pub mod control;
mod euclid;
mod feel;
mod key;
mod params;
mod pat;
mod period;
pub mod pitch;
mod player;
mod program;
mod query;
pub mod rand;
pub mod scale;
mod signal;
mod stream;
mod stream_eval;
mod time;
pub mod trigger;
mod value;

pub use arrange::{Activity, Arrangement, Cue, Scene, Section};
pub use euclid::{bjorklund, MAX_STEPS};
pub use feel::{Feel, Groove, Humanize};
pub use key::Key;
pub use params::{Pairs, Params};
pub use pat::{ArpMode, BinOp, CycleCond, Hap, Pat, PatRef, SignalKind, UnOp};
pub use player::QueryCache;
pub use program::{Bind, Event, EventPat, Player, Program};
pub use query::{Budget, Overrun};
pub use stream::{Repeats, Stream, StreamCtx, StreamRef};
pub use stream_eval::{apply_bin, apply_un, StreamMemo};
pub use time::{Time, TimeSpan};
pub use value::{fmt_num, note_name, Value};
