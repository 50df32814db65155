//! WAV output for offline renders (not real-time: it allocates and does file I/O).

use std::fmt;
use std::path::Path;

/// Sample format of a written WAV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WavBits {
    /// 16-bit signed integer PCM.
    Int16,
    /// 24-bit signed integer PCM.
    Int24,
    /// 32-bit IEEE float.
    Float32,
}

/// Why a WAV file could not be written.
#[derive(Debug)]
pub enum WavError {
    /// Zero channels, or more than WAV allows.
    BadChannels(u16),
    /// From the WAV writer (including I/O errors).
    Hound(hound::Error),
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavError::BadChannels(n) => write!(f, "cannot write a WAV file with {n} channels"),
            WavError::Hound(e) => write!(f, "cannot write the WAV file: {e}"),
        }
    }
}

impl std::error::Error for WavError {}

impl From<hound::Error> for WavError {
    fn from(e: hound::Error) -> WavError {
        WavError::Hound(e)
    }
}

/// Write interleaved `samples` (nominally -1..1; integer formats clamp) to `path`.
pub fn write_wav(
    path: impl AsRef<Path>,
    samples: &[f32],
    sample_rate: u32,
    channels: u16,
    bits: WavBits,
) -> Result<(), WavError> {
    if channels == 0 {
        return Err(WavError::BadChannels(channels));
    }
    let (bits_per_sample, sample_format) = match bits {
        WavBits::Int16 => (16, hound::SampleFormat::Int),
        WavBits::Int24 => (24, hound::SampleFormat::Int),
        WavBits::Float32 => (32, hound::SampleFormat::Float),
    };
    let spec = hound::WavSpec {
        channels,
        sample_rate,
        bits_per_sample,
        sample_format,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    // Only whole frames: hound refuses to finalize a partial one.
    let whole = samples.len() - samples.len() % channels as usize;
    let samples = samples.get(..whole).unwrap_or_default();
    match bits {
        WavBits::Int16 => {
            for &s in samples {
                w.write_sample(to_int(s, 32_767.0) as i16)?;
            }
        }
        WavBits::Int24 => {
            for &s in samples {
                w.write_sample(to_int(s, 8_388_607.0))?;
            }
        }
        WavBits::Float32 => {
            for &s in samples {
                w.write_sample(s)?;
            }
        }
    }
    w.finalize()?;
    Ok(())
}

fn to_int(s: f32, full: f32) -> i32 {
    let s = if s.is_finite() {
        s.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    (s * full).round() as i32
}
