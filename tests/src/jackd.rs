//! A JACK dummy server for tests: started under a unique name, stopped on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `jackd -d dummy` owned by a test.
pub struct JackServer {
    child: Child,
    /// The server name (set `JACK_DEFAULT_SERVER` to it, or pass it to clients).
    pub name: String,
}

impl JackServer {
    /// Start a dummy server at `rate` Hz with `period` frames; `None` when jackd is not
    /// installed or does not come up within 10 s.
    pub fn start(tag: &str, rate: u32, period: u32) -> Option<JackServer> {
        JackServer::start_named(
            &format!("patter-{tag}-{}", std::process::id()),
            rate,
            period,
        )
    }

    /// Start a dummy server called `name` (to bring a stopped server back under its name).
    pub fn start_named(name: &str, rate: u32, period: u32) -> Option<JackServer> {
        JackServer::start_with(name, rate, period, false)
    }

    /// Start a dummy server whose process threads (its clients' too) run with real-time
    /// priority where the system grants it (root does): audio tests that measure exact
    /// frames need cycles that other processes on a busy machine cannot delay. Falls back to
    /// an ordinary server when real-time scheduling is refused.
    pub fn start_realtime(tag: &str, rate: u32, period: u32) -> Option<JackServer> {
        let name = format!("patter-{tag}-{}", std::process::id());
        JackServer::start_with(&name, rate, period, true)
            .or_else(|| JackServer::start_with(&name, rate, period, false))
    }

    /// Freeze the server for `d` (SIGSTOP, then SIGCONT): every client misses the cycles
    /// of that time, and the dummy driver's frame count falls behind its clock by it, as a
    /// real server's does after an xrun.
    pub fn stall(&self, d: Duration) {
        let pid = self.child.id().to_string();
        let signal = |sig: &str| {
            Command::new("kill")
                .args([sig, &pid])
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        };
        if signal("-STOP") {
            std::thread::sleep(d);
            signal("-CONT");
        }
    }

    fn start_with(name: &str, rate: u32, period: u32, realtime: bool) -> Option<JackServer> {
        let name = name.to_string();
        let child = Command::new("jackd")
            .args([
                "-n",
                &name,
                if realtime { "-R" } else { "-r" },
                "-d",
                "dummy",
                "-r",
                &rate.to_string(),
                "-p",
                &period.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = JackServer { child, name };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let ok = Command::new("jack_lsp")
                .env("JACK_DEFAULT_SERVER", &server.name)
                .env("JACK_NO_START_SERVER", "1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

impl Drop for JackServer {
    fn drop(&mut self) {
        // SIGTERM first: a server killed outright leaves its entry in JACK's shared-memory
        // registry, and after a few of those no new server can start.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
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
