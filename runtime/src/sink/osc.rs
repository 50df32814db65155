//! OSC over UDP: a SuperDirt sink speaking Tidal's `/dirt/play` (`--out dirt[:HOST:PORT]`)
//! and a generic sink sending any address with arguments taken from event keys
//! (`--out osc:HOST:PORT/address?args=midinote,amp`).
//!
//! Timestamped bundles are encoded and sent on the scheduler thread, ahead of time, as Tidal
//! does: the receiver (SuperDirt, scsynth, a DAW) plays them at their timetag. The encoder is
//! our own rather than rosc's, because rosc builds each message from owned `String`s: ours
//! writes straight into buffers reserved when the sink is made, so after the first events no
//! memory is allocated per message (the tests decode its output with rosc). The socket is non-blocking: a send that fails is
//! counted in the sink's `errors`, never waited on. Unbundled ("immediate") messages for
//! receivers that ignore timetags go through a small dispatch thread that sends each one at
//! its time. OSC timetags are NTP time (`CLOCK_REALTIME`); engine seconds map onto it once,
//! when the sink is made.

use std::io::Write as _;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossbeam_queue::ArrayQueue;
use patter_pattern::{Event, Time, Value};

use super::{EventTimes, Sink, SinkCounters, SinkMetrics};
use crate::clock::TempoClock;

/// SuperDirt's port (sclang's default `NetAddr.langPort`).
pub const DIRT_PORT: u16 = 57120;
/// Tidal's `oLatency` for SuperDirt and SuperCollider's `Server.latency`: seconds added to
/// every onset so the receiver has time to schedule it.
pub const DEFAULT_LATENCY: f64 = 0.2;
/// Keys Tidal sends as OSC ints (`pI` parameters); every other number is a float.
const INT_KEYS: &[&str] = &["cut", "orbit", "channel", "coarse", "octave"];
/// Keys that steer patter itself and mean nothing to the receiver.
const SKIP_KEYS: &[&str] = &["out", "dur"];
/// Seconds between 1900 (NTP's epoch) and 1970 (Unix's).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
/// The OSC timetag meaning "immediately".
pub const TIMETAG_NOW: u64 = 1;
/// Room for one message in the immediate-mode queue.
const SLOT: usize = 256;
/// Immediate-mode messages waiting at most.
const QUEUE: usize = 1024;

/// `CLOCK_REALTIME` seconds (since 1970) to an NTP timetag.
pub fn ntp_timetag(unix_seconds: f64) -> u64 {
    if !unix_seconds.is_finite() || unix_seconds < 0.0 {
        return TIMETAG_NOW;
    }
    let whole = unix_seconds.floor();
    let frac = ((unix_seconds - whole) * 4_294_967_296.0)
        .round()
        .min(4_294_967_295.0) as u64;
    let secs = (whole as u64).saturating_add(NTP_UNIX_OFFSET) & 0xffff_ffff;
    (secs << 32) | frac
}

/// An NTP timetag to `CLOCK_REALTIME` seconds (since 1970).
pub fn timetag_unix_seconds(tag: u64) -> f64 {
    (tag >> 32) as f64 - NTP_UNIX_OFFSET as f64 + (tag & 0xffff_ffff) as f64 / 4_294_967_296.0
}

/// Builds one OSC message in reused buffers (no allocation once they have grown).
#[derive(Default)]
struct MsgBuf {
    tags: Vec<u8>,
    args: Vec<u8>,
}

fn pad4(buf: &mut Vec<u8>) {
    while buf.len() % 4 != 0 {
        buf.push(0);
    }
}

/// An OSC string: the bytes, a NUL, padding to four bytes. A NUL inside is cut there.
fn osc_string(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    buf.extend_from_slice(bytes.get(..end).unwrap_or(&[]));
    buf.push(0);
    pad4(buf);
}

impl MsgBuf {
    fn clear(&mut self) {
        self.tags.clear();
        self.tags.push(b',');
        self.args.clear();
    }

    fn int(&mut self, x: i32) {
        self.tags.push(b'i');
        self.args.extend_from_slice(&x.to_be_bytes());
    }

    fn float(&mut self, x: f32) {
        self.tags.push(b'f');
        self.args.extend_from_slice(&x.to_be_bytes());
    }

    fn string(&mut self, s: &str) {
        self.tags.push(b's');
        osc_string(&mut self.args, s);
    }

