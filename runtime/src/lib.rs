//! patter's real-time engine.
//!
//! Contract: plays compiled [`patter_pattern::Program`]s against a [`TempoClock`]. The
//! clock maps exact beats to seconds with no drift; everything that turns events into
//! messages works from exact beats ([`midi`], [`smf`]), so what is recorded live and what
//! is rendered offline are the same, message for message.

#![warn(missing_docs)]

pub mod clock;
pub mod engine;
pub mod input;
pub mod library;
pub mod metrics;
pub mod midi;
pub mod midi_in;
pub mod priority;
pub mod render;
pub mod scheduler;
pub mod sink;
pub mod smf;

pub use clock::{TapTempo, TempoClock};
pub use engine::{Command, Engine, EngineConfig, TransportState};
pub use scheduler::{LoadMode, Notice, Phase, Quant, Scheduled, SchedulerCore};
