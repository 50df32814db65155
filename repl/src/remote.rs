//! Clients of `patter serve`: [`RemoteBackend`] (the REPL's [`Backend`] over a socket) and
//! `patter send` (evaluate a file or a block through the running engine, for editors).

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::args::Args;
use crate::protocol::{Endpoint, LineReader, Poll, Stream, MAX_LINE, PROTOCOL_VERSION};
use crate::session::{Backend, EvalReply, Request, Response, REPL_DOC};

/// How long a client waits for a reply (an evaluation compiles under a millisecond to a
/// few; a render takes longer).
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// Socket read timeout while waiting, so the overall timeout is checked.
const READ_TICK: Duration = Duration::from_millis(200);

struct Connection {
    stream: Stream,
    reader: LineReader,
}

/// A session in a `patter serve` process. Reconnects when the connection drops, so a
/// restarted engine is picked up again.
pub struct RemoteBackend {
    endpoint: Endpoint,
    conn: Option<Connection>,
    next_id: u64,
}

impl RemoteBackend {
    /// Connect and shake hands.
    pub fn connect(endpoint: Endpoint) -> Result<RemoteBackend, String> {
        let mut backend = RemoteBackend {
            endpoint,
            conn: None,
            next_id: 1,
        };
        backend.ensure_connected()?;
        Ok(backend)
    }

    /// Where the engine is.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn ensure_connected(&mut self) -> Result<(), String> {
        if self.conn.is_some() {
            return Ok(());
        }
        let stream = self.endpoint.connect(READ_TICK).map_err(|e| {
            format!(
                "no engine at {} ({e}); start one with `patter serve`",
                self.endpoint
            )
        })?;
        self.conn = Some(Connection {
            stream,
            reader: LineReader::default(),
        });
        let hello = serde_json::json!({
            "cmd": "hello",
            "protocol": PROTOCOL_VERSION,
            "client": format!("patter {}", env!("CARGO_PKG_VERSION")),
        });
        match self.exchange(hello) {
            Ok(v) if v["reply"] == "hello" => Ok(()),
            Ok(v) => {
                self.conn = None;
                Err(format!(
                    "{} is not a patter engine, or speaks another protocol: {}",
                    self.endpoint,
                    v["message"].as_str().unwrap_or("unexpected reply")
                ))
            }
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }

    /// Send one request value and wait for its reply (pushes are skipped).
    pub fn exchange(&mut self, mut request: Value) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        if let Some(o) = request.as_object_mut() {
            o.insert("id".into(), id.into());
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err("not connected".into());
        };
        let line = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
        if line.len() >= MAX_LINE {
            return Err("this request is larger than the protocol's 1 MiB line".into());
        }
        let lost = |e: &dyn std::fmt::Display| format!("lost the engine: {e}");
        if let Err(e) = conn.stream.send_line(&request) {
            self.conn = None;
            return Err(lost(&e));
        }
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            match conn.reader.poll(&mut conn.stream) {
                Poll::Line(l) => {
                    let Ok(v) = serde_json::from_slice::<Value>(&l) else {
                        continue;
                    };
                    // Pushes and replies to requests given up on are not ours.
                    if v.get("push").is_some() {
                        continue;
                    }
                    match v.get("id") {
                        Some(got) if got.as_u64() == Some(id) => return Ok(v),
                        // Replies without an id answer nothing we sent (e.g. "busy").
                        None => {
                            self.conn = None;
                            return Ok(v);
                        }
                        Some(_) => continue,
                    }
                }
                Poll::Idle { .. } if Instant::now() < deadline => {}
                Poll::Idle { .. } => {
                    self.conn = None;
                    return Err(format!(
                        "the engine at {} did not answer within {} s",
                        self.endpoint,
                        REPLY_TIMEOUT.as_secs()
                    ));
                }
                Poll::TooLong => {
                    self.conn = None;
                    return Err(lost(&"a reply was longer than 1 MiB"));
                }
                Poll::Closed => {
                    self.conn = None;
                    return Err(lost(&"the connection closed"));
                }
            }
        }
    }

    /// [`RemoteBackend::exchange`], reconnecting once if the connection was lost (the
    /// engine may have been restarted since).
    pub fn call(&mut self, request: Value) -> Result<Value, String> {
        let first = self
            .ensure_connected()
            .and_then(|()| self.exchange(request.clone()));
        match first {
            Ok(v) => Ok(v),
            Err(_) if self.conn.is_none() => {
                self.ensure_connected()?;
                self.exchange(request)
            }
            Err(e) => Err(e),
        }
    }
}

