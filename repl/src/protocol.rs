//! The engine service's wire protocol (docs/protocol.md): JSON lines over TCP or a Unix
//! socket, shared by `patter serve` and its clients (`patter send`, `patter repl --connect`).
//!
//! A request is one JSON object on one line with a `cmd` field (the session's [`Request`]s,
//! plus the service's own `hello`, `subscribe`, `unsubscribe`, `instruments`, `render`) and
//! an optional `id` echoed in the reply. A reply is one line with a `reply` field; pushes
//! (metrics for subscribers) carry `push` instead, so a client tells them apart without
//! tracking state. Lines are bounded ([`MAX_LINE`]); the reader here never holds more.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::session::Request;

/// The protocol's version; `hello` reports it and refuses clients that need a newer one.
pub const PROTOCOL_VERSION: u32 = 1;

/// Longest request or reply line, in bytes (a live set's file is a few KB).
pub const MAX_LINE: usize = 1024 * 1024;

/// Where `patter serve` listens by default and clients connect by default.
pub const DEFAULT_PORT: u16 = 57140;

/// Requests the service answers itself (not the session's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum ServiceRequest {
    /// Version handshake.
    Hello {
        /// The newest protocol version the client speaks.
        #[serde(default)]
        protocol: Option<u32>,
        /// The client's name, for the server's log.
        #[serde(default)]
        client: Option<String>,
    },
    /// Push metrics and the transport every `interval_ms` (100–10000, default 500).
    Subscribe {
        /// Milliseconds between pushes.
        #[serde(default)]
        interval_ms: Option<u64>,
    },
    /// Stop pushing.
    Unsubscribe,
    /// The built-in synth's instruments and the keys they read.
    Instruments,
    /// Render a program offline to a file (the engine plays on undisturbed).
    Render(RenderRequest),
}

/// An offline render.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenderRequest {
    /// The program's text.
    pub source: String,
    /// Name it compiles under (imports are relative to it); default `render.pat` here.
    #[serde(default)]
    pub doc: Option<String>,
    /// Length in beats.
    #[serde(default)]
    pub beats: Option<f64>,
    /// Length in bars (cycles of the program).
    #[serde(default)]
    pub bars: Option<f64>,
    /// `wav` (the built-in synth) or `mid` (a Standard MIDI File).
    pub format: String,
    /// Where to write (local clients only); default a new file in the temp directory.
    #[serde(default)]
    pub path: Option<String>,
    /// Sample rate for `wav` (default 48000).
    #[serde(default)]
    pub rate: Option<u32>,
}

/// One parsed request line.
#[derive(Debug)]
pub enum Incoming {
    /// For the session.
    Session(Request),
    /// For the service.
    Service(ServiceRequest),
}

/// Why a line could not be understood: the code and the message of an error reply.
#[derive(Debug, PartialEq)]
pub struct BadRequest {
    /// `bad_json`, `not_utf8`, `unknown_command`, `bad_arguments`.
    pub code: &'static str,
    /// For the person reading the client's log.
    pub message: String,
}

/// Parse one request line; returns its `id` (if any) either way.
pub fn parse_request(line: &[u8]) -> (Option<Value>, Result<Incoming, BadRequest>) {
    let bad = |code, message: String| Err(BadRequest { code, message });
    let Ok(text) = std::str::from_utf8(line) else {
        return (None, bad("not_utf8", "a request is UTF-8 JSON".into()));
    };
    let mut value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return (
                None,
                bad(
                    "bad_json",
                    format!("a request is one JSON object per line: {e}"),
                ),
            )
        }
    };
    let Some(obj) = value.as_object_mut() else {
        return (None, bad("bad_json", "a request is a JSON object".into()));
    };
    let id = obj.remove("id");
    let cmd = match obj.get("cmd") {
        Some(Value::String(c)) => c.clone(),
        _ => {
            return (
                id,
                bad("bad_json", "a request needs a \"cmd\" string".into()),
            )
        }
    };
    if SERVICE_COMMANDS.contains(&cmd.as_str()) {
        return match serde_json::from_value::<ServiceRequest>(value) {
            Ok(r) => (id, Ok(Incoming::Service(r))),
            Err(e) => (id, bad("bad_arguments", format!("`{cmd}`: {e}"))),
        };
    }
    if !SESSION_COMMANDS.contains(&cmd.as_str()) {
        return (
            id,
            bad(
                "unknown_command",
                format!(
                    "unknown command `{}`; send {{\"cmd\":\"hello\"}} for the list",
                    cmd.chars().take(64).collect::<String>()
                ),
            ),
        );
    }
    match serde_json::from_value::<Request>(value) {
        Ok(r) => (id, Ok(Incoming::Session(r))),
        Err(e) => (id, bad("bad_arguments", format!("`{cmd}`: {e}"))),
    }
}

