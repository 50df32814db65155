//! The evaluator: AST to [`Program`].
//!
//! Expressions are evaluated at compile time to [`Val`]s: numbers, cycle patterns (`Pat`),
//! streams (`Stream`), records (Pbinds), functions. Higher-order transforms (`every`,
//! `sometimesBy`, `off`, …) are applied here, so the resulting IR has no closures. Each
//! top-level item is evaluated on its own: an error in one is reported and the others still
//! evaluate, so one pass reports every independent error. Work is bounded: a step budget, a
//! call-depth limit and size limits stop runaway programs with a diagnostic.

mod builtins;
mod convert;
mod ops;
mod scene;
mod value;

use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;

use patter_pattern::{
    Bind, Budget, EventPat, Key, Player, Program, Stream, StreamRef, Time, TimeSpan, Value,
};

use crate::ast::{Arg, ExprKind, Ident, ItemKind, Module, Setting, UnaryOp};
use crate::diagnostic::{Diagnostic, Sources};
use crate::span::{FileId, Span};
use crate::{Compiled, Loader};

pub use builtins::{builtin_names, BUILTINS};
pub use value::{Env, Func, Globals, Val};

/// Evaluation steps allowed for one compilation.
const STEP_LIMIT: u64 = 5_000_000;
/// Nested user-function calls allowed.
const DEPTH_LIMIT: u32 = 100;
/// Import nesting allowed.
const IMPORT_DEPTH_LIMIT: usize = 32;
/// Haps allowed per player while probing its first cycle at compile time.
pub const PROBE_BUDGET: u64 = 200_000;

/// Marker: evaluation of this expression stopped; the diagnostic is already recorded.
#[derive(Debug, Clone, Copy)]
pub struct Stop;

/// Result of evaluating an expression.
pub type EvalResult = Result<Val, Stop>;

/// A value with the span of the expression that produced it (for argument errors).
#[derive(Clone, Debug)]
pub struct Spanned {
    /// The value.
    pub val: Val,
    /// Where it came from.
    pub span: Span,
}

/// A `play` body without its swap options, and the options: quant, restart, feel.
type SwapOptions = (Val, Option<Time>, bool, scene::FeelSpec);

/// Positional and named arguments, evaluated.
type EvaluatedArgs = (Vec<Spanned>, Vec<(Ident, Spanned)>);

pub(crate) struct PlayerDef {
    name: Arc<str>,
    span: Span,
    body: Arc<EventPat>,
    muted: bool,
    quant: Option<Time>,
    restart: bool,
    /// The player's own `groove:`/`humanize:` keys.
    feel: scene::FeelSpec,
}

/// The evaluator's state for one compilation.
pub struct Evaluator<'a> {
    loader: &'a dyn Loader,
    pub(crate) sources: Sources,
    pub(crate) diags: Vec<Diagnostic>,
    env: Env,
    /// The top-level bindings `env` sees (owned here; environments hold them weakly).
    _globals: Globals,
    steps: u64,
    depth: u32,
    budget_reported: bool,
    /// Ordinal of the next random constructor in the current item (remixed per player).
    seed_counter: u64,
    tempo: f64,
    pub(crate) cycle_beats: Time,
    seed: u64,
    scale: Option<Value>,
    root: Option<Value>,
    players: Vec<PlayerDef>,
    solo: Vec<Arc<str>>,
    /// Groove and humanize of the current level (the file, or the scene being evaluated).
    feel: scene::FeelSpec,
    scenes: Vec<scene::SceneDef>,
    arrangement: Option<scene::ArrangeDef>,
    launches: Vec<scene::LaunchDef>,
    import_stack: Vec<String>,
    imported: HashSet<String>,
}

