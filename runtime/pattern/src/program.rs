//! Compiled programs, players and the events they produce.

use std::sync::Arc;

use crate::arrange::{Activity, Arrangement, Scene};
use crate::feel::Feel;
use crate::key::Key;
use crate::params::Params;
use crate::stream::StreamRef;
use crate::time::{Time, TimeSpan};
use crate::value::Value;

/// A Pbind: keys bound to value streams, evaluated in order (a later key may read an
/// earlier one, as in SuperCollider's Pbind). Rhythm comes from `dur` (or `delta`) unless a
/// key is bound to a cycle pattern (a mini-notation string, `Stream::Cycle` at the root or
/// as the left operand of an operator): then the first such key gives Tidal-style structure
/// and every other key is sampled at each of its onsets.
#[derive(Clone, Debug, PartialEq)]
pub struct Bind {
    /// Keys in source order.
    pub keys: Vec<(Key, StreamRef)>,
}

/// What a player plays: one Pbind, or several in parallel (`ppar`/`ptpar`).
#[derive(Clone, Debug, PartialEq)]
pub enum EventPat {
    /// A single key/value stream.
    Bind(Bind),
    /// Parallel event patterns, each starting at its offset in beats (`ptpar`; `ppar` uses
    /// offset 0 for all).
    Par(Vec<(Time, Arc<EventPat>)>),
}

/// A named player of a program.
#[derive(Clone, Debug, PartialEq)]
pub struct Player {
    /// Name (`play NAME { … }`).
    pub name: Arc<str>,
    /// Body.
    pub body: Arc<EventPat>,
    /// Seed for this player's stream randomness: derived from the program seed and the
    /// player name only, so editing one player never changes another's random values.
    pub seed: u64,
    /// Muted players produce no events.
    pub muted: bool,
    /// When a change to this player takes effect while playing: the next multiple of this
    /// many beats (`None`: the engine's default, one bar; 0: at once).
    pub quant: Option<Time>,
    /// A changed version starts from its own beginning at the boundary instead of
    /// continuing in phase.
    pub restart: bool,
    /// Groove and humanize applied to this player's events (`None`: straight).
    pub feel: Option<Arc<Feel>>,
    /// Where an arranged player plays (`None`: everywhere).
    pub active: Option<Arc<Activity>>,
}

/// A compiled program: everything the runtime needs, with no reference to source text.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Tempo in beats per minute.
    pub tempo: f64,
    /// Beats per cycle (default 4): the length of one mini-notation string.
    pub cycle_beats: Time,
    /// The program seed (`seed N`).
    pub seed: u64,
    /// Players in declaration order.
    pub players: Vec<Player>,
    /// Soloed player names; when non-empty only these sound.
    pub solo: Vec<Arc<str>>,
    /// Declared scenes, launchable with [`Program::scene`] / [`Program::launch`].
    pub scenes: Vec<Scene>,
    /// The arrangement compiled into `players`, kept for seeking by scene name.
    pub arrangement: Option<Arc<Arrangement>>,
}

impl Default for Program {
    fn default() -> Self {
        Program {
            tempo: 120.0,
            cycle_beats: Time::int(4),
            seed: 0,
            players: Vec::new(),
            solo: Vec::new(),
            scenes: Vec::new(),
            arrangement: None,
        }
    }
}

/// One sounding event (one note: chords are expanded).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Index of the player in [`Program::players`].
    pub player: u32,
    /// Onset and end in cycles, exact.
    pub whole: TimeSpan,
    /// Onset in beats, exact.
    pub beat: Time,
    /// Time to the next event of this stream (stream players) or length of the whole
    /// (cycle players), in beats, exact.
    pub dur: Time,
    /// How long the note sounds, in beats (`dur · legato · stretch` unless given).
    pub sustain: f64,
    /// Every key with its value, including derived `midinote`/`freq` (and `amp`) where the
    /// event has pitch. Sorted by key name.
    pub params: Params,
}

impl Event {
    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.params.value(key)
    }
}
