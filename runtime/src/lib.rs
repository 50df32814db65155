//! patter's real-time engine.
//!
//! Contract: plays compiled [`patter_pattern::Program`]s against a [`TempoClock`]. The
//! clock maps exact beats to seconds with no drift; everything that turns events into
//! messages works from exact beats, so what is recorded live and what is rendered offline
//! are the same event for event.

#![warn(missing_docs)]

pub mod clock;

pub use clock::{TapTempo, TempoClock};
