//! patter's standard library, written in patter. `import "std/NAME"` resolves here.

/// The source of `std/NAME`, if it exists.
pub fn source(name: &str) -> Option<&'static str> {
    FILES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Every stdlib file: (name, source).
pub const FILES: &[(&str, &str)] = &[];
