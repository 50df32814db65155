//! The scheduler core: which players play, from which beat, and the events of each window.
//!
//! This is the part of the look-ahead scheduler that decides *what* sounds; it has no
//! clock and no threads, so it is stepped in tests exactly as the engine steps it live:
//! [`SchedulerCore::advance`] asks for every event with an onset before a beat, and the
//! frontier moves there. Each onset is produced exactly once whatever the step sizes, because
//! windows tile the timeline and the program query is additive.
//!
//! Hot swap (SuperCollider's `Pdef` with `quant`): loading a program compares each player
//! with what plays (structural equality, so whitespace and comments change nothing). An
//! unchanged player is untouched; a changed, new or removed player changes at its next
//! quantization boundary — never before what has already been scheduled. A changed player
//! either continues in phase (its streams positioned at the absolute beat) or restarts at
//! the boundary, as chosen per player.
//!
//! Input (MIDI controllers, keys, pedals) enters through [`SchedulerCore::push_input`]: each
//! message takes effect at the frontier or later, so nothing already produced changes, and
//! every query reads the input log as it stands ([`patter_pattern::control`]). A render
//! that replays the log produces the same events (for a take without seeks: a seek back
//! starts the log again from the input's present state).

use std::sync::Arc;

use patter_pattern::control::{with_input_at, ControlLog};
use patter_pattern::{Budget, Event, Player, Program, QueryCache, Time, TimeSpan};

/// How a changed player enters at its boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Phase {
    /// Its streams and patterns are positioned at the absolute beat, as if it had always
    /// been playing (the default: lands in phase with everything else).
    #[default]
    Continue,
    /// It starts from its own beginning at the boundary.
    Restart,
}

/// How a loaded program relates to what plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadMode {
    /// The program is the whole set: players not in it stop at their boundary (a file).
    Replace,
    /// The program adds or changes players; others keep playing (a REPL block).
    Merge,
}

/// When a player's change takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quant {
    /// Grid in beats (> 0).
    pub beats: Time,
    /// Offset within the grid.
    pub phase: Time,
}

impl Quant {
    /// A grid of `beats`.
    pub fn beats(beats: Time) -> Quant {
        Quant {
            beats,
            phase: Time::ZERO,
        }
    }

    /// The first grid point at or after `beat` (SuperCollider's `nextTimeOnGrid` with a
    /// base bar of 0).
    pub fn next_at_or_after(&self, beat: Time) -> Time {
        if self.beats <= Time::ZERO {
            return beat;
        }
        let k = ((beat - self.phase) / self.beats).ceil_int();
        self.phase + self.beats * Time::int(k)
    }
}

/// One version of a player: a single-player program, placed on the timeline.
#[derive(Clone, Debug)]
struct Version {
    /// A program holding just this player (so its query cache and budget are its own).
    program: Arc<Program>,
    /// Beat the player's own time 0 sits at (0 = in phase with the absolute timeline).
    origin: Time,
    /// First beat it plays.
    from: Time,
}

#[derive(Debug)]
struct Slot {
    name: Arc<str>,
    /// What plays now (None once stopped).
    current: Option<Version>,
    cache: QueryCache,
    /// A change waiting for its boundary: (boundary, new version or None to stop).
    pending: Option<(Time, Option<Version>)>,
    /// Muted by the runtime (a failed player), without changing its definition.
    muted: bool,
    /// Budget overruns so far.
    overruns: u64,
    /// Query time per window, in microseconds.
    cost: crate::metrics::LatenessHistogram,
}

/// An event produced by the core, tagged with its slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Scheduled {
    /// Stable slot id (a player keeps its slot across swaps).
    pub slot: usize,
    /// The event, with `player` set to the slot id and beats on the absolute timeline.
    pub event: Event,
}

/// What happened during an [`SchedulerCore::advance`], besides events.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A player changed (or started, or stopped) at a beat.
    Swapped {
        /// Player name.
        player: Arc<str>,
        /// The boundary.
        beat: Time,
        /// True when it stopped.
        stopped: bool,
    },
    /// A player ran out of budget and was muted; the others go on.
    Muted {
        /// Player name.
        player: Arc<str>,
        /// Where.
        beat: Time,
    },
}

/// The scheduler core.
#[derive(Debug)]
pub struct SchedulerCore {
    slots: Vec<Slot>,
    frontier: Time,
    cycle_beats: Time,
    budget: u64,
    /// One player's events of one window, kept so that windows reuse its memory.
    scratch: Vec<Event>,
    /// The input so far (only this core holds it, so appending does not copy).
    input: Arc<ControlLog>,
}

/// Steps allowed per player per window (far above any musical pattern).
pub const DEFAULT_BUDGET: u64 = 1_000_000;

