//! The live session: the one place that owns the engine while a performer plays, shared by
//! the REPL, the file watcher and the network service.
//!
//! A session holds *documents*. A file is a document replaced wholly on each evaluation. The
//! REPL is the document `repl`, amended block by block: a block is compiled after the text
//! of the earlier accepted blocks (so it sees their `let`s, functions and settings), and
//! when it is accepted its items join that history — a later `play a` replaces the earlier
//! one, `stop a` and `hush` drop play items. Each document compiles on its own; the session
//! merges the documents' players (the most recently evaluated document wins a name) and
//! loads the whole set with [`LoadMode::Replace`], so stopped players stop and unchanged
//! players are untouched (the scheduler compares players structurally). A block or file
//! with errors changes nothing that plays.
//!
//! Every operation is reachable through one [`Request`]/[`Response`] pair (serde, JSON
//! friendly) behind the [`Backend`] trait, so the REPL can talk to a session in this process
//! or to one in `patter serve` over a socket, unchanged.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use patter_lang::ast::{ItemKind, Setting};
use patter_lang::{Diagnostic, FileId, Severity, Sources};
use patter_pattern::{
    Bind, Budget, Event, EventPat, Key, Player, Program, QueryCache, StreamRef, Time, TimeSpan,
};
use patter_runtime::scheduler::{LoadMode, Notice, Phase, Quant};
use patter_runtime::sink::{EventTimes, Sink, SinkMetrics};
use patter_runtime::{Command, Engine, EngineConfig};
use serde::{Deserialize, Serialize};

use crate::loader::FsLoader;

/// The REPL's document name.
pub const REPL_DOC: &str = "repl";

/// Seconds the engine computes ahead (its default look-ahead), used to predict boundaries.
const LOOKAHEAD: f64 = 0.1;

/// Longest block or file accepted for evaluation (a live set's file is a few KB).
const MAX_SOURCE: usize = 4 * 1024 * 1024;

/// Outputs open at once (each may hold a device, a thread or a file).
const MAX_SINKS: usize = 64;

/// Engine notices kept until asked for.
const MAX_NOTICES: usize = 256;

/// Documents a session keeps (files loaded or watched, plus the REPL).
const MAX_DOCS: usize = 256;

/// How to start a session.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Starting tempo.
    pub tempo: f64,
    /// Beats per bar (the default quantization of every change).
    pub beats_per_bar: Time,
    /// Seed overriding every document's own `seed` setting.
    pub seed: Option<u64>,
    /// Output specs (`jack-midi`, `midi:NAME`, `smf:FILE.mid`, `null`, …).
    pub outputs: Vec<String>,
    /// Latency added by every output opened at start (seconds).
    pub latency: f64,
    /// Start the transport at once (so a `play` lands on the next bar).
    pub play: bool,
    /// `--samples` folders for the synth outputs.
    pub samples: Vec<std::path::PathBuf>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            tempo: 120.0,
            beats_per_bar: Time::int(4),
            seed: None,
            outputs: Vec::new(),
            latency: 0.0,
            play: true,
            samples: Vec::new(),
        }
    }
}

/// Something the REPL can drive: a session here, or one in another process.
pub trait Backend {
    /// Carry out one request.
    fn request(&mut self, request: Request) -> Response;
}

/// Everything a client can ask of a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    /// Evaluate a document (a file's whole text, or a REPL block for `repl`).
    Eval {
        /// Document name: `repl`, or a file path (imports are relative to it).
        doc: String,
        /// Its text (for `repl`: the new block).
        source: String,
        /// Render the diagnostics with terminal colours.
        #[serde(default)]
        color: bool,
    },
    /// Set the tempo at the next unscheduled beat, optionally ramping over beats.
    Tempo {
        /// Beats per minute (1–1000).
        bpm: f64,
        /// Ramp length in beats.
        #[serde(default)]
        ramp: Option<f64>,
    },
    /// A tap-tempo tap.
    Tap,
    /// Start or resume the transport.
    Play,
    /// Pause where we are.
    Pause,
    /// Stop the transport and go back to beat 0.
    Stop,
    /// Stop these players at their next bar (they stay stopped until re-evaluated).
    StopPlayers {
        /// Player names.
        players: Vec<String>,
    },
    /// Jump to a beat.
    Seek {
        /// The beat.
        beat: f64,
    },
    /// Loop between two beats; `None` ends the loop.
    Loop {
        /// `[from, to)` in beats.
        #[serde(default)]
        range: Option<(f64, f64)>,
    },
    /// Stop every player at the next bar.
    Hush,
    /// All notes off now, on every output.
    Panic,
    /// Mute or unmute a player at once.
    Mute {
        /// Player name.
        player: String,
        /// True to mute.
        on: bool,
    },
    /// Only these players sound (empty: everyone again).
    Solo {
        /// Player names.
        players: Vec<String>,
    },
    /// The players and their state.
    Players,
    /// The engine's metrics.
    Stats,
    /// A stage of one player as text.
    Show {
        /// What to show.
        what: ShowWhat,
        /// The player.
        player: String,
    },
    /// The outputs.
    Sinks,
    /// Open an output (`jack-midi`, `midi:NAME`, `midi-virtual:NAME`, `smf:F.mid`, `null`).
    AddSink {
        /// Output spec.
        spec: String,
        /// Latency in seconds.
        #[serde(default)]
        latency: f64,
    },
    /// Close an output by name.
    RemoveSink {
        /// Sink name as listed.
        name: String,
    },
    /// Reopen an output with another latency.
    SetLatency {
        /// Sink name as listed.
        name: String,
        /// Seconds (-1 to 10).
        seconds: f64,
    },
    /// Record what plays to a MIDI file (`path`), or stop recording (`None`).
    Record {
        /// Where to write; `None` stops and writes the file.
        #[serde(default)]
        path: Option<String>,
    },
    /// The transport.
    Transport,
    /// Everything needed to resume the session elsewhere.
    Snapshot,
    /// Names of the documents, in evaluation order.
    Docs,
    /// What the engine reported since the last ask (swaps done, players muted for
    /// producing too many events).
    Notices,
    /// Launch a declared scene at the next bar (or its players' quant): its players play;
    /// unless the scene is `keep`, every other player stops.
    Launch {
        /// Scene name.
        scene: String,
    },
    /// The declared scenes (of every document).
    Scenes,
    /// Set one key of a playing player to any patter expression (`0.5`, `"0.2 0.5"`,
    /// `seq([1, 2])`) without re-evaluating its definition; it takes effect at once (from
    /// the next unscheduled event), or at the player's own `quant`.
    Set {
        /// Player name.
        player: String,
        /// Key (`amp`, `degree`, …).
        key: String,
        /// The value, as patter source.
        value: String,
    },
    /// Evaluate a snapshot's documents and take its tempo and transport (resume).
    Restore {
        /// The snapshot.
        state: SessionState,
    },
    /// The MIDI inputs, their state and counters, and the latest control change (`:midi`,
    /// `:learn`).
    Midi,
}

/// Which stage `show` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowWhat {
    /// The syntax tree of the player's `play` item.
    Ast,
    /// The compiled player.
    Ir,
    /// The events of its next cycle.
    Events,
}

/// Answers to [`Request`]s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Response {
    /// An evaluation's result.
    Eval(EvalReply),
    /// Done; a short message for the performer.
    Done {
        /// What happened.
        message: String,
    },
    /// The request could not be carried out.
    Error {
        /// Why.
        message: String,
    },
    /// The players.
    Players {
        /// One per player in the set.
        players: Vec<PlayerInfo>,
    },
    /// Metrics.
    Stats(Stats),
    /// Text (`show`).
    Text {
        /// The text.
        text: String,
    },
    /// The outputs.
    Sinks {
        /// One per output.
        sinks: Vec<SinkInfo>,
    },
    /// The transport.
    Transport(Transport),
    /// A snapshot.
    Snapshot(SessionState),
    /// Document names.
    Docs {
        /// In evaluation order.
        docs: Vec<String>,
    },
    /// Declared scenes.
    Scenes {
        /// One per scene, in declaration order.
        scenes: Vec<SceneInfo>,
    },
    /// Engine notices, oldest first.
    Notices {
        /// The notices.
        notices: Vec<NoticeData>,
    },
    /// The MIDI inputs.
    Midi(crate::midi_learn::MidiStatus),
}

/// A declared scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SceneInfo {
    /// Name.
    pub name: String,
    /// Its players.
    pub players: Vec<String>,
    /// Launching it keeps the other players.
    pub keep: bool,
    /// It was launched last (or with `keep` since) and its players play.
    pub live: bool,
}

/// Something the engine did on its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoticeData {
    /// `swapped`, `stopped` or `muted` (a player that produced too many events; the others
    /// play on).
    pub kind: String,
    /// The player.
    pub player: String,
    /// Where.
    pub beat: f64,
}

/// The result of evaluating a document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalReply {
    /// True when accepted (no errors): what plays has been updated.
    pub ok: bool,
    /// The document.
    pub doc: String,
    /// Errors and warnings, with spans in the evaluated text (the block, for `repl`).
    pub diagnostics: Vec<DiagnosticData>,
    /// The diagnostics rendered (ariadne), against the evaluated text.
    pub rendered: String,
    /// What changes, and at which beat.
    pub changes: Vec<PlayerChange>,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
    /// True when the only errors say the input ended early (an open bracket or string).
    pub incomplete: bool,
    /// Files the document imported (for watching).
    pub imports: Vec<String>,
    /// Tempo applied by this evaluation, if it set one.
    pub tempo: Option<f64>,
    /// Time from receiving the text to the swap being sent to the scheduler (µs).
    #[serde(default)]
    pub eval_us: u64,
}

impl EvalReply {
    /// What happened, in one line for a terminal.
    pub fn summary(&self) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if !self.ok {
            if self.incomplete {
                return "nothing changed: the input ends in the middle of something".into();
            }
            return format!(
                "nothing changed: {} error{}",
                self.errors,
                plural(self.errors)
            );
        }
        let mut parts = Vec::new();
        let mut unchanged = Vec::new();
        for c in &self.changes {
            let at = c.beat.map(patter_pattern::fmt_num).unwrap_or_default();
            match c.change {
                ChangeKind::Started => parts.push(format!("{} starts at beat {at}", c.player)),
                ChangeKind::Changed => parts.push(format!("{} changes at beat {at}", c.player)),
                ChangeKind::Stopped => parts.push(format!("{} stops at beat {at}", c.player)),
                ChangeKind::Unchanged => unchanged.push(c.player.as_str()),
            }
        }
        if let Some(t) = self.tempo {
            parts.push(format!("tempo {}", patter_pattern::fmt_num(t)));
        }
        if parts.is_empty() {
            parts.push("no player changes".into());
        }
        let mut line = parts.join(", ");
        if !unchanged.is_empty() {
            line.push_str(&format!(" (unchanged: {})", unchanged.join(", ")));
        }
        if self.warnings > 0 {
            line.push_str(&format!(
                " — {} warning{}",
                self.warnings,
                plural(self.warnings)
            ));
        }
        line
    }
}

/// One diagnostic as data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticData {
    /// Stable code (`E0101`).
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    /// One-line summary.
    pub message: String,
    /// Primary label first.
    pub labels: Vec<LabelData>,
    /// How to fix it.
    pub help: Option<String>,
}

/// A labelled span.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelData {
    /// The file: the document for its own text, or an imported file's name.
    pub file: String,
    /// Byte offsets `[start, end)`.
    pub start: usize,
    /// See `start`.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column of `start`, in characters.
    pub col: usize,
    /// 1-based line of `end`.
    pub end_line: usize,
    /// 1-based column of `end`, in characters.
    pub end_col: usize,
    /// What the label says.
    pub message: String,
}

