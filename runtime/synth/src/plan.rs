//! The one offline render pipeline, from a program's events to samples: which sample
//! folders the events name, onsets rounded once from exact beats, the file's length (a tail
//! after the last beat), unknown sound names collected, and the mix or one stem per player
//! rendered in blocks like a live callback. `patter render`, the test crate and the render
//! benchmark all use it, so what a test measures is what a musician's file holds.

use std::collections::BTreeMap;
use std::sync::Arc;

use patter_pattern::{Event, Time, Value};

use crate::{
    render_offline_progress, spec_from_event_with, NoteSpec, SampleBank, SampleLibrary,
    SampleWarning, Skip, SynthStats,
};

/// Seconds rendered after the last beat, for releases and drum tails.
pub const TAIL_SECONDS: f64 = 2.0;

/// Frames per synth block, like a live callback's buffer.
pub const BLOCK: usize = 256;

/// The frame a beat falls on: `floor(beat · 60 · rate / tempo)`, from exact beats, so the
/// only rounding is the last step.
pub fn frame_of(beat: Time, tempo: f64, rate: u32) -> u64 {
    let frames_per_beat = Time::from_f64(60.0 * f64::from(rate) / tempo);
    (beat * frames_per_beat).floor_int().max(0) as u64
}

/// Seconds of audio a render of `beats` beats at `tempo` makes: `exact` when given (no
/// tail), else the beats plus [`TAIL_SECONDS`].
pub fn render_seconds(beats: Time, tempo: f64, exact: Option<f64>) -> f64 {
    exact.unwrap_or(beats.to_f64() * (60.0 / tempo) + TAIL_SECONDS)
}

/// The sample folder names `events` ask for (the part of `s`/`instrument` before any
/// `:N`), sorted and without repeats. Built-in instrument names are included: a sample
/// folder of the same name wins over the instrument.
pub fn sound_names(events: &[Event]) -> Vec<&str> {
    let mut names: Vec<&str> = events
        .iter()
        .filter_map(|e| match e.get("s").or_else(|| e.get("instrument")) {
            Some(Value::Str(s)) => s.split(':').next(),
            _ => None,
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Decode, at `rate`, the folders of `library` that `events` name (and only those).
pub fn load_for(
    library: &SampleLibrary,
    events: &[Event],
    rate: u32,
) -> (SampleBank, Vec<SampleWarning>) {
    let names = sound_names(events);
    library.load(names.into_iter().filter(|n| library.contains(n)), rate)
}

/// Events turned into notes, ready to render.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Onset frame and note, in event order.
    pub notes: Vec<(u64, NoteSpec)>,
    /// The player index of each note (same order as `notes`).
    pub players: Vec<u32>,
    /// Events that made no note (unknown names, names that are not strings).
    pub skipped: usize,
    /// Unknown sound names and how many events named each.
    pub unknown: BTreeMap<String, usize>,
    /// Length of the render in frames.
    pub total_frames: u64,
    /// Frames per second.
    pub rate: u32,
    /// The samples the notes play.
    pub bank: Arc<SampleBank>,
}

impl Plan {
    /// Plan `events` (rests excluded by the caller or skipped here) at `tempo` for `seconds`
    /// of audio at `rate`, with samples from `bank`.
    pub fn new(
        events: &[Event],
        tempo: f64,
        seconds: f64,
        rate: u32,
        bank: Arc<SampleBank>,
    ) -> Plan {
        let frames_per_beat = 60.0 / tempo * f64::from(rate);
        let mut notes = Vec::with_capacity(events.len());
        let mut players = Vec::with_capacity(events.len());
        let mut skipped = 0usize;
        let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
        for e in events {
            match spec_from_event_with(e, frames_per_beat, &bank) {
                Ok(spec) => {
                    notes.push((frame_of(e.beat, tempo, rate), spec));
                    players.push(e.player);
                }
                Err(Skip::Unknown(name)) => {
                    *unknown.entry(name).or_default() += 1;
                    skipped += 1;
                }
                Err(_) => skipped += 1,
            }
        }
        Plan {
            notes,
            players,
            skipped,
            unknown,
            total_frames: (seconds * f64::from(rate)).ceil() as u64,
            rate,
            bank,
        }
    }

    /// The mix, interleaved stereo, calling `progress` with the frames done after each
    /// block; and what the synth counted.
    pub fn render(&self, progress: &mut dyn FnMut(u64)) -> (Vec<f32>, SynthStats) {
        render_offline_progress(
            &self.notes,
            self.total_frames,
            self.rate,
            BLOCK,
            self.bank.clone(),
            progress,
        )
    }

    /// The notes of player `index` alone.
    pub fn player_notes(&self, index: u32) -> Vec<(u64, NoteSpec)> {
        self.notes
            .iter()
            .zip(&self.players)
            .filter(|(_, &p)| p == index)
            .map(|(n, _)| *n)
            .collect()
    }

    /// Player `index` alone, through its own synth (its own voices, effects and limiter),
    /// and the number of its notes.
    pub fn stem(&self, index: u32) -> (Vec<f32>, usize) {
        let mine = self.player_notes(index);
        let (samples, _) = render_offline_progress(
            &mine,
            self.total_frames,
            self.rate,
            BLOCK,
            self.bank.clone(),
            &mut |_| {},
        );
        (samples, mine.len())
    }
}
