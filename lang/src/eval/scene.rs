//! Scenes, arrangements, grooves and humanize: evaluating them, and compiling them into
//! the program model (`patter_pattern::{Scene, Arrangement, Activity, Feel}`).
//!
//! Feel settings nest: a player's `groove:`/`humanize:` key wins over its scene's
//! `groove`/`humanize` setting, which wins over the file's. They are resolved when the
//! program is built, so a top-level `groove` line applies wherever it stands in the file.

use std::sync::Arc;

use patter_pattern::trigger::{Listen, Trigger, TriggerKind, TriggerRef};
use patter_pattern::{
    Activity, Arrangement, Cue, Feel, Groove, Humanize, Player, Scene, Section, Time, Value,
};

use super::{suggest, Evaluator, PlayerDef, Stop, Val};
use crate::ast::{Expr, Ident, Item, ItemKind, Setting};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// Most sections an arrangement may have (and most scenes one `launch` may list).
const MAX_SECTIONS: usize = 4096;
/// Longest section, in bars.
const MAX_BARS: f64 = 100_000.0;
/// Largest groove grid (steps per cycle).
const MAX_GRID: f64 = 1024.0;
/// Most entries in a groove's timing or amp list.
const MAX_GROOVE_LEN: usize = 1024;

/// Groove and humanize given at one level (`None`: not given here, inherit).
#[derive(Clone, Debug, Default)]
pub(crate) struct FeelSpec {
    pub(crate) groove: Option<Option<Arc<Groove>>>,
    pub(crate) humanize: Option<Option<Humanize>>,
}

impl FeelSpec {
    /// This level over `base`.
    pub(crate) fn over(&self, base: &FeelSpec) -> FeelSpec {
        FeelSpec {
            groove: self.groove.clone().or_else(|| base.groove.clone()),
            humanize: self.humanize.clone().or_else(|| base.humanize.clone()),
        }
    }

    /// The program model's feel (`None` when nothing moves events).
    pub(crate) fn resolve(&self) -> Option<Arc<Feel>> {
        let groove = self.groove.clone().flatten();
        let humanize = self.humanize.clone().flatten();
        (groove.is_some() || humanize.is_some()).then(|| Arc::new(Feel { groove, humanize }))
    }
}

/// Builds a program player from its definition, the feel of its level, scale and root.
pub(crate) type MakePlayer<'f> =
    dyn Fn(&PlayerDef, &FeelSpec, Option<&Value>, Option<&Value>) -> Player + 'f;

/// The built scenes, the arranged players and the arrangement.
pub(crate) type BuiltScenes = (Vec<Scene>, Vec<Player>, Option<Arc<Arrangement>>);

/// A declared scene.
pub(crate) struct SceneDef {
    pub(crate) name: Arc<str>,
    pub(crate) players: Vec<PlayerDef>,
    pub(crate) tempo: Option<(f64, Span)>,
    pub(crate) scale: Option<Value>,
    pub(crate) root: Option<Value>,
    pub(crate) feel: FeelSpec,
    pub(crate) keep: bool,
}

/// The last `arrange` item: loop flag and `(scene, bars, span)` sections.
pub(crate) struct ArrangeDef {
    pub(crate) looped: bool,
    pub(crate) sections: Vec<(Ident, Time)>,
}

/// A `launch` item: its scenes, and its trigger with the quant in cycles (`None`: once, at
/// the start). Scene names are checked when the program is built.
pub(crate) struct LaunchDef {
    pub(crate) scenes: Vec<Ident>,
    pub(crate) on: Option<(TriggerRef, Time)>,
}

/// A name that is not one of `scenes`, with the nearest one as a hint.
fn unknown_scene(
    code: &'static str,
    message: String,
    name: &Ident,
    scenes: &[Scene],
) -> Diagnostic {
    let d = Diagnostic::error(code, message, name.span).with_label("not a scene");
    match suggest(&name.node, scenes.iter().map(|s| &*s.name)) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help("declare it with `scene NAME { play … }`"),
    }
}

