//! A JACK MIDI sink with its own JACK client: every message is written at its exact frame
//! inside the process cycle (midir's JACK backend writes everything at frame 0 of the next
//! cycle, about 5 ms of jitter at 256 frames; this sink is within one frame).
//!
//! The process callback runs the same [`Dispatcher`] as the midir sink (no allocation,
//! lock or blocking) with a port that turns each deadline into a frame offset. Engine time
//! and JACK time are mapped once at start-up (both are the monotonic clock, a constant
//! offset apart).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crossbeam_queue::ArrayQueue;
use patter_pattern::{Event, Time};

use super::dispatch::{Control, Deadline, Dispatcher, MidiPort};
use super::{EventTimes, Sink, SinkCounters, SinkMetrics};
use crate::midi::{event_messages, MidiMsg, TimedMsg};

const QUEUE: usize = 8192;
/// Messages one cycle can carry (more are held for the next cycle).
const PER_CYCLE: usize = 1024;

/// Collects (frame, message) pairs for one cycle, in preallocated memory.
struct FramePort {
    cycle_start_ns: u64,
    ns_per_frame: f64,
    n_frames: u32,
    pending: Vec<(u32, MidiMsg)>,
}

impl MidiPort for FramePort {
    fn send(&mut self, msg: &MidiMsg, at_ns: u64) -> bool {
        if self.pending.len() >= self.pending.capacity() {
            return false;
        }
        let offset = at_ns.saturating_sub(self.cycle_start_ns) as f64 / self.ns_per_frame;
        let mut frame = (offset.round() as u32).min(self.n_frames.saturating_sub(1));
        // JACK needs frames in non-decreasing order within a cycle.
        if let Some((last, _)) = self.pending.last() {
            frame = frame.max(*last);
        }
        self.pending.push((frame, *msg));
        true
    }
}

struct Process {
    out: jack::Port<jack::MidiOut>,
    dispatcher: Dispatcher<FramePort>,
    /// JACK microseconds minus engine microseconds.
    offset_us: i64,
}

impl jack::ProcessHandler for Process {
    fn process(&mut self, _client: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let Ok(times) = ps.cycle_times() else {
            return jack::Control::Continue;
        };
        let to_engine_ns =
            |jack_us: u64| ((jack_us as i64 - self.offset_us).max(0) as u64).saturating_mul(1000);
        let start = to_engine_ns(times.current_usecs);
        let end = to_engine_ns(times.next_usecs);
        let n = ps.n_frames();
        {
            // The port is the dispatcher's; set it up for this cycle.
            let port = self.dispatcher.port_mut();
            port.cycle_start_ns = start;
            port.n_frames = n;
            port.ns_per_frame = if n > 0 {
                (end.saturating_sub(start)) as f64 / n as f64
            } else {
                1.0
            };
            port.pending.clear();
        }
        self.dispatcher.run_until(start, end.saturating_sub(1));
        let mut writer = self.out.writer(ps);
        for (frame, msg) in &self.dispatcher.port().pending {
            let _ = writer.write(&jack::RawMidi {
                time: *frame,
                bytes: msg.as_slice(),
            });
        }
        jack::Control::Continue
    }
}

/// The JACK MIDI sink.
pub struct JackMidiSink {
    name: String,
    latency: f64,
    queue: Arc<ArrayQueue<Deadline>>,
    control: Arc<ArrayQueue<Control>>,
    counters: Arc<SinkCounters>,
    client: Option<jack::AsyncClient<(), Process>>,
    scratch: Vec<TimedMsg>,
    seq: u64,
    sample_rate: u32,
    buffer_size: u32,
    clock_out: bool,
}

