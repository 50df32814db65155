//! One voice: oscillator, drum model or sample player, a state-variable low-pass filter, the
//! ADSR envelope, the pan and the effect sends, with all state (including the Karplus-Strong
//! delay line) allocated once.

use std::f32::consts::{PI, TAU};

use crate::sample::{Sample, SampleBank};
use crate::{Instrument, NoteSpec};

/// The sample a voice plays, resolved in a bank when the note started.
#[derive(Clone, Copy)]
pub(crate) struct SamplePlay {
    /// Reading the synth's previous bank (set when the bank was swapped during the note).
    pub(crate) old_bank: bool,
    pub(crate) folder: usize,
    pub(crate) file: usize,
    /// Position in frames, and its step per output frame (negative: reverse).
    pos: f64,
    step: f64,
    /// Playable region, `lo..hi` in frames.
    lo: f64,
    hi: f64,
}

/// The banks voices read from during one render.
pub(crate) struct Banks<'a> {
    pub(crate) current: &'a SampleBank,
    pub(crate) old: Option<&'a SampleBank>,
}

/// Where a voice's output goes: the dry mix and the two effect sends, all interleaved
/// stereo and the same length.
pub(crate) struct Buses<'a> {
    pub(crate) out: &'a mut [f32],
    pub(crate) reverb: &'a mut [f32],
    pub(crate) delay: &'a mut [f32],
}

/// Lowest Karplus-Strong pitch; sets the delay line's length.
const MIN_PLUCK_HZ: f32 = 20.0;

const ANTI_DENORMAL: f32 = 1e-20;

/// Playback speeds are clamped to this range (in magnitude), so a note always ends.
const MIN_SPEED: f32 = 0.01;
const MAX_SPEED: f32 = 64.0;

/// Seconds a voice takes to fade out when a note in its cut group starts.
pub(crate) const CUT_FADE: f32 = 0.005;

/// A cutoff at or above this means "no filter" for a sampler voice.
pub(crate) const NO_CUTOFF: f32 = 20_000.0;

/// What a sampler voice needs when it starts: where its sample is and the sample itself.
pub(crate) struct SampleStart<'a> {
    pub(crate) folder: usize,
    pub(crate) file: usize,
    pub(crate) sample: &'a Sample,
    /// Bank rate over output rate (1 when the bank was loaded for this synth's rate).
    pub(crate) rate_ratio: f64,
}

pub(crate) struct Voice {
    pub(crate) active: bool,
    /// Start order, for stealing the oldest.
    pub(crate) age: u64,
    sr: f32,
    instrument: Instrument,
    /// Frames since the onset.
    t: u32,
    /// Frames until the release starts (tonal) or the one-shot's length (drums).
    sustain: u32,
    attack: u32,
    decay: u32,
    sustain_level: f32,
    release: u32,
    /// Envelope level held at the start of the release.
    level: f32,
    /// Gains into the reverb and delay sends (the dry mix always gets the full signal).
    send_reverb: f32,
    send_delay: f32,
    /// The sample being played, if this voice is a sampler voice.
    pub(crate) sample: Option<SamplePlay>,
    /// Cut group (0: none), as in SuperDirt.
    pub(crate) cut: i32,
    /// Sampler voices filter only when a cutoff was asked for.
    filter_on: bool,
    /// Right-channel filter state for stereo samples.
    ic1r: f32,
    ic2r: f32,
    /// Oscillator phases in cycles (0..1); three for the pad.
    phase: [f32; 3],
    /// Phase increments in cycles per sample.
    inc: [f32; 3],
    amp: f32,
    gain_l: f32,
    gain_r: f32,
    // Cytomic (Simper) state-variable filter: coefficients and two integrator states.
    a1: f32,
    a2: f32,
    a3: f32,
    k: f32,
    ic1: f32,
    ic2: f32,
    rng: u32,
    /// Drum helpers: amplitude decay, pitch decay, burst decay, and previous sample.
    drum_decay: f32,
    decay_k: f32,
    sweep: f32,
    sweep_k: f32,
    burst: f32,
    burst_k: f32,
    prev: f32,
    pluck: Vec<f32>,
    pluck_len: usize,
    pluck_pos: usize,
}

