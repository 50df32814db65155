//! A MIDI output sink: events become MIDI messages (see [`crate::midi`]) sent at their
//! deadlines by a dispatch thread ([`super::dispatch`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use patter_pattern::{Event, Time};

use super::dispatch::{Dispatcher, MidiPort, PortSwap};
use super::midi_queue::{MidiQueue, QUEUE};
use super::{EventTimes, Sink, SinkMetrics};
use crate::clock::TempoClock;
use crate::midi::MidiMsg;

/// The longest the dispatch thread sleeps before looking for new messages.
const POLL: Duration = Duration::from_millis(2);

/// A MIDI sink over any [`MidiPort`].
pub struct MidiSink {
    name: String,
    q: MidiQueue,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
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

    fn start_inner<P: MidiPort + 'static>(
        name: impl Into<String>,
        port: P,
        origin: Instant,
        rate: Option<f64>,
        swap: Option<Arc<PortSwap<P>>>,
    ) -> MidiSink {
        let q = MidiQueue::new();
        let failed = swap.as_ref().map(|s| {
            let s = s.clone();
            Box::new(move || s.is_failed()) as Box<dyn Fn() -> bool + Send>
        });
        let mut dispatcher = Dispatcher::new(
            port,
            q.queue.clone(),
            q.control.clone(),
            QUEUE,
            q.counters.clone(),
        );
        dispatcher.set_rate_limit(rate);
        if let Some(swap) = swap {
            dispatcher.set_port_swap(swap);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("patter-midi-dispatch".into())
            .spawn(move || {
                crate::priority::raise_current_thread();
                while !stop_flag.load(Ordering::Acquire) {
                    let now = origin.elapsed().as_nanos() as u64;
                    let wait = match dispatcher.run_once(now) {
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
            q,
            stop,
            thread,
            supervisor: None,
            failed,
        }
    }

    /// Seconds added to every deadline (the device's latency compensation).
    pub fn set_latency(&mut self, seconds: f64) {
        self.q.set_latency(seconds);
    }

    /// Send MIDI clock (24 per beat, start/stop/continue, song position).
    pub fn set_clock_out(&mut self, on: bool) {
        self.q.set_clock_out(on);
    }
}

impl Sink for MidiSink {
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

    fn window(&mut self, from: Time, to: Time, clock: &TempoClock) {
        self.q.window(from, to, clock);
    }

    fn send_now(&mut self, msg: MidiMsg) {
        self.q.send_now(msg);
    }

    fn metrics(&self) -> SinkMetrics {
        self.q
            .metrics(&self.name, !self.failed.as_ref().is_some_and(|f| f()))
    }

    fn close(&mut self) {
        self.q.release_all();
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(t) = self.supervisor.take() {
            let _ = t.join();
        }
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
