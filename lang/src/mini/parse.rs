//! The mini-notation parser: recursive descent over the characters of one string, lowering
//! to [`Pat`] as it goes (every construct maps to its nodes locally, and seeds must be handed
//! out in parse order anyway).
//!
//! Recovery: a sequence stops at any closing bracket that an enclosing construct is waiting
//! for, so a missing `]` is reported once at its `[` and the outer brackets still match.
//! Every loop consumes at least one character per turn, and every recursion goes through a
//! bracket counted against [`MAX_DEPTH`], so parsing is linear-ish and always terminates.

use patter_pattern::{Pat, PatRef, Time, Value};

use super::codes;
use super::lower::{self, Factor, Seq};
use super::{MAX_DEPTH, MAX_EXTRA_STEPS, MAX_OPERATORS, MAX_REPEAT};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// One step of a sequence before replication.
struct Step {
    pat: PatRef,
    weight: Time,
    reps: u64,
}

/// A literal number: exact for time, and the float as typed for values.
#[derive(Clone, Copy)]
struct Number {
    time: Time,
    float: f64,
}

pub(super) struct Parser<'a> {
    text: &'a str,
    pos: usize,
    content: Span,
    diags: Vec<Diagnostic>,
    /// Next seed index (Tidal's `newSeed` counter).
    seed: u32,
    /// Closing brackets being waited for, innermost last, with their opener's position.
    open: Vec<(char, usize)>,
    too_deep_reported: bool,
    extra_steps: usize,
    too_many_steps_reported: bool,
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '-' | '_' | '#')
}

/// Characters that have a meaning somewhere; anything else is reported as unexpected.
fn is_known(c: char) -> bool {
    is_word_char(c)
        || c.is_whitespace()
        || matches!(
            c,
            '~' | '['
                | ']'
                | '<'
                | '>'
                | '{'
                | '}'
                | '('
                | ')'
                | ','
                | '|'
                | '!'
                | '@'
                | '*'
                | '/'
                | '?'
                | '%'
        )
}

fn opener_of(close: char) -> char {
    match close {
        ']' => '[',
        '>' => '<',
        '}' => '{',
        _ => '(',
    }
}