impl Voice {
    pub(crate) fn new(sr: f32) -> Voice {
        Voice {
            active: false,
            age: 0,
            sr,
            instrument: Instrument::Sine,
            t: 0,
            sustain: 1,
            attack: 1,
            decay: 0,
            sustain_level: 1.0,
            release: 1,
            level: 0.0,
            send_reverb: 0.0,
            send_delay: 0.0,
            sample: None,
            cut: 0,
            filter_on: true,
            ic1r: 0.0,
            ic2r: 0.0,
            phase: [0.0; 3],
            inc: [0.0; 3],
            amp: 0.0,
            gain_l: 0.0,
            gain_r: 0.0,
            a1: 0.0,
            a2: 0.0,
            a3: 0.0,
            k: 2.0,
            ic1: 0.0,
            ic2: 0.0,
            rng: 1,
            drum_decay: 1.0,
            decay_k: 1.0,
            sweep: 0.0,
            sweep_k: 1.0,
            burst: 1.0,
            burst_k: 1.0,
            prev: 0.0,
            pluck: vec![0.0; (sr / MIN_PLUCK_HZ) as usize + 2],
            pluck_len: 2,
            pluck_pos: 0,
        }
    }

    /// Per-sample multiplier that decays by 1/e in `secs`.
    fn decay_coef(&self, secs: f32) -> f32 {
        (-1.0 / (secs * self.sr)).exp()
    }

    fn secs(&self, s: f32) -> u32 {
        (s * self.sr) as u32
    }

    /// True for a built-in drum (a one-shot with its own envelope).
    fn drum(&self) -> bool {
        self.sample.is_none() && self.instrument.is_drum()
    }

    pub(crate) fn start(
        &mut self,
        frame: u64,
        age: u64,
        spec: &NoteSpec,
        sample: Option<SampleStart<'_>>,
    ) {
        let sr = self.sr;
        let nyquist = 0.45 * sr;
        let freq = finite_or(spec.freq, 440.0).clamp(1.0, nyquist);
        self.active = true;
        self.age = age;
        self.instrument = spec.instrument;
        self.t = 0;
        self.level = 0.0;
        self.amp = finite_or(spec.amp, 0.0).clamp(0.0, 4.0);
        let pan = finite_or(spec.pan, 0.0).clamp(-1.0, 1.0);
        let angle = (pan + 1.0) * PI / 4.0;
        self.gain_l = angle.cos();
        self.gain_r = angle.sin();
        self.attack = self
            .secs(finite_or(spec.attack, 0.0).clamp(0.0, 60.0))
            .max(1);
        self.decay = self.secs(finite_or(spec.decay, 0.0).clamp(0.0, 60.0));
        self.sustain_level = finite_or(spec.sustain_level, 1.0).clamp(0.0, 1.0);
        self.release = self
            .secs(finite_or(spec.release, 0.0).clamp(0.0, 60.0))
            .max(1);
        self.sustain = spec.sustain_frames.max(1);
        let send = |x: f32| finite_or(x, 0.0).clamp(0.0, 1.0);
        // SuperDirt's `dry` turns the reverb's return down (1: none); the reverb is linear,
        // so scaling this voice's send does the same for this voice.
        self.send_reverb = send(spec.room) * (1.0 - send(spec.dry));
        self.send_delay = send(spec.delay);
        self.ic1r = 0.0;
        self.ic2r = 0.0;
        self.sample = None;
        self.cut = spec.cut;
        self.filter_on = true;
        if let Some(st) = sample {
            let frames = st.sample.frames() as f64;
            let begin = f64::from(finite_or(spec.begin, 0.0).clamp(0.0, 1.0));
            let end = f64::from(finite_or(spec.end, 1.0).clamp(0.0, 1.0));
            let (lo, hi) = ((begin * frames).floor(), (end * frames).floor());
            let speed = finite_or(spec.speed, 1.0);
            let mag = f64::from(speed.abs().clamp(MIN_SPEED, MAX_SPEED)) * st.rate_ratio;
            let (pos, step) = if speed < 0.0 {
                (hi - 1.0, -mag)
            } else {
                (lo, mag)
            };
            self.sample = Some(SamplePlay {
                old_bank: false,
                folder: st.folder,
                file: st.file,
                pos,
                step,
                lo,
                hi,
            });
            // An unfiltered sample plays its exact values; the filter is opt-in.
            self.filter_on = spec.cutoff.is_finite() && spec.cutoff < NO_CUTOFF;
            if st.sample.channels() == 2 {
                // A stereo file keeps its image: pan is a balance, and the centre is unity.
                self.gain_l = (1.0 - pan).min(1.0);
                self.gain_r = (1.0 + pan).min(1.0);
            }
        }

        let cutoff = finite_or(spec.cutoff, nyquist).clamp(20.0, nyquist);
        let res = finite_or(spec.resonance, 0.0).clamp(0.0, 0.98);
        let g = (PI * cutoff / sr).tan();
        self.k = 2.0 - 2.0 * res;
        self.a1 = 1.0 / (1.0 + g * (g + self.k));
        self.a2 = g * self.a1;
        self.a3 = g * self.a2;
        self.ic1 = 0.0;
        self.ic2 = 0.0;

        self.rng = seed(frame);
        self.phase = [0.0; 3];
        let inc = freq / sr;
        self.inc = [inc; 3];
        self.prev = 0.0;
        self.drum_decay = 1.0;
        self.sweep = 0.0;
        self.burst = 1.0;
        self.burst_k = 1.0;
        self.sweep_k = 1.0;
        // Drum lengths and decays: short, conventional 808/909-ish shapes.
        let (len, tau) = match spec.instrument {
            Instrument::Kick => (0.5, 0.12),
            Instrument::Snare => (0.25, 0.06),
            Instrument::Hat => (0.08, 0.02),
            Instrument::OpenHat => (0.5, 0.15),
            Instrument::Clap => (0.3, 0.08),
            Instrument::Rim => (0.05, 0.01),
            _ => (0.0, 1.0),
        };
        self.decay_k = self.decay_coef(tau);
        if self.drum() {
            self.sustain = self.secs(len).max(1);
        }
        match spec.instrument {
            Instrument::Bass => self.inc[1] = inc * 0.5,
            Instrument::Pad => {
                self.inc[1] = inc * 1.005;
                self.inc[2] = inc * 0.995;
                // Spread starting phases so the detuned saws do not start in unison.
                self.phase = [0.0, 0.33, 0.67];
            }
            Instrument::Kick => {
                self.sweep = 1.0;
                self.sweep_k = self.decay_coef(0.03);
            }
            Instrument::Snare => self.inc[0] = 180.0 / sr,
            Instrument::Rim => self.inc[0] = 1700.0 / sr,
            Instrument::Clap => self.burst_k = self.decay_coef(0.004),
            Instrument::Pluck => {
                let len = ((sr / freq).round() as usize).clamp(2, self.pluck.len());
                self.pluck_len = len;
                self.pluck_pos = 0;
                let mut rng = self.rng;
                for s in self.pluck.iter_mut().take(len) {
                    *s = noise(&mut rng);
                }
                self.rng = rng;
            }
            _ => {}
        }
    }