impl Backend for RemoteBackend {
    fn request(&mut self, request: Request) -> Response {
        let value = match serde_json::to_value(&request) {
            Ok(v) => v,
            Err(e) => {
                return Response::Error {
                    message: e.to_string(),
                }
            }
        };
        match self.call(value) {
            Ok(v) => response_of(v),
            Err(message) => Response::Error { message },
        }
    }
}

/// A reply line as the session's [`Response`] (protocol errors become `Error`).
fn response_of(mut v: Value) -> Response {
    if let Some(o) = v.as_object_mut() {
        o.remove("id");
        o.remove("code");
    }
    serde_json::from_value(v.clone()).unwrap_or_else(|e| Response::Error {
        message: format!("unexpected reply from the engine ({e}): {v}"),
    })
}

const SEND_USAGE: &str = "usage: patter send [FILE.pat | -] [--doc NAME] [--json] [--connect ADDR]
  FILE.pat          evaluate the file (it replaces what it played before); without a file
                    or with -, evaluate a block from standard input as the REPL does
  --doc NAME        the document to evaluate as (default: the file's path, or `repl`)
  --json            print the engine's reply as one JSON line (for editors)
  --connect ADDR    the engine (HOST:PORT or unix:PATH; default $PATTER_CONNECT or 127.0.0.1:57140)
exit status: 0 accepted, 1 errors in the code, 2 bad usage, 3 no engine";

/// `patter send`.
pub fn send(argv: &[String]) -> ExitCode {
    let json = argv.iter().any(|a| a == "--json");
    let flags: Vec<String> = argv.iter().filter(|a| *a != "--json").cloned().collect();
    let args = match Args::parse(&flags, &["doc", "connect"]) {
        Ok(a) => a,
        Err(msg) => return send_usage(&msg),
    };
    let (doc, source) = match args.positional.as_slice() {
        [] => (None, read_stdin()),
        [dash] if dash == "-" => (None, read_stdin()),
        [file] => {
            let doc = std::fs::canonicalize(file)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| file.clone());
            (Some(doc), crate::loader::read_program(file))
        }
        _ => return send_usage("give one FILE.pat, or a block on standard input"),
    };
    let source = match source {
        Ok(s) => s,
        Err(msg) => return fail(json, "input", &msg, 2),
    };
    let doc = args
        .get("doc")
        .map(String::from)
        .or(doc)
        .unwrap_or_else(|| REPL_DOC.to_string());
    let endpoint = match args
        .get("connect")
        .map_or_else(Endpoint::default_client, Endpoint::parse)
    {
        Ok(e) => e,
        Err(msg) => return send_usage(&msg),
    };
    let mut backend = match RemoteBackend::connect(endpoint) {
        Ok(b) => b,
        Err(msg) => return fail(json, "no_engine", &msg, 3),
    };
    let color = !json && std::io::stderr().is_terminal();
    let request =
        serde_json::json!({ "cmd": "eval", "doc": doc, "source": source, "color": color });
    let reply = match backend.call(request) {
        Ok(v) => v,
        Err(msg) => return fail(json, "no_engine", &msg, 3),
    };
    if json {
        let mut reply = reply;
        if let Some(o) = reply.as_object_mut() {
            o.remove("id");
        }
        println!("{reply}");
        return ExitCode::from(if reply["ok"] == true { 0 } else { 1 });
    }
    match response_of(reply) {
        Response::Eval(r) => print_eval(&r),
        Response::Error { message } => {
            eprintln!("patter send: {message}");
            ExitCode::from(1)
        }
        other => {
            eprintln!("patter send: unexpected reply: {other:?}");
            ExitCode::from(1)
        }
    }
}

