//! The global effect buses: a Freeverb-style reverb (Jezar's eight lowpass-feedback combs and
//! four allpasses per channel) and a stereo feedback delay. Every line is allocated when the
//! synth is built, for the longest setting; processing is one sample at a time, so the
//! result does not depend on how the output is cut into blocks.

/// Longest delay time, in seconds (`delaytime` is clamped to it).
pub const MAX_DELAY_SECONDS: f32 = 4.0;

/// Freeverb's tunings at 44.1 kHz, scaled to the synth's rate.
const COMBS: [usize; 8] = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
const ALLPASSES: [usize; 4] = [556, 441, 341, 225];
/// Extra length of the right channel's lines: decorrelates the two sides.
const SPREAD: usize = 23;
/// Input attenuation before the combs (their sum is loud) and the wet gain after them.
const FIXED_GAIN: f32 = 0.015;
const WET_SCALE: f32 = 3.0;
const DAMP: f32 = 0.2;

/// Values below this are flushed to zero in feedback loops: denormal arithmetic is many
/// times slower on common CPUs, and a silent tail would otherwise linger there.
const FLUSH: f32 = 1e-20;

#[inline]
fn flush(x: f32) -> f32 {
    if x.abs() < FLUSH {
        0.0
    } else {
        x
    }
}

struct Comb {
    buf: Vec<f32>,
    pos: usize,
    store: f32,
}

impl Comb {
    fn new(len: usize) -> Comb {
        Comb {
            buf: vec![0.0; len.max(1)],
            pos: 0,
            store: 0.0,
        }
    }

    #[inline]
    fn tick(&mut self, x: f32, feedback: f32) -> f32 {
        let Some(slot) = self.buf.get_mut(self.pos) else {
            return 0.0;
        };
        let y = *slot;
        self.store = flush(y * (1.0 - DAMP) + self.store * DAMP);
        *slot = flush(x + self.store * feedback);
        self.pos += 1;
        if self.pos >= self.buf.len() {
            self.pos = 0;
        }
        y
    }
}

struct Allpass {
    buf: Vec<f32>,
    pos: usize,
}

impl Allpass {
    fn new(len: usize) -> Allpass {
        Allpass {
            buf: vec![0.0; len.max(1)],
            pos: 0,
        }
    }

    #[inline]
    fn tick(&mut self, x: f32) -> f32 {
        let Some(slot) = self.buf.get_mut(self.pos) else {
            return x;
        };
        let b = *slot;
        *slot = flush(x + b * 0.5);
        self.pos += 1;
        if self.pos >= self.buf.len() {
            self.pos = 0;
        }
        b - x
    }
}

/// Freeverb: the mono sum of the send feeds two banks (left and right) of parallel combs
/// followed by series allpasses.
pub(crate) struct Reverb {
    combs: [Vec<Comb>; 2],
    allpasses: [Vec<Allpass>; 2],
    feedback: f32,
}

impl Reverb {
    pub(crate) fn new(sr: u32) -> Reverb {
        let scale = |n: usize| ((n as f64) * f64::from(sr) / 44_100.0).round() as usize;
        let side = |extra: usize| {
            (
                COMBS.iter().map(|&n| Comb::new(scale(n + extra))).collect(),
                ALLPASSES
                    .iter()
                    .map(|&n| Allpass::new(scale(n + extra)))
                    .collect(),
            )
        };
        let (cl, al) = side(0);
        let (cr, ar) = side(SPREAD);
        let mut r = Reverb {
            combs: [cl, cr],
            allpasses: [al, ar],
            feedback: 0.0,
        };
        r.set_size(DEFAULT_SIZE);
        r
    }

    /// Room size 0..1 (SuperDirt's `size`): the combs' feedback, as Freeverb maps it.
    pub(crate) fn set_size(&mut self, size: f32) {
        let size = if size.is_finite() { size } else { DEFAULT_SIZE };
        self.feedback = 0.7 + 0.28 * size.clamp(0.0, 1.0);
    }

    #[inline]
    pub(crate) fn tick(&mut self, l: f32, r: f32) -> (f32, f32) {
        let x = (l + r) * FIXED_GAIN;
        let fb = self.feedback;
        let mut out = [0.0f32; 2];
        for ((o, combs), aps) in out
            .iter_mut()
            .zip(self.combs.iter_mut())
            .zip(self.allpasses.iter_mut())
        {
            let mut acc = 0.0;
            for c in combs.iter_mut() {
                acc += c.tick(x, fb);
            }
            for a in aps.iter_mut() {
                acc = a.tick(acc);
            }
            *o = acc * WET_SCALE;
        }
        (out[0], out[1])
    }
}

/// Room size when no note has set one (SuperDirt's default `size` is 0.1; a little more
/// sounds like a room rather than a box).
pub const DEFAULT_SIZE: f32 = 0.5;
/// Delay time when no note has set one, in seconds.
pub const DEFAULT_DELAY_TIME: f32 = 0.25;
/// Delay feedback when no note has set one.
pub const DEFAULT_DELAY_FEEDBACK: f32 = 0.5;
/// Highest delay feedback: below 1 so the echoes always die away.
pub const MAX_DELAY_FEEDBACK: f32 = 0.95;

/// A stereo feedback delay with a whole number of frames of delay.
pub(crate) struct Delay {
    buf: [Vec<f32>; 2],
    pos: usize,
    frames: usize,
    feedback: f32,
    sr: f32,
}

impl Delay {
    pub(crate) fn new(sr: u32) -> Delay {
        let len = (MAX_DELAY_SECONDS * sr as f32) as usize + 1;
        let mut d = Delay {
            buf: [vec![0.0; len], vec![0.0; len]],
            pos: 0,
            frames: 1,
            feedback: DEFAULT_DELAY_FEEDBACK,
            sr: sr as f32,
        };
        d.set_time(DEFAULT_DELAY_TIME);
        d
    }

    /// Delay time in seconds, clamped to one frame ..= [`MAX_DELAY_SECONDS`].
    pub(crate) fn set_time(&mut self, secs: f32) {
        let secs = if secs.is_finite() {
            secs
        } else {
            DEFAULT_DELAY_TIME
        };
        let len = self.buf[0].len();
        self.frames =
            ((secs * self.sr).round().max(1.0) as usize).min(len.saturating_sub(1).max(1));
    }

    pub(crate) fn set_feedback(&mut self, fb: f32) {
        let fb = if fb.is_finite() {
            fb
        } else {
            DEFAULT_DELAY_FEEDBACK
        };
        self.feedback = fb.clamp(0.0, MAX_DELAY_FEEDBACK);
    }

    #[inline]
    pub(crate) fn tick(&mut self, l: f32, r: f32) -> (f32, f32) {
        let [bl, br] = &mut self.buf;
        let len = bl.len();
        let read = (self.pos + len - self.frames) % len;
        let yl = bl.get(read).copied().unwrap_or(0.0);
        let yr = br.get(read).copied().unwrap_or(0.0);
        if let Some(s) = bl.get_mut(self.pos) {
            *s = flush(l + yl * self.feedback);
        }
        if let Some(s) = br.get_mut(self.pos) {
            *s = flush(r + yr * self.feedback);
        }
        self.pos += 1;
        if self.pos >= len {
            self.pos = 0;
        }
        (yl, yr)
    }
}
