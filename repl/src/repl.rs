//! The REPL (`patter`, `patter repl`): where a performer spends the set.
//!
//! Lines are read with rustyline (highlighting from the language's own lexer, completion,
//! hints, persistent history). Code is collected until it is complete (an open bracket or
//! string asks for another line), then evaluated as one block in the session: errors print
//! as diagnostics against the typed block and nothing that plays changes. Lines starting
//! with `:` are commands. Ctrl-C cancels the input, never the music; Ctrl-D leaves after
//! releasing every note.
//!
//! The REPL talks to a [`Backend`]: the session in this process, or (through the network
//! service) one in another, so the loop here is the same for both.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use patter_lang::token::{lex, Token, TokenKind};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, ExternalPrinter as _, Helper};

use crate::args::Args;
use crate::session::{
    Backend, Request, Response, Session, SessionConfig, SharedSession, ShowWhat, REPL_DOC,
};

/// A backend shared with the file watchers.
pub type SharedBackend = Arc<Mutex<dyn Backend + Send>>;

/// History entries kept.
const HISTORY_SIZE: usize = 1000;

/// `(name, arguments, what it does)` for `:help`, completion and hints.
const COMMANDS: &[(&str, &str, &str)] = &[
    (":help", "", "this list"),
    (
        ":{",
        "",
        "start a block of several lines, ended by :} (for pasting)",
    ),
    (
        ":tempo",
        "BPM [RAMP_BEATS]",
        "set the tempo (ramping over beats)",
    ),
    (":tap", "", "tap the tempo (tap on each beat)"),
    (":play", "", "start or resume the transport"),
    (":pause", "", "pause where we are"),
    (
        ":stop",
        "[PLAYER…]",
        "stop the transport (or just these players)",
    ),
    (":seek", "BEAT", "jump to a beat"),
    (":loop", "FROM TO | off", "loop between two beats"),
    (":hush", "", "stop every player at the next bar"),
    (":panic", "", "all notes off, now"),
    (":mute", "PLAYER…", "mute players now"),
    (":unmute", "PLAYER…", "unmute players"),
    (
        ":solo",
        "[PLAYER…]",
        "only these players sound (none: everyone)",
    ),
    (":players", "", "list the players"),
    (
        ":scene",
        "NAME",
        "launch a scene at the next bar (others stop unless it keeps them)",
    ),
    (":scenes", "", "list the declared scenes"),
    (
        ":set",
        "PLAYER KEY VALUE",
        "set one key of a player (any expression) from its next event",
    ),
    (
        ":stats",
        "",
        "late and dropped events per output, scheduler lateness",
    ),
    (":show", "ast|ir|events PLAYER", "show a stage of a player"),
    (":load", "FILE", "evaluate a file"),
    (
        ":watch",
        "[FILE]",
        "evaluate a file on every save (no FILE: list)",
    ),
    (":unwatch", "FILE", "stop watching a file"),
    (
        ":record",
        "FILE.mid | stop",
        "record what plays to a MIDI file",
    ),
    (":sinks", "", "list the outputs"),
    (
        ":midi",
        "",
        "the MIDI inputs (--midi-in): state, sources, message and drop counts",
    ),
    (
        ":learn",
        "NAME [SECONDS]",
        "move a control: NAME becomes `let NAME = cc(NUMBER, channel: CH)` (Esc cancels)",
    ),
    (
        ":connect",
        "OUTPUT",
        "open an output (synth, midi:NAME, jack-midi, smf:F.mid, dirt, osc:…, scsynth, null, …)",
    ),
    (":disconnect", "NAME", "close an output"),
    (":latency", "[NAME] SECONDS", "set an output's latency"),
    (":quit", "", "leave (every note is released)"),
];

/// Words the completer offers in code.
const INSTRUMENTS: &[&str] = &[
    "sine", "saw", "square", "pluck", "bass", "pad", "bd", "kick", "sn", "sd", "snare", "hh",
    "hat", "oh", "openhat", "cp", "clap", "rim",
];

/// How the REPL runs.
pub struct ReplOptions {
    /// Colours (terminal).
    pub color: bool,
    /// History file (`None`: no history).
    pub history: Option<PathBuf>,
    /// Files to watch from the start.
    pub watch: Vec<String>,
    /// Where lines printed from other threads go: the REPL points it at the line editor.
    pub printer: Option<Printer>,
}

