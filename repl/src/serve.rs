//! `patter serve`: the engine alone, holding the music, with clients (editors, `patter send`,
//! `patter repl --connect`) attached over TCP on loopback and/or a Unix socket.
//!
//! The scheduler runs on its own thread inside the [`Session`]; nothing a client does
//! reaches it except through the session's requests. Each client has one thread (their
//! number is bounded) that reads bounded lines with a read timeout, answers each, and
//! pushes metrics to subscribers. A client that sends garbage gets error replies; one that
//! sends an over-long line, trickles a line for too long, or does not read its replies
//! (writes time out: the kernel's socket buffer is its bounded queue) is dropped. The
//! session is saved to a state file after every change and periodically (write to a
//! temporary file, then rename), and `--resume` restores it.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::args::Args;
use crate::offline;
use crate::protocol::{
    error_reply, parse_request, with_id, Endpoint, Incoming, LineReader, Poll, ServiceRequest,
    Stream, DEFAULT_PORT, PROTOCOL_VERSION, SERVICE_COMMANDS, SESSION_COMMANDS,
};
use crate::session::{Backend, Request, Response, Session, SessionConfig, SessionState};

/// Clients attached at once; more are told so and closed.
const MAX_CLIENTS: usize = 32;
/// How often a client thread wakes to push metrics and notice shutdown.
const TICK: Duration = Duration::from_millis(100);
/// A write to a client that takes longer drops the client.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// A line that takes longer than this to arrive drops the client.
const PARTIAL_LINE_TIMEOUT: Duration = Duration::from_secs(10);
/// Bad requests in a row after which a client is dropped.
const MAX_BAD_IN_A_ROW: usize = 32;
/// How often the session is saved while nothing else saves it.
const SAVE_EVERY: Duration = Duration::from_secs(2);

const USAGE: &str = "usage: patter serve [--listen ADDR] [--socket PATH] [--allow-remote] [--out OUTPUT]... [--state FILE] [--resume] [--osc-in PORT] [--midi-in SPEC]...
  --listen ADDR     TCP address (default 127.0.0.1:57140 when no --socket is given)
  --socket PATH     a Unix socket (owner-only permissions)
  --allow-remote    accept connections from other machines (off: loopback only)
  --out OUTPUT      as for `patter play` (jack-midi, midi:NAME, smf:FILE.mid, null, ...)
  --state FILE      where the session is saved (default $XDG_STATE_HOME/patter/session.json)
  --resume          restore the saved session first
  --osc-in PORT     take /patter/set and /patter/launch as OSC on UDP 127.0.0.1:PORT
  --midi-in SPEC    a MIDI input: jack (port patter:midi_in), jack:PATTERN (auto-connect
                    JACK sources whose name contains PATTERN), NAME (a MIDI port), all";

/// State every client thread shares.
struct Shared {
    session: Mutex<Session>,
    clients: AtomicUsize,
    stop: AtomicBool,
    saver: Saver,
}

impl Shared {
    fn session(&self) -> MutexGuard<'_, Session> {
        // A client thread that panicked while holding the session left it consistent
        // enough to keep playing: requests are whole or not at all.
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self) {
        let state = self.session().snapshot();
        self.saver.save(&state);
    }
}

/// Writes the session file atomically; remembers what it wrote last.
struct Saver {
    path: PathBuf,
    last: Mutex<(String, Instant)>,
}

impl Saver {
    fn save(&self, state: &SessionState) {
        let Ok(text) = serde_json::to_string_pretty(state) else {
            return;
        };
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.0 == text {
            return;
        }
        match write_atomically(&self.path, text.as_bytes()) {
            Ok(()) => *last = (text, Instant::now()),
            Err(e) => eprintln!(
                "patter serve: cannot save the session to {}: {e}",
                self.path.display()
            ),
        }
    }
}

/// Write a file so that a reader (or a crash) sees the old or the new contents, never a mix.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

/// `$XDG_STATE_HOME/patter/session.json`, else `~/.local/state/patter/session.json`.
pub fn default_state_file() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|s| !s.is_empty())
                .map(|h| PathBuf::from(h).join(".local/state"))
        })
        .unwrap_or_else(std::env::temp_dir);
    base.join("patter").join("session.json")
}

