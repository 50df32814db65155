//! SynthDefs built in Rust and written in SuperCollider's binary format (SCgf version 2,
//! as `Synth-Definition-File-Format.schelp` describes), so patter needs no sclang.
//!
//! A [`GraphBuilder`] adds unit generators in order; every input is a constant, a control
//! (an output of the `Control` UGen, always UGen 0) or an earlier UGen's output, so the
//! graph is topologically sorted by construction, as the server requires. Arithmetic on
//! signals becomes `BinaryOpUGen`/`UnaryOpUGen` with their operator in the special index;
//! constant operands are folded here, as sclang does.
//!
//! [`read_defs`] reads back the names and control names of `.scsyndef` files (ours or a
//! user's), so the sink knows which definitions take a `gate`.

use std::fmt;

/// Calculation rate of a UGen (the byte the file format stores).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rate {
    /// Computed once (constants).
    Scalar = 0,
    /// Once per block.
    Control = 1,
    /// Once per sample.
    Audio = 2,
}

/// A signal: a constant or one output of a UGen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sig {
    /// A constant.
    Const(f32),
    /// Output `output` of UGen number `ugen`, running at `rate`.
    Out {
        /// Index of the UGen in the graph.
        ugen: u32,
        /// Which of its outputs.
        output: u32,
        /// Its rate.
        rate: Rate,
    },
}

impl Sig {
    /// The rate the signal runs at.
    pub fn rate(self) -> Rate {
        match self {
            Sig::Const(_) => Rate::Scalar,
            Sig::Out { rate, .. } => rate,
        }
    }
}

impl From<f32> for Sig {
    fn from(x: f32) -> Sig {
        Sig::Const(x)
    }
}

/// Operators of `BinaryOpUGen` (the value is the special index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add = 0,
    /// `-`
    Sub = 1,
    /// `*`
    Mul = 2,
    /// `/`
    Div = 4,
    /// `min`
    Min = 12,
    /// `max`
    Max = 13,
}

/// Operators of `UnaryOpUGen` (the value is the special index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `neg`
    Neg = 0,
    /// `abs`
    Abs = 5,
    /// `reciprocal`
    Reciprocal = 16,
    /// `midicps`
    MidiCps = 17,
}

/// A mistake in building a graph (a bug in a definition, reported rather than panicking).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SynthDefError {
    /// `param` named a control the definition does not declare.
    UnknownParam(String),
    /// A name longer than 255 bytes (the format's string length is one byte).
    NameTooLong(String),
    /// A `.scsyndef` file that is not SCgf or is cut short.
    Malformed(String),
}

impl fmt::Display for SynthDefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthDefError::UnknownParam(p) => write!(f, "no control called `{p}`"),
            SynthDefError::NameTooLong(n) => write!(f, "name longer than 255 bytes: `{n}`"),
            SynthDefError::Malformed(why) => write!(f, "not a SynthDef file: {why}"),
        }
    }
}

impl std::error::Error for SynthDefError {}

#[derive(Clone, Debug, PartialEq)]
struct UGen {
    class: String,
    rate: Rate,
    inputs: Vec<Sig>,
    outputs: u32,
    special: i16,
}

/// Builds one SynthDef's graph.
#[derive(Clone, Debug)]
pub struct GraphBuilder {
    name: String,
    params: Vec<(String, f32)>,
    ugens: Vec<UGen>,
}

/// A finished definition: its name, controls and encoded bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthDef {
    /// The name `/s_new` uses.
    pub name: String,
    /// Control names with their defaults, in order.
    pub params: Vec<(String, f32)>,
    /// One definition in the format's inner layout (no file header); see [`SynthDef::file`].
    body: Vec<u8>,
}

impl SynthDef {
    /// True when the definition has a `gate` control (it sounds until `gate 0`).
    pub fn gated(&self) -> bool {
        self.params.iter().any(|(n, _)| n == "gate")
    }

