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
//! Additivity with moved onsets: a window `[a, b)` reports the events whose *final* onset
//! (after groove and jitter) lies in it. The raw window queried is the groove's exact
//! inverse of `[a − j, b + j)` (`j` the largest jitter), clipped to the section, and the
//! results are filtered by final onset; each raw event has one final onset, so it is
//! reported in exactly one window of any tiling.

use std::sync::Arc;

use crate::feel::{scale_level, Feel};
use crate::program::{Event, Player, Program};
use crate::query::Overrun;
use crate::time::{Time, TimeSpan};

/// Most section repetitions one query may visit (a huge window over a short loop).
const MAX_REPEATS: u64 = 1 << 20;

/// Where an arranged player plays.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    /// Sections as `(start beat, length in beats)`, increasing and not overlapping. The
    /// player's own time starts at 0 at each section start.
    pub spans: Vec<(Time, Time)>,
    /// Loop length in beats: the spans repeat every `period` beats forever (`None`: once).
    pub period: Option<Time>,
}

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

    /// The beat where the arrangement first plays scene `name` (seek by name).
    pub fn scene_start(&self, name: &str) -> Option<Time> {
        let a = self.arrangement.as_ref()?;
        a.sections
            .iter()
            .find(|s| &*s.scene == name)
            .map(|s| s.start)
    }

    /// The beat where bar `bar` starts (bars count from 0; a bar is one cycle).
    pub fn bar_start(&self, bar: i64) -> Time {
        Time::int(bar) * self.cycle_beats
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
                let len = Some(len);
                section(player, feel, cycle_beats, window, origin, len, out, raw)?;
            }
            r += 1;
        }
    }
    Ok(())
}

/// The events of one section (origin `origin`, raw onsets in `[0, len)`, or everywhere
/// for `None`) whose final onset is in `window`.
#[allow(clippy::too_many_arguments)]
fn section(
    player: &Player,
    feel: &Feel,
    cycle_beats: Time,
    window: TimeSpan,
    origin: Time,
    len: Option<Time>,
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
    if let Some(len) = len {
        span.begin = span.begin.max(Time::ZERO);
        span.end = span.end.min(len);
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