impl JackMidiSink {
    /// Open a JACK client `client_name` with an output port `port_name` (default
    /// `patter:midi_out`); `origin` is the engine's time origin.
    pub fn start(
        client_name: &str,
        port_name: &str,
        origin: Instant,
    ) -> Result<JackMidiSink, String> {
        let (client, _status) = jack::Client::new(client_name, jack::ClientOptions::NO_START_SERVER)
            .map_err(|e| format!("cannot connect to a JACK server ({e}); start one with `jackd -d dummy -r 48000 -p 256` or `jackd -d alsa`"))?;
        let out = client
            .register_port(port_name, jack::MidiOut::default())
            .map_err(|e| format!("cannot create JACK port `{port_name}`: {e}"))?;
        // Map the clocks: JACK's microsecond clock against the engine's origin.
        let engine_us = origin.elapsed().as_micros() as i64;
        let jack_us = client.time() as i64;
        let offset_us = jack_us - engine_us;
        let sample_rate = client.sample_rate();
        let buffer_size = client.buffer_size();
        let queue = Arc::new(ArrayQueue::new(QUEUE));
        let control = Arc::new(ArrayQueue::new(64));
        let counters = Arc::new(SinkCounters::default());
        let port = FramePort {
            cycle_start_ns: 0,
            ns_per_frame: 1e9 / sample_rate.max(1) as f64,
            n_frames: buffer_size,
            pending: Vec::with_capacity(PER_CYCLE),
        };
        let dispatcher = Dispatcher::new(
            port,
            queue.clone(),
            control.clone(),
            QUEUE,
            counters.clone(),
        );
        let process = Process {
            out,
            dispatcher,
            offset_us,
        };
        let client = client
            .activate_async((), process)
            .map_err(|e| format!("cannot start the JACK client: {e}"))?;
        Ok(JackMidiSink {
            name: format!("jack-midi:{client_name}:{port_name}"),
            latency: 0.0,
            queue,
            control,
            counters,
            client: Some(client),
            scratch: Vec::with_capacity(16),
            seq: 0,
            sample_rate,
            buffer_size,
            clock_out: false,
        })
    }

    /// The full port name (`client:port`), for connecting.
    pub fn port_name(&self) -> Option<String> {
        let c = self.client.as_ref()?;
        let name = c.as_client().name().to_string();
        Some(format!(
            "{name}:{}",
            self.name.rsplit(':').next().unwrap_or("midi_out")
        ))
    }

    /// Connect our output to another port (e.g. `midi-monitor:input`).
    pub fn connect_to(&self, destination: &str) -> Result<(), String> {
        let c = self.client.as_ref().ok_or("the JACK client is closed")?;
        let src = self.port_name().ok_or("no port")?;
        c.as_client()
            .connect_ports_by_name(&src, destination)
            .map_err(|e| format!("cannot connect {src} to {destination}: {e}"))
    }

    /// Send MIDI clock (24 per beat, start/stop/continue, song position).
    pub fn set_clock_out(&mut self, on: bool) {
        self.clock_out = on;
    }

    /// Seconds added to every deadline.
    pub fn set_latency(&mut self, seconds: f64) {
        self.latency = seconds.clamp(-1.0, 10.0);
    }

    /// JACK's sample rate and buffer size.
    pub fn format(&self) -> (u32, u32) {
        (self.sample_rate, self.buffer_size)
    }

    fn push(&mut self, at: f64, msg: MidiMsg) {
        self.seq += 1;
        if self
            .queue
            .push(Deadline {
                at_ns: (at.max(0.0) * 1e9) as u64,
                seq: self.seq,
                msg,
            })
            .is_err()
        {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Sink for JackMidiSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn latency(&self) -> f64 {
        self.latency
    }

    fn schedule(&mut self, event: &Event, times: EventTimes) {
        self.scratch.clear();
        event_messages(event, &mut self.scratch);
        let msgs = std::mem::take(&mut self.scratch);
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

    fn release_all(&mut self) {
        let _ = self.control.push(Control::ReleaseAll);
    }

    fn panic(&mut self) {
        let _ = self.control.push(Control::Panic);
    }

    fn transport(&mut self, running: bool, beat: Time) {
        if !self.clock_out {
            return;
        }
        for msg in crate::midi::transport_messages(running, beat) {
            let _ = self.control.push(Control::Now(msg));
        }
    }

    fn window(&mut self, from: Time, to: Time, clock: &crate::clock::TempoClock) {
        if self.clock_out {
            let latency = self.latency;
            super::clock_ticks(from, to, clock, |sec| {
                self.push(sec + latency, MidiMsg::CLOCK)
            });
        }
    }

    fn send_now(&mut self, msg: MidiMsg) {
        let _ = self.control.push(Control::Now(msg));
    }

    fn metrics(&self) -> SinkMetrics {
        self.counters.snapshot(&self.name, self.queue.len())
    }

    fn close(&mut self) {
        let _ = self.control.push(Control::ReleaseAll);
        // Give the process callback a few cycles to send the note-offs.
        let period = self.buffer_size as f64 / self.sample_rate.max(1) as f64;
        std::thread::sleep(std::time::Duration::from_secs_f64(
            (period * 4.0).clamp(0.005, 0.2),
        ));
        if let Some(c) = self.client.take() {
            let _ = c.deactivate();
        }
    }
}

impl Drop for JackMidiSink {
    fn drop(&mut self) {
        if self.client.is_some() {
            self.close();
        }
    }
}
