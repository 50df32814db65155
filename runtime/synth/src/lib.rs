//! patter's built-in synthesizer: a small, deterministic DSP core for a real-time audio
//! callback, and an offline renderer that processes in blocks exactly like live. Tonal
//! instruments and a drum kit synthesized in code, a sampler over SuperDirt's folder layout
//! ([`SampleLibrary`], [`SampleBank`]), an ADSR envelope, a global reverb and delay with
//! per-note sends, and a master limiter. `docs/synth.md` lists the keys and instruments.
//!
//! Real-time contract: after [`Synth::new`], [`Synth::note`], [`Synth::render`],
//! [`Synth::set_samples`] and [`Synth::take_retired`] never allocate, free, lock or block
//! (proved by `tests/rt_no_alloc.rs` with a counting allocator and a negative control).
//! Every voice, delay line, effect buffer and the note queue are reserved up front; a full
//! queue drops the note (counted) and a full voice pool steals the oldest voice (counted).
//! Samples are decoded and resampled on the control side; the synth only reads the shared
//! bank, and hands replaced banks back so that they are dropped off the audio thread.
//! Nothing panics on any input: non-finite or out-of-range parameters are clamped to safe
//! values when a note starts.
//!
//! Determinism: there is no global RNG. Noise comes from a per-voice xorshift seeded from
//! the note's start frame, and all state (voices, effects, limiter) advances one sample at
//! a time, so the same notes give the same samples bit for bit, whatever the block size.

#[cfg(feature = "pattern")]
mod event;
mod fx;
#[cfg(feature = "pattern")]
pub mod plan;
mod sample;
mod voice;
mod wav;

#[cfg(feature = "pattern")]
pub use event::{spec_from_event, spec_from_event_with, Skip};
pub use fx::{
    DEFAULT_DELAY_FEEDBACK, DEFAULT_DELAY_TIME, DEFAULT_SIZE, MAX_DELAY_FEEDBACK, MAX_DELAY_SECONDS,
};
pub use sample::{
    name_hash, Sample, SampleBank, SampleKey, SampleLibrary, SampleWarning, MAX_SAMPLE_SECONDS,
};
pub use wav::{write_wav, WavBits, WavError};

use std::sync::Arc;

use fx::{Delay, Reverb};
use voice::{Banks, Buses, SampleStart, Voice};

/// Frames the synth processes at a time inside a [`Synth::render`] call: the effect sends
/// are buffers of this length, reserved up front.
const CHUNK: usize = 256;

/// Notes the queue holds by default (per [`Synth::new`]).
pub const DEFAULT_QUEUE_CAPACITY: usize = 4096;

/// Voices [`render_offline`] allocates.
pub const OFFLINE_VOICES: usize = 64;

/// A sound the synth can make: tonal instruments follow the note's envelope; drums are
/// one-shots with their own fixed length and ignore attack, sustain and release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Instrument {
    /// Pure sine.
    Sine,
    /// Band-limited (polyBLEP) sawtooth.
    Saw,
    /// Band-limited (polyBLEP) square.
    Square,
    /// Karplus-Strong plucked string.
    Pluck,
    /// Sawtooth with a sine one octave down.
    Bass,
    /// Three detuned sawtooths.
    Pad,
    /// Sine with a falling pitch.
    Kick,
    /// Noise and a short tone.
    Snare,
    /// Short high-passed noise.
    Hat,
    /// Long high-passed noise.
    OpenHat,
    /// Three quick noise bursts and a tail.
    Clap,
    /// Very short click of tone and noise.
    Rim,
}

impl Instrument {
    /// The instrument for a sound name (as in a Tidal `s` or a synth name); `None` for an
    /// unknown name, so the caller decides how to report it.
    pub fn from_name(name: &str) -> Option<Instrument> {
        Some(match name {
            "sine" | "sin" | "default" => Instrument::Sine,
            "saw" | "sawtooth" => Instrument::Saw,
            "square" | "sqr" | "pulse" => Instrument::Square,
            "pluck" | "string" | "ks" => Instrument::Pluck,
            "bass" => Instrument::Bass,
            "pad" => Instrument::Pad,
            "bd" | "kick" => Instrument::Kick,
            "sn" | "sd" | "snare" => Instrument::Snare,
            "hh" | "hat" | "ch" => Instrument::Hat,
            "oh" | "openhat" => Instrument::OpenHat,
            "cp" | "clap" => Instrument::Clap,
            "rim" | "rs" => Instrument::Rim,
            _ => return None,
        })
    }

