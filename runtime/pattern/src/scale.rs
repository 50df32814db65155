//! Scales (placeholder until the scale table lands from the SC-model work).

/// A scale.
pub struct Scale {
    /// Name.
    pub name: &'static str,
    /// Degrees in steps.
    pub degrees: &'static [f64],
    /// Steps per octave.
    pub pitches_per_octave: f64,
}

static SCALES: &[Scale] = &[Scale { name: "major", degrees: &[0.0, 2.0, 4.0, 5.0, 7.0, 9.0, 11.0], pitches_per_octave: 12.0 }];

/// Look a scale up by name.
pub fn lookup(name: &str) -> Option<&'static Scale> {
    SCALES.iter().find(|s| s.name == name)
}

/// Every scale name.
pub fn names() -> impl Iterator<Item = &'static str> {
    SCALES.iter().map(|s| s.name)
}
