//! Sample folders for the live synth, loaded on a thread of their own: never on the audio
//! callback, never on the scheduler.
//!
//! The scheduler side asks for a sound name it has no sample for ([`SampleRequests`], one
//! message per new name); `patter play` and the session ask for every name a program uses
//! before it plays. The loader indexes the sample roots, decodes the folders asked for (all
//! of them, at the stream's rate) into a new immutable bank and publishes it twice, through
//! lock-free queues: to the scheduler side (which picks notes with it) and to the callback
//! (which swaps it into the synth with `Synth::set_samples`). Banks the callback retires come
//! back through another queue and are freed by the supervisor thread.
//!
//! A name that is neither a sample folder nor a built-in instrument is reported once, as a
//! [`SampleNotice::Unknown`], through the sink's notice callback.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_queue::ArrayQueue;
use patter_synth::{Instrument, SampleBank, SampleLibrary, SampleWarning};

use super::core::AudioShared;

/// What the loader reports: a sound nobody has, or a file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleNotice {
    /// Neither a sample folder of any root nor a built-in instrument (reported once).
    Unknown(String),
    /// A root, folder or file that could not be read or decoded.
    Warning(SampleWarning),
    /// Folders decoded and playing from now on.
    Loaded(Vec<String>),
}

/// Where the live synth's notices go (the console, for `patter play` and the REPL).
#[derive(Clone)]
pub struct NoticeFn(pub Arc<dyn Fn(&SampleNotice) + Send + Sync>);

impl std::fmt::Debug for NoticeFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NoticeFn")
    }
}

/// Most distinct names the scheduler side asks for (a generated program cannot grow its
/// set without bound).
const MAX_ASKED: usize = 4096;

enum Request {
    Names(Vec<String>, Option<Sender<()>>),
}

/// A handle to ask the loader for folders: cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct SampleRequests {
    tx: Sender<Request>,
}

impl SampleRequests {
    /// Ask for `names` without waiting (names already loaded cost nothing).
    pub fn request(&self, names: Vec<String>) {
        let _ = self.tx.send(Request::Names(names, None));
    }

    /// Ask for `names` and wait until the bank holding them is published (or `timeout`
    /// passes). True when it was.
    pub fn preload(&self, names: Vec<String>, timeout: Duration) -> bool {
        let (done, wait) = mpsc::channel();
        if self.tx.send(Request::Names(names, Some(done))).is_err() {
            return false;
        }
        wait.recv_timeout(timeout).is_ok()
    }
}

/// Banks on their way out of the loader, and the current one for new synths.
pub(crate) struct Published {
    /// Loader → scheduler side.
    pub sched: ArrayQueue<Arc<SampleBank>>,
    /// Scheduler side → supervisor, to be freed.
    pub sched_trash: ArrayQueue<Arc<SampleBank>>,
    /// The newest bank, for synths made by the supervisor (spares, a reopened stream).
    pub current: Mutex<Arc<SampleBank>>,
}

impl Published {
    pub fn new() -> Published {
        Published {
            sched: ArrayQueue::new(4),
            sched_trash: ArrayQueue::new(16),
            current: Mutex::new(Arc::new(SampleBank::empty(0))),
        }
    }

