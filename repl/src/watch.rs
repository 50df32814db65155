//! Hot reload: re-evaluate a file in the session whenever it (or a file it imports) is saved.
//!
//! The watch is on the file's directory, not the file: editors such as vim save by writing
//! a new file and renaming it over the old one, which kills a watch on the file itself. A
//! burst of events (write, close, rename, attribute changes) is coalesced: evaluation waits
//! until the directory has been quiet for [`DEBOUNCE`], or happens at once when an event
//! says the save is complete (the writer closed the file, or a finished file was renamed
//! onto it). A later event of the same burst finds the text unchanged. A save that changes nothing (same
//! text in the file and every import) evaluates nothing. A save with errors prints its
//! diagnostics and the last good version keeps playing (the session guarantees it).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};
use notify::{RecursiveMode, Watcher as _};

use crate::repl::SharedBackend;
use crate::session::{EvalReply, Request, Response};

/// Quiet time that ends a burst of file-system events.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// Longest a burst may keep postponing the evaluation (a file written continuously).
const MAX_BURST: Duration = Duration::from_millis(1000);

/// What the watcher tells its owner.
pub enum WatchEvent {
    /// The file was evaluated.
    Evaluated {
        /// The reply.
        reply: EvalReply,
        /// Time from the last file-system event of the save to the reply: the debounce
        /// wait, reading the files and the evaluation.
        took: Duration,
    },
    /// Something to say (the file vanished, a directory cannot be watched).
    Message(String),
    /// A save left the text of the file and its imports as it was: nothing evaluated.
    Unchanged,
}