/// `patter repl [--out OUTPUT]… [--seed S] [--latency S] [--tempo BPM] [--watch FILE]…
/// [--history FILE]`.
pub fn run(argv: &[String]) -> ExitCode {
    let args = match Args::parse(
        argv,
        &[
            "out", "seed", "latency", "tempo", "watch", "history", "samples", "osc-in", "midi-in",
        ],
    ) {
        Ok(a) => a,
        Err(msg) => return usage(&msg),
    };
    if !args.positional.is_empty() {
        return usage("the REPL takes no file: use `--watch FILE` or `:load FILE`");
    }
    let seed = match crate::loader::seed_arg(&args) {
        Ok(s) => s,
        Err(msg) => return usage(&msg),
    };
    let latency = match args.get("latency").map(str::parse::<f64>) {
        None => 0.0,
        Some(Ok(s)) if s.is_finite() && (-1.0..=10.0).contains(&s) => s,
        _ => return usage("--latency takes seconds between -1 and 10"),
    };
    let tempo = match args.get("tempo").map(str::parse::<f64>) {
        None => 120.0,
        Some(Ok(t)) if (1.0..=1000.0).contains(&t) => t,
        _ => return usage("--tempo takes beats per minute between 1 and 1000"),
    };
    let osc_in = match args.get("osc-in").map(crate::osc_in::port_arg).transpose() {
        Ok(p) => p,
        Err(msg) => return usage(&msg),
    };
    let midi_in = match crate::midi_learn::specs(&args) {
        Ok(s) => s,
        Err(msg) => return usage(&msg),
    };
    let mut outputs: Vec<String> = values(&args, "out");
    if outputs.is_empty() {
        outputs = crate::play::default_outputs()
            .into_iter()
            .map(String::from)
            .collect();
    }
    let (session, problems) = Session::start(SessionConfig {
        tempo,
        seed,
        outputs,
        latency,
        samples: crate::play::sample_roots(&args),
        ..SessionConfig::default()
    });
    let names = session.sink_names();
    if !problems.is_empty() && names.iter().all(|n| n == "null") {
        eprintln!(
            "patter: no output could open ({}); playing silently — `:connect OUTPUT` adds one",
            problems.join("; ")
        );
    } else {
        for p in &problems {
            eprintln!("patter: {p}");
        }
    }
    // MIDI input reports print through the line editor once it runs (see `run_with`).
    let printer: Printer = Arc::new(Mutex::new(Box::new(|s: String| eprint!("{s}"))));
    let mut session = session;
    if !midi_in.is_empty() {
        let out = printer.clone();
        let report: patter_runtime::midi_in::Report =
            Arc::new(move |line: String| say(&out, format!("patter: {line}\n")));
        for p in session.open_midi_inputs(&midi_in, report) {
            eprintln!("patter: {p}");
        }
    }
    let shared: SharedSession = Arc::new(Mutex::new(session));
    if let Some(port) = osc_in {
        let mut backend = shared.clone();
        match crate::osc_in::start(port, move |r| backend.request(r)) {
            Ok(addr) => eprintln!("patter: taking OSC (/patter/set, /patter/launch) on {addr}"),
            Err(e) => eprintln!("patter: cannot take OSC on UDP port {port}: {e}"),
        }
    }
    let history = match args.get("history") {
        Some("") | Some("none") => None,
        Some(path) => Some(PathBuf::from(path)),
        None => history_path(),
    };
    let code = run_with(
        shared.clone(),
        ReplOptions {
            color: std::io::stdout().is_terminal(),
            history,
            watch: values(&args, "watch"),
            printer: Some(printer),
        },
    );
    // Every sounding note is released and recordings are written.
    match shared.lock() {
        Ok(mut s) => s.shutdown(),
        Err(p) => p.into_inner().shutdown(),
    }
    code
}

fn values(args: &Args, name: &str) -> Vec<String> {
    args.options
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("patter repl: {msg}\nusage: patter [repl] [--out OUTPUT]… [--seed S] [--latency SECONDS] [--tempo BPM] [--watch FILE]… [--history FILE|none] [--samples DIR]… [--osc-in PORT] [--midi-in jack|jack:PATTERN|NAME|all]…");
    ExitCode::from(2)
}

/// `$PATTER_HISTORY`, else `$XDG_DATA_HOME/patter/history` (or `~/.local/share/…`),
/// else `~/.patter_history`.
pub(crate) fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PATTER_HISTORY") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.as_ref().map(|h| h.join(".local/share")));
    if let Some(dir) = data.map(|d| d.join("patter")) {
        if std::fs::create_dir_all(&dir).is_ok() {
            return Some(dir.join("history"));
        }
    }
    home.map(|h| h.join(".patter_history"))
}

/// What the completer knows about the session, refreshed after each command.
#[derive(Default)]
struct Known {
    players: Vec<String>,
    sinks: Vec<String>,
    scenes: Vec<String>,
}

struct ReplHelper {
    color: bool,
    known: Arc<Mutex<Known>>,
    files: FilenameCompleter,
    history_hints: HistoryHinter,
    builtins: Vec<&'static str>,
}

impl Helper for ReplHelper {}

impl Validator for ReplHelper {}

const RESET: &str = "\x1b[0m";

