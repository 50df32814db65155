//! The scheduler-side half shared by the MIDI sinks: each event becomes MIDI messages with
//! deadlines (engine nanoseconds), pushed into the bounded lock-free queue that the sink's
//! real-time side (a dispatch thread or a JACK process callback) reads. A full queue drops
//! the message and counts it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;
use patter_pattern::{Event, Time};

use super::dispatch::{Control, Deadline};
use super::{EventTimes, SinkCounters, SinkMetrics};
use crate::clock::TempoClock;
use crate::midi::{event_messages, transport_messages, MidiMsg, TimedMsg};

/// Messages that may wait between the scheduler and the real-time side.
pub const QUEUE: usize = 8192;

/// Queues shared with the real-time side, and the scheduler side's settings.
pub struct MidiQueue {
    /// Timed messages for the real-time side.
    pub queue: Arc<ArrayQueue<Deadline>>,
    /// Out-of-band requests (release all, panic, send now).
    pub control: Arc<ArrayQueue<Control>>,
    /// Counters shared with the real-time side.
    pub counters: Arc<SinkCounters>,
    latency: f64,
    clock_out: bool,
    scratch: Vec<TimedMsg>,
    seq: u64,
}

impl MidiQueue {
    /// Empty queues.
    pub fn new() -> MidiQueue {
        MidiQueue {
            queue: Arc::new(ArrayQueue::new(QUEUE)),
            control: Arc::new(ArrayQueue::new(64)),
            counters: Arc::new(SinkCounters::default()),
            latency: 0.0,
            clock_out: false,
            scratch: Vec::with_capacity(16),
            seq: 0,
        }
    }

    /// Seconds added to every deadline (the device's latency compensation).
    pub fn set_latency(&mut self, seconds: f64) {
        self.latency = seconds.clamp(-1.0, 10.0);
    }

    /// The latency compensation.
    pub fn latency(&self) -> f64 {
        self.latency
    }

    /// Send MIDI clock (24 per beat, start/stop/continue, song position).
    pub fn set_clock_out(&mut self, on: bool) {
        self.clock_out = on;
    }

    fn push(&mut self, at: f64, msg: MidiMsg) {
        self.seq += 1;
        let d = Deadline {
            at_ns: (at.max(0.0) * 1e9) as u64,
            seq: self.seq,
            msg,
        };
        if self.queue.push(d).is_err() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn request(&self, c: Control) {
        if self.control.push(c).is_err() {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Queue an event's messages: the note-off at the release time, the rest at the onset.
    pub fn schedule(&mut self, event: &Event, times: EventTimes) {
        let mut msgs = std::mem::take(&mut self.scratch);
        msgs.clear();
        event_messages(event, &mut msgs);
        for m in &msgs {
            let at = if m.msg.is_note_off() && m.beat > event.beat {
                times.release
            } else {
                times.onset
            };
            self.push(at + self.latency, m.msg);
        }
        self.scratch = msgs;
    }

    /// Clock ticks for `[from, to)` when clock output is on.
    pub fn window(&mut self, from: Time, to: Time, clock: &TempoClock) {
        if self.clock_out {
            let latency = self.latency;
            super::clock_ticks(from, to, clock, |sec| {
                self.push(sec + latency, MidiMsg::CLOCK)
            });
        }
    }

    /// Start/continue/stop (with song position) when clock output is on.
    pub fn transport(&self, running: bool, beat: Time) {
        if self.clock_out {
            for msg in transport_messages(running, beat) {
                self.request(Control::Now(msg));
            }
        }
    }

    /// Release every sounding note and drop what is queued.
    pub fn release_all(&self) {
        self.request(Control::ReleaseAll);
    }

    /// Release everything, then all-notes-off on every channel.
    pub fn panic(&self) {
        self.request(Control::Panic);
    }

    /// Send a message now.
    pub fn send_now(&self, msg: MidiMsg) {
        self.request(Control::Now(msg));
    }

    /// Counters, with the queue depth.
    pub fn metrics(&self, name: &str, connected: bool) -> SinkMetrics {
        let mut m = self.counters.snapshot(name, self.queue.len());
        m.connected = connected;
        m
    }
}

impl Default for MidiQueue {
    fn default() -> Self {
        MidiQueue::new()
    }
}
