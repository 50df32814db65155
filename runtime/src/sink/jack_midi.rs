//! A JACK MIDI sink with its own JACK client: every message is written at its exact frame
//! inside the process cycle (midir's JACK backend writes everything at frame 0 of the next
//! cycle, about 5 ms of jitter at 256 frames; this sink is within one frame).
//!
//! The process callback runs the same [`Dispatcher`] as the midir sink (no allocation,
//! lock or blocking) with a port that turns each deadline into a frame offset. Engine time
//! maps to the server's frame count through the [`FrameClock`] the audio sink uses: a
//! synth reading the port consumes frames at a steady rate, so two messages a beat apart
//! are a beat of frames apart. JACK's cycle times (its filtered clock, mapped to engine time
//! once at start-up: both are the monotonic clock, a constant offset apart) only correct
//! slow drift; after an xrun they jump and settle, and placing messages by them directly
//! put ticks a cycle early or late, or lost one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crossbeam_queue::ArrayQueue;
use patter_pattern::{Event, Time};

use super::dispatch::{Control, Deadline, Dispatcher, MidiPort};
use super::frame_clock::{CallbackTiming, FrameClock};
use super::midi_queue::{MidiQueue, QUEUE};
use super::recent_notes::RecentNotes;
use super::{EventTimes, Sink, SinkCounters, SinkMetrics};
use crate::midi::MidiMsg;

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
    /// JACK's frame count at this cycle's start, counted from the first cycle (JACK's own
    /// count is 32 bits and wraps).
    frame: u64,
    /// JACK's frame count at the last cycle's start.
    last_jack_frame: Option<u32>,
    clock: FrameClock,
    shared: Arc<Shared>,
    /// Note messages sent lately, by frame: their note-offs go out again after an xrun.
    recent: RecentNotes,
    /// Xruns already answered.
    xruns_seen: u64,
    /// How far back (frames) note-offs are sent again after an xrun.
    resend_frames: u64,
}

/// State shared by the scheduler side, the process callback and the supervisor.
struct Shared {
    queue: Arc<ArrayQueue<Deadline>>,
    control: Arc<ArrayQueue<Control>>,
    counters: Arc<SinkCounters>,
    connected: AtomicBool,
    reconnects: AtomicU64,
    stop: AtomicBool,
    /// Clock corrections the process callback started (see [`FrameClock::update`]).
    corrections: AtomicU64,
    /// How far (ns) the port's frames were behind JACK's clock at the last cycle: a
    /// message due now goes out that much later (see `close`).
    lag_ns: AtomicU64,
    /// Xruns the server reported (the notification thread counts, the process callback
    /// answers).
    xruns: AtomicU64,
    /// Note-offs sent again after xruns.
    resent: AtomicU64,
}

/// Notices that the JACK server went away (async-signal context: only an atomic store).
struct Notify {
    shared: Arc<Shared>,
}

impl jack::NotificationHandler for Notify {
    unsafe fn shutdown(&mut self, _status: jack::ClientStatus, _reason: &str) {
        self.shared.connected.store(false, Ordering::Release);
    }

    /// An xrun: the server missed a cycle, and messages of that time may have moved by a
    /// cycle or been lost with it. Counted as a device error, as the audio sink does; the
    /// process callback then sends the last note-offs again (see [`RecentNotes`]).
    fn xrun(&mut self, _: &jack::Client) -> jack::Control {
        self.shared.counters.errors.fetch_add(1, Ordering::Relaxed);
        self.shared.xruns.fetch_add(1, Ordering::Release);
        jack::Control::Continue
    }
}

type Active = jack::AsyncClient<Notify, Process>;

/// Open a client with our port and start it; returns it with the server's format.
fn open_client(
    client_name: &str,
    port_name: &str,
    origin: Instant,
    shared: &Arc<Shared>,
) -> Result<(Active, u32, u32), String> {
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
    let port = FramePort {
        cycle_start_ns: 0,
        ns_per_frame: 1e9 / sample_rate.max(1) as f64,
        n_frames: buffer_size,
        pending: Vec::with_capacity(PER_CYCLE),
    };
    let dispatcher = Dispatcher::new(
        port,
        shared.queue.clone(),
        shared.control.clone(),
        QUEUE,
        shared.counters.clone(),
    );
    let process = Process {
        out,
        dispatcher,
        offset_us,
        frame: 0,
        last_jack_frame: None,
        clock: FrameClock::new(sample_rate),
        shared: shared.clone(),
        recent: RecentNotes::new(),
        xruns_seen: shared.xruns.load(Ordering::Acquire),
        // The notification of an xrun comes a few cycles after the cycle it lost.
        resend_frames: u64::from(sample_rate / 5).max(u64::from(buffer_size) * 8),
    };
    let active = client
        .activate_async(
            Notify {
                shared: shared.clone(),
            },
            process,
        )
        .map_err(|e| format!("cannot start the JACK client: {e}"))?;
    shared.connected.store(true, Ordering::Release);
    Ok((active, sample_rate, buffer_size))
}