fn style(kind: TokenKind, builtin: bool) -> Option<&'static str> {
    Some(match kind {
        TokenKind::Keyword => "\x1b[1;35m",
        TokenKind::Number => "\x1b[36m",
        TokenKind::String => "\x1b[32m",
        TokenKind::Comment => "\x1b[90m",
        TokenKind::Operator => "\x1b[33m",
        TokenKind::Error => "\x1b[4;31m",
        TokenKind::Ident if builtin => "\x1b[34m",
        TokenKind::Ident | TokenKind::Punctuation => return None,
    })
}

/// `line` with ANSI colours from the language's lexer (commands get their own colour).
pub fn highlight_line(line: &str, builtins: &[&str]) -> String {
    if line.trim_start().starts_with(':') {
        let lead = line.len() - line.trim_start().len();
        let end = line
            .get(lead..)
            .and_then(|t| t.find(char::is_whitespace))
            .map_or(line.len(), |i| i + lead);
        let (cmd, rest) = line.split_at(end);
        return format!("\x1b[1;34m{cmd}{RESET}{rest}");
    }
    let mut out = String::with_capacity(line.len() + 32);
    let mut at = 0;
    for (tok, range) in lex(line) {
        let (Some(gap), Some(text)) = (line.get(at..range.start), line.get(range.clone())) else {
            continue;
        };
        out.push_str(gap);
        let builtin = tok == Token::Ident && builtins.contains(&text);
        match style(tok.kind(), builtin) {
            Some(code) => {
                out.push_str(code);
                out.push_str(text);
                out.push_str(RESET);
            }
            None => out.push_str(text),
        }
        at = range.end;
    }
    out.push_str(line.get(at..).unwrap_or(""));
    out
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.color {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight_line(line, &self.builtins))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if !self.color {
            return Cow::Borrowed(hint);
        }
        Cow::Owned(format!("\x1b[90m{hint}{RESET}"))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() {
            return None;
        }
        if line.starts_with(':') && !line.contains(' ') && line.len() > 1 {
            let (name, args, what) = COMMANDS.iter().find(|(n, _, _)| n.starts_with(line))?;
            let rest = name.get(line.len()..).unwrap_or("");
            let args = if args.is_empty() {
                String::new()
            } else {
                format!(" {args}")
            };
            return Some(format!("{rest}{args}  — {what}"));
        }
        self.history_hints.hint(line, pos, ctx)
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = line.get(..pos).unwrap_or(line);
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '-'))
            .map_or(0, |i| i + 1);
        let word = before.get(start..).unwrap_or("");
        if word.is_empty() && !before.starts_with(':') {
            // Tab on nothing would offer every word the language knows.
            return Ok((pos, Vec::new()));
        }
        let known = match self.known.lock() {
            Ok(k) => (k.players.clone(), k.sinks.clone(), k.scenes.clone()),
            Err(_) => (Vec::new(), Vec::new(), Vec::new()),
        };
        let (players, sinks, scenes) = known;
        let mut words: Vec<String> = Vec::new();
        if let Some(cmd_line) = before.strip_prefix(':') {
            let parts: Vec<&str> = cmd_line.split_whitespace().collect();
            let first_word = !cmd_line.contains(' ');
            if first_word {
                words.extend(COMMANDS.iter().map(|(n, _, _)| n.to_string()));
            } else {
                let cmd = parts.first().copied().unwrap_or("");
                match cmd {
                    "load" | "watch" | "unwatch" | "record" => {
                        return self.files.complete(line, pos, ctx);
                    }
                    "show" if parts.len() <= 1 || (parts.len() == 2 && !word.is_empty()) => {
                        words.extend(["ast", "ir", "events"].map(String::from));
                    }
                    "show" | "mute" | "unmute" | "solo" | "stop" => words.extend(players),
                    "set" if parts.len() <= 1 || (parts.len() == 2 && !word.is_empty()) => {
                        words.extend(players)
                    }
                    "latency" | "disconnect" => words.extend(sinks),
                    "scene" => words.extend(scenes),
                    "connect" => words.extend(
                        [
                            "jack-midi",
                            "midi:",
                            "midi-virtual:",
                            "smf:",
                            "jsonl:",
                            "null",
                        ]
                        .map(String::from),
                    ),
                    _ => {}
                }
            }
        } else {
            words.extend(
                [
                    "let", "fn", "play", "stop", "hush", "mute", "unmute", "solo", "unsolo",
                    "tempo", "cycle", "scale", "root", "seed", "import", "true", "false", "rest",
                ]
                .map(String::from),
            );
            words.extend(self.builtins.iter().map(|s| s.to_string()));
            words.extend(patter_pattern::scale::names().map(String::from));
            words.extend(INSTRUMENTS.iter().map(|s| s.to_string()));
            words.extend(players);
        }
        let mut matches: Vec<String> = words
            .into_iter()
            .filter(|w| w.starts_with(word) && w.as_str() != word)
            .collect();
        matches.sort();
        matches.dedup();
        Ok((
            start,
            matches
                .into_iter()
                .map(|w| Pair {
                    display: w.clone(),
                    replacement: w,
                })
                .collect(),
        ))
    }
}