    /// A whole `.scsyndef` file holding this definition (the `/d_recv` blob).
    pub fn file(&self) -> Vec<u8> {
        file_of(std::slice::from_ref(self))
    }
}

/// A `.scsyndef` file holding several definitions.
pub fn file_of(defs: &[SynthDef]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + defs.iter().map(|d| d.body.len()).sum::<usize>());
    out.extend_from_slice(b"SCgf");
    out.extend_from_slice(&2i32.to_be_bytes());
    out.extend_from_slice(&(defs.len().min(i16::MAX as usize) as i16).to_be_bytes());
    for d in defs.iter().take(i16::MAX as usize) {
        out.extend_from_slice(&d.body);
    }
    out
}

fn pstring(out: &mut Vec<u8>, s: &str) -> Result<(), SynthDefError> {
    let len = u8::try_from(s.len()).map_err(|_| SynthDefError::NameTooLong(s.to_string()))?;
    out.push(len);
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

impl GraphBuilder {
    /// A definition called `name` with these controls (name, default). The controls become
    /// the outputs of UGen 0, `Control`, at control rate.
    pub fn new(name: &str, params: &[(&str, f32)]) -> GraphBuilder {
        let mut b = GraphBuilder {
            name: name.to_string(),
            params: params.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            ugens: Vec::new(),
        };
        if !params.is_empty() {
            b.ugens.push(UGen {
                class: "Control".into(),
                rate: Rate::Control,
                inputs: Vec::new(),
                outputs: params.len() as u32,
                special: 0,
            });
        }
        b
    }

    /// The signal of a control.
    pub fn param(&self, name: &str) -> Result<Sig, SynthDefError> {
        let i = self
            .params
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| SynthDefError::UnknownParam(name.to_string()))?;
        Ok(Sig::Out {
            ugen: 0,
            output: i as u32,
            rate: Rate::Control,
        })
    }

    /// Add a UGen with `outputs` outputs; returns its first output (see [`GraphBuilder::output`]).
    pub fn ugen(&mut self, class: &str, rate: Rate, inputs: &[Sig], outputs: u32) -> Sig {
        self.ugen_special(class, rate, inputs, outputs, 0)
    }

    fn ugen_special(
        &mut self,
        class: &str,
        rate: Rate,
        inputs: &[Sig],
        outputs: u32,
        special: i16,
    ) -> Sig {
        let ugen = self.ugens.len() as u32;
        self.ugens.push(UGen {
            class: class.to_string(),
            rate,
            inputs: inputs.to_vec(),
            outputs,
            special,
        });
        Sig::Out {
            ugen,
            output: 0,
            rate,
        }
    }

    /// Output `n` of the UGen whose first output is `first`.
    pub fn output(first: Sig, n: u32) -> Sig {
        match first {
            Sig::Out { ugen, rate, .. } => Sig::Out {
                ugen,
                output: n,
                rate,
            },
            c => c,
        }
    }

    /// `a op b`, folded when both are constants.
    pub fn bin(&mut self, op: BinOp, a: impl Into<Sig>, b: impl Into<Sig>) -> Sig {
        let (a, b) = (a.into(), b.into());
        if let (Sig::Const(x), Sig::Const(y)) = (a, b) {
            return Sig::Const(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                BinOp::Min => x.min(y),
                BinOp::Max => x.max(y),
            });
        }
        match (op, a, b) {
            (BinOp::Mul, s, Sig::Const(c)) | (BinOp::Mul, Sig::Const(c), s) if c == 1.0 => {
                return s
            }
            (BinOp::Add, s, Sig::Const(c)) | (BinOp::Add, Sig::Const(c), s) if c == 0.0 => {
                return s
            }
            _ => {}
        }
        let rate = a.rate().max(b.rate()).max(Rate::Control);
        self.ugen_special("BinaryOpUGen", rate, &[a, b], 1, op as i16)
    }

    /// `op a`.
    pub fn un(&mut self, op: UnOp, a: impl Into<Sig>) -> Sig {
        let a = a.into();
        let rate = a.rate().max(Rate::Control);
        self.ugen_special("UnaryOpUGen", rate, &[a], 1, op as i16)
    }

    /// `a * b`
    pub fn mul(&mut self, a: impl Into<Sig>, b: impl Into<Sig>) -> Sig {
        self.bin(BinOp::Mul, a, b)
    }

    /// `a + b`
    pub fn add(&mut self, a: impl Into<Sig>, b: impl Into<Sig>) -> Sig {
        self.bin(BinOp::Add, a, b)
    }

    /// The finished definition.
    pub fn build(self) -> Result<SynthDef, SynthDefError> {
        let mut constants: Vec<f32> = Vec::new();
        let mut const_index = |x: f32| -> i32 {
            match constants.iter().position(|c| c.to_bits() == x.to_bits()) {
                Some(i) => i as i32,
                None => {
                    constants.push(x);
                    (constants.len() - 1) as i32
                }
            }
        };
        let mut ugens = Vec::with_capacity(self.ugens.len() * 32);
        for u in &self.ugens {
            pstring(&mut ugens, &u.class)?;
            ugens.push(u.rate as u8);
            ugens.extend_from_slice(&(u.inputs.len() as i32).to_be_bytes());
            ugens.extend_from_slice(&(u.outputs as i32).to_be_bytes());
            ugens.extend_from_slice(&u.special.to_be_bytes());
            for input in &u.inputs {
                let (src, idx) = match *input {
                    Sig::Const(x) => (-1, const_index(x)),
                    Sig::Out { ugen, output, .. } => (ugen as i32, output as i32),
                };
                ugens.extend_from_slice(&src.to_be_bytes());
                ugens.extend_from_slice(&idx.to_be_bytes());
            }
            for _ in 0..u.outputs {
                ugens.push(u.rate as u8);
            }
        }
        let mut body = Vec::with_capacity(ugens.len() + 256);
        pstring(&mut body, &self.name)?;
        body.extend_from_slice(&(constants.len() as i32).to_be_bytes());
        for c in &constants {
            body.extend_from_slice(&c.to_be_bytes());
        }
        body.extend_from_slice(&(self.params.len() as i32).to_be_bytes());
        for (_, v) in &self.params {
            body.extend_from_slice(&v.to_be_bytes());
        }
        body.extend_from_slice(&(self.params.len() as i32).to_be_bytes());
        for (i, (n, _)) in self.params.iter().enumerate() {
            pstring(&mut body, n)?;
            body.extend_from_slice(&(i as i32).to_be_bytes());
        }
        body.extend_from_slice(&(self.ugens.len() as i32).to_be_bytes());
        body.extend_from_slice(&ugens);
        // No variants.
        body.extend_from_slice(&0i16.to_be_bytes());
        Ok(SynthDef {
            name: self.name,
            params: self.params,
            body,
        })
    }
}

