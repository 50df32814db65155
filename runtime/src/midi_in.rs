//! MIDI inputs: controllers, keyboards and pedals feeding the engine's [`InputQueue`].
//!
//! Contract: every channel message an input receives is stamped with the engine's time
//! (seconds since [`crate::Engine::origin`]) and pushed into the engine's queue, where the
//! scheduler picks it up. Two backends:
//! - a JACK MIDI input port (`patter:midi_in`), stamped by its frame inside the cycle; its
//!   process callback only reads the port, does arithmetic and pushes (no allocation, lock or
//!   blocking: see [`receive_cycle`], the callback's whole body);
//! - midir ports (ALSA sequencer on Linux, CoreMIDI, WinMM), chosen by a case-insensitive
//!   part of their name or `all`, stamped from midir's own timestamps.
//!
//! Devices come and go during a set. A supervisor thread per input looks at the port lists
//! (JACK's four times a second, the system's about once a second; never on a real-time
//! path): a source that disappears is
//! reported once ("MIDI input 'X' lost — will reconnect") and connected again when it
//! returns; a JACK server that goes away is rejoined when it comes back. When a source is
//! lost, the notes it held are released (note-offs, and sustain pedal up) so nothing stays
//! held forever.

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::input::{InputQueue, MidiIn};

/// How often the supervisors look at the port lists.
const POLL: Duration = Duration::from_millis(250);

/// The sustain pedal's controller number.
const PEDAL: u8 = 64;

/// Where reports ("lost", "back", "connected") go: a console line, a REPL printer.
pub type Report = Arc<dyn Fn(String) + Send + Sync>;

/// What `--midi-in SPEC` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    /// The JACK MIDI input port; with a pattern, every JACK MIDI output whose name contains
    /// it (case-insensitive) is connected to it, now and whenever one appears.
    Jack(Option<String>),
    /// midir ports whose name contains this (case-insensitive): the first that matches.
    Midir(String),
    /// Every midir input port.
    MidirAll,
}

impl InputSpec {
    /// Parse `jack`, `jack:PATTERN`, `all` or a port name part.
    pub fn parse(spec: &str) -> Result<InputSpec, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(
                "--midi-in needs a port: jack, jack:PATTERN, all, or part of a MIDI port's name"
                    .into(),
            );
        }
        Ok(match spec.split_once(':') {
            Some(("jack", "")) => InputSpec::Jack(None),
            Some(("jack", pattern)) => InputSpec::Jack(Some(pattern.to_string())),
            _ if spec == "jack" => InputSpec::Jack(None),
            _ if spec == "all" => InputSpec::MidirAll,
            _ => InputSpec::Midir(spec.to_string()),
        })
    }
}

impl std::fmt::Display for InputSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputSpec::Jack(None) => f.write_str("jack"),
            InputSpec::Jack(Some(p)) => write!(f, "jack:{p}"),
            InputSpec::Midir(n) => f.write_str(n),
            InputSpec::MidirAll => f.write_str("all"),
        }
    }
}

/// The notes (and sustain pedals) an input holds down, kept by the device callback with
/// atomics only, so that another thread can release them when the device goes away.
#[derive(Default)]
pub struct Held {
    /// 128 bits per channel: two words each.
    notes: [AtomicU64; 32],
    /// One bit per channel: the sustain pedal is down.
    pedals: AtomicU16,
}

impl Held {
    /// Follow one message.
    fn follow(&self, msg: &MidiIn) {
        let ch = usize::from(msg.channel());
        let [_, data1, data2] = msg.bytes;
        let word = ch * 2 + usize::from(data1 >> 6);
        let bit = 1u64 << (data1 & 63);
        match msg.kind() {
            0x90 if data2 > 0 => {
                if let Some(w) = self.notes.get(word) {
                    w.fetch_or(bit, Ordering::Relaxed);
                }
            }
            0x80 | 0x90 => {
                if let Some(w) = self.notes.get(word) {
                    w.fetch_and(!bit, Ordering::Relaxed);
                }
            }
            0xB0 if data1 == PEDAL => {
                let bit = 1u16 << ch;
                if data2 >= 64 {
                    self.pedals.fetch_or(bit, Ordering::Relaxed);
                } else {
                    self.pedals.fetch_and(!bit, Ordering::Relaxed);
                }
            }
            // All notes off and all sound off: nothing is held any more.
            0xB0 if data1 == 123 || data1 == 120 => {
                for w in self.notes.iter().skip(ch * 2).take(2) {
                    w.store(0, Ordering::Relaxed);
                }
            }
            _ => {}
        }
    }