impl Evaluator<'_> {
    /// `scene NAME [keep] { … }`: evaluate its settings, then its players, in a fresh
    /// player list and feel; the file's settings are restored afterwards.
    pub(crate) fn scene(
        &mut self,
        name: &Ident,
        flag: Option<&Ident>,
        items: &[Item],
    ) -> Result<(), Stop> {
        let keep = match flag {
            None => false,
            Some(f) if f.node == "keep" => true,
            Some(f) => {
                return Err(self.error(
                    Diagnostic::error(
                        "E0420",
                        format!("`{}` is not a scene option", f.node),
                        f.span,
                    )
                    .with_label("expected `keep` or `{`")
                    .with_help("`scene NAME keep { … }` keeps the players it does not contain playing when it is launched; without `keep` they stop"),
                ));
            }
        };
        let saved_tempo = self.tempo;
        let saved_scale = self.scale.clone();
        let saved_root = self.root.clone();
        let saved_feel = std::mem::take(&mut self.feel);
        let saved_players = std::mem::take(&mut self.players);
        let mut tempo = None;
        for it in items {
            if let ItemKind::Setting { setting, value } = &it.node {
                self.seed_counter = 0;
                if matches!(setting, Setting::Cycle | Setting::Seed) {
                    let word = if *setting == Setting::Cycle {
                        "cycle"
                    } else {
                        "seed"
                    };
                    self.diags.push(
                        Diagnostic::error(
                            "E0421",
                            format!("`{word}` can't be set inside a scene"),
                            it.span,
                        )
                        .with_label("one program has one cycle length and one seed")
                        .with_help(format!("move `{word}` to the top level of the file; a scene may set `tempo`, `scale`, `root`, `groove` and `humanize`")),
                    );
                    continue;
                }
                if self.setting(*setting, value, it.span).is_ok() && *setting == Setting::Tempo {
                    tempo = Some((self.tempo, value.span));
                }
            }
        }
        for it in items {
            if let ItemKind::Play { .. } = &it.node {
                self.seed_counter = 0;
                let _ = self.item(&it.node, it.span);
            }
        }
        let def = SceneDef {
            name: Arc::from(name.node.as_str()),
            players: std::mem::replace(&mut self.players, saved_players),
            tempo,
            scale: self.scale.clone(),
            root: self.root.clone(),
            feel: std::mem::replace(&mut self.feel, saved_feel),
            keep,
        };
        self.tempo = saved_tempo;
        self.scale = saved_scale;
        self.root = saved_root;
        match self.scenes.iter_mut().find(|s| s.name == def.name) {
            Some(existing) => *existing = def,
            None => self.scenes.push(def),
        }
        Ok(())
    }

    /// `arrange [loop] NAME BARS, …`: lengths checked now, scene names when the program
    /// is built (a scene may be declared after the arrangement).
    pub(crate) fn arrange(&mut self, looped: bool, sections: &[(Ident, Expr)]) -> Result<(), Stop> {
        if sections.len() > MAX_SECTIONS {
            let span = sections.first().map(|(n, _)| n.span).unwrap_or_default();
            return Err(self.error(
                Diagnostic::error("E0423", "this arrangement has too many sections", span)
                    .with_label(format!("{} sections", sections.len()))
                    .with_help(format!(
                        "an arrangement may have up to {MAX_SECTIONS} sections"
                    )),
            ));
        }
        let mut out = Vec::with_capacity(sections.len());
        for (name, len) in sections {
            let v = self.eval(len)?;
            let bars = self.const_num(&v, len.span, "a length in bars")?;
            let t = Time::from_f64_bounded(bars, 1000);
            if !(bars > 0.0 && bars <= MAX_BARS) || t <= Time::ZERO {
                return Err(self.error(
                    Diagnostic::error(
                        "E0423",
                        format!("a section of {bars} bars is out of range"),
                        len.span,
                    )
                    .with_label(format!(
                        "a section lasts more than 0 and at most {MAX_BARS} bars"
                    ))
                    .with_help("for example `arrange intro 4, verse 8` (a bar is one cycle)"),
                ));
            }
            out.push((name.clone(), t));
        }
        self.arrangement = Some(ArrangeDef {
            looped,
            sections: out,
        });
        Ok(())
    }

    /// `launch NAME [on T] [, quant: BEATS]` and `launch [A, B, …] on T …`: the trigger and
    /// quant are evaluated now, the scene names checked when the program is built.
    pub(crate) fn launch(
        &mut self,
        scenes: &[Ident],
        list: bool,
        on: Option<&Expr>,
        quant: Option<&Expr>,
    ) -> Result<(), Stop> {
        let help = "for example `launch chorus on timer(8)`, or `launch [verse, chorus] on onsets(\"x(3,8)\")` to step through scenes";
        let first = scenes.first().map(|n| n.span).unwrap_or_default();
        if scenes.len() > MAX_SECTIONS {
            return Err(self.error(
                Diagnostic::error("E0426", "this launch lists too many scenes", first)
                    .with_label(format!("{} scenes", scenes.len()))
                    .with_help(format!(
                        "a launch may step through up to {MAX_SECTIONS} scenes"
                    )),
            ));
        }
        let trigger = match on {
            None => {
                let extra = if list && scenes.len() > 1 {
                    Some(("a list of scenes needs a trigger to step through it", first))
                } else {
                    quant.map(|q| ("`quant` needs a trigger: without `on`, the scene launches once, at the start", q.span))
                };
                if let Some((message, span)) = extra {
                    return Err(self.error(
                        Diagnostic::error("E0426", message, span)
                            .with_label("add `on TRIGGER`")
                            .with_help(help),
                    ));
                }
                None
            }
            Some(e) => match self.eval(e)? {
                Val::Trigger(t) => Some(t),
                other => {
                    let what = other.describe();
                    return Err(self.error(
                        Diagnostic::error(
                            "E0426",
                            format!("`launch … on` takes a trigger, not {what}"),
                            e.span,
                        )
                        .with_label("expected a trigger")
                        .with_help("triggers come from `timer(8)`, `onsets(\"x(3,8)\")` or `integrate(sine)`: for example `launch chorus on timer(8)`"),
                    ));
                }
            },
        };
        let on = match trigger {
            None => None,
            Some(t) => {
                let q = match quant {
                    None => Time::ONE,
                    Some(q) => {
                        let v = self.eval(q)?;
                        let beats = self.const_num(&v, q.span, "a quant in beats")?;
                        super::builtins::trigger::beats_to_quant(self, beats, q.span)?
                    }
                };
                Some((t, q))
            }
        };
        self.launches.push(LaunchDef {
            scenes: scenes.to_vec(),
            on,
        });
        Ok(())
    }

    /// The players of the scenes that `launch` items launch, each with its cues (see
    /// [`Cue`]); `None` when an error was reported. A launch starts its scene's players
    /// and stops the other launched scenes' players, except that a `keep` scene stops only
    /// the players it replaces (same name). Each firing of a list launch takes the next
    /// scene: firing `k` (from 1) launches item `(k − 1) mod n`.
    fn build_launches(&mut self, scenes: &[Scene], arranged: &[Ident]) -> Option<Vec<Player>> {
        if self.launches.is_empty() {
            return Some(Vec::new());
        }
        let defs = std::mem::take(&mut self.launches);
        // (scene index, when, order among simultaneous launches)
        let mut rules: Vec<(usize, Option<Listen>, u32)> = Vec::new();
        let mut ok = true;
        for def in &defs {
            let n = def.scenes.len() as u64;
            for (i, name) in def.scenes.iter().enumerate() {
                let Some(si) = scenes.iter().position(|s| *s.name == *name.node) else {
                    self.diags.push(unknown_scene(
                        "E0424",
                        format!("there is no scene called `{}` to launch", name.node),
                        name,
                        scenes,
                    ));
                    ok = false;
                    continue;
                };
                if let Some(a) = arranged.iter().find(|a| a.node == name.node) {
                    self.diags.push(
                        Diagnostic::error(
                            "E0425",
                            format!("scene `{}` is both arranged and launched by a trigger", name.node),
                            name.span,
                        )
                        .with_label("launched here")
                        .with_secondary(a.span, "arranged here")
                        .with_help("a scene follows one timeline: the arrangement or its launches; make a copy of the scene under another name for the other"),
                    );
                    ok = false;
                    continue;
                }
                let on = def.on.as_ref().map(|(t, quant)| {
                    let t = super::convert::finish_trigger(t, self.seed);
                    let trigger = if n > 1 {
                        Trigger::new(TriggerKind::Nth {
                            n,
                            first: i as u64,
                            of: t,
                        })
                    } else {
                        t
                    };
                    Listen {
                        trigger,
                        quant: *quant,
                    }
                });
                let order = u32::try_from(rules.len()).unwrap_or(u32::MAX);
                rules.push((si, on, order));
            }
        }
        if !ok {
            return None;
        }
        let mut players = Vec::new();
        for (si, scene) in scenes.iter().enumerate() {
            if !rules.iter().any(|r| r.0 == si) {
                continue;
            }
            self.one_tempo_warning(&scene.name, false);
            for p in &scene.players {
                let cues: Vec<Cue> = rules
                    .iter()
                    .filter_map(|(ri, on, order)| {
                        let other = scenes.get(*ri)?;
                        let starts = *ri == si;
                        let replaces = other.players.iter().any(|q| q.name == p.name);
                        (starts || !other.keep || replaces).then(|| Cue {
                            on: on.clone(),
                            starts,
                            order: *order,
                        })
                    })
                    .collect();
                let mut p = p.clone();
                p.name = Arc::from(format!("{}.{}", scene.name, p.name));
                p.active = Some(Arc::new(Activity {
                    spans: Vec::new(),
                    period: None,
                    cues,
                }));
                players.push(p);
            }
        }
        Some(players)
    }

    /// W0104 when scene `name` sets its own tempo: arranged (or else launched by a
    /// trigger), it plays at the program's.
    fn one_tempo_warning(&mut self, name: &str, arranged: bool) {
        let Some((t, span)) = self
            .scenes
            .iter()
            .find(|s| &*s.name == name)
            .and_then(|s| s.tempo)
        else {
            return;
        };
        if t == self.tempo {
            return;
        }
        let (what, who, when) = if arranged {
            (
                "an arrangement plays at one tempo",
                "arrangement",
                "on its own",
            )
        } else {
            (
                "a scene launched by a trigger plays at the program's tempo",
                "scene",
                "live (`:scene`)",
            )
        };
        self.diags.push(
            Diagnostic::warning("W0104", format!("scene `{name}` sets tempo {t}, but {what}"), span)
                .with_label(format!("the {who} plays at the program's {} BPM", self.tempo))
                .with_help(format!("set the tempo at the top level of the file; the scene's tempo applies when it is launched {when}")),
        );
    }

    /// The value of a `groove` setting or key: a template record, or `straight`-like
    /// templates that move nothing (then `None`).
    pub(crate) fn groove_value(
        &mut self,
        v: &Val,
        span: Span,
    ) -> Result<Option<Arc<Groove>>, Stop> {
        let shape_help = "a groove is a record like `{ grid: 16, timing: [0, 0.2], amp: [1, 0.8] }` (`import \"std/grooves\"` for ready ones: `swing8`, `mpc62`, …)";
        let Val::Record(fields) = v else {
            return Err(self.error(
                Diagnostic::error(
                    "E0417",
                    format!("a groove is a record, not {}", v.describe()),
                    span,
                )
                .with_help(shape_help),
            ));
        };
        let mut grid = 16.0;
        let mut timing = vec![Time::ZERO];
        let mut amp = vec![1.0];
        for (k, val, vspan) in fields.iter() {
            match k.node.as_str() {
                "grid" => {
                    grid = self.const_num(val, *vspan, "a number of steps per cycle")?;
                    if !(1.0..=MAX_GRID).contains(&grid) || grid.fract() != 0.0 {
                        return Err(self.error(
                            Diagnostic::error("E0418", format!("a groove grid of {grid} steps is out of range"), *vspan)
                                .with_label(format!("a whole number of steps per cycle from 1 to {MAX_GRID}"))
                                .with_help("for example `grid: 16` (sixteenth notes in a cycle of four beats) or `grid: 8`"),
                        ));
                    }
                }
                "timing" => {
                    let xs = self.groove_list(val, *vspan, "timing offsets")?;
                    let half = Time::new(1, 2);
                    let mut ts = Vec::with_capacity(xs.len());
                    for x in xs {
                        let t = Time::from_f64_bounded(x, 1000);
                        if t <= -half || t > half {
                            return Err(self.error(
                                Diagnostic::error("E0418", format!("a groove timing offset of {x} steps is out of range"), *vspan)
                                    .with_label("each offset is a fraction of a step, more than -0.5 and at most 0.5")
                                    .with_help("an offset of 0.5 moves a note half a step late (MPC swing 75%); larger moves would let notes overtake each other"),
                            ));
                        }
                        ts.push(t);
                    }
                    timing = ts;
                }
                "amp" => {
                    let xs = self.groove_list(val, *vspan, "amp factors")?;
                    if let Some(x) = xs.iter().find(|x| !(0.0..=16.0).contains(*x)) {
                        return Err(self.error(
                            Diagnostic::error(
                                "E0418",
                                format!("a groove amp factor of {x} is out of range"),
                                *vspan,
                            )
                            .with_label("each factor is from 0 to 16")
                            .with_help("1 keeps the level, 0.8 is a little softer"),
                        ));
                    }
                    amp = xs;
                }
                other => {
                    let d = Diagnostic::error(
                        "E0417",
                        format!("a groove has no key `{other}`"),
                        k.span,
                    )
                    .with_label("not a groove key");
                    let d = match suggest(other, ["grid", "timing", "amp"].into_iter()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`? {shape_help}")),
                        None => d.with_help(shape_help),
                    };
                    return Err(self.error(d));
                }
            }
        }
        let moves = timing.iter().any(|t| !t.is_zero()) || amp.iter().any(|a| *a != 1.0);
        if !moves {
            return Ok(None);
        }
        Ok(Groove::new(grid as u32, timing, amp).map(Arc::new))
    }

    /// A number or a non-empty list of numbers, for a groove.
    fn groove_list(&mut self, v: &Val, span: Span, what: &str) -> Result<Vec<f64>, Stop> {
        let items: Vec<Val> = match v {
            Val::List(items) => items.to_vec(),
            other => vec![other.clone()],
        };
        if items.is_empty() || items.len() > MAX_GROOVE_LEN {
            return Err(self.error(
                Diagnostic::error(
                    "E0417",
                    format!("a groove's {what} need from 1 to {MAX_GROOVE_LEN} values"),
                    span,
                )
                .with_help(
                    "the list repeats over the grid: `timing: [0, 0.2]` swings every second step",
                ),
            ));
        }
        let mut out = Vec::with_capacity(items.len());
        for it in &items {
            out.push(self.const_num(it, span, "a number")?);
        }
        Ok(out)
    }

    /// The value of a `humanize` setting or key: a time jitter in beats, or a record
    /// `{ time, amp, seed }`; all zero gives `None`.
    pub(crate) fn humanize_value(&mut self, v: &Val, span: Span) -> Result<Option<Humanize>, Stop> {
        let help = "for example `humanize: 0.02` (up to 0.02 beats early or late) or `humanize: { time: 0.02, amp: 0.1, seed: 3 }`";
        let (mut time, mut amp, mut seed) = (0.0, 0.0, 0.0);
        let fields: Vec<(Ident, Val, Span)> = match v {
            Val::Record(fields) => fields.to_vec(),
            other => match other.as_num() {
                Some(x) => vec![(Ident::new("time".to_string(), span), Val::Num(x), span)],
                None => {
                    return Err(self.error(
                        Diagnostic::error(
                            "E0419",
                            format!("humanize is a number or a record, not {}", v.describe()),
                            span,
                        )
                        .with_help(help),
                    ))
                }
            },
        };
        for (k, val, vspan) in &fields {
            let (slot, max, label): (&mut f64, f64, &str) = match k.node.as_str() {
                "time" => (&mut time, 1.0, "a jitter in beats from 0 to 1"),
                "amp" => (&mut amp, 1.0, "a level change from 0 to 1 (0.1: ±10%)"),
                "seed" => (&mut seed, u32::MAX as f64, "a whole number seed"),
                other => {
                    return Err(self.error(
                        Diagnostic::error(
                            "E0419",
                            format!("humanize has no key `{other}`"),
                            k.span,
                        )
                        .with_label("expected `time`, `amp` or `seed`")
                        .with_help(help),
                    ))
                }
            };
            let x = self.const_num(val, *vspan, label)?;
            if !(0.0..=max).contains(&x) || (k.node == "seed" && x.fract() != 0.0) {
                return Err(self.error(
                    Diagnostic::error(
                        "E0419",
                        format!("a humanize `{}` of {x} is out of range", k.node),
                        *vspan,
                    )
                    .with_label(format!("expected {label}"))
                    .with_help(help),
                ));
            }
            *slot = x;
        }
        if time == 0.0 && amp == 0.0 {
            return Ok(None);
        }
        Ok(Some(Humanize {
            time: Time::from_f64_bounded(time, 100_000),
            amp,
            seed: seed as u64,
        }))
    }

    /// A `groove` or `humanize` setting at the current level (the file or a scene).
    pub(crate) fn feel_setting(
        &mut self,
        setting: Setting,
        v: &Val,
        span: Span,
    ) -> Result<(), Stop> {
        if setting == Setting::Groove {
            let g = self.groove_value(v, span)?;
            self.feel.groove = Some(g);
        } else {
            let h = self.humanize_value(v, span)?;
            self.feel.humanize = Some(h);
        }
        Ok(())
    }

    /// The declared scenes and the arrangement, as program model values. The arranged
    /// players come back separately, to be appended to the program's players; `None` when
    /// an error was reported.
    pub(crate) fn build_scenes(&mut self, player: &MakePlayer<'_>) -> Option<BuiltScenes> {
        let global = self.feel.clone();
        let mut scenes = Vec::with_capacity(self.scenes.len());
        for s in &self.scenes {
            let feel = s.feel.over(&global);
            let players = s
                .players
                .iter()
                .map(|d| player(d, &feel, s.scale.as_ref(), s.root.as_ref()))
                .collect();
            scenes.push(Scene {
                name: s.name.clone(),
                players,
                tempo: s.tempo.map(|t| t.0),
                keep: s.keep,
            });
        }
        let arranged_names: Vec<Ident> = self
            .arrangement
            .as_ref()
            .map(|a| a.sections.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default();
        let launched = self.build_launches(&scenes, &arranged_names);
        let Some(def) = self.arrangement.take() else {
            return launched.map(|l| (scenes, l, None));
        };
        let bar = self.cycle_beats;
        let mut sections = Vec::with_capacity(def.sections.len());
        let mut start = Time::ZERO;
        let mut ok = true;
        for (name, bars) in &def.sections {
            if !scenes.iter().any(|s| *s.name == *name.node) {
                self.diags.push(unknown_scene(
                    "E0422",
                    format!("there is no scene called `{}`", name.node),
                    name,
                    &scenes,
                ));
                ok = false;
                continue;
            }
            let len = *bars * bar;
            sections.push(Section {
                scene: Arc::from(name.node.as_str()),
                start,
                len,
            });
            start += len;
        }
        let launched = launched?;
        if !ok {
            return None;
        }
        let arrangement = Arrangement {
            sections,
            looped: def.looped,
        };
        let period = def.looped.then(|| arrangement.length());
        let mut arranged = Vec::new();
        for scene in &scenes {
            let spans: Vec<(Time, Time)> = arrangement
                .sections
                .iter()
                .filter(|s| s.scene == scene.name)
                .map(|s| (s.start, s.len))
                .collect();
            if spans.is_empty() {
                continue;
            }
            self.one_tempo_warning(&scene.name, true);
            let activity = Arc::new(Activity {
                spans,
                period,
                cues: Vec::new(),
            });
            for p in &scene.players {
                let mut p = p.clone();
                p.name = Arc::from(format!("{}.{}", scene.name, p.name));
                p.active = Some(activity.clone());
                arranged.push(p);
            }
        }
        arranged.extend(launched);
        Some((scenes, arranged, Some(Arc::new(arrangement))))
    }
}
