//! The evaluator: AST to program.
use crate::diagnostic::Sources;
use crate::{Compiled, Loader};

/// See [`crate::compile`].
pub fn compile(name: &str, source: &str, loader: &dyn Loader) -> Compiled {
    let _ = loader;
    let mut sources = Sources::default();
    sources.add(name, source);
    Compiled {
        program: None,
        diagnostics: Vec::new(),
        sources,
    }
}