    /// Push a note-off for every held note and a pedal-up for every pedal held down, as if
    /// the player let go at `at`; returns how many messages were pushed.
    pub fn release(&self, queue: &InputQueue, port: u16, at: f64) -> usize {
        let mut n = 0;
        for (word, w) in self.notes.iter().enumerate() {
            let mut bits = w.swap(0, Ordering::Relaxed);
            while bits != 0 {
                let low = bits.trailing_zeros() as u8;
                bits &= bits - 1;
                let ch = (word / 2) as u8;
                let note = ((word % 2) as u8) * 64 + low;
                if let Some(m) = MidiIn::from_bytes(at, port, &[0x80 | ch, note, 0]) {
                    queue.push(m);
                    n += 1;
                }
            }
        }
        let pedals = self.pedals.swap(0, Ordering::Relaxed);
        for ch in (0..16u8).filter(|c| pedals & (1 << c) != 0) {
            if let Some(m) = MidiIn::from_bytes(at, port, &[0xB0 | ch, PEDAL, 0]) {
                queue.push(m);
                n += 1;
            }
        }
        n
    }

    /// Notes held now.
    pub fn count(&self) -> u32 {
        self.notes
            .iter()
            .map(|w| w.load(Ordering::Relaxed).count_ones())
            .sum()
    }
}

/// The last control change any input received, for learn mode: packed in one atomic word
/// (a sequence number and the channel, controller and value) so the device callbacks can
/// write it without a lock.
#[derive(Default)]
pub struct CcMonitor {
    word: AtomicU64,
}

/// A control change seen by the [`CcMonitor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastCc {
    /// Increases with every control change (wraps at 2^32).
    pub seq: u32,
    /// MIDI channel, 0–15.
    pub channel: u8,
    /// Controller number.
    pub number: u8,
    /// Value.
    pub value: u8,
}

impl CcMonitor {
    fn note(&self, msg: &MidiIn) {
        if msg.kind() != 0xB0 {
            return;
        }
        let [_, number, value] = msg.bytes;
        let pack = |old: u64| {
            let seq = ((old >> 32) as u32).wrapping_add(1);
            (u64::from(seq) << 32)
                | (u64::from(msg.channel()) << 16)
                | (u64::from(number) << 8)
                | u64::from(value)
        };
        let _ = self
            .word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |old| Some(pack(old)));
    }

    /// The latest control change (None before the first).
    pub fn last(&self) -> Option<LastCc> {
        let w = self.word.load(Ordering::Acquire);
        let seq = (w >> 32) as u32;
        (seq != 0).then_some(LastCc {
            seq,
            channel: ((w >> 16) & 0x0F) as u8,
            number: ((w >> 8) & 0x7F) as u8,
            value: (w & 0x7F) as u8,
        })
    }
}

/// Messages one input received, and how many of them the engine's queue had no room for.
#[derive(Default)]
pub struct InputCounters {
    messages: AtomicU64,
    dropped: AtomicU64,
    /// The latest stamp handed on (f64 bits), so that an input's stamps never go back.
    last_at: AtomicU64,
}

/// What a device callback needs to hand messages on: the engine's queue, the input's port
/// index, its held notes, counters and the learn monitor. [`Receiver::receive`] never
/// allocates, locks or blocks.
#[derive(Clone)]
pub struct Receiver {
    queue: Arc<InputQueue>,
    port: u16,
    held: Arc<Held>,
    counters: Arc<InputCounters>,
    monitor: Arc<CcMonitor>,
}

impl Receiver {
    /// A receiver pushing into `queue` as input `port`.
    pub fn new(queue: Arc<InputQueue>, port: u16) -> Receiver {
        Receiver {
            queue,
            port,
            held: Arc::default(),
            counters: Arc::default(),
            monitor: Arc::default(),
        }
    }

    fn with_monitor(mut self, monitor: Arc<CcMonitor>) -> Receiver {
        self.monitor = monitor;
        self
    }

    /// Hand one raw message, received at `at` (engine seconds), to the engine. Anything
    /// but a channel message is ignored; false when ignored or dropped.
    pub fn receive(&self, at: f64, raw: &[u8]) -> bool {
        // JACK's cycle clock is a filtered estimate: on a loaded machine a cycle can start
        // a little before the last one's late frames. One device's messages keep their order
        // in time as they do in the queue. (One writer per receiver: load then store.)
        let last = f64::from_bits(self.counters.last_at.load(Ordering::Relaxed));
        let at = at.max(last);
        let Some(msg) = MidiIn::from_bytes(at, self.port, raw) else {
            return false;
        };
        self.counters.last_at.store(at.to_bits(), Ordering::Relaxed);
        self.counters.messages.fetch_add(1, Ordering::Relaxed);
        self.held.follow(&msg);
        self.monitor.note(&msg);
        if self.queue.push(msg) {
            true
        } else {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            false
        }
    }