/// What [`read_defs`] learns about one definition in a file.
#[derive(Clone, Debug, PartialEq)]
pub struct DefInfo {
    /// Its name.
    pub name: String,
    /// Its control names.
    pub params: Vec<String>,
}

impl DefInfo {
    /// True when it has a `gate` control.
    pub fn gated(&self) -> bool {
        self.params.iter().any(|p| p == "gate")
    }
}

/// A bounds-checked big-endian reader.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], SynthDefError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| SynthDefError::Malformed(format!("cut short at byte {}", self.pos)))?;
        let s = self.bytes.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(s)
    }

    fn int(&mut self, wide: bool) -> Result<usize, SynthDefError> {
        let v = if wide {
            let b = <[u8; 4]>::try_from(self.take(4)?).unwrap_or_default();
            i32::from_be_bytes(b) as i64
        } else {
            let b = <[u8; 2]>::try_from(self.take(2)?).unwrap_or_default();
            i16::from_be_bytes(b) as i64
        };
        usize::try_from(v).map_err(|_| SynthDefError::Malformed(format!("negative count {v}")))
    }

    fn pstring(&mut self) -> Result<String, SynthDefError> {
        let n = *self.take(1)?.first().unwrap_or(&0) as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    fn skip(&mut self, count: usize, each: usize) -> Result<(), SynthDefError> {
        let n = count
            .checked_mul(each)
            .ok_or_else(|| SynthDefError::Malformed("count overflows".into()))?;
        self.take(n).map(|_| ())
    }
}