    /// The newest bank.
    pub fn current(&self) -> Arc<SampleBank> {
        match self.current.lock() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

/// The scheduler side's view: the bank it picks notes with, and what it already asked.
pub(crate) struct SchedSamples {
    pub bank: Arc<SampleBank>,
    asked: HashSet<String>,
    requests: SampleRequests,
}

impl SchedSamples {
    pub fn new(requests: SampleRequests) -> SchedSamples {
        SchedSamples {
            bank: Arc::new(SampleBank::empty(0)),
            asked: HashSet::new(),
            requests,
        }
    }

    pub fn requests(&self) -> SampleRequests {
        self.requests.clone()
    }

    /// Take the newest published bank; the replaced one goes to the supervisor to be freed.
    pub fn update(&mut self, published: &Published) {
        while let Some(b) = published.sched.pop() {
            let old = std::mem::replace(&mut self.bank, b);
            // A full bin (the supervisor stalled) frees it here: rare, and not real-time.
            let _ = published.sched_trash.push(old);
        }
    }

    /// A name the bank does not have: ask the loader once.
    pub fn missing(&mut self, name: String) {
        if self.asked.len() >= MAX_ASKED || self.asked.contains(&name) {
            return;
        }
        self.asked.insert(name.clone());
        self.requests.request(vec![name]);
    }
}

/// Start the loader thread for sample `roots` (already including `PATTER_SAMPLES` and the
/// default folders). `rate` is read before each load so a reopened stream at another rate
/// gets its samples resampled again; the thread ends once `stopped` says so (or every
/// request handle is gone).
pub(crate) fn start(
    roots: Vec<PathBuf>,
    rate: impl Fn() -> u32 + Send + 'static,
    stopped: impl Fn() -> bool + Send + 'static,
    shared: Arc<AudioShared>,
    published: Arc<Published>,
    notice: Option<NoticeFn>,
) -> SampleRequests {
    let (tx, rx) = mpsc::channel();
    // Detached: it ends within one poll of `stopped`, or at once if it never started
    // (requests then go nowhere and the synth plays its built-in sounds).
    let _ = std::thread::Builder::new()
        .name("patter-samples".into())
        .spawn(move || {
            run(
                &roots,
                &rate,
                &stopped,
                &shared,
                &published,
                notice.as_ref(),
                &rx,
            )
        });
    SampleRequests { tx }
}

fn run(
    roots: &[PathBuf],
    rate: &dyn Fn() -> u32,
    stopped: &dyn Fn() -> bool,
    shared: &AudioShared,
    published: &Published,
    notice: Option<&NoticeFn>,
    rx: &Receiver<Request>,
) {
    let tell = |n: SampleNotice| {
        if let Some(f) = notice {
            (f.0)(&n);
        }
    };
    let scan = || {
        let (library, warnings) = SampleLibrary::scan(roots);
        (library, warnings)
    };
    let (mut library, warnings) = scan();
    for w in warnings {
        tell(SampleNotice::Warning(w));
    }
    let mut loaded: BTreeSet<String> = BTreeSet::new();
    let mut reported: HashSet<String> = HashSet::new();
    let mut bank_rate = 0u32;
    while !stopped() {
        let mut added = Vec::new();
        let mut waiting = Vec::new();
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Request::Names(names, done)) => {
                let mut rescanned = false;
                for name in names {
                    if loaded.contains(&name) {
                        continue;
                    }
                    if !library.contains(&name) && !rescanned {
                        // A folder added while playing is found on the next miss.
                        rescanned = true;
                        library = scan().0;
                    }
                    if library.contains(&name) {
                        loaded.insert(name.clone());
                        added.push(name);
                    } else if Instrument::from_name(&name).is_none()
                        && reported.len() < MAX_ASKED
                        && reported.insert(name.clone())
                    {
                        tell(SampleNotice::Unknown(name));
                    }
                }
                waiting.extend(done);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = rate();
        if !added.is_empty() || (now != bank_rate && !loaded.is_empty()) {
            bank_rate = now;
            let (bank, warnings) = library.load(loaded.iter().map(String::as_str), now);
            for w in warnings {
                tell(SampleNotice::Warning(w));
            }
            publish(Arc::new(bank), shared, published);
            if !added.is_empty() {
                tell(SampleNotice::Loaded(added));
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

/// Hand `bank` to the scheduler side and the callback, and keep it for new synths. A full
/// queue (a consumer that stopped) loses its oldest bank, freed here.
fn publish(bank: Arc<SampleBank>, shared: &AudioShared, published: &Published) {
    match published.current.lock() {
        Ok(mut c) => *c = bank.clone(),
        Err(p) => *p.into_inner() = bank.clone(),
    }
    for q in [&published.sched, &shared.banks] {
        if let Err(b) = q.push(bank.clone()) {
            drop(q.pop());
            let _ = q.push(b);
        }
    }
    shared.bank_swaps.fetch_add(1, Ordering::Relaxed);
}