/// See [`crate::compile`].
pub fn compile(
    name: &str,
    source: &str,
    loader: &dyn Loader,
    options: &crate::Options,
) -> Compiled {
    let globals = Globals::default();
    let mut ev = Evaluator {
        loader,
        sources: Sources::default(),
        diags: Vec::new(),
        env: globals.env(),
        _globals: globals,
        steps: 0,
        depth: 0,
        budget_reported: false,
        seed_counter: 0,
        tempo: 120.0,
        cycle_beats: Time::int(4),
        seed: 0,
        scale: None,
        root: None,
        players: Vec::new(),
        solo: Vec::new(),
        feel: scene::FeelSpec::default(),
        scenes: Vec::new(),
        arrangement: None,
        launches: Vec::new(),
        import_stack: vec![name.to_string()],
        imported: HashSet::new(),
    };
    let file = ev.sources.add(name, source);
    ev.imported.insert(name.to_string());
    let (module, parse_diags) = crate::parse::parse(file, source);
    let parse_failed = parse_diags.iter().any(|d| d.is_error());
    ev.diags.extend(parse_diags);
    ev.run_module(&module);
    if let Some(seed) = options.seed {
        ev.seed = seed;
    }
    let program = if parse_failed || ev.diags.iter().any(|d| d.is_error()) {
        None
    } else {
        ev.build_program()
    };
    let mut diagnostics = ev.diags;
    diagnostics.sort_by_key(|d| {
        d.span()
            .map(|s| (s.file, s.start, s.end))
            .unwrap_or_default()
    });
    Compiled {
        program: if diagnostics.iter().any(|d| d.is_error()) {
            None
        } else {
            program
        },
        diagnostics,
        sources: ev.sources,
    }
}

impl<'a> Evaluator<'a> {
    pub(crate) fn error(&mut self, d: Diagnostic) -> Stop {
        self.diags.push(d);
        Stop
    }

    fn run_module(&mut self, module: &Module) {
        // Settings first, so `cycle 3` at the end of a file still sets the cycle every
        // pattern in it is measured against (one program has one cycle length).
        for item in &module.items {
            if let ItemKind::Setting { setting, value } = &item.node {
                // Grooves come last (below).
                if !matches!(setting, Setting::Groove | Setting::Humanize) {
                    self.seed_counter = 0;
                    let _ = self.setting(*setting, value, item.span);
                }
            }
        }
        for item in &module.items {
            self.seed_counter = 0;
            let _ = self.item(&item.node, item.span);
        }
        // Grooves last: they usually name an import or a `let`, which now exist wherever
        // they stand in the file.
        for item in &module.items {
            if let ItemKind::Setting { setting, value } = &item.node {
                if matches!(setting, Setting::Groove | Setting::Humanize) {
                    self.seed_counter = 0;
                    let _ = self.setting(*setting, value, item.span);
                }
            }
        }
    }

    fn item(&mut self, item: &ItemKind, span: Span) -> Result<(), Stop> {
        match item {
            ItemKind::Let { name, value } => {
                let v = self.eval(value)?;
                self.env = self.env.define(name.node.clone(), v);
            }
            ItemKind::Fn { name, params, body } => {
                self.check_params(params)?;
                let f = Val::Func(Rc::new(Func::User {
                    name: name.node.clone(),
                    params: params.clone(),
                    body: Rc::new(body.clone()),
                    // Bound below together with itself, so the function can recurse.
                    env: self.env.clone(),
                    span,
                    given: Vec::new(),
                }));
                self.env = self.env.define(name.node.clone(), f);
            }
            ItemKind::Play { name, body } => {
                let v = self.eval(body)?;
                let (v, quant, restart, feel) = self.swap_options(v)?;
                let (v, gate) = self.gate_options(v, quant)?;
                let mut pat = self.event_pat(v, body.span, name)?;
                if let Some(gate) = gate {
                    pat = builtins::gate_player(&pat, &Arc::new(gate));
                }
                let def = PlayerDef {
                    name: Arc::from(name.node.as_str()),
                    span: name.span.join(body.span),
                    body: pat,
                    muted: false,
                    quant,
                    restart,
                    feel,
                };
                match self.players.iter_mut().find(|p| *p.name == *name.node) {
                    Some(existing) => {
                        let muted = existing.muted;
                        *existing = PlayerDef { muted, ..def };
                    }
                    None => self.players.push(def),
                }
            }
            ItemKind::Stop(names) => {
                for n in names {
                    if self.player_index(n).is_some() {
                        self.players.retain(|p| *p.name != *n.node);
                    }
                }
            }
            ItemKind::Hush => self.players.clear(),
            ItemKind::Mute(names) | ItemKind::Unmute(names) => {
                let mute = matches!(item, ItemKind::Mute(_));
                for n in names {
                    if let Some(i) = self.player_index(n) {
                        if let Some(p) = self.players.get_mut(i) {
                            p.muted = mute;
                        }
                    }
                }
            }
            ItemKind::Solo(names) => {
                for n in names {
                    if self.player_index(n).is_some() && !self.solo.iter().any(|s| **s == *n.node) {
                        self.solo.push(Arc::from(n.node.as_str()));
                    }
                }
            }
            ItemKind::Unsolo(names) => {
                if names.is_empty() {
                    self.solo.clear();
                } else {
                    self.solo.retain(|s| !names.iter().any(|n| **s == *n.node));
                }
            }
            ItemKind::Setting { .. } => {}
            ItemKind::Scene { name, flag, items } => self.scene(name, flag.as_ref(), items)?,
            ItemKind::Arrange { looped, sections } => self.arrange(*looped, sections)?,
            ItemKind::Launch {
                scenes,
                list,
                on,
                quant,
            } => self.launch(scenes, *list, on.as_ref(), quant.as_ref())?,
            ItemKind::Import { path } => self.import(path, span)?,
            ItemKind::Error => {}
        }
        Ok(())
    }

