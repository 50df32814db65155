//! The engine: a look-ahead scheduler thread driving the [`SchedulerCore`] against the
//! [`TempoClock`] and handing timed events to sinks.
//!
//! The control side (REPL, file watcher, library users) talks to the scheduler thread
//! through a channel of [`Command`]s; the scheduler thread only `try_recv`s. Programs are
//! compiled and compared off this thread; a failed evaluation never reaches it. Old
//! programs are dropped here, on the scheduler thread, never on a dispatch thread or an
//! audio callback. Every stop, pause, seek, panic and shutdown releases every sounding note.
//!
//! Input: each tick the scheduler drains [`Engine::input`] and stamps every message to take
//! effect at the beat it arrived at, or at the frontier (the first beat not yet queried)
//! if that is later, so nothing already sent changes. The last [`RECENT_INPUT`] messages
//! are readable with [`Engine::recent_input`] (learn mode, `:stats`), and
//! [`Engine::record_input`] hands every stamped message to a recorder, whose file a render
//! replays to the same events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use patter_pattern::control::Stamped;
use patter_pattern::{Program, Time};

use crate::clock::{TapTempo, TempoClock};
use crate::metrics::{LatenessHistogram, Metrics};
use crate::scheduler::{LoadMode, Notice, Phase, Quant, Scheduled, SchedulerCore};
use crate::sink::{EventTimes, Sink};

/// Engine settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// How far ahead of the clock events are computed and handed to sinks (seconds).
    pub lookahead: f64,
    /// How often the scheduler wakes (seconds).
    pub tick: f64,
    /// Starting tempo (BPM).
    pub tempo: f64,
    /// Beats per bar (the default quantization).
    pub beats_per_bar: Time,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            lookahead: 0.1,
            tick: 0.005,
            tempo: 120.0,
            beats_per_bar: Time::int(4),
        }
    }
}

/// Requests to the scheduler thread.
pub enum Command {
    /// Swap in a program (see [`SchedulerCore::load`]); `tempo` is applied at the boundary
    /// when given.
    Load {
        /// The program.
        program: Box<Program>,
        /// Replace the set, or merge into it.
        mode: LoadMode,
        /// Quantization (None: one bar).
        quant: Option<Quant>,
        /// Continue in phase or restart.
        phase: Phase,
        /// Tempo to set, if the program sets one.
        tempo: Option<f64>,
    },
    /// Stop these players at their next bar.
    Stop(Vec<String>),
    /// Stop every player at the next bar.
    Hush,
    /// Start or resume the transport.
    Play,
    /// Pause where we are.
    Pause,
    /// Stop the transport and go back to beat 0.
    StopTransport,
    /// Jump to a beat.
    Seek(Time),
    /// Loop between two beats (None: no loop).
    Loop(Option<(Time, Time)>),
    /// Set the tempo at the next unscheduled beat, optionally ramping over some beats.
    Tempo {
        /// Target BPM.
        bpm: f64,
        /// Ramp length in beats (None: at once).
        ramp: Option<Time>,
    },
    /// A tap-tempo tap.
    Tap,
    /// Add a sink.
    AddSink(Box<dyn Sink>),
    /// Remove (and close) a sink by name.
    RemoveSink(String),
    /// All notes off on every sink.
    Panic,
    /// Mute or unmute a player at once.
    Mute(String, bool),
    /// Send a MIDI message on every sink now (a control change from a script).
    SendNow(crate::midi::MidiMsg),
    /// Stop the engine (releases everything, closes sinks).
    Shutdown,
}

/// A snapshot of the transport.
#[derive(Clone, Debug, PartialEq)]
pub struct TransportState {
    /// Identifies this engine run.
    pub session: u64,
    /// Playing or not.
    pub running: bool,
    /// Position in beats.
    pub beat: f64,
    /// Time played since the start, in seconds.
    pub seconds: f64,
    /// Current tempo.
    pub tempo: f64,
    /// Sample rate, where a sink has one.
    pub sample_rate: Option<u32>,
    /// Buffer size in frames, where a sink has one.
    pub buffer_size: Option<u32>,
    /// When this snapshot was taken (seconds since the engine started).
    pub at: f64,
    /// Players playing or about to.
    pub players: Vec<String>,
    /// Loop range, if looping.
    pub looping: Option<(f64, f64)>,
}

struct Shared {
    transport: Mutex<TransportState>,
    metrics: Mutex<Metrics>,
    notices: Mutex<Vec<Notice>>,
    subscribers: Mutex<Vec<Sender<Metrics>>>,
    recent_input: Mutex<Vec<InputRecord>>,
    input_tap: Mutex<Option<Sender<Stamped>>>,
}

