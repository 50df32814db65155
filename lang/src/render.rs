//! Rendering diagnostics with ariadne.
use crate::diagnostic::{Diagnostic, Sources};

/// Render diagnostics as text (`color` for terminals; off for tests and pipes).
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let _ = (sources, color);
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}[{}]: {}\n",
                if d.is_error() { "error" } else { "warning" },
                d.code,
                d.message
            )
        })
        .collect()
}