    fn player_index(&mut self, name: &Ident) -> Option<usize> {
        let found = self.players.iter().position(|p| *p.name == *name.node);
        if found.is_none() {
            let names: Vec<String> = self.players.iter().map(|p| p.name.to_string()).collect();
            // A warning, not an error: stopping something that is not playing is harmless,
            // and in a live set the player may have been stopped already.
            let mut d = Diagnostic::warning(
                "W0103",
                format!("there is no player called `{}`", name.node),
                name.span,
            )
            .with_label("no player with this name is playing here");
            d = match suggest(&name.node, names.iter().map(|s| s.as_str())) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None if names.is_empty() => {
                    d.with_help("no players are defined yet: start one with `play NAME { … }`")
                }
                None => d.with_help(format!("the players are: {}", names.join(", "))),
            };
            self.diags.push(d);
        }
        found
    }

    fn check_params(&mut self, params: &[Ident]) -> Result<(), Stop> {
        let mut seen: Vec<&str> = Vec::new();
        for p in params {
            if seen.contains(&p.node.as_str()) {
                return Err(self.error(
                    Diagnostic::error(
                        "E0311",
                        format!("the parameter `{}` is named twice", p.node),
                        p.span,
                    )
                    .with_help("give each parameter its own name"),
                ));
            }
            seen.push(&p.node);
        }
        Ok(())
    }

    fn setting(
        &mut self,
        setting: Setting,
        value: &crate::ast::Expr,
        span: Span,
    ) -> Result<(), Stop> {
        let v = self.eval(value)?;
        match setting {
            Setting::Tempo => {
                let bpm = self.const_num(&v, value.span, "a tempo in beats per minute")?;
                if !(1.0..=1000.0).contains(&bpm) {
                    return Err(self.error(
                        Diagnostic::error(
                            "E0401",
                            format!("a tempo of {bpm} BPM is out of range"),
                            value.span,
                        )
                        .with_label("tempo must be between 1 and 1000 BPM")
                        .with_help("for example `tempo 120`"),
                    ));
                }
                self.tempo = bpm;
            }
            Setting::Cycle => {
                let beats = self.const_num(&v, value.span, "a number of beats per cycle")?;
                let t = Time::from_f64(beats);
                if !(beats > 0.0 && beats <= 1024.0) || t.is_zero() {
                    return Err(self.error(
                        Diagnostic::error(
                            "E0402",
                            format!("a cycle of {beats} beats is out of range"),
                            value.span,
                        )
                        .with_label("a cycle must last more than 0 and at most 1024 beats")
                        .with_help("for example `cycle 4` (the default: one bar of 4/4)"),
                    ));
                }
                self.cycle_beats = t;
            }
            Setting::Seed => {
                let s = self.const_num(&v, value.span, "a whole number")?;
                if s.fract() != 0.0 || s < 0.0 || s > u32::MAX as f64 {
                    return Err(self.error(
                        Diagnostic::error(
                            "E0403",
                            "the seed must be a whole number from 0 to 4294967295",
                            value.span,
                        )
                        .with_help("for example `seed 42`"),
                    ));
                }
                self.seed = s as u64;
            }
            Setting::Scale => {
                let s = self.scale_value(&v, value.span)?;
                self.scale = Some(s);
            }
            Setting::Root => {
                let r = self.const_num(&v, value.span, "a root in semitones")?;
                self.root = Some(Value::Num(r));
            }
            Setting::Groove | Setting::Humanize => self.feel_setting(setting, &v, value.span)?,
        }
        let _ = span;
        Ok(())
    }

    /// A scale name or a list of degrees, checked.
    pub(crate) fn scale_value(&mut self, v: &Val, span: Span) -> Result<Value, Stop> {
        if let Some(word) = v.as_word() {
            if patter_pattern::scale::lookup(&word).is_some() {
                return Ok(Value::Str(word));
            }
            let d = Diagnostic::error("E0404", format!("there is no scale called `{word}`"), span);
            let d = match suggest(&word, patter_pattern::scale::names()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("see `docs/language.md` for the scale names, or give the degrees as a list: `scale [0, 2, 3, 5, 7, 8, 10]`"),
            };
            return Err(self.error(d));
        }
        if let Val::List(items) = v {
            let mut degrees = Vec::new();
            for it in items.iter() {
                match it.as_num() {
                    Some(x) => degrees.push(Value::Num(x)),
                    None => {
                        return Err(self.error(
                            Diagnostic::error(
                                "E0405",
                                "a scale given as a list must contain only numbers",
                                span,
                            )
                            .with_help("for example `scale [0, 2, 3, 5, 7, 8, 10]`"),
                        ))
                    }
                }
            }
            if degrees.is_empty() {
                return Err(self.error(Diagnostic::error(
                    "E0405",
                    "a scale needs at least one degree",
                    span,
                )));
            }
            return Ok(Value::Chord(degrees.into()));
        }
        Err(self.error(
            Diagnostic::error(
                "E0404",
                format!(
                    "a scale is a name or a list of degrees, not {}",
                    v.describe()
                ),
                span,
            )
            .with_help("for example `scale dorian` or `scale [0, 2, 4, 5, 7, 9, 11]`"),
        ))
    }

    pub(crate) fn const_num(&mut self, v: &Val, span: Span, what: &str) -> Result<f64, Stop> {
        match v.as_num() {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(self.error(
                Diagnostic::error(
                    "E0320",
                    format!("I was expecting {what} here, but this is {}", v.describe()),
                    span,
                )
                .with_label(format!("expected {what}")),
            )),
        }
    }

    fn import(&mut self, path: &crate::span::Spanned<String>, span: Span) -> Result<(), Stop> {
        let from = self.import_stack.last().cloned().unwrap_or_default();
        let loaded = if let Some(name) = path.node.strip_prefix("std/") {
            patter_stdlib::source(name)
                .map(|s| (path.node.clone(), s.to_string()))
                .ok_or_else(|| {
                    format!(
                        "the standard library has no module `{name}` (it has: {})",
                        patter_stdlib::FILES
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
        } else {
            self.loader.load(&path.node, &from)
        };
        let (name, text) = match loaded {
            Ok(x) => x,
            Err(msg) => return Err(self.error(
                Diagnostic::error(
                    "E0601",
                    format!("I could not import \"{}\"", path.node),
                    path.span,
                )
                .with_label(msg)
                .with_help(
                    "paths are relative to the importing file; the standard library is `std/NAME`",
                ),
            )),
        };
        if self.import_stack.contains(&name) {
            return Err(self.error(
                Diagnostic::error(
                    "E0602",
                    format!(
                        "\"{}\" imports itself (through {})",
                        path.node,
                        self.import_stack.join(" → ")
                    ),
                    path.span,
                )
                .with_help("remove one of the imports in the cycle"),
            ));
        }
        if self.imported.contains(&name) {
            // Importing the same file twice is harmless: its definitions are already here.
            return Ok(());
        }
        if self.import_stack.len() >= IMPORT_DEPTH_LIMIT {
            return Err(self.error(Diagnostic::error(
                "E0603",
                "imports are nested too deeply",
                span,
            )));
        }
        self.imported.insert(name.clone());
        let file: FileId = self.sources.add(name.clone(), text.clone());
        let (module, parse_diags) = crate::parse::parse(file, &text);
        self.diags.extend(parse_diags);
        self.import_stack.push(name);
        self.run_module(&module);
        self.import_stack.pop();
        Ok(())
    }

    fn tick(&mut self, span: Span) -> Result<(), Stop> {
        self.steps += 1;
        if self.steps > STEP_LIMIT {
            if !self.budget_reported {
                self.budget_reported = true;
                self.diags.push(
                    Diagnostic::error("E0503", "this program takes too long to evaluate", span)
                        .with_label("evaluation was stopped here")
                        .with_help("look for a function that calls itself without end, or a very large list or range"),
                );
            }
            return Err(Stop);
        }
        Ok(())
    }

    /// Evaluate an expression.
    pub fn eval(&mut self, e: &crate::ast::Expr) -> EvalResult {
        self.tick(e.span)?;
        match &e.node {
            ExprKind::Num(x) => Ok(Val::Num(*x)),
            ExprKind::Bool(b) => Ok(Val::Bool(*b)),
            ExprKind::Rest => Ok(Val::Rest),
            ExprKind::Str(text) => {
                let content = Span {
                    file: e.span.file,
                    start: e.span.start.saturating_add(1),
                    end: e
                        .span
                        .start
                        .saturating_add(1)
                        .saturating_add(text.len() as u32),
                };
                let (pat, diags) = crate::mini::compile(text, content);
                let failed = diags.iter().any(|d| d.is_error());
                self.diags.extend(diags);
                if failed {
                    return Err(Stop);
                }
                Ok(Val::Pat(pat))
            }
            ExprKind::Ident(name) => self.lookup(name, e.span),
            ExprKind::List(items) => {
                let mut vals = Vec::with_capacity(items.len());
                for it in items {
                    vals.push(self.eval(it)?);
                }
                Ok(Val::List(Rc::new(vals)))
            }
            ExprKind::Record(fields) => {
                let mut vals: Vec<(Ident, Val, Span)> = Vec::with_capacity(fields.len());
                for (k, v) in fields {
                    if let Some((first, _, _)) = vals.iter().find(|(f, _, _)| f.node == k.node) {
                        let first = first.span;
                        return Err(self.error(
                            Diagnostic::error(
                                "E0312",
                                format!("the key `{}` is given twice", k.node),
                                k.span,
                            )
                            .with_secondary(first, "first given here")
                            .with_help("remove one of them"),
                        ));
                    }
                    let val = self.eval(v)?;
                    vals.push((k.clone(), val, v.span));
                }
                Ok(Val::Record(Rc::new(vals)))
            }
            ExprKind::Call { callee, args } => {
                let f = self.eval(callee)?;
                let (pos, named) = self.eval_args(args)?;
                self.apply(f, callee.span, pos, named, e.span, None)
            }
            ExprKind::Method {
                receiver,
                name,
                args,
            } => {
                let recv = self.eval(receiver)?;
                let f = self.lookup(&name.node, name.span)?;
                let (pos, named) = self.eval_args(args)?;
                let recv = Spanned {
                    val: recv,
                    span: receiver.span,
                };
                self.apply(f, name.span, pos, named, e.span, Some(recv))
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                self.binary(*op, l, lhs.span, r, rhs.span, e.span)
            }
            ExprKind::Unary { op, expr } => {
                let v = self.eval(expr)?;
                match op {
                    UnaryOp::Neg => self.unary(patter_pattern::UnOp::Neg, v, expr.span),
                    UnaryOp::Not => self.unary(patter_pattern::UnOp::Not, v, expr.span),
                }
            }
            ExprKind::Range { from, to } => {
                let a = self.eval(from)?;
                let b = self.eval(to)?;
                let a = self.const_num(&a, from.span, "a number")?;
                let b = self.const_num(&b, to.span, "a number")?;
                let (a, b) = (a.round(), b.round());
                if (b - a).abs() > 4096.0 {
                    return Err(self.error(
                        Diagnostic::error("E0406", "this range is too long", e.span)
                            .with_label(format!("{} values", (b - a).abs() + 1.0))
                            .with_help("ranges may hold up to 4097 values"),
                    ));
                }
                let step = if b >= a { 1.0 } else { -1.0 };
                let n = (b - a).abs() as usize + 1;
                let vals = (0..n).map(|i| Val::Num(a + step * i as f64)).collect();
                Ok(Val::List(Rc::new(vals)))
            }
            ExprKind::Lambda { params, body } => {
                self.check_params(params)?;
                Ok(Val::Func(Rc::new(Func::User {
                    name: "<lambda>".to_string(),
                    params: params.clone(),
                    body: Rc::new((**body).clone()),
                    env: self.env.clone(),
                    span: e.span,
                    given: Vec::new(),
                })))
            }
            ExprKind::Error => Err(Stop),
        }
    }

    fn eval_args(&mut self, args: &[Arg]) -> Result<EvaluatedArgs, Stop> {
        let mut pos = Vec::new();
        let mut named: Vec<(Ident, Spanned)> = Vec::new();
        for a in args {
            let v = self.eval(&a.value)?;
            let sv = Spanned {
                val: v,
                span: a.value.span,
            };
            match &a.name {
                Some(n) => {
                    if named.iter().any(|(m, _)| m.node == n.node) {
                        return Err(self.error(
                            Diagnostic::error(
                                "E0313",
                                format!("the argument `{}` is given twice", n.node),
                                n.span,
                            )
                            .with_help("remove one of them"),
                        ));
                    }
                    named.push((n.clone(), sv));
                }
                None => {
                    if let Some((n, _)) = named.first() {
                        let s = n.span;
                        return Err(self.error(
                            Diagnostic::error(
                                "E0314",
                                "a positional argument cannot follow a named one",
                                a.value.span,
                            )
                            .with_secondary(s, "named argument here")
                            .with_help("put positional arguments first"),
                        ));
                    }
                    pos.push(sv);
                }
            }
        }
        Ok((pos, named))
    }

    fn lookup(&mut self, name: &str, span: Span) -> EvalResult {
        if let Some(v) = self.env.get(name) {
            return Ok(v);
        }
        if let Some(v) = Evaluator::constant_name(name) {
            return Ok(v);
        }
        if let Some(index) = builtins::index_of(name) {
            return Ok(Val::Func(Rc::new(Func::Builtin {
                index,
                given: Vec::new(),
                named: Vec::new(),
            })));
        }
        if patter_pattern::scale::lookup(name).is_some() || builtins::is_symbol(name) {
            return Ok(Val::Sym(Arc::from(name)));
        }
        let mut known: Vec<String> = self.env.names();
        known.extend(builtins::builtin_names().map(String::from));
        known.extend(patter_pattern::scale::names().map(String::from));
        known.extend(builtins::symbols().map(String::from));
        let candidates = known.iter().map(|s| s.as_str());
        let d = Diagnostic::error("E0301", format!("I don't know the name `{name}`"), span)
            .with_label("not defined");
        let suggestion = suggest(name, candidates).map(String::from);
        let d = match suggestion {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help("define it first with `let NAME = …` or `fn NAME(…) = …`; words inside strings are mini-notation (\"bd sn\")"),
        };
        Err(self.error(d))
    }

    /// Apply a function value to arguments. `receiver` is the value before the dot of a
    /// method call; it goes into the function's subject slot.
    pub(crate) fn apply(
        &mut self,
        f: Val,
        fspan: Span,
        mut pos: Vec<Spanned>,
        named: Vec<(Ident, Spanned)>,
        call_span: Span,
        receiver: Option<Spanned>,
    ) -> EvalResult {
        self.tick(call_span)?;
        let func = match f {
            Val::Func(func) => func,
            other => {
                return Err(self.error(
                    Diagnostic::error(
                        "E0321",
                        format!(
                            "this is {}, not a function: it cannot be called",
                            other.describe()
                        ),
                        fspan,
                    )
                    .with_help("only functions take arguments in parentheses"),
                ))
            }
        };
        match &*func {
            Func::Builtin {
                index,
                given,
                named: given_named,
            } => {
                let mut all: Vec<Spanned> = given
                    .iter()
                    .map(|v| Spanned {
                        val: v.clone(),
                        span: fspan,
                    })
                    .collect();
                all.append(&mut pos);
                let mut all_named: Vec<(Ident, Spanned)> = given_named
                    .iter()
                    .map(|(n, v)| {
                        (
                            crate::span::Spanned::new(n.clone(), fspan),
                            Spanned {
                                val: v.clone(),
                                span: fspan,
                            },
                        )
                    })
                    .collect();
                all_named.extend(named);
                builtins::call(self, *index, all, all_named, receiver, fspan, call_span)
            }
            Func::User {
                name,
                params,
                body,
                env,
                span,
                given,
            } => {
                if !named.is_empty() {
                    let s = named.first().map(|(n, _)| n.span).unwrap_or(call_span);
                    return Err(self.error(
                        Diagnostic::error("E0315", format!("`{name}` takes no named arguments"), s)
                            .with_help("pass its arguments in order"),
                    ));
                }
                let mut args: Vec<Val> = given.clone();
                if let Some(r) = receiver {
                    // User functions take the receiver as their first parameter.
                    args.insert(0, r.val);
                }
                args.extend(pos.into_iter().map(|s| s.val));
                if args.len() > params.len() {
                    return Err(self.error(
                        Diagnostic::error(
                            "E0316",
                            format!(
                                "`{name}` takes {} argument{}, but {} were given",
                                params.len(),
                                plural(params.len()),
                                args.len()
                            ),
                            call_span,
                        )
                        .with_secondary(*span, "defined here"),
                    ));
                }
                if args.len() < params.len() {
                    // Partial application: the rest of the arguments come later.
                    return Ok(Val::Func(Rc::new(Func::User {
                        name: name.clone(),
                        params: params.clone(),
                        body: body.clone(),
                        env: env.clone(),
                        span: *span,
                        given: args,
                    })));
                }
                if self.depth >= DEPTH_LIMIT {
                    return Err(self.error(
                        Diagnostic::error("E0502", format!("calls to `{name}` nest too deeply"), call_span)
                            .with_secondary(*span, "this function")
                            .with_help(format!("at most {DEPTH_LIMIT} calls may be in progress at once: a function that calls itself needs a case that stops")),
                    ));
                }
                let mut call_env = env.clone();
                if name != "<lambda>" {
                    // Let the function see itself, for recursion.
                    call_env = call_env.bind(name.clone(), Val::Func(func.clone()));
                }
                for (p, a) in params.iter().zip(args) {
                    call_env = call_env.bind(p.node.clone(), a);
                }
                let saved = std::mem::replace(&mut self.env, call_env);
                self.depth += 1;
                let result = self.eval(body);
                self.depth -= 1;
                self.env = saved;
                result
            }
        }
    }

    /// A fresh seed ordinal for a random stream constructor (mixed with the player's seed
    /// and the key when the stream is bound in a player).
    pub(crate) fn fresh_seed(&mut self) -> u64 {
        self.seed_counter += 1;
        self.seed_counter
    }

    fn event_pat(&mut self, v: Val, span: Span, name: &Ident) -> Result<Arc<EventPat>, Stop> {
        match v {
            Val::Record(fields) => {
                let mut keys = Vec::with_capacity(fields.len());
                for (k, val, vspan) in fields.iter() {
                    let s = self.key_stream(&k.node, val, *vspan)?;
                    keys.push((Key::new(&k.node), s));
                }
                if keys.iter().any(|(k, _)| &**k == "dur" || &**k == "delta") {
                    // Rhythm from dur: every other key is sampled, which is what the warning
                    // below would otherwise be about.
                } else if !keys.iter().any(|(_, s)| convert::is_cycle_structured(s)) && keys.is_empty() {
                    self.diags.push(
                        Diagnostic::warning("W0102", format!("player `{}` has no keys: it plays the default note every beat", name.node), span)
                            .with_help("for example `play x { degree: \"0 2 4\" }`"),
                    );
                }
                Ok(Arc::new(EventPat::Bind(Bind { keys })))
            }
            Val::Events(e) => Ok(e),
            other => Err(self.error(
                Diagnostic::error("E0322", format!("a player plays a record of keys, but this is {}", other.describe()), span)
                    .with_help(format!("for example `play {} {{ s: \"bd sn\" }}` or `play {} {{ degree: seq([0, 2, 4]), dur: 0.5 }}`", name.node, name.node)),
            )),
        }
    }

    /// Take the hot-swap options out of a player's record: `quant` (beats; when a change
    /// takes effect) and `restart` (start over instead of continuing in phase). They are
    /// settings of the player, not keys of its events.
    fn swap_options(&mut self, v: Val) -> Result<SwapOptions, Stop> {
        let Val::Record(fields) = &v else {
            return Ok((v, None, false, scene::FeelSpec::default()));
        };
        const OPTIONS: [&str; 4] = ["quant", "restart", "groove", "humanize"];
        if !fields
            .iter()
            .any(|(k, _, _)| OPTIONS.contains(&k.node.as_str()))
        {
            return Ok((v, None, false, scene::FeelSpec::default()));
        }
        let mut quant = None;
        let mut restart = false;
        let mut feel = scene::FeelSpec::default();
        let mut rest = Vec::with_capacity(fields.len());
        for (k, val, span) in fields.iter() {
            match k.node.as_str() {
                "quant" => {
                    let q = self.const_num(val, *span, "a quantization in beats")?;
                    if !(0.0..=1024.0).contains(&q) {
                        return Err(self.error(
                            Diagnostic::error("E0415", format!("a quant of {q} beats is out of range"), *span)
                                .with_label("quant must be from 0 (at once) to 1024 beats")
                                .with_help("for example `quant: 4` (the next bar of 4/4) or `quant: 1` (the next beat)"),
                        ));
                    }
                    quant = Some(Time::from_f64(q));
                }
                "restart" => match val {
                    Val::Bool(b) => restart = *b,
                    other => {
                        let d = other.describe();
                        return Err(self.error(
                            Diagnostic::error("E0416", format!("`restart` is true or false, not {d}"), *span)
                                .with_help("`restart: true` starts the player over at its boundary; the default continues in phase"),
                        ));
                    }
                },
                "groove" => feel.groove = Some(self.groove_value(val, *span)?),
                "humanize" => feel.humanize = Some(self.humanize_value(val, *span)?),
                _ => rest.push((k.clone(), val.clone(), *span)),
            }
        }
        Ok((Val::Record(Rc::new(rest)), quant, restart, feel))
    }

    fn key_stream(&mut self, key: &str, v: &Val, span: Span) -> Result<StreamRef, Stop> {
        if key == "scale" {
            if let Some(word) = v.as_word() {
                let value = self.scale_value(&Val::Sym(word), span)?;
                return Ok(Arc::new(Stream::Const(value)));
            }
            if let Val::List(_) = v {
                let value = self.scale_value(v, span)?;
                return Ok(Arc::new(Stream::Const(value)));
            }
        }
        self.stream_of(v, span)
    }

    fn build_program(&mut self) -> Option<Program> {
        let program_seed = self.seed;
        let player = |def: &PlayerDef,
                      level: &scene::FeelSpec,
                      scale: Option<&Value>,
                      root: Option<&Value>| {
            let seed = mix(program_seed, hash_str(&def.name));
            Player {
                name: def.name.clone(),
                body: convert::finish_player(&def.body, seed, program_seed, scale, root),
                seed,
                muted: def.muted,
                quant: def.quant,
                restart: def.restart,
                feel: def.feel.over(level).resolve(),
                active: None,
            }
        };
        let global = self.feel.clone();
        let mut players: Vec<Player> = self
            .players
            .iter()
            .map(|def| player(def, &global, self.scale.as_ref(), self.root.as_ref()))
            .collect();
        let (scenes, arranged, arrangement) = self.build_scenes(&player)?;
        let top_level = players.len();
        players.extend(arranged);
        let program = Program {
            tempo: self.tempo,
            cycle_beats: self.cycle_beats,
            seed: program_seed,
            players,
            solo: self.solo.clone(),
            scenes,
            arrangement,
        };
        // Probe each player's first cycle: a pattern that explodes is an error now rather
        // than a muted player later. Scene players are probed in their own first cycle,
        // not where an arrangement puts them.
        let mut probe = program.clone();
        probe.players.truncate(top_level);
        probe.players.extend(
            program
                .scenes
                .iter()
                .flat_map(|s| s.players.iter().cloned()),
        );
        let failed = probe.probe(
            TimeSpan::new(Time::ZERO, program.cycle_beats),
            Budget::new(PROBE_BUDGET),
        );
        let mut ok = true;
        for i in failed {
            let mut defs = self
                .players
                .iter()
                .chain(self.scenes.iter().flat_map(|s| s.players.iter()));
            if let Some(def) = defs.nth(i as usize) {
                ok = false;
                self.diags.push(
                    Diagnostic::error(
                        "E0501",
                        format!("player `{}` produces too many events", def.name),
                        def.span,
                    )
                    .with_label(format!(
                        "more than {PROBE_BUDGET} events or steps in its first cycle"
                    ))
                    .with_help(
                        "look for a very large `fast`, `*` or `ply` factor, or a tiny `dur`",
                    ),
                );
            }
        }
        ok.then_some(program)
    }
}

/// Text helper.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The closest candidate by edit distance, if close enough to be a likely typo.
pub fn suggest<'s>(name: &str, candidates: impl Iterator<Item = &'s str>) -> Option<&'s str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let d = edit_distance(name, c);
        let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// 64-bit mixing (splitmix64 finaliser) of two values.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a string: stable across runs and platforms (unlike std's hasher).
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}
