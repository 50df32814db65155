//! Mini-notation (TidalCycles semantics) inside strings: parse, diagnose, lower to [`Pat`](patter_pattern::Pat).
//!
//! A hand-written recursive descent over the characters of one string. It never fails: every
//! problem becomes a [`Diagnostic`] pointing at the exact characters inside the string, the
//! parser recovers and keeps going, and the result is always a pattern (silence where it
//! could not make sense of the text). Nesting, operator chains and replication are bounded,
//! so no input can exhaust the stack or memory.
//!
//! Lowering follows Tidal's `ParseBP` (`resolve_tpat`/`resolve_seq`/`toPat`): a sequence is a
//! weighted `timeCat`; `<…>` is a polymeter with one step per cycle; `{…}%k` speeds each
//! layer by `k / its total weight`; each `?` and each `|` group takes the next seed index in
//! parse order (Tidal's `newSeed`; a `|` group takes its seed after its alternatives).
//! Words stay strings (`bd:3`, `c4`, `e`) and are read as notes later by
//! [`patter_pattern::Value::as_num`]; plain numbers (`1`, `-2`, `0.5`, `1e3`, `1%3`) become
//! numbers.
//!
//! # Where patter is stricter or looser than Tidal
//!
//! - Postfix operators may come in any order and repeat (`a*2?`, `a?*2`), applied left to
//!   right; Tidal's canonical order `atom ? * / (k,n,r) ?` means the same here. `@` and `!`
//!   may be combined (`a@2!2`: two steps of weight 2), which Tidal rejects.
//! - A `?` after a sequence's last `!`/`@`/`..` or after a space degrades the whole sequence
//!   (`a!8?` is `[a!8]?`), as in Tidal. A `*`, `/` or `(…)` after a space is an error
//!   (`E0212`), where Tidal would apply a trailing `*` to the whole group.
//! - Strings are untyped: `0..4` and `0.5..2` are ranges (Tidal's numeric parsers), other
//!   words keep their dots (`a.b`). Chords (`c'maj`), `^name` variables and duration
//!   shorthands (`3h`, which stays a word) are not supported.
//! - `a!0`, `@0`, empty feet (`a . . b`, `a .`) and a `|` inside `< >`, `{ }` or `( )` are
//!   errors rather than silent steps (or, for a trailing `.`, a crash in Tidal).
//!
//! # Error codes
//!
//! - `E0201` a character that means nothing in mini-notation (`$`, `'`, `^`, `.5`).
//! - `E0202` an opening `[`, `<`, `{` or `(` that is never closed.
//! - `E0203` a closing `]`, `>`, `}` or `)` with no matching opening bracket.
//! - `E0204` `*`, `/` or `%` without a number or bracketed pattern after it.
//! - `E0205` a malformed number (`1.5%2`, `1%0`, a number too large for a float).
//! - `E0206` a repeat count (`!n`) of zero or above [`MAX_REPEAT`].
//! - `E0207` a step weight (`@w`, `_`) that is not greater than zero.
//! - `E0208` `,` and `|` mixed in one group.
//! - `E0209` `|` inside `< >`, `{ }` or euclid `( )`, where it has no meaning.
//! - `E0210` euclid arguments that are not `(pulses, steps)` or `(pulses, steps, rotation)`.
//! - `E0211` an operator (`!`, `@`, `_`, `*`, `/`, `?`, `(…)`, `..`) with no step before it.
//! - `E0212` an operator (`*`, `/`, `?`, `(…)`) separated from its step by a space.
//! - `E0213` brackets nested deeper than [`MAX_DEPTH`].
//! - `E0214` more than [`MAX_EXTRA_STEPS`] steps made by `!` in one string.
//! - `E0215` an empty foot: a `.` at the start or end of a sequence, or two in a row.
//! - `E0216` a range `..` without an end, or two ranges chained in one step.
//! - `E0217` a `%` that does not follow a `{ }` polymeter directly.
//! - `E0218` more than [`MAX_OPERATORS`] operators on one step.

mod lower;
mod parse;

use crate::diagnostic::Diagnostic;
use crate::span::Span;
use patter_pattern::PatRef;

/// Deepest bracket nesting accepted (`[[[…]]]`, `<`, `{`, euclid `(`).
pub const MAX_DEPTH: usize = 64;
/// Largest count accepted by `!` on one step.
pub const MAX_REPEAT: u64 = 1024;
/// Most steps that `!` may add in one string, over all its steps.
pub const MAX_EXTRA_STEPS: usize = 16 * 1024;
/// Most postfix operators (`*`, `/`, `?`, `(k,n,r)`) on one step.
pub const MAX_OPERATORS: usize = 16;

/// Diagnostic codes of this module, for matching in tests and tools.
pub mod codes {
    /// A character that means nothing in mini-notation.
    pub const UNEXPECTED_CHAR: &str = "E0201";
    /// An opening bracket that is never closed.
    pub const UNCLOSED: &str = "E0202";
    /// A closing bracket with no opening one.
    pub const UNMATCHED_CLOSE: &str = "E0203";
    /// `*`, `/` or `%` without a factor.
    pub const MISSING_FACTOR: &str = "E0204";
    /// A malformed number.
    pub const BAD_NUMBER: &str = "E0205";
    /// A repeat count out of range.
    pub const BAD_REPEAT: &str = "E0206";
    /// A weight that is not positive.
    pub const BAD_WEIGHT: &str = "E0207";
    /// `,` and `|` mixed in one group.
    pub const MIXED_STACK_CHOICE: &str = "E0208";
    /// `|` where it has no meaning.
    pub const MISPLACED_CHOICE: &str = "E0209";
    /// Wrong euclid arguments.
    pub const BAD_EUCLID: &str = "E0210";
    /// An operator with no step before it.
    pub const NOTHING_BEFORE: &str = "E0211";
    /// An operator separated from its step by a space.
    pub const DETACHED_OPERATOR: &str = "E0212";
    /// Brackets nested too deeply.
    pub const TOO_DEEP: &str = "E0213";
    /// Too many replicated steps.
    pub const TOO_MANY_STEPS: &str = "E0214";
    /// An empty foot.
    pub const EMPTY_FOOT: &str = "E0215";
    /// A range without an end, or chained ranges.
    pub const BAD_RANGE: &str = "E0216";
    /// A misplaced `%`.
    pub const MISPLACED_PERCENT: &str = "E0217";
    /// Too many operators on one step.
    pub const TOO_MANY_OPERATORS: &str = "E0218";
}

/// Compile the content of a mini-notation string. `content` is the span of the text between
/// the quotes (diagnostics point inside it). Always returns a pattern (silence where it
/// recovered) and the diagnostics.
pub fn compile(text: &str, content: Span) -> (PatRef, Vec<Diagnostic>) {
    let mut parser = parse::Parser::new(text, content);
    let pat = parser.parse_top();
    (pat, parser.into_diagnostics())
}