impl jack::ProcessHandler for Process {
    fn process(&mut self, _client: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let Ok(times) = ps.cycle_times() else {
            return jack::Control::Continue;
        };
        let cycle_ns = times.current_usecs as i64 * 1000;
        let timing = CallbackTiming {
            engine_now_ns: cycle_ns - self.offset_us * 1000,
            latency_ns: 0,
            stream_ns: Some(cycle_ns),
        };
        let n = ps.n_frames();
        // JACK's frame count, not the cycles this client ran: after an xrun in which the
        // server skipped cycles, the port stays on the server's frames.
        let jack_frame = ps.last_frame_time();
        if let Some(last) = self.last_jack_frame {
            self.frame += u64::from(jack_frame.wrapping_sub(last));
        }
        self.last_jack_frame = Some(jack_frame);
        self.clock
            .update(timing, self.frame, u64::from(n), &self.shared.corrections);
        let engine_ns = |frame: u64| self.clock.engine_ns(frame).unwrap_or(0).max(0) as u64;
        let start = engine_ns(self.frame);
        let end = engine_ns(self.frame + u64::from(n));
        let jack_now = timing.engine_now_ns.max(0) as u64;
        self.shared
            .lag_ns
            .store(jack_now.saturating_sub(start), Ordering::Relaxed);
        {
            // The port is the dispatcher's; set it up for this cycle.
            let port = self.dispatcher.port_mut();
            port.cycle_start_ns = start;
            port.n_frames = n;
            port.ns_per_frame = if n > 0 {
                (end.saturating_sub(start)) as f64 / f64::from(n)
            } else {
                1.0
            };
            port.pending.clear();
        }
        self.dispatcher.run_until(start, end.saturating_sub(1));
        let mut writer = self.out.writer(ps);
        // After an xrun, first the note-offs of the last moments again: the cycle the
        // server dropped may have carried some of them.
        let xruns = self.shared.xruns.load(Ordering::Acquire);
        if xruns != self.xruns_seen {
            self.xruns_seen = xruns;
            let mut resent = 0;
            self.recent
                .owed_since(self.frame.saturating_sub(self.resend_frames), |msg| {
                    let sent = writer.write(&jack::RawMidi {
                        time: 0,
                        bytes: msg.as_slice(),
                    });
                    resent += u64::from(sent.is_ok());
                });
            self.shared.resent.fetch_add(resent, Ordering::Relaxed);
        }
        for (frame, msg) in &self.dispatcher.port().pending {
            let _ = writer.write(&jack::RawMidi {
                time: *frame,
                bytes: msg.as_slice(),
            });
            self.recent.sent(self.frame + u64::from(*frame), msg);
        }
        jack::Control::Continue
    }
}

/// The JACK MIDI sink. If the JACK server goes away, the sink reports it (its metrics say
/// disconnected; messages meanwhile are dropped and counted) and a supervisor thread
/// reconnects, port connections included, when the server is back.
pub struct JackMidiSink {
    name: String,
    port_name: String,
    q: MidiQueue,
    shared: Arc<Shared>,
    client: Arc<Mutex<Option<Active>>>,
    destinations: Arc<Mutex<Vec<(String, bool)>>>,
    supervisor: Option<std::thread::JoinHandle<()>>,
    sample_rate: u32,
    buffer_size: u32,
}

impl JackMidiSink {
    /// Open a JACK client `client_name` with an output port `port_name` (default
    /// `patter:midi_out`); `origin` is the engine's time origin.
    pub fn start(
        client_name: &str,
        port_name: &str,
        origin: Instant,
    ) -> Result<JackMidiSink, String> {
        let q = MidiQueue::new();
        let shared = Arc::new(Shared {
            queue: q.queue.clone(),
            control: q.control.clone(),
            counters: q.counters.clone(),
            connected: AtomicBool::new(false),
            reconnects: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            corrections: AtomicU64::new(0),
            lag_ns: AtomicU64::new(0),
            xruns: AtomicU64::new(0),
            resent: AtomicU64::new(0),
        });
        let (active, sample_rate, buffer_size) =
            open_client(client_name, port_name, origin, &shared)?;
        let client = Arc::new(Mutex::new(Some(active)));
        let destinations: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
        let supervisor = {
            let (shared, client, destinations) =
                (shared.clone(), client.clone(), destinations.clone());
            let (client_name, port_name) = (client_name.to_string(), port_name.to_string());
            std::thread::Builder::new()
                .name("patter-jack-supervisor".into())
                .spawn(move || {
                    supervise(
                        &client_name,
                        &port_name,
                        origin,
                        &shared,
                        &client,
                        &destinations,
                    )
                })
                .ok()
        };
        Ok(JackMidiSink {
            name: format!("jack-midi:{client_name}:{port_name}"),
            port_name: port_name.to_string(),
            q,
            shared,
            client,
            destinations,
            supervisor,
            sample_rate,
            buffer_size,
        })
    }