    /// True for the drum kit (one-shots).
    pub fn is_drum(self) -> bool {
        matches!(
            self,
            Instrument::Kick
                | Instrument::Snare
                | Instrument::Hat
                | Instrument::OpenHat
                | Instrument::Clap
                | Instrument::Rim
        )
    }
}

/// One note to play. Values are clamped when queued (see [`Synth::note`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoteSpec {
    /// What plays.
    pub instrument: Instrument,
    /// Frequency in Hz (ignored by the drums).
    pub freq: f32,
    /// Linear amplitude, 0..=4.
    pub amp: f32,
    /// Stereo position, -1 (left) ..= 1 (right), equal power.
    pub pan: f32,
    /// Frames from the onset to the start of the release (attack included).
    pub sustain_frames: u32,
    /// Attack time in seconds.
    pub attack: f32,
    /// Release time in seconds.
    pub release: f32,
    /// Low-pass cutoff in Hz.
    pub cutoff: f32,
    /// Filter resonance, 0..1.
    pub resonance: f32,
    /// Decay time in seconds, from the attack's peak to `sustain_level`.
    pub decay: f32,
    /// Level held after the decay until the release, 0..=1 (SuperCollider's `sustainLevel`).
    pub sustain_level: f32,
    /// Play this sample instead of `instrument` (see [`SampleBank`]). When the synth's bank
    /// has no such folder the note is skipped and counted in [`SynthStats::missing`].
    pub sample: Option<SampleKey>,
    /// Sample playback rate: 1 is the original pitch, 2 an octave up, negative plays
    /// backwards; the magnitude is clamped to 0.01..=64.
    pub speed: f32,
    /// Where in the sample playback starts and ends, as fractions 0..=1 of its length.
    pub begin: f32,
    /// See `begin`.
    pub end: f32,
    /// Send to the global reverb, 0..=1 (SuperDirt's `room`).
    pub room: f32,
    /// Send to the global delay, 0..=1 (SuperDirt's `delay`).
    pub delay: f32,
    /// How much the reverb's return is turned down for this note, 0..=1: 1 is no reverb
    /// at all, whatever `room` says (SuperDirt's `dry`).
    pub dry: f32,
    /// Sets the reverb's room size (0..=1) for everything from this note on.
    pub size: Option<f32>,
    /// Sets the delay time in seconds for everything from this note on.
    pub delaytime: Option<f32>,
    /// Sets the delay feedback (0..=0.95) for everything from this note on.
    pub delayfeedback: Option<f32>,
    /// Cut group, as in SuperDirt (0: none): a note fades out (in 5 ms) the sounding notes
    /// of the same positive group, or of the same negative group that play the same sample.
    /// Drums are never cut.
    pub cut: i32,
}

impl NoteSpec {
    /// A note with neutral settings: amp 0.5, centred, 5 ms attack, 50 ms release, filter open.
    pub fn new(instrument: Instrument, freq: f32, sustain_frames: u32) -> NoteSpec {
        NoteSpec {
            instrument,
            freq,
            amp: 0.5,
            pan: 0.0,
            sustain_frames,
            attack: 0.005,
            release: 0.05,
            cutoff: 20_000.0,
            resonance: 0.0,
            decay: 0.0,
            sustain_level: 1.0,
            sample: None,
            speed: 1.0,
            begin: 0.0,
            end: 1.0,
            room: 0.0,
            delay: 0.0,
            dry: 0.0,
            size: None,
            delaytime: None,
            delayfeedback: None,
            cut: 0,
        }
    }

    /// A note playing file `index` of sample folder `name` to its end: no attack or
    /// release ramps and no filter, so the sample's own values come out (times `amp` and
    /// the pan).
    pub fn sample(name: &str, index: i64) -> NoteSpec {
        let mut n = NoteSpec::new(Instrument::Sine, 261.625_58, u32::MAX);
        n.sample = Some(SampleKey::new(name, index));
        n.attack = 0.0;
        n.release = 0.0;
        n
    }
}

/// What the synth had to give up, counted since [`Synth::new`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// Notes refused because the queue was full.
    pub dropped: u64,
    /// Voices cut off to make room for a new note.
    pub stolen: u64,
    /// Notes queued for a frame already rendered (they start at once).
    pub late: u64,
    /// Sample notes whose folder the current bank does not have (skipped).
    pub missing: u64,
    /// Sampler voices cut off because a second bank swap came before they ended.
    pub cut_by_swap: u64,
}

#[derive(Clone, Copy)]
struct Queued {
    frame: u64,
    seq: u64,
    spec: NoteSpec,
}

