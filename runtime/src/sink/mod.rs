//! Sinks: where scheduled events go.
//!
//! The scheduler thread hands each event to every sink with its times already computed
//! ([`EventTimes`]). A sink turns it into its own messages and queues them for its own
//! real-time side (a dispatch thread, a JACK process callback); that side never allocates,
//! locks or blocks. A sink that fails is counted and reported, never fatal.

#[cfg(feature = "audio")]
pub mod audio;
pub mod collect;
pub mod dispatch;
pub mod frame_clock;
#[cfg(feature = "jack")]
pub mod jack_midi;
pub mod midi;
pub mod midi_queue;
#[cfg(feature = "osc")]
pub mod osc;
mod recent_notes;
pub mod smf;

use std::sync::atomic::{AtomicU64, Ordering};

use patter_pattern::{Event, Time};

use crate::clock::TempoClock;

/// Clock ticks (MIDI 0xF8) in `[from, to)` beats at 24 per beat, as engine seconds.
pub fn clock_ticks(from: Time, to: Time, clock: &TempoClock, mut f: impl FnMut(f64)) {
    let per_beat = Time::int(24);
    let mut k = (from * per_beat).ceil_int();
    loop {
        let beat = Time::new(k, 24);
        if beat >= to {
            break;
        }
        f(clock.seconds_at(beat));
        k += 1;
    }
}

/// When an event happens, on the engine's timeline (seconds since the engine started).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EventTimes {
    /// Onset in seconds (before the sink's own latency is added).
    pub onset: f64,
    /// End of the sounding part (onset + sustain) in seconds.
    pub release: f64,
}

impl EventTimes {
    /// Times of an event under a clock, with `offset` seconds mapping clock seconds to
    /// engine seconds.
    pub fn of(event: &Event, clock: &TempoClock, offset: f64) -> EventTimes {
        let onset = clock.seconds_at(event.beat) + offset;
        let release_beat = event.beat + Time::from_f64(event.sustain.max(0.0));
        EventTimes {
            onset,
            release: clock.seconds_at(release_beat) + offset,
        }
    }
}

/// Counters every sink keeps (readable from any thread).
#[derive(Debug, Default)]
pub struct SinkCounters {
    /// Messages sent.
    pub sent: AtomicU64,
    /// Messages sent after their deadline.
    pub late: AtomicU64,
    /// Sum of lateness in microseconds (for the mean).
    pub late_us_total: AtomicU64,
    /// Worst lateness in microseconds.
    pub late_us_max: AtomicU64,
    /// Messages dropped (queue full, or too late to be useful).
    pub dropped: AtomicU64,
    /// Send errors from the device.
    pub errors: AtomicU64,
}

impl SinkCounters {
    /// Record a message sent `late_us` microseconds after its deadline (0 when on time).
    pub fn record_sent(&self, late_us: u64, late_threshold_us: u64) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        if late_us > late_threshold_us {
            self.late.fetch_add(1, Ordering::Relaxed);
            self.late_us_total.fetch_add(late_us, Ordering::Relaxed);
            self.late_us_max.fetch_max(late_us, Ordering::Relaxed);
        }
    }

    /// A snapshot.
    pub fn snapshot(&self, name: &str, queue_depth: usize) -> SinkMetrics {
        SinkMetrics {
            name: name.to_string(),
            sent: self.sent.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
            late_us_max: self.late_us_max.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            queue_depth,
            connected: true,
            server: None,
            clock_corrections: 0,
            resent: 0,
        }
    }
}

/// What a sound server reports about itself (SuperCollider's `/status.reply`), for sinks
/// that drive one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServerLoad {
    /// Average CPU load, percent.
    pub avg_cpu: f32,
    /// Peak CPU load, percent.
    pub peak_cpu: f32,
    /// Synths running.
    pub synths: u32,
    /// Groups (the root group included).
    pub groups: u32,
    /// Unit generators running.
    pub ugens: u32,
    /// Definitions loaded.
    pub synthdefs: u32,
}

/// A sink's metrics at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct SinkMetrics {
    /// Sink name.
    pub name: String,
    /// Messages sent.
    pub sent: u64,
    /// Messages sent late.
    pub late: u64,
    /// Worst lateness (µs).
    pub late_us_max: u64,
    /// Messages dropped.
    pub dropped: u64,
    /// Device errors.
    pub errors: u64,
    /// Messages waiting.
    pub queue_depth: usize,
    /// False while the device or server is gone (the sink retries).
    pub connected: bool,
    /// The server's own last report, for sinks that drive a sound server.
    pub server: Option<ServerLoad>,
    /// Times the sink moved its mapping from engine time to device frames to follow the
    /// device's clock (the built-in synth; 0 elsewhere).
    pub clock_corrections: u64,
    /// Note-offs sent again after the server dropped a cycle that may have carried them
    /// (JACK MIDI; 0 elsewhere).
    pub resent: u64,
}

/// Something that receives scheduled events.
pub trait Sink: Send {
    /// Name for metrics and messages (`midi:PORT`, `smf:FILE`).
    fn name(&self) -> &str;

    /// Seconds added to every onset (the device's latency compensation).
    fn latency(&self) -> f64 {
        0.0
    }

    /// Queue one event (called on the scheduler thread, ahead of time).
    fn schedule(&mut self, event: &Event, times: EventTimes);

    /// Release every sounding note now and drop what is queued (stop, pause, panic, exit).
    fn release_all(&mut self);

    /// Send "all notes off" on every channel (the `panic` command).
    fn panic(&mut self) {
        self.release_all();
    }

    /// Transport started, continued or stopped (for MIDI clock). `beat` is the position.
    fn transport(&mut self, _running: bool, _beat: Time) {}

    /// The scheduler covered `[from, to)` beats (called once per window, after its events):
    /// MIDI sinks send clock ticks for it when clock output is on.
    fn window(&mut self, _from: Time, _to: Time, _clock: &TempoClock) {}

    /// Send a message outside the schedule, now (a control change pushed by a script).
    fn send_now(&mut self, _msg: crate::midi::MidiMsg) {}

    /// Sample rate and buffer size, for sinks that run on an audio clock (JACK).
    fn audio_format(&self) -> Option<(u32, u32)> {
        None
    }

    /// Counters.
    fn metrics(&self) -> SinkMetrics;

    /// Finish (flush files, join threads). Called once when the sink is removed or the
    /// engine stops.
    fn close(&mut self) {}
}
