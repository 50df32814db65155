//! Parser (chumsky).
use crate::ast::Module;
use crate::diagnostic::Diagnostic;
use crate::span::FileId;

/// Parse one file. Always returns a module (with `Error` nodes where it recovered).
pub fn parse(file: FileId, src: &str) -> (Module, Vec<Diagnostic>) {
    let _ = (file, src);
    (Module::default(), Vec::new())
}