/// The service's own commands.
pub const SERVICE_COMMANDS: &[&str] =
    &["hello", "subscribe", "unsubscribe", "instruments", "render"];

/// The session's commands, as the service carries them.
pub const SESSION_COMMANDS: &[&str] = &[
    "eval",
    "tempo",
    "tap",
    "play",
    "pause",
    "stop",
    "stop_players",
    "seek",
    "loop",
    "hush",
    "panic",
    "mute",
    "solo",
    "players",
    "stats",
    "show",
    "sinks",
    "add_sink",
    "remove_sink",
    "set_latency",
    "record",
    "transport",
    "snapshot",
    "docs",
    "launch",
    "scenes",
    "set",
    "midi",
];

/// An error reply line's value.
pub fn error_reply(id: Option<Value>, code: &str, message: &str) -> Value {
    let mut v = serde_json::json!({ "reply": "error", "code": code, "message": message });
    with_id(&mut v, id);
    v
}

/// Put the request's `id` into a reply.
pub fn with_id(reply: &mut Value, id: Option<Value>) {
    if let (Some(id), Some(obj)) = (id, reply.as_object_mut()) {
        obj.insert("id".into(), id);
    }
}

/// What [`LineReader::poll`] found.
#[derive(Debug, PartialEq)]
pub enum Poll {
    /// A whole line (without its newline).
    Line(Vec<u8>),
    /// Nothing yet (the read timed out); `partial` is true while part of a line waits.
    Idle {
        /// Bytes of an unfinished line are buffered.
        partial: bool,
    },
    /// The line grew past [`MAX_LINE`] without a newline.
    TooLong,
    /// The peer closed the connection (or it failed).
    Closed,
}

/// Reads newline-terminated lines from a stream with a read timeout, holding at most
/// [`MAX_LINE`] bytes of an unfinished line.
pub struct LineReader {
    buf: Vec<u8>,
    /// Bytes of `buf` already searched for a newline.
    scanned: usize,
    limit: usize,
}

impl Default for LineReader {
    fn default() -> Self {
        LineReader::new(MAX_LINE)
    }
}

impl LineReader {
    /// A reader refusing lines longer than `limit` bytes.
    pub fn new(limit: usize) -> LineReader {
        LineReader {
            buf: Vec::new(),
            scanned: 0,
            limit,
        }
    }

    /// The next line, or why there is none yet. Reads at most once, so a client that
    /// trickles bytes still comes back here between reads (its caller times the partial
    /// line out). `stream` should have a read timeout.
    pub fn poll(&mut self, stream: &mut impl Read) -> Poll {
        if let Some(found) = self.take_line() {
            return found;
        }
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => return Poll::Closed,
                Ok(n) => {
                    self.buf
                        .extend_from_slice(chunk.get(..n).unwrap_or_default());
                    break;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Poll::Idle {
                        partial: !self.buf.is_empty(),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Poll::Closed,
            }
        }
        self.take_line().unwrap_or(Poll::Idle {
            partial: !self.buf.is_empty(),
        })
    }

    /// A buffered line, or `TooLong` when the line (finished or not) passes the limit.
    fn take_line(&mut self) -> Option<Poll> {
        let rest = self.buf.get(self.scanned..)?;
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let end = self.scanned + i;
                self.scanned = 0;
                if end > self.limit {
                    self.buf = Vec::new();
                    return Some(Poll::TooLong);
                }
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                Some(Poll::Line(line))
            }
            None if self.buf.len() > self.limit => {
                self.buf = Vec::new();
                self.scanned = 0;
                Some(Poll::TooLong)
            }
            None => {
                self.scanned = self.buf.len();
                None
            }
        }
    }
}

