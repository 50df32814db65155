//! The real-time half of the audio sink: what the audio callback runs.
//!
//! Real-time contract: [`AudioCore::process`] never allocates, locks or blocks. It pops
//! messages from a preallocated lock-free queue, places each note at its exact frame in the
//! synth, renders, and writes the device's channels. A reset (release all, panic) swaps in
//! a spare synth made ahead of time on another thread, fades the old one out over
//! [`FADE_FRAMES`] and hands it back through another queue to be freed off this thread.
//!
//! Samples: a new bank from the loader thread arrives through [`AudioShared::banks`] and is
//! swapped in with `Synth::set_samples` (one per callback); the banks the synth retires go
//! back through [`AudioShared::bank_trash`] to be freed by the supervisor. A swap waits while
//! that bin has no room, so the callback never frees a bank. A spare synth swapped in by a
//! reset takes the playing synth's bank first.
//!
//! Timing: engine time maps to stream frames through a [`FrameClock`] (frames are
//! counted; drift against the stream's own timestamps is followed slowly; see
//! `sink::frame_clock`).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use std::sync::Arc;

use crossbeam_queue::ArrayQueue;
use patter_synth::{NoteSpec, SampleBank, Synth};

use crate::sink::frame_clock::FrameClock;
pub use crate::sink::frame_clock::{
    CallbackTiming, DRIFT_LIMIT_NS, DRIFT_TAU_S, SETTLED_NS, SLEW, STEP_NS, UNPACED, WARMUP_S,
};
use crate::sink::SinkCounters;

/// Messages that may wait between the scheduler and the callback.
pub const QUEUE: usize = 8192;
/// Frames over which a reset fades the old voices out (5.3 ms at 48 kHz): quick, no click.
pub const FADE_FRAMES: u64 = 256;
/// Notes this late are dropped rather than played at once (a stream that stalled or came
/// back after a server restart must not burst out a backlog).
pub const STALE_NS: i64 = 200_000_000;
/// Frames rendered per synth call; a longer device buffer is rendered in pieces.
pub const MAX_BLOCK: usize = 2048;
/// Spare synths kept ready for resets.
pub const SPARES: usize = 2;
/// Sample banks that may wait for the callback.
pub const BANKS: usize = 4;
/// Retired sample banks that may wait to be freed.
pub const BANK_TRASH: usize = 16;

/// What the scheduler side sends to the callback.
#[derive(Clone, Copy, Debug)]
pub enum AudioMsg {
    /// Start a note at an engine time (nanoseconds since the engine's origin, latency
    /// included).
    Note {
        /// Onset in engine nanoseconds.
        at_ns: i64,
        /// What to play (sustain already in frames at the stream's rate).
        spec: NoteSpec,
    },
    /// Silence every voice (quick fade) and drop every note queued before this message.
    Reset,
}

/// State shared by the scheduler side, the callback and the supervisor thread. Everything
/// here is lock-free.
pub struct AudioShared {
    /// Scheduler → callback.
    pub queue: ArrayQueue<AudioMsg>,
    /// Fresh synths for resets (supervisor → callback).
    pub spares: ArrayQueue<Box<Synth>>,
    /// Faded-out synths to free (callback → supervisor).
    pub trash: ArrayQueue<Box<Synth>>,
    /// New sample banks (loader → callback).
    pub banks: ArrayQueue<Arc<SampleBank>>,
    /// Sample banks no voice reads any more, to free (callback → supervisor).
    pub bank_trash: ArrayQueue<Arc<SampleBank>>,
    /// Sample banks published by the loader.
    pub bank_swaps: AtomicU64,
    /// sent / late / dropped.
    pub counters: SinkCounters,
    /// Notes waiting in the queue and in the synth.
    pub depth: AtomicUsize,
    /// Frames rendered by the current stream.
    pub frames: AtomicU64,
    /// Callbacks run by the current stream.
    pub callbacks: AtomicU64,
    /// Frames of the last callback.
    pub buffer: AtomicU32,
    /// Times the drift correction moved the mapping.
    pub corrections: AtomicU64,

    /// False while the device is gone.
    pub connected: AtomicBool,
}

impl AudioShared {
    /// Empty queues and zero counters.
    pub fn new() -> AudioShared {
        AudioShared {
            queue: ArrayQueue::new(QUEUE),
            spares: ArrayQueue::new(SPARES),
            trash: ArrayQueue::new(SPARES + 2),
            banks: ArrayQueue::new(BANKS),
            bank_trash: ArrayQueue::new(BANK_TRASH),
            bank_swaps: AtomicU64::new(0),
            counters: SinkCounters::default(),
            depth: AtomicUsize::new(0),
            frames: AtomicU64::new(0),
            callbacks: AtomicU64::new(0),
            buffer: AtomicU32::new(0),
            corrections: AtomicU64::new(0),
            connected: AtomicBool::new(false),
        }
    }
}