    /// True when a new note in cut group `cut` playing `sample` silences this voice: the
    /// same positive group, or the same negative group and the same sample. Drums are
    /// one-shots and are never cut.
    pub(crate) fn is_cut_by(&self, cut: i32, sample: Option<(usize, usize)>) -> bool {
        if !self.active || cut == 0 || self.cut != cut || self.drum() {
            return false;
        }
        if cut > 0 {
            return true;
        }
        match (self.sample, sample) {
            (Some(sp), Some(other)) => !sp.old_bank && (sp.folder, sp.file) == other,
            _ => false,
        }
    }

    /// End the note now with a [`CUT_FADE`] linear fade from where the envelope is; a note
    /// already in its release finishes it.
    pub(crate) fn cut_off(&mut self) {
        if self.t < self.sustain {
            self.sustain = self.t;
            self.release = self.secs(CUT_FADE).max(1);
        }
    }

    fn total(&self) -> u32 {
        if self.drum() {
            self.sustain
        } else {
            self.sustain.saturating_add(self.release)
        }
    }

    /// Add this voice into the buses until it ends or they do.
    pub(crate) fn render_add(&mut self, buses: &mut Buses<'_>, banks: &Banks<'_>) {
        let total = self.total();
        let sample = match self.sample {
            Some(sp) => {
                let bank = if sp.old_bank {
                    banks.old
                } else {
                    Some(banks.current)
                };
                match bank.and_then(|b| b.sample_at(sp.folder, sp.file)) {
                    Some(s) => Some(s),
                    None => {
                        self.active = false;
                        return;
                    }
                }
            }
            None => None,
        };
        let frames = buses
            .out
            .chunks_exact_mut(2)
            .zip(buses.reverb.chunks_exact_mut(2))
            .zip(buses.delay.chunks_exact_mut(2));
        for ((out, rev), del) in frames {
            if self.t >= total {
                self.active = false;
                return;
            }
            let (l, r) = match sample {
                Some(smp) => {
                    let Some((a, b)) = self.sample_frame(smp) else {
                        self.active = false;
                        return;
                    };
                    let (a, b) = if !self.filter_on {
                        (a, b)
                    } else if smp.channels() == 2 {
                        (self.filter(a), self.filter_right(b))
                    } else {
                        let y = self.filter(a);
                        (y, y)
                    };
                    let e = self.envelope() * self.amp;
                    (a * e * self.gain_l, b * e * self.gain_r)
                }
                None => {
                    let x = self.source();
                    let y = self.filter(x);
                    let s = y * self.envelope() * self.amp;
                    (s * self.gain_l, s * self.gain_r)
                }
            };
            if let [a, b] = out {
                *a += l;
                *b += r;
            }
            if self.send_reverb > 0.0 {
                add(rev, l, r, self.send_reverb);
            }
            if self.send_delay > 0.0 {
                add(del, l, r, self.send_delay);
            }
            self.t += 1;
        }
        if self.t >= total {
            self.active = false;
        }
    }