/// How a player changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// New.
    Started,
    /// Its definition changed.
    Changed,
    /// It stops.
    Stopped,
    /// Same as before: it plays on untouched.
    Unchanged,
}

/// One player's change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlayerChange {
    /// The player.
    pub player: String,
    /// What happens.
    pub change: ChangeKind,
    /// The boundary beat where it happens (`None` when unchanged).
    pub beat: Option<f64>,
}

/// A player as listed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlayerInfo {
    /// Name.
    pub name: String,
    /// The document that defines it.
    pub doc: String,
    /// Muted (by the session or its document).
    pub muted: bool,
    /// Soloed.
    pub soloed: bool,
}

/// Percentiles in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PercentilesData {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Maximum.
    pub max: u64,
}

/// An output's counters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SinkStats {
    /// Name.
    pub name: String,
    /// Messages sent.
    pub sent: u64,
    /// Sent late.
    pub late: u64,
    /// Worst lateness (µs).
    pub late_us_max: u64,
    /// Dropped.
    pub dropped: u64,
    /// Device errors.
    pub errors: u64,
    /// False while its device is gone.
    pub connected: bool,
    /// A sound server's own report (SuperCollider): CPU percent and node counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerStats>,
}

/// What a sound server says about itself (SuperCollider's `/status.reply`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerStats {
    /// Average CPU load, percent.
    pub avg_cpu: f32,
    /// Peak CPU load, percent.
    pub peak_cpu: f32,
    /// Synths running.
    pub synths: u32,
    /// Groups.
    pub groups: u32,
    /// Unit generators running.
    pub ugens: u32,
    /// Definitions loaded.
    pub synthdefs: u32,
}

/// One player's cost.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerStats {
    /// Name.
    pub name: String,
    /// Query time per window.
    pub query_us: PercentilesData,
    /// Budget overruns.
    pub overruns: u64,
    /// Muted by the runtime.
    pub muted: bool,
}

/// The engine's metrics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Events scheduled.
    pub events: u64,
    /// Events scheduled after their onset.
    pub late_events: u64,
    /// Scheduler wake-up lateness.
    pub scheduler_wake_late_us: PercentilesData,
    /// Query time per tick.
    pub query_us: PercentilesData,
    /// Per output.
    pub sinks: Vec<SinkStats>,
    /// Per player.
    pub players: Vec<PlayerStats>,
    /// The engine's MIDI input queue.
    #[serde(default)]
    pub input: crate::midi_learn::InputCountersData,
}

/// An output as listed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SinkInfo {
    /// Name (used to remove it or set its latency).
    pub name: String,
    /// The spec it was opened with.
    pub spec: String,
    /// Latency in seconds.
    pub latency: f64,
    /// Counters.
    pub stats: SinkStats,
}

/// The transport, for prompts and clients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transport {
    /// Playing.
    pub running: bool,
    /// Position in beats.
    pub beat: f64,
    /// 1-based bar.
    pub bar: i64,
    /// 1-based beat within the bar.
    pub beat_in_bar: i64,
    /// Beats per bar.
    pub beats_per_bar: f64,
    /// Tempo.
    pub tempo: f64,
    /// Seconds played.
    pub seconds: f64,
    /// Players playing or about to.
    pub players: Vec<String>,
    /// Loop range.
    pub looping: Option<(f64, f64)>,
    /// Errors in the last evaluation.
    pub errors: usize,
    /// Warnings in the last evaluation.
    pub warnings: usize,
    /// Identifies the engine run.
    pub session: u64,
}

/// A saved document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocState {
    /// Name.
    pub name: String,
    /// Its accepted source (for `repl`: the accepted blocks).
    pub source: String,
}

/// What a session needs to resume: documents, tempo, transport.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    /// Format version.
    pub version: u32,
    /// Documents in evaluation order.
    pub docs: Vec<DocState>,
    /// Tempo.
    pub tempo: f64,
    /// Transport running.
    pub running: bool,
    /// Beat.
    pub beat: f64,
    /// Players stopped or hushed by command, still defined in their documents.
    pub silenced: Vec<String>,
    /// Players muted by command.
    pub muted: Vec<String>,
    /// Players soloed by command.
    pub solo: Vec<String>,
    /// Players launched live from scenes (`:scene`), as `(scene, player)`, in launch order
    /// (version 2; empty in older snapshots).
    #[serde(default)]
    pub launched: Vec<(String, String)>,
    /// Document players a live launch stopped (version 2).
    #[serde(default)]
    pub launched_out: Vec<String>,
    /// Live `set` overrides, in the order they were set (version 2).
    #[serde(default)]
    pub overrides: Vec<OverrideState>,
}

/// One `set PLAYER KEY VALUE` in a snapshot: the value as its patter source, compiled
/// again on restore.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverrideState {
    /// Player.
    pub player: String,
    /// Key.
    pub key: String,
    /// The value's patter source.
    pub value: String,
}

/// A document that evaluated without errors.
struct Doc {
    name: String,
    /// Its accepted text (for `repl`: the history).
    source: String,
    program: Program,
}

/// One accepted REPL item.
#[derive(Clone, Debug)]
struct ReplItem {
    key: ItemKey,
    text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ItemKey {
    Play(String),
    Setting(Setting),
    /// `let NAME` or `fn NAME`.
    Bind(String),
    /// `launch …`, by its scenes as written (`a,b` for `[a, b]`): a later launch of the
    /// same scenes replaces it, as a later `play` of a name does.
    Launch(String),
    Import,
    Other,
}

/// One `set PLAYER KEY VALUE`: the player's bind gets `key` replaced (or added).
struct Override {
    player: String,
    key: Key,
    stream: StreamRef,
    /// The value's source, for snapshots.
    text: String,
}

/// Longest value text `set` accepts.
const MAX_SET_VALUE: usize = 64 * 1024;

/// `body` with `key` bound to `stream` in every bind (replacing it in place, so later keys
/// still read it, or appending it).
fn with_key(body: &EventPat, key: &Key, stream: &StreamRef) -> EventPat {
    match body {
        EventPat::Bind(b) => {
            let mut keys = b.keys.clone();
            match keys.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = stream.clone(),
                None => keys.push((key.clone(), stream.clone())),
            }
            EventPat::Bind(Bind { keys })
        }
        EventPat::Par(parts) => EventPat::Par(
            parts
                .iter()
                .map(|(at, p)| (*at, Arc::new(with_key(p, key, stream))))
                .collect(),
        ),
    }
}

/// An output the session opened.
struct SinkEntry {
    name: String,
    spec: String,
    latency: f64,
    /// The synth's sample loader, asked for the folders each new program names.
    samples: Option<patter_runtime::sink::audio::samples::SampleRequests>,
}

/// The live session.
pub struct Session {
    engine: Engine,
    config: SessionConfig,
    /// Documents in evaluation order (the last evaluated is last).
    docs: Vec<Doc>,
    repl: Vec<ReplItem>,
    /// The set loaded last.
    merged: Program,
    /// Which document each merged player comes from.
    owners: Vec<String>,
    silenced: HashSet<String>,
    /// Players launched from scenes, with their scene: they play over the documents' players
    /// until a launch without `keep`, `stop` or `hush` ends them.
    launched: Vec<(Arc<str>, Player)>,
    /// Document players a launch stopped: they stay stopped until their document defines
    /// them anew (a changed definition, or `play NAME` in the REPL) or a scene launches them.
    launched_out: HashSet<String>,
    /// `set` overrides, applied over the players' definitions on every load.
    overrides: Vec<Override>,
    /// The predicted boundary of each player's latest change, so a `set` does not pull a
    /// change still waiting for its bar (an edit, a launch) forward.
    changed_at: Vec<(String, f64)>,
    muted: HashSet<String>,
    solo: Vec<String>,
    /// Players the engine has been told to mute for the session's `mute`/`solo`.
    applied_mutes: HashSet<String>,
    tempo: f64,
    cycle_beats: Time,
    sinks: Vec<SinkEntry>,
    /// Player names in the scheduler's slot order (slots are never removed), so recorded
    /// tracks get their names.
    slots: Arc<Mutex<Vec<String>>>,
    recorder: Option<String>,
    last_errors: usize,
    last_warnings: usize,
    notices: Vec<Notice>,
    /// MIDI inputs (`--midi-in`), closed before the engine.
    midi_in: Option<patter_runtime::midi_in::MidiInputs>,
}

impl Session {
    /// Start an engine and open the configured outputs. Returns the session and a message
    /// for each output that could not open; when none opens, a null output is used.
    pub fn start(config: SessionConfig) -> (Session, Vec<String>) {
        let engine = Engine::start(EngineConfig {
            tempo: config.tempo,
            beats_per_bar: config.beats_per_bar,
            lookahead: LOOKAHEAD,
            ..EngineConfig::default()
        });
        let mut session = Session {
            engine,
            tempo: config.tempo,
            cycle_beats: Time::int(4),
            config: config.clone(),
            docs: Vec::new(),
            repl: Vec::new(),
            merged: Program {
                tempo: config.tempo,
                ..Program::default()
            },
            owners: Vec::new(),
            silenced: HashSet::new(),
            launched: Vec::new(),
            launched_out: HashSet::new(),
            overrides: Vec::new(),
            changed_at: Vec::new(),
            muted: HashSet::new(),
            solo: Vec::new(),
            applied_mutes: HashSet::new(),
            sinks: Vec::new(),
            slots: Arc::default(),
            recorder: None,
            last_errors: 0,
            last_warnings: 0,
            notices: Vec::new(),
            midi_in: None,
        };
        let mut problems = Vec::new();
        for spec in &config.outputs {
            if let Err(msg) = session.add_sink(spec, config.latency) {
                problems.push(msg);
            }
        }
        if session.sinks.is_empty() && !config.outputs.is_empty() {
            // The REPL still runs (and counts events) with nothing to play to.
            let _ = session.add_sink("null", 0.0);
        }
        if config.play {
            session.engine.send(Command::Play);
            // The first prompt should show the transport running: it is, within a tick.
            let deadline = std::time::Instant::now() + std::time::Duration::from_millis(50);
            while !session.engine.transport().running && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        (session, problems)
    }

    /// The engine (for tests and for the network service's subscriptions).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Open MIDI inputs (`--midi-in`); `report` hears when one is lost or returns. Returns a
    /// message for each that could not open.
    pub fn open_midi_inputs(
        &mut self,
        specs: &[patter_runtime::midi_in::InputSpec],
        report: patter_runtime::midi_in::Report,
    ) -> Vec<String> {
        let inputs = self.midi_in.get_or_insert_with(|| {
            patter_runtime::midi_in::MidiInputs::new(
                self.engine.input(),
                self.engine.origin(),
                report,
            )
        });
        specs
            .iter()
            .filter_map(|s| {
                inputs
                    .open(s)
                    .err()
                    .map(|e| format!("MIDI input '{s}': {e}"))
            })
            .collect()
    }

    /// Names of the outputs.
    pub fn sink_names(&self) -> Vec<String> {
        self.sinks.iter().map(|s| s.name.clone()).collect()
    }

    /// Player names in the current set.
    pub fn player_names(&self) -> Vec<String> {
        self.merged
            .players
            .iter()
            .map(|p| p.name.to_string())
            .collect()
    }

    /// Notices (swaps, players muted for overrunning) since the last call.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        self.collect_notices();
        std::mem::take(&mut self.notices)
    }

