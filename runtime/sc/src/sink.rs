//! The scsynth/supernova sink: every event becomes `/s_new` in an OSC bundle stamped with
//! its wall-clock onset plus the sink's latency (0.2 s by default, SuperCollider's
//! `Server.latency`), so the server starts it on time, sample-accurately with `OffsetOut`.
//!
//! Two sockets: the scheduler thread sends events on a non-blocking one (one datagram per
//! bundle, encoded into reused buffers, never blocking); a supervisor thread owns the
//! other, registers for notifications (`/notify 1`), sends the SynthDefs, polls `/status`
//! and reads every reply. When the server stops answering, or answers with fewer
//! definitions than we sent (it restarted), the supervisor sends the definitions again and
//! tells the scheduler side to re-create its groups, and playing goes on. A server the
//! sink booted itself is booted again if it died.
//!
//! Groups: one per player (`/g_new`, or `/p_new` parallel groups on supernova so players
//! run on separate cores), created when the player's first event comes. Gated
//! definitions are released by a second bundle, `/n_set node gate 0`, at the event's
//! release time. A player with a truthy `mono` key plays one node and moves it with
//! `/n_set`.

use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use patter_pattern::{Event, Value};
use patter_runtime::sink::{EventTimes, Sink, SinkCounters, SinkMetrics};

use crate::osc::{ntp, OscWriter};
use crate::server::{BootOptions, ScServer, ServerKind};
use crate::synthdef::{read_defs, SynthDef};

/// SuperCollider's `Server.latency`.
pub const DEFAULT_LATENCY: f64 = 0.2;
/// Group of player 0 above the client's base; player `i` gets `base + GROUP_BASE + i` (see
/// [`client_base`]). NRT scores, which have no other clients, use base 0.
pub const GROUP_BASE: i32 = 1000;
/// Node ids one client uses: its base and the 2^25 ids above it.
const CLIENT_RANGE: i32 = 1 << 25;
/// Players beyond this share the last group.
const MAX_GROUPS: i32 = 8999;
/// A group the sink creates at every (re)connection and asks about now and then: when the
/// server says it does not exist, the server lost its state (restarted), even if it has as
/// many definitions as before (a server that loads a directory of them at boot).
const SENTINEL: i32 = 999;
/// First node id of synths above the client's base (above every group id).
const NODE_BASE: i32 = 10_000;
/// Largest packet the sink writes (an event with many keys stays far below).
const PACKET: usize = 8192;
/// Seconds from 1900 to 1970.
const NTP_UNIX_OFFSET: f64 = 2_208_988_800.0;

/// A definition file to send to the server: its bytes and what it defines.
#[derive(Clone, Debug)]
pub struct DefFile {
    /// Where it came from (for messages).
    pub origin: String,
    /// The `.scsyndef` bytes (the `/d_recv` blob).
    pub bytes: Vec<u8>,
    /// Definition names, with whether each has a `gate`.
    pub defs: Vec<(String, bool)>,
}

impl DefFile {
    /// One of patter's built-in (or any [`SynthDef`]) definitions.
    pub fn of(def: &SynthDef) -> DefFile {
        DefFile {
            origin: format!("built-in {}", def.name),
            bytes: def.file(),
            defs: vec![(def.name.clone(), def.gated())],
        }
    }

    /// A user's `.scsyndef` file.
    pub fn read(path: &std::path::Path) -> Result<DefFile, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if bytes.len() > 60_000 {
            return Err(format!(
                "{} is {} bytes: more than one UDP packet can carry to the server",
                path.display(),
                bytes.len()
            ));
        }
        let infos = read_defs(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(DefFile {
            origin: path.display().to_string(),
            defs: infos.iter().map(|i| (i.name.clone(), i.gated())).collect(),
            bytes,
        })
    }

    /// Every `.scsyndef` file in a directory.
    pub fn read_dir(dir: &std::path::Path) -> Result<Vec<DefFile>, String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "scsyndef"))
            .collect();
        paths.sort();
        paths.iter().map(|p| DefFile::read(p)).collect()
    }
}