/// Names and control names of every definition in a `.scsyndef` file (versions 1 and 2).
pub fn read_defs(bytes: &[u8]) -> Result<Vec<DefInfo>, SynthDefError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(4)? != b"SCgf" {
        return Err(SynthDefError::Malformed("no SCgf header".into()));
    }
    let version = r.int(true)?;
    let wide = match version {
        1 => false,
        2 => true,
        v => return Err(SynthDefError::Malformed(format!("unknown version {v}"))),
    };
    let count = r.int(false)?;
    let mut defs = Vec::new();
    for _ in 0..count {
        let name = r.pstring()?;
        let k = r.int(wide)?;
        r.skip(k, 4)?;
        let p = r.int(wide)?;
        r.skip(p, 4)?;
        let n = r.int(wide)?;
        let mut params = Vec::new();
        for _ in 0..n {
            params.push(r.pstring()?);
            r.int(wide)?;
        }
        let u = r.int(wide)?;
        for _ in 0..u {
            r.pstring()?;
            r.take(1)?;
            let ins = r.int(wide)?;
            let outs = r.int(wide)?;
            r.take(2)?;
            r.skip(ins, if wide { 8 } else { 4 })?;
            r.skip(outs, 1)?;
        }
        let variants = r.int(false)?;
        for _ in 0..variants {
            r.pstring()?;
            r.skip(p, 4)?;
        }
        defs.push(DefInfo { name, params });
    }
    Ok(defs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_small_graph_reads_back() {
        let mut b = GraphBuilder::new("t", &[("freq", 440.0), ("gate", 1.0)]);
        let f = b.param("freq").unwrap();
        let s = b.ugen("SinOsc", Rate::Audio, &[f, Sig::Const(0.0)], 1);
        let s = b.mul(s, 0.1);
        b.ugen("Out", Rate::Audio, &[Sig::Const(0.0), s], 0);
        let def = b.build().unwrap();
        assert!(def.gated());
        let file = def.file();
        assert_eq!(&file[..4], b"SCgf");
        let infos = read_defs(&file).unwrap();
        assert_eq!(
            infos,
            vec![DefInfo {
                name: "t".into(),
                params: vec!["freq".into(), "gate".into()]
            }]
        );
    }

    #[test]
    fn constants_fold_and_identities_vanish() {
        let mut b = GraphBuilder::new("t", &[("amp", 0.1)]);
        assert_eq!(b.mul(2.0, 3.0), Sig::Const(6.0));
        let a = b.param("amp").unwrap();
        assert_eq!(b.mul(a, 1.0), a);
        assert_eq!(b.add(0.0, a), a);
        assert!(b.param("nope").is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(read_defs(b"").is_err());
        assert!(read_defs(b"SCgf\0\0\0\x02\0\x01\x05ab").is_err());
        assert!(read_defs(b"SCgf\0\0\0\x02\0\x01\x01a\xff\xff\xff\xff").is_err());
        let mut file = GraphBuilder::new("x", &[("a", 1.0)])
            .build()
            .unwrap()
            .file();
        for cut in 0..file.len() {
            assert!(read_defs(&file[..cut]).is_err());
        }
        file.push(0);
        assert!(read_defs(&file).is_ok());
    }
}