/// The synthesizer. See the crate documentation for its real-time contract.
pub struct Synth {
    sample_rate: u32,
    voices: Vec<Voice>,
    /// Pending notes sorted latest first, so the next one pops off the end.
    queue: Vec<Queued>,
    queue_capacity: usize,
    next_seq: u64,
    next_age: u64,
    /// Frame the next `render` starts at.
    frame: u64,
    limiter_gain: f32,
    limiter_release: f32,
    stats: SynthStats,
    bank: Arc<SampleBank>,
    /// The bank before the last swap, kept while voices still read it.
    old_bank: Option<Arc<SampleBank>>,
    reverb: Reverb,
    delay: Delay,
    /// Effect send buffers, [`CHUNK`] frames of interleaved stereo each.
    send_reverb: Vec<f32>,
    send_delay: Vec<f32>,
}

/// Peak level the limiter aims for; the final clamp guarantees 1.0 whatever rounding does.
const LIMIT: f32 = 0.98;

impl Synth {
    /// A synth with `max_voices` voices (at least 1) and a queue of
    /// [`DEFAULT_QUEUE_CAPACITY`] notes.
    pub fn new(sample_rate: u32, max_voices: usize) -> Synth {
        Synth::with_queue_capacity(sample_rate, max_voices, DEFAULT_QUEUE_CAPACITY)
    }

    /// A synth whose queue holds `queue_capacity` pending notes.
    pub fn with_queue_capacity(
        sample_rate: u32,
        max_voices: usize,
        queue_capacity: usize,
    ) -> Synth {
        let sample_rate = sample_rate.clamp(8_000, 384_000);
        let voices = (0..max_voices.max(1))
            .map(|_| Voice::new(sample_rate as f32))
            .collect();
        Synth {
            sample_rate,
            voices,
            queue: Vec::with_capacity(queue_capacity),
            queue_capacity,
            next_seq: 0,
            next_age: 0,
            frame: 0,
            limiter_gain: 1.0,
            // About 100 ms to recover from a peak: short enough to follow the music,
            // long enough not to distort low notes.
            limiter_release: 1.0 - (-1.0 / (0.1 * sample_rate as f32)).exp(),
            stats: SynthStats::default(),
            bank: Arc::new(SampleBank::empty(sample_rate)),
            old_bank: None,
            reverb: Reverb::new(sample_rate),
            delay: Delay::new(sample_rate),
            send_reverb: vec![0.0; CHUNK * 2],
            send_delay: vec![0.0; CHUNK * 2],
        }
    }

    /// A synth that plays samples from `bank` (see [`Synth::new`]).
    pub fn with_samples(sample_rate: u32, max_voices: usize, bank: Arc<SampleBank>) -> Synth {
        let mut s = Synth::new(sample_rate, max_voices);
        s.bank = bank;
        s
    }

    /// The bank new sample notes are played from.
    pub fn samples(&self) -> &Arc<SampleBank> {
        &self.bank
    }

    /// Play new sample notes from `bank`. Never allocates and never frees: the replaced
    /// bank is kept for the voices still playing from it (hand it back with
    /// [`Synth::take_retired`]), and the bank replaced by the swap before, if still held, is
    /// returned now (any voice still reading it is cut and counted in
    /// [`SynthStats::cut_by_swap`]). Drop what this returns off the real-time thread.
    pub fn set_samples(&mut self, bank: Arc<SampleBank>) -> Option<Arc<SampleBank>> {
        let older = self.old_bank.take();
        for v in self.voices.iter_mut().filter(|v| v.active) {
            if let Some(sp) = v.sample.as_mut() {
                if sp.old_bank {
                    v.active = false;
                    self.stats.cut_by_swap += 1;
                } else {
                    sp.old_bank = true;
                }
            }
        }
        self.old_bank = Some(std::mem::replace(&mut self.bank, bank));
        older
    }

    /// The bank replaced by the last [`Synth::set_samples`], once no voice reads it any
    /// more. Call it after each render and drop the result off the real-time thread.
    pub fn take_retired(&mut self) -> Option<Arc<SampleBank>> {
        let in_use = self
            .voices
            .iter()
            .any(|v| v.active && v.sample.is_some_and(|sp| sp.old_bank));
        if in_use {
            None
        } else {
            self.old_bank.take()
        }
    }

    /// The sample rate in use (clamped to 8 kHz..=384 kHz).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The frame the next [`Synth::render`] starts at.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// What was dropped, stolen or late so far.
    pub fn stats(&self) -> SynthStats {
        self.stats
    }