/// True when `text` only lacks its end (an open bracket, string or comment).
pub fn is_incomplete(text: &str) -> bool {
    let (_, diags) = patter_lang::parse::parse(patter_lang::FileId(0), text);
    let mut errors = diags.iter().filter(|d| d.is_error()).peekable();
    errors.peek().is_some() && errors.all(|d| d.incomplete)
}

fn request(backend: &SharedBackend, r: Request) -> Response {
    match backend.lock() {
        Ok(mut b) => b.request(r),
        Err(p) => p.into_inner().request(r),
    }
}

/// The prompt: position, tempo, and the last evaluation's errors and warnings.
fn prompt(backend: &SharedBackend, color: bool) -> (String, String) {
    let Response::Transport(t) = request(backend, Request::Transport) else {
        return ("> ".into(), "> ".into());
    };
    let pos = format!("{}:{}", t.bar, t.beat_in_bar);
    let tempo = format!(
        "@{}",
        patter_pattern::fmt_num((t.tempo * 10.0).round() / 10.0)
    );
    let mut raw = format!("{pos} {tempo}");
    let mut styled = format!("\x1b[36m{pos}\x1b[0m \x1b[90m{tempo}\x1b[0m");
    if t.errors > 0 {
        raw.push_str(&format!(" E{}", t.errors));
        styled.push_str(&format!(" \x1b[1;31mE{}\x1b[0m", t.errors));
    }
    if t.warnings > 0 {
        raw.push_str(&format!(" W{}", t.warnings));
        styled.push_str(&format!(" \x1b[33mW{}\x1b[0m", t.warnings));
    }
    if !t.running {
        raw.push_str(" ■");
        styled.push_str(" \x1b[90m■\x1b[0m");
    }
    raw.push_str(" > ");
    styled.push_str(" \x1b[1m>\x1b[0m ");
    if color {
        (raw, styled)
    } else {
        (raw.clone(), raw)
    }
}

fn refresh(backend: &SharedBackend, known: &Arc<Mutex<Known>>) {
    let players = match request(backend, Request::Players) {
        Response::Players { players } => players.into_iter().map(|p| p.name).collect(),
        _ => Vec::new(),
    };
    let sinks = match request(backend, Request::Sinks) {
        Response::Sinks { sinks } => sinks.into_iter().map(|s| s.name).collect(),
        _ => Vec::new(),
    };
    let scenes = match request(backend, Request::Scenes) {
        Response::Scenes { scenes } => scenes.into_iter().map(|s| s.name).collect(),
        _ => Vec::new(),
    };
    if let Ok(mut k) = known.lock() {
        k.players = players;
        k.sinks = sinks;
        k.scenes = scenes;
    }
}

/// Where the REPL's output goes: lines printed while the editor waits for input must go
/// through rustyline's external printer, or they garble the line being typed.
pub type Printer = Arc<Mutex<Box<dyn FnMut(String) + Send>>>;

fn say(printer: &Printer, text: String) {
    if let Ok(mut p) = printer.lock() {
        p(text);
    }
}

