//! Scenes and arrangements in the program model, and the per-player step that applies
//! them (with grooves and humanize) to a query.
//!
//! A [`Scene`] is a named set of players launched together. An [`Arrangement`] is a
//! timeline of scenes; it is compiled into the program itself: every player of an arranged
//! scene carries an [`Activity`], the beat ranges where it plays, each with its own origin
//! (the player starts from its beginning at every section). So `Program::query` yields the
//! arrangement — live, recorded and rendered alike — and seeking is just querying from
//! another beat.
//!
//! Scenes launched by triggers (`launch [verse, chorus] on t`) compile the same way, with
//! [`Cue`]s instead of fixed spans: each launched player knows the launches that start it
//! (from its beginning) and those that stop it, and at any beat the one that took effect
//! last decides. The trigger state is positional (see [`crate::trigger`]), so this too is
//! a pure function of the beat.
//!
//! Additivity with moved onsets: a window `[a, b)` reports the events whose *final* onset
//! (after groove and jitter) lies in it. The raw window queried is the groove's exact
//! inverse of `[a − j, b + j)` (`j` the largest jitter), clipped to the section, and the
//! results are filtered by final onset; each raw event has one final onset, so it is
//! reported in exactly one window of any tiling.

use std::sync::Arc;

use crate::feel::{scale_level, Feel};
use crate::program::{Event, Player, Program};
use crate::query::{Budget, Overrun};
use crate::time::{Time, TimeSpan};
use crate::trigger::Listen;

/// Most section repetitions one query may visit (a huge window over a short loop).
const MAX_REPEATS: u64 = 1 << 20;

/// Where an arranged or launched player plays.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    /// Sections as `(start beat, length in beats)`, increasing and not overlapping. The
    /// player's own time starts at 0 at each section start.
    pub spans: Vec<(Time, Time)>,
    /// Loop length in beats: the spans repeat every `period` beats forever (`None`: once).
    pub period: Option<Time>,
    /// Launches that start or stop the player (`launch verse on t`). When there are any,
    /// they alone decide (and `spans` is empty): see [`Cue`].
    pub cues: Vec<Cue>,
}

/// A launch that concerns one player: it starts the player (from its beginning) or stops
/// it. At any time the cue that took effect last decides; cues taking effect at the same
/// boundary are ordered by when they fired, then by `order`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cue {
    /// When: each instant of this trigger, at its quant; `None`: once, at beat 0.
    pub on: Option<Listen>,
    /// Starts (from the beginning) rather than stops.
    pub starts: bool,
    /// Rank among cues taking effect at the same moment (the higher wins: source order).
    pub order: u32,
}

/// How far (cycles) seeking by scene name looks for a launch, step by step.
const SEEK_HORIZONS: [i64; 4] = [16, 256, 4096, 65_536];
/// Firings per launch and horizon seeking by scene name looks at.
const SEEK_FIRINGS: usize = 64;

/// Work allowed to find which cue took effect last (scanning a trigger from its last
/// checkpoint: the first query far into a piece pays for the way there).
const CUE_BUDGET: u64 = 1_000_000;

/// A named set of players launched together (`scene NAME { … }`).
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    /// Name.
    pub name: Arc<str>,
    /// Its players, with their scene-level settings already applied.
    pub players: Vec<Player>,
    /// Tempo to switch to on launch, if the scene sets one.
    pub tempo: Option<f64>,
    /// Launching keeps the players that are not in the scene instead of stopping them.
    pub keep: bool,
}

/// One section of an arrangement.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// The scene it plays.
    pub scene: Arc<str>,
    /// Start, in beats.
    pub start: Time,
    /// Length, in beats.
    pub len: Time,
}

/// A timeline of scenes (`arrange verse 8, chorus 8`).
#[derive(Clone, Debug, PartialEq)]
pub struct Arrangement {
    /// Sections in order, back to back from beat 0.
    pub sections: Vec<Section>,
    /// The timeline repeats after its last section.
    pub looped: bool,
}