    /// Move the engine's notices here, keeping the latest [`MAX_NOTICES`] (nobody may ask).
    fn collect_notices(&mut self) {
        self.notices.extend(self.engine.take_notices());
        let excess = self.notices.len().saturating_sub(MAX_NOTICES);
        self.notices.drain(..excess);
    }

    /// Release every note and stop the engine (files being recorded are written).
    pub fn shutdown(&mut self) {
        self.midi_in = None;
        self.engine.shutdown();
    }

    /// Evaluate a document: a file's whole text, or (for [`REPL_DOC`]) one block.
    pub fn eval(&mut self, doc: &str, source: &str) -> EvalReply {
        self.eval_with(doc, source, false)
    }

    /// [`Session::eval`] rendering the diagnostics in colour when `color`.
    pub fn eval_with(&mut self, doc: &str, source: &str, color: bool) -> EvalReply {
        if source.len() > MAX_SOURCE {
            return self.refuse(
                doc,
                "E0701",
                "this text is larger than 4 MB; split it into files",
            );
        }
        let t0 = std::time::Instant::now();
        let mut reply = if doc == REPL_DOC {
            self.eval_block(source, color)
        } else {
            self.eval_file(doc, source, color)
        };
        reply.eval_us = t0.elapsed().as_micros() as u64;
        reply
    }

    fn refuse(&mut self, doc: &str, code: &str, message: &str) -> EvalReply {
        self.last_errors = 1;
        self.last_warnings = 0;
        EvalReply {
            ok: false,
            doc: doc.to_string(),
            diagnostics: vec![DiagnosticData {
                code: code.into(),
                severity: "error".into(),
                message: message.into(),
                labels: Vec::new(),
                help: None,
            }],
            rendered: format!("[{code}] Error: {message}\n"),
            changes: Vec::new(),
            errors: 1,
            warnings: 0,
            incomplete: false,
            imports: Vec::new(),
            tempo: None,
            eval_us: 0,
        }
    }

    fn options(&self) -> patter_lang::Options {
        patter_lang::Options {
            seed: self.config.seed,
        }
    }

    fn eval_file(&mut self, doc: &str, source: &str, color: bool) -> EvalReply {
        let compiled = patter_lang::compile_with(doc, source, &FsLoader, &self.options());
        let (module, _) = patter_lang::parse::parse(FileId(0), source);
        let settings = settings_of(&module.items);
        let mut diagnostics = compiled.diagnostics;
        if let Some(program) = &compiled.program {
            diagnostics.extend(self.live_warnings(&module.items, program));
        }
        let sources = compiled.sources;
        let mut reply = self.reply_for(doc, &diagnostics, &sources, color);
        let Some(program) = compiled.program else {
            return reply;
        };
        if !self.docs.iter().any(|d| d.name == doc) && self.docs.len() >= MAX_DOCS {
            return self.refuse(
                doc,
                "E0702",
                "too many documents are loaded in this session",
            );
        }
        // Re-evaluating a document brings back its players that were stopped by command;
        // one stopped by a scene launch comes back (and one launched is taken back from its
        // scene) only when this evaluation defines it anew.
        let old = self.docs.iter().find(|d| d.name == doc).map(|d| &d.program);
        let anew: Vec<Arc<str>> = program
            .players
            .iter()
            .filter(|p| old.is_none_or(|o| !o.players.iter().any(|q| q == *p)))
            .map(|p| p.name.clone())
            .collect();
        for p in &program.players {
            self.silenced.remove(&*p.name);
        }
        for name in &anew {
            self.launched_out.remove(&**name);
        }
        self.launched.retain(|(_, p)| !anew.contains(&p.name));
        self.overrides
            .retain(|o| !anew.iter().any(|n| **n == *o.player));
        self.docs.retain(|d| d.name != doc);
        self.docs.push(Doc {
            name: doc.to_string(),
            source: source.to_string(),
            program,
        });
        reply.tempo = self.apply_settings(&settings);
        reply.changes = self.reload(reply.tempo);
        reply
    }

    fn eval_block(&mut self, block: &str, color: bool) -> EvalReply {
        let (module, _) = patter_lang::parse::parse(FileId(0), block);
        let settings = settings_of(&module.items);
        // The block's own `play`s replace the history's: leaving those out of the compiled
        // text keeps re-evaluating a whole piece as cheap as compiling it once.
        let replaced: Vec<&str> = module
            .items
            .iter()
            .filter_map(|i| match &i.node {
                ItemKind::Play { name, .. } => Some(name.node.as_str()),
                _ => None,
            })
            .collect();
        let history: Vec<&str> = self
            .repl
            .iter()
            .filter(|i| !matches!(&i.key, ItemKey::Play(n) if replaced.contains(&n.as_str())))
            .map(|i| i.text.as_str())
            .collect();
        let history = history.join("\n");
        let offset = if history.is_empty() {
            0
        } else {
            history.len() + 1
        };
        let text = if history.is_empty() {
            block.to_string()
        } else {
            format!("{history}\n{block}")
        };
        let compiled = patter_lang::compile_with(REPL_DOC, &text, &FsLoader, &self.options());

        // Stopping a player another document defines stops it here too (not a warning).
        let mut stop_elsewhere: Vec<String> = Vec::new();
        let mut hush = false;
        for item in &module.items {
            match &item.node {
                ItemKind::Stop(names) => {
                    for n in names {
                        if self.owner_of(&n.node).is_some_and(|o| o != REPL_DOC) {
                            stop_elsewhere.push(n.node.clone());
                        }
                    }
                }
                ItemKind::Hush => hush = true,
                _ => {}
            }
        }
        let mut diagnostics = rebase(&compiled.diagnostics, offset as u32, compiled.has_errors());
        diagnostics.retain(|d| {
            !(d.code == "W0103"
                && d.span().is_some_and(|s| {
                    let name = block.get(s.range()).unwrap_or("");
                    stop_elsewhere.iter().any(|n| n == name)
                }))
        });
        let mut sources = Sources::default();
        sources.add(REPL_DOC, block);
        for i in 1..compiled.sources.len() {
            let id = FileId(i as u32);
            sources.add(compiled.sources.name(id), compiled.sources.text(id));
        }
        if let Some(program) = &compiled.program {
            diagnostics.extend(self.live_warnings(&module.items, program));
        }
        let mut reply = self.reply_for(REPL_DOC, &diagnostics, &sources, color);
        reply.imports = imports_of(&compiled.sources);
        let Some(program) = compiled.program else {
            return reply;
        };

        // Accepted: the block's items join the history.
        for item in &module.items {
            let text = block.get(item.span.range()).unwrap_or("").to_string();
            match &item.node {
                ItemKind::Play { name, .. } => {
                    self.repl
                        .retain(|i| i.key != ItemKey::Play(name.node.clone()));
                    self.silenced.remove(&name.node);
                    self.launched_out.remove(&name.node);
                    self.launched.retain(|(_, p)| *p.name != *name.node);
                    self.overrides.retain(|o| o.player != name.node);
                    self.repl.push(ReplItem {
                        key: ItemKey::Play(name.node.clone()),
                        text,
                    });
                }
                ItemKind::Stop(names) => {
                    for n in names {
                        self.repl.retain(|i| i.key != ItemKey::Play(n.node.clone()));
                    }
                }
                ItemKind::Hush => self.repl.retain(|i| !matches!(i.key, ItemKey::Play(_))),
                ItemKind::Setting { setting, .. } => {
                    self.repl.retain(|i| i.key != ItemKey::Setting(*setting));
                    self.repl.push(ReplItem {
                        key: ItemKey::Setting(*setting),
                        text,
                    });
                }
                ItemKind::Let { name, .. } | ItemKind::Fn { name, .. } => {
                    let key = ItemKey::Bind(name.node.clone());
                    // Re-evaluating the same definition must not grow the history (every
                    // later block compiles it); a changed one is kept in order, since
                    // players between the two use the earlier one.
                    let same = self
                        .repl
                        .iter()
                        .rev()
                        .find(|i| i.key == key)
                        .is_some_and(|i| i.text == text);
                    if !same {
                        self.repl.push(ReplItem { key, text });
                    }
                }
                ItemKind::Import { .. } => {
                    // A second import of a file is a no-op for the evaluator.
                    if !self
                        .repl
                        .iter()
                        .any(|i| i.key == ItemKey::Import && i.text == text)
                    {
                        self.repl.push(ReplItem {
                            key: ItemKey::Import,
                            text,
                        });
                    }
                }
                ItemKind::Launch { scenes, list, .. } => {
                    let names: Vec<&str> = scenes.iter().map(|n| n.node.as_str()).collect();
                    let key = ItemKey::Launch(format!(
                        "{}{}",
                        if *list { "[]" } else { "" },
                        names.join(",")
                    ));
                    self.repl.retain(|i| i.key != key);
                    self.repl.push(ReplItem { key, text });
                }
                ItemKind::Error => {}
                _ => self.repl.push(ReplItem {
                    key: ItemKey::Other,
                    text,
                }),
            }
        }
        if hush {
            // `hush` in the REPL stops everything, whichever document defines it.
            self.silenced.extend(self.player_names());
        }
        self.silenced.extend(stop_elsewhere);
        let source = self.history_text();
        self.docs.retain(|d| d.name != REPL_DOC);
        self.docs.push(Doc {
            name: REPL_DOC.to_string(),
            source,
            program,
        });
        reply.tempo = self.apply_settings(&settings);
        reply.changes = self.reload(reply.tempo);
        reply
    }

    /// Warnings that depend on this session: keys no open output reads, silent players.
    fn live_warnings(
        &self,
        items: &[patter_lang::ast::Item],
        program: &Program,
    ) -> Vec<Diagnostic> {
        let outputs: Vec<String> = self.sinks.iter().map(|s| s.spec.clone()).collect();
        let mut w = crate::lint::unknown_keys(items, &outputs);
        // Only new or changed players are probed: an unchanged one was checked when it was
        // evaluated, and probing every player of a long block would cost the swap time.
        let changed: Vec<&Player> = program
            .players
            .iter()
            .filter(|p| !self.merged.players.iter().any(|q| q == *p))
            .collect();
        w.extend(crate::lint::silent_players(items, program, &changed));
        w
    }

    fn history_text(&self) -> String {
        let texts: Vec<&str> = self.repl.iter().map(|i| i.text.as_str()).collect();
        texts.join("\n")
    }

    fn owner_of(&self, player: &str) -> Option<&str> {
        self.merged
            .players
            .iter()
            .position(|p| &*p.name == player)
            .and_then(|i| self.owners.get(i))
            .map(String::as_str)
    }

    /// Take the tempo and cycle a source sets; returns the tempo to apply.
    fn apply_settings(&mut self, settings: &SettingsSet) -> Option<f64> {
        let program = self.docs.last().map(|d| &d.program);
        let program = program?;
        if settings.cycle {
            self.cycle_beats = program.cycle_beats;
        }
        if settings.tempo {
            self.tempo = program.tempo;
            return Some(program.tempo);
        }
        None
    }

    fn reply_for(
        &mut self,
        doc: &str,
        diagnostics: &[Diagnostic],
        sources: &Sources,
        color: bool,
    ) -> EvalReply {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = diagnostics.len() - errors;
        self.last_errors = errors;
        self.last_warnings = warnings;
        let incomplete = errors > 0
            && diagnostics
                .iter()
                .filter(|d| d.is_error())
                .all(|d| d.incomplete);
        EvalReply {
            ok: errors == 0,
            doc: doc.to_string(),
            diagnostics: diagnostics
                .iter()
                .map(|d| diagnostic_data(d, sources))
                .collect(),
            rendered: patter_lang::diagnostic::render(diagnostics, sources, color),
            changes: Vec::new(),
            errors,
            warnings,
            incomplete,
            imports: imports_of(sources),
            tempo: None,
            eval_us: 0,
        }
    }