/// Run the REPL against `backend` until Ctrl-D or `:quit`.
pub fn run_with(backend: SharedBackend, options: ReplOptions) -> ExitCode {
    let config = Config::builder()
        .max_history_size(HISTORY_SIZE)
        .and_then(|c| c.history_ignore_dups(true))
        .map(|c| {
            c.auto_add_history(false)
                .completion_type(CompletionType::List)
                .build()
        })
        .unwrap_or_default();
    let mut rl: Editor<ReplHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("patter: cannot start the line editor: {e}");
            return ExitCode::FAILURE;
        }
    };
    let known = Arc::new(Mutex::new(Known::default()));
    let color = options.color;
    rl.set_helper(Some(ReplHelper {
        color,
        known: known.clone(),
        files: FilenameCompleter::new(),
        history_hints: HistoryHinter::new(),
        builtins: patter_lang::eval::builtin_names().collect(),
    }));
    if let Some(h) = &options.history {
        let _ = rl.load_history(h);
    }
    let direct: Box<dyn FnMut(String) + Send> = match rl.create_external_printer() {
        Ok(mut p) if std::io::stdin().is_terminal() => Box::new(move |s: String| {
            let _ = p.print(s);
        }),
        _ => Box::new(|s: String| eprint!("{s}")),
    };
    // A printer handed in (already used by MIDI input reports) now prints through the editor.
    let printer: Printer = match options.printer {
        Some(p) => {
            if let Ok(mut slot) = p.lock() {
                *slot = direct;
            }
            p
        }
        None => Arc::new(Mutex::new(direct)),
    };
    refresh(&backend, &known);
    let mut watches: Vec<crate::watch::Watch> = Vec::new();
    for f in &options.watch {
        start_watch(&backend, f, color, &printer, &mut watches);
    }
    if std::io::stdin().is_terminal() {
        let outputs = match known.lock() {
            Ok(k) if !k.sinks.is_empty() => k.sinks.join(", "),
            _ => "nothing (:connect OUTPUT)".to_string(),
        };
        println!(
            "patter {} — playing to {outputs}. Type code, or :help. Ctrl-C cancels the input, Ctrl-D quits.",
            env!("CARGO_PKG_VERSION")
        );
    }
    let mut block = String::new();
    // Inside `:{` … `:}`: lines join one block even where each is complete on its own.
    let mut explicit = false;
    loop {
        let (raw, styled) = if block.is_empty() && !explicit {
            if let Response::Notices { notices } = request(&backend, Request::Notices) {
                for n in notices.iter().filter(|n| n.kind == "muted") {
                    eprintln!(
                        "patter: player `{}` produced too many events at beat {} and was muted; the others play on (re-evaluate it to try again)",
                        n.player,
                        patter_pattern::fmt_num(n.beat)
                    );
                }
            }
            prompt(&backend, color)
        } else {
            let width = 4;
            let dots = format!("{:>width$} ", "...");
            (
                dots.clone(),
                if color {
                    format!("\x1b[90m{dots}\x1b[0m")
                } else {
                    dots
                },
            )
        };
        match rl.readline(&(raw.as_str(), styled.as_str())) {
            Ok(line) => {
                if explicit {
                    if line.trim() == ":}" {
                        explicit = false;
                        if !block.trim().is_empty() {
                            add_history(&mut rl, &options.history, &block);
                            eval(&backend, &block, color);
                            refresh(&backend, &known);
                        }
                        block.clear();
                    } else {
                        if !block.is_empty() {
                            block.push('\n');
                        }
                        block.push_str(&line);
                    }
                    continue;
                }
                if block.is_empty() && line.trim() == ":{" {
                    explicit = true;
                    continue;
                }
                if block.is_empty() && line.trim_start().starts_with(':') {
                    add_history(&mut rl, &options.history, line.trim());
                    let quit = command(&backend, line.trim(), color, &printer, &mut watches);
                    refresh(&backend, &known);
                    if quit {
                        break;
                    }
                    continue;
                }
                if block.is_empty() && line.trim().is_empty() {
                    continue;
                }
                if !block.is_empty() {
                    block.push('\n');
                }
                block.push_str(&line);
                if is_incomplete(&block) {
                    continue;
                }
                add_history(&mut rl, &options.history, &block);
                eval(&backend, &std::mem::take(&mut block), color);
                refresh(&backend, &known);
            }
            Err(ReadlineError::Interrupted) => {
                if block.is_empty() && !explicit {
                    println!("(the music goes on; Ctrl-D or :quit leaves)");
                } else {
                    block.clear();
                    explicit = false;
                    println!("(input cancelled)");
                }
            }
            Err(ReadlineError::Eof) => {
                if !block.is_empty() {
                    // Piped input that ends inside a bracket: say so.
                    eval(&backend, &std::mem::take(&mut block), color);
                }
                break;
            }
            Err(e) => {
                eprintln!("patter: {e}");
                break;
            }
        }
    }
    drop(watches);
    ExitCode::SUCCESS
}

fn add_history(rl: &mut Editor<ReplHelper, DefaultHistory>, path: &Option<PathBuf>, entry: &str) {
    if matches!(rl.add_history_entry(entry), Ok(true)) {
        if let Some(p) = path {
            let _ = rl.append_history(p);
        }
    }
}

fn eval(backend: &SharedBackend, block: &str, color: bool) {
    let reply = match request(
        backend,
        Request::Eval {
            doc: REPL_DOC.into(),
            source: block.to_string(),
            color,
        },
    ) {
        Response::Eval(r) => r,
        Response::Error { message } => {
            eprintln!("patter: {message}");
            return;
        }
        _ => return,
    };
    eprint!("{}", reply.rendered);
    if reply.ok {
        println!(
            "{} ({:.1} ms)",
            reply.summary(),
            reply.eval_us as f64 / 1000.0
        );
    } else {
        println!("{}", reply.summary());
    }
}

fn start_watch(
    backend: &SharedBackend,
    file: &str,
    color: bool,
    printer: &Printer,
    watches: &mut Vec<crate::watch::Watch>,
) {
    if watches.iter().any(|w| w.path == file) {
        println!("already watching {file}");
        return;
    }
    let out = printer.clone();
    let name = file.to_string();
    let report = Box::new(move |event: crate::watch::WatchEvent| {
        let text = match event {
            crate::watch::WatchEvent::Evaluated { reply, .. } => {
                format!("{}{name}: {}\n", reply.rendered, reply.summary())
            }
            crate::watch::WatchEvent::Message(m) => format!("{m}\n"),
            crate::watch::WatchEvent::Unchanged => return,
        };
        say(&out, text);
    });
    match crate::watch::start(backend.clone(), file, color, report) {
        Ok(w) => {
            watches.push(w);
            println!("watching {file} (saves are evaluated; `:unwatch {file}` stops)");
        }
        Err(e) => eprintln!("patter: {e}"),
    }
}