    /// The notes this input holds.
    pub fn held(&self) -> &Held {
        &self.held
    }

    /// Release every held note (see [`Held::release`]) at the engine time `at`.
    pub fn release(&self, at: f64) -> usize {
        self.held.release(&self.queue, self.port, at)
    }

    /// Messages received (channel messages only).
    pub fn messages(&self) -> u64 {
        self.counters.messages.load(Ordering::Relaxed)
    }

    /// Messages the engine's queue had no room for.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }
}

/// One JACK cycle's clock: maps a frame offset inside the cycle to engine seconds.
#[derive(Clone, Copy, Debug)]
pub struct CycleClock {
    /// JACK time (µs) of the cycle's first frame.
    pub start_us: u64,
    /// JACK time (µs) of the next cycle's first frame.
    pub next_us: u64,
    /// Frames in the cycle.
    pub n_frames: u32,
    /// JACK microseconds minus engine microseconds.
    pub offset_us: i64,
}

impl CycleClock {
    /// Engine seconds of `frame` in this cycle.
    pub fn seconds_at(&self, frame: u32) -> f64 {
        let span = self.next_us.saturating_sub(self.start_us) as f64;
        let frac = if self.n_frames > 0 {
            f64::from(frame.min(self.n_frames)) / f64::from(self.n_frames)
        } else {
            0.0
        };
        let jack_us = self.start_us as f64 + span * frac;
        ((jack_us - self.offset_us as f64) / 1e6).max(0.0)
    }
}

/// The JACK input's process callback, whole: stamp each event of the cycle by its frame and
/// hand it on. Returns the number of events pushed.
pub fn receive_cycle<'a>(
    rx: &Receiver,
    clock: &CycleClock,
    events: impl Iterator<Item = (u32, &'a [u8])>,
) -> usize {
    let mut n = 0;
    for (frame, bytes) in events {
        if rx.receive(clock.seconds_at(frame), bytes) {
            n += 1;
        }
    }
    n
}

/// An input's state, as `:midi` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputState {
    /// Receiving.
    Open,
    /// Nothing to receive from yet (no matching port, or no JACK server): it will connect
    /// when one appears.
    Waiting(String),
    /// Its device or server went away; it reconnects when it returns.
    Lost(String),
}

impl std::fmt::Display for InputState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputState::Open => f.write_str("open"),
            InputState::Waiting(why) => write!(f, "waiting ({why})"),
            InputState::Lost(why) => write!(f, "lost ({why}), will reconnect"),
        }
    }
}

/// One input, as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct InputInfo {
    /// What was asked for (`jack:korg`, `nanokontrol`, …).
    pub spec: String,
    /// Its port (`patter:midi_in`) or device name.
    pub name: String,
    /// Open, waiting or lost.
    pub state: InputState,
    /// The sources connected to it (JACK ports; for midir, the device).
    pub sources: Vec<String>,
    /// Channel messages received.
    pub messages: u64,
    /// Messages the engine's queue had no room for.
    pub dropped: u64,
    /// Notes held now.
    pub held: u32,
}

/// The status one input's supervisor keeps up to date.
struct Status {
    spec: String,
    name: String,
    state: InputState,
    sources: Vec<String>,
}

/// Shared by all inputs of one [`MidiInputs`].
#[derive(Clone)]
struct Context {
    queue: Arc<InputQueue>,
    origin: Instant,
    report: Report,
    monitor: Arc<CcMonitor>,
    next_port: Arc<AtomicU16>,
    stop: Arc<AtomicBool>,
}

impl Context {
    fn receiver(&self) -> Receiver {
        let port = self.next_port.fetch_add(1, Ordering::Relaxed);
        Receiver::new(self.queue.clone(), port).with_monitor(self.monitor.clone())
    }

    fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    /// Sleep one poll period in short steps (so closing is quick); false when stopping.
    fn wait(&self) -> bool {
        let until = Instant::now() + POLL;
        while Instant::now() < until {
            if self.stop.load(Ordering::Acquire) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        !self.stop.load(Ordering::Acquire)
    }
}

/// One opened input: its status and the receivers of its streams (one per midir device;
/// one for the JACK port).
struct Entry {
    status: Arc<Mutex<Status>>,
    receivers: Arc<Mutex<Vec<Receiver>>>,
    thread: Option<JoinHandle<()>>,
}

/// The open MIDI inputs of a session.
pub struct MidiInputs {
    ctx: Context,
    entries: Vec<Entry>,
}

impl MidiInputs {
    /// No inputs yet; they will push into `queue`, stamped against `origin`.
    pub fn new(queue: Arc<InputQueue>, origin: Instant, report: Report) -> MidiInputs {
        MidiInputs {
            ctx: Context {
                queue,
                origin,
                report,
                monitor: Arc::default(),
                next_port: Arc::new(AtomicU16::new(0)),
                stop: Arc::new(AtomicBool::new(false)),
            },
            entries: Vec::new(),
        }
    }