    /// Merge the documents' players and load the set; returns what changes.
    fn reload(&mut self, tempo: Option<f64>) -> Vec<PlayerChange> {
        self.reload_at(tempo, None)
    }

    /// [`Session::reload`] with the changes landing at `quant` (players with their own
    /// `quant` keep it) instead of the next bar.
    fn reload_at(&mut self, tempo: Option<f64>, quant: Option<Quant>) -> Vec<PlayerChange> {
        let mut players: Vec<Player> = Vec::new();
        let mut owners: Vec<String> = Vec::new();
        let mut solo: Vec<Arc<str>> = Vec::new();
        let mut scenes: Vec<patter_pattern::Scene> = Vec::new();
        let mut arrangement = None;
        // A launched player stopped by command leaves its scene's layer (a launch brings it
        // back).
        let silenced = &self.silenced;
        self.launched.retain(|(_, p)| !silenced.contains(&*p.name));
        for doc in &self.docs {
            for p in &doc.program.players {
                if self.silenced.contains(&*p.name) || self.launched_out.contains(&*p.name) {
                    continue;
                }
                match players.iter().position(|q| q.name == p.name) {
                    Some(i) => {
                        if let (Some(slot), Some(owner)) = (players.get_mut(i), owners.get_mut(i)) {
                            *slot = p.clone();
                            *owner = doc.name.clone();
                        }
                    }
                    None => {
                        players.push(p.clone());
                        owners.push(doc.name.clone());
                    }
                }
            }
            for s in &doc.program.solo {
                if !solo.contains(s) {
                    solo.push(s.clone());
                }
            }
            // Scenes by name and the arrangement: the later document wins, as for players.
            for sc in &doc.program.scenes {
                match scenes
                    .iter_mut()
                    .find(|q: &&mut patter_pattern::Scene| q.name == sc.name)
                {
                    Some(q) => *q = sc.clone(),
                    None => scenes.push(sc.clone()),
                }
            }
            if doc.program.arrangement.is_some() {
                arrangement = doc.program.arrangement.clone();
            }
        }
        // Launched players follow their scene's latest definition and win over documents'.
        for (scene, p) in &mut self.launched {
            if let Some(q) = scenes
                .iter()
                .find(|s| s.name == *scene)
                .and_then(|s| s.players.iter().find(|q| q.name == p.name))
            {
                *p = q.clone();
            }
            let owner = format!("scene {scene}");
            match players.iter().position(|q| q.name == p.name) {
                Some(i) => {
                    if let (Some(slot), Some(o)) = (players.get_mut(i), owners.get_mut(i)) {
                        *slot = p.clone();
                        *o = owner;
                    }
                }
                None => {
                    players.push(p.clone());
                    owners.push(owner);
                }
            }
        }
        for o in &self.overrides {
            if let Some(p) = players.iter_mut().find(|p| *p.name == *o.player) {
                p.body = Arc::new(with_key(&p.body, &o.key, &o.stream));
            }
        }
        let program = Program {
            tempo: self.tempo,
            cycle_beats: self.cycle_beats,
            seed: self.config.seed.unwrap_or(0),
            players,
            solo,
            scenes,
            arrangement,
        };
        let changes = self.changes(&program);
        for c in &changes {
            if let (Some(beat), true) = (c.beat, c.change != ChangeKind::Unchanged) {
                self.changed_at.retain(|(n, _)| *n != c.player);
                self.changed_at.push((c.player.clone(), beat));
            }
        }
        if let Ok(mut slots) = self.slots.lock() {
            for p in &program.players {
                if !slots.iter().any(|s| **s == *p.name) {
                    slots.push(p.name.to_string());
                }
            }
        }
        // The synths decode the folders the new program names while the swap waits for
        // its boundary, so it usually plays its samples from its first beat.
        let loaders: Vec<_> = self
            .sinks
            .iter()
            .filter_map(|s| s.samples.as_ref())
            .collect();
        if !loaders.is_empty() {
            let names = crate::play::first_sound_names(&program);
            for l in loaders {
                l.request(names.clone());
            }
        }
        self.engine.send(Command::Load {
            program: Box::new(program.clone()),
            mode: LoadMode::Replace,
            quant,
            phase: Phase::Continue,
            tempo,
        });
        self.merged = program;
        self.owners = owners;
        // A load unmutes the players it changes; the session's mutes stay in force.
        self.send_mutes();
        changes
    }

    /// Launch scene `name`: swap in [`Program::launch`] of the playing set (at the next bar,
    /// or the players' own quant), and remember who it started and stopped.
    fn launch(&mut self, name: &str) -> Result<Vec<PlayerChange>, String> {
        let Some(scene) = self
            .merged
            .scenes
            .iter()
            .find(|s| &*s.name == name)
            .cloned()
        else {
            let names: Vec<&str> = self.merged.scenes.iter().map(|s| &*s.name).collect();
            return Err(if names.is_empty() {
                format!("there is no scene called `{name}` (no scene is declared)")
            } else {
                format!(
                    "there is no scene called `{name}` (the scenes are: {})",
                    names.join(", ")
                )
            });
        };
        let next = self
            .merged
            .launch(name, &self.merged)
            .ok_or_else(|| format!("there is no scene called `{name}`"))?;
        for p in &self.merged.players {
            if !next.players.iter().any(|q| q.name == p.name) {
                self.launched_out.insert(p.name.to_string());
            }
        }
        if scene.keep {
            self.launched
                .retain(|(_, p)| !scene.players.iter().any(|q| q.name == p.name));
        } else {
            self.launched.clear();
        }
        for p in &scene.players {
            self.overrides.retain(|o| *o.player != *p.name);
            self.silenced.remove(&*p.name);
            self.launched_out.remove(&*p.name);
            self.launched.push((scene.name.clone(), p.clone()));
        }
        let tempo = scene.tempo;
        if let Some(t) = tempo {
            self.tempo = t;
        }
        Ok(self.reload(tempo))
    }

