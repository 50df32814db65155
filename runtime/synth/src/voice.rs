//! One voice: oscillator or drum model, a state-variable low-pass filter, the envelope and
//! the pan, with all state (including the Karplus-Strong delay line) allocated once.

use std::f32::consts::{PI, TAU};

use crate::{Instrument, NoteSpec};

/// Lowest Karplus-Strong pitch; sets the delay line's length.
const MIN_PLUCK_HZ: f32 = 20.0;

const ANTI_DENORMAL: f32 = 1e-20;

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
    release: u32,
    /// Envelope level held at the start of the release.
    level: f32,
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
    decay: f32,
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
            release: 1,
            level: 0.0,
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
            decay: 1.0,
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

    pub(crate) fn start(&mut self, frame: u64, age: u64, spec: &NoteSpec) {
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
        self.release = self
            .secs(finite_or(spec.release, 0.0).clamp(0.0, 60.0))
            .max(1);
        self.sustain = spec.sustain_frames.max(1);

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
        self.decay = 1.0;
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
        if spec.instrument.is_drum() {
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

    fn total(&self) -> u32 {
        if self.instrument.is_drum() {
            self.sustain
        } else {
            self.sustain.saturating_add(self.release)
        }
    }

    /// Add this voice into `out` (interleaved stereo) until it ends or `out` does.
    pub(crate) fn render_add(&mut self, out: &mut [f32]) {
        let total = self.total();
        for frame in out.chunks_exact_mut(2) {
            if self.t >= total {
                self.active = false;
                return;
            }
            let x = self.source();
            let y = self.filter(x);
            let s = y * self.envelope() * self.amp;
            if let [l, r] = frame {
                *l += s * self.gain_l;
                *r += s * self.gain_r;
            }
            self.t += 1;
        }
        if self.t >= total {
            self.active = false;
        }
    }

    fn envelope(&mut self) -> f32 {
        let t = self.t;
        if self.instrument.is_drum() {
            // The built-in decay shapes the sound; the linear factor reaches exactly zero at
            // the one-shot's end, so cutting it there never clicks.
            let d = self.decay;
            self.decay *= self.decay_k;
            return d * (1.0 - t as f32 / self.sustain as f32);
        }
        if t < self.sustain {
            self.level = if t < self.attack {
                (t + 1) as f32 / self.attack as f32
            } else {
                1.0
            };
            self.level
        } else {
            let r = t - self.sustain + 1;
            self.level * (1.0 - (r as f32 / self.release as f32).min(1.0))
        }
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
