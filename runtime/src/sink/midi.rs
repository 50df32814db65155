//! A MIDI output sink: events become MIDI messages (see [`crate::midi`]) sent at their
//! deadlines by a dispatch thread ([`super::dispatch`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use patter_pattern::{Event, Time};

use super::dispatch::{Control, Deadline, Dispatcher, MidiPort, PortSwap};
use super::{EventTimes, Sink, SinkCounters, SinkMetrics};
use crate::midi::{event_messages, MidiMsg, TimedMsg};

/// Messages that may wait between the scheduler and the dispatch thread.
const QUEUE: usize = 8192;
/// The longest the dispatch thread sleeps before looking for new messages.
const POLL: Duration = Duration::from_millis(2);

/// A MIDI sink over any [`MidiPort`].
pub struct MidiSink {
    name: String,
    latency: f64,
    origin: Instant,
    queue: Arc<ArrayQueue<Deadline>>,
    control: Arc<ArrayQueue<Control>>,
    counters: Arc<SinkCounters>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    scratch: Vec<TimedMsg>,
    seq: u64,
    clock_out: bool,
    supervisor: Option<JoinHandle<()>>,
    failed: Option<Box<dyn Fn() -> bool + Send>>,
}

impl MidiSink {
    /// Start a dispatch thread for `port`. `origin` is the engine's time origin (deadlines
    /// are seconds since it).
    pub fn start<P: MidiPort + 'static>(
        name: impl Into<String>,
        port: P,
        origin: Instant,
    ) -> MidiSink {
        MidiSink::start_limited(name, port, origin, None)
    }

    /// Like [`MidiSink::start`], for a port that carries at most `rate` messages a second (a
    /// DIN MIDI cable: about 1000); past it note-ons are dropped and counted, note-offs and
    /// controls always go.
    pub fn start_limited<P: MidiPort + 'static>(
        name: impl Into<String>,
        port: P,
        origin: Instant,
        rate: Option<f64>,
    ) -> MidiSink {
        MidiSink::start_inner(name, port, origin, rate, None)
    }

    fn start_inner<P: MidiPort + 'static>(
        name: impl Into<String>,
        port: P,
        origin: Instant,
        rate: Option<f64>,
        swap: Option<Arc<PortSwap<P>>>,
    ) -> MidiSink {
        let failed = swap.as_ref().map(|s| {
            let s = s.clone();
            Box::new(move || s.is_failed()) as Box<dyn Fn() -> bool + Send>
        });
        let queue = Arc::new(ArrayQueue::new(QUEUE));
        let control = Arc::new(ArrayQueue::new(64));
        let counters = Arc::new(SinkCounters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let mut dispatcher = Dispatcher::new(
            port,
            queue.clone(),
            control.clone(),
            QUEUE,
            counters.clone(),
        );
        dispatcher.set_rate_limit(rate);
        if let Some(swap) = swap {
            dispatcher.set_port_swap(swap);
        }
        let stop_flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("patter-midi-dispatch".into())
            .spawn(move || {
                while !stop_flag.load(Ordering::Acquire) {
                    let now = origin.elapsed().as_nanos() as u64;
                    let next = dispatcher.run_once(now);
                    let wait = match next {
                        Some(at) => Duration::from_nanos(at.saturating_sub(now)).min(POLL),
                        None => POLL,
                    };
                    if !wait.is_zero() {
                        std::thread::sleep(wait);
                    }
                }
                // Leaving: nothing may stay sounding.
                let _ = dispatcher.run_once(u64::MAX);
            })
            .ok();
        MidiSink {
            name: name.into(),
            latency: 0.0,
            origin,
            queue,
            control,
            counters,
            stop,
            thread,
            scratch: Vec::with_capacity(16),
            seq: 0,
            clock_out: false,
            supervisor: None,
            failed,
        }
    }

    /// A sink that reopens its port when it goes away: `open` makes the port now and, on
    /// a supervisor thread, again whenever the port keeps refusing messages (an unplugged
    /// interface) until it succeeds. Its metrics say disconnected meanwhile.
    pub fn start_reconnecting<P, F>(
        name: impl Into<String>,
        mut open: F,
        origin: Instant,
        rate: Option<f64>,
    ) -> Result<MidiSink, String>
    where
        P: MidiPort + 'static,
        F: FnMut() -> Result<P, String> + Send + 'static,
    {
        let port = open()?;
        let swap = PortSwap::new();
        let mut sink = MidiSink::start_inner(name, port, origin, rate, Some(swap.clone()));
        let stop = sink.stop.clone();
        sink.supervisor = std::thread::Builder::new()
            .name("patter-midi-supervisor".into())
            .spawn(move || {
                while !stop.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(250));
                    swap.supervise(&mut open);
                }
            })
            .ok();
        Ok(sink)
    }

    /// Seconds added to every deadline (the device's latency compensation).
    pub fn set_latency(&mut self, seconds: f64) {
        self.latency = seconds.clamp(-1.0, 10.0);
    }

    /// Send MIDI clock (start/stop/continue and song position) on transport changes.
    pub fn set_clock_out(&mut self, on: bool) {
        self.clock_out = on;
    }

    fn push(&mut self, at: f64, msg: MidiMsg) {
        let at_ns = (at.max(0.0) * 1e9) as u64;
        self.seq += 1;
        if self
            .queue
            .push(Deadline {
                at_ns,
                seq: self.seq,
                msg,
            })
            .is_err()
        {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Sink for MidiSink {
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
        if self.control.push(Control::ReleaseAll).is_err() {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn panic(&mut self) {
        if self.control.push(Control::Panic).is_err() {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
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
        let mut m = self.counters.snapshot(&self.name, self.queue.len());
        m.connected = !self.failed.as_ref().is_some_and(|f| f());
        m
    }

    fn close(&mut self) {
        let _ = self.control.push(Control::ReleaseAll);
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(t) = self.supervisor.take() {
            let _ = t.join();
        }
        let _ = self.origin;
    }
}

impl Drop for MidiSink {
    fn drop(&mut self) {
        self.close();
    }
}

/// midir output ports (ALSA, CoreMIDI, WinMM).
#[cfg(feature = "midir")]
pub mod midir_port {
    use super::{MidiMsg, MidiPort};

    /// An open midir connection.
    pub struct MidirPort(pub midir::MidiOutputConnection);

    impl MidiPort for MidirPort {
        fn send(&mut self, msg: &MidiMsg, _at_ns: u64) -> bool {
            self.0.send(msg.as_slice()).is_ok()
        }
    }

    /// Open the first output port whose name contains `name`.
    pub fn open(name: &str) -> Result<MidirPort, String> {
        let out = midir::MidiOutput::new("patter")
            .map_err(|e| format!("MIDI is not available here: {e}"))?;
        let ports = out.ports();
        let mut names = Vec::new();
        for p in &ports {
            let n = out.port_name(p).unwrap_or_default();
            if n.contains(name) {
                return out
                    .connect(p, "patter")
                    .map(MidirPort)
                    .map_err(|e| format!("cannot open MIDI port `{n}`: {e}"));
            }
            names.push(n);
        }
        Err(if names.is_empty() {
            format!("no MIDI output port matches `{name}`: there are no MIDI output ports")
        } else {
            format!(
                "no MIDI output port matches `{name}` (ports: {})",
                names.join(", ")
            )
        })
    }

    /// Create a virtual output port called `name` (ALSA and CoreMIDI).
    #[cfg(unix)]
    pub fn virtual_port(name: &str) -> Result<MidirPort, String> {
        use midir::os::unix::VirtualOutput;
        let out = midir::MidiOutput::new("patter")
            .map_err(|e| format!("MIDI is not available here: {e}"))?;
        out.create_virtual(name)
            .map(MidirPort)
            .map_err(|e| format!("cannot create virtual MIDI port `{name}`: {e}"))
    }
}