    /// The sample's next frame (linearly interpolated between source frames), or `None`
    /// once the playable region is left.
    fn sample_frame(&mut self, smp: &Sample) -> Option<(f32, f32)> {
        let sp = self.sample.as_mut()?;
        if !(sp.pos >= sp.lo && sp.pos < sp.hi) {
            return None;
        }
        let i = sp.pos as usize;
        let frac = (sp.pos - i as f64) as f32;
        let a = smp.frame(i);
        let b = if i + 1 < smp.frames() {
            smp.frame(i + 1)
        } else {
            a
        };
        sp.pos += sp.step;
        Some((a.0 + (b.0 - a.0) * frac, a.1 + (b.1 - a.1) * frac))
    }

    /// ADSR: linear attack to 1, linear decay to the sustain level, held until the gate
    /// ends, then a linear release from wherever it was to zero. Drums use their own shape.
    fn envelope(&mut self) -> f32 {
        let t = self.t;
        if self.drum() {
            // The built-in decay shapes the sound; the linear factor reaches exactly zero at
            // the one-shot's end, so cutting it there never clicks.
            let d = self.drum_decay;
            self.drum_decay *= self.decay_k;
            return d * (1.0 - t as f32 / self.sustain as f32);
        }
        if t < self.sustain {
            self.level = if t < self.attack {
                (t + 1) as f32 / self.attack as f32
            } else if t - self.attack < self.decay {
                let d = (t - self.attack + 1) as f32 / self.decay as f32;
                1.0 - (1.0 - self.sustain_level) * d
            } else {
                self.sustain_level
            };
            self.level
        } else {
            let r = t - self.sustain + 1;
            self.level * (1.0 - (r as f32 / self.release as f32).min(1.0))
        }
    }

    fn filter_right(&mut self, x: f32) -> f32 {
        let v3 = x + ANTI_DENORMAL - self.ic2r;
        let v1 = self.a1 * self.ic1r + self.a2 * v3;
        let v2 = self.ic2r + self.a2 * self.ic1r + self.a3 * v3;
        self.ic1r = 2.0 * v1 - self.ic1r;
        self.ic2r = 2.0 * v2 - self.ic2r;
        v2
    }

    fn filter(&mut self, x: f32) -> f32 {
        // A constant far below hearing keeps the integrators out of the denormal range
        // when the source falls silent (a decayed pluck), where they would slow to a crawl.
        let v3 = x + ANTI_DENORMAL - self.ic2;
        let v1 = self.a1 * self.ic1 + self.a2 * v3;
        let v2 = self.ic2 + self.a2 * self.ic1 + self.a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        v2
    }