/// Settings of an [`ScSink`].
#[derive(Clone, Debug)]
pub struct ScConfig {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// scsynth or supernova (parallel groups on supernova).
    pub kind: ServerKind,
    /// Seconds added to every onset.
    pub latency: f64,
    /// Definitions sent at connection and after every restart (built-ins first, then the
    /// user's, which may replace built-ins of the same name).
    pub defs: Vec<DefFile>,
    /// How often `/status` is asked for.
    pub poll: Duration,
    /// Unanswered polls after which the server counts as gone.
    pub missed_polls: u32,
    /// Boot this server (and boot it again if it dies) instead of connecting to one.
    pub boot: Option<BootOptions>,
}

impl ScConfig {
    /// Connect to a running server at `addr`, with the built-in definitions.
    pub fn connect(kind: ServerKind, addr: SocketAddr) -> ScConfig {
        ScConfig {
            addr,
            kind,
            latency: DEFAULT_LATENCY,
            defs: crate::library::builtin()
                .map(|d| d.iter().map(DefFile::of).collect())
                .unwrap_or_default(),
            poll: Duration::from_millis(100),
            missed_polls: 5,
            boot: None,
        }
    }

    /// Boot a server with these options, then connect to it.
    pub fn boot(opts: BootOptions) -> ScConfig {
        let mut c = ScConfig::connect(opts.kind, SocketAddr::from(([127, 0, 0, 1], opts.port)));
        c.boot = Some(opts);
        c
    }
}

/// What the server said in its last `/status.reply`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServerStatus {
    /// UGens running.
    pub ugens: u32,
    /// Synths running.
    pub synths: u32,
    /// Groups (the root group included).
    pub groups: u32,
    /// Definitions loaded.
    pub synthdefs: u32,
    /// Average CPU load, percent.
    pub avg_cpu: f32,
    /// Peak CPU load, percent.
    pub peak_cpu: f32,
    /// Nominal sample rate.
    pub sample_rate: f64,
}

/// State shared by the scheduler side, the supervisor and [`ScHandle`]s.
#[derive(Default)]
struct Shared {
    counters: SinkCounters,
    connected: AtomicBool,
    /// Bumped whenever the server's state was (re)built: the scheduler side re-creates its
    /// groups and forgets its mono nodes when it sees a new value.
    generation: AtomicU64,
    reconnects: AtomicU64,
    n_go: AtomicU64,
    n_end: AtomicU64,
    fails: AtomicU64,
    status_replies: AtomicU64,
    status: Mutex<ServerStatus>,
    last_fail: Mutex<String>,
    stop: AtomicBool,
    boots: AtomicU32,
    /// [`client_base`] of the client id the server gave us.
    client_base: AtomicI32,
}

/// A handle that reads an [`ScSink`]'s server health from any thread (the sink itself moves
/// into the engine).
#[derive(Clone)]
pub struct ScHandle {
    shared: Arc<Shared>,
}

impl ScHandle {
    /// True while the server answers.
    pub fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::Acquire)
    }

    /// Times the server was lost and its state rebuilt.
    pub fn reconnects(&self) -> u64 {
        self.shared.reconnects.load(Ordering::Relaxed)
    }

    /// The last `/status.reply` (CPU, node counts).
    pub fn status(&self) -> ServerStatus {
        self.shared.status.lock().map(|s| *s).unwrap_or_default()
    }

    /// `/status.reply`s received.
    pub fn status_replies(&self) -> u64 {
        self.shared.status_replies.load(Ordering::Relaxed)
    }

    /// `/n_go` notifications for the sink's synths (groups are not counted).
    pub fn n_go(&self) -> u64 {
        self.shared.n_go.load(Ordering::Relaxed)
    }

    /// `/n_end` notifications for the sink's synths.
    pub fn n_end(&self) -> u64 {
        self.shared.n_end.load(Ordering::Relaxed)
    }

    /// `/fail` replies (unknown definition, missing node, …).
    pub fn fails(&self) -> u64 {
        self.shared.fails.load(Ordering::Relaxed)
    }

    /// The last `/fail` reply, as text.
    pub fn last_fail(&self) -> String {
        self.shared
            .last_fail
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// The node id base of this client (from the id the server gave it).
    pub fn client_base(&self) -> i32 {
        self.shared.client_base.load(Ordering::Acquire)
    }

    /// The group of player number `player`.
    pub fn group_of(&self, player: u32) -> i32 {
        self.client_base() + GROUP_BASE + player.min(MAX_GROUPS as u32) as i32
    }

    /// Times the sink booted its server (1 after start when it boots one).
    pub fn boots(&self) -> u32 {
        self.shared.boots.load(Ordering::Relaxed)
    }
}

