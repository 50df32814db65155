//! patter's built-in SynthDefs, generated in Rust: default, ping, saw, square, pluck, bass,
//! pad, kick, snare, hat, clap.
//!
//! Every definition writes with `OffsetOut` (sample-accurate onsets on scsynth) through
//! `Pan2` to buses `out` and `out + 1`, scaled by `amp`. Pitched, sustained instruments
//! have a `gate` and are released with `/n_set gate 0`; percussive ones free themselves
//! (doneAction 2). `sustain` is in seconds (the sink converts beats): `ping` rings for it.

use crate::synthdef::{BinOp, GraphBuilder, Rate, Sig, SynthDef, SynthDefError, UnOp};

/// Names of the built-in definitions.
pub const NAMES: [&str; 11] = [
    "default", "ping", "saw", "square", "pluck", "bass", "pad", "kick", "snare", "hat", "clap",
];

/// The EnvGen `doneAction` that frees the synth when its envelope ends.
const FREE_SELF: f32 = 2.0;
/// Shape numbers of envelope segments.
const LINEAR: f32 = 1.0;
const CURVE: f32 = 5.0;
/// "No release node / no loop node" in an envelope.
const NONE: f32 = -99.0;

fn gated_params<'a>(freq: f32, attack: f32, release: f32, cutoff: f32) -> Vec<(&'a str, f32)> {
    vec![
        ("out", 0.0),
        ("freq", freq),
        ("amp", 0.1),
        ("pan", 0.0),
        ("gate", 1.0),
        ("sustain", 1.0),
        ("attack", attack),
        ("release", release),
        ("cutoff", cutoff),
    ]
}

fn perc_params<'a>(freq: f32, attack: f32, release: f32) -> Vec<(&'a str, f32)> {
    vec![
        ("out", 0.0),
        ("freq", freq),
        ("amp", 0.1),
        ("pan", 0.0),
        ("sustain", 1.0),
        ("attack", attack),
        ("release", release),
    ]
}

/// `EnvGen.kr(Env.asr(attack, 1, release, -4), gate, doneAction: 2)`.
fn env_asr(b: &mut GraphBuilder) -> Result<Sig, SynthDefError> {
    let gate = b.param("gate")?;
    let attack = b.param("attack")?;
    let release = b.param("release")?;
    let inputs = [
        gate,
        1.0.into(),
        0.0.into(),
        1.0.into(),
        FREE_SELF.into(),
        // init level, segments, release node, loop node
        0.0.into(),
        2.0.into(),
        1.0.into(),
        NONE.into(),
        // level, time, shape, curve
        1.0.into(),
        attack,
        LINEAR.into(),
        0.0.into(),
        0.0.into(),
        release,
        CURVE.into(),
        (-4.0).into(),
    ];
    Ok(b.ugen("EnvGen", Rate::Control, &inputs, 1))
}

/// `EnvGen.kr(Env.perc(attack, decay, 1, -4), doneAction: 2)`, audio rate so clicks are
/// sample-exact.
fn env_perc(b: &mut GraphBuilder, attack: Sig, decay: Sig) -> Sig {
    let inputs = [
        1.0.into(),
        1.0.into(),
        0.0.into(),
        1.0.into(),
        FREE_SELF.into(),
        0.0.into(),
        2.0.into(),
        NONE.into(),
        NONE.into(),
        1.0.into(),
        attack,
        LINEAR.into(),
        0.0.into(),
        0.0.into(),
        decay,
        CURVE.into(),
        (-4.0).into(),
    ];
    b.ugen("EnvGen", Rate::Audio, &inputs, 1)
}

/// `OffsetOut.ar(out, Pan2.ar(sig, pan, amp))`.
fn out_stereo(b: &mut GraphBuilder, sig: Sig) -> Result<(), SynthDefError> {
    let pan = b.param("pan")?;
    let amp = b.param("amp")?;
    let out = b.param("out")?;
    let panned = b.ugen("Pan2", Rate::Audio, &[sig, pan, amp], 2);
    let right = GraphBuilder::output(panned, 1);
    b.ugen("OffsetOut", Rate::Audio, &[out, panned, right], 0);
    Ok(())
}

fn saw(b: &mut GraphBuilder, freq: Sig) -> Sig {
    b.ugen("Saw", Rate::Audio, &[freq], 1)
}

fn pulse(b: &mut GraphBuilder, freq: Sig, width: f32) -> Sig {
    b.ugen("Pulse", Rate::Audio, &[freq, width.into()], 1)
}

fn sine(b: &mut GraphBuilder, freq: Sig) -> Sig {
    b.ugen("SinOsc", Rate::Audio, &[freq, 0.0.into()], 1)
}

fn noise(b: &mut GraphBuilder) -> Sig {
    b.ugen("WhiteNoise", Rate::Audio, &[], 1)
}