/// Where a service listens or a client connects.
#[derive(Clone, Debug, PartialEq)]
pub enum Endpoint {
    /// TCP.
    Tcp(SocketAddr),
    /// A Unix socket path.
    Unix(PathBuf),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(a) => write!(f, "{a}"),
            Endpoint::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

impl Endpoint {
    /// `HOST:PORT`, a bare port (loopback), `unix:PATH`, or a path with a `/`.
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        if let Some(path) = text.strip_prefix("unix:") {
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        if text.contains('/') {
            return Ok(Endpoint::Unix(PathBuf::from(text)));
        }
        if let Ok(port) = text.parse::<u16>() {
            return Ok(Endpoint::Tcp(SocketAddr::from(([127, 0, 0, 1], port))));
        }
        text.to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .map(Endpoint::Tcp)
            .ok_or_else(|| {
                format!("`{text}` is not an address: give HOST:PORT, a port, or unix:PATH")
            })
    }

    /// The default: `$PATTER_CONNECT`, else 127.0.0.1:57140.
    pub fn default_client() -> Result<Endpoint, String> {
        match std::env::var("PATTER_CONNECT") {
            Ok(a) if !a.is_empty() => Endpoint::parse(&a),
            _ => Ok(Endpoint::Tcp(SocketAddr::from((
                [127, 0, 0, 1],
                DEFAULT_PORT,
            )))),
        }
    }

    /// Connect with a timeout; the stream gets `io_timeout` for reads and writes.
    pub fn connect(&self, io_timeout: Duration) -> io::Result<Stream> {
        let stream = match self {
            Endpoint::Tcp(addr) => {
                let s = TcpStream::connect_timeout(addr, Duration::from_secs(2))?;
                s.set_nodelay(true)?;
                Stream::Tcp(s)
            }
            #[cfg(unix)]
            Endpoint::Unix(path) => Stream::Unix(std::os::unix::net::UnixStream::connect(path)?),
            #[cfg(not(unix))]
            Endpoint::Unix(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "Unix sockets need a Unix system",
                ))
            }
        };
        stream.set_timeouts(Some(io_timeout), Some(io_timeout))?;
        Ok(stream)
    }
}