    fn display(&mut self, x: impl std::fmt::Display) {
        self.tags.push(b's');
        let _ = write!(self.args, "{x}");
        self.args.push(0);
        pad4(&mut self.args);
    }

    /// A value as Tidal types it: ints for `INT_KEYS`, floats for other numbers, strings,
    /// booleans as ints. False for values OSC cannot carry (rests, chords).
    fn value(&mut self, key: &str, v: &Value) -> bool {
        match v {
            Value::Num(x) if x.is_finite() => {
                if INT_KEYS.contains(&key) {
                    self.int(x.round().clamp(i32::MIN as f64, i32::MAX as f64) as i32);
                } else {
                    self.float(*x as f32);
                }
            }
            Value::Str(s) => self.string(s),
            Value::Bool(b) => self.int(i32::from(*b)),
            Value::Num(_) | Value::Chord(_) | Value::Rest => return false,
        }
        true
    }

    /// The message (address, type tags, arguments) appended to `out`.
    fn finish(&self, addr: &str, out: &mut Vec<u8>) {
        osc_string(out, addr);
        out.extend_from_slice(&self.tags);
        out.push(0);
        pad4(out);
        out.extend_from_slice(&self.args);
    }
}

/// Wrap the message in `msg` as a bundle with `timetag` into `out`.
fn bundle(timetag: u64, msg: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(b"#bundle\0");
    out.extend_from_slice(&timetag.to_be_bytes());
    out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    out.extend_from_slice(msg);
}

/// What the sink sends for each event.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// SuperDirt's `/dirt/play`: name/value pairs of every key plus `cps`, `cycle`,
    /// `delta`, `orbit` and `_id_`, Tidal's types.
    Dirt,
    /// A message to `address` with the listed keys' values as arguments, in order; `None`
    /// sends name/value pairs of every key.
    Template {
        /// OSC address.
        address: String,
        /// Argument keys and their types.
        args: Option<Vec<TemplateArg>>,
    },
}

/// One argument of a generic OSC template: `midinote`, `midinote:i`, `s:s`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateArg {
    /// The event key (or `beat`, `cycle`, `delta`, `sustain`, `player`).
    pub key: String,
    /// `i`, `f` or `s`; None: as the value is (numbers as floats).
    pub ty: Option<char>,
}

/// An OSC sink over UDP.
pub struct OscSink {
    name: String,
    shape: Shape,
    target: SocketAddr,
    socket: UdpSocket,
    counters: Arc<SinkCounters>,
    /// `CLOCK_REALTIME` seconds at engine second 0.
    wall_origin: f64,
    origin: Instant,
    latency: f64,
    nudge: f64,
    bundled: bool,
    players: Vec<String>,
    seconds_per_beat: f64,
    msg: MsgBuf,
    body: Vec<u8>,
    packet: Vec<u8>,
    immediate: Option<Immediate>,
}

struct Pending {
    at_ns: u64,
    len: u16,
    data: [u8; SLOT],
}