impl SchedulerCore {
    /// An empty core whose frontier is at `beat`.
    pub fn new(beat: Time) -> SchedulerCore {
        SchedulerCore {
            slots: Vec::new(),
            frontier: beat,
            cycle_beats: Time::int(4),
            budget: DEFAULT_BUDGET,
            scratch: Vec::new(),
            input: Arc::new(ControlLog::new()),
        }
    }

    /// Add an input message that arrived at `beat`: it takes effect at the frontier if
    /// that is later (the events before it are already out), never earlier than a message
    /// added before. Returns the beat it takes effect at. History older than the log's
    /// horizon is folded into its checkpoint, so memory stays bounded.
    pub fn push_input(&mut self, beat: Time, bytes: [u8; 3]) -> Time {
        let at = beat.max(self.frontier);
        let log = Arc::make_mut(&mut self.input);
        let at = log.push(at, bytes);
        log.compact(self.frontier);
        at
    }

    /// The input log (for a recording or a render to replay).
    pub fn input(&self) -> &Arc<ControlLog> {
        &self.input
    }

    /// Beats up to which events have been produced.
    pub fn frontier(&self) -> Time {
        self.frontier
    }

    /// Move the frontier without producing events (seek). Pending swaps whose boundary is
    /// passed are applied at once; players keep their phase rule.
    pub fn seek(&mut self, beat: Time) {
        if beat < self.frontier {
            // The input's present state holds from the new position on.
            Arc::make_mut(&mut self.input).rebase(beat);
        }
        self.frontier = beat;
        for slot in &mut self.slots {
            if let Some((b, _)) = &mut slot.pending {
                if *b < beat {
                    *b = beat;
                }
            }
            slot.cache.clear();
        }
        self.apply_due(beat, &mut Vec::new());
    }

    /// Names of the players that play now or will after a pending change.
    pub fn players(&self) -> Vec<Arc<str>> {
        self.slots
            .iter()
            .filter(|s| s.current.is_some() || matches!(s.pending, Some((_, Some(_)))))
            .map(|s| s.name.clone())
            .collect()
    }

    /// Per player: name, query time per window (µs percentiles), budget overruns.
    pub fn player_costs(&self) -> Vec<crate::metrics::PlayerMetrics> {
        self.slots
            .iter()
            .filter(|s| s.current.is_some())
            .map(|s| crate::metrics::PlayerMetrics {
                name: s.name.to_string(),
                query_us: s.cost.percentiles(),
                overruns: s.overruns,
                muted: s.muted,
            })
            .collect()
    }

    /// The name of a slot.
    pub fn slot_name(&self, slot: usize) -> Option<&Arc<str>> {
        self.slots.get(slot).map(|s| &s.name)
    }

    /// Load a program. Each changed player changes at the first boundary of `quant` at or
    /// after the frontier; `phase` says how it enters. Returns the boundaries chosen.
    pub fn load(
        &mut self,
        program: &Program,
        mode: LoadMode,
        quant: Quant,
        phase: Phase,
    ) -> Vec<(Arc<str>, Time)> {
        self.cycle_beats = program.cycle_beats;
        let default_boundary = quant.next_at_or_after(self.frontier);
        let mut changes = Vec::new();
        let audible =
            |p: &Player| !p.muted && (program.solo.is_empty() || program.solo.contains(&p.name));
        for player in &program.players {
            let wanted = audible(player).then(|| single(program, player));
            let index = match self.slots.iter().position(|s| s.name == player.name) {
                Some(i) => i,
                None => {
                    self.slots.push(Slot {
                        name: player.name.clone(),
                        current: None,
                        cache: QueryCache::default(),
                        pending: None,
                        muted: false,
                        overruns: 0,
                        cost: crate::metrics::LatenessHistogram::default(),
                    });
                    self.slots.len() - 1
                }
            };
            let Some(slot) = self.slots.get_mut(index) else {
                continue;
            };
            // What will play after any pending change, to compare against.
            let planned: Option<&Version> = match &slot.pending {
                Some((_, v)) => v.as_ref(),
                None => slot.current.as_ref(),
            };
            let same = match (&wanted, planned) {
                (Some(w), Some(p)) => {
                    w.players == p.program.players && w.cycle_beats == p.program.cycle_beats
                }
                (None, None) => true,
                _ => false,
            };
            if same {
                continue;
            }
            // The player's own settings win over the load's defaults.
            let boundary = match player.quant {
                Some(q) => Quant::beats(q).next_at_or_after(self.frontier),
                None => default_boundary,
            };
            let phase = if player.restart {
                Phase::Restart
            } else {
                phase
            };
            let origin = match phase {
                Phase::Continue => Time::ZERO,
                Phase::Restart => boundary,
            };
            let version = wanted.map(|w| Version {
                program: Arc::new(w),
                origin,
                from: boundary,
            });
            slot.pending = Some((boundary, version));
            slot.muted = false;
            changes.push((player.name.clone(), boundary));
        }
        if mode == LoadMode::Replace {
            for slot in &mut self.slots {
                if program.players.iter().any(|p| p.name == slot.name) {
                    continue;
                }
                let playing = match &slot.pending {
                    Some((_, v)) => v.is_some(),
                    None => slot.current.is_some(),
                };
                if playing {
                    slot.pending = Some((default_boundary, None));
                    changes.push((slot.name.clone(), default_boundary));
                }
            }
        }
        changes
    }