fn print_eval(r: &EvalReply) -> ExitCode {
    if !r.rendered.is_empty() {
        eprint!("{}", r.rendered);
    }
    if !r.ok {
        eprintln!(
            "patter send: {} error(s); nothing that plays has changed",
            r.errors
        );
        return ExitCode::from(1);
    }
    let changes: Vec<String> = r
        .changes
        .iter()
        .filter(|c| !matches!(c.change, crate::session::ChangeKind::Unchanged))
        .map(|c| match c.beat {
            Some(b) => format!(
                "{} {:?} at beat {}",
                c.player,
                c.change,
                patter_pattern::fmt_num(b)
            )
            .to_lowercase(),
            None => format!("{} {:?}", c.player, c.change).to_lowercase(),
        })
        .collect();
    if changes.is_empty() {
        println!("ok: nothing changed");
    } else {
        println!("ok: {}", changes.join(", "));
    }
    ExitCode::SUCCESS
}

fn read_stdin() -> Result<String, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_LINE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if bytes.len() > MAX_LINE {
        return Err("the block is larger than 1 MiB".into());
    }
    String::from_utf8(bytes).map_err(|_| "standard input is not UTF-8".to_string())
}

fn fail(json: bool, code: &str, message: &str, status: u8) -> ExitCode {
    if json {
        println!(
            "{}",
            serde_json::json!({ "reply": "error", "code": code, "message": message })
        );
    } else {
        eprintln!("patter send: {message}");
    }
    ExitCode::from(status)
}

fn send_usage(msg: &str) -> ExitCode {
    eprintln!("patter send: {msg}\n{SEND_USAGE}");
    ExitCode::from(2)
}

/// `patter repl --connect ADDR`: the REPL driving the engine of a `patter serve`. Leaving
/// it (Ctrl-D, `:quit`, a crash) detaches and leaves the music playing.
pub fn repl(argv: &[String]) -> ExitCode {
    let args = match Args::parse(argv, &["connect", "history", "watch"]) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("patter repl: {msg}\nusage: patter repl --connect ADDR [--watch FILE]… [--history FILE|none]\n(outputs, seed and tempo belong to the engine: `patter serve --out …`)");
            return ExitCode::from(2);
        }
    };
    let endpoint = match args
        .get("connect")
        .map_or_else(Endpoint::default_client, Endpoint::parse)
    {
        Ok(e) => e,
        Err(msg) => {
            eprintln!("patter repl: {msg}");
            return ExitCode::from(2);
        }
    };
    let backend = match RemoteBackend::connect(endpoint) {
        Ok(b) => b,
        Err(msg) => {
            eprintln!("patter repl: {msg}");
            return ExitCode::from(3);
        }
    };
    eprintln!(
        "patter: attached to the engine at {}; leaving the REPL leaves the music playing",
        backend.endpoint()
    );
    let history = match args.get("history") {
        Some("") | Some("none") => None,
        Some(path) => Some(std::path::PathBuf::from(path)),
        None => crate::repl::history_path(),
    };
    let shared: crate::repl::SharedBackend = std::sync::Arc::new(std::sync::Mutex::new(backend));
    crate::repl::run_with(
        shared,
        crate::repl::ReplOptions {
            color: std::io::stdout().is_terminal(),
            history,
            watch: args
                .options
                .iter()
                .filter(|(k, _)| k == "watch")
                .map(|(_, v)| v.clone())
                .collect(),
            printer: None,
        },
    )
}
