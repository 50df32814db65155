//! patter's standard library, written in patter. `import "std/NAME"` resolves here; the
//! files are compiled into the binary so imports work with no installation step.

/// The source of `std/NAME`, if it exists.
pub fn source(name: &str) -> Option<&'static str> {
    FILES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Every stdlib module: (name, source).
pub const FILES: &[(&str, &str)] = &[
    ("chords", include_str!("chords.pat")),
    ("rhythms", include_str!("rhythms.pat")),
    ("grooves", include_str!("grooves.pat")),
];