fn filter(b: &mut GraphBuilder, class: &str, sig: Sig, freq: Sig, rq: Option<f32>) -> Sig {
    match rq {
        Some(rq) => b.ugen(class, Rate::Audio, &[sig, freq, rq.into()], 1),
        None => b.ugen(class, Rate::Audio, &[sig, freq], 1),
    }
}

/// Three slightly detuned saws, low-passed: SuperCollider's default instrument's sound.
fn default_def() -> Result<SynthDef, SynthDefError> {
    let mut b = GraphBuilder::new("default", &gated_params(440.0, 0.01, 0.3, 4000.0));
    let freq = b.param("freq")?;
    let mut sum = Sig::Const(0.0);
    for detune in [1.0, 1.0037, 0.9963] {
        let f = b.mul(freq, detune);
        let s = saw(&mut b, f);
        sum = b.add(sum, s);
    }
    let sum = b.mul(sum, 0.3);
    let cutoff = b.param("cutoff")?;
    let sig = filter(&mut b, "LPF", sum, cutoff, None);
    let env = env_asr(&mut b)?;
    let sig = b.mul(sig, env);
    out_stereo(&mut b, sig)?;
    b.build()
}

/// A sine that rings for `sustain` seconds.
fn ping() -> Result<SynthDef, SynthDefError> {
    let mut b = GraphBuilder::new("ping", &perc_params(440.0, 0.002, 0.5));
    let freq = b.param("freq")?;
    let s = sine(&mut b, freq);
    let attack = b.param("attack")?;
    let sustain = b.param("sustain")?;
    let decay = b.bin(BinOp::Max, sustain, 0.02);
    let env = env_perc(&mut b, attack, decay);
    let sig = b.mul(s, env);
    out_stereo(&mut b, sig)?;
    b.build()
}

fn gated_osc(name: &str, cutoff: f32, square: bool) -> Result<SynthDef, SynthDefError> {
    let mut b = GraphBuilder::new(name, &gated_params(440.0, 0.005, 0.1, cutoff));
    let freq = b.param("freq")?;
    let osc = if square {
        pulse(&mut b, freq, 0.5)
    } else {
        saw(&mut b, freq)
    };
    let cutoff = b.param("cutoff")?;
    let sig = if square {
        filter(&mut b, "LPF", osc, cutoff, None)
    } else {
        filter(&mut b, "RLPF", osc, cutoff, Some(0.4))
    };
    let env = env_asr(&mut b)?;
    let sig = b.mul(sig, env);
    out_stereo(&mut b, sig)?;
    b.build()
}

/// A Karplus-Strong string (`Pluck`) that decays over `release` seconds.
fn pluck() -> Result<SynthDef, SynthDefError> {
    let mut b = GraphBuilder::new("pluck", &perc_params(440.0, 0.001, 2.0));
    let freq = b.param("freq")?;
    let excite = noise(&mut b);
    let trig = b.ugen("Impulse", Rate::Control, &[0.0.into(), 0.0.into()], 1);
    // The delay line holds up to 50 ms: down to 20 Hz.
    let f = b.bin(BinOp::Max, freq, 20.0);
    let period = b.un(UnOp::Reciprocal, f);
    let release = b.param("release")?;
    let string = b.ugen(
        "Pluck",
        Rate::Audio,
        &[excite, trig, 0.05.into(), period, release, 0.3.into()],
        1,
    );
    let attack = b.param("attack")?;
    let env = env_perc(&mut b, attack, release);
    let sig = b.mul(string, env);
    out_stereo(&mut b, sig)?;
    b.build()
}

/// A saw with a sub-octave square, resonant low-pass.
fn bass() -> Result<SynthDef, SynthDefError> {
    let mut b = GraphBuilder::new("bass", &gated_params(110.0, 0.005, 0.15, 1200.0));
    let freq = b.param("freq")?;
    let s = saw(&mut b, freq);
    let half = b.mul(freq, 0.5);
    let sub = pulse(&mut b, half, 0.5);
    let sub = b.mul(sub, 0.5);
    let mix = b.add(s, sub);
    let cutoff = b.param("cutoff")?;
    let sig = filter(&mut b, "RLPF", mix, cutoff, Some(0.3));
    let env = env_asr(&mut b)?;
    let sig = b.mul(sig, env);
    out_stereo(&mut b, sig)?;
    b.build()
}

/// Detuned saws and a soft pulse with a slow attack.
fn pad() -> Result<SynthDef, SynthDefError> {
    let mut b = GraphBuilder::new("pad", &gated_params(440.0, 0.4, 1.0, 2000.0));
    let freq = b.param("freq")?;
    let f1 = b.mul(freq, 0.995);
    let f2 = b.mul(freq, 1.005);
    let s1 = saw(&mut b, f1);
    let s2 = saw(&mut b, f2);
    let half = b.mul(freq, 0.5);
    let p = pulse(&mut b, half, 0.3);
    let p = b.mul(p, 0.5);
    let mix = b.add(s1, s2);
    let mix = b.add(mix, p);
    let mix = b.mul(mix, 0.4);
    let cutoff = b.param("cutoff")?;
    let sig = filter(&mut b, "LPF", mix, cutoff, None);
    let env = env_asr(&mut b)?;
    let sig = b.mul(sig, env);
    out_stereo(&mut b, sig)?;
    b.build()
}

