//! patter's SuperCollider side: SynthDefs written from Rust in the SCgf format (no sclang
//! needed), a sink that plays events on a running or booted `scsynth` or `supernova`, and
//! NRT scores that `scsynth -N` renders offline.
//!
//! Real-time contract: [`ScSink::schedule`](sink::ScSink) runs on the engine's scheduler
//! thread; it encodes each event into a reused buffer and sends one UDP datagram on a
//! non-blocking socket, so it never blocks; a failed send is counted, never fatal. Health
//! checks, replies and re-creating state after a server restart happen on the sink's own
//! thread.

#![warn(missing_docs)]

pub mod library;
pub mod synthdef;

pub use synthdef::{GraphBuilder, SynthDef};
pub mod osc;
pub mod score;
pub mod server;
pub mod sink;

pub use server::{BootOptions, ScServer, ServerKind};
pub use sink::{ScConfig, ScHandle, ScSink, ServerStatus};