impl Default for AudioShared {
    fn default() -> Self {
        AudioShared::new()
    }
}

/// The audio callback's state. See the module documentation.
pub struct AudioCore {
    shared: std::sync::Arc<AudioShared>,
    synth: Box<Synth>,
    /// Stream frame at which the current synth's frame 0 is.
    synth_base: u64,
    fading: Option<Box<Synth>>,
    fade_pos: u64,
    held: Option<AudioMsg>,
    rate: f64,
    channels: usize,
    frame: u64,
    /// Where engine time falls in the stream's frames.
    clock: FrameClock,

    mix: Vec<f32>,
    fade_mix: Vec<f32>,
}

impl AudioCore {
    /// A core for a stream at `rate` Hz with `channels` output channels, playing through a
    /// synth with `voices` voices. Allocates everything it will use.
    pub fn new(
        shared: std::sync::Arc<AudioShared>,
        rate: u32,
        channels: usize,
        voices: usize,
    ) -> AudioCore {
        AudioCore::with_samples(
            shared,
            rate,
            channels,
            voices,
            Arc::new(SampleBank::empty(rate)),
        )
    }

    /// [`AudioCore::new`] with a synth playing samples from `bank`.
    pub fn with_samples(
        shared: std::sync::Arc<AudioShared>,
        rate: u32,
        channels: usize,
        voices: usize,
        bank: Arc<SampleBank>,
    ) -> AudioCore {
        AudioCore {
            shared,
            synth: Box::new(Synth::with_samples(rate, voices, bank)),
            synth_base: 0,
            fading: None,
            fade_pos: 0,
            held: None,
            rate: f64::from(rate.max(1)),
            channels: channels.max(1),
            frame: 0,
            clock: FrameClock::new(rate),
            mix: vec![0.0; MAX_BLOCK * 2],
            fade_mix: vec![0.0; MAX_BLOCK * 2],
        }
    }

    /// Stream frames rendered so far.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// The stream frame an engine time falls on (None before the first callback).
    pub fn frame_at(&self, at_ns: i64) -> Option<i64> {
        Some(self.clock.frames_at(at_ns)?.round() as i64)
    }

    /// Fill `out` (interleaved, the stream's channel count) with the next buffer, writing
    /// each sample through `conv`. Never allocates, locks or blocks.
    pub fn process<T: Copy>(
        &mut self,
        out: &mut [T],
        timing: CallbackTiming,
        conv: impl Fn(f32) -> T,
    ) {
        let frames = (out.len() / self.channels) as u64;
        self.clock
            .update(timing, self.frame, frames, &self.shared.corrections);
        self.swap_samples();
        self.drain();
        for chunk in out.chunks_mut(MAX_BLOCK * self.channels) {
            let n = (chunk.len() / self.channels).min(MAX_BLOCK);
            self.render(n);
            for (i, frame) in chunk.chunks_mut(self.channels).enumerate() {
                let l = self.mix.get(2 * i).copied().unwrap_or(0.0);
                let r = self.mix.get(2 * i + 1).copied().unwrap_or(0.0);
                match frame {
                    [mono] => *mono = conv(0.5 * (l + r)),
                    [a, b, rest @ ..] => {
                        *a = conv(l);
                        *b = conv(r);
                        for x in rest {
                            *x = conv(0.0);
                        }
                    }
                    [] => {}
                }
            }
        }
        self.retire_samples();
        self.frame += frames;
        let s = &self.shared;
        s.frames.store(self.frame, Ordering::Release);
        s.callbacks.fetch_add(1, Ordering::Relaxed);
        s.buffer.store(frames as u32, Ordering::Relaxed);
        s.depth
            .store(s.queue.len() + self.synth.queued(), Ordering::Relaxed);
    }

    /// Move what the scheduler sent into the synth, stopping at a reset that cannot be
    /// served yet (no spare, or the previous reset still fading); it waits in `held`.
    fn drain(&mut self) {
        if self.clock.anchor_ns().is_none() {
            return;
        }
        let now = self.frame;
        while let Some(msg) = self.held.take().or_else(|| self.shared.queue.pop()) {
            match msg {
                AudioMsg::Note { at_ns, spec } => {
                    if let Some(frames) = self.clock.frames_at(at_ns) {
                        self.place(frames.round(), spec, now);
                    }
                }
                AudioMsg::Reset => {
                    if self.fading.is_some() || !self.reset(now) {
                        self.held = Some(msg);
                        break;
                    }
                }
            }
        }
    }

