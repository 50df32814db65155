//! Booting and stopping `scsynth` or `supernova`, and reading what they print.
//!
//! The server's output is read on a thread of its own: the lines are kept (the last few
//! hundred) and the `late` warnings it prints for bundles that arrived after their time are
//! counted, so tests and users can see whether anything played late.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::osc::OscWriter;

/// Which server program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    /// `scsynth`, the classic single-threaded server.
    Scsynth,
    /// `supernova`, the multi-threaded one (parallel groups run on several cores).
    Supernova,
}

impl ServerKind {
    /// The program's usual name.
    pub fn program(self) -> &'static str {
        match self {
            ServerKind::Scsynth => "scsynth",
            ServerKind::Supernova => "supernova",
        }
    }
}

/// How to boot a server.
#[derive(Clone, Debug)]
pub struct BootOptions {
    /// scsynth or supernova.
    pub kind: ServerKind,
    /// The executable (default: the kind's name, found on `PATH`).
    pub program: Option<PathBuf>,
    /// UDP port.
    pub port: u16,
    /// Block size in samples (64 is SuperCollider's default).
    pub block_size: u32,
    /// Worker threads (supernova only; 0: its default, one per core).
    pub threads: u32,
    /// Output channels.
    pub outputs: u32,
    /// Extra environment (e.g. `JACK_DEFAULT_SERVER`, `SC_JACK_DEFAULT_OUTPUTS`).
    pub env: Vec<(String, String)>,
    /// How long to wait for the server to answer `/status`.
    pub timeout: Duration,
}

impl BootOptions {
    /// Defaults for `kind` on `port`.
    pub fn new(kind: ServerKind, port: u16) -> BootOptions {
        BootOptions {
            kind,
            program: None,
            port,
            block_size: 64,
            threads: 0,
            outputs: 2,
            env: Vec::new(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Lines a server printed, and how many were `late` warnings.
#[derive(Debug, Default)]
pub struct ServerLog {
    lines: Mutex<std::collections::VecDeque<String>>,
    late: AtomicU64,
}

/// Lines kept from a server's output.
const LOG_LINES: usize = 400;

impl ServerLog {
    fn push(&self, line: String) {
        // scsynth prints `late 0.056…`; supernova prints `late: …` in some versions.
        if line.trim_start().starts_with("late") {
            self.late.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut l) = self.lines.lock() {
            if l.len() >= LOG_LINES {
                l.pop_front();
            }
            l.push_back(line);
        }
    }

    /// `late` warnings printed so far.
    pub fn late(&self) -> u64 {
        self.late.load(Ordering::Relaxed)
    }

    /// The last lines printed.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }
}

fn read_lines(r: impl Read + Send + 'static, log: Arc<ServerLog>) {
    let _ = std::thread::Builder::new()
        .name("patter-sc-log".into())
        .spawn(move || {
            let mut r = BufReader::new(r);
            let mut buf = Vec::with_capacity(256);
            // Lines are bounded so a server printing without newlines cannot exhaust memory.
            while let Ok(n) = r.by_ref().take(4096).read_until(b'\n', &mut buf) {
                if n == 0 {
                    break;
                }
                log.push(String::from_utf8_lossy(&buf).trim_end().to_string());
                buf.clear();
            }
        });
}

/// A server process patter started; stopped (SIGTERM, then kill) when dropped.
pub struct ScServer {
    child: Child,
    kind: ServerKind,
    port: u16,
    log: Arc<ServerLog>,
}

impl ScServer {
    /// Start a server and wait until it answers `/status`.
    pub fn boot(opts: &BootOptions) -> Result<ScServer, String> {
        let program = opts
            .program
            .clone()
            .unwrap_or_else(|| PathBuf::from(opts.kind.program()));
        let mut cmd = Command::new(&program);
        cmd.args(["-u", &opts.port.to_string()])
            .args(["-z", &opts.block_size.clamp(1, 4096).to_string()])
            .args(["-i", "0"])
            .args(["-o", &opts.outputs.clamp(1, 1024).to_string()])
            .args(["-R", "0"]);
        if opts.kind == ServerKind::Supernova && opts.threads > 0 {
            cmd.args(["-T", &opts.threads.to_string()]);
        }
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| {
            format!(
                "cannot start `{}`: {e} (install it: apt-get install supercollider-server supercollider-supernova)",
                program.display()
            )
        })?;
        let log = Arc::new(ServerLog::default());
        if let Some(out) = child.stdout.take() {
            read_lines(out, log.clone());
        }
        if let Some(err) = child.stderr.take() {
            read_lines(err, log.clone());
        }
        let mut server = ScServer {
            child,
            kind: opts.kind,
            port: opts.port,
            log,
        };
        let deadline = Instant::now() + opts.timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "{} exited ({status}) while booting:\n{}",
                    program.display(),
                    server.log.lines().join("\n")
                ));
            }
            if probe(server.addr(), Duration::from_millis(200)) {
                return Ok(server);
            }
        }
        let lines = server.log.lines().join("\n");
        server.stop();
        Err(format!(
            "{} did not answer on UDP port {} within {:?}:\n{lines}",
            program.display(),
            opts.port,
            opts.timeout
        ))
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// scsynth or supernova.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// Its output so far.
    pub fn log(&self) -> Arc<ServerLog> {
        self.log.clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stop it: SIGTERM, then kill after 3 s.
    pub fn stop(&mut self) {
        if !self.is_running() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ScServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// True when a server at `addr` answers `/status` within `timeout`.
pub fn probe(addr: SocketAddr, timeout: Duration) -> bool {
    let Ok(sock) = UdpSocket::bind(("127.0.0.1", 0)) else {
        return false;
    };
    let _ = sock.set_read_timeout(Some(Duration::from_millis(50)));
    let mut w = OscWriter::with_capacity(64);
    w.start_message("/status");
    w.end_message();
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 1536];
    if sock.send_to(w.bytes(), addr).is_err() {
        std::thread::sleep(timeout.min(Duration::from_millis(50)));
        return false;
    }
    while Instant::now() < deadline {
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            if let Ok((_, rosc::OscPacket::Message(m))) =
                rosc::decoder::decode_udp(buf.get(..n).unwrap_or_default())
            {
                if m.addr == "/status.reply" {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_servers_late_lines_are_counted() {
        let log = ServerLog::default();
        log.push("late 0.056123456".into());
        log.push("late: 0.012".into());
        log.push("SuperCollider 3 server ready.".into());
        assert_eq!(log.late(), 2);
        for i in 0..LOG_LINES + 10 {
            log.push(format!("line {i}"));
        }
        assert_eq!(log.lines().len(), LOG_LINES);
    }
}