    /// Open an input. An input whose device is not there yet waits for it (and says so);
    /// an error means this kind of input cannot work here at all (no MIDI system, no JACK
    /// library).
    pub fn open(&mut self, spec: &InputSpec) -> Result<(), String> {
        let status = Arc::new(Mutex::new(Status {
            spec: spec.to_string(),
            name: spec.to_string(),
            state: InputState::Waiting("starting".into()),
            sources: Vec::new(),
        }));
        let receivers: Arc<Mutex<Vec<Receiver>>> = Arc::default();
        let thread = match spec {
            InputSpec::Jack(pattern) => {
                #[cfg(feature = "jack")]
                {
                    jack_in::start(
                        self.ctx.clone(),
                        pattern.clone(),
                        status.clone(),
                        receivers.clone(),
                    )?
                }
                #[cfg(not(feature = "jack"))]
                {
                    let _ = pattern;
                    return Err("this patter was built without JACK".into());
                }
            }
            InputSpec::Midir(_) | InputSpec::MidirAll => {
                #[cfg(feature = "midir")]
                {
                    midir_in::start(
                        self.ctx.clone(),
                        spec.clone(),
                        status.clone(),
                        receivers.clone(),
                    )?
                }
                #[cfg(not(feature = "midir"))]
                {
                    return Err("this patter was built without midir MIDI ports".into());
                }
            }
        };
        self.entries.push(Entry {
            status,
            receivers,
            thread,
        });
        Ok(())
    }

    /// The inputs, their state and counters.
    pub fn list(&self) -> Vec<InputInfo> {
        self.entries
            .iter()
            .map(|e| {
                let (messages, dropped, held) = e
                    .receivers
                    .lock()
                    .map(|rs| {
                        rs.iter().fold((0, 0, 0), |(m, d, h), r| {
                            (m + r.messages(), d + r.dropped(), h + r.held().count())
                        })
                    })
                    .unwrap_or_default();
                let s = match e.status.lock() {
                    Ok(s) => s,
                    Err(poisoned) => poisoned.into_inner(),
                };
                let (spec, name, state, sources) = (
                    s.spec.clone(),
                    s.name.clone(),
                    s.state.clone(),
                    s.sources.clone(),
                );
                InputInfo {
                    spec,
                    name,
                    state,
                    sources,
                    messages,
                    dropped,
                    held,
                }
            })
            .collect()
    }

    /// The latest control change from any input (learn mode).
    pub fn last_cc(&self) -> Option<LastCc> {
        self.ctx.monitor.last()
    }

    /// True when no input is open.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Close every input (held notes are released first).
    pub fn close(&mut self) {
        self.ctx.stop.store(true, Ordering::Release);
        for e in &mut self.entries {
            if let Some(t) = e.thread.take() {
                let _ = t.join();
            }
            if let Ok(rs) = e.receivers.lock() {
                for r in rs.iter() {
                    r.release(self.ctx.now());
                }
            }
        }
        self.entries.clear();
    }
}

impl Drop for MidiInputs {
    fn drop(&mut self) {
        self.close();
    }
}

fn set_state(status: &Mutex<Status>, state: InputState) {
    if let Ok(mut s) = status.lock() {
        s.state = state;
    }
}

/// The JACK MIDI input port.
#[cfg(feature = "jack")]
mod jack_in {
    use super::*;
    use jack::PortSpec as _;

    /// The client and port names (`patter:midi_in`; JACK renames the client if `patter`
    /// is taken, and the real name is shown).
    const CLIENT: &str = "patter";
    const PORT: &str = "midi_in";

    struct Process {
        port: jack::Port<jack::MidiIn>,
        rx: Receiver,
        offset_us: i64,
    }

    impl jack::ProcessHandler for Process {
        fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
            let Ok(t) = ps.cycle_times() else {
                return jack::Control::Continue;
            };
            let clock = CycleClock {
                start_us: t.current_usecs,
                next_us: t.next_usecs,
                n_frames: ps.n_frames(),
                offset_us: self.offset_us,
            };
            receive_cycle(
                &self.rx,
                &clock,
                self.port.iter(ps).map(|m| (m.time, m.bytes)),
            );
            jack::Control::Continue
        }
    }