impl Arrangement {
    /// Total length in beats.
    pub fn length(&self) -> Time {
        self.sections.last().map_or(Time::ZERO, |s| s.start + s.len)
    }
}

impl Program {
    /// The program to swap in when launching scene `name`: its players (and its tempo, if
    /// it sets one), alone. The scenes stay declared; an arrangement does not carry over.
    /// Whether the players already playing keep going is the scene's `keep` flag: see
    /// [`Program::launch`].
    pub fn scene(&self, name: &str) -> Option<Program> {
        let scene = self.scenes.iter().find(|s| &*s.name == name)?;
        Some(Program {
            tempo: scene.tempo.unwrap_or(self.tempo),
            cycle_beats: self.cycle_beats,
            seed: self.seed,
            players: scene.players.clone(),
            solo: Vec::new(),
            scenes: self.scenes.clone(),
            arrangement: None,
        })
    }

    /// The whole program to play after launching scene `name` (declared in `self`) while
    /// `playing` plays: the scene's players, plus — when the scene keeps others — the
    /// playing players it does not replace. Swap it in as a whole set at a quant boundary.
    pub fn launch(&self, name: &str, playing: &Program) -> Option<Program> {
        let mut next = self.scene(name)?;
        let scene = self.scenes.iter().find(|s| &*s.name == name)?;
        next.tempo = scene.tempo.unwrap_or(playing.tempo);
        if scene.keep {
            let mut players: Vec<Player> = playing
                .players
                .iter()
                .filter(|p| !next.players.iter().any(|q| q.name == p.name))
                .cloned()
                .collect();
            players.append(&mut next.players);
            next.players = players;
        }
        Some(next)
    }

    /// The beat where the arrangement first plays scene `name`, or where a `launch` first
    /// launches it (seek by name).
    pub fn scene_start(&self, name: &str) -> Option<Time> {
        let arranged = self.arrangement.as_ref().and_then(|a| {
            a.sections
                .iter()
                .find(|s| &*s.scene == name)
                .map(|s| s.start)
        });
        arranged.or_else(|| self.first_launch(name))
    }

    /// The beat where bar `bar` starts (bars count from 0; a bar is one cycle).
    pub fn bar_start(&self, bar: i64) -> Time {
        Time::int(bar) * self.cycle_beats
    }

    /// The scenes that `launch` items launch, in the order their players appear.
    pub fn launched_scenes(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.players {
            if p.active.as_ref().is_some_and(|a| !a.cues.is_empty()) {
                if let Some((scene, _)) = p.name.split_once('.') {
                    if !out.contains(&scene) {
                        out.push(scene);
                    }
                }
            }
        }
        out
    }

    /// The first beat where a launch starts scene `name` and it plays: the first firings
    /// of each of its launches are looked at, over growing horizons up to
    /// [`SEEK_HORIZONS`]'s last, while the work stays within budget.
    fn first_launch(&self, name: &str) -> Option<Time> {
        let cues = self.players.iter().find_map(|p| {
            let (scene, _) = p.name.split_once('.')?;
            let a = p.active.as_deref()?;
            (scene == name && !a.cues.is_empty()).then_some(&a.cues)
        })?;
        let cycle_beats = self.cycle_beats;
        // Another launch at the same boundary may win over this one.
        let plays = |beat: Time| {
            let mut budget = Budget::new(CUE_BUDGET);
            cue_origin(cues, beat, cycle_beats, &mut budget) == Ok(Some(beat))
        };
        let mut best: Option<Time> = None;
        for cue in cues.iter().filter(|c| c.starts) {
            let Some(l) = &cue.on else {
                if plays(Time::ZERO) {
                    best = Some(Time::ZERO);
                }
                continue;
            };
            for horizon in SEEK_HORIZONS {
                let mut budget = Budget::new(CUE_BUDGET);
                let Ok(firings) = l
                    .trigger
                    .instants(Time::int(horizon), SEEK_FIRINGS, &mut budget)
                else {
                    break;
                };
                let first = firings
                    .into_iter()
                    .map(|t| match t.checked_div(l.quant) {
                        Some(n) if l.quant > Time::ZERO => Time::int(n.ceil_int()) * l.quant,
                        _ => t,
                    } * cycle_beats)
                    .find(|beat| plays(*beat));
                if let Some(beat) = first {
                    best = Some(best.map_or(beat, |b| b.min(beat)));
                    break;
                }
            }
        }
        best
    }
}