/// Plays events on scsynth or supernova. See the module documentation.
pub struct ScSink {
    name: String,
    kind: ServerKind,
    sock: UdpSocket,
    writer: OscWriter,
    latency: f64,
    origin: Instant,
    /// Unix seconds at engine second 0.
    unix_at_origin: f64,
    shared: Arc<Shared>,
    seen_generation: u64,
    groups_made: Vec<bool>,
    mono: Vec<Option<i32>>,
    next_node: i32,
    /// This client's node id base (see [`client_base`]).
    base: i32,
    defs: HashSet<Box<str>>,
    gated: HashSet<Box<str>>,
    supervisor: Option<std::thread::JoinHandle<()>>,
    server: Arc<Mutex<Option<ScServer>>>,
}

impl ScSink {
    /// Connect (booting the server first when the config says so). `origin` is the engine's
    /// time origin ([`patter_runtime::Engine::origin`]). Fails when the server does not
    /// answer `/status` within a second (or does not boot).
    pub fn start(config: ScConfig, origin: Instant) -> Result<ScSink, String> {
        let shared = Arc::new(Shared::default());
        shared.client_base.store(client_base(0), Ordering::Release);
        let server = match &config.boot {
            Some(opts) => {
                let s = ScServer::boot(opts)?;
                shared.boots.store(1, Ordering::Relaxed);
                Some(s)
            }
            None => None,
        };
        let control = socket_to(config.addr)
            .map_err(|e| format!("cannot open a UDP socket to {}: {e}", config.addr))?;
        let _ = control.set_read_timeout(Some(Duration::from_millis(20)));
        let mut sup = Supervisor {
            sock: control,
            shared: shared.clone(),
            defs: config.defs.clone(),
            def_count: count_names(&config.defs),
            writer: OscWriter::with_capacity(65_536),
            poll: config.poll.max(Duration::from_millis(10)),
            missed_polls: config.missed_polls.max(1),
            boot: config.boot.clone(),
            baseline: 0,
            events_sock: None,
            buf: vec![0; 65_536],
            sentinel_missing: false,
            notified: false,
        };
        sup.init();
        if !sup.wait_status(Duration::from_secs(1)) {
            return Err(format!(
                "no SuperCollider server answers at {} (start one with `{} -u {}`, or let patter boot it)",
                config.addr,
                config.kind.program(),
                config.addr.port()
            ));
        }
        let sock = socket_to(config.addr)
            .and_then(|s| s.set_nonblocking(true).map(|_| s))
            .map_err(|e| format!("cannot open a UDP socket to {}: {e}", config.addr))?;
        sup.events_sock = sock.try_clone().ok();
        let server = Arc::new(Mutex::new(server));
        let supervisor = {
            let server = server.clone();
            std::thread::Builder::new()
                .name("patter-sc-supervisor".into())
                .spawn(move || sup.run(&server))
                .map_err(|e| format!("cannot start the supervisor thread: {e}"))?
        };
        let unix_now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let mut defs = HashSet::new();
        let mut gated = HashSet::new();
        for f in &config.defs {
            for (name, g) in &f.defs {
                defs.insert(Box::from(name.as_str()));
                if *g {
                    gated.insert(Box::from(name.as_str()));
                } else {
                    gated.remove(name.as_str());
                }
            }
        }
        Ok(ScSink {
            name: format!("{}:{}", config.kind.program(), config.addr),
            kind: config.kind,
            sock,
            writer: OscWriter::with_capacity(PACKET),
            latency: config.latency,
            origin,
            unix_at_origin: unix_now - origin.elapsed().as_secs_f64(),
            shared,
            seen_generation: 0,
            groups_made: Vec::with_capacity(64),
            mono: Vec::with_capacity(64),
            next_node: 0,
            base: 0,
            defs,
            gated,
            supervisor: Some(supervisor),
            server,
        })
    }

