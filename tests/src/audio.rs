//! Programs rendered to audio in memory through the same pipeline as `patter render FILE
//! -o out.wav` ([`patter_synth::plan`]: event range, onset rounding, synth and tail), so
//! tests and the render benchmark measure what a musician gets without writing files or
//! spawning the binary. Built-in instruments only: no sample folders are read.

use std::sync::Arc;

use patter_pattern::{Event, Program, Time};
use patter_runtime::render::RenderError;
use patter_synth::SampleBank;

pub use patter_synth::plan::{frame_of, BLOCK, TAIL_SECONDS};

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

/// Render the first `beats` beats of `program` through the built-in synth at `rate`.
pub fn render(program: &Program, beats: Time, rate: u32) -> Result<Rendered, RenderError> {
    let events = patter_runtime::render::events(program, Time::ZERO, beats)?;
    Ok(render_events(&events, program.tempo, beats, rate))
}

/// Render `events` (onsets in `[0, beats)`) at `tempo` through the built-in synth.
pub fn render_events(events: &[Event], tempo: f64, beats: Time, rate: u32) -> Rendered {
    let seconds = patter_synth::plan::render_seconds(beats, tempo, None);
    let bank = Arc::new(SampleBank::empty(rate));
    let plan = patter_synth::plan::Plan::new(events, tempo, seconds, rate, bank);
    let (samples, _) = plan.render(&mut |_| {});
    Rendered {
        samples,
        rate,
        notes: plan.notes.len(),
        skipped: plan.skipped,
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