pub fn run(argv: &[String]) -> ExitCode {
    let flags: Vec<String> = argv
        .iter()
        .filter(|a| *a != "--allow-remote" && *a != "--resume")
        .cloned()
        .collect();
    let allow_remote = argv.iter().any(|a| a == "--allow-remote");
    let resume = argv.iter().any(|a| a == "--resume");
    let args = match Args::parse(
        &flags,
        &["listen", "socket", "out", "state", "osc-in", "midi-in"],
    ) {
        Ok(a) => a,
        Err(msg) => return usage(&msg),
    };
    if !args.positional.is_empty() {
        return usage("serve takes no file: send files to it with `patter send FILE.pat`");
    }
    let osc_in = match args.get("osc-in").map(crate::osc_in::port_arg).transpose() {
        Ok(p) => p,
        Err(msg) => return usage(&msg),
    };
    let midi_in = match crate::midi_learn::specs(&args) {
        Ok(s) => s,
        Err(msg) => return usage(&msg),
    };
    let socket = args.get("socket").map(PathBuf::from);
    let listen = match (args.get("listen"), &socket) {
        (Some(a), _) => match Endpoint::parse(a) {
            Ok(Endpoint::Tcp(addr)) => Some(addr),
            Ok(Endpoint::Unix(_)) => {
                return usage("--listen takes HOST:PORT; use --socket for a Unix socket")
            }
            Err(msg) => return usage(&msg),
        },
        (None, Some(_)) => None,
        (None, None) => Some(SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT))),
    };
    if let Some(addr) = listen {
        if !addr.ip().is_loopback() && !allow_remote {
            eprintln!("patter serve: refusing to listen on {addr}: other machines could reach it and control the engine; listen on 127.0.0.1, or add --allow-remote if you mean it");
            return ExitCode::from(2);
        }
    }
    let state_file = args
        .get("state")
        .map(PathBuf::from)
        .unwrap_or_else(default_state_file);
    let mut outputs: Vec<String> = args
        .options
        .iter()
        .filter(|(k, _)| k == "out")
        .map(|(_, v)| v.clone())
        .collect();
    if outputs.is_empty() {
        outputs = crate::play::default_outputs()
            .into_iter()
            .map(String::from)
            .collect();
    }

    let tcp = match listen.map(TcpListener::bind).transpose() {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "patter serve: cannot listen on {}: {e} (is another engine running? `patter send` talks to it)",
                listen.map(|a| a.to_string()).unwrap_or_default()
            );
            return ExitCode::FAILURE;
        }
    };
    #[cfg(unix)]
    let unix = match socket.as_deref().map(bind_unix).transpose() {
        Ok(l) => l,
        Err(msg) => {
            eprintln!("patter serve: {msg}");
            return ExitCode::FAILURE;
        }
    };
    #[cfg(not(unix))]
    if socket.is_some() {
        return usage("Unix sockets need a Unix system; use --listen");
    }

    let (mut session, problems) = Session::start(SessionConfig {
        outputs,
        ..SessionConfig::default()
    });
    for p in problems {
        eprintln!("patter serve: {p}");
    }
    for p in session.open_midi_inputs(
        &midi_in,
        Arc::new(|line: String| eprintln!("patter serve: {line}")),
    ) {
        eprintln!("patter serve: {p}");
    }
    if resume {
        match std::fs::read_to_string(&state_file) {
            Ok(text) => match serde_json::from_str::<SessionState>(&text) {
                Ok(state) => {
                    let failed = session.restore(&state);
                    eprintln!(
                        "patter serve: resumed {} document(s) from {}",
                        state.docs.len() - failed.len(),
                        state_file.display()
                    );
                    for f in failed {
                        eprintln!(
                            "patter serve: `{}` no longer evaluates:\n{}",
                            f.doc, f.rendered
                        );
                    }
                }
                Err(e) => eprintln!(
                    "patter serve: {} is not a saved session ({e}); starting empty",
                    state_file.display()
                ),
            },
            Err(e) => eprintln!(
                "patter serve: nothing to resume at {} ({e}); starting empty",
                state_file.display()
            ),
        }
    }
    let sinks = session.sink_names().join(", ");
    let shared = Arc::new(Shared {
        session: Mutex::new(session),
        clients: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        saver: Saver {
            path: state_file.clone(),
            last: Mutex::new((String::new(), Instant::now())),
        },
    });
    shared.save();

    let mut out = std::io::stdout().lock();
    if let Some(l) = tcp {
        if let Ok(addr) = l.local_addr() {
            let _ = writeln!(out, "listening tcp {addr}");
        }
        let s = shared.clone();
        spawn("patter-accept-tcp", move || accept_tcp(l, s, allow_remote));
    }
    #[cfg(unix)]
    if let (Some(l), Some(path)) = (unix, socket.clone()) {
        let _ = writeln!(out, "listening unix {}", path.display());
        let s = shared.clone();
        spawn("patter-accept-unix", move || accept_unix(l, s));
    }
    if let Some(port) = osc_in {
        let s = shared.clone();
        match crate::osc_in::start(port, move |r| s.session().request(r)) {
            Ok(addr) => {
                let _ = writeln!(out, "listening osc {addr}");
            }
            Err(e) => {
                eprintln!("patter serve: cannot take OSC on UDP port {port}: {e}");
                shared.session().shutdown();
                return ExitCode::FAILURE;
            }
        }
    }
    let _ = out.flush();
    drop(out);
    eprintln!(
        "patter serve: engine running on {sinks}; protocol {PROTOCOL_VERSION}; session saved to {} — Ctrl-C to stop",
        state_file.display()
    );

    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    if ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).is_err() {
        eprintln!("patter serve: cannot catch Ctrl-C");
    }
    let mut last_save = Instant::now();
    while !interrupted.load(Ordering::SeqCst) {
        std::thread::sleep(TICK);
        for n in shared.session().take_notices() {
            if let patter_runtime::Notice::Muted { player, beat } = n {
                eprintln!("patter serve: player `{player}` produced too many events at beat {beat} and was muted; the others play on");
            }
        }
        if last_save.elapsed() >= SAVE_EVERY {
            shared.save();
            last_save = Instant::now();
        }
    }
    shared.stop.store(true, Ordering::SeqCst);
    shared.save();
    shared.session().shutdown();
    #[cfg(unix)]
    if let Some(path) = socket {
        let _ = std::fs::remove_file(path);
    }
    eprintln!(
        "patter serve: stopped; the session is in {}",
        state_file.display()
    );
    ExitCode::SUCCESS
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) {
    if let Err(e) = std::thread::Builder::new().name(name.into()).spawn(f) {
        eprintln!("patter serve: cannot start a thread: {e}");
    }
}