/// Input messages kept for [`Engine::recent_input`].
pub const RECENT_INPUT: usize = 64;

/// One input message as the scheduler took it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputRecord {
    /// The input it came from (see [`crate::input::MidiIn::port`]).
    pub port: u16,
    /// MIDI channel, 0–15 (shown to people as 1–16).
    pub channel: u8,
    /// Status high nibble: 0x80 note off, 0x90 note on, 0xB0 control change, …
    pub kind: u8,
    /// Note or controller number (first data byte).
    pub number: u8,
    /// Velocity or controller value (second data byte; 0 when there is none).
    pub value: u8,
    /// The beat it takes effect at.
    pub beat: Time,
}

/// A scene: builds a program when launched.
pub type SceneBuilder = Box<dyn Fn() -> Program + Send>;

/// Handle to a running engine.
pub struct Engine {
    scenes: std::collections::HashMap<String, SceneBuilder>,
    tx: Sender<Command>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    origin: Instant,
    alive: Arc<AtomicBool>,
    input: Arc<crate::input::InputQueue>,
}

impl Engine {
    /// Start the scheduler thread (the transport starts stopped; send [`Command::Play`]).
    pub fn start(config: EngineConfig) -> Engine {
        let origin = Instant::now();
        let (tx, rx) = channel();
        let session = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let shared = Arc::new(Shared {
            transport: Mutex::new(TransportState {
                session,
                running: false,
                beat: 0.0,
                seconds: 0.0,
                tempo: config.tempo,
                sample_rate: None,
                buffer_size: None,
                at: 0.0,
                players: Vec::new(),
                looping: None,
            }),
            metrics: Mutex::new(Metrics::default()),
            notices: Mutex::new(Vec::new()),
            subscribers: Mutex::new(Vec::new()),
            recent_input: Mutex::new(Vec::with_capacity(RECENT_INPUT)),
            input_tap: Mutex::new(None),
        });
        let alive = Arc::new(AtomicBool::new(true));
        let input = Arc::new(crate::input::InputQueue::new());
        let thread_input = input.clone();
        let thread_shared = shared.clone();
        let thread_alive = alive.clone();
        let thread = std::thread::Builder::new()
            .name("patter-scheduler".into())
            .spawn(move || {
                crate::priority::raise_current_thread();
                let mut s = SchedulerThread::new(config, origin, rx, thread_shared, session);
                s.input = thread_input;
                // A panic inside the loop must not leave notes sounding.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.run()));
                if result.is_err() {
                    s.release_all();
                }
                s.close_sinks();
                thread_alive.store(false, Ordering::Release);
            })
            .ok();
        Engine {
            scenes: std::collections::HashMap::new(),
            tx,
            shared,
            thread,
            origin,
            alive,
            input,
        }
    }

    /// The queue that MIDI inputs push into (see [`crate::input`]).
    pub fn input(&self) -> Arc<crate::input::InputQueue> {
        self.input.clone()
    }