    /// Stop players at their next boundary (`None` = all players: hush).
    pub fn stop(&mut self, names: Option<&[&str]>, quant: Quant) -> Time {
        let boundary = quant.next_at_or_after(self.frontier);
        for slot in &mut self.slots {
            if names.is_none_or(|n| n.contains(&&*slot.name)) {
                slot.pending = Some((boundary, None));
            }
        }
        boundary
    }

    /// Mute or unmute a slot now (from the frontier on).
    pub fn set_muted(&mut self, name: &str, muted: bool) {
        for slot in &mut self.slots {
            if &*slot.name == name {
                slot.muted = muted;
            }
        }
    }

    /// Produce every event with an onset in `[frontier, until)` and move the frontier to
    /// `until`. Swaps due on the way are applied exactly at their boundaries.
    pub fn advance(&mut self, until: Time, out: &mut Vec<Scheduled>, notices: &mut Vec<Notice>) {
        while self.frontier < until {
            self.apply_due(self.frontier, notices);
            let next_boundary = self
                .slots
                .iter()
                .filter_map(|s| s.pending.as_ref().map(|(b, _)| *b))
                .filter(|b| *b > self.frontier)
                .min();
            let end = next_boundary.map_or(until, |b| b.min(until));
            let window = TimeSpan::new(self.frontier, end);
            let start = out.len();
            for (i, slot) in self.slots.iter_mut().enumerate() {
                if slot.muted {
                    continue;
                }
                let Some(v) = &slot.current else { continue };
                let from = window.begin.max(v.from);
                if from >= window.end {
                    continue;
                }
                let local = TimeSpan::new(from - v.origin, window.end - v.origin);
                let events = &mut self.scratch;
                events.clear();
                let mut failed = Vec::new();
                let t0 = std::time::Instant::now();
                // Player time 0 sits at beat `origin` of the input.
                with_input_at(&self.input, v.origin, || {
                    v.program.query(
                        local,
                        &mut slot.cache,
                        Budget::new(self.budget),
                        events,
                        &mut failed,
                    )
                });
                slot.cost.record(t0.elapsed().as_micros() as u64);
                if !failed.is_empty() {
                    slot.muted = true;
                    slot.overruns += 1;
                    notices.push(Notice::Muted {
                        player: slot.name.clone(),
                        beat: from,
                    });
                    continue;
                }
                let cycle_shift = if self.cycle_beats > Time::ZERO {
                    v.origin / self.cycle_beats
                } else {
                    Time::ZERO
                };
                for mut e in events.drain(..) {
                    e.player = i as u32;
                    e.beat += v.origin;
                    e.whole = TimeSpan::new(e.whole.begin + cycle_shift, e.whole.end + cycle_shift);
                    out.push(Scheduled { slot: i, event: e });
                }
            }
            let names: Vec<Arc<str>> = self.slots.iter().map(|s| s.name.clone()).collect();
            if let Some(tail) = out.get_mut(start..) {
                tail.sort_by(|a, b| {
                    a.event
                        .beat
                        .cmp(&b.event.beat)
                        .then_with(|| names.get(a.slot).cmp(&names.get(b.slot)))
                });
            }
            self.frontier = end;
        }
        self.apply_due(self.frontier, notices);
    }

    fn apply_due(&mut self, beat: Time, notices: &mut Vec<Notice>) {
        for slot in &mut self.slots {
            let due = matches!(&slot.pending, Some((b, _)) if *b <= beat);
            if !due {
                continue;
            }
            if let Some((b, v)) = slot.pending.take() {
                notices.push(Notice::Swapped {
                    player: slot.name.clone(),
                    beat: b,
                    stopped: v.is_none(),
                });
                slot.current = v;
                slot.cache.clear();
            }
        }
    }
}

/// A program holding only `player` (with the settings of `program`).
fn single(program: &Program, player: &Player) -> Program {
    let mut p = player.clone();
    p.muted = false;
    Program {
        tempo: program.tempo,
        cycle_beats: program.cycle_beats,
        seed: program.seed,
        players: vec![p],
        ..Program::default()
    }
}
