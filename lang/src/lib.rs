//! patter's language front end.
//!
//! Contract: [`compile`] takes source text (and a [`Loader`] for imports) and returns the
//! compiled [`Program`] and the [`Diagnostic`]s. It never prints, never exits, never panics
//! and never hangs, whatever the input: the lexer never fails (unknown characters become
//! error tokens), the parser recovers and reports several errors in one pass, and the
//! evaluator runs under a step budget. Incomplete input (an open bracket or string at the
//! end) is reported with [`Diagnostic::incomplete`] set, so a REPL can ask for more.
//!
//! Stages: [`token`] (logos) → [`parse`] (chumsky) → [`ast`] → [`eval`] (names, types,
//! builtins, mini-notation via [`mini`]) → [`Program`].

#![warn(missing_docs)]

pub mod ast;
pub mod diagnostic;
pub mod eval;
pub mod mini;
pub mod parse;
mod render;
pub mod span;
pub mod token;

pub use diagnostic::{Diagnostic, Label, Severity, Sources};
pub use patter_pattern::Program;
pub use span::{FileId, Span};

/// Resolves `import "…"` paths.
pub trait Loader {
    /// Load `path` as written in an import, relative to the importing file `from` (a name
    /// given to [`compile`] or returned by an earlier load). Returns the canonical name of
    /// the file (used for spans and cycle detection) and its text, or a message.
    fn load(&self, path: &str, from: &str) -> Result<(String, String), String>;
}

/// A loader that refuses every import (for `-e` snippets and tests).
pub struct NoImports;

impl Loader for NoImports {
    fn load(&self, path: &str, _from: &str) -> Result<(String, String), String> {
        Err(format!(
            "imports are not available here (tried to import \"{path}\")"
        ))
    }
}

/// The result of a compilation.
#[derive(Debug)]
pub struct Compiled {
    /// The program, when there were no errors (warnings allowed).
    pub program: Option<Program>,
    /// Errors and warnings, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read, for rendering the diagnostics.
    pub sources: Sources,
}

impl Compiled {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }

    /// True when the only errors are "input ended early".
    pub fn is_incomplete(&self) -> bool {
        let mut errors = self.diagnostics.iter().filter(|d| d.is_error()).peekable();
        errors.peek().is_some() && errors.all(|d| d.incomplete)
    }
}

/// Options for a compilation.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Use this seed instead of the program's own `seed` setting.
    pub seed: Option<u64>,
}

/// Compile `source` (named `name`, for spans and relative imports).
pub fn compile(name: &str, source: &str, loader: &dyn Loader) -> Compiled {
    eval::compile(name, source, loader, &Options::default())
}

/// [`compile`] with options.
pub fn compile_with(name: &str, source: &str, loader: &dyn Loader, options: &Options) -> Compiled {
    eval::compile(name, source, loader, options)
}