    /// Notices that the server went away (async-signal context: only an atomic store).
    struct Notify {
        alive: Arc<AtomicBool>,
    }

    impl jack::NotificationHandler for Notify {
        unsafe fn shutdown(&mut self, _status: jack::ClientStatus, _reason: &str) {
            self.alive.store(false, Ordering::Release);
        }
    }

    type Active = jack::AsyncClient<Notify, Process>;

    /// Why a client could not open: no library at all (nothing to wait for), or no server.
    enum OpenError {
        NoLibrary(String),
        Other(String),
    }

    fn open_client(
        ctx: &Context,
        rx: Receiver,
        alive: &Arc<AtomicBool>,
    ) -> Result<Active, OpenError> {
        let (client, _) = jack::Client::new(CLIENT, jack::ClientOptions::NO_START_SERVER)
            .map_err(|e| match e {
                jack::Error::LibraryError(why) => OpenError::NoLibrary(format!(
                    "the JACK library is not installed ({why}); install JACK (libjack-jackd2-0)"
                )),
                e => OpenError::Other(format!("no JACK server ({e}); start one with `jackd -d dummy -r 48000 -p 256` or `jackd -d alsa`")),
            })?;
        let port = client
            .register_port(PORT, jack::MidiIn::default())
            .map_err(|e| OpenError::Other(format!("cannot create the JACK port `{PORT}`: {e}")))?;
        // Both clocks are the monotonic clock, a constant offset apart: map them once.
        let offset_us = client.time() as i64 - ctx.origin.elapsed().as_micros() as i64;
        alive.store(true, Ordering::Release);
        client
            .activate_async(
                Notify {
                    alive: alive.clone(),
                },
                Process {
                    port,
                    rx,
                    offset_us,
                },
            )
            .map_err(|e| OpenError::Other(format!("cannot start the JACK client: {e}")))
    }

    fn full_name(active: &Active) -> String {
        format!("{}:{PORT}", active.as_client().name())
    }

    /// Open now (an error when JACK cannot be loaded at all; a missing server only waits),
    /// then keep it connected on a supervisor thread.
    pub(super) fn start(
        ctx: Context,
        pattern: Option<String>,
        status: Arc<Mutex<Status>>,
        receivers: Arc<Mutex<Vec<Receiver>>>,
    ) -> Result<Option<JoinHandle<()>>, String> {
        let rx = ctx.receiver();
        if let Ok(mut r) = receivers.lock() {
            r.push(rx.clone());
        }
        let alive = Arc::new(AtomicBool::new(false));
        let first = match open_client(&ctx, rx.clone(), &alive) {
            Ok(a) => Some(a),
            Err(OpenError::NoLibrary(e)) => return Err(e),
            Err(OpenError::Other(e)) => {
                (ctx.report)(format!("MIDI input 'jack': {e}; waiting for one"));
                set_state(&status, InputState::Waiting("no JACK server".into()));
                None
            }
        };
        if let Some(a) = &first {
            let name = full_name(a);
            if let Ok(mut s) = status.lock() {
                s.name = name.clone();
                s.state = InputState::Open;
            }
            (ctx.report)(match &pattern {
                Some(p) => {
                    format!("MIDI input on JACK port {name} (connecting sources matching '{p}')")
                }
                None => format!("MIDI input on JACK port {name} (connect sources to it)"),
            });
        }
        let thread = std::thread::Builder::new()
            .name("patter-midi-in-jack".into())
            .spawn(move || supervise(&ctx, pattern, &status, rx, alive, first))
            .map_err(|e| format!("cannot start the MIDI input thread: {e}"))?;
        Ok(Some(thread))
    }