/// The dispatch thread for unbundled messages.
struct Immediate {
    queue: Arc<ArrayQueue<Pending>>,
    clear: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Immediate {
    fn start(
        socket: UdpSocket,
        target: SocketAddr,
        origin: Instant,
        counters: Arc<SinkCounters>,
    ) -> Immediate {
        let queue = Arc::new(ArrayQueue::new(QUEUE));
        let clear = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (q, c, s) = (queue.clone(), clear.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("patter-osc-dispatch".into())
            .spawn(move || {
                crate::priority::raise_current_thread();
                let mut waiting: Vec<Pending> = Vec::with_capacity(QUEUE);
                while !s.load(Ordering::Acquire) {
                    if c.swap(false, Ordering::AcqRel) {
                        waiting.clear();
                        while q.pop().is_some() {}
                    }
                    while waiting.len() < QUEUE {
                        let Some(p) = q.pop() else { break };
                        waiting.push(p);
                    }
                    let now = origin.elapsed().as_nanos() as u64;
                    let mut next = now + 2_000_000;
                    let mut i = 0;
                    while i < waiting.len() {
                        let Some(p) = waiting.get(i) else { break };
                        if p.at_ns <= now {
                            let late_us = (now - p.at_ns) / 1000;
                            let bytes = p.data.get(..p.len as usize).unwrap_or(&[]);
                            match socket.send_to(bytes, target) {
                                Ok(_) => counters.record_sent(late_us, 1000),
                                Err(_) => {
                                    counters.errors.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            // `remove`, not `swap_remove`: messages due together keep
                            // the order they were scheduled in.
                            waiting.remove(i);
                        } else {
                            next = next.min(p.at_ns);
                            i += 1;
                        }
                    }
                    let wait = next.saturating_sub(origin.elapsed().as_nanos() as u64);
                    if wait > 0 {
                        std::thread::sleep(Duration::from_nanos(wait.min(2_000_000)));
                    }
                }
            })
            .ok();
        Immediate {
            queue,
            clear,
            stop,
            thread,
        }
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Immediate {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn resolve(hostport: &str) -> Result<SocketAddr, String> {
    hostport
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{hostport}`: {e}"))?
        .next()
        .ok_or_else(|| format!("`{hostport}` has no address"))
}

fn parse_seconds(key: &str, v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() && (-10.0..=60.0).contains(&x) => Ok(x),
        _ => Err(format!("`{key}={v}`: give seconds between -10 and 60")),
    }
}

impl OscSink {
    /// Open an output from its `--out` text: `dirt`, `dirt:HOST:PORT`, or
    /// `osc:HOST:PORT/address`, each optionally followed by `?key=value&…` with `latency`
    /// (seconds, default 0.2), `nudge` (seconds, default 0), `mode` (`bundle`, the default,
    /// or `now` for unbundled messages sent at their time) and, for `osc`, `args` (the
    /// template: `args=midinote:i,amp`). `origin` is the engine's time origin.
    pub fn open(spec: &str, origin: Instant) -> Result<OscSink, String> {
        let (main, query) = spec.split_once('?').unwrap_or((spec, ""));
        let (kind, rest) = main.split_once(':').unwrap_or((main, ""));
        let (target, shape, name) = match kind {
            "dirt" => {
                let hostport = if rest.is_empty() {
                    format!("127.0.0.1:{DIRT_PORT}")
                } else {
                    rest.to_string()
                };
                let target = resolve(&hostport)?;
                (target, Shape::Dirt, format!("dirt:{hostport}"))
            }
            "osc" => {
                let Some((hostport, path)) = rest.split_once('/') else {
                    return Err(format!(
                        "`{spec}`: give osc:HOST:PORT/address (e.g. osc:127.0.0.1:9000/note)"
                    ));
                };
                let target = resolve(hostport)?;
                let address = format!("/{path}");
                (
                    target,
                    Shape::Template {
                        address: address.clone(),
                        args: None,
                    },
                    format!("osc:{hostport}{address}"),
                )
            }
            _ => return Err(format!("`{spec}` is not an OSC output (dirt or osc:…)")),
        };
        let mut sink = OscSink::new(name, target, shape, origin)?;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "latency" => sink.latency = parse_seconds(k, v)?,
                "nudge" => sink.nudge = parse_seconds(k, v)?,
                "mode" => match v {
                    "bundle" => sink.set_bundled(true),
                    "now" => sink.set_bundled(false),
                    _ => return Err(format!("`mode={v}`: give bundle or now")),
                },
                "args" => match &mut sink.shape {
                    Shape::Template { args, .. } => *args = Some(parse_template(v)?),
                    Shape::Dirt => return Err("`args` is for osc: outputs".to_string()),
                },
                _ => {
                    return Err(format!(
                        "unknown setting `{k}` (latency, nudge, mode, args)"
                    ))
                }
            }
        }
        Ok(sink)
    }

    /// A sink sending `shape` to `target`; bundles with the default latency.
    pub fn new(
        name: impl Into<String>,
        target: SocketAddr,
        shape: Shape,
        origin: Instant,
    ) -> Result<OscSink, String> {
        let bind: SocketAddr = if target.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        let socket = UdpSocket::bind(bind).map_err(|e| format!("cannot open a UDP socket: {e}"))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| format!("cannot make the UDP socket non-blocking: {e}"))?;
        let now_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let mut msg = MsgBuf::default();
        msg.tags.reserve(256);
        msg.args.reserve(4096);
        Ok(OscSink {
            name: name.into(),
            shape,
            target,
            socket,
            counters: Arc::new(SinkCounters::default()),
            wall_origin: now_unix - origin.elapsed().as_secs_f64(),
            origin,
            latency: DEFAULT_LATENCY,
            nudge: 0.0,
            bundled: true,
            players: Vec::new(),
            seconds_per_beat: 0.5,
            msg,
            body: Vec::with_capacity(4096),
            packet: Vec::with_capacity(4096),
            immediate: None,
        })
    }

    /// Seconds added to every onset (default 0.2, as Tidal and SuperCollider).
    pub fn set_latency(&mut self, seconds: f64) {
        if seconds.is_finite() {
            self.latency = seconds;
        }
    }

    /// Seconds added to every timetag on top of the latency (Tidal's `nudge`, for lining up
    /// with other outputs).
    pub fn set_nudge(&mut self, seconds: f64) {
        if seconds.is_finite() {
            self.nudge = seconds;
        }
    }

    /// Timestamped bundles (true, the default) or unbundled messages sent at their time.
    pub fn set_bundled(&mut self, bundled: bool) {
        self.bundled = bundled;
        if bundled {
            self.immediate = None;
        } else if self.immediate.is_none() {
            match self.socket.try_clone() {
                Ok(sock) => {
                    self.immediate = Some(Immediate::start(
                        sock,
                        self.target,
                        self.origin,
                        self.counters.clone(),
                    ))
                }
                Err(_) => self.bundled = true,
            }
        }
    }

    /// Player names, so `/dirt/play` carries them as `_id_` (otherwise the player's number
    /// from 1, like Tidal's `d1`).
    pub fn set_players(&mut self, names: Vec<String>) {
        self.players = names;
    }

    /// The tempo until the first window says otherwise (for `cps` and `delta`).
    pub fn set_tempo(&mut self, bpm: f64) {
        if bpm.is_finite() && bpm > 0.0 {
            self.seconds_per_beat = 60.0 / bpm;
        }
    }

    /// Where the messages go.
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// `CLOCK_REALTIME` seconds (since 1970) at engine second 0: a timetag minus this is
    /// the engine time it was stamped for.
    pub fn wall_origin(&self) -> f64 {
        self.wall_origin
    }

    /// The OSC timetag for an onset at `engine_seconds` plus `extra` seconds.
    fn timetag(&self, engine_seconds: f64, extra: f64) -> u64 {
        ntp_timetag(self.wall_origin + engine_seconds + self.latency + self.nudge + extra)
    }

    fn encode_dirt(&mut self, e: &Event, times: EventTimes) {
        let spb = if e.sustain > 0.0 && times.release > times.onset {
            (times.release - times.onset) / e.sustain
        } else {
            self.seconds_per_beat
        };
        let whole_cycles = (e.whole.end - e.whole.begin).to_f64();
        let dur_beats = e.dur.to_f64();
        let cycle_beats = if whole_cycles > 0.0 && dur_beats > 0.0 {
            dur_beats / whole_cycles
        } else {
            4.0
        };
        let m = &mut self.msg;
        m.clear();
        m.string("_id_");
        match self.players.get(e.player as usize) {
            Some(name) => m.string(name),
            None => m.display(u64::from(e.player) + 1),
        }
        m.string("cps");
        m.float((1.0 / (cycle_beats * spb)) as f32);
        m.string("cycle");
        m.float(e.whole.begin.to_f64() as f32);
        m.string("delta");
        m.float((dur_beats * spb) as f32);
        let explicit_n = e.get("n").is_some();
        let mut orbit = false;
        for (k, v) in &e.params {
            let key: &str = k;
            if SKIP_KEYS.contains(&key) {
                continue;
            }
            match (key, v) {
                ("s", Value::Str(s)) => {
                    // Tidal's `sound "bd:3"` is `s "bd" # n 3`.
                    let split = s
                        .split_once(':')
                        .and_then(|(name, n)| n.parse::<f64>().ok().map(|n| (name, n)));
                    match split {
                        Some((name, n)) if !explicit_n => {
                            m.string("s");
                            m.string(name);
                            m.string("n");
                            m.float(n as f32);
                        }
                        _ => {
                            m.string("s");
                            m.string(s);
                        }
                    }
                }
                // patter's sustain is in beats; SuperDirt's in seconds.
                ("sustain", _) => {
                    m.string("sustain");
                    m.float((times.release - times.onset).max(0.0) as f32);
                }
                _ => {
                    // Name first, then the value; a value OSC cannot carry takes its name back.
                    let (tags, args) = (m.tags.len(), m.args.len());
                    m.string(key);
                    if !m.value(key, v) {
                        m.tags.truncate(tags);
                        m.args.truncate(args);
                        continue;
                    }
                    orbit |= key == "orbit";
                }
            }
        }
        if !orbit {
            m.string("orbit");
            m.int(0);
        }
        self.body.clear();
        self.msg.finish("/dirt/play", &mut self.body);
    }

    /// False when a template key is missing from the event.
    fn encode_template(&mut self, e: &Event, times: EventTimes, spb: f64) -> bool {
        let Shape::Template { address, args } = &self.shape else {
            return false;
        };
        let m = &mut self.msg;
        m.clear();
        match args {
            None => {
                for (k, v) in &e.params {
                    let (tags, len) = (m.tags.len(), m.args.len());
                    m.string(k);
                    if !m.value(k, v) {
                        m.tags.truncate(tags);
                        m.args.truncate(len);
                    }
                }
            }
            Some(template) => {
                for arg in template {
                    let value = match arg.key.as_str() {
                        "beat" => Some(Value::Num(e.beat.to_f64())),
                        "cycle" => Some(Value::Num(e.whole.begin.to_f64())),
                        "delta" => Some(Value::Num(e.dur.to_f64() * spb)),
                        "sustain" => Some(Value::Num((times.release - times.onset).max(0.0))),
                        "player" => Some(Value::Num(f64::from(e.player))),
                        k => e.get(k).cloned(),
                    };
                    let Some(v) = value else {
                        return false;
                    };
                    let ok = match (arg.ty, &v) {
                        (Some('i'), v) => match v.as_num().filter(|x| x.is_finite()) {
                            Some(x) => {
                                m.int(x.round().clamp(i32::MIN as f64, i32::MAX as f64) as i32);
                                true
                            }
                            None => false,
                        },
                        (Some('f'), v) => match v.as_num().filter(|x| x.is_finite()) {
                            Some(x) => {
                                m.float(x as f32);
                                true
                            }
                            None => false,
                        },
                        (Some('s'), Value::Str(s)) => {
                            m.string(s);
                            true
                        }
                        (Some('s'), Value::Num(x)) => {
                            m.display(x);
                            true
                        }
                        (_, v) => m.value("", v),
                    };
                    if !ok {
                        return false;
                    }
                }
            }
        }
        self.body.clear();
        self.msg.finish(address, &mut self.body);
        true
    }

    fn send(&mut self, onset: f64, extra: f64) {
        if self.bundled {
            let tag = self.timetag(onset, extra);
            bundle(tag, &self.body, &mut self.packet);
            let now = self.origin.elapsed().as_secs_f64();
            let due = onset + self.latency + self.nudge + extra;
            let late_us = ((now - due).max(0.0) * 1e6) as u64;
            match self.socket.send_to(&self.packet, self.target) {
                Ok(_) => self.counters.record_sent(late_us, 1000),
                Err(_) => {
                    self.counters.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        } else if let Some(imm) = &self.immediate {
            let at = (onset + self.latency + self.nudge + extra).max(0.0);
            let mut p = Pending {
                at_ns: (at * 1e9) as u64,
                len: 0,
                data: [0; SLOT],
            };
            match p.data.get_mut(..self.body.len()) {
                Some(d) => {
                    d.copy_from_slice(&self.body);
                    p.len = self.body.len() as u16;
                    if imm.queue.push(p).is_err() {
                        self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                // Too long for an unbundled slot.
                None => {
                    self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Parse `midinote:i,amp,s:s`.
pub fn parse_template(text: &str) -> Result<Vec<TemplateArg>, String> {
    text.split(',')
        .filter(|a| !a.is_empty())
        .map(|a| {
            let (key, ty) = match a.split_once(':') {
                Some((k, "i")) => (k, Some('i')),
                Some((k, "f")) => (k, Some('f')),
                Some((k, "s")) => (k, Some('s')),
                Some((_, t)) => {
                    return Err(format!("`{a}`: the type after `:` is i, f or s, not `{t}`"))
                }
                None => (a, None),
            };
            Ok(TemplateArg {
                key: key.to_string(),
                ty,
            })
        })
        .collect()
}

impl Sink for OscSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn latency(&self) -> f64 {
        self.latency
    }

    fn schedule(&mut self, event: &Event, times: EventTimes) {
        match self.shape {
            Shape::Dirt => {
                self.encode_dirt(event, times);
                // Tidal adds the event's own `nudge` to its timetag.
                let nudge = event
                    .get("nudge")
                    .and_then(Value::as_num)
                    .filter(|x| x.is_finite())
                    .unwrap_or(0.0);
                self.send(times.onset, nudge);
            }
            Shape::Template { .. } => {
                let spb = if event.sustain > 0.0 && times.release > times.onset {
                    (times.release - times.onset) / event.sustain
                } else {
                    self.seconds_per_beat
                };
                if self.encode_template(event, times, spb) {
                    self.send(times.onset, 0.0);
                } else {
                    self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn release_all(&mut self) {
        // Bundles already sent belong to the receiver now; unbundled ones still wait here.
        if let Some(imm) = &self.immediate {
            imm.clear.store(true, Ordering::Release);
        }
    }

    fn window(&mut self, _from: Time, to: Time, clock: &TempoClock) {
        let bpm = clock.bpm_at(to);
        if bpm.is_finite() && bpm > 0.0 {
            self.seconds_per_beat = 60.0 / bpm;
        }
    }

    fn metrics(&self) -> SinkMetrics {
        let depth = self.immediate.as_ref().map(|i| i.queue.len()).unwrap_or(0);
        self.counters.snapshot(&self.name, depth)
    }

    fn close(&mut self) {
        if let Some(imm) = &mut self.immediate {
            imm.shutdown();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use patter_pattern::TimeSpan;
    use rosc::{OscPacket, OscType};

    fn event(params: Vec<(&str, Value)>) -> Event {
        let mut params: Vec<(patter_pattern::Key, Value)> = params
            .into_iter()
            .map(|(k, v)| (patter_pattern::Key::new(k), v))
            .collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        Event {
            player: 1,
            whole: TimeSpan::new(Time::new(1, 2), Time::new(5, 8)),
            beat: Time::int(2),
            dur: Time::new(1, 2),
            sustain: 0.25,
            params: params.into(),
        }
    }

    fn listener() -> UdpSocket {
        let l = UdpSocket::bind("127.0.0.1:0").unwrap();
        // A guard against a hang if nothing arrives, not a timing assertion.
        l.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        l
    }

    fn receive(l: &UdpSocket) -> OscPacket {
        let mut buf = [0u8; 4096];
        let n = l.recv(&mut buf).unwrap();
        rosc::decoder::decode_udp(buf.get(..n).unwrap()).unwrap().1
    }

    fn pairs(args: &[OscType]) -> Vec<(String, OscType)> {
        args.chunks(2)
            .map(|c| (c[0].clone().string().unwrap(), c[1].clone()))
            .collect()
    }

    #[test]
    fn dirt_play_has_tidal_names_types_and_timetag() {
        let l = listener();
        let origin = Instant::now();
        let addr = l.local_addr().unwrap();
        let mut s = OscSink::open(&format!("dirt:{addr}?nudge=0.01"), origin).unwrap();
        s.set_players(vec!["drums".into(), "bass".into()]);
        let e = event(vec![
            ("s", Value::str("bd:3")),
            ("cut", Value::Num(1.0)),
            ("speed", Value::Num(2.0)),
            ("vowel", Value::str("a")),
            ("out", Value::str("dirt")),
            ("dur", Value::Num(0.5)),
            ("loop", Value::Bool(true)),
        ]);
        // 120 BPM: a beat is 0.5 s, the sustain of 0.25 beats 0.125 s.
        s.schedule(
            &e,
            EventTimes {
                onset: 3.0,
                release: 3.125,
            },
        );
        let OscPacket::Bundle(b) = receive(&l) else {
            panic!("expected a bundle")
        };
        let stamped = timetag_unix_seconds(
            u64::from(b.timetag.seconds) << 32 | u64::from(b.timetag.fractional),
        );
        // onset 3.0 + latency 0.2 + nudge 0.01, on the engine clock.
        assert!((stamped - s.wall_origin() - 3.21).abs() < 1e-6, "{stamped}");
        let [OscPacket::Message(m)] = b.content.as_slice() else {
            panic!("one message per bundle")
        };
        assert_eq!(m.addr, "/dirt/play");
        let got = pairs(&m.args);
        let get = |k: &str| got.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("_id_"), Some(OscType::String("bass".into())));
        assert_eq!(get("s"), Some(OscType::String("bd".into())));
        assert_eq!(get("n"), Some(OscType::Float(3.0)));
        assert_eq!(get("cut"), Some(OscType::Int(1)));
        assert_eq!(get("orbit"), Some(OscType::Int(0)));
        assert_eq!(get("speed"), Some(OscType::Float(2.0)));
        assert_eq!(get("vowel"), Some(OscType::String("a".into())));
        assert_eq!(get("loop"), Some(OscType::Int(1)));
        // Whole of 1/8 cycle = half a beat: 4 beats a cycle at 0.5 s = 0.5 cycles/s.
        assert_eq!(get("cps"), Some(OscType::Float(0.5)));
        assert_eq!(get("cycle"), Some(OscType::Float(0.5)));
        assert_eq!(get("delta"), Some(OscType::Float(0.25)));
        assert_eq!(get("out"), None);
        assert_eq!(get("dur"), None);
        let m = s.metrics();
        assert_eq!((m.sent, m.errors), (1, 0));
    }

    #[test]
    fn generic_template_sends_typed_arguments_or_drops_the_event() {
        let l = listener();
        let addr = l.local_addr().unwrap();
        let mut s = OscSink::open(
            &format!("osc:{addr}/synth/note?args=midinote:i,amp,s,beat&latency=0"),
            Instant::now(),
        )
        .unwrap();
        let times = EventTimes {
            onset: 1.0,
            release: 1.1,
        };
        s.schedule(
            &event(vec![
                ("midinote", Value::Num(61.6)),
                ("amp", Value::Num(0.25)),
                ("s", Value::str("pluck")),
            ]),
            times,
        );
        // No `midinote`: not sent, counted as dropped.
        s.schedule(&event(vec![("amp", Value::Num(0.25))]), times);
        let OscPacket::Bundle(b) = receive(&l) else {
            panic!("expected a bundle")
        };
        let stamped = timetag_unix_seconds(
            u64::from(b.timetag.seconds) << 32 | u64::from(b.timetag.fractional),
        );
        assert!((stamped - s.wall_origin() - 1.0).abs() < 1e-6);
        let [OscPacket::Message(m)] = b.content.as_slice() else {
            panic!("one message")
        };
        assert_eq!(m.addr, "/synth/note");
        assert_eq!(
            m.args,
            vec![
                OscType::Int(62),
                OscType::Float(0.25),
                OscType::String("pluck".into()),
                OscType::Float(2.0)
            ]
        );
        let m = s.metrics();
        assert_eq!((m.sent, m.dropped), (1, 1));
    }

    #[test]
    fn immediate_mode_sends_bare_messages_at_their_time() {
        let l = listener();
        let addr = l.local_addr().unwrap();
        let origin = Instant::now();
        let mut s = OscSink::open(
            &format!("osc:{addr}/hit?args=amp&mode=now&latency=0"),
            origin,
        )
        .unwrap();
        let e = event(vec![("amp", Value::Num(0.5))]);
        let onset = origin.elapsed().as_secs_f64() + 0.05;
        s.schedule(
            &e,
            EventTimes {
                onset,
                release: onset + 0.1,
            },
        );
        let p = receive(&l);
        // It is sent no earlier than its time (the dispatch thread waits for it).
        assert!(origin.elapsed().as_secs_f64() >= onset);
        let OscPacket::Message(m) = p else {
            panic!("expected a bare message")
        };
        assert_eq!(
            (m.addr.as_str(), m.args),
            ("/hit", vec![OscType::Float(0.5)])
        );
        s.close();
    }

    #[test]
    fn bad_specs_are_errors() {
        let o = Instant::now();
        for bad in [
            "osc:127.0.0.1:9000",
            "osc:127.0.0.1:9000/x?args=a:q",
            "dirt?latency=abc",
            "dirt?mode=later",
            "dirt?args=a",
            "dirt?colour=red",
            "midi:x",
        ] {
            assert!(OscSink::open(bad, o).is_err(), "{bad}");
        }
        let s = OscSink::open("dirt", o).unwrap();
        assert_eq!(s.name(), "dirt:127.0.0.1:57120");
        assert_eq!(s.latency(), DEFAULT_LATENCY);
    }

    #[test]
    fn timetags_round_trip() {
        for t in [0.0, 1.5, 1_700_000_000.123_456] {
            assert!((timetag_unix_seconds(ntp_timetag(t)) - t).abs() < 1e-6);
        }
        assert_eq!(ntp_timetag(f64::NAN), TIMETAG_NOW);
        assert_eq!(ntp_timetag(0.0) >> 32, NTP_UNIX_OFFSET);
    }
}