fn num(s: Option<&&str>) -> Option<f64> {
    s.and_then(|s| s.parse::<f64>().ok())
        .filter(|x| x.is_finite())
}

/// Carry out a `:command`; true to quit.
fn command(
    backend: &SharedBackend,
    line: &str,
    color: bool,
    printer: &Printer,
    watches: &mut Vec<crate::watch::Watch>,
) -> bool {
    let parts: Vec<&str> = line.split_whitespace().collect();
    let name = parts.first().copied().unwrap_or(":");
    let args: Vec<&str> = parts.get(1..).unwrap_or_default().to_vec();
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    let r = match name {
        ":quit" | ":q" | ":exit" => return true,
        ":help" | ":h" | ":?" => {
            let mut out = String::from("commands:\n");
            for (n, a, w) in COMMANDS {
                out.push_str(&format!("  {:<34} {w}\n", format!("{n} {a}")));
            }
            out.push_str("anything else is code: `play NAME { … }`, `let`, `fn`, `tempo 120`, `stop NAME`, `hush`.\n");
            print!("{out}");
            return false;
        }
        ":tempo" => match num(args.first()) {
            Some(bpm) => request(
                backend,
                Request::Tempo {
                    bpm,
                    ramp: num(args.get(1)),
                },
            ),
            None => usage_error(":tempo BPM [RAMP_BEATS]"),
        },
        ":tap" => request(backend, Request::Tap),
        ":play" => request(backend, Request::Play),
        ":pause" => request(backend, Request::Pause),
        ":stop" if args.is_empty() => request(backend, Request::Stop),
        ":stop" => request(
            backend,
            Request::StopPlayers {
                players: strings(&args),
            },
        ),
        ":seek" => match num(args.first()) {
            Some(beat) => request(backend, Request::Seek { beat }),
            None => usage_error(":seek BEAT"),
        },
        ":loop" => match (args.first(), num(args.first()), num(args.get(1))) {
            (Some(&"off"), _, _) => request(backend, Request::Loop { range: None }),
            (_, Some(a), Some(b)) => request(
                backend,
                Request::Loop {
                    range: Some((a, b)),
                },
            ),
            _ => usage_error(":loop FROM TO  or  :loop off"),
        },
        ":hush" => request(backend, Request::Hush),
        ":panic" => request(backend, Request::Panic),
        ":mute" | ":unmute" if !args.is_empty() => {
            let mut last = usage_error("");
            for p in &args {
                last = request(
                    backend,
                    Request::Mute {
                        player: p.to_string(),
                        on: name == ":mute",
                    },
                );
            }
            last
        }
        ":mute" | ":unmute" => usage_error(&format!("{name} PLAYER…")),
        ":solo" | ":unsolo" => request(
            backend,
            Request::Solo {
                players: if name == ":solo" {
                    strings(&args)
                } else {
                    Vec::new()
                },
            },
        ),
        ":players" => request(backend, Request::Players),
        ":scene" => match args.first() {
            Some(scene) if args.len() == 1 => request(
                backend,
                Request::Launch {
                    scene: scene.to_string(),
                },
            ),
            _ => usage_error(":scene NAME"),
        },
        ":scenes" => request(backend, Request::Scenes),
        ":set" => {
            // The value is the rest of the line, spaces and all (`"0.2 0.5"`).
            let rest = line
                .trim_start()
                .get(name.len()..)
                .unwrap_or("")
                .trim_start();
            let mut words = rest.splitn(3, char::is_whitespace);
            match (words.next(), words.next(), words.next()) {
                (Some(player), Some(key), Some(value)) if !value.trim().is_empty() => request(
                    backend,
                    Request::Set {
                        player: player.to_string(),
                        key: key.to_string(),
                        value: value.trim().to_string(),
                    },
                ),
                _ => usage_error(":set PLAYER KEY VALUE"),
            }
        }
        ":stats" => request(backend, Request::Stats),
        ":show" => {
            let what = match args.first().copied() {
                Some("ast") => Some(ShowWhat::Ast),
                Some("ir") => Some(ShowWhat::Ir),
                Some("events") => Some(ShowWhat::Events),
                _ => None,
            };
            match (what, args.get(1)) {
                (Some(what), Some(p)) => request(
                    backend,
                    Request::Show {
                        what,
                        player: p.to_string(),
                    },
                ),
                _ => usage_error(":show ast|ir|events PLAYER"),
            }
        }
        ":load" => match args.first() {
            Some(f) => match crate::loader::read_program(f) {
                Ok(source) => {
                    match request(
                        backend,
                        Request::Eval {
                            doc: f.to_string(),
                            source,
                            color,
                        },
                    ) {
                        Response::Eval(reply) => {
                            eprint!("{}", reply.rendered);
                            println!("{f}: {}", reply.summary());
                            return false;
                        }
                        other => other,
                    }
                }
                Err(message) => Response::Error { message },
            },
            None => usage_error(":load FILE"),
        },
        ":watch" => {
            match args.first() {
                Some(f) => start_watch(backend, f, color, printer, watches),
                None if watches.is_empty() => println!("watching nothing (`:watch FILE`)"),
                None => {
                    for w in watches.iter() {
                        println!("watching {}", w.path);
                    }
                }
            }
            return false;
        }
        ":unwatch" => {
            let before = watches.len();
            watches.retain(|w| args.first().is_some_and(|f| w.path != *f));
            println!("stopped {} watch(es)", before - watches.len());
            return false;
        }
        ":record" => match args.first().copied() {
            Some("stop") => request(backend, Request::Record { path: None }),
            Some(f) => request(
                backend,
                Request::Record {
                    path: Some(f.to_string()),
                },
            ),
            None => usage_error(":record FILE.mid  or  :record stop"),
        },
        ":sinks" => request(backend, Request::Sinks),
        ":midi" => request(backend, Request::Midi),
        ":learn" => {
            learn(backend, &args);
            return false;
        }
        ":connect" => match args.first() {
            Some(spec) => request(
                backend,
                Request::AddSink {
                    spec: spec.to_string(),
                    latency: 0.0,
                },
            ),
            None => usage_error(":connect OUTPUT"),
        },
        ":disconnect" => match args.first() {
            Some(n) => request(
                backend,
                Request::RemoveSink {
                    name: n.to_string(),
                },
            ),
            None => usage_error(":disconnect NAME"),
        },
        ":latency" => {
            let (name, secs) = match (args.first(), num(args.get(1)), num(args.first())) {
                (Some(n), Some(s), _) => (Some(n.to_string()), Some(s)),
                (_, None, Some(s)) => (None, Some(s)),
                _ => (None, None),
            };
            let name = name.or_else(|| match request(backend, Request::Sinks) {
                Response::Sinks { sinks } if sinks.len() == 1 => {
                    sinks.into_iter().next().map(|s| s.name)
                }
                _ => None,
            });
            match (name, secs) {
                (Some(name), Some(seconds)) => {
                    request(backend, Request::SetLatency { name, seconds })
                }
                _ => usage_error(":latency [NAME] SECONDS"),
            }
        }
        _ => Response::Error {
            message: format!("unknown command `{name}` (:help lists them)"),
        },
    };
    print_response(r);
    false
}