    /// Rejoin the server, follow the sources: lost ones are reported and their notes
    /// released; matching ones (and lost ones that come back) are connected.
    fn supervise(
        ctx: &Context,
        pattern: Option<String>,
        status: &Mutex<Status>,
        rx: Receiver,
        alive: Arc<AtomicBool>,
        mut client: Option<Active>,
    ) {
        let pattern = pattern.map(|p| p.to_lowercase());
        // Sources connected at the last look, and lost ones to connect when they return.
        let mut connected: Vec<String> = Vec::new();
        let mut lost: Vec<String> = Vec::new();
        let mut server_lost = false;
        while ctx.wait() {
            if client.is_some() && !alive.load(Ordering::Acquire) {
                // Let the dead client go here, never on a real-time thread.
                drop(client.take());
                rx.release(ctx.now());
                (ctx.report)(
                    "MIDI input 'jack' lost (the JACK server went away) — will reconnect".into(),
                );
                set_state(status, InputState::Lost("no JACK server".into()));
                lost.append(&mut connected);
                server_lost = true;
            }
            if client.is_none() {
                match open_client(ctx, rx.clone(), &alive) {
                    Ok(a) => {
                        let name = full_name(&a);
                        if server_lost {
                            (ctx.report)(format!("MIDI input 'jack' back on {name}"));
                        } else {
                            (ctx.report)(format!("MIDI input on JACK port {name}"));
                        }
                        if let Ok(mut s) = status.lock() {
                            s.name = name;
                            s.state = InputState::Open;
                        }
                        client = Some(a);
                    }
                    Err(_) => continue,
                }
            }
            let Some(active) = client.as_ref() else {
                continue;
            };
            let c = active.as_client();
            let own = full_name(active);
            let outputs = c.ports(
                None,
                Some(jack::MidiOut::default().jack_port_type()),
                jack::PortFlags::IS_OUTPUT,
            );
            let now: Vec<String> = c
                .port_by_name(&own)
                .map(|p| p.get_connections())
                .unwrap_or_default();
            // A source that was connected and whose port no longer exists is lost; one that
            // exists but was disconnected by hand is simply forgotten.
            let mut released = false;
            for src in connected.iter().filter(|s| !now.contains(s)) {
                if !outputs.contains(src) {
                    (ctx.report)(format!("MIDI input '{src}' lost — will reconnect"));
                    if !released {
                        rx.release(ctx.now());
                        released = true;
                    }
                    lost.push(src.clone());
                }
            }
            let own_client = format!("{}:", c.name());
            let matches = |src: &String| {
                !src.starts_with(&own_client)
                    && pattern
                        .as_ref()
                        .is_some_and(|p| src.to_lowercase().contains(p.as_str()))
            };
            let candidates: Vec<String> = outputs
                .iter()
                .filter(|s| !now.contains(s))
                .cloned()
                .collect();
            let mut now = now;
            for src in &candidates {
                let returning = lost.contains(src);
                if !(returning || matches(src)) {
                    continue;
                }
                if c.connect_ports_by_name(src, &own).is_ok() {
                    (ctx.report)(if returning {
                        format!("MIDI input '{src}' back")
                    } else {
                        format!("MIDI input '{src}' connected to {own}")
                    });
                    lost.retain(|l| l != src);
                    now.push(src.clone());
                }
            }
            connected = now;
            if let Ok(mut s) = status.lock() {
                s.sources = connected.clone();
                s.state = if lost.is_empty() {
                    InputState::Open
                } else {
                    InputState::Lost(lost.join(", "))
                };
            }
        }
        if let Some(a) = client.take() {
            let _ = a.deactivate();
        }
    }
}

/// midir input ports (ALSA sequencer, CoreMIDI, WinMM).
#[cfg(feature = "midir")]
mod midir_in {
    use super::*;

    /// Why midir cannot be used here, in one sentence a performer can act on.
    fn unavailable(e: impl std::fmt::Display) -> String {
        format!(
            "MIDI input through the system's MIDI ports is not available here ({e}){}",
            if cfg!(target_os = "linux") {
                ": there is no ALSA sequencer (/dev/snd/seq); use `--midi-in jack` with a JACK server"
            } else {
                ""
            }
        )
    }

    /// The names of the system's MIDI input ports.
    fn port_names() -> Result<Vec<String>, String> {
        let input = midir::MidiInput::new("patter").map_err(unavailable)?;
        Ok(input
            .ports()
            .iter()
            .filter_map(|p| input.port_name(p).ok())
            .collect())
    }

    /// Connect to the port called exactly `name`.
    fn connect(
        ctx: &Context,
        name: &str,
        rx: Receiver,
    ) -> Result<midir::MidiInputConnection<()>, String> {
        let input = midir::MidiInput::new("patter").map_err(unavailable)?;
        let port = input
            .ports()
            .into_iter()
            .find(|p| input.port_name(p).is_ok_and(|n| n == name))
            .ok_or_else(|| format!("the MIDI port '{name}' went away"))?;
        let origin = ctx.origin;
        // midir stamps in µs from its own origin: keep the smallest (now − stamp) seen, the
        // offset with the least delivery delay in it.
        let mut offset: Option<f64> = None;
        input
            .connect(
                &port,
                "patter-in",
                move |stamp_us, bytes, _| {
                    let now = origin.elapsed().as_secs_f64();
                    let stamp = stamp_us as f64 / 1e6;
                    let o = offset.map_or(now - stamp, |o: f64| o.min(now - stamp));
                    offset = Some(o);
                    rx.receive((stamp + o).clamp(0.0, now), bytes);
                },
                (),
            )
            .map_err(|e| format!("cannot open the MIDI port '{name}': {e}"))
    }