    /// `set PLAYER KEY VALUE`: compile `value` as the key of a one-key bind and lay it over
    /// the player's definition; returns the beat it takes effect from.
    fn set(&mut self, player: &str, key: &str, value: &str) -> Result<f64, String> {
        let Some(p) = self.merged.players.iter().find(|p| &*p.name == player) else {
            let names = self.player_names().join(", ");
            return Err(format!(
                "there is no player called `{player}` (the players are: {names})"
            ));
        };
        let own_quant = p.quant;
        let valid = key.len() <= 64
            && key
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "`{key}` is not a key name (like `amp` or `degree`)"
            ));
        }
        let stream = self.override_stream(player, key, value)?;
        let key = Key::new(key);
        self.overrides
            .retain(|o| !(o.player == player && o.key == key));
        self.overrides.push(Override {
            player: player.to_string(),
            key,
            stream,
            text: value.to_string(),
        });
        let frontier = self.frontier_estimate();
        let waiting = self
            .changed_at
            .iter()
            .any(|(n, b)| n == player && *b > frontier.to_f64());
        // At once, unless a change to this player still waits for its boundary: then with it.
        let quant = if waiting {
            Quant::beats(self.config.beats_per_bar)
        } else {
            Quant::beats(Time::ZERO)
        };
        let at = own_quant
            .map(Quant::beats)
            .unwrap_or(quant)
            .next_at_or_after(frontier);
        self.reload_at(None, Some(quant));
        Ok(at.to_f64())
    }

    /// Compile a `set` value (patter source) as the stream of `key`, on its own.
    fn override_stream(&self, player: &str, key: &str, value: &str) -> Result<StreamRef, String> {
        if value.trim().is_empty() || value.len() > MAX_SET_VALUE {
            return Err("set PLAYER KEY VALUE: the value is a patter expression".into());
        }
        let text = format!("play {player} {{ {key}: {value}\n}}");
        let compiled = patter_lang::compile_with("set", &text, &FsLoader, &self.options());
        if compiled.has_errors() {
            let rendered =
                patter_lang::diagnostic::render(&compiled.diagnostics, &compiled.sources, false);
            return Err(format!("`{value}` is not a value for `{key}`:\n{rendered}"));
        }
        compiled
            .program
            .as_ref()
            .and_then(|prog| prog.players.first())
            .and_then(|p| match &*p.body {
                EventPat::Bind(b) => b
                    .keys
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, s)| s.clone()),
                EventPat::Par(_) => None,
            })
            .ok_or_else(|| format!("`{value}` is not a value for `{key}`"))
    }

    fn scenes(&self) -> Vec<SceneInfo> {
        self.merged
            .scenes
            .iter()
            .map(|s| SceneInfo {
                name: s.name.to_string(),
                players: s.players.iter().map(|p| p.name.to_string()).collect(),
                keep: s.keep,
                live: !s.players.is_empty()
                    && s.players.iter().all(|p| {
                        self.launched
                            .iter()
                            .any(|(n, q)| *n == s.name && q.name == p.name)
                    }),
            })
            .collect()
    }

    /// Where the scheduler is about to compute: the next swap lands at a boundary after it.
    fn frontier_estimate(&self) -> Time {
        let t = self.engine.transport();
        let beat = if t.running {
            let now = self.engine.origin().elapsed().as_secs_f64();
            t.beat + ((now - t.at).max(0.0) + LOOKAHEAD) * t.tempo / 60.0
        } else {
            t.beat
        };
        Time::from_f64_bounded(beat.max(0.0), 1 << 20)
    }

    fn changes(&self, new: &Program) -> Vec<PlayerChange> {
        let frontier = self.frontier_estimate();
        let bar = Quant::beats(self.config.beats_per_bar);
        let at = |p: &Player| {
            let q = p.quant.map(Quant::beats).unwrap_or(bar);
            Some(q.next_at_or_after(frontier).to_f64())
        };
        let cycle_changed = new.cycle_beats != self.merged.cycle_beats;
        let mut out = Vec::new();
        for p in &new.players {
            let old = self.merged.players.iter().find(|q| q.name == p.name);
            let change = match old {
                None => ChangeKind::Started,
                Some(o) if o == p && !cycle_changed => ChangeKind::Unchanged,
                Some(_) => ChangeKind::Changed,
            };
            out.push(PlayerChange {
                player: p.name.to_string(),
                change,
                beat: if change == ChangeKind::Unchanged {
                    None
                } else {
                    at(p)
                },
            });
        }
        for o in &self.merged.players {
            if !new.players.iter().any(|p| p.name == o.name) {
                out.push(PlayerChange {
                    player: o.name.to_string(),
                    change: ChangeKind::Stopped,
                    beat: Some(bar.next_at_or_after(frontier).to_f64()),
                });
            }
        }
        out
    }

    fn is_muted(&self, name: &str) -> bool {
        self.muted.contains(name) || (!self.solo.is_empty() && !self.solo.iter().any(|s| s == name))
    }

    /// After a load: the scheduler unmutes the players it changed, so mute again the ones
    /// the session mutes.
    fn send_mutes(&self) {
        for name in &self.applied_mutes {
            self.engine.send(Command::Mute(name.clone(), true));
        }
    }

    /// After `mute`/`solo`: send only the changes, so a player the runtime muted for
    /// producing too many events is not unmuted by an unrelated command.
    fn set_mutes(&mut self) {
        let wanted: HashSet<String> = self
            .merged
            .players
            .iter()
            .filter(|p| self.is_muted(&p.name))
            .map(|p| p.name.to_string())
            .collect();
        for name in wanted.difference(&self.applied_mutes) {
            self.engine.send(Command::Mute(name.clone(), true));
        }
        for name in self.applied_mutes.difference(&wanted) {
            self.engine.send(Command::Mute(name.clone(), false));
        }
        self.applied_mutes = wanted;
    }

    /// Open an output by spec and add it to the engine.
    pub fn add_sink(&mut self, spec: &str, latency: f64) -> Result<String, String> {
        if !(latency.is_finite() && (-1.0..=10.0).contains(&latency)) {
            return Err("latency must be between -1 and 10 seconds".into());
        }
        if self.sinks.len() >= MAX_SINKS {
            return Err(format!("at most {MAX_SINKS} outputs can be open at once"));
        }
        let (sink, samples): (Box<dyn Sink>, _) = match spec.split_once(':') {
            Some(("smf", path)) if !path.is_empty() => (
                Box::new(Recorder::new(path, self.tempo, self.slots.clone())),
                None,
            ),
            Some(("jsonl", path)) if !path.is_empty() => (
                Box::new(
                    crate::jsonl::JsonlSink::create(path, self.slots.clone())
                        .map_err(|e| format!("cannot write {path}: {e}"))?,
                ),
                None,
            ),
            _ => {
                let settings = crate::play::OutputSettings {
                    latency,
                    sample_roots: self.config.samples.clone(),
                    ..crate::play::OutputSettings::default()
                };
                crate::play::open_output_with_samples(spec, &self.engine, &self.merged, &settings)
                    .map_err(|e| e.to_string())?
            }
        };
        let name = sink.name().to_string();
        if self.sinks.iter().any(|s| s.name == name) {
            return Err(format!("`{name}` is already open"));
        }
        self.engine.send(Command::AddSink(sink));
        self.sinks.push(SinkEntry {
            name: name.clone(),
            spec: spec.to_string(),
            latency,
            samples,
        });
        Ok(name)
    }

    fn remove_sink(&mut self, name: &str) -> bool {
        let Some(i) = self.sinks.iter().position(|s| s.name == name) else {
            return false;
        };
        self.sinks.remove(i);
        self.engine.send(Command::RemoveSink(name.to_string()));
        if self.recorder.as_deref() == Some(name) {
            self.recorder = None;
        }
        true
    }

    /// The transport as clients see it.
    pub fn transport(&self) -> Transport {
        let t = self.engine.transport();
        let per_bar = self.config.beats_per_bar.to_f64().max(1e-9);
        let bar = (t.beat / per_bar).floor();
        let beat_in_bar = (t.beat - bar * per_bar).floor();
        Transport {
            running: t.running,
            beat: t.beat,
            bar: bar as i64 + 1,
            beat_in_bar: beat_in_bar as i64 + 1,
            beats_per_bar: per_bar,
            tempo: t.tempo,
            seconds: t.seconds,
            players: t.players,
            looping: t.looping,
            errors: self.last_errors,
            warnings: self.last_warnings,
            session: t.session,
        }
    }

    /// The session's state, to resume it later.
    pub fn snapshot(&self) -> SessionState {
        let t = self.engine.transport();
        let mut silenced: Vec<String> = self.silenced.iter().cloned().collect();
        silenced.sort();
        let mut muted: Vec<String> = self.muted.iter().cloned().collect();
        muted.sort();
        let mut launched_out: Vec<String> = self.launched_out.iter().cloned().collect();
        launched_out.sort();
        SessionState {
            version: 2,
            docs: self
                .docs
                .iter()
                .map(|d| DocState {
                    name: d.name.clone(),
                    source: d.source.clone(),
                })
                .collect(),
            tempo: t.tempo,
            running: t.running,
            beat: t.beat,
            silenced,
            muted,
            solo: self.solo.clone(),
            launched: self
                .launched
                .iter()
                .map(|(scene, p)| (scene.to_string(), p.name.to_string()))
                .collect(),
            launched_out,
            overrides: self
                .overrides
                .iter()
                .map(|o| OverrideState {
                    player: o.player.clone(),
                    key: o.key.to_string(),
                    value: o.text.clone(),
                })
                .collect(),
        }
    }

    /// Re-evaluate a snapshot's documents (in their order), then its tempo and transport.
    /// Returns the replies of documents that no longer evaluate (e.g. an import is gone).
    pub fn restore(&mut self, state: &SessionState) -> Vec<EvalReply> {
        let mut failed = Vec::new();
        for d in &state.docs {
            let reply = self.eval(&d.name, &d.source);
            if !reply.ok {
                failed.push(reply);
            }
        }
        self.silenced = state.silenced.iter().cloned().collect();
        self.muted = state.muted.iter().cloned().collect();
        self.solo = state.solo.clone();
        // What live launches and `set`s made of the documents, over them as evaluated. A
        // scene or player that no longer exists, or a value that no longer compiles, is
        // left out.
        self.launched = state
            .launched
            .iter()
            .filter_map(|(scene, player)| {
                let sc = self.merged.scenes.iter().find(|s| *s.name == **scene)?;
                let p = sc.players.iter().find(|p| *p.name == **player)?;
                Some((sc.name.clone(), p.clone()))
            })
            .collect();
        self.launched_out = state.launched_out.iter().cloned().collect();
        self.overrides = state
            .overrides
            .iter()
            .filter_map(|o| {
                let stream = self.override_stream(&o.player, &o.key, &o.value).ok()?;
                Some(Override {
                    player: o.player.clone(),
                    key: Key::new(&o.key),
                    stream,
                    text: o.value.clone(),
                })
            })
            .collect();
        if (TEMPO_MIN..=TEMPO_MAX).contains(&state.tempo) {
            self.tempo = state.tempo;
            self.engine.send(Command::Tempo {
                bpm: state.tempo,
                ramp: None,
            });
        }
        self.reload(None);
        self.set_mutes();
        if state.beat.is_finite() && state.beat > 0.0 {
            self.engine
                .send(Command::Seek(Time::from_f64_bounded(state.beat, 1 << 20)));
        }
        self.engine.send(if state.running {
            Command::Play
        } else {
            Command::Pause
        });
        failed
    }

    fn players(&self) -> Vec<PlayerInfo> {
        self.merged
            .players
            .iter()
            .zip(&self.owners)
            .map(|(p, doc)| PlayerInfo {
                name: p.name.to_string(),
                doc: doc.clone(),
                muted: p.muted || self.is_muted(&p.name),
                soloed: self.solo.iter().any(|s| **s == *p.name)
                    || self.merged.solo.contains(&p.name),
            })
            .collect()
    }

    fn stats(&self) -> Stats {
        let m = self.engine.metrics();
        let pct = |p: patter_runtime::metrics::Percentiles| PercentilesData {
            count: p.count,
            p50: p.p50,
            p99: p.p99,
            max: p.max,
        };
        Stats {
            events: m.events,
            late_events: m.late_events,
            scheduler_wake_late_us: pct(m.scheduler_wake_late_us),
            query_us: pct(m.query_us),
            sinks: m.sinks.iter().map(sink_stats).collect(),
            players: m
                .players
                .iter()
                .map(|p| PlayerStats {
                    name: p.name.clone(),
                    query_us: pct(p.query_us),
                    overruns: p.overruns,
                    muted: p.muted,
                })
                .collect(),
            input: crate::midi_learn::queue_counters(&self.engine),
        }
    }

    fn show(&self, what: ShowWhat, player: &str) -> Result<String, String> {
        let Some(i) = self.merged.players.iter().position(|p| &*p.name == player) else {
            let names = self.player_names().join(", ");
            return Err(if names.is_empty() {
                format!("there is no player called `{player}` (nothing plays yet)")
            } else {
                format!("there is no player called `{player}` (the players are: {names})")
            });
        };
        let p = self.merged.players.get(i).ok_or("no such player")?;
        match what {
            ShowWhat::Ast => {
                let doc = self
                    .owners
                    .get(i)
                    .and_then(|o| self.docs.iter().find(|d| d.name == *o))
                    .ok_or("its document is gone")?;
                let (module, _) = patter_lang::parse::parse(FileId(0), &doc.source);
                let item = module.items.iter().rev().find(
                    |it| matches!(&it.node, ItemKind::Play { name, .. } if name.node == player),
                );
                match item {
                    Some(it) => Ok(format!("{:#?}\n", it.node)),
                    None => Err(format!(
                        "`{player}` is defined in an import of {}",
                        doc.name
                    )),
                }
            }
            ShowWhat::Ir => Ok(format!("{p:#?}\n")),
            ShowWhat::Events => {
                let bar = self.config.beats_per_bar;
                let from = Quant::beats(bar).next_at_or_after(self.frontier_estimate());
                let to = from + self.cycle_beats.max(bar);
                let program = Program {
                    players: vec![Player {
                        muted: false,
                        ..p.clone()
                    }],
                    solo: Vec::new(),
                    ..self.merged.clone()
                };
                let mut events: Vec<Event> = Vec::new();
                let mut failed = Vec::new();
                program.query(
                    TimeSpan::new(from, to),
                    &mut QueryCache::default(),
                    Budget::new(patter_runtime::scheduler::DEFAULT_BUDGET),
                    &mut events,
                    &mut failed,
                );
                if !failed.is_empty() {
                    return Err(format!("`{player}` produces too many events to show"));
                }
                let mut out = Vec::new();
                let _ = crate::output::write_table_header(&mut out);
                for e in &events {
                    let _ = crate::output::write_event(
                        &mut out,
                        crate::output::Format::Table,
                        &program,
                        e,
                    );
                }
                let mut text = String::from_utf8_lossy(&out).into_owned();
                if events.is_empty() {
                    text.push_str(&format!("(no events between beats {from} and {to})\n"));
                }
                Ok(text)
            }
        }
    }

    fn sinks(&self) -> Vec<SinkInfo> {
        let metrics = self.engine.metrics();
        self.sinks
            .iter()
            .map(|s| SinkInfo {
                name: s.name.clone(),
                spec: s.spec.clone(),
                latency: s.latency,
                stats: metrics
                    .sinks
                    .iter()
                    .find(|m| m.name == s.name)
                    .map(sink_stats)
                    .unwrap_or_else(|| SinkStats {
                        name: s.name.clone(),
                        connected: true,
                        ..SinkStats::default()
                    }),
            })
            .collect()
    }

    fn record(&mut self, path: Option<String>) -> Response {
        match path {
            Some(path) => {
                if let Some(r) = &self.recorder {
                    return Response::Error {
                        message: format!("already recording to {r}; `:record stop` first"),
                    };
                }
                if path.is_empty() {
                    return Response::Error {
                        message: "give a file name: `:record take1.mid`".into(),
                    };
                }
                match self.add_sink(&format!("smf:{path}"), 0.0) {
                    Ok(name) => {
                        self.recorder = Some(name);
                        done(format!("recording to {path} (`:record stop` writes it)"))
                    }
                    Err(message) => Response::Error { message },
                }
            }
            None => match self.recorder.clone() {
                Some(name) => {
                    self.remove_sink(&name);
                    done(format!(
                        "stopped recording; wrote {}",
                        name.trim_start_matches("smf:")
                    ))
                }
                None => Response::Error {
                    message: "not recording".into(),
                },
            },
        }
    }
}

const TEMPO_MIN: f64 = patter_runtime::clock::TEMPO_RANGE.0;
const TEMPO_MAX: f64 = patter_runtime::clock::TEMPO_RANGE.1;

