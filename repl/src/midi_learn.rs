//! MIDI inputs at the command line and in the REPL: `--midi-in SPEC`, `:midi` (the open
//! inputs, their state and counters) and `:learn NAME` (move a control, and it is bound to
//! NAME as `let NAME = cc(NUMBER, channel: CH)`, a line that can be pasted into a file).
//!
//! The inputs themselves live in `patter_runtime::midi_in`; this module opens them for an
//! engine, turns their state into protocol data (so `:midi` and `:learn` work the same on a
//! REPL attached to `patter serve`), and runs the learn loop on the REPL's side: it polls
//! the session for the latest control change and never holds the session while waiting.

use std::time::{Duration, Instant};

use patter_runtime::midi_in::{InputSpec, LastCc, MidiInputs, Report};
use patter_runtime::Engine;
use serde::{Deserialize, Serialize};

use crate::args::Args;
use crate::session::{Request, Response, REPL_DOC};

/// How long `:learn` waits for a control to move when no time is given.
pub const LEARN_TIMEOUT: Duration = Duration::from_secs(30);

/// One MIDI input, as `:midi` lists it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MidiInputData {
    /// What was asked for (`jack:korg`, `nano`, `all`).
    pub spec: String,
    /// Its port or device (`patter:midi_in`).
    pub name: String,
    /// `open`, `waiting (…)` or `lost (…), will reconnect`.
    pub state: String,
    /// Sources connected to it.
    pub sources: Vec<String>,
    /// Channel messages received.
    pub messages: u64,
    /// Messages dropped because the engine's queue was full.
    pub dropped: u64,
    /// Notes held down now.
    pub held: u32,
}

/// The latest control change from any input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCcData {
    /// Increases with each control change.
    pub seq: u32,
    /// MIDI channel, 0–15 (the language counts 1–16).
    pub channel: u8,
    /// Controller number.
    pub number: u8,
    /// Its value.
    pub value: u8,
}

impl From<LastCc> for LastCcData {
    fn from(c: LastCc) -> LastCcData {
        LastCcData {
            seq: c.seq,
            channel: c.channel,
            number: c.number,
            value: c.value,
        }
    }
}

/// The engine's input queue counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputCountersData {
    /// Messages pushed into the engine's input queue.
    pub received: u64,
    /// Of those, dropped because the queue was full.
    pub dropped: u64,
}

/// Everything `:midi` and `:learn` ask for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MidiStatus {
    /// The open inputs.
    pub inputs: Vec<MidiInputData>,
    /// The latest control change, for learn mode.
    pub last_cc: Option<LastCcData>,
    /// The engine's input queue.
    pub queue: InputCountersData,
}

/// The `--midi-in` specs given, parsed.
pub fn specs(args: &Args) -> Result<Vec<InputSpec>, String> {
    args.options
        .iter()
        .filter(|(k, _)| k == "midi-in")
        .map(|(_, v)| InputSpec::parse(v))
        .collect()
}

/// Open `specs` for `engine`; reports go to `report`. Returns the inputs and a message for
/// each that could not open.
pub fn open(engine: &Engine, specs: &[InputSpec], report: Report) -> (MidiInputs, Vec<String>) {
    let mut inputs = MidiInputs::new(engine.input(), engine.origin(), report);
    let problems = specs
        .iter()
        .filter_map(|s| {
            inputs
                .open(s)
                .err()
                .map(|e| format!("MIDI input '{s}': {e}"))
        })
        .collect();
    (inputs, problems)
}

/// The engine's input counters.
pub fn queue_counters(engine: &Engine) -> InputCountersData {
    let q = engine.input();
    InputCountersData {
        received: q.received(),
        dropped: q.dropped(),
    }
}