    /// Start a note at stream frame `target` (or `now`, counted late, if that has passed).
    fn place(&mut self, target: f64, spec: NoteSpec, now: u64) {
        let c = &self.shared.counters;
        let late_ns = (now as f64 - target) * 1e9 / self.rate;
        if late_ns > STALE_NS as f64 {
            c.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let frame = if target < now as f64 {
            c.late.fetch_add(1, Ordering::Relaxed);
            let us = (late_ns / 1e3) as u64;
            c.late_us_total.fetch_add(us, Ordering::Relaxed);
            c.late_us_max.fetch_max(us, Ordering::Relaxed);
            now
        } else {
            target as u64
        };
        if self.synth.note(frame - self.synth_base, spec) {
            c.sent.fetch_add(1, Ordering::Relaxed);
        } else {
            c.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Room in the bank bin for `n` more banks (the callback is its only producer, so the
    /// room cannot shrink before it pushes).
    fn bin_room(&self, n: usize) -> bool {
        self.shared.bank_trash.len() + n <= self.shared.bank_trash.capacity()
    }

    /// Bin a bank the synth handed back; the caller checked the room.
    fn bin(&self, bank: Option<Arc<SampleBank>>) {
        if let Some(b) = bank {
            // Checked room: cannot fail. Were it to, leaking is better than freeing here.
            if let Err(b) = self.shared.bank_trash.push(b) {
                std::mem::forget(b);
            }
        }
    }

    /// Take one new bank from the loader, when the bin has room for what the swap and the
    /// next retirement hand back.
    fn swap_samples(&mut self) {
        if !self.bin_room(2) {
            return;
        }
        if let Some(bank) = self.shared.banks.pop() {
            let older = self.synth.set_samples(bank);
            self.bin(older);
        }
    }

    /// Bin the bank the synth stopped reading.
    fn retire_samples(&mut self) {
        if self.bin_room(1) {
            let old = self.synth.take_retired();
            self.bin(old);
        }
    }

    /// Swap in a spare synth starting at `now`; the old one fades out. False without a spare
    /// (or while the bank bin is too full to give the spare the playing bank).
    fn reset(&mut self, now: u64) -> bool {
        if !self.bin_room(2) {
            return false;
        }
        let Some(mut fresh) = self.shared.spares.pop() else {
            return false;
        };
        if !Arc::ptr_eq(fresh.samples(), self.synth.samples()) {
            // An atomic increment: the playing bank is shared, not copied.
            let older = fresh.set_samples(self.synth.samples().clone());
            self.bin(older);
            let replaced = fresh.take_retired();
            self.bin(replaced);
        }
        std::mem::swap(&mut self.synth, &mut fresh);
        self.fading = Some(fresh);
        self.fade_pos = 0;
        self.synth_base = now;
        true
    }

    /// Render `n` frames (at most [`MAX_BLOCK`]) of stereo into `self.mix`.
    fn render(&mut self, n: usize) {
        let len = 2 * n.min(MAX_BLOCK);
        let Some(mix) = self.mix.get_mut(..len) else {
            return;
        };
        self.synth.render(mix);
        let Some(old) = self.fading.as_mut() else {
            return;
        };
        if self.fade_pos < FADE_FRAMES {
            if let Some(fade) = self.fade_mix.get_mut(..len) {
                old.render(fade);
                for (i, (m, f)) in mix
                    .chunks_exact_mut(2)
                    .zip(fade.chunks_exact(2))
                    .enumerate()
                {
                    let pos = self.fade_pos + i as u64;
                    let gain = 1.0 - (pos as f32 / FADE_FRAMES as f32).min(1.0);
                    if let ([ml, mr], [fl, fr]) = (m, f) {
                        *ml += fl * gain;
                        *mr += fr * gain;
                    }
                }
            }
            self.fade_pos += n as u64;
        }
        if self.fade_pos >= FADE_FRAMES {
            // Freed by the supervisor; if its bin is full, try again next buffer (silent).
            if let Some(old) = self.fading.take() {
                if let Err(old) = self.shared.trash.push(old) {
                    self.fading = Some(old);
                }
            }
        }
    }
}

/// Convert a synth sample for the device (f32 as is; integers scaled, clamped by cpal).
pub fn to_sample<T: cpal::FromSample<f32>>(x: f32) -> T {
    T::from_sample_(x)
}