fn done(message: impl Into<String>) -> Response {
    Response::Done {
        message: message.into(),
    }
}

fn error(message: impl Into<String>) -> Response {
    Response::Error {
        message: message.into(),
    }
}

fn beat_time(beat: f64) -> Option<Time> {
    (beat.is_finite() && (0.0..1e9).contains(&beat)).then(|| Time::from_f64_bounded(beat, 1 << 20))
}

impl Backend for Session {
    fn request(&mut self, request: Request) -> Response {
        self.collect_notices();
        match request {
            Request::Eval { doc, source, color } => {
                Response::Eval(self.eval_with(&doc, &source, color))
            }
            Request::Tempo { bpm, ramp } => {
                if !(TEMPO_MIN..=TEMPO_MAX).contains(&bpm) {
                    return error("tempo must be between 1 and 1000 BPM");
                }
                let ramp = match ramp {
                    None => None,
                    Some(r) if r > 0.0 && r.is_finite() && r <= 1e6 => beat_time(r),
                    Some(_) => return error("a ramp is a number of beats above 0"),
                };
                self.tempo = bpm;
                self.engine.send(Command::Tempo { bpm, ramp });
                done(match ramp {
                    Some(r) => format!(
                        "tempo → {} BPM over {r} beats",
                        patter_pattern::fmt_num(bpm)
                    ),
                    None => format!("tempo {} BPM", patter_pattern::fmt_num(bpm)),
                })
            }
            Request::Tap => {
                self.engine.send(Command::Tap);
                done("tap")
            }
            Request::Play => {
                self.engine.send(Command::Play);
                done("playing")
            }
            Request::Pause => {
                self.engine.send(Command::Pause);
                done("paused")
            }
            Request::Stop => {
                self.engine.send(Command::StopTransport);
                done("stopped (back to beat 0)")
            }
            Request::StopPlayers { players } => {
                let known: Vec<String> = players
                    .iter()
                    .filter(|p| self.merged.players.iter().any(|q| &*q.name == p.as_str()))
                    .cloned()
                    .collect();
                if known.is_empty() {
                    return error("none of those players plays");
                }
                self.repl
                    .retain(|i| !matches!(&i.key, ItemKey::Play(n) if known.contains(n)));
                self.silenced.extend(known.iter().cloned());
                let changes = self.reload(None);
                let at = changes.iter().find_map(|c| c.beat).unwrap_or(0.0);
                done(format!(
                    "{} stop at beat {}",
                    known.join(", "),
                    patter_pattern::fmt_num(at)
                ))
            }
            Request::Seek { beat } => match beat_time(beat) {
                Some(b) => {
                    self.engine.send(Command::Seek(b));
                    done(format!("at beat {b}"))
                }
                None => error("seek to a beat of 0 or more"),
            },
            Request::Loop { range } => match range {
                None => {
                    self.engine.send(Command::Loop(None));
                    done("loop off")
                }
                Some((a, b)) => match (beat_time(a), beat_time(b)) {
                    (Some(a), Some(b)) if a < b => {
                        self.engine.send(Command::Loop(Some((a, b))));
                        done(format!("looping beats {a} to {b}"))
                    }
                    _ => error("a loop goes from a beat to a later beat: `:loop 0 16`"),
                },
            },
            Request::Hush => {
                self.repl.retain(|i| !matches!(i.key, ItemKey::Play(_)));
                self.silenced.extend(self.player_names());
                let changes = self.reload(None);
                let at = changes.iter().find_map(|c| c.beat);
                done(match at {
                    Some(b) => format!(
                        "hush: everything stops at beat {}",
                        patter_pattern::fmt_num(b)
                    ),
                    None => "hush: nothing was playing".to_string(),
                })
            }
            Request::Panic => {
                self.engine.send(Command::Panic);
                done("all notes off")
            }
            Request::Mute { player, on } => {
                if on {
                    self.muted.insert(player.clone());
                } else {
                    self.muted.remove(&player);
                }
                self.set_mutes();
                done(format!("{player} {}", if on { "muted" } else { "unmuted" }))
            }
            Request::Solo { players } => {
                self.solo = players;
                self.set_mutes();
                done(if self.solo.is_empty() {
                    "solo off".to_string()
                } else {
                    format!("solo: {}", self.solo.join(", "))
                })
            }
            Request::Players => Response::Players {
                players: self.players(),
            },
            Request::Stats => Response::Stats(self.stats()),
            Request::Show { what, player } => match self.show(what, &player) {
                Ok(text) => Response::Text { text },
                Err(message) => Response::Error { message },
            },
            Request::Sinks => Response::Sinks {
                sinks: self.sinks(),
            },
            Request::AddSink { spec, latency } => match self.add_sink(&spec, latency) {
                Ok(name) => done(format!("playing to {name}")),
                Err(message) => Response::Error { message },
            },
            Request::RemoveSink { name } => {
                if self.remove_sink(&name) {
                    done(format!("closed {name}"))
                } else {
                    error(format!("there is no output called `{name}`"))
                }
            }
            Request::SetLatency { name, seconds } => {
                let Some(entry) = self.sinks.iter().find(|s| s.name == name) else {
                    return error(format!("there is no output called `{name}`"));
                };
                if !(seconds.is_finite() && (-1.0..=10.0).contains(&seconds)) {
                    return error("latency must be between -1 and 10 seconds");
                }
                let spec = entry.spec.clone();
                // A sink's latency is fixed when it opens: reopen it.
                self.remove_sink(&name);
                match self.add_sink(&spec, seconds) {
                    Ok(n) => done(format!(
                        "{n}: latency {} s",
                        patter_pattern::fmt_num(seconds)
                    )),
                    Err(message) => Response::Error { message },
                }
            }
            Request::Record { path } => self.record(path),
            Request::Transport => Response::Transport(self.transport()),
            Request::Snapshot => Response::Snapshot(self.snapshot()),
            Request::Docs => Response::Docs {
                docs: self.docs.iter().map(|d| d.name.clone()).collect(),
            },
            Request::Notices => Response::Notices {
                notices: self
                    .take_notices()
                    .into_iter()
                    .map(|n| match n {
                        Notice::Swapped {
                            player,
                            beat,
                            stopped,
                        } => NoticeData {
                            kind: if stopped { "stopped" } else { "swapped" }.into(),
                            player: player.to_string(),
                            beat: beat.to_f64(),
                        },
                        Notice::Muted { player, beat } => NoticeData {
                            kind: "muted".into(),
                            player: player.to_string(),
                            beat: beat.to_f64(),
                        },
                    })
                    .collect(),
            },
            Request::Launch { scene } => match self.launch(&scene) {
                Ok(changes) => {
                    let mut parts = Vec::new();
                    for kind in [
                        ChangeKind::Started,
                        ChangeKind::Changed,
                        ChangeKind::Stopped,
                    ] {
                        let names: Vec<&str> = changes
                            .iter()
                            .filter(|c| c.change == kind)
                            .map(|c| c.player.as_str())
                            .collect();
                        if !names.is_empty() {
                            let verb = match kind {
                                ChangeKind::Started => "start",
                                ChangeKind::Changed => "change",
                                _ => "stop",
                            };
                            parts.push(format!("{} {verb}", names.join(", ")));
                        }
                    }
                    let at = changes.iter().find_map(|c| c.beat);
                    done(match at {
                        Some(b) => format!(
                            "scene {scene} at beat {}: {}",
                            patter_pattern::fmt_num(b),
                            parts.join("; ")
                        ),
                        None => format!("scene {scene}: nothing changes"),
                    })
                }
                Err(message) => Response::Error { message },
            },
            Request::Set { player, key, value } => match self.set(&player, &key, &value) {
                Ok(at) => done(format!(
                    "{player} {key}: {} from beat {}",
                    value.trim(),
                    patter_pattern::fmt_num(at)
                )),
                Err(message) => Response::Error { message },
            },
            Request::Scenes => Response::Scenes {
                scenes: self.scenes(),
            },
            Request::Restore { state } => {
                let failed = self.restore(&state);
                if failed.is_empty() {
                    done(format!("restored {} documents", state.docs.len()))
                } else {
                    let names: Vec<String> = failed.iter().map(|r| r.doc.clone()).collect();
                    error(format!(
                        "restored, but these no longer evaluate: {}",
                        names.join(", ")
                    ))
                }
            }
            Request::Midi => Response::Midi(crate::midi_learn::status(
                self.midi_in.as_ref(),
                &self.engine,
            )),
        }
    }
}

/// A session shared between threads (REPL and file watcher).
pub type SharedSession = Arc<Mutex<Session>>;

impl Backend for SharedSession {
    fn request(&mut self, request: Request) -> Response {
        match self.lock() {
            Ok(mut s) => s.request(request),
            Err(p) => p.into_inner().request(request),
        }
    }
}

/// Which settings a source sets itself.
#[derive(Clone, Copy, Debug, Default)]
struct SettingsSet {
    tempo: bool,
    cycle: bool,
}

fn settings_of(items: &[patter_lang::ast::Item]) -> SettingsSet {
    let mut s = SettingsSet::default();
    for item in items {
        if let ItemKind::Setting { setting, .. } = &item.node {
            match setting {
                Setting::Tempo => s.tempo = true,
                Setting::Cycle => s.cycle = true,
                _ => {}
            }
        }
    }
    s
}

/// Files imported (not the standard library, which is built in).
fn imports_of(sources: &Sources) -> Vec<String> {
    (1..sources.len())
        .map(|i| sources.name(FileId(i as u32)).to_string())
        .filter(|n| !n.starts_with("std/"))
        .collect()
}

/// Diagnostics of history + block, made to point into the block. Those about the history
/// alone are left out (it was accepted before); if the block broke the history (a setting
/// changed how it evaluates), its errors are kept without their spans.
fn rebase(diags: &[Diagnostic], offset: u32, has_errors: bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut history_errors = Vec::new();
    for d in diags {
        let in_history = d
            .span()
            .is_some_and(|s| s.file == FileId(0) && s.start < offset);
        if in_history {
            if d.is_error() {
                history_errors.push(d);
            }
            continue;
        }
        let mut d = d.clone();
        d.labels
            .retain(|l| l.span.file != FileId(0) || l.span.start >= offset);
        for l in &mut d.labels {
            if l.span.file == FileId(0) {
                l.span.start -= offset;
                l.span.end = l.span.end.saturating_sub(offset);
            }
        }
        out.push(d);
    }
    if has_errors && !out.iter().any(|d| d.is_error()) {
        for d in history_errors {
            let mut d = d.clone();
            d.message = format!("an earlier block no longer evaluates: {}", d.message);
            d.labels.clear();
            out.push(d);
        }
    }
    out
}

/// 1-based line and char column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

fn diagnostic_data(d: &Diagnostic, sources: &Sources) -> DiagnosticData {
    DiagnosticData {
        code: d.code.to_string(),
        severity: match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
        .to_string(),
        message: d.message.clone(),
        labels: d
            .labels
            .iter()
            .map(|l| {
                let text = sources.text(l.span.file);
                let (line, col) = line_col(text, l.span.start as usize);
                let (end_line, end_col) = line_col(text, l.span.end as usize);
                LabelData {
                    file: sources.name(l.span.file).to_string(),
                    start: l.span.start as usize,
                    end: l.span.end as usize,
                    line,
                    col,
                    end_line,
                    end_col,
                    message: l.message.clone(),
                }
            })
            .collect(),
        help: d.help.clone(),
    }
}