    pub(super) fn start(
        ctx: Context,
        spec: InputSpec,
        status: Arc<Mutex<Status>>,
        receivers: Arc<Mutex<Vec<Receiver>>>,
    ) -> Result<Option<JoinHandle<()>>, String> {
        // Fails at once where there is no MIDI system at all.
        let names = port_names()?;
        let wanted = match &spec {
            InputSpec::Midir(n) => Some(n.to_lowercase()),
            _ => None,
        };
        if let Some(w) = &wanted {
            if !names.iter().any(|n| n.to_lowercase().contains(w.as_str())) {
                (ctx.report)(format!(
                    "no MIDI input port matches '{spec}' yet ({}); it connects when one appears",
                    if names.is_empty() {
                        "there are no MIDI input ports".to_string()
                    } else {
                        format!("ports: {}", names.join(", "))
                    }
                ));
            }
        }
        let thread = std::thread::Builder::new()
            .name("patter-midi-in".into())
            .spawn(move || supervise(&ctx, wanted, &status, &receivers))
            .map_err(|e| format!("cannot start the MIDI input thread: {e}"))?;
        Ok(Some(thread))
    }

    struct Open {
        name: String,
        rx: Receiver,
        conn: midir::MidiInputConnection<()>,
    }

    fn supervise(
        ctx: &Context,
        wanted: Option<String>,
        status: &Mutex<Status>,
        receivers: &Mutex<Vec<Receiver>>,
    ) {
        let mut open: Vec<Open> = Vec::new();
        let mut lost: Vec<String> = Vec::new();
        let mut known: Vec<(String, Receiver)> = Vec::new();
        let mut first = true;
        let mut tick = 0u32;
        while first || ctx.wait() {
            first = false;
            // Listing the ports opens a sequencer client: about once a second is enough.
            tick = tick.wrapping_add(1);
            if tick % 4 != 1 {
                continue;
            }
            let Ok(names) = port_names() else { continue };
            // Gone devices: report, release their notes, close (here, off any real-time path).
            let mut i = 0;
            while i < open.len() {
                if open.get(i).is_some_and(|o| !names.contains(&o.name)) {
                    let o = open.swap_remove(i);
                    (ctx.report)(format!("MIDI input '{}' lost — will reconnect", o.name));
                    o.rx.release(ctx.now());
                    lost.push(o.name.clone());
                    drop(o.conn);
                } else {
                    i += 1;
                }
            }
            for name in &names {
                if open.iter().any(|o| &o.name == name) {
                    continue;
                }
                let returning = lost.contains(name);
                let wanted_here = match &wanted {
                    // One device: the first that matches, while none is open.
                    Some(w) => open.is_empty() && name.to_lowercase().contains(w.as_str()),
                    None => true,
                };
                if !(returning || wanted_here) {
                    continue;
                }
                // A device that returns keeps its receiver (and its counters).
                let rx = match known.iter().find(|(n, _)| n == name) {
                    Some((_, rx)) => rx.clone(),
                    None => {
                        let rx = ctx.receiver();
                        known.push((name.clone(), rx.clone()));
                        if let Ok(mut rs) = receivers.lock() {
                            rs.push(rx.clone());
                        }
                        rx
                    }
                };
                match connect(ctx, name, rx.clone()) {
                    Ok(conn) => {
                        (ctx.report)(if returning {
                            format!("MIDI input '{name}' back")
                        } else {
                            format!("MIDI input from '{name}'")
                        });
                        lost.retain(|l| l != name);
                        open.push(Open {
                            name: name.clone(),
                            rx,
                            conn,
                        });
                    }
                    Err(e) => (ctx.report)(format!("MIDI input: {e}")),
                }
            }
            if let Ok(mut s) = status.lock() {
                s.sources = open.iter().map(|o| o.name.clone()).collect();
                if let Some(o) = open.first() {
                    s.name = o.name.clone();
                }
                s.state = if !lost.is_empty() {
                    InputState::Lost(lost.join(", "))
                } else if open.is_empty() {
                    InputState::Waiting("no matching port".into())
                } else {
                    InputState::Open
                };
            }
        }
        for o in open {
            o.conn.close();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn drain(q: &InputQueue) -> Vec<MidiIn> {
        std::iter::from_fn(|| q.pop()).collect()
    }

    #[cfg(all(feature = "midir", target_os = "linux"))]
    #[test]
    fn midir_without_an_alsa_sequencer_is_a_clear_error() {
        if std::path::Path::new("/dev/snd/seq").exists() {
            return; // a machine with MIDI: nothing to check here
        }
        let report: Report = Arc::new(|_| {});
        let mut inputs = MidiInputs::new(Arc::new(InputQueue::new()), Instant::now(), report);
        for spec in [InputSpec::Midir("nano".into()), InputSpec::MidirAll] {
            let e = inputs.open(&spec).unwrap_err();
            assert!(e.contains("not available here"), "{e}");
            assert!(e.contains("--midi-in jack"), "{e}");
        }
        assert!(inputs.is_empty());
    }

    #[test]
    fn specs_parse() {
        assert_eq!(InputSpec::parse("jack"), Ok(InputSpec::Jack(None)));
        assert_eq!(InputSpec::parse("jack:"), Ok(InputSpec::Jack(None)));
        assert_eq!(
            InputSpec::parse("jack:Korg"),
            Ok(InputSpec::Jack(Some("Korg".into())))
        );
        assert_eq!(InputSpec::parse("all"), Ok(InputSpec::MidirAll));
        assert_eq!(
            InputSpec::parse("nanoKONTROL"),
            Ok(InputSpec::Midir("nanoKONTROL".into()))
        );
        assert!(InputSpec::parse("  ").is_err());
        assert_eq!(
            InputSpec::parse("jack:Korg").unwrap().to_string(),
            "jack:Korg"
        );
    }

    #[test]
    fn held_notes_and_pedals_are_released_on_loss() {
        let q = Arc::new(InputQueue::new());
        let rx = Receiver::new(q.clone(), 3);
        rx.receive(0.1, &[0x90, 60, 100]);
        rx.receive(0.2, &[0x91, 127, 90]);
        rx.receive(0.3, &[0x90, 64, 100]);
        rx.receive(0.4, &[0x90, 64, 0]); // a note-on at velocity 0 lets go
        rx.receive(0.5, &[0xB1, 64, 127]);
        assert_eq!(rx.held().count(), 2);
        drain(&q);
        assert_eq!(rx.release(1.0), 3);
        let released: Vec<[u8; 3]> = drain(&q).iter().map(|m| m.bytes).collect();
        assert_eq!(released, vec![[0x80, 60, 0], [0x81, 127, 0], [0xB1, 64, 0]]);
        assert!(drain(&q).iter().all(|m| m.port == 3 && m.at == 1.0));
        assert_eq!(rx.held().count(), 0);
        assert_eq!(rx.release(2.0), 0, "nothing is released twice");
    }

    #[test]
    fn counters_and_the_learn_monitor_follow_messages() {
        let q = Arc::new(InputQueue::new());
        let rx = Receiver::new(q.clone(), 0);
        assert!(rx.monitor.last().is_none());
        assert!(!rx.receive(0.0, &[0xF8]), "clock is not a channel message");
        rx.receive(0.0, &[0xB2, 74, 10]);
        rx.receive(0.0, &[0xB2, 74, 11]);
        assert_eq!(
            rx.monitor.last(),
            Some(LastCc {
                seq: 2,
                channel: 2,
                number: 74,
                value: 11
            })
        );
        assert_eq!((rx.messages(), rx.dropped()), (2, 0));
    }

    #[test]
    fn frames_map_to_engine_seconds() {
        // A 256-frame cycle at 48 kHz (5333 µs) starting at JACK time 10 s, JACK 2 s ahead.
        let c = CycleClock {
            start_us: 10_000_000,
            next_us: 10_005_333,
            n_frames: 256,
            offset_us: 2_000_000,
        };
        assert!((c.seconds_at(0) - 8.0).abs() < 1e-9);
        assert!((c.seconds_at(128) - 8.0026665).abs() < 1e-6);
        assert!(c.seconds_at(10_000) <= c.seconds_at(256));
        let q = Arc::new(InputQueue::new());
        let rx = Receiver::new(q.clone(), 1);
        let events: [(u32, &[u8]); 3] = [(0, &[0x90, 60, 1]), (64, &[0xFE]), (255, &[0x80, 60, 0])];
        assert_eq!(receive_cycle(&rx, &c, events.into_iter()), 2);
        let got = drain(&q);
        assert_eq!(got.len(), 2);
        assert!(got[0].at < got[1].at);
    }

    #[test]
    fn an_inputs_stamps_never_go_back() {
        let q = Arc::new(InputQueue::new());
        let rx = Receiver::new(q.clone(), 0);
        rx.receive(2.0, &[0x90, 60, 1]);
        rx.receive(1.999, &[0x80, 60, 0]);
        rx.receive(2.5, &[0x90, 62, 1]);
        let at: Vec<f64> = drain(&q).iter().map(|m| m.at).collect();
        assert_eq!(at, vec![2.0, 2.0, 2.5]);
    }
}