/// A running watch; dropping it stops it.
pub struct Watch {
    /// The file, as given.
    pub path: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The directory entry a path names, made absolute through its (canonical) directory, so
/// event paths and watched paths compare equal even while the file itself is missing.
fn entry_path(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some(std::fs::canonicalize(&dir).ok()?.join(name))
}

/// Watch `path` and evaluate it in `session` now and after every change. `report` hears
/// every evaluation (on the watcher's thread).
pub fn start(
    session: SharedBackend,
    path: &str,
    color: bool,
    mut report: Box<dyn FnMut(WatchEvent) + Send>,
) -> Result<Watch, String> {
    let main = entry_path(Path::new(path)).ok_or_else(|| format!("cannot watch {path}"))?;
    if !main.is_file() {
        return Err(format!("{path} is not a file"));
    }
    let (tx, rx) = channel();
    let mut watcher =
        notify::recommended_watcher(tx).map_err(|e| format!("cannot watch files here: {e}"))?;
    let dir = main.parent().map(Path::to_path_buf).unwrap_or_default();
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread_stop = stop.clone();
    let doc = path.to_string();
    let thread = std::thread::Builder::new()
        .name("patter-watch".into())
        .spawn(move || {
            let mut state = State {
                doc,
                main,
                imports: Vec::new(),
                dirs: HashSet::from([dir]),
                seen: HashMap::new(),
                missing_reported: false,
            };
            state.evaluate(&session, color, Instant::now(), &mut report, &mut watcher);
            while !thread_stop.load(Ordering::Acquire) {
                let event = match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(e) => e,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                let mut touch = state.classify(&event);
                if touch == Touch::No {
                    continue;
                }
                // Coalesce the burst: wait for a quiet spell, unless the save is known to
                // be complete.
                let first = Instant::now();
                let mut last = first;
                while touch != Touch::Finished && first.elapsed() < MAX_BURST {
                    match rx.recv_timeout(DEBOUNCE) {
                        Ok(e) => {
                            let t = state.classify(&e);
                            if t != Touch::No {
                                last = Instant::now();
                                touch = t;
                            }
                        }
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                state.evaluate(&session, color, last, &mut report, &mut watcher);
            }
        })
        .map_err(|e| format!("cannot start the watcher: {e}"))?;
    Ok(Watch {
        path: path.to_string(),
        stop,
        thread: Some(thread),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Touch {
    /// Not about our files.
    No,
    /// Our file changed; more may follow.
    Partial,
    /// A save of our file is complete.
    Finished,
}

struct State {
    doc: String,
    main: PathBuf,
    imports: Vec<PathBuf>,
    dirs: HashSet<PathBuf>,
    /// The text of each file at the last evaluation.
    seen: HashMap<PathBuf, String>,
    missing_reported: bool,
}

impl State {
    /// Whether an event touches a watched file, and whether it ends a save.
    fn classify(&self, event: &notify::Result<notify::Event>) -> Touch {
        let Ok(event) = event else {
            return Touch::No;
        };
        let ours = |p: &PathBuf| *p == self.main || self.imports.contains(p);
        match event.kind {
            // The writer closed the file, or a finished file was renamed onto ours: the
            // save is complete, no need to wait for quiet.
            EventKind::Access(AccessKind::Close(AccessMode::Write))
                if event.paths.iter().any(ours) =>
            {
                Touch::Finished
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
                if event.paths.last().is_some_and(ours) =>
            {
                Touch::Finished
            }
            // Our own reads show up as accesses.
            EventKind::Access(_) => Touch::No,
            _ if event.paths.iter().any(ours) => Touch::Partial,
            _ => Touch::No,
        }
    }

    fn read(path: &Path) -> Option<String> {
        crate::loader::read_program(&path.display().to_string()).ok()
    }

    fn evaluate(
        &mut self,
        session: &SharedBackend,
        color: bool,
        since: Instant,
        report: &mut Box<dyn FnMut(WatchEvent) + Send>,
        watcher: &mut notify::RecommendedWatcher,
    ) {
        let Some(text) = Self::read(&self.main) else {
            // Between the steps of a rename save the file may be briefly missing; the
            // rename's own event brings us back.
            if !self.missing_reported {
                self.missing_reported = true;
                report(WatchEvent::Message(format!(
                    "{} cannot be read now; waiting for it to come back",
                    self.doc
                )));
            }
            return;
        };
        self.missing_reported = false;
        let unchanged = self.seen.get(&self.main) == Some(&text)
            && self
                .imports
                .iter()
                .all(|p| Self::read(p).as_ref() == self.seen.get(p));
        if unchanged {
            report(WatchEvent::Unchanged);
            return;
        }
        let request = Request::Eval {
            doc: self.doc.clone(),
            source: text.clone(),
            color,
        };
        let response = match session.lock() {
            Ok(mut s) => s.request(request),
            Err(p) => p.into_inner().request(request),
        };
        let reply = match response {
            Response::Eval(r) => r,
            Response::Error { message } => {
                report(WatchEvent::Message(format!("{}: {message}", self.doc)));
                return;
            }
            _ => return,
        };
        let took = since.elapsed();
        self.seen.clear();
        self.seen.insert(self.main.clone(), text);
        self.imports = reply.imports.iter().map(PathBuf::from).collect();
        for p in self.imports.clone() {
            if let Some(t) = Self::read(&p) {
                self.seen.insert(p.clone(), t);
            }
            if let Some(dir) = p.parent() {
                if self.dirs.insert(dir.to_path_buf()) {
                    if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
                        report(WatchEvent::Message(format!(
                            "cannot watch {} for changes to imports: {e}",
                            dir.display()
                        )));
                    }
                }
            }
        }
        report(WatchEvent::Evaluated { reply, took });
    }
}

/// `patter play FILE --watch`: play the file and re-evaluate it on every save until Ctrl-C
/// (or `seconds`). A file that does not compile yet is reported and waited for.
pub fn play(
    file: &str,
    mut outputs: Vec<String>,
    seed: Option<u64>,
    latency: f64,
    seconds: Option<f64>,
    samples: Vec<std::path::PathBuf>,
    midi_in: Vec<patter_runtime::midi_in::InputSpec>,
) -> std::process::ExitCode {
    use crate::session::{Session, SessionConfig};
    if outputs.is_empty() {
        outputs = crate::play::default_outputs()
            .into_iter()
            .map(String::from)
            .collect();
    }
    let (mut session, mut problems) = Session::start(SessionConfig {
        seed,
        outputs,
        latency,
        samples,
        ..SessionConfig::default()
    });
    problems.extend(session.open_midi_inputs(
        &midi_in,
        Arc::new(|line: String| eprintln!("patter: {line}")),
    ));
    if !problems.is_empty() {
        for p in problems {
            eprintln!("patter play: {p}");
        }
        return std::process::ExitCode::FAILURE;
    }
    let names = session.sink_names().join(", ");
    let shared = Arc::new(std::sync::Mutex::new(session));
    let backend: SharedBackend = shared.clone();
    let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = Box::new(move |event: WatchEvent| match event {
        WatchEvent::Evaluated { reply, took } => {
            eprint!("{}", reply.rendered);
            eprintln!(
                "patter: {}: {} (evaluated in {:.2} ms, {:.1} ms after the save)",
                reply.doc,
                reply.summary(),
                reply.eval_us as f64 / 1000.0,
                took.as_secs_f64() * 1000.0
            );
        }
        WatchEvent::Message(m) => eprintln!("patter: {m}"),
        WatchEvent::Unchanged => {}
    });
    let watch = match start(backend, file, color, report) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("patter play: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    if ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).is_err() {
        eprintln!("patter play: cannot catch Ctrl-C; stop with --seconds");
    }
    eprintln!("patter: playing {file} on {names}, watching for saves — Ctrl-C to stop");
    let start = Instant::now();
    while !interrupted.load(Ordering::SeqCst)
        && seconds.is_none_or(|s| start.elapsed().as_secs_f64() < s)
    {
        std::thread::sleep(Duration::from_millis(20));
        let notices = match shared.lock() {
            Ok(mut s) => s.take_notices(),
            Err(_) => Vec::new(),
        };
        for n in notices {
            match n {
                patter_runtime::Notice::Muted { player, beat } => {
                    eprintln!("patter: player `{player}` produced too many events at beat {beat} and was muted; the others play on");
                }
                patter_runtime::Notice::Swapped {
                    player,
                    beat,
                    stopped,
                } => {
                    let what = if stopped { "stopped" } else { "swapped in" };
                    eprintln!("patter: {player} {what} at beat {beat}");
                }
            }
        }
    }
    drop(watch);
    let mut session = match shared.lock() {
        Ok(s) => s,
        Err(p) => p.into_inner(),
    };
    let metrics = session.engine().metrics();
    session.shutdown();
    for s in metrics.sinks {
        eprintln!("{}", crate::play::sink_summary(&s));
    }
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::session::Backend;
    use std::sync::mpsc::{Receiver, Sender};
    use std::sync::Mutex;

    /// Counts evaluations and accepts everything.
    struct Counting(Arc<Mutex<Vec<String>>>);

    impl Backend for Counting {
        fn request(&mut self, request: Request) -> Response {
            let Request::Eval { doc, source, .. } = request else {
                return Response::Done {
                    message: String::new(),
                };
            };
            self.0.lock().unwrap().push(source);
            let mut s = crate::session::Session::start(crate::session::SessionConfig {
                play: false,
                ..Default::default()
            })
            .0;
            Response::Eval(s.eval(&doc, ""))
        }
    }

    fn next(rx: &Receiver<&'static str>) -> &'static str {
        rx.recv_timeout(Duration::from_secs(10)).unwrap()
    }

    #[test]
    fn a_save_that_changes_nothing_evaluates_nothing() {
        let dir = std::env::temp_dir().join(format!("patter-watch-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("same.pat");
        std::fs::write(&file, "play a { degree: 0 }\n").unwrap();
        let sources = Arc::new(Mutex::new(Vec::new()));
        let backend: SharedBackend = Arc::new(Mutex::new(Counting(sources.clone())));
        let (tx, rx): (Sender<&'static str>, _) = channel();
        let tx = Mutex::new(tx);
        let watch = start(
            backend,
            &file.display().to_string(),
            false,
            Box::new(move |e| {
                let what = match e {
                    WatchEvent::Evaluated { .. } => "evaluated",
                    WatchEvent::Unchanged => "unchanged",
                    WatchEvent::Message(_) => "message",
                };
                let _ = tx.lock().unwrap().send(what);
            }),
        )
        .unwrap();
        assert_eq!(next(&rx), "evaluated");
        std::fs::write(&file, "play a { degree: 0 }\n").unwrap();
        assert_eq!(next(&rx), "unchanged");
        std::fs::write(&file, "play a { degree: 1 }\n").unwrap();
        assert_eq!(next(&rx), "evaluated");
        drop(watch);
        assert_eq!(
            *sources.lock().unwrap(),
            vec!["play a { degree: 0 }\n", "play a { degree: 1 }\n"]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