fn sink_stats(m: &SinkMetrics) -> SinkStats {
    SinkStats {
        name: m.name.clone(),
        sent: m.sent,
        late: m.late,
        late_us_max: m.late_us_max,
        dropped: m.dropped,
        errors: m.errors,
        connected: m.connected,
        server: m.server.map(|s| ServerStats {
            avg_cpu: s.avg_cpu,
            peak_cpu: s.peak_cpu,
            synths: s.synths,
            groups: s.groups,
            ugens: s.ugens,
            synthdefs: s.synthdefs,
        }),
    }
}

/// Records to a MIDI file, naming its tracks after the players of the session (whose
/// slots may appear after recording started).
struct Recorder {
    inner: patter_runtime::sink::smf::SmfRecorder,
    slots: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn new(path: &str, tempo: f64, slots: Arc<Mutex<Vec<String>>>) -> Recorder {
        Recorder {
            inner: patter_runtime::sink::smf::SmfRecorder::new(path, tempo),
            slots,
        }
    }
}

impl Sink for Recorder {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn schedule(&mut self, event: &Event, times: EventTimes) {
        self.inner.schedule(event, times);
    }

    fn release_all(&mut self) {
        self.inner.release_all();
    }

    fn metrics(&self) -> SinkMetrics {
        self.inner.metrics()
    }

    fn close(&mut self) {
        let names = match self.slots.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        };
        self.inner.set_players(names);
        self.inner.close();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn session() -> Session {
        Session::start(SessionConfig {
            outputs: vec!["null".into()],
            play: false,
            ..SessionConfig::default()
        })
        .0
    }

    fn kinds(r: &EvalReply) -> Vec<(String, ChangeKind)> {
        r.changes
            .iter()
            .map(|c| (c.player.clone(), c.change))
            .collect()
    }

    #[test]
    fn blocks_see_earlier_blocks_and_replace_players() {
        let mut s = session();
        let r = s.eval(REPL_DOC, "let notes = seq([0, 2, 4])\nfn twice(x) = x * 2");
        assert!(r.ok, "{}", r.rendered);
        let r = s.eval(REPL_DOC, "play a { degree: notes, dur: twice(0.25) }");
        assert!(r.ok, "{}", r.rendered);
        assert_eq!(kinds(&r), vec![("a".into(), ChangeKind::Started)]);
        assert_eq!(r.changes[0].beat, Some(0.0));
        let r = s.eval(REPL_DOC, "play b { degree: notes }");
        assert_eq!(
            kinds(&r),
            vec![
                ("a".into(), ChangeKind::Unchanged),
                ("b".into(), ChangeKind::Started)
            ]
        );
        let r = s.eval(REPL_DOC, "play a { degree: notes, dur: 1 }");
        assert!(kinds(&r).contains(&("a".into(), ChangeKind::Changed)));
        assert!(kinds(&r).contains(&("b".into(), ChangeKind::Unchanged)));
        // One `play a` in the history; an identical `let` again does not grow it.
        assert_eq!(s.history_text().matches("play a").count(), 1);
        assert!(s.eval(REPL_DOC, "let notes = seq([0, 2, 4])").ok);
        assert_eq!(s.history_text().matches("let notes").count(), 1);
        let r = s.eval(REPL_DOC, "stop b");
        assert!(r.ok && r.warnings == 0, "{}", r.rendered);
        assert!(kinds(&r).contains(&("b".into(), ChangeKind::Stopped)));
        assert!(!s.history_text().contains("play b"));
        let r = s.eval(REPL_DOC, "hush");
        assert_eq!(kinds(&r), vec![("a".into(), ChangeKind::Stopped)]);
        assert!(s.player_names().is_empty());
    }

    #[test]
    fn errors_point_into_the_block_and_change_nothing() {
        let mut s = session();
        assert!(s.eval(REPL_DOC, "play a { degree: 0 }").ok);
        let before = s.merged.clone();
        let r = s.eval(REPL_DOC, "play a { degree: nope }");
        assert!(!r.ok);
        assert_eq!(r.errors, 1);
        let label = &r.diagnostics[0].labels[0];
        assert_eq!((label.start, label.end), (17, 21));
        assert_eq!((label.line, label.col), (1, 18));
        assert_eq!(label.file, "repl");
        assert!(r.rendered.contains("nope"), "{}", r.rendered);
        assert!(r.changes.is_empty());
        assert_eq!(s.merged, before);
        assert_eq!(s.history_text(), "play a { degree: 0 }");
        let r = s.eval(REPL_DOC, "play b { degree: [0, 2");
        assert!(r.incomplete && !r.ok);
    }

    #[test]
    fn documents_merge_and_the_latest_wins() {
        let mut s = session();
        let r = s.eval(
            "a.pat",
            "tempo 90\nplay x { degree: 0 }\nplay y { degree: 1 }",
        );
        assert!(r.ok, "{}", r.rendered);
        assert_eq!(r.tempo, Some(90.0));
        let r = s.eval(REPL_DOC, "play y { degree: 5 }");
        assert_eq!(r.tempo, None);
        assert_eq!(
            kinds(&r),
            vec![
                ("x".into(), ChangeKind::Unchanged),
                ("y".into(), ChangeKind::Changed)
            ]
        );
        // The file drops `x`: it stops; `y` stays the REPL's.
        let r = s.eval("a.pat", "play y { degree: 1 }");
        assert!(kinds(&r).contains(&("x".into(), ChangeKind::Stopped)));
        let owners: Vec<(String, String)> =
            s.players().into_iter().map(|p| (p.name, p.doc)).collect();
        assert_eq!(owners, vec![("y".into(), "a.pat".into())]);
        // `stop` in the REPL stops a file's player too, without a warning.
        let r = s.eval(REPL_DOC, "stop y");
        assert!(r.ok && r.warnings == 0, "{}", r.rendered);
        assert!(s.player_names().is_empty());
    }

    #[test]
    fn requests_round_trip_as_json() {
        let mut s = session();
        let req: Request = serde_json::from_str(
            r#"{"cmd":"eval","doc":"repl","source":"play a { degree: \"0 2\" }"}"#,
        )
        .unwrap();
        let resp = s.request(req);
        let json = serde_json::to_string(&resp).unwrap();
        let back: Response = serde_json::from_str(&json).unwrap();
        assert_eq!(back, resp);
        let Response::Text { text } = s.request(Request::Show {
            what: ShowWhat::Events,
            player: "a".into(),
        }) else {
            panic!()
        };
        assert_eq!(text.lines().count(), 3, "{text}");
        let snap = s.snapshot();
        let mut t = session();
        assert!(t.restore(&snap).is_empty());
        assert_eq!(t.merged, s.merged);
    }

    /// Wait (at most 5 s) until `cond` holds on the collected events.
    /// A session at 600 BPM (a bar in 0.4 s), playing or not, whose events are collected.
    fn collecting_session(play: bool) -> (Session, patter_runtime::sink::collect::Collected) {
        let (s, _) = Session::start(SessionConfig {
            tempo: 600.0,
            play,
            ..SessionConfig::default()
        });
        let (sink, events, _) = patter_runtime::sink::collect::CollectSink::new("collect");
        s.engine().send(Command::AddSink(Box::new(sink)));
        (s, events)
    }

    fn eventually(
        events: &patter_runtime::sink::collect::Collected,
        cond: impl Fn(&[(Event, EventTimes)]) -> bool,
    ) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if cond(&events.lock().unwrap()) {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "timed out");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    #[test]
    fn mute_and_solo_silence_players_until_undone() {
        let (mut s, events) = collecting_session(true);
        assert!(
            s.eval(
                REPL_DOC,
                "play a { degree: 0, dur: 0.25 }\nplay b { degree: 1, dur: 0.25 }"
            )
            .ok
        );
        let slot_of = |name: &str| {
            let slots = s.slots.lock().unwrap();
            slots.iter().position(|n| n == name).unwrap() as u32
        };
        let (a, b) = (slot_of("a"), slot_of("b"));
        let count = |evs: &[(Event, EventTimes)], from: usize, p: u32| {
            evs.iter().skip(from).filter(|(e, _)| e.player == p).count()
        };
        eventually(&events, |e| count(e, 0, a) > 4);
        for (request, silent) in [
            (
                Request::Mute {
                    player: "a".into(),
                    on: true,
                },
                true,
            ),
            (
                Request::Mute {
                    player: "a".into(),
                    on: false,
                },
                false,
            ),
            (
                Request::Solo {
                    players: vec!["b".into()],
                },
                true,
            ),
            (Request::Solo { players: vec![] }, false),
        ] {
            let from = events.lock().unwrap().len();
            s.request(request);
            eventually(&events, |e| count(e, from, b) >= 20);
            let heard = count(&events.lock().unwrap(), from, a);
            if silent {
                // One window may already have been computed when the command arrived.
                assert!(heard <= 1, "a still plays: {heard}");
            } else {
                assert!(heard >= 15, "a is back: {heard}");
            }
        }
        s.shutdown();
    }

    const SCENES: &str = "play a { degree: 0, dur: 0.25 }
scene verse { play b { degree: 1, dur: 0.25 } }
scene chorus keep { play c { degree: 2, dur: 0.25 } }";

    fn names(s: &Session) -> Vec<String> {
        let mut n = s.player_names();
        n.sort();
        n
    }

    #[test]
    fn a_repl_launch_replaces_the_earlier_launch_of_the_same_scenes() {
        let mut s = session();
        let scenes = "scene a { play x { degree: 0 } }\nscene b { play y { degree: 2 } }";
        assert!(s.eval(REPL_DOC, scenes).ok);
        assert!(s.eval(REPL_DOC, "launch [a, b] on timer(4)").ok);
        assert!(s.eval(REPL_DOC, "launch [a, b] on timer(8)").ok);
        assert!(s.eval(REPL_DOC, "launch a").ok);
        // One list launch (a start and a stop cue each) and the launch of `a` at the start.
        let cues = |name: &str| {
            s.merged
                .players
                .iter()
                .find(|p| &*p.name == name)
                .and_then(|p| p.active.as_ref())
                .map(|a| a.cues.len())
        };
        assert_eq!(cues("a.x"), Some(3));
        assert_eq!(cues("b.y"), Some(3));
        assert_eq!(
            s.repl
                .iter()
                .filter(|i| matches!(i.key, ItemKey::Launch(_)))
                .count(),
            2
        );
        s.shutdown();
    }

    #[test]
    fn a_live_launch_takes_over_from_launch_triggers() {
        let mut s = session();
        let src = "scene a { play x { degree: 0 } }
scene b { play y { degree: 2 } }
scene c { play z { degree: 4 } }
scene d keep { play w { degree: 6 } }
launch a
launch [b, a] on timer(2)";
        assert!(s.eval("set.pat", src).ok);
        assert_eq!(names(&s), ["a.x", "b.y"]);
        // `keep` leaves the trigger-driven players on their own timeline.
        s.launch("d").unwrap();
        assert_eq!(names(&s), ["a.x", "b.y", "w"]);
        // Without `keep` the live launch stops them, and saving the file unchanged does not
        // bring them back; a changed launch line does.
        s.launch("c").unwrap();
        assert_eq!(names(&s), ["z"]);
        assert!(s.eval("set.pat", src).ok);
        assert_eq!(names(&s), ["z"]);
        assert!(s.eval("set.pat", &src.replace("timer(2)", "timer(4)")).ok);
        assert_eq!(names(&s), ["a.x", "b.y", "z"]);
        s.shutdown();
    }