/// Move an event by `by` beats on the timeline.
fn shift(e: &mut Event, by: Time, cycle_beats: Time) {
    if by.is_zero() {
        return;
    }
    e.beat += by;
    if let Some(c) = by.checked_div(cycle_beats) {
        e.whole = e.whole.map(|t| t + c);
    }
}

/// Raw events of a window, from the player's pattern (local time, origin 0).
pub(crate) type RawQuery<'q> = dyn FnMut(TimeSpan, &mut Vec<Event>) -> Result<(), Overrun> + 'q;

/// One player's events with final onsets in `window` (beats), appended to `out`, with its
/// arrangement activity, groove and humanize applied. `raw` queries the player's pattern.
pub(crate) fn player_events(
    player: &Player,
    cycle_beats: Time,
    window: TimeSpan,
    out: &mut Vec<Event>,
    raw: &mut RawQuery<'_>,
) -> Result<(), Overrun> {
    let straight = Feel::default();
    let feel = player.feel.as_deref().unwrap_or(&straight);
    let Some(activity) = player.active.as_deref() else {
        return section(
            player,
            feel,
            cycle_beats,
            window,
            Time::ZERO,
            None,
            out,
            raw,
        );
    };
    // How far an onset can move: half a grid step by groove, plus jitter.
    let reach = feel.jitter_bound()
        + feel.groove.as_ref().map_or(Time::ZERO, |g| {
            cycle_beats / Time::int(2 * i64::from(g.grid.max(1)))
        });
    if !activity.cues.is_empty() {
        return launched(player, feel, cycle_beats, window, reach, out, raw);
    }
    // Whether a section's moved onsets can fall in the window (cheap, before any query).
    let meets = |origin: Time, len: Time| {
        window.end > origin - reach && window.begin < origin + len + reach
    };
    let mut visited = 0u64;
    for &(start, len) in &activity.spans {
        let (first, last) = match activity.period {
            None => (0, 0),
            Some(period) if period > Time::ZERO => {
                // Repetitions r whose section, widened by `reach`, meets the window.
                let first = (window.begin - reach - start - len)
                    .checked_div(period)
                    .map_or(0, Time::floor_int);
                let last = (window.end + reach - start)
                    .checked_div(period)
                    .map_or(0, Time::ceil_int);
                (first.max(0), last)
            }
            Some(_) => continue,
        };
        let period = activity.period.unwrap_or(Time::ZERO);
        let mut r = first;
        while r <= last {
            visited += 1;
            if visited > MAX_REPEATS {
                return Err(Overrun);
            }
            let origin = start + Time::int(r) * period;
            if meets(origin, len) {
                let clip = Some((Time::ZERO, len));
                section(player, feel, cycle_beats, window, origin, clip, out, raw)?;
            }
            r += 1;
        }
    }
    Ok(())
}