/// A connected socket of either kind.
pub enum Stream {
    /// TCP.
    Tcp(TcpStream),
    /// Unix.
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

impl Stream {
    /// Read and write timeouts.
    pub fn set_timeouts(&self, read: Option<Duration>, write: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(read)?;
                s.set_write_timeout(write)
            }
            #[cfg(unix)]
            Stream::Unix(s) => {
                s.set_read_timeout(read)?;
                s.set_write_timeout(write)
            }
        }
    }

    /// Close both directions (unblocks a peer waiting on us).
    pub fn shutdown(&self) {
        match self {
            Stream::Tcp(s) => {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            #[cfg(unix)]
            Stream::Unix(s) => {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    /// Write one value as a line.
    pub fn send_line(&mut self, value: &Value) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(value).map_err(io::Error::other)?;
        bytes.push(b'\n');
        self.write_all(&bytes)?;
        self.flush()
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            #[cfg(unix)]
            Stream::Unix(s) => s.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn requests_parse_with_their_ids() {
        let (id, r) =
            parse_request(br#"{"id": 7, "cmd": "eval", "doc": "repl", "source": "tempo 90"}"#);
        assert_eq!(id, Some(Value::from(7)));
        assert!(matches!(r, Ok(Incoming::Session(Request::Eval { .. }))));
        let (_, r) = parse_request(br#"{"cmd": "subscribe", "interval_ms": 200}"#);
        assert!(matches!(
            r,
            Ok(Incoming::Service(ServiceRequest::Subscribe {
                interval_ms: Some(200)
            }))
        ));
        let (_, r) =
            parse_request(br#"{"cmd": "render", "source": "x", "format": "wav", "beats": 4}"#);
        assert!(matches!(
            r,
            Ok(Incoming::Service(ServiceRequest::Render(_)))
        ));
    }

    #[test]
    fn bad_lines_get_codes() {
        let code = |line: &[u8]| parse_request(line).1.err().map(|e| e.code);
        assert_eq!(code(b"\xff\xfe"), Some("not_utf8"));
        assert_eq!(code(b"hello"), Some("bad_json"));
        assert_eq!(code(b"[1,2]"), Some("bad_json"));
        assert_eq!(code(br#"{"cmd": 3}"#), Some("bad_json"));
        assert_eq!(
            code(br#"{"cmd": "launch_missiles"}"#),
            Some("unknown_command")
        );
        assert_eq!(code(br#"{"cmd": "tempo"}"#), Some("bad_arguments"));
        assert_eq!(
            code(br#"{"cmd": "seek", "beat": "x"}"#),
            Some("bad_arguments")
        );
        // The id comes back even when the command is wrong, so the client can match it.
        assert_eq!(
            parse_request(br#"{"id": "a", "cmd": "nope"}"#).0,
            Some(Value::from("a"))
        );
    }

    #[test]
    fn every_session_command_is_listed() {
        // A request of each kind, serialized, must carry a listed command name.
        use crate::session::ShowWhat;
        let all = [
            Request::Eval {
                doc: "d".into(),
                source: String::new(),
                color: false,
            },
            Request::Tempo {
                bpm: 1.0,
                ramp: None,
            },
            Request::Tap,
            Request::Play,
            Request::Pause,
            Request::Stop,
            Request::StopPlayers { players: vec![] },
            Request::Seek { beat: 0.0 },
            Request::Loop { range: None },
            Request::Hush,
            Request::Panic,
            Request::Mute {
                player: "p".into(),
                on: true,
            },
            Request::Solo { players: vec![] },
            Request::Players,
            Request::Stats,
            Request::Show {
                what: ShowWhat::Ast,
                player: "p".into(),
            },
            Request::Sinks,
            Request::AddSink {
                spec: "null".into(),
                latency: 0.0,
            },
            Request::RemoveSink { name: "n".into() },
            Request::SetLatency {
                name: "n".into(),
                seconds: 0.0,
            },
            Request::Record { path: None },
            Request::Transport,
            Request::Snapshot,
            Request::Docs,
            Request::Launch { scene: "s".into() },
            Request::Scenes,
            Request::Set {
                player: "p".into(),
                key: "amp".into(),
                value: "0.5".into(),
            },
            Request::Midi,
        ];
        assert_eq!(all.len(), SESSION_COMMANDS.len());
        for r in all {
            let v = serde_json::to_value(&r).unwrap();
            let cmd = v["cmd"].as_str().unwrap().to_string();
            assert!(SESSION_COMMANDS.contains(&cmd.as_str()), "{cmd}");
            let line = serde_json::to_vec(&v).unwrap();
            assert!(matches!(parse_request(&line).1, Ok(Incoming::Session(back)) if back == r));
        }
    }

    #[test]
    fn line_reader_bounds_lines() {
        let mut r = LineReader::new(8);
        let mut input: &[u8] = b"ab\r\ncd\nefghijklmnop\n";
        assert_eq!(r.poll(&mut input), Poll::Line(b"ab".to_vec()));
        assert_eq!(r.poll(&mut input), Poll::Line(b"cd".to_vec()));
        assert_eq!(r.poll(&mut input), Poll::TooLong);
        let mut r = LineReader::new(8);
        let mut input: &[u8] = b"abc";
        assert_eq!(r.poll(&mut input), Poll::Idle { partial: true });
        assert_eq!(r.poll(&mut input), Poll::Closed);
        let mut r = LineReader::new(8);
        let mut input: &[u8] = b"0123456789abc";
        assert_eq!(r.poll(&mut input), Poll::TooLong);
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            Endpoint::parse("57141").unwrap(),
            Endpoint::Tcp("127.0.0.1:57141".parse().unwrap())
        );
        assert_eq!(
            Endpoint::parse("unix:/tmp/p.sock").unwrap(),
            Endpoint::Unix("/tmp/p.sock".into())
        );
        assert_eq!(
            Endpoint::parse("./p.sock").unwrap(),
            Endpoint::Unix("./p.sock".into())
        );
        assert!(Endpoint::parse("no such thing").is_err());
    }
}