    /// The last [`RECENT_INPUT`] input messages, oldest first.
    pub fn recent_input(&self) -> Vec<InputRecord> {
        match self.shared.recent_input.lock() {
            Ok(r) => r.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Receive every input message from now on, stamped with the beat it takes effect at
    /// (write them out to replay the performance with a render). A new call replaces the
    /// previous recorder.
    pub fn record_input(&self) -> Receiver<Stamped> {
        let (tx, rx) = channel();
        match self.shared.input_tap.lock() {
            Ok(mut t) => *t = Some(tx),
            Err(p) => *p.into_inner() = Some(tx),
        }
        rx
    }

    /// Send a command (false if the engine has stopped).
    pub fn send(&self, cmd: Command) -> bool {
        self.tx.send(cmd).is_ok()
    }

    /// Register a named scene: a closure that builds the program to play when the scene is
    /// launched (it runs on the caller's thread at launch, never on the scheduler's).
    pub fn register_scene(
        &mut self,
        name: impl Into<String>,
        build: impl Fn() -> Program + Send + 'static,
    ) {
        self.scenes.insert(name.into(), Box::new(build));
    }

    /// Launch a scene at the next bar: its players replace the ones playing (players it
    /// does not contain stop at that bar); the tempo is left as it is. False when there is
    /// no such scene.
    pub fn launch_scene(&self, name: &str) -> bool {
        let Some(build) = self.scenes.get(name) else {
            return false;
        };
        // The tempo stays as it is (send `Command::Tempo` to change it with the scene).
        let program = build();
        self.send(Command::Load {
            program: Box::new(program),
            mode: LoadMode::Replace,
            quant: None,
            phase: Phase::Continue,
            tempo: None,
        })
    }

    /// Names of the registered scenes.
    pub fn scene_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.scenes.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Send a control change now on every MIDI output.
    pub fn control_change(&self, channel: u8, controller: u8, value: u8) -> bool {
        self.send(Command::SendNow(crate::midi::MidiMsg::cc(
            channel, controller, value,
        )))
    }

    /// The time origin (deadlines are seconds since it).
    pub fn origin(&self) -> Instant {
        self.origin
    }

    /// The latest transport snapshot.
    pub fn transport(&self) -> TransportState {
        match self.shared.transport.lock() {
            Ok(t) => t.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The latest metrics.
    pub fn metrics(&self) -> Metrics {
        match self.shared.metrics.lock() {
            Ok(m) => m.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Notices (swaps, muted players) since the last call.
    pub fn take_notices(&self) -> Vec<Notice> {
        match self.shared.notices.lock() {
            Ok(mut n) => std::mem::take(&mut *n),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }

    /// Receive a metrics snapshot about every 100 ms.
    pub fn subscribe(&self) -> Receiver<Metrics> {
        let (tx, rx) = channel();
        if let Ok(mut subs) = self.shared.subscribers.lock() {
            subs.push(tx);
        }
        rx
    }

    /// True while the scheduler thread runs.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    /// Stop the engine, releasing every note and closing the sinks.
    pub fn shutdown(&mut self) {
        let _ = self.tx.send(Command::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// True when an event with `out: route` goes to the sink called `name`: the whole name
/// (`midi:FluidSynth`) or its kind (`midi`, `jack-midi`, `smf`).
fn routes_to(name: &str, route: &str) -> bool {
    name == route || name.split(':').next() == Some(route)
}

struct SchedulerThread {
    config: EngineConfig,
    origin: Instant,
    rx: Receiver<Command>,
    shared: Arc<Shared>,
    session: u64,
    core: SchedulerCore,
    clock: TempoClock,
    tap: TapTempo,
    sinks: Vec<Box<dyn Sink>>,
    running: bool,
    looping: Option<(Time, Time)>,
    played: f64,
    last_now: f64,
    events: Vec<Scheduled>,
    notices: Vec<Notice>,
    wake_lateness: LatenessHistogram,
    late_events: u64,
    events_total: u64,
    query_us: LatenessHistogram,
    last_publish: f64,
    input: Arc<crate::input::InputQueue>,
    /// Newest last; at most [`RECENT_INPUT`].
    recent: std::collections::VecDeque<InputRecord>,
    recent_changed: bool,
    /// Stamped messages not yet handed to the recorder (its lock was busy).
    to_record: Vec<Stamped>,
}

impl SchedulerThread {
    fn new(
        config: EngineConfig,
        origin: Instant,
        rx: Receiver<Command>,
        shared: Arc<Shared>,
        session: u64,
    ) -> Self {
        let clock = TempoClock::new(config.tempo);
        SchedulerThread {
            config,
            origin,
            rx,
            shared,
            session,
            core: SchedulerCore::new(Time::ZERO),
            clock,
            tap: TapTempo::default(),
            sinks: Vec::new(),
            running: false,
            looping: None,
            played: 0.0,
            last_now: 0.0,
            events: Vec::with_capacity(4096),
            notices: Vec::new(),
            wake_lateness: LatenessHistogram::default(),
            late_events: 0,
            events_total: 0,
            query_us: LatenessHistogram::default(),
            last_publish: 0.0,
            input: Arc::new(crate::input::InputQueue::new()),
            recent: std::collections::VecDeque::with_capacity(RECENT_INPUT),
            recent_changed: false,
            to_record: Vec::with_capacity(256),
        }
    }

    /// Take the queued input messages into the core's log (see the module docs).
    fn drain_input(&mut self) {
        // At most one queue's worth per tick: a flooding device cannot hold the tick up.
        for _ in 0..crate::input::InputQueue::CAPACITY {
            let Some(msg) = self.input.pop() else { break };
            let arrived = if self.running {
                // Input times are seconds since the engine's origin, as the clock's are.
                Time::from_f64_bounded(self.clock.beat_at(msg.at), 1 << 20)
            } else {
                self.core.frontier()
            };
            let mut bytes = [0u8; 3];
            let n = (msg.len as usize).min(3);
            if let (Some(dst), Some(src)) = (bytes.get_mut(..n), msg.bytes.get(..n)) {
                dst.copy_from_slice(src);
            }
            let at = self.core.push_input(arrived, bytes);
            if self.recent.len() >= RECENT_INPUT {
                self.recent.pop_front();
            }
            self.recent.push_back(InputRecord {
                port: msg.port,
                channel: msg.channel(),
                kind: msg.kind(),
                number: bytes[1],
                value: bytes[2],
                beat: at,
            });
            self.recent_changed = true;
            if self.to_record.len() < 1 << 16 {
                self.to_record.push(Stamped { at, bytes });
            }
        }
        if self.to_record.is_empty() {
            return;
        }
        if let Ok(mut tap) = self.shared.input_tap.try_lock() {
            if let Some(tx) = tap.as_ref() {
                for m in self.to_record.drain(..) {
                    if tx.send(m).is_err() {
                        // The recorder has gone.
                        *tap = None;
                        break;
                    }
                }
            }
            self.to_record.clear();
        }
    }

    fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    fn bar(&self) -> Quant {
        Quant::beats(self.config.beats_per_bar)
    }

    /// The beat playing now (not the frontier, which is ahead by the look-ahead).
    fn beat_now(&self) -> Time {
        if !self.running {
            return self.core.frontier();
        }
        let b = self.clock.beat_at(self.now());
        Time::from_f64_bounded(b, 1 << 20)
            .max(self.clock.start_beat())
            .min(self.core.frontier())
    }

    fn release_all(&mut self) {
        for s in &mut self.sinks {
            s.release_all();
        }
    }

    fn close_sinks(&mut self) {
        for s in &mut self.sinks {
            s.release_all();
            s.close();
        }
        self.sinks.clear();
    }

    /// Jump: release what sounds, reposition the core and the clock.
    fn jump(&mut self, beat: Time) {
        self.release_all();
        self.core.seek(beat);
        let start = self.now() + 0.02;
        self.clock.rebase(beat, start);
    }

    fn handle(&mut self, cmd: Command) -> bool {
        match cmd {
            Command::Load {
                program,
                mode,
                quant,
                phase,
                tempo,
            } => {
                let quant = quant.unwrap_or_else(|| self.bar());
                self.core.load(&program, mode, quant, phase);
                if let Some(bpm) = tempo {
                    if (bpm - self.clock.bpm_at(self.core.frontier())).abs() > 1e-9 {
                        let at = quant.next_at_or_after(self.core.frontier());
                        self.clock.set_tempo(bpm, at);
                    }
                }
                // The program (and its players' old versions, once swapped) is dropped on
                // this thread.
                drop(program);
            }
            Command::Stop(names) => {
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                self.core.stop(Some(&refs), self.bar());
            }
            Command::Hush => {
                self.core.stop(None, self.bar());
            }
            Command::Play => {
                if !self.running {
                    self.running = true;
                    let beat = self.core.frontier();
                    self.clock.rebase(beat, self.now() + 0.02);
                    for s in &mut self.sinks {
                        s.transport(true, beat);
                    }
                }
            }
            Command::Pause => {
                if self.running {
                    let beat = self.beat_now();
                    self.running = false;
                    self.release_all();
                    self.core.seek(beat);
                    for s in &mut self.sinks {
                        s.transport(false, beat);
                    }
                }
            }
            Command::StopTransport => {
                self.running = false;
                self.release_all();
                self.core.seek(Time::ZERO);
                self.played = 0.0;
                for s in &mut self.sinks {
                    s.transport(false, Time::ZERO);
                }
            }
            Command::Seek(beat) => {
                let beat = beat.max(Time::ZERO);
                if self.running {
                    self.jump(beat);
                } else {
                    self.core.seek(beat);
                }
            }
            Command::Loop(range) => {
                self.looping = range.filter(|(a, b)| a < b && *a >= Time::ZERO);
            }
            Command::Tempo { bpm, ramp } => {
                let at = self.core.frontier();
                match ramp {
                    Some(len) => self.clock.ramp_tempo(bpm, len, at),
                    None => self.clock.set_tempo(bpm, at),
                }
            }
            Command::Tap => {
                let now = self.now();
                if let Some(bpm) = self.tap.tap(now) {
                    let at = self.core.frontier();
                    self.clock.set_tempo(bpm, at);
                }
            }
            Command::AddSink(sink) => self.sinks.push(sink),
            Command::RemoveSink(name) => {
                if let Some(i) = self.sinks.iter().position(|s| s.name() == name) {
                    let mut s = self.sinks.remove(i);
                    s.release_all();
                    s.close();
                }
            }
            Command::Panic => {
                for s in &mut self.sinks {
                    s.panic();
                }
            }
            Command::Mute(name, muted) => self.core.set_muted(&name, muted),
            Command::SendNow(msg) => {
                for s in &mut self.sinks {
                    s.send_now(msg);
                }
            }
            Command::Shutdown => return false,
        }
        true
    }

    fn run(&mut self) {
        let tick = Duration::from_secs_f64(self.config.tick.clamp(0.0005, 0.05));
        let mut next_wake = Instant::now();
        loop {
            while let Ok(cmd) = self.rx.try_recv() {
                if !self.handle(cmd) {
                    self.release_all();
                    return;
                }
            }
            let woke = Instant::now();
            if woke > next_wake {
                self.wake_lateness
                    .record(woke.duration_since(next_wake).as_micros() as u64);
            }
            self.drain_input();
            if self.running {
                self.step();
            }
            self.publish();
            next_wake += tick;
            let now = Instant::now();
            if next_wake > now {
                std::thread::sleep(next_wake - now);
            } else {
                // Fell behind (a long query): start the grid again from now.
                next_wake = now;
            }
        }
    }

    fn step(&mut self) {
        let now = self.now();
        if self.last_now > 0.0 {
            self.played += (now - self.last_now).max(0.0);
        }
        self.last_now = now;
        let horizon = now + self.config.lookahead;
        let target = Time::from_f64_bounded(self.clock.beat_at(horizon), 1 << 20);
        let mut target = target.max(self.core.frontier());
        let t0 = Instant::now();
        self.events.clear();
        if let Some((a, b)) = self.looping {
            if self.core.frontier() < b && target >= b {
                // Play up to the loop end, then continue from the loop start at the same moment.
                let from = self.core.frontier();
                self.core.advance(b, &mut self.events, &mut self.notices);
                self.dispatch(now);
                for sink in &mut self.sinks {
                    sink.window(from, b, &self.clock);
                }
                self.events.clear();
                let end_sec = self.clock.seconds_at(b);
                self.core.seek(a);
                self.clock.rebase(a, end_sec);
                target = Time::from_f64_bounded(self.clock.beat_at(horizon), 1 << 20).max(a);
            }
        }
        let from = self.core.frontier();
        self.core
            .advance(target, &mut self.events, &mut self.notices);
        self.query_us.record(t0.elapsed().as_micros() as u64);
        self.dispatch(now);
        for sink in &mut self.sinks {
            sink.window(from, target, &self.clock);
        }
    }

    fn dispatch(&mut self, now: f64) {
        for s in &self.events {
            let times = EventTimes::of(&s.event, &self.clock, 0.0);
            self.events_total += 1;
            if times.onset < now {
                self.late_events += 1;
            }
            let route = match s.event.get("out") {
                Some(patter_pattern::Value::Str(name)) => Some(name.clone()),
                _ => None,
            };
            for sink in &mut self.sinks {
                if route.as_deref().is_none_or(|r| routes_to(sink.name(), r)) {
                    sink.schedule(&s.event, times);
                }
            }
        }
    }

    fn publish(&mut self) {
        let now = self.now();
        if !self.notices.is_empty() {
            if let Ok(mut n) = self.shared.notices.try_lock() {
                n.append(&mut self.notices);
            }
        }
        if self.recent_changed {
            if let Ok(mut r) = self.shared.recent_input.try_lock() {
                r.clear();
                r.extend(self.recent.iter().copied());
                self.recent_changed = false;
            }
        }
        let format = self.sinks.iter().find_map(|s| s.audio_format());
        if let Ok(mut t) = self.shared.transport.try_lock() {
            let beat = self.beat_now();
            *t = TransportState {
                session: self.session,
                running: self.running,
                beat: beat.to_f64(),
                seconds: self.played,
                tempo: self.clock.bpm_at(beat),
                sample_rate: format.map(|f| f.0),
                buffer_size: format.map(|f| f.1),
                at: now,
                players: self.core.players().iter().map(|p| p.to_string()).collect(),
                looping: self.looping.map(|(a, b)| (a.to_f64(), b.to_f64())),
            };
        }
        if now - self.last_publish >= 0.1 {
            self.last_publish = now;
            let m = Metrics {
                sinks: self.sinks.iter().map(|s| s.metrics()).collect(),
                scheduler_wake_late_us: self.wake_lateness.percentiles(),
                query_us: self.query_us.percentiles(),
                events: self.events_total,
                late_events: self.late_events,
                players: self.core.player_costs(),
                input_received: self.input.received(),
                input_dropped: self.input.dropped(),
            };
            if let Ok(mut subs) = self.shared.subscribers.try_lock() {
                subs.retain(|tx| tx.send(m.clone()).is_ok());
            }
            if let Ok(mut shared) = self.shared.metrics.try_lock() {
                *shared = m;
            }
        }
    }
}