/// A sine sweeping down from four times `tone` Hz (default 50): drums ignore `freq`, which
/// every pitched event carries.
fn kick() -> Result<SynthDef, SynthDefError> {
    let mut params = perc_params(440.0, 0.001, 0.4);
    params.push(("tone", 50.0));
    let mut b = GraphBuilder::new("kick", &params);
    let tone = b.param("tone")?;
    let start = b.mul(tone, 4.0);
    let sweep = b.ugen(
        "XLine",
        Rate::Control,
        &[start, tone, 0.06.into(), 0.0.into()],
        1,
    );
    let s = sine(&mut b, sweep);
    let s = b.mul(s, 2.0);
    percussive_out(b, s)
}

/// Noise and a 180 Hz body.
fn snare() -> Result<SynthDef, SynthDefError> {
    let mut b = GraphBuilder::new("snare", &perc_params(440.0, 0.001, 0.2));
    let n = noise(&mut b);
    let n = filter(&mut b, "HPF", n, 1500.0.into(), None);
    let body = sine(&mut b, 180.0.into());
    let body = b.mul(body, 0.6);
    let mix = b.add(n, body);
    percussive_out(b, mix)
}

/// The end of every self-freeing drum: `sig` through a percussive envelope from the
/// `attack` and `release` controls, panned out.
fn percussive_out(mut b: GraphBuilder, sig: Sig) -> Result<SynthDef, SynthDefError> {
    let attack = b.param("attack")?;
    let release = b.param("release")?;
    let env = env_perc(&mut b, attack, release);
    let sig = b.mul(sig, env);
    out_stereo(&mut b, sig)?;
    b.build()
}

/// High-passed noise, short.
fn hat() -> Result<SynthDef, SynthDefError> {
    let mut b = GraphBuilder::new("hat", &perc_params(440.0, 0.001, 0.05));
    let n = noise(&mut b);
    let n = filter(&mut b, "HPF", n, 8000.0.into(), None);
    percussive_out(b, n)
}

/// Band-passed noise in three quick bursts and a tail.
fn clap() -> Result<SynthDef, SynthDefError> {
    let mut b = GraphBuilder::new("clap", &perc_params(440.0, 0.001, 0.15));
    let n = noise(&mut b);
    let n = filter(&mut b, "BPF", n, 1500.0.into(), Some(0.6));
    let attack = b.param("attack")?;
    let release = b.param("release")?;
    let mut inputs: Vec<Sig> = vec![
        1.0.into(),
        1.0.into(),
        0.0.into(),
        1.0.into(),
        FREE_SELF.into(),
        0.0.into(),
        6.0.into(),
        NONE.into(),
        NONE.into(),
    ];
    for (level, time) in [
        (1.0, attack),
        (0.2, 0.01.into()),
        (1.0, 0.001.into()),
        (0.2, 0.01.into()),
        (1.0, 0.001.into()),
        (0.0, release),
    ] {
        inputs.extend([Sig::Const(level), time, Sig::Const(CURVE), Sig::Const(-4.0)]);
    }
    let env = b.ugen("EnvGen", Rate::Audio, &inputs, 1);
    let sig = b.mul(n, env);
    let sig = b.mul(sig, 2.0);
    out_stereo(&mut b, sig)?;
    b.build()
}

/// Every built-in definition.
pub fn builtin() -> Result<Vec<SynthDef>, SynthDefError> {
    Ok(vec![
        default_def()?,
        ping()?,
        gated_osc("saw", 3000.0, false)?,
        gated_osc("square", 4000.0, true)?,
        pluck()?,
        bass()?,
        pad()?,
        kick()?,
        snare()?,
        hat()?,
        clap()?,
    ])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::synthdef::read_defs;

    #[test]
    fn every_name_is_built_and_reads_back() {
        let defs = builtin().unwrap();
        let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, NAMES);
        let file = crate::synthdef::file_of(&defs);
        let infos = read_defs(&file).unwrap();
        assert_eq!(infos.len(), NAMES.len());
        for (d, i) in defs.iter().zip(&infos) {
            assert_eq!(d.name, i.name);
            assert_eq!(d.gated(), i.gated());
            for p in ["out", "freq", "amp", "pan", "sustain"] {
                assert!(i.params.iter().any(|x| x == p), "{} lacks {p}", d.name);
            }
        }
        let gated: Vec<&str> = defs
            .iter()
            .filter(|d| d.gated())
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(gated, ["default", "saw", "square", "bass", "pad"]);
    }

    #[test]
    fn definitions_are_deterministic() {
        assert_eq!(builtin().unwrap(), builtin().unwrap());
    }
}
