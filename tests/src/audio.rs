//! Programs rendered to audio in memory, the way `patter render FILE -o out.wav` renders
//! them (same event range, onset rounding, synth and tail), so tests and the render
//! benchmark measure what a musician gets without writing files or spawning the binary.
//!
//! Keep [`render`] in step with `repl/src/render.rs` (`render_wav`): both turn exact beats
//! into frames once, with `floor(beat · 60 · rate / tempo)`.

use patter_pattern::{Event, Program, Time};
use patter_runtime::render::RenderError;

/// Seconds rendered after the last beat, for releases and drum tails (as the binary).
pub const TAIL_SECONDS: f64 = 2.0;

/// Voices are processed in blocks of this many frames, like a live callback.
pub const BLOCK: usize = 256;

/// A rendered program.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// Interleaved stereo samples.
    pub samples: Vec<f32>,
    /// Frames per second.
    pub rate: u32,
    /// Notes given to the synth.
    pub notes: usize,
    /// Events the built-in synth has no sound for (rests are not events).
    pub skipped: usize,
}

impl Rendered {
    /// Frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / 2
    }

    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / f64::from(self.rate)
    }

    /// Largest absolute sample.
    pub fn peak(&self) -> f32 {
        self.samples.iter().fold(0.0f32, |m, x| m.max(x.abs()))
    }

    /// Root mean square of samples `[from, to)` seconds, both channels.
    pub fn rms(&self, from: f64, to: f64) -> f64 {
        let rate = f64::from(self.rate);
        let a = ((from * rate) as usize * 2).min(self.samples.len());
        let b = ((to * rate) as usize * 2).min(self.samples.len());
        let part = self.samples.get(a..b).unwrap_or_default();
        if part.is_empty() {
            return 0.0;
        }
        let sum: f64 = part.iter().map(|x| f64::from(*x) * f64::from(*x)).sum();
        (sum / part.len() as f64).sqrt()
    }

    /// The left channel.
    pub fn left(&self) -> Vec<f32> {
        self.samples.iter().step_by(2).copied().collect()
    }
}

/// The frame a beat falls on: `floor(beat · 60 · rate / tempo)`, from exact beats.
pub fn frame_of(beat: Time, tempo: f64, rate: u32) -> u64 {
    let frames_per_beat = Time::from_f64(60.0 * f64::from(rate) / tempo);
    (beat * frames_per_beat).floor_int().max(0) as u64
}

/// Render the first `beats` beats of `program` through the built-in synth at `rate`.
pub fn render(program: &Program, beats: Time, rate: u32) -> Result<Rendered, RenderError> {
    let events = patter_runtime::render::events(program, Time::ZERO, beats)?;
    Ok(render_events(&events, program.tempo, beats, rate))
}

/// Render `events` (onsets in `[0, beats)`) at `tempo` through the built-in synth.
pub fn render_events(events: &[Event], tempo: f64, beats: Time, rate: u32) -> Rendered {
    let seconds_per_beat = 60.0 / tempo;
    let frames_per_beat = seconds_per_beat * f64::from(rate);
    let mut notes = Vec::with_capacity(events.len());
    let mut skipped = 0;
    for e in events {
        match patter_synth::spec_from_event(e, frames_per_beat) {
            Some(spec) => notes.push((frame_of(e.beat, tempo, rate), spec)),
            None => skipped += 1,
        }
    }
    let seconds = beats.to_f64() * seconds_per_beat + TAIL_SECONDS;
    let total = (seconds * f64::from(rate)).ceil() as u64;
    let samples = patter_synth::render_offline(&notes, total, rate, BLOCK);
    Rendered {
        samples,
        rate,
        notes: notes.len(),
        skipped,
    }
}

/// Frames where sound starts after at least `quiet` frames of exact digital silence in
/// `channel` (one channel's samples): the onsets of a sparse drum part.
pub fn onsets_after_silence(channel: &[f32], quiet: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut silent_run = quiet; // the start of the file counts as silence
    for (i, x) in channel.iter().enumerate() {
        if *x == 0.0 {
            silent_run += 1;
        } else {
            if silent_run >= quiet {
                out.push(i);
            }
            silent_run = 0;
        }
    }
    out
}