/// `:learn NAME [SECONDS]`: wait for a control to move and bind NAME to it.
fn learn(backend: &SharedBackend, args: &[&str]) {
    use crate::midi_learn::{Learned, LEARN_TIMEOUT};
    let (Some(name), true) = (args.first(), args.len() <= 2) else {
        print_response(usage_error(":learn NAME [SECONDS]"));
        return;
    };
    if !crate::midi_learn::valid_name(name) {
        eprintln!("patter: `{name}` cannot be a name (a letter or _, then letters, digits or _; not a built-in)");
        return;
    }
    let timeout = match args.get(1).map(|s| s.parse::<f64>()) {
        None => LEARN_TIMEOUT,
        Some(Ok(s)) if s > 0.0 && s <= 3600.0 => std::time::Duration::from_secs_f64(s),
        Some(_) => {
            print_response(usage_error(
                ":learn NAME [SECONDS] (seconds between 0 and 3600)",
            ));
            return;
        }
    };
    println!(
        "move a control… (`{name}` takes the next one; Esc cancels, or wait {} s)",
        patter_pattern::fmt_num(timeout.as_secs_f64())
    );
    let mut keys = crate::midi_learn::KeyWatch::start();
    let result =
        crate::midi_learn::learn(|r| request(backend, r), name, timeout, || keys.cancelled());
    drop(keys);
    match result {
        Learned::Bound(line) => println!("{line}"),
        Learned::Failed(line, why) => {
            eprint!("{why}");
            eprintln!("patter: `{line}` did not evaluate");
        }
        Learned::Cancelled => println!("(learn cancelled)"),
        Learned::TimedOut => println!("(no control moved; nothing was bound)"),
        Learned::NoInput => eprintln!(
            "patter: no MIDI input is open; start patter with --midi-in jack (or jack:PATTERN, NAME, all)"
        ),
    }
}

fn usage_error(usage: &str) -> Response {
    Response::Error {
        message: format!("usage: {usage}"),
    }
}