fn accept_tcp(listener: TcpListener, shared: Arc<Shared>, allow_remote: bool) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(conn) = conn else { continue };
        let Ok(peer) = conn.peer_addr() else { continue };
        let local = peer.ip().is_loopback();
        let _ = conn.set_nodelay(true);
        let mut stream = Stream::Tcp(conn);
        if !local && !allow_remote {
            // Only reachable when listening on a wildcard address with --allow-remote
            // off, which `run` refuses; kept as a second lock on the door.
            refuse(&mut stream, "remote_refused", "connections from other machines are refused (start the engine with --allow-remote)");
            continue;
        }
        attach(stream, peer.to_string(), !local, &shared);
    }
}

#[cfg(unix)]
fn accept_unix(listener: std::os::unix::net::UnixListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(conn) = conn else { continue };
        attach(Stream::Unix(conn), "unix socket".into(), false, &shared);
    }
}

fn refuse(stream: &mut Stream, code: &str, message: &str) {
    let _ = stream.set_timeouts(Some(TICK), Some(WRITE_TIMEOUT));
    let _ = stream.send_line(&error_reply(None, code, message));
    stream.shutdown();
}

fn attach(mut stream: Stream, peer: String, remote: bool, shared: &Arc<Shared>) {
    if shared.clients.fetch_add(1, Ordering::SeqCst) >= MAX_CLIENTS {
        shared.clients.fetch_sub(1, Ordering::SeqCst);
        refuse(&mut stream, "busy", "too many clients are attached");
        return;
    }
    let s = shared.clone();
    let started = std::thread::Builder::new()
        .name("patter-client".into())
        .spawn(move || {
            serve_client(stream, &peer, remote, &s);
            s.clients.fetch_sub(1, Ordering::SeqCst);
        });
    if started.is_err() {
        shared.clients.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One client's connection, until it closes, misbehaves or the service stops.
fn serve_client(mut stream: Stream, peer: &str, remote: bool, shared: &Shared) {
    if stream
        .set_timeouts(Some(TICK), Some(WRITE_TIMEOUT))
        .is_err()
    {
        return;
    }
    let mut reader = LineReader::default();
    let mut partial_since: Option<Instant> = None;
    let mut subscription: Option<(Duration, Instant)> = None;
    let mut bad_in_a_row = 0usize;
    let why = loop {
        if shared.stop.load(Ordering::SeqCst) {
            break "the engine is stopping";
        }
        if let Some((every, next)) = subscription {
            if Instant::now() >= next {
                if stream.send_line(&metrics_push(shared)).is_err() {
                    break "it stopped reading";
                }
                subscription = Some((every, next + every));
            }
        }
        match reader.poll(&mut stream) {
            Poll::Line(line) => {
                partial_since = None;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let (id, parsed) = parse_request(&line);
                let reply = match parsed {
                    Err(bad) => {
                        bad_in_a_row += 1;
                        error_reply(id, bad.code, &bad.message)
                    }
                    Ok(incoming) => {
                        bad_in_a_row = 0;
                        let mut reply = handle(incoming, remote, shared, &mut subscription);
                        with_id(&mut reply, id);
                        reply
                    }
                };
                if stream.send_line(&reply).is_err() {
                    break "it stopped reading";
                }
                if bad_in_a_row >= MAX_BAD_IN_A_ROW {
                    let _ = stream.send_line(&error_reply(
                        None,
                        "too_many_errors",
                        "too many bad requests in a row; closing",
                    ));
                    break "too many bad requests";
                }
            }
            Poll::Idle { partial: false } => partial_since = None,
            Poll::Idle { partial: true } => {
                let since = *partial_since.get_or_insert_with(Instant::now);
                if since.elapsed() > PARTIAL_LINE_TIMEOUT {
                    let _ = stream.send_line(&error_reply(
                        None,
                        "timeout",
                        "a request line took too long to arrive; closing",
                    ));
                    break "a line took too long";
                }
            }
            Poll::TooLong => {
                let _ = stream.send_line(&error_reply(
                    None,
                    "too_long",
                    "a request line is at most 1 MiB; closing",
                ));
                break "a line was too long";
            }
            Poll::Closed => break "it closed the connection",
        }
    };
    stream.shutdown();
    if why != "it closed the connection" {
        eprintln!("patter serve: dropped a client ({peer}): {why}");
    }
}

fn metrics_push(shared: &Shared) -> Value {
    let (transport, stats) = {
        let mut s = shared.session();
        (s.request(Request::Transport), s.request(Request::Stats))
    };
    let field = |r: Response| {
        let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("reply");
        }
        v
    };
    serde_json::json!({
        "push": "metrics",
        "transport": field(transport),
        "stats": field(stats),
    })
}

/// True for requests after which the saved session may be stale.
fn changes_state(r: &Request) -> bool {
    !matches!(
        r,
        Request::Players
            | Request::Stats
            | Request::Show { .. }
            | Request::Sinks
            | Request::Transport
            | Request::Snapshot
            | Request::Docs
    )
}

/// The file a request makes the engine write where the client says (a recording).
fn written_file(r: &Request) -> Option<&str> {
    match r {
        Request::Record { path } => path.as_deref(),
        Request::AddSink { spec, .. } => spec.strip_prefix("smf:"),
        _ => None,
    }
}

fn writes_files(r: &Request) -> bool {
    written_file(r).is_some()
}

/// Any local user can reach a loopback port, so files the engine writes for a client keep
/// the extension of their kind: a client cannot aim a recording at `~/.bashrc`.
pub fn has_extension(path: &str, allowed: &[&str]) -> bool {
    Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| allowed.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

fn handle(
    incoming: Incoming,
    remote: bool,
    shared: &Shared,
    subscription: &mut Option<(Duration, Instant)>,
) -> Value {
    match incoming {
        Incoming::Session(request) => {
            if remote && writes_files(&request) {
                return error_reply(
                    None,
                    "remote_refused",
                    "clients on other machines cannot make the engine write files",
                );
            }
            if let Some(path) = written_file(&request) {
                if !has_extension(path, &["mid", "midi", "smf"]) {
                    return error_reply(
                        None,
                        "bad_arguments",
                        "the engine writes recordings only to .mid files",
                    );
                }
            }
            let save = changes_state(&request);
            let response = shared.session().request(request);
            let ok = match &response {
                Response::Eval(e) => e.ok,
                Response::Error { .. } => false,
                _ => true,
            };
            if save && ok {
                shared.save();
            }
            serde_json::to_value(response)
                .unwrap_or_else(|e| error_reply(None, "internal", &e.to_string()))
        }
        Incoming::Service(ServiceRequest::Hello { protocol, client }) => {
            if protocol == Some(0) {
                return error_reply(None, "version", "protocol versions start at 1");
            }
            if let Some(c) = client {
                eprintln!(
                    "patter serve: {} attached",
                    c.chars().take(64).collect::<String>()
                );
            }
            let session = shared.session().engine().transport().session;
            let commands: Vec<&str> = SESSION_COMMANDS
                .iter()
                .chain(SERVICE_COMMANDS)
                .copied()
                .collect();
            serde_json::json!({
                "reply": "hello",
                "protocol": PROTOCOL_VERSION,
                "server": format!("patter {}", env!("CARGO_PKG_VERSION")),
                "session": session,
                "commands": commands,
            })
        }
        Incoming::Service(ServiceRequest::Subscribe { interval_ms }) => {
            let ms = interval_ms.unwrap_or(500);
            if !(100..=10_000).contains(&ms) {
                return error_reply(None, "bad_arguments", "interval_ms is 100 to 10000");
            }
            let every = Duration::from_millis(ms);
            *subscription = Some((every, Instant::now() + every));
            serde_json::json!({ "reply": "done", "message": format!("metrics every {ms} ms") })
        }
        Incoming::Service(ServiceRequest::Unsubscribe) => {
            *subscription = None;
            serde_json::json!({ "reply": "done", "message": "no more metrics" })
        }
        Incoming::Service(ServiceRequest::Instruments) => serde_json::json!({
            "reply": "instruments",
            "instruments": offline::INSTRUMENTS,
        }),
        Incoming::Service(ServiceRequest::Render(req)) => match offline::render(&req, !remote) {
            Ok(r) => {
                let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert("reply".into(), "rendered".into());
                }
                v
            }
            Err(message) => error_reply(None, "render", &message),
        },
    }
}

/// Bind a Unix socket readable and writable by its owner only. The socket is bound under a
/// temporary name, restricted, then renamed into place, so no client ever reaches it
/// while it is open to others.
#[cfg(unix)]
fn bind_unix(path: &Path) -> Result<std::os::unix::net::UnixListener, String> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    use std::os::unix::net::{UnixListener, UnixStream};
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(format!(
                "{} exists and is not a socket; choose another --socket path",
                path.display()
            ));
        }
        if UnixStream::connect(path).is_ok() {
            return Err(format!(
                "another engine is listening on {} (`patter send --connect unix:{}` talks to it)",
                path.display(),
                path.display()
            ));
        }
        // Left behind by an engine that crashed.
        std::fs::remove_file(path)
            .map_err(|e| format!("cannot remove the stale socket {}: {e}", path.display()))?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "patter.sock".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let listener = UnixListener::bind(&tmp)
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    let placed = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("cannot listen on {}: {e}", path.display()));
    }
    Ok(listener)
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("patter serve: {msg}\n{USAGE}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn atomic_writes_replace_whole_files() {
        let dir = std::env::temp_dir().join(format!("patter-save-{}", std::process::id()));
        let path = dir.join("nested/session.json");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn read_only_requests_do_not_save() {
        assert!(!changes_state(&Request::Transport));
        assert!(changes_state(&Request::Hush));
        assert!(writes_files(&Request::Record {
            path: Some("/etc/x.mid".into())
        }));
        assert!(writes_files(&Request::AddSink {
            spec: "smf:/x.mid".into(),
            latency: 0.0
        }));
        assert!(!writes_files(&Request::Record { path: None }));
        assert!(has_extension("take1.MID", &["mid"]));
        assert!(!has_extension("/home/me/.bashrc", &["mid"]));
        assert!(!has_extension("notes.mid.sh", &["mid"]));
    }
}