    /// A handle for reading server health from another thread.
    pub fn handle(&self) -> ScHandle {
        ScHandle {
            shared: self.shared.clone(),
        }
    }

    /// Seconds added to every onset.
    pub fn set_latency(&mut self, seconds: f64) {
        if seconds.is_finite() {
            self.latency = seconds.clamp(0.0, 10.0);
        }
    }

    /// The booted server's output (its `late` count), when the sink booted it.
    pub fn server_log(&self) -> Option<Arc<crate::server::ServerLog>> {
        self.server.lock().ok()?.as_ref().map(|s| s.log())
    }

    /// The process id of the server the sink booted (None when it connected to one).
    pub fn server_pid(&self) -> Option<u32> {
        self.server.lock().ok()?.as_ref().map(|s| s.pid())
    }

    fn timetag(&self, engine_seconds: f64) -> u64 {
        ntp(self.unix_at_origin + engine_seconds + self.latency + NTP_UNIX_OFFSET)
    }

    fn send(&mut self) -> bool {
        match self.sock.send(self.writer.bytes()) {
            Ok(_) => true,
            Err(_) => {
                self.shared.counters.errors.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    fn group_of(&self, player: u32) -> i32 {
        self.base + GROUP_BASE + (player.min(MAX_GROUPS as u32) as i32)
    }

    /// Make sure the player's group exists on the server (sent at once, ahead of the
    /// event's bundle).
    fn ensure_group(&mut self, player: u32) -> bool {
        let slot = player.min(MAX_GROUPS as u32) as usize;
        if self.groups_made.get(slot).copied().unwrap_or(false) {
            return true;
        }
        let cmd = match self.kind {
            ServerKind::Scsynth => "/g_new",
            ServerKind::Supernova => "/p_new",
        };
        self.writer.clear();
        let group = self.group_of(player);
        self.writer.start_message(cmd).int(group).int(1).int(0);
        self.writer.end_message();
        if !self.send() {
            return false;
        }
        if self.groups_made.len() <= slot {
            self.groups_made.resize(slot + 1, false);
        }
        if let Some(g) = self.groups_made.get_mut(slot) {
            *g = true;
        }
        true
    }

    fn new_node(&mut self) -> i32 {
        let n = self.next_node.clamp(NODE_BASE, CLIENT_RANGE - 1);
        self.next_node = if n >= CLIENT_RANGE - 1 {
            NODE_BASE
        } else {
            n + 1
        };
        self.base + n
    }

    fn check_generation(&mut self) {
        let g = self.shared.generation.load(Ordering::Acquire);
        if g != self.seen_generation {
            self.seen_generation = g;
            self.base = self.shared.client_base.load(Ordering::Acquire);
            self.groups_made.iter_mut().for_each(|m| *m = false);
            self.mono.iter_mut().for_each(|m| *m = None);
        }
    }

    /// Send `msg` to every group now (after dropping what is scheduled).
    fn clear_groups(&mut self, cmd: &str, gate_zero: bool) {
        self.writer.clear();
        self.writer.start_message("/clearSched");
        self.writer.end_message();
        self.send();
        for i in 0..self.groups_made.len() {
            if !self.groups_made.get(i).copied().unwrap_or(false) {
                continue;
            }
            self.writer.clear();
            let group = self.group_of(i as u32);
            self.writer.start_message(cmd).int(group);
            if gate_zero {
                self.writer.string("gate").float(0.0);
            }
            self.writer.end_message();
            self.send();
        }
        self.mono.iter_mut().for_each(|m| *m = None);
    }
}

/// The definition an event plays: its `instrument`, else its `s` when that names a loaded
/// definition (so Tidal-style `s: "kick hat"` works) or a usual drum name (`bd`, `sn`, `hh`,
/// `cp`), else `default`.
pub(crate) fn def_name<'e>(event: &'e Event, defs: &HashSet<Box<str>>) -> &'e str {
    if let Some(Value::Str(s)) = event.get("instrument") {
        return s;
    }
    if let Some(Value::Str(s)) = event.get("s") {
        if defs.contains(&**s) {
            return s;
        }
        // Tidal's usual drum names (`bd:3` too) play the built-in drums.
        let alias = match s.split(':').next().unwrap_or_default() {
            "bd" | "kick" => "kick",
            "sn" | "sd" | "snare" => "snare",
            "hh" | "ch" | "oh" | "hat" => "hat",
            "cp" | "clap" => "clap",
            _ => "default",
        };
        if alias != "default" && defs.contains(alias) {
            return alias;
        }
    }
    "default"
}

/// Every numeric key as a control (name, float), then `sustain` in seconds.
pub(crate) fn write_controls(w: &mut OscWriter, event: &Event, sustain: f32) {
    for (k, v) in &event.params {
        if matches!(&**k, "instrument" | "mono" | "sustain" | "s") {
            continue;
        }
        if let Some(x) = v.as_num() {
            if x.is_finite() {
                w.string(k).float(x as f32);
            }
        }
    }
    w.string("sustain").float(sustain);
}

/// The first node id patter uses when the server gave it `client_id` (`/done /notify ID`).
///
/// sclang gives client `c` the ids `c << 26` up to `(c + 1) << 26`, and its temporary
/// ids count up from 1000 in that range; patter takes the upper half of its own client's
/// range, so it collides neither with other clients nor with an sclang that shares its
/// client id (supernova answers 0 to everyone).
pub fn client_base(client_id: i32) -> i32 {
    client_id.rem_euclid(32) * (1 << 26) + CLIENT_RANGE
}

/// A UDP socket connected to `addr` (bound to loopback for a local server, so nothing else
/// on the network can reach it, and to every interface otherwise).
fn socket_to(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let local: SocketAddr = match addr {
        SocketAddr::V4(a) if a.ip().is_loopback() => ([127, 0, 0, 1], 0).into(),
        SocketAddr::V4(_) => ([0, 0, 0, 0], 0).into(),
        SocketAddr::V6(a) if a.ip().is_loopback() => (std::net::Ipv6Addr::LOCALHOST, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let s = UdpSocket::bind(local)?;
    s.connect(addr)?;
    Ok(s)
}

fn fail_of(args: &[rosc::OscType], cmd: &str) -> bool {
    matches!(args.first(), Some(rosc::OscType::String(c)) if c == cmd)
}

fn is_synth(args: &[rosc::OscType], base: i32) -> bool {
    matches!(args.first(), Some(rosc::OscType::Int(id))
        if id.wrapping_sub(base) >= NODE_BASE && id.wrapping_sub(base) < CLIENT_RANGE)
}

fn count_names(defs: &[DefFile]) -> u32 {
    let names: HashSet<&str> = defs
        .iter()
        .flat_map(|f| f.defs.iter().map(|(n, _)| n.as_str()))
        .collect();
    names.len() as u32
}

impl Sink for ScSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn latency(&self) -> f64 {
        self.latency
    }

    fn schedule(&mut self, event: &Event, times: EventTimes) {
        if !self.shared.connected.load(Ordering::Acquire) {
            self.shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.check_generation();
        if !self.ensure_group(event.player) {
            return;
        }
        let now = self.origin.elapsed().as_secs_f64();
        let due = times.onset + self.latency;
        let late_us = ((now - due).max(0.0) * 1e6) as u64;
        let sustain = (times.release - times.onset).max(0.0) as f32;
        let mono = event.get("mono").is_some_and(Value::is_truthy);
        let slot = event.player.min(MAX_GROUPS as u32) as usize;
        let def = def_name(event, &self.defs);
        let gated = self.gated.contains(def);
        let tag = self.timetag(times.onset);
        let existing = if mono {
            self.mono.get(slot).copied().flatten()
        } else {
            None
        };
        self.writer.start_bundle(tag);
        let node = match existing {
            Some(node) => {
                self.writer.start_message("/n_set").int(node);
                write_controls(&mut self.writer, event, sustain);
                self.writer.string("gate").float(1.0);
                node
            }
            None => {
                let node = self.new_node();
                let group = self.group_of(event.player);
                self.writer
                    .start_message("/s_new")
                    .string(def)
                    .int(node)
                    .int(1)
                    .int(group);
                write_controls(&mut self.writer, event, sustain);
                node
            }
        };
        self.writer.end_message();
        if !self.send() {
            return;
        }
        self.shared.counters.record_sent(late_us, 0);
        if mono {
            if self.mono.len() <= slot {
                self.mono.resize(slot + 1, None);
            }
            if let Some(m) = self.mono.get_mut(slot) {
                *m = Some(node);
            }
        } else if gated {
            let tag = self.timetag(times.release.max(times.onset));
            self.writer.start_bundle(tag);
            self.writer
                .start_message("/n_set")
                .int(node)
                .string("gate")
                .float(0.0);
            self.writer.end_message();
            self.send();
        }
    }

    fn release_all(&mut self) {
        self.clear_groups("/n_set", true);
    }

    fn panic(&mut self) {
        self.clear_groups("/g_freeAll", false);
    }

    fn metrics(&self) -> SinkMetrics {
        let mut m = self.shared.counters.snapshot(&self.name, 0);
        m.connected = self.shared.connected.load(Ordering::Acquire);
        // The supervisor holds this lock only to copy a reply in; never wait on it here.
        if self.shared.status_replies.load(Ordering::Relaxed) > 0 {
            if let Ok(s) = self.shared.status.try_lock() {
                m.server = Some(patter_runtime::sink::ServerLoad {
                    avg_cpu: s.avg_cpu,
                    peak_cpu: s.peak_cpu,
                    synths: s.synths,
                    groups: s.groups,
                    ugens: s.ugens,
                    synthdefs: s.synthdefs,
                });
            }
        }
        m
    }

    fn close(&mut self) {
        if self.shared.connected.load(Ordering::Acquire) && self.seen_generation > 0 {
            // Leave the server as we found it: our groups go once the releases sent by
            // `release_all` have sounded.
            let at = self.timetag(self.origin.elapsed().as_secs_f64() + 3.0);
            self.writer.start_bundle(at);
            self.writer
                .start_message("/n_free")
                .int(self.base + SENTINEL);
            for i in 0..self.groups_made.len() {
                if self.groups_made.get(i).copied().unwrap_or(false) {
                    let group = self.group_of(i as u32);
                    self.writer.int(group);
                }
            }
            self.writer.end_message();
            self.send();
        }
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.supervisor.take() {
            let _ = t.join();
        }
        // A server we booted is stopped here (its Drop sends SIGTERM).
        let server = self.server.lock().ok().and_then(|mut s| s.take());
        drop(server);
    }
}

impl Drop for ScSink {
    fn drop(&mut self) {
        if self.supervisor.is_some() {
            self.close();
        }
    }
}

impl std::fmt::Debug for ScSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScSink").field("name", &self.name).finish()
    }
}

/// The supervisor thread's side: handshake, definitions, health polling, replies.
struct Supervisor {
    sock: UdpSocket,
    shared: Arc<Shared>,
    defs: Vec<DefFile>,
    def_count: u32,
    writer: OscWriter,
    poll: Duration,
    missed_polls: u32,
    boot: Option<BootOptions>,
    /// Most definitions the server reported since we last sent ours: fewer than that
    /// later means it restarted.
    baseline: u32,
    /// A clone of the scheduler side's (non-blocking) socket.
    events_sock: Option<UdpSocket>,
    /// Receive buffer (the largest UDP datagram).
    buf: Vec<u8>,
    /// The server said our sentinel group does not exist.
    sentinel_missing: bool,
    /// The server answered our last `/notify 1`.
    notified: bool,
}

impl Supervisor {
    fn send_msg(&mut self) {
        let _ = self.sock.send(self.writer.bytes());
    }