/// What `:midi` shows.
pub fn status(inputs: Option<&MidiInputs>, engine: &Engine) -> MidiStatus {
    MidiStatus {
        inputs: inputs
            .map(|i| {
                i.list()
                    .into_iter()
                    .map(|d| MidiInputData {
                        spec: d.spec,
                        name: d.name,
                        state: d.state.to_string(),
                        sources: d.sources,
                        messages: d.messages,
                        dropped: d.dropped,
                        held: d.held,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        last_cc: inputs.and_then(MidiInputs::last_cc).map(LastCcData::from),
        queue: queue_counters(engine),
    }
}

/// `:midi`'s text.
pub fn render(s: &MidiStatus) -> String {
    if s.inputs.is_empty() {
        return "no MIDI inputs (start with --midi-in jack, --midi-in jack:PATTERN, --midi-in NAME or --midi-in all)\n".into();
    }
    let mut out = String::new();
    for i in &s.inputs {
        out.push_str(&format!(
            "{:<20} {:<24} {}  messages {}  dropped {}  held {}\n",
            i.spec, i.name, i.state, i.messages, i.dropped, i.held
        ));
        for src in &i.sources {
            out.push_str(&format!("  ← {src}\n"));
        }
    }
    if let Some(c) = s.last_cc {
        out.push_str(&format!(
            "last control: cc {} on channel {} = {}\n",
            c.number,
            u16::from(c.channel) + 1,
            c.value
        ));
    }
    out
}

/// The binding `:learn` makes: the language counts channels from 1.
pub fn binding(name: &str, cc: &LastCcData) -> String {
    format!(
        "let {name} = cc({}, channel: {})",
        cc.number,
        u16::from(cc.channel) + 1
    )
}

/// A name `let` accepts: a letter or `_`, then letters, digits or `_`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !patter_lang::eval::builtin_names().any(|b| b == name)
}

/// How a learn ended.
#[derive(Debug, PartialEq)]
pub enum Learned {
    /// Bound: the line evaluated.
    Bound(String),
    /// A control moved, but the binding did not evaluate (the diagnostics).
    Failed(String, String),
    /// Esc or Ctrl-C.
    Cancelled,
    /// Nothing moved in time.
    TimedOut,
    /// No MIDI input is open.
    NoInput,
}

fn midi_status(request: &mut impl FnMut(Request) -> Response) -> Option<MidiStatus> {
    match request(Request::Midi) {
        Response::Midi(s) => Some(s),
        _ => None,
    }
}

/// Wait for the next control change (after the one seen when called), then bind `name` to
/// it in the REPL's document. `request` carries one request at a time (the session is never
/// held while waiting); `cancelled` is asked between polls.
pub fn learn(
    mut request: impl FnMut(Request) -> Response,
    name: &str,
    timeout: Duration,
    mut cancelled: impl FnMut() -> bool,
) -> Learned {
    let Some(start) = midi_status(&mut request) else {
        return Learned::NoInput;
    };
    if start.inputs.is_empty() {
        return Learned::NoInput;
    }
    let before = start.last_cc.map(|c| c.seq);
    let deadline = Instant::now() + timeout;
    loop {
        if cancelled() {
            return Learned::Cancelled;
        }
        if Instant::now() >= deadline {
            return Learned::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(20));
        let Some(now) = midi_status(&mut request) else {
            continue;
        };
        if let Some(cc) = now.last_cc.filter(|c| Some(c.seq) != before) {
            let line = binding(name, &cc);
            return match request(Request::Eval {
                doc: REPL_DOC.into(),
                source: line.clone(),
                color: false,
            }) {
                Response::Eval(r) if r.ok => Learned::Bound(line),
                Response::Eval(r) => Learned::Failed(line, r.rendered),
                Response::Error { message } => Learned::Failed(line, message),
                _ => Learned::Failed(line, String::new()),
            };
        }
    }
}

/// Esc and Ctrl-C on a terminal while `:learn` waits: the terminal is put in
/// non-canonical mode without signals (so Ctrl-C arrives as a byte, not as a signal that
/// would end the program) and restored when this is dropped.
#[cfg(unix)]
pub struct KeyWatch {
    saved: Option<libc::termios>,
}

#[cfg(unix)]
impl KeyWatch {
    /// Start watching stdin when it is a terminal (otherwise nothing is read from it: piped
    /// input holds the next commands).
    pub fn start() -> KeyWatch {
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() {
            return KeyWatch { saved: None };
        }
        // SAFETY: termios is plain data; tcgetattr fills it for fd 0, a terminal.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd 0 is open; `t` is a valid termios to write into.
        if unsafe { libc::tcgetattr(0, &mut t) } != 0 {
            return KeyWatch { saved: None };
        }
        let saved = t;
        t.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG);
        t.c_cc[libc::VMIN] = 0;
        t.c_cc[libc::VTIME] = 0;
        // SAFETY: `t` is a termios read from this terminal, with flags changed.
        if unsafe { libc::tcsetattr(0, libc::TCSANOW, &t) } != 0 {
            return KeyWatch { saved: None };
        }
        KeyWatch { saved: Some(saved) }
    }

    /// True once Esc or Ctrl-C was pressed (other keys are ignored).
    pub fn cancelled(&mut self) -> bool {
        if self.saved.is_none() {
            return false;
        }
        let mut buf = [0u8; 16];
        // SAFETY: reads at most buf.len() bytes into buf; VMIN=0/VTIME=0 never blocks.
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        n > 0
            && buf
                .get(..n as usize)
                .is_some_and(|b| b.iter().any(|&c| c == 0x1b || c == 0x03))
    }
}

#[cfg(unix)]
impl Drop for KeyWatch {
    fn drop(&mut self) {
        if let Some(t) = self.saved.take() {
            // SAFETY: restores the settings read from this terminal at start.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, &t) };
        }
    }
}

/// Elsewhere only the timeout (and a control) ends a learn.
#[cfg(not(unix))]
pub struct KeyWatch;

#[cfg(not(unix))]
impl KeyWatch {
    /// Nothing to watch.
    pub fn start() -> KeyWatch {
        KeyWatch
    }
    /// Never.
    pub fn cancelled(&mut self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::session::EvalReply;

    #[test]
    fn bindings_count_channels_from_one() {
        let cc = LastCcData {
            seq: 1,
            channel: 0,
            number: 74,
            value: 3,
        };
        assert_eq!(binding("cutoff", &cc), "let cutoff = cc(74, channel: 1)");
        assert!(valid_name("cutoff") && valid_name("_k2"));
        assert!(!valid_name("2k") && !valid_name("a-b") && !valid_name(""));
    }

    fn status(seq: Option<u32>) -> Response {
        Response::Midi(MidiStatus {
            inputs: vec![MidiInputData::default()],
            last_cc: seq.map(|seq| LastCcData {
                seq,
                channel: 2,
                number: 21,
                value: 64,
            }),
            queue: InputCountersData::default(),
        })
    }

    #[test]
    fn learn_takes_the_next_control_and_evaluates_its_binding() {
        // The control seen before learning started is not taken; the next one is.
        let mut polls = 0;
        let mut evaluated = Vec::new();
        let r = learn(
            |req| match req {
                Request::Midi => {
                    polls += 1;
                    status(Some(if polls < 3 { 7 } else { 8 }))
                }
                Request::Eval { source, .. } => {
                    evaluated.push(source);
                    Response::Eval(EvalReply {
                        ok: true,
                        doc: REPL_DOC.into(),
                        diagnostics: Vec::new(),
                        rendered: String::new(),
                        changes: Vec::new(),
                        errors: 0,
                        warnings: 0,
                        incomplete: false,
                        imports: Vec::new(),
                        tempo: None,
                        eval_us: 0,
                    })
                }
                _ => Response::Error {
                    message: "unexpected".into(),
                },
            },
            "knob",
            Duration::from_secs(5),
            || false,
        );
        assert_eq!(r, Learned::Bound("let knob = cc(21, channel: 3)".into()));
        assert_eq!(evaluated, vec!["let knob = cc(21, channel: 3)".to_string()]);
    }

    #[test]
    fn the_status_crosses_the_protocol() {
        let r = status(Some(9));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["reply"], "midi");
        assert_eq!(json["last_cc"]["number"], 21);
        let back: Response = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn learn_cancels_times_out_and_needs_an_input() {
        let r = learn(|_| status(None), "k", Duration::from_secs(5), || true);
        assert_eq!(r, Learned::Cancelled);
        let r = learn(
            |_| status(Some(1)),
            "k",
            Duration::from_millis(60),
            || false,
        );
        assert_eq!(r, Learned::TimedOut);
        let none = || Response::Midi(MidiStatus::default());
        assert_eq!(
            learn(|_| none(), "k", Duration::from_secs(1), || false),
            Learned::NoInput
        );
    }
}