    /// Voices sounding now.
    pub fn active_voices(&self) -> usize {
        self.voices.iter().filter(|v| v.active).count()
    }

    /// Notes waiting in the queue.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Queue a note to start at `at_frame` (absolute, counted from the first render). False
    /// when the queue is full: the note is dropped and counted. Notes at the same frame start
    /// in the order they were queued. Never allocates.
    pub fn note(&mut self, at_frame: u64, spec: NoteSpec) -> bool {
        if self.queue.len() >= self.queue_capacity {
            self.stats.dropped += 1;
            return false;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        // Latest first: the insertion point is after every entry that is later or equal in
        // frame (equal frames keep queueing order because their seq is smaller).
        let pos = self
            .queue
            .partition_point(|q| q.frame > at_frame || (q.frame == at_frame && q.seq > seq));
        // Within capacity, so `insert` only shifts.
        self.queue.insert(
            pos,
            Queued {
                frame: at_frame,
                seq,
                spec,
            },
        );
        true
    }

    /// Render the next block into `out`, interleaved stereo (`out.len() / 2` frames; an odd
    /// trailing sample is zeroed). Notes start at their exact frame inside the block. Never
    /// allocates.
    pub fn render(&mut self, out: &mut [f32]) {
        out.fill(0.0);
        let frames = (out.len() / 2) as u64;
        let start = self.frame;
        let end = start + frames;
        let mut cur = start;
        while cur < end {
            while let Some(q) = self.queue.last().copied() {
                if q.frame > cur {
                    break;
                }
                self.queue.pop();
                if q.frame < cur {
                    self.stats.late += 1;
                }
                self.start_voice(cur, q.spec);
            }
            let next = self
                .queue
                .last()
                .map_or(end, |q| q.frame.min(end))
                .min(cur + CHUNK as u64);
            let lo = ((cur - start) * 2) as usize;
            let hi = ((next - start) * 2) as usize;
            if let Some(seg) = out.get_mut(lo..hi) {
                self.render_chunk(seg);
            }
            cur = next;
        }
        self.limit(out);
        self.frame = end;
    }

    /// Voices, then the effect returns, for at most [`CHUNK`] frames with no note starting
    /// inside. The effects only read the sends, so chunking never changes a sample.
    fn render_chunk(&mut self, seg: &mut [f32]) {
        let n = seg.len().min(CHUNK * 2);
        let (Some(rev), Some(del)) = (self.send_reverb.get_mut(..n), self.send_delay.get_mut(..n))
        else {
            return;
        };
        rev.fill(0.0);
        del.fill(0.0);
        let mut buses = Buses {
            out: seg,
            reverb: rev,
            delay: del,
        };
        let banks = Banks {
            current: &self.bank,
            old: self.old_bank.as_deref(),
        };
        for v in self.voices.iter_mut().filter(|v| v.active) {
            v.render_add(&mut buses, &banks);
        }
        // The effects run every frame, fed or not: their tails outlive the sends.
        let frames = buses
            .out
            .chunks_exact_mut(2)
            .zip(buses.reverb.chunks_exact(2))
            .zip(buses.delay.chunks_exact(2));
        for ((o, r), d) in frames {
            if let ([ol, or], [rl, rr], [dl, dr]) = (o, r, d) {
                let (wl, wr) = self.reverb.tick(*rl, *rr);
                let (el, er) = self.delay.tick(*dl, *dr);
                *ol += wl + el;
                *or += wr + er;
            }
        }
    }

    fn start_voice(&mut self, frame: u64, spec: NoteSpec) {
        let resolved = match spec.sample {
            Some(key) => match self.bank.resolve(key) {
                Some(r) => Some(r),
                None => {
                    self.stats.missing += 1;
                    return;
                }
            },
            None => None,
        };
        if spec.cut != 0 {
            for v in self.voices.iter_mut() {
                if v.is_cut_by(spec.cut, resolved) {
                    v.cut_off();
                }
            }
        }
        if let Some(size) = spec.size {
            self.reverb.set_size(size);
        }
        if let Some(t) = spec.delaytime {
            self.delay.set_time(t);
        }
        if let Some(fb) = spec.delayfeedback {
            self.delay.set_feedback(fb);
        }
        let free = self.voices.iter().position(|v| !v.active);
        let idx = match free {
            Some(i) => i,
            None => {
                self.stats.stolen += 1;
                // The oldest voice has had the longest to be heard.
                let mut oldest = 0;
                let mut age = u64::MAX;
                for (i, v) in self.voices.iter().enumerate() {
                    if v.age < age {
                        age = v.age;
                        oldest = i;
                    }
                }
                oldest
            }
        };
        let age = self.next_age;
        self.next_age += 1;
        // A bank loaded for another rate still plays at the right pitch; a nonsense rate
        // is treated as ours so that every note still ends.
        let rate_ratio = match self.bank.rate() {
            0 => 1.0,
            r => (f64::from(r) / f64::from(self.sample_rate)).clamp(1.0 / 64.0, 64.0),
        };
        let start = resolved.and_then(|(folder, file)| {
            self.bank.sample_at(folder, file).map(|sample| SampleStart {
                folder,
                file,
                sample,
                rate_ratio,
            })
        });
        if let Some(v) = self.voices.get_mut(idx) {
            v.start(frame, age, &spec, start);
        }
    }

    /// Instant-attack peak limiter with a smooth release, then a hard clamp as the guarantee.
    fn limit(&mut self, out: &mut [f32]) {
        let mut gain = self.limiter_gain;
        for frame in out.chunks_exact_mut(2) {
            let [l, r] = frame else { continue };
            if !l.is_finite() || !r.is_finite() {
                *l = 0.0;
                *r = 0.0;
                continue;
            }
            let peak = l.abs().max(r.abs());
            let target = if peak * gain > LIMIT {
                LIMIT / peak
            } else {
                1.0
            };
            gain = if target < gain {
                target
            } else {
                (gain + (1.0 - gain) * self.limiter_release).min(target)
            };
            *l = (*l * gain).clamp(-1.0, 1.0);
            *r = (*r * gain).clamp(-1.0, 1.0);
        }
        self.limiter_gain = gain;
    }
}

/// Render `notes` offline into `total_frames` frames of interleaved stereo, processing in
/// blocks of `block` frames exactly like a live callback: before each block, the notes that
/// start in it are queued (in input order for equal frames). The result does not depend on
/// `block` unless more than [`DEFAULT_QUEUE_CAPACITY`] notes start within one block.
pub fn render_offline(
    notes: &[(u64, NoteSpec)],
    total_frames: u64,
    sample_rate: u32,
    block: usize,
) -> Vec<f32> {
    render_offline_with(
        notes,
        total_frames,
        sample_rate,
        block,
        Arc::new(SampleBank::empty(sample_rate)),
    )
}

/// [`render_offline`] with sample notes played from `bank`.
pub fn render_offline_with(
    notes: &[(u64, NoteSpec)],
    total_frames: u64,
    sample_rate: u32,
    block: usize,
    bank: Arc<SampleBank>,
) -> Vec<f32> {
    render_offline_stats(notes, total_frames, sample_rate, block, bank).0
}

/// [`render_offline_with`], also returning what the synth counted (missing samples,
/// stolen voices, ...).
pub fn render_offline_stats(
    notes: &[(u64, NoteSpec)],
    total_frames: u64,
    sample_rate: u32,
    block: usize,
    bank: Arc<SampleBank>,
) -> (Vec<f32>, SynthStats) {
    render_offline_progress(notes, total_frames, sample_rate, block, bank, &mut |_| {})
}

/// [`render_offline_stats`], calling `progress` with the frames rendered so far after each
/// block (for a progress bar; the output is the same).
pub fn render_offline_progress(
    notes: &[(u64, NoteSpec)],
    total_frames: u64,
    sample_rate: u32,
    block: usize,
    bank: Arc<SampleBank>,
    progress: &mut dyn FnMut(u64),
) -> (Vec<f32>, SynthStats) {
    let block = block.max(1) as u64;
    let mut synth = Synth::with_samples(sample_rate, OFFLINE_VOICES, bank);
    let mut order: Vec<usize> = (0..notes.len()).collect();
    order.sort_by_key(|&i| notes.get(i).map_or(0, |n| n.0));
    let total = usize::try_from(total_frames.saturating_mul(2)).unwrap_or(usize::MAX);
    let mut out = vec![0.0f32; total];
    let mut next = 0;
    let mut frame = 0u64;
    for chunk in out.chunks_mut((block * 2) as usize) {
        let end = frame + (chunk.len() / 2) as u64;
        while let Some(&(at, spec)) = order.get(next).and_then(|&i| notes.get(i)) {
            if at >= end {
                break;
            }
            synth.note(at, spec);
            next += 1;
        }
        synth.render(chunk);
        frame = end;
        progress(frame);
    }
    (out, synth.stats())
}