/// The exact rational value of a decimal literal (`0.00000001`, `2.5e-3`), when its terms
/// fit in `i64`; `Time::from_f64` would round tiny factors such as `/0.00000001` to zero.
fn exact_decimal(s: &str) -> Option<Time> {
    let s = s.trim_start_matches('+');
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (s.get(..i)?, s.get(i + 1..)?.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    let scale = exp.checked_sub(i32::try_from(frac.len()).ok()?)?;
    if digits.is_empty() {
        return Some(Time::ZERO);
    }
    if digits.len() > 18 || scale.unsigned_abs() > 18 {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let n = if negative { -n } else { n };
    let pow = 10i64.checked_pow(scale.unsigned_abs())?;
    if scale >= 0 {
        Some(Time::int(n.checked_mul(pow)?))
    } else {
        Some(Time::new(n, pow))
    }
}

/// `-?digits(.digits)?([eE][-+]?digits)?`: the words that become numbers.
fn is_number(w: &str) -> bool {
    let b = w.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > s
    };
    if !digits(&mut i) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str, content: Span) -> Parser<'a> {
        Parser {
            text,
            pos: 0,
            content,
            diags: Vec::new(),
            seed: 0,
            open: Vec::new(),
            too_deep_reported: false,
            extra_steps: 0,
            too_many_steps_reported: false,
        }
    }

    pub(super) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diags
    }

    // ----- characters -----

    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..)?.chars().next()
    }

    fn peek_nth(&self, n: usize) -> Option<char> {
        self.text.get(self.pos..)?.chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn skip_digits(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        self.pos > start
    }

    /// The source span of the text bytes `[start, end)`.
    fn span(&self, start: usize, end: usize) -> Span {
        let len = (self.content.end.saturating_sub(self.content.start)) as usize;
        let end = end.min(len).min(self.text.len());
        let start = start.min(end);
        let base = self.content.start as usize;
        Span::new(self.content.file, base + start, base + end)
    }

    /// The span of the character at `at`.
    fn char_span(&self, at: usize) -> Span {
        let len = self
            .text
            .get(at..)
            .and_then(|s| s.chars().next())
            .map_or(0, char::len_utf8);
        self.span(at, at + len)
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    fn next_seed(&mut self) -> u32 {
        let s = self.seed;
        self.seed = self.seed.saturating_add(1);
        s
    }

    fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    // ----- patterns and sequences -----

    pub(super) fn parse_top(&mut self) -> PatRef {
        let pat = self.parse_pattern();
        // The top level waits for no bracket, so `parse_pattern` only stops at the end; this
        // loop is a guard that keeps the "whole string consumed" promise regardless.
        while let Some(c) = self.peek() {
            let at = self.pos;
            self.bump();
            self.report(
                Diagnostic::error(
                    codes::UNEXPECTED_CHAR,
                    format!("I didn't expect `{c}` here"),
                    self.char_span(at),
                )
                .with_label("unexpected"),
            );
        }
        pat
    }

    /// `sequence (("," sequence)* | ("|" sequence)*)`: a stack or a random choice.
    fn parse_pattern(&mut self) -> PatRef {
        let mut seqs = vec![self.parse_sequence()];
        let mut mode: Option<(char, usize)> = None;
        loop {
            self.skip_ws();
            let c = match self.peek() {
                Some(c @ (',' | '|')) => c,
                _ => break,
            };
            let at = self.pos;
            self.bump();
            match mode {
                None => mode = Some((c, at)),
                Some((m, first)) if m != c => {
                    let (this, other) = if c == '|' { ("|", ",") } else { (",", "|") };
                    self.report(
                        Diagnostic::error(
                            codes::MIXED_STACK_CHOICE,
                            "I can't mix `,` and `|` in one group",
                            self.char_span(at),
                        )
                        .with_label(format!("this `{this}` …"))
                        .with_secondary(
                            self.char_span(first),
                            format!("… is in the same group as this `{other}`"),
                        )
                        .with_help(
                            "wrap one side in brackets: `[a | b], c` plays a random choice \
                             together with c",
                        ),
                    );
                }
                Some(_) => {}
            }
            seqs.push(self.parse_sequence());
        }
        let pats: Vec<PatRef> = seqs.iter().map(Seq::pat).collect();
        match mode {
            Some(('|', _)) => {
                let seed = self.next_seed();
                Pat::RandChoice {
                    seed,
                    options: pats,
                }
                .rc()
            }
            Some(_) => lower::stack(pats),
            None => pats.into_iter().next().unwrap_or_else(lower::silence),
        }
    }

    /// Steps and feet up to the next `,`, `|`, awaited closing bracket or the end.
    fn parse_sequence(&mut self) -> Seq {
        let mut feet: Vec<(Vec<(Time, PatRef)>, usize)> = Vec::new();
        let mut cur: Vec<(Time, PatRef)> = Vec::new();
        let mut seq_degrade: Vec<(f64, u32)> = Vec::new();
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else { break };
            let at = self.pos;
            match c {
                ',' | '|' => break,
                ']' | '>' | '}' | ')' => {
                    if self.open.iter().any(|(close, _)| *close == c) {
                        break;
                    }
                    self.bump();
                    let open = opener_of(c);
                    self.report(
                        Diagnostic::error(
                            codes::UNMATCHED_CLOSE,
                            format!("this `{c}` doesn't close anything"),
                            self.char_span(at),
                        )
                        .with_label(format!("no `{open}` before it is still open"))
                        .with_help(format!(
                            "remove it, or add a `{open}` where the group starts"
                        )),
                    );
                }
                '.' => match self.peek_nth(1) {
                    Some('.') => {
                        self.bump();
                        self.bump();
                        self.report(
                            Diagnostic::error(
                                codes::NOTHING_BEFORE,
                                "there's no step before this `..` to start the range",
                                self.span(at, at + 2),
                            )
                            .with_label("range without a start")
                            .with_help("a range goes between two steps: `0 .. 4`"),
                        );
                    }
                    Some(d) if d.is_ascii_digit() => {
                        self.bump();
                        self.report(
                            Diagnostic::error(
                                codes::UNEXPECTED_CHAR,
                                "a number needs a digit before its `.`",
                                self.char_span(at),
                            )
                            .with_label("this `.` starts a number")
                            .with_help("write `0.5` instead of `.5`"),
                        );
                    }
                    _ => {
                        self.bump();
                        feet.push((std::mem::take(&mut cur), at));
                    }
                },
                '%' => self.misplaced_percent(),
                '?' if !(cur.is_empty() && feet.is_empty()) && self.is_trailing_degrade() => {
                    // Tidal's `pSequence` ends with `pRand`: a `?` after the last step's
                    // `!`/`@`/`..`, or after a space, drops the whole sequence at random.
                    self.bump();
                    let amount = self.probability();
                    let seed = self.next_seed();
                    seq_degrade.push((amount, seed));
                }
                '!' | '@' | '_' | '*' | '/' | '?' | '(' => self.orphan_operator(c),
                _ => match self.parse_step() {
                    Some(step) => self.push_step(&mut cur, step, at),
                    None => self.unexpected_run(),
                },
            }
        }
        let seq = self.resolve_feet(feet, cur);
        if seq_degrade.is_empty() {
            return seq;
        }
        // A degraded sequence is one step of weight 1 (Tidal's `resolve_tpat` of a
        // `TPat_DegradeBy`), so `<a b ?>` fits its sequence into one cycle, as Tidal does.
        let pat = seq_degrade
            .into_iter()
            .fold(seq.pat(), |pat, (amount, seed)| {
                Pat::Degrade {
                    amount: Pat::num(amount),
                    seed,
                    invert: false,
                    pat,
                }
                .rc()
            });
        Seq {
            items: vec![(Time::ONE, pat)],
        }
    }

    /// True when the `?` at the cursor ends its sequence: only its probability and blanks
    /// stand between it and a `,`, `|`, closing bracket or the end.
    fn is_trailing_degrade(&mut self) -> bool {
        let (save, reported) = (self.pos, self.diags.len());
        self.bump();
        self.probability();
        self.skip_ws();
        let trailing = matches!(self.peek(), None | Some(',' | '|' | ']' | '>' | '}' | ')'));
        // Only a look ahead: the probability is read (and reported) again for real.
        self.pos = save;
        self.diags.truncate(reported);
        trailing
    }

    /// The optional probability after `?` (default 0.5).
    fn probability(&mut self) -> f64 {
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.number(false).map_or(0.5, |n| n.float)
        } else {
            0.5
        }
    }

    fn resolve_feet(
        &mut self,
        mut feet: Vec<(Vec<(Time, PatRef)>, usize)>,
        cur: Vec<(Time, PatRef)>,
    ) -> Seq {
        if feet.is_empty() {
            return Seq { items: cur };
        }
        // "a b . c d" == "[a b] [c d]": each foot is one step of weight 1 (Tidal
        // `resolve_feet`). Foot i ends at the `.` stored with it; the last one at the end.
        let last_dot = feet.last().map_or(0, |f| f.1);
        feet.push((cur, last_dot));
        let mut items = Vec::with_capacity(feet.len());
        let mut prev_dot: Option<usize> = None;
        let mut blamed: Option<usize> = None;
        for (steps, dot) in feet {
            let blame = prev_dot.unwrap_or(dot);
            // A lone `.` empties both its sides: one report is enough.
            if steps.is_empty() && blamed != Some(blame) {
                blamed = Some(blame);
                self.report(
                    Diagnostic::error(
                        codes::EMPTY_FOOT,
                        "this `.` leaves an empty foot",
                        self.char_span(blame),
                    )
                    .with_label("nothing on one side of this `.`")
                    .with_help(
                        "`.` splits a sequence into groups, so it needs steps on both sides: \
                         `a b . c d`",
                    ),
                );
            } else if !steps.is_empty() {
                items.push((Time::ONE, Seq { items: steps }.pat()));
            }
            prev_dot = Some(dot);
        }
        Seq { items }
    }

    fn push_step(&mut self, cur: &mut Vec<(Time, PatRef)>, step: Step, start: usize) {
        let mut reps = step.reps;
        let extra = (reps - 1) as usize;
        if self.extra_steps.saturating_add(extra) > MAX_EXTRA_STEPS {
            if !self.too_many_steps_reported {
                self.too_many_steps_reported = true;
                self.report(
                    Diagnostic::error(
                        codes::TOO_MANY_STEPS,
                        format!(
                            "this string repeats steps more than {MAX_EXTRA_STEPS} times in all"
                        ),
                        self.span(start, self.pos),
                    )
                    .with_label("one repeat too many")
                    .with_help("use `*` to play a step many times: `a*64` instead of `a!64`"),
                );
            }
            reps = 1;
        } else {
            self.extra_steps += extra;
        }
        for _ in 0..reps {
            cur.push((step.weight, step.pat.clone()));
        }
    }

    /// A step: a term, its postfix operators, then weights, repeats and a range.
    fn parse_step(&mut self) -> Option<Step> {
        let start = self.pos;
        let mut pat = self.parse_term()?;
        let mut ops = 0usize;
        pat = self.tight_postfixes(pat, start, &mut ops);
        let mut weight = Time::ONE;
        let mut weight_changed = false;
        let mut reps: u64 = 1;
        let mut ranged = false;
        loop {
            // Spans of this step end at its last operator, not at the blanks after it.
            let before_blanks = self.pos;
            self.skip_ws();
            let at = self.pos;
            match self.peek() {
                Some('@' | '_') => {
                    self.bump();
                    // Tidal's `pElongate`: `@r` adds r - 1, a bare `@` or `_` adds 1.
                    weight = match self.number(true) {
                        Some(r) => weight + r.time - Time::ONE,
                        None => weight + Time::ONE,
                    };
                    weight_changed = true;
                }
                Some('!') => {
                    self.bump();
                    let dstart = self.pos;
                    if self.skip_digits() {
                        let n: u64 = self.slice(dstart, self.pos).parse().unwrap_or(u64::MAX);
                        if n == 0 {
                            self.report(
                                Diagnostic::error(
                                    codes::BAD_REPEAT,
                                    "I can't repeat a step zero times",
                                    self.span(at, self.pos),
                                )
                                .with_label("repeat count 0")
                                .with_help("use `!2` or more, or remove the step"),
                            );
                        }
                        reps = reps.saturating_add(n).saturating_sub(1);
                    } else {
                        reps = reps.saturating_add(1);
                    }
                }
                Some('.') if self.peek_nth(1) == Some('.') => {
                    self.bump();
                    self.bump();
                    pat = self.range_end(pat, at, ranged);
                    ranged = true;
                }
                Some('?') if self.is_trailing_degrade() => {
                    self.pos = before_blanks;
                    break;
                }
                Some('*' | '/' | '?' | '(') => {
                    let op = self.peek().unwrap_or('*');
                    let label = if at == before_blanks {
                        "this comes after `!`, `@` or `..`, which end the step"
                    } else {
                        "there's a space before this"
                    };
                    self.report(
                        Diagnostic::error(
                            codes::DETACHED_OPERATOR,
                            format!("`{op}` must come right after the step it changes"),
                            self.char_span(at),
                        )
                        .with_label(label)
                        .with_help(match op {
                            '(' => "write it right after the step: `bd(3,8)` or `bd(3,8)!2`",
                            '?' => "write it right after the step: `bd?` or `bd?!2`",
                            '/' => {
                                "write it right after the step, as in `bd/2`; to slow a whole \
                                 group, bracket it: `[bd sn]/2`"
                            }
                            _ => {
                                "write it right after the step, as in `bd*2`; to speed up a \
                                 whole group, bracket it: `[bd sn]*2`"
                            }
                        }),
                    );
                    pat = self.tight_postfixes(pat, start, &mut ops);
                }
                _ => {
                    self.pos = before_blanks;
                    break;
                }
            }
        }
        if weight_changed && weight <= Time::ZERO {
            self.report(
                Diagnostic::error(
                    codes::BAD_WEIGHT,
                    "a step's weight must be more than zero",
                    self.span(start, self.pos),
                )
                .with_label(format!("this step's weight is {weight:?}"))
                .with_help("use a positive weight such as `@2` or `@0.5`, or `~` for a rest"),
            );
            weight = Time::ONE;
        }
        if reps > MAX_REPEAT {
            self.report(
                Diagnostic::error(
                    codes::BAD_REPEAT,
                    format!("I can repeat a step at most {MAX_REPEAT} times with `!`"),
                    self.span(start, self.pos),
                )
                .with_label(format!("repeated {reps} times"))
                .with_help("use `*` to play a step many times: `a*4096` instead of `a!4096`"),
            );
            reps = 1;
        }
        Some(Step {
            pat,
            weight,
            reps: reps.max(1),
        })
    }

    fn range_end(&mut self, from: PatRef, at: usize, ranged: bool) -> PatRef {
        self.skip_ws();
        let start = self.pos;
        let Some(to) = self.parse_term() else {
            self.report(
                Diagnostic::error(
                    codes::BAD_RANGE,
                    "I was expecting a step after `..`",
                    self.span(at, at + 2),
                )
                .with_label("this range has no end")
                .with_help("a range goes between two steps: `0 .. 4`"),
            );
            return from;
        };
        let mut ops = 0;
        let to = self.tight_postfixes(to, start, &mut ops);
        if ranged {
            self.report(
                Diagnostic::error(
                    codes::BAD_RANGE,
                    "a step can hold only one range",
                    self.span(at, self.pos),
                )
                .with_label("a second `..`")
                .with_help("split it into two steps: `0 .. 4 5 .. 8`"),
            );
            return from;
        }
        Pat::Range { from, to }.rc()
    }

    /// `*f`, `/f`, `?p` and `(k,n,r)` written directly after a term, applied left to right
    /// (Tidal's canonical `atom ? * / (k,n,r) ?` is one such order).
    fn tight_postfixes(&mut self, mut pat: PatRef, start: usize, ops: &mut usize) -> PatRef {
        loop {
            let at = self.pos;
            let op = match self.peek() {
                Some(c @ ('*' | '/' | '?' | '(')) => c,
                Some('%') => {
                    self.misplaced_percent();
                    continue;
                }
                _ => return pat,
            };
            *ops += 1;
            let next = self.postfix(op, pat.clone());
            if *ops > MAX_OPERATORS {
                if *ops == MAX_OPERATORS + 1 {
                    self.report(
                        Diagnostic::error(
                            codes::TOO_MANY_OPERATORS,
                            format!("a step can take at most {MAX_OPERATORS} operators"),
                            self.span(at, self.pos),
                        )
                        .with_label("one operator too many")
                        .with_secondary(self.span(start, at), "on this step")
                        .with_help("combine them: `a*2*2*2` is `a*8`"),
                    );
                }
            } else {
                pat = next;
            }
        }
    }

    /// One postfix operator (the next character is its symbol).
    fn postfix(&mut self, op: char, pat: PatRef) -> PatRef {
        let at = self.pos;
        self.bump();
        match op {
            '*' => match self.factor('*', at) {
                Some(f) => lower::fast(f, pat),
                None => pat,
            },
            '/' => match self.factor('/', at) {
                Some(f) => lower::slow(f, pat),
                None => pat,
            },
            '?' => {
                let amount = self.probability();
                let seed = self.next_seed();
                Pat::Degrade {
                    amount: Pat::num(amount),
                    seed,
                    invert: false,
                    pat,
                }
                .rc()
            }
            _ => self.euclid(pat, at),
        }
    }

    /// `(k, n)` or `(k, n, r)`, each a sequence; the `(` is already consumed.
    fn euclid(&mut self, pat: PatRef, open: usize) -> PatRef {
        if !self.enter(open) {
            return pat;
        }
        self.open.push((')', open));
        let mut args: Vec<(Seq, usize, usize)> = Vec::new();
        let mut choice_reported = false;
        loop {
            self.skip_ws();
            let start = self.pos;
            let seq = self.parse_sequence();
            args.push((seq, start, self.pos));
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some('|') => {
                    let at = self.pos;
                    self.bump();
                    if !choice_reported {
                        choice_reported = true;
                        self.misplaced_choice(at, "euclid arguments");
                    }
                }
                _ => break,
            }
        }
        self.open.pop();
        // An unclosed `(` is reported once; its arguments are likely incomplete anyway.
        if !self.close(')', open) || choice_reported {
            return pat;
        }
        let end = self.pos;
        if args.len() < 2 || args.len() > 3 {
            self.report(
                Diagnostic::error(
                    codes::BAD_EUCLID,
                    format!(
                        "a euclidean rhythm takes two or three numbers, but I found {}",
                        args.len()
                    ),
                    self.span(open, end),
                )
                .with_label("(pulses, steps) or (pulses, steps, rotation)")
                .with_help("for example `bd(3,8)` or `bd(3,8,2)`"),
            );
            return pat;
        }
        let names = ["pulses", "steps", "rotation"];
        let mut ok = true;
        for (i, (seq, s, _)) in args.iter().enumerate() {
            if seq.items.is_empty() {
                ok = false;
                let name = names.get(i).copied().unwrap_or("argument");
                // An empty argument has no characters: point at what follows it.
                let span = self.char_span(*s);
                self.report(
                    Diagnostic::error(
                        codes::BAD_EUCLID,
                        format!("I was expecting the number of {name} here"),
                        span,
                    )
                    .with_label(format!("missing {name}"))
                    .with_help("for example `bd(3,8)` or `bd(3,8,2)`"),
                );
            }
        }
        if !ok {
            return pat;
        }
        let mut pats = args.iter().map(|(seq, _, _)| seq.pat());
        let k = pats.next().unwrap_or_else(lower::silence);
        let n = pats.next().unwrap_or_else(lower::silence);
        let rot = pats.next().unwrap_or_else(|| Pat::num(0.0));
        // Tidal's `_euclidOff _ 0 _ _ = silence`; other degenerate values are left to the
        // engine, which must treat them as silence too.
        if lower::is_num(&n, 0.0) || lower::is_num(&k, 0.0) {
            return lower::silence();
        }
        Pat::Euclid {
            k,
            n,
            rot,
            pat,
            bool_gaps: false,
        }
        .rc()
    }

    /// The factor after `*`, `/` or `%`: a number, or a bracketed pattern (with its own `*`
    /// and `/`, as Tidal's `pPolyIn`).
    fn factor(&mut self, op: char, at: usize) -> Option<Factor> {
        self.skip_ws();
        let start = self.pos;
        if let Some('[' | '<' | '{') = self.peek() {
            let mut pat = self.parse_term()?;
            let mut ops = 0usize;
            while let Some(c @ ('*' | '/')) = self.peek() {
                ops += 1;
                let next = self.postfix(c, pat.clone());
                if ops <= MAX_OPERATORS {
                    pat = next;
                }
            }
            return Some(Factor::Pat(pat));
        }
        if let Some(n) = self.number(true) {
            return Some(Factor::Lit(n.time));
        }
        // Swallow a word written where the number should be, so it is not read as a step.
        let adjacent = start == at + 1;
        if adjacent && self.peek().is_some_and(is_word_start) {
            while self.peek().is_some_and(is_word_char) {
                self.bump();
            }
        }
        let what = match op {
            '%' => "the number of steps",
            _ => "a number",
        };
        let example = match op {
            '*' => "`a*2`, `a*1.5` or `a*<2 3>`",
            '/' => "`a/2`, `a/1.5` or `a/<2 4>`",
            _ => "`{a b c}%4` or `{a b c}%<2 4>`",
        };
        let found = self.slice(start, self.pos);
        let mut d = Diagnostic::error(
            codes::MISSING_FACTOR,
            format!("I was expecting {what} after `{op}`"),
            self.char_span(at),
        )
        .with_label(format!("`{op}` needs {what}"))
        .with_help(format!("for example {example}"));
        if !found.is_empty() {
            d = d.with_secondary(
                self.span(start, self.pos),
                format!("`{found}` isn't a number"),
            );
        }
        self.report(d);
        None
    }

    /// A literal number at the cursor: `-1`, `2`, `0.25`, `1e3`, `1%3`. `None` (nothing
    /// consumed) when there is no number here; malformed numbers are reported and read as 1.
    fn number(&mut self, signed: bool) -> Option<Number> {
        let start = self.pos;
        let first = self.peek()?;
        let digit_at = |p: &Self, n: usize| p.peek_nth(n).is_some_and(|c| c.is_ascii_digit());
        if signed && (first == '-' || first == '+') {
            if !digit_at(self, 1) {
                return None;
            }
            self.bump();
        } else if !first.is_ascii_digit() {
            return None;
        }
        self.skip_digits();
        let mut integer = true;
        if self.peek() == Some('.') && digit_at(self, 1) {
            integer = false;
            self.bump();
            self.skip_digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let sign = matches!(self.peek_nth(1), Some('-' | '+'));
            if digit_at(self, if sign { 2 } else { 1 }) {
                integer = false;
                self.bump();
                if sign {
                    self.bump();
                }
                self.skip_digits();
            }
        }
        let mantissa = self.slice(start, self.pos);
        let value: f64 = mantissa.parse().unwrap_or(f64::NAN);
        let mut out = Number {
            time: exact_decimal(mantissa).unwrap_or_else(|| Time::from_f64(value)),
            float: value,
        };
        if self.peek() == Some('%') && digit_at(self, 1) {
            self.bump();
            let dstart = self.pos;
            self.skip_digits();
            let den: Option<i64> = self.slice(dstart, self.pos).parse().ok();
            let num: Option<i64> = mantissa.trim_start_matches('+').parse().ok();
            match (integer, num, den) {
                (true, Some(n), Some(d)) if d != 0 => {
                    out = Number {
                        time: Time::new(n, d),
                        float: n as f64 / d as f64,
                    };
                }
                (true, Some(_), Some(_)) => {
                    self.bad_number(
                        start,
                        "I can't divide by zero",
                        "for example `1%3` is a third",
                    );
                    out = Number {
                        time: Time::ONE,
                        float: 1.0,
                    };
                }
                (true, _, _) => {
                    self.bad_number(
                        start,
                        "this ratio is too large",
                        "for example `1%3` is a third",
                    );
                    out = Number {
                        time: Time::ONE,
                        float: 1.0,
                    };
                }
                (false, _, _) => {
                    self.bad_number(
                        start,
                        "a ratio needs whole numbers on both sides of `%`",
                        "for example `3%2` is one and a half",
                    );
                    out = Number {
                        time: Time::ONE,
                        float: 1.0,
                    };
                }
            }
        } else if !value.is_finite() {
            self.bad_number(
                start,
                "this number is too large",
                "numbers go up to about `1e300`",
            );
            out = Number {
                time: Time::ONE,
                float: 1.0,
            };
        }
        Some(out)
    }

    fn bad_number(&mut self, start: usize, message: &str, help: &str) {
        self.report(
            Diagnostic::error(codes::BAD_NUMBER, message, self.span(start, self.pos))
                .with_label("this number")
                .with_help(help),
        );
    }

    // ----- terms -----

    /// A word, number, rest or bracketed group; `None` (nothing consumed) when the next
    /// character cannot start one.
    fn parse_term(&mut self) -> Option<PatRef> {
        let c = self.peek()?;
        let next_is_digit = self.peek_nth(1).is_some_and(|d| d.is_ascii_digit());
        match c {
            '~' => {
                self.bump();
                Some(lower::silence())
            }
            '-' if !next_is_digit => {
                self.bump();
                Some(lower::silence())
            }
            '[' => Some(self.brackets()),
            '<' => Some(self.angles()),
            '{' => Some(self.braces()),
            c if is_word_start(c) || c == '-' => Some(self.word()),
            _ => None,
        }
    }

    fn word(&mut self) -> PatRef {
        let start = self.pos;
        self.bump();
        while self.peek().is_some_and(is_word_char) {
            // `0..4` and `0.5..2` are ranges between numbers (Tidal's numeric parsers),
            // although `.` is a word character.
            if self.peek() == Some('.')
                && self.peek_nth(1) == Some('.')
                && is_number(self.slice(start, self.pos))
            {
                break;
            }
            self.bump();
        }
        let w = self.slice(start, self.pos);
        if !is_number(w) {
            return Pat::Pure(Value::str(w)).rc();
        }
        // Read it again as a number, which may go on past the word (`1%3`).
        let word_end = self.pos;
        self.pos = start;
        let n = self.number(true).map_or(0.0, |n| n.float);
        if self.pos < word_end {
            self.pos = word_end;
            return Pat::Pure(Value::str(w)).rc();
        }
        Pat::num(n)
    }

    /// Count one bracket level; past [`MAX_DEPTH`], report once, skip the whole group and
    /// return false.
    fn enter(&mut self, open: usize) -> bool {
        if self.open.len() < MAX_DEPTH {
            return true;
        }
        if !self.too_deep_reported {
            self.too_deep_reported = true;
            self.report(
                Diagnostic::error(
                    codes::TOO_DEEP,
                    format!("brackets are nested too deep (more than {MAX_DEPTH} levels)"),
                    self.char_span(open),
                )
                .with_label("nesting too deep here")
                .with_help("flatten the pattern: `[[a b]]` is the same as `[a b]`"),
            );
        }
        // Skip to the matching closer without recursion. `open` may already be consumed
        // (euclid), so count from one.
        let mut level = 1usize;
        if self.pos == open {
            self.bump();
        }
        while let Some(c) = self.bump() {
            match c {
                '[' | '<' | '{' | '(' => level += 1,
                ']' | '>' | '}' | ')' => {
                    level -= 1;
                    if level == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// Expect `close` for the opener at `open`; report it as never closed otherwise.
    fn close(&mut self, close: char, open: usize) -> bool {
        self.skip_ws();
        if self.peek() == Some(close) {
            self.bump();
            return true;
        }
        let opener = opener_of(close);
        let mut d = Diagnostic::error(
            codes::UNCLOSED,
            format!("this `{opener}` is never closed"),
            self.char_span(open),
        )
        .with_label(format!("this `{opener}` was never closed"))
        .with_help(format!("add a `{close}` where the group ends"));
        if let Some(found) = self.peek() {
            d = d.with_secondary(
                self.char_span(self.pos),
                format!("I found `{found}` before any `{close}`"),
            );
        }
        self.report(d);
        false
    }

    fn misplaced_choice(&mut self, at: usize, place: &str) {
        self.report(
            Diagnostic::error(
                codes::MISPLACED_CHOICE,
                format!("`|` can't be used between {place}"),
                self.char_span(at),
            )
            .with_label("random choice here")
            .with_help(if place.starts_with("euclid") {
                "put the choice in square brackets: `bd([3|5],8)`"
            } else {
                "put the choice in square brackets: `<a [b|c]>`"
            }),
        );
    }

    fn misplaced_percent(&mut self) {
        let at = self.pos;
        self.bump();
        self.report(
            Diagnostic::error(
                codes::MISPLACED_PERCENT,
                "`%` sets the steps of a `{ }` polymeter and must follow its `}` directly",
                self.char_span(at),
            )
            .with_label("not right after a `}`")
            .with_help("for example `{a b c}%4`"),
        );
        // Consume its argument so it does not turn into steps.
        self.factor_silently();
    }

    /// Parse and drop a factor after a misplaced operator, keeping its diagnostics out.
    fn factor_silently(&mut self) {
        let keep = self.diags.len();
        let at = self.pos.saturating_sub(1);
        let _ = self.factor('%', at);
        // A missing factor after an already-reported operator is not a second problem.
        let mut i = keep;
        while i < self.diags.len() {
            if self
                .diags
                .get(i)
                .is_some_and(|d| d.code == codes::MISSING_FACTOR)
            {
                self.diags.remove(i);
            } else {
                i += 1;
            }
        }
    }

    /// An operator at the start of a sequence or foot: report it and consume its argument.
    fn orphan_operator(&mut self, op: char) {
        let at = self.pos;
        let (what, help) = match op {
            '!' => ("to repeat", "write the step first: `a!3` or `a ! !`"),
            '@' | '_' => ("to lengthen", "write the step first: `a@3` or `a _ _`"),
            '?' => ("to drop at random", "write the step first: `a?`"),
            '(' => (
                "to make a euclidean rhythm",
                "write the step first: `bd(3,8)`",
            ),
            '/' => ("to slow down", "write the step first: `a/2`"),
            _ => ("to speed up", "write the step first: `a*2`"),
        };
        self.report(
            Diagnostic::error(
                codes::NOTHING_BEFORE,
                format!("there's no step before this `{op}` {what}"),
                self.char_span(at),
            )
            .with_label(format!("`{op}` needs a step before it"))
            .with_help(help),
        );
        match op {
            '!' | '@' | '_' => {
                self.bump();
                let _ = self.number(false);
            }
            '*' | '/' => {
                self.bump();
                self.factor_silently();
            }
            _ => {
                let keep = self.seed;
                let _ = self.postfix(op, lower::silence());
                // An orphan `?` has no step; it must not shift the seeds of the others.
                self.seed = keep;
            }
        }
    }

    /// A run of characters with no meaning: one diagnostic for the whole run.
    fn unexpected_run(&mut self) {
        let start = self.pos;
        let first = self.bump().unwrap_or(' ');
        while self.peek().is_some_and(|c| !is_known(c)) {
            self.bump();
        }
        let run = self.slice(start, self.pos);
        let help = match first {
            '\'' => "chord names such as `c'maj` aren't supported; write the notes as a stack: `[c, e, g]`",
            '^' => "control-bus variables (`^name`) aren't supported in patter",
            ':' => "`:` only goes inside a word, as in `bd:3`",
            '"' => "a mini-notation string can't contain `\"`",
            '+' => "write positive numbers without `+`",
            _ => "steps are words (`bd`, `c4`, `bd:3`), numbers, `~` for a rest, or groups in brackets",
        };
        self.report(
            Diagnostic::error(
                codes::UNEXPECTED_CHAR,
                format!("I don't know what `{run}` means in mini-notation"),
                self.span(start, self.pos),
            )
            .with_label("not mini-notation")
            .with_help(help),
        );
    }

    fn brackets(&mut self) -> PatRef {
        let open = self.pos;
        if !self.enter(open) {
            return lower::silence();
        }
        self.bump();
        self.open.push((']', open));
        let pat = self.parse_pattern();
        self.open.pop();
        self.close(']', open);
        pat
    }

    /// The `,`-separated sequences of `<…>` or `{…}`; the opener is at `open`.
    fn poly_sequences(&mut self, close: char, open: usize) -> Vec<Seq> {
        self.bump();
        self.open.push((close, open));
        let mut seqs = Vec::new();
        let mut choice_reported = false;
        loop {
            seqs.push(self.parse_sequence());
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some('|') => {
                    let at = self.pos;
                    self.bump();
                    if !choice_reported {
                        choice_reported = true;
                        let place = if close == '>' {
                            "the sequences of `< >`"
                        } else {
                            "the sequences of `{ }`"
                        };
                        self.misplaced_choice(at, place);
                    }
                }
                _ => break,
            }
        }
        self.open.pop();
        self.close(close, open);
        seqs
    }

    fn angles(&mut self) -> PatRef {
        let open = self.pos;
        if !self.enter(open) {
            return lower::silence();
        }
        let seqs = self.poly_sequences('>', open);
        lower::polymeter(&seqs, Some(Factor::Lit(Time::ONE)))
    }

    fn braces(&mut self) -> PatRef {
        let open = self.pos;
        if !self.enter(open) {
            return lower::silence();
        }
        let seqs = self.poly_sequences('}', open);
        let mut steps = None;
        if self.peek() == Some('%') {
            let at = self.pos;
            self.bump();
            steps = self.factor('%', at);
        }
        lower::polymeter(&seqs, steps)
    }
}