fn print_response(r: Response) {
    match r {
        Response::Done { message } => println!("{message}"),
        Response::Error { message } => eprintln!("patter: {message}"),
        Response::Text { text } => print!("{text}"),
        Response::Eval(reply) => {
            eprint!("{}", reply.rendered);
            println!("{}", reply.summary());
        }
        Response::Players { players } => {
            if players.is_empty() {
                println!("no players");
            }
            for p in players {
                let mut flags = Vec::new();
                if p.muted {
                    flags.push("muted");
                }
                if p.soloed {
                    flags.push("solo");
                }
                println!("{:<12} {:<20} {}", p.name, p.doc, flags.join(" "));
            }
        }
        Response::Stats(s) => {
            println!(
                "events {}  late {}  scheduler wake-up late µs p50 {} p99 {} max {}  query µs p50 {} p99 {} max {}",
                s.events,
                s.late_events,
                s.scheduler_wake_late_us.p50,
                s.scheduler_wake_late_us.p99,
                s.scheduler_wake_late_us.max,
                s.query_us.p50,
                s.query_us.p99,
                s.query_us.max
            );
            println!(
                "  {:<24} received {}  dropped {}",
                "MIDI input", s.input.received, s.input.dropped
            );
            for k in s.sinks {
                println!(
                    "  {:<24} sent {}  late {} (max {} µs)  dropped {}  errors {}{}",
                    k.name,
                    k.sent,
                    k.late,
                    k.late_us_max,
                    k.dropped,
                    k.errors,
                    if k.connected { "" } else { "  (disconnected)" }
                );
                if let Some(sv) = &k.server {
                    println!(
                        "  {:<24} server CPU {:.1}% (peak {:.1}%)  synths {}  groups {}  ugens {}  defs {}",
                        "",
                        sv.avg_cpu,
                        sv.peak_cpu,
                        sv.synths,
                        sv.groups,
                        sv.ugens,
                        sv.synthdefs
                    );
                }
            }
            for p in s.players {
                println!(
                    "  player {:<12} query µs p50 {} p99 {}  overruns {}{}",
                    p.name,
                    p.query_us.p50,
                    p.query_us.p99,
                    p.overruns,
                    if p.muted { "  (muted)" } else { "" }
                );
            }
        }
        Response::Sinks { sinks } => {
            if sinks.is_empty() {
                println!("no outputs (`:connect OUTPUT`)");
            }
            for s in sinks {
                println!(
                    "{:<24} latency {} s  sent {}  late {}  dropped {}{}",
                    s.name,
                    patter_pattern::fmt_num(s.latency),
                    s.stats.sent,
                    s.stats.late,
                    s.stats.dropped,
                    if s.stats.connected {
                        ""
                    } else {
                        "  (disconnected)"
                    }
                );
            }
        }
        Response::Transport(t) => println!(
            "{} bar {} beat {} ({}), {} BPM",
            if t.running { "playing" } else { "stopped" },
            t.bar,
            t.beat_in_bar,
            patter_pattern::fmt_num(t.beat),
            patter_pattern::fmt_num(t.tempo)
        ),
        Response::Snapshot(s) => println!("{} documents", s.docs.len()),
        Response::Docs { docs } => println!("{}", docs.join("\n")),
        Response::Scenes { scenes } => {
            if scenes.is_empty() {
                println!("no scenes (declare one: `scene NAME {{ play … }}`)");
            }
            for s in scenes {
                let mut flags = Vec::new();
                if s.keep {
                    flags.push("keep");
                }
                if s.live {
                    flags.push("live");
                }
                println!(
                    "{:<12} {:<30} {}",
                    s.name,
                    s.players.join(" "),
                    flags.join(" ")
                );
            }
        }
        Response::Midi(s) => print!("{}", crate::midi_learn::render(&s)),
        Response::Notices { notices } => {
            for n in notices {
                println!(
                    "{} {} at beat {}",
                    n.player,
                    n.kind,
                    patter_pattern::fmt_num(n.beat)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlighting_keeps_the_text_and_colours_tokens() {
        let line = "play a { s: \"bd sn\", n: 3 } // hi";
        let out = highlight_line(line, &["fast"]);
        let plain: String = {
            let mut s = String::new();
            let mut chars = out.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\x1b' {
                    for d in chars.by_ref() {
                        if d == 'm' {
                            break;
                        }
                    }
                } else {
                    s.push(c);
                }
            }
            s
        };
        assert_eq!(plain, line);
        assert!(out.contains("\x1b[1;35mplay"));
        assert!(out.contains("\x1b[32m\"bd sn\""));
        assert!(out.contains("\x1b[90m// hi"));
    }

    #[test]
    fn open_brackets_and_strings_are_incomplete() {
        assert!(is_incomplete("play a { degree: [0, 2"));
        assert!(is_incomplete("play a { s: \"bd"));
        assert!(!is_incomplete("play a { degree: 0 }"));
        assert!(!is_incomplete("play a { degree: ) }"));
    }
}