/// A launched player's events with final onsets in `window`: the raw onsets that can move
/// into it (`reach` either side) are cut where a cue may take effect, and each piece plays
/// from the origin of the launch that holds there.
#[allow(clippy::too_many_arguments)]
fn launched(
    player: &Player,
    feel: &Feel,
    cycle_beats: Time,
    window: TimeSpan,
    reach: Time,
    out: &mut Vec<Event>,
    raw: &mut RawQuery<'_>,
) -> Result<(), Overrun> {
    let Some(cues) = player.active.as_deref().map(|a| &a.cues[..]) else {
        return Ok(());
    };
    let (lo, hi) = (window.begin - reach, window.end + reach);
    let mut budget = Budget::new(CUE_BUDGET);
    let mut cuts = vec![lo];
    let mut found = Vec::new();
    let cycles = |t: Time| t.checked_div(cycle_beats).unwrap_or(Time::ZERO);
    for cue in cues {
        match &cue.on {
            None => {
                if lo < Time::ZERO && Time::ZERO < hi {
                    cuts.push(Time::ZERO);
                }
            }
            Some(l) => {
                found.clear();
                l.changes_between(cycles(lo), cycles(hi), &mut budget, &mut found)?;
                cuts.extend(found.iter().map(|c| *c * cycle_beats));
            }
        }
    }
    cuts.sort();
    cuts.dedup();
    let mut pieces: Vec<(Time, Time, Time)> = Vec::new();
    for (i, &b) in cuts.iter().enumerate() {
        let e = cuts.get(i + 1).copied().unwrap_or(hi);
        let Some(origin) = cue_origin(cues, b, cycle_beats, &mut budget)? else {
            continue;
        };
        match pieces.last_mut() {
            Some(last) if last.2 == origin && last.1 == b => last.1 = e,
            _ => pieces.push((b, e, origin)),
        }
    }
    for (b, e, origin) in pieces {
        let clip = Some((b - origin, e - origin));
        section(player, feel, cycle_beats, window, origin, clip, out, raw)?;
    }
    Ok(())
}

/// Where the launch playing at beat `t` started (beats), or `None` when the player is
/// stopped there: the cue that took effect last decides.
fn cue_origin(
    cues: &[Cue],
    t: Time,
    cycle_beats: Time,
    budget: &mut Budget,
) -> Result<Option<Time>, Overrun> {
    let at = t.checked_div(cycle_beats).unwrap_or(Time::ZERO);
    let mut best: Option<((Time, Time, u32), bool)> = None;
    for cue in cues {
        let last = match &cue.on {
            None => (t >= Time::ZERO).then_some((Time::ZERO, Time::ZERO)),
            Some(l) => l.last_at(at, budget)?,
        };
        if let Some((effect, instant)) = last {
            let key = (effect, instant, cue.order);
            if best.as_ref().is_none_or(|(k, _)| key > *k) {
                best = Some((key, cue.starts));
            }
        }
    }
    Ok(best.and_then(|((effect, _, _), starts)| starts.then(|| effect * cycle_beats)))
}

/// The events of one section (origin `origin`, raw onsets in `[from, to)` of the
/// player's own time, or everywhere for `None`) whose final onset is in `window`.
#[allow(clippy::too_many_arguments)]
fn section(
    player: &Player,
    feel: &Feel,
    cycle_beats: Time,
    window: TimeSpan,
    origin: Time,
    clip: Option<(Time, Time)>,
    out: &mut Vec<Event>,
    raw: &mut RawQuery<'_>,
) -> Result<(), Overrun> {
    let plain = feel.groove.is_none() && feel.humanize.is_none();
    let local = TimeSpan::new(window.begin - origin, window.end - origin);
    let j = feel.jitter_bound();
    let mut span = if plain {
        local
    } else {
        TimeSpan::new(
            feel.unwarp(local.begin - j, cycle_beats),
            feel.unwarp(local.end + j, cycle_beats),
        )
    };
    if let Some((from, to)) = clip {
        span.begin = span.begin.max(from);
        span.end = span.end.min(to);
    }
    if span.end <= span.begin {
        return Ok(());
    }
    let start = out.len();
    raw(span, out)?;
    if plain {
        for e in out.get_mut(start..).unwrap_or_default() {
            shift(e, origin, cycle_beats);
        }
        return Ok(());
    }
    let mut keep = start;
    for i in start..out.len() {
        let Some(e) = out.get_mut(i) else { break };
        let at = e.beat;
        let (dt, da) = feel.jitter(player.seed, at + origin);
        let moved = feel.warp(at, cycle_beats) + dt;
        if moved < local.begin || moved >= local.end {
            continue;
        }
        let level = feel
            .groove
            .as_ref()
            .map_or(1.0, |g| g.amp_at(at, cycle_beats))
            * da;
        scale_level(e, level);
        shift(e, moved - at + origin, cycle_beats);
        out.swap(keep, i);
        keep += 1;
    }
    out.truncate(keep);
    Ok(())
}