    /// The raw (pre-filter, pre-envelope) sample. Phases advance before they are read, so
    /// the very first sample of a note is already non-zero.
    fn source(&mut self) -> f32 {
        match self.instrument {
            Instrument::Sine => sine(advance(&mut self.phase[0], self.inc[0])),
            Instrument::Saw => {
                let p = advance(&mut self.phase[0], self.inc[0]);
                saw(p, self.inc[0])
            }
            Instrument::Square => {
                let p = advance(&mut self.phase[0], self.inc[0]);
                square(p, self.inc[0])
            }
            Instrument::Bass => {
                let p = advance(&mut self.phase[0], self.inc[0]);
                let q = advance(&mut self.phase[1], self.inc[1]);
                0.6 * saw(p, self.inc[0]) + 0.6 * sine(q)
            }
            Instrument::Pad => {
                let mut s = 0.0;
                for (p, &i) in self.phase.iter_mut().zip(self.inc.iter()) {
                    let q = advance(p, i);
                    s += saw(q, i);
                }
                s * 0.4
            }
            Instrument::Pluck => {
                let len = self.pluck_len;
                let pos = self.pluck_pos;
                let next = (pos + 1) % len;
                let a = self.pluck.get(pos).copied().unwrap_or(0.0);
                let b = self.pluck.get(next).copied().unwrap_or(0.0);
                if let Some(slot) = self.pluck.get_mut(pos) {
                    // Averaging is the string's low-pass; the factor is its loss per trip.
                    let v = 0.5 * (a + b) * 0.996;
                    // Flush the string's fading tail to zero before it turns denormal
                    // (denormal arithmetic is many times slower on common CPUs).
                    *slot = if v.abs() < 1e-20 { 0.0 } else { v };
                }
                self.pluck_pos = next;
                a
            }
            Instrument::Kick => {
                // 50 Hz body with a sweep from 200 Hz for the click.
                let f = (50.0 + 150.0 * self.sweep) / self.sr;
                self.sweep *= self.sweep_k;
                sine(advance(&mut self.phase[0], f))
            }
            Instrument::Snare => {
                let tone = sine(advance(&mut self.phase[0], self.inc[0]));
                let n = noise(&mut self.rng);
                0.6 * n + 0.4 * tone
            }
            Instrument::Hat | Instrument::OpenHat => {
                let n = noise(&mut self.rng);
                // A first difference is a cheap high-pass: hats are all top end.
                let y = n - self.prev;
                self.prev = n;
                0.5 * y
            }
            Instrument::Clap => {
                let n = noise(&mut self.rng);
                // Three bursts 10 ms apart, then the body's decay alone.
                let period = (0.01 * self.sr) as u32;
                let e = if period > 0 && self.t < 3 * period {
                    if self.t % period == 0 {
                        self.burst = 1.0;
                    }
                    let b = self.burst;
                    self.burst *= self.burst_k;
                    b
                } else {
                    0.0
                };
                n * (e + 0.5)
            }
            Instrument::Rim => {
                let tone = sine(advance(&mut self.phase[0], self.inc[0]));
                0.7 * tone + 0.3 * noise(&mut self.rng)
            }
        }
    }
}

#[inline]
fn add(frame: &mut [f32], l: f32, r: f32, gain: f32) {
    if let [a, b] = frame {
        *a += l * gain;
        *b += r * gain;
    }
}

fn finite_or(x: f32, default: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        default
    }
}

/// Advance a phase (in cycles) and return the new one, wrapped to 0..1.
#[inline]
fn advance(phase: &mut f32, inc: f32) -> f32 {
    let mut p = *phase + inc;
    if p >= 1.0 {
        p -= 1.0;
    }
    *phase = p;
    p
}

#[inline]
fn sine(p: f32) -> f32 {
    (TAU * p).sin()
}

/// PolyBLEP correction for a unit step at phase 0.
#[inline]
fn blep(p: f32, dt: f32) -> f32 {
    if p < dt {
        let x = p / dt;
        x + x - x * x - 1.0
    } else if p > 1.0 - dt {
        let x = (p - 1.0) / dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
}

#[inline]
fn saw(p: f32, dt: f32) -> f32 {
    2.0 * p - 1.0 - blep(p, dt)
}

#[inline]
fn square(p: f32, dt: f32) -> f32 {
    let naive = if p < 0.5 { 1.0 } else { -1.0 };
    let mut q = p + 0.5;
    if q >= 1.0 {
        q -= 1.0;
    }
    naive + blep(p, dt) - blep(q, dt)
}

/// Seed for a note's noise: a splitmix-style hash of its start frame, never zero
/// (xorshift's one fixed point).
fn seed(frame: u64) -> u32 {
    let mut z = frame.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z as u32) | 1
}

/// Xorshift32 white noise in -1..1.
#[inline]
fn noise(state: &mut u32) -> f32 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    (x as i32) as f32 / 2_147_483_648.0
}