    fn base(&self) -> i32 {
        self.shared.client_base.load(Ordering::Acquire)
    }

    /// Register for notifications (and learn our client id), send every definition, and
    /// have groups made again.
    fn init(&mut self) {
        self.writer.clear();
        self.writer.start_message("/notify").int(1);
        self.writer.end_message();
        self.send_msg();
        // The client id decides our node ids: wait for it before anything uses them.
        self.notified = false;
        let deadline = Instant::now() + Duration::from_millis(500);
        while !self.notified && Instant::now() < deadline {
            self.read_until(Instant::now() + Duration::from_millis(20));
        }
        for file in &self.defs {
            self.writer.clear();
            self.writer.start_message("/d_recv").blob(&file.bytes);
            self.writer.end_message();
            let _ = self.sock.send(self.writer.bytes());
        }
        // The sentinel: a group of ours that only a restart (or `/g_freeAll 0`) removes.
        self.writer.clear();
        let sentinel = self.base() + SENTINEL;
        self.writer
            .start_message("/g_new")
            .int(sentinel)
            .int(0)
            .int(0);
        self.writer.end_message();
        self.send_msg();
        self.baseline = 0;
        self.sentinel_missing = false;
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn ask_sentinel(&mut self) {
        self.writer.clear();
        let sentinel = self.base() + SENTINEL;
        self.writer.start_message("/n_query").int(sentinel);
        self.writer.end_message();
        self.send_msg();
    }

    fn ask_status(&mut self) {
        self.writer.clear();
        self.writer.start_message("/status");
        self.writer.end_message();
        self.send_msg();
    }

    /// Read replies until `until`; true if a `/status.reply` came.
    fn read_until(&mut self, until: Instant) -> Option<ServerStatus> {
        let mut buf = std::mem::take(&mut self.buf);
        let got = self.read_into(&mut buf, until);
        self.buf = buf;
        got
    }

    fn read_into(&mut self, buf: &mut [u8], until: Instant) -> Option<ServerStatus> {
        let mut got = None;
        while Instant::now() < until {
            // Replies to the scheduler side's commands (`/fail` for an unknown definition)
            // come back to its socket.
            while let Some(Ok(n)) = self.events_sock.as_ref().map(|s| s.recv(buf)) {
                if let Ok((_, packet)) = rosc::decoder::decode_udp(buf.get(..n).unwrap_or_default())
                {
                    self.handle(packet);
                }
            }
            let Ok(n) = self.sock.recv(buf) else {
                continue;
            };
            let Ok((_, packet)) = rosc::decoder::decode_udp(buf.get(..n).unwrap_or_default())
            else {
                continue;
            };
            if let Some(s) = self.handle(packet) {
                got = Some(s);
            }
        }
        got
    }

    fn handle(&mut self, packet: rosc::OscPacket) -> Option<ServerStatus> {
        let m = match packet {
            rosc::OscPacket::Message(m) => m,
            rosc::OscPacket::Bundle(b) => {
                let mut got = None;
                for p in b.content {
                    got = self.handle(p).or(got);
                }
                return got;
            }
        };
        match m.addr.as_str() {
            // Only our synths count (groups' ids are below NODE_BASE).
            "/n_go" if is_synth(&m.args, self.base()) => {
                self.shared.n_go.fetch_add(1, Ordering::Relaxed);
            }
            "/n_end" if is_synth(&m.args, self.base()) => {
                self.shared.n_end.fetch_add(1, Ordering::Relaxed);
            }
            // Our own housekeeping: the sentinel is gone (the server lost its state); or,
            // after a reconnection to the same server, we were still registered or a group
            // made again already existed.
            "/fail" if fail_of(&m.args, "/n_query") => self.sentinel_missing = true,
            "/done" if fail_of(&m.args, "/notify") => {
                if let Some(rosc::OscType::Int(id)) = m.args.get(1) {
                    self.shared
                        .client_base
                        .store(client_base(*id), Ordering::Release);
                }
                self.notified = true;
            }
            // Still registered (a reconnection to the same server): the id is unchanged.
            "/fail" if fail_of(&m.args, "/notify") => self.notified = true,
            "/fail"
                if ["/g_new", "/p_new", "/notify"]
                    .iter()
                    .any(|c| fail_of(&m.args, c)) => {}
            "/fail" => {
                self.shared.fails.fetch_add(1, Ordering::Relaxed);
                let text: Vec<String> = m
                    .args
                    .iter()
                    .map(|a| match a {
                        rosc::OscType::String(s) => s.clone(),
                        rosc::OscType::Int(i) => i.to_string(),
                        rosc::OscType::Float(x) => x.to_string(),
                        other => format!("{other:?}"),
                    })
                    .collect();
                if let Ok(mut f) = self.shared.last_fail.lock() {
                    // `/s_new: SynthDef not found`
                    *f = match text.split_first() {
                        Some((cmd, rest)) => format!("{cmd}: {}", rest.join(" ")),
                        None => String::new(),
                    };
                }
            }
            "/status.reply" => {
                let num = |i: usize| -> f64 {
                    match m.args.get(i) {
                        Some(rosc::OscType::Int(x)) => *x as f64,
                        Some(rosc::OscType::Float(x)) => *x as f64,
                        Some(rosc::OscType::Double(x)) => *x,
                        _ => 0.0,
                    }
                };
                return Some(ServerStatus {
                    ugens: num(1) as u32,
                    synths: num(2) as u32,
                    groups: num(3) as u32,
                    synthdefs: num(4) as u32,
                    avg_cpu: num(5) as f32,
                    peak_cpu: num(6) as f32,
                    sample_rate: num(7),
                });
            }
            _ => {}
        }
        None
    }

    fn wait_status(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            self.ask_status();
            if let Some(s) = self.read_until(Instant::now() + Duration::from_millis(100)) {
                self.record(s);
                self.shared.connected.store(true, Ordering::Release);
                return true;
            }
        }
        false
    }