    #[test]
    fn live_launches_sets_and_repl_bindings_survive_a_snapshot() {
        let mut s = session();
        assert!(s.eval("set.pat", SCENES).ok);
        assert!(
            s.eval(
                REPL_DOC,
                "let notes = seq([0, 2, 4])\nplay d { degree: notes }"
            )
            .ok
        );
        assert!(matches!(
            s.request(Request::Launch {
                scene: "verse".into()
            }),
            Response::Done { .. }
        ));
        assert!(matches!(
            s.request(Request::Launch {
                scene: "chorus".into()
            }),
            Response::Done { .. }
        ));
        assert!(s.set("b", "amp", "\"0.2 0.4\"").is_ok());
        assert!(
            s.set("c", "degree", "notes.fast(2)").is_err(),
            "a set does not see lets"
        );
        assert!(s.set("c", "octave", "6").is_ok());
        let before = names(&s);
        assert_eq!(before, ["b", "c"]);
        // Through the session file's JSON, into a fresh session.
        let snap = s.snapshot();
        assert_eq!(snap.version, 2);
        let json = serde_json::to_string(&snap).unwrap();
        let back: SessionState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, snap);
        let mut t = session();
        assert!(t.restore(&back).is_empty());
        assert_eq!(names(&t), before);
        assert_eq!(t.merged, s.merged, "the same players, overrides included");
        assert_eq!(t.snapshot().launched, snap.launched);
        assert_eq!(t.snapshot().overrides, snap.overrides);
        // The REPL's `let` is part of its document: a new block still sees it.
        assert!(t.eval(REPL_DOC, "play e { degree: notes }").ok);
        // What the launch stopped stays stopped when its file is saved unchanged.
        assert!(t.eval("set.pat", SCENES).ok);
        assert!(!names(&t).contains(&"a".to_string()));
        // A version 1 session file (no launch state) still restores.
        let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
        for k in ["launched", "launched_out", "overrides"] {
            old.as_object_mut().unwrap().remove(k);
        }
        old["version"] = 1.into();
        let v1: SessionState = serde_json::from_value(old).unwrap();
        let mut u = session();
        assert!(u.restore(&v1).is_empty());
        assert_eq!(names(&u), ["a", "d"]);
        s.shutdown();
        t.shutdown();
        u.shutdown();
    }

    #[test]
    fn launching_scenes_follows_keep_and_evaluation_does_not_resurrect() {
        let mut s = session();
        assert!(s.eval("set.pat", SCENES).ok);
        assert_eq!(names(&s), ["a"]);
        let Response::Error { message } = s.request(Request::Launch {
            scene: "bridge".into(),
        }) else {
            panic!()
        };
        assert!(message.contains("verse, chorus"), "{message}");
        assert!(matches!(
            s.request(Request::Launch {
                scene: "verse".into()
            }),
            Response::Done { .. }
        ));
        assert_eq!(names(&s), ["b"]);
        // `keep`: verse's player plays on beside chorus's.
        s.launch("chorus").unwrap();
        assert_eq!(names(&s), ["b", "c"]);
        let Response::Scenes { scenes } = s.request(Request::Scenes) else {
            panic!()
        };
        let live: Vec<(&str, bool)> = scenes.iter().map(|x| (&*x.name, x.live)).collect();
        assert_eq!(live, [("verse", true), ("chorus", true)]);
        // Saving the file unchanged brings back nothing the launch stopped; a changed scene
        // player follows its new definition.
        let edited = SCENES.replace("degree: 1", "degree: 5");
        let reply = s.eval("set.pat", &edited);
        assert!(reply.ok);
        assert_eq!(names(&s), ["b", "c"]);
        assert!(kinds(&reply).contains(&("b".into(), ChangeKind::Changed)));
        // Changing `a`'s definition is defining it anew: it comes back.
        let edited = edited.replace("degree: 0", "degree: 7");
        assert!(s.eval("set.pat", &edited).ok);
        assert_eq!(names(&s), ["a", "b", "c"]);
        // A launch without keep stops everything else; `stop` ends a launched player.
        s.launch("verse").unwrap();
        assert_eq!(names(&s), ["b"]);
        assert!(s.eval(REPL_DOC, "play d { degree: 3 }").ok);
        assert_eq!(names(&s), ["b", "d"]);
        assert!(s.eval(REPL_DOC, "stop b").ok);
        assert_eq!(names(&s), ["d"]);
        assert!(s.eval("set.pat", &edited).ok);
        assert_eq!(names(&s), ["d"]);
        s.launch("verse").unwrap();
        assert_eq!(names(&s), ["b"]);
        s.shutdown();
    }

    #[test]
    fn a_launch_lands_at_the_next_bar() {
        let (mut s, events) = collecting_session(true);
        assert!(s.eval("set.pat", SCENES).ok);
        let slot_of = |s: &Session, name: &str| {
            let slots = s.slots.lock().unwrap();
            slots.iter().position(|n| n == name).unwrap() as u32
        };
        let a = slot_of(&s, "a");
        eventually(&events, |e| e.iter().any(|(e, _)| e.player == a));
        s.take_notices();
        s.launch("verse").unwrap();
        // The boundary the engine actually used (the reply's beat is a prediction).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let at = loop {
            let stop = s.take_notices().into_iter().find_map(|n| match n {
                Notice::Swapped {
                    player,
                    beat,
                    stopped: true,
                } if &*player == "a" => Some(beat.to_f64()),
                _ => None,
            });
            if let Some(b) = stop {
                break b;
            }
            assert!(std::time::Instant::now() < deadline, "a never stopped");
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(at % 4.0, 0.0, "not on a bar: {at}");
        let b = slot_of(&s, "b");
        eventually(&events, |e| {
            e.iter()
                .any(|(e, _)| e.player == b && e.beat.to_f64() >= at + 4.0)
        });
        for (e, _) in events.lock().unwrap().iter() {
            let beat = e.beat.to_f64();
            if e.player == a {
                assert!(beat < at, "a plays at {beat}, after the launch at {at}");
            } else if e.player == b {
                assert!(beat >= at, "b plays at {beat}, before the launch at {at}");
            }
        }
        s.shutdown();
    }

    fn num(e: &Event, key: &str) -> Option<f64> {
        match e.get(key) {
            Some(patter_pattern::Value::Num(x)) => Some(*x),
            _ => None,
        }
    }

    #[test]
    fn set_overrides_one_key_from_the_next_event() {
        let (mut s, events) = collecting_session(true);
        assert!(
            s.eval(
                REPL_DOC,
                "play a { degree: 0, dur: 0.25, amp: 0.1 }\nplay b { degree: 4, dur: 1, amp: 0.1 }"
            )
            .ok
        );
        eventually(&events, |e| e.len() > 4);
        s.take_notices();
        let Response::Done { message } = s.request(Request::Set {
            player: "a".into(),
            key: "amp".into(),
            value: "0.5".into(),
        }) else {
            panic!()
        };
        assert!(message.starts_with("a amp: 0.5 from beat"), "{message}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let (mut swapped, mut others) = (None, Vec::new());
        while swapped.is_none() {
            for n in s.take_notices() {
                if let Notice::Swapped { player, beat, .. } = n {
                    if &*player == "a" {
                        swapped = Some(beat);
                    } else {
                        others.push(player);
                    }
                }
            }
            assert!(std::time::Instant::now() < deadline, "a never changed");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let at = swapped.unwrap();
        // Unchanged players are untouched.
        assert!(others.is_empty(), "{others:?}");
        eventually(&events, |e| {
            e.iter()
                .any(|(e, _)| e.player == 0 && e.beat >= at + Time::int(2))
        });
        for (e, _) in events.lock().unwrap().iter() {
            let amp = num(e, "amp").unwrap();
            let expected = if e.player == 0 && e.beat >= at {
                0.5
            } else {
                0.1
            };
            assert_eq!(amp, expected, "{} at {}", e.player, e.beat);
        }
        s.shutdown();
    }

    #[test]
    fn set_takes_patterns_and_lasts_until_its_player_is_defined_anew() {
        let mut s = session();
        assert!(s.eval("a.pat", "play a { degree: 0, dur: 1 }").ok);
        assert!(s.eval(REPL_DOC, "play b { degree: 1 }").ok);
        let Response::Error { message } = s.request(Request::Set {
            player: "a".into(),
            key: "degree".into(),
            value: "nope".into(),
        }) else {
            panic!()
        };
        assert!(message.contains("E0301"), "{message}");
        for (player, key) in [("zz", "amp"), ("a", "9x")] {
            assert!(matches!(
                s.request(Request::Set {
                    player: player.into(),
                    key: key.into(),
                    value: "1".into(),
                }),
                Response::Error { .. }
            ));
        }
        s.set("a", "degree", "\"0 2\"").unwrap();
        let degrees = |s: &Session| {
            let Response::Text { text } = s
                .show(ShowWhat::Events, "a")
                .map(|text| Response::Text { text })
                .unwrap()
            else {
                panic!()
            };
            text.lines()
                .skip(1)
                .filter_map(|l| {
                    l.split_whitespace()
                        .find(|w| w.starts_with("degree="))
                        .map(String::from)
                })
                .collect::<Vec<String>>()
        };
        assert_eq!(
            degrees(&s),
            ["degree=0", "degree=0", "degree=2", "degree=2"]
        );
        // Other documents, and the player's own unchanged file, leave the override alone.
        assert!(s.eval(REPL_DOC, "play b { degree: 3 }").ok);
        assert!(s.eval("a.pat", "play a { degree: 0, dur: 1 }").ok);
        assert_eq!(
            degrees(&s),
            ["degree=0", "degree=0", "degree=2", "degree=2"]
        );
        // A changed definition clears it.
        assert!(s.eval("a.pat", "play a { degree: 5, dur: 2 }").ok);
        assert_eq!(degrees(&s), ["degree=5", "degree=5"]);
        // `play b` in the REPL is b's definition anew.
        s.set("b", "degree", "6").unwrap();
        assert!(s.eval(REPL_DOC, "play b { degree: 1, dur: 4 }").ok);
        let b = s.merged.players.iter().find(|p| &*p.name == "b").unwrap();
        let EventPat::Bind(bind) = &*b.body else {
            panic!()
        };
        assert_eq!(bind.keys.len(), 2);
        s.shutdown();
    }

    #[test]
    fn a_set_right_after_a_launch_lands_with_it_at_the_bar() {
        let (mut s, events) = collecting_session(false);
        assert!(s.eval("set.pat", SCENES).ok);
        s.request(Request::Seek { beat: 1.0 });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while s.engine().transport().beat != 1.0 {
            assert!(std::time::Instant::now() < deadline, "seek never landed");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        s.launch("verse").unwrap();
        // Not at once: b itself waits for the launch's bar.
        assert_eq!(s.set("b", "amp", "0.5").unwrap(), 4.0);
        s.request(Request::Play);
        let slot_of = |s: &Session, name: &str| {
            let slots = s.slots.lock().unwrap();
            slots.iter().position(|n| n == name).unwrap() as u32
        };
        let (a, b) = (slot_of(&s, "a"), slot_of(&s, "b"));
        eventually(&events, |e| {
            e.iter()
                .any(|(e, _)| e.player == b && e.beat >= Time::int(6))
        });
        for (e, _) in events.lock().unwrap().iter() {
            if e.player == a {
                assert!(e.beat < Time::int(4), "a at {}", e.beat);
            } else if e.player == b {
                assert!(e.beat >= Time::int(4), "b at {}", e.beat);
                assert_eq!(num(e, "amp"), Some(0.5), "b at {}", e.beat);
            }
        }
        assert!(events.lock().unwrap().iter().any(|(e, _)| e.player == a));
        s.shutdown();
    }
}