    /// True while connected to a JACK server.
    pub fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::Acquire)
    }

    /// Times the sink reconnected after losing its server.
    pub fn reconnects(&self) -> u64 {
        self.shared.reconnects.load(Ordering::Relaxed)
    }

    /// The full port name (`client:port`), for connecting.
    pub fn port_name(&self) -> Option<String> {
        let guard = self.client.lock().ok()?;
        let name = guard.as_ref()?.as_client().name().to_string();
        Some(format!("{name}:{}", self.port_name))
    }

    /// Connect our output to another port (e.g. `midi-monitor:input`); remembered, and made
    /// again after a reconnection.
    pub fn connect_to(&self, destination: &str) -> Result<(), String> {
        let result = {
            let guard = self
                .client
                .lock()
                .map_err(|_| "the JACK client is unavailable".to_string())?;
            let c = guard.as_ref().ok_or("the JACK client is closed")?;
            let src = format!("{}:{}", c.as_client().name(), self.port_name);
            c.as_client()
                .connect_ports_by_name(&src, destination)
                .map_err(|e| format!("cannot connect {src} to {destination}: {e}"))
        };
        if let Ok(mut d) = self.destinations.lock() {
            d.push((destination.to_string(), result.is_ok()));
        }
        result
    }

    /// Send MIDI clock (24 per beat, start/stop/continue, song position).
    pub fn set_clock_out(&mut self, on: bool) {
        self.q.set_clock_out(on);
    }

    /// Seconds added to every deadline.
    pub fn set_latency(&mut self, seconds: f64) {
        self.q.set_latency(seconds);
    }

    /// JACK's sample rate and buffer size.
    pub fn format(&self) -> (u32, u32) {
        (self.sample_rate, self.buffer_size)
    }
}

impl Sink for JackMidiSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn latency(&self) -> f64 {
        self.q.latency()
    }

    fn schedule(&mut self, event: &Event, times: EventTimes) {
        self.q.schedule(event, times);
    }

    fn release_all(&mut self) {
        self.q.release_all();
    }

    fn panic(&mut self) {
        self.q.panic();
    }

    fn transport(&mut self, running: bool, beat: Time) {
        self.q.transport(running, beat);
    }

    fn window(&mut self, from: Time, to: Time, clock: &crate::clock::TempoClock) {
        self.q.window(from, to, clock);
    }

    fn send_now(&mut self, msg: MidiMsg) {
        self.q.send_now(msg);
    }

    fn audio_format(&self) -> Option<(u32, u32)> {
        Some((self.sample_rate, self.buffer_size))
    }

    fn metrics(&self) -> SinkMetrics {
        let mut m = self.q.metrics(&self.name, self.is_connected());
        m.clock_corrections = self.shared.corrections.load(Ordering::Relaxed);
        m.resent = self.shared.resent.load(Ordering::Relaxed);
        m
    }

    fn close(&mut self) {
        self.q.release_all();
        // Give the process callback a few cycles to send the note-offs, plus what its frames
        // are behind JACK's clock after xruns (slewed away over seconds): no stuck notes.
        let period = self.buffer_size as f64 / self.sample_rate.max(1) as f64;
        let lag = self.shared.lag_ns.load(Ordering::Relaxed) as f64 / 1e9;
        std::thread::sleep(std::time::Duration::from_secs_f64(
            (period * 4.0).clamp(0.005, 0.2) + lag.min(0.3),
        ));
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.supervisor.take() {
            let _ = t.join();
        }
        let taken = self.client.lock().ok().and_then(|mut c| c.take());
        if let Some(c) = taken {
            let _ = c.deactivate();
        }
    }
}

impl Drop for JackMidiSink {
    fn drop(&mut self) {
        if self.supervisor.is_some() {
            self.close();
        }
    }
}

/// Reconnect when the server goes away, and keep the remembered port connections made.
fn supervise(
    client_name: &str,
    port_name: &str,
    origin: Instant,
    shared: &Arc<Shared>,
    client: &Arc<Mutex<Option<Active>>>,
    destinations: &Arc<Mutex<Vec<(String, bool)>>>,
) {
    while !shared.stop.load(Ordering::Acquire) {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if !shared.connected.load(Ordering::Acquire) {
            // The old client is dead: let it go (on this thread, never on a real-time one).
            let dead = client.lock().ok().and_then(|mut c| c.take());
            drop(dead);
            if let Ok((active, _, _)) = open_client(client_name, port_name, origin, shared) {
                if let Ok(mut c) = client.lock() {
                    *c = Some(active);
                }
                shared.reconnects.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut d) = destinations.lock() {
                    for entry in d.iter_mut() {
                        entry.1 = false;
                    }
                }
            }
        }
        // Make remembered connections that are not made yet (a destination may come later).
        let (Ok(guard), Ok(mut dests)) = (client.lock(), destinations.lock()) else {
            continue;
        };
        if let Some(c) = guard.as_ref() {
            let src = format!("{}:{port_name}", c.as_client().name());
            for (dest, done) in dests.iter_mut().filter(|(_, done)| !*done) {
                *done = c.as_client().connect_ports_by_name(&src, dest).is_ok();
            }
        }
    }
}