    fn record(&self, s: ServerStatus) {
        self.shared.status_replies.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut st) = self.shared.status.lock() {
            *st = s;
        }
    }

    fn run(mut self, server: &Mutex<Option<ScServer>>) {
        let mut missed = 0u32;
        while !self.shared.stop.load(Ordering::Acquire) {
            self.ask_sentinel();
            self.ask_status();
            let reply = self.read_until(Instant::now() + self.poll);
            match reply {
                Some(s) => {
                    self.record(s);
                    missed = 0;
                    let was_connected = self.shared.connected.load(Ordering::Acquire);
                    let restarted = s.synthdefs < self.baseline.min(self.def_count)
                        || std::mem::take(&mut self.sentinel_missing);
                    self.baseline = self.baseline.max(s.synthdefs);
                    if !was_connected || restarted {
                        // Back after an absence, or a fresh server behind the same port:
                        // everything we had there is gone. Events flow again only once the
                        // definitions are on their way and groups will be made anew.
                        self.shared.reconnects.fetch_add(1, Ordering::Relaxed);
                        self.init();
                    }
                    self.shared.connected.store(true, Ordering::Release);
                }
                None => {
                    missed += 1;
                    if missed >= self.missed_polls {
                        self.shared.connected.store(false, Ordering::Release);
                        self.reboot_if_dead(server);
                    }
                }
            }
        }
        // Free our place in the server's table of clients (it holds a few dozen).
        self.writer.clear();
        self.writer.start_message("/notify").int(0);
        self.writer.end_message();
        self.send_msg();
    }

    /// A server we booted that has exited is booted again.
    fn reboot_if_dead(&mut self, server: &Mutex<Option<ScServer>>) {
        let Some(opts) = self.boot.clone() else {
            return;
        };
        let Ok(mut guard) = server.lock() else {
            return;
        };
        let dead = guard.as_mut().is_none_or(|s| !s.is_running());
        if dead {
            drop(guard.take());
            if let Ok(s) = ScServer::boot(&opts) {
                *guard = Some(s);
                self.shared.boots.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
