//! Hearing what patter plays: a JACK client of the tests' own that records an audio input
//! with absolute frame numbers, and helpers to find onsets in the recording.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;

use crate::jackd::JackServer;

/// Frames per cycle the listener expects (start the server with this period).
pub const PERIOD: usize = 256;

/// One recorded cycle: its absolute JACK frame and the left channel.
pub type Cycle = (u64, [f32; PERIOD]);

/// Recorded cycles, in order.
pub type Blocks = Arc<ArrayQueue<Cycle>>;

/// Records its input with each cycle's absolute JACK frame.
pub struct Listener {
    input: jack::Port<jack::AudioIn>,
    blocks: Blocks,
}

impl jack::ProcessHandler for Listener {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let mut b = [0.0f32; PERIOD];
        for (d, s) in b.iter_mut().zip(self.input.as_slice(ps)) {
            *d = *s;
        }
        let _ = self.blocks.push((u64::from(ps.last_frame_time()), b));
        jack::Control::Continue
    }
}

/// A JACK client `name` with an audio input `in`, recording every cycle.
pub fn listener(name: &str) -> (jack::AsyncClient<(), Listener>, Blocks) {
    let (client, _) = jack::Client::new(name, jack::ClientOptions::NO_START_SERVER).unwrap();
    assert_eq!(client.buffer_size() as usize, PERIOD);
    let input = client
        .register_port("in", jack::AudioIn::default())
        .unwrap();
    let blocks: Blocks = Arc::new(ArrayQueue::new(4_000));
    let active = client
        .activate_async(
            (),
            Listener {
                input,
                blocks: blocks.clone(),
            },
        )
        .unwrap();
    (active, blocks)
}

/// A real-time dummy server at 48 kHz with [`PERIOD`]-frame cycles, this process's clients
/// pointed at it (hold the test's lock). Real-time where granted: a non-real-time dummy
/// server drops cycles on a busy machine.
pub fn realtime_server(tag: &str) -> JackServer {
    let Some(server) = JackServer::start_realtime(tag, 48_000, PERIOD as u32) else {
        panic!("jackd is required for this test: apt-get install jackd2 (CI installs it)");
    };
    use_server(&server);
    server
}

/// [`realtime_server`] with the ear listening on it.
pub fn server_and_ear(tag: &str) -> (JackServer, jack::AsyncClient<(), Listener>, Blocks) {
    let server = realtime_server(tag);
    let (ear, blocks) = listener("ear");
    (server, ear, blocks)
}

/// Connect `port` to the ear's input, waiting for the port to appear; returns the first
/// JACK frame surely recorded from it, less one (earlier frames came from an unconnected
/// input): pass it to [`Recording::after`].
pub fn connect_ear(ear: &jack::Client, port: &str) -> u64 {
    assert!(
        eventually(|| ear.connect_ports_by_name(port, "ear:in").is_ok()),
        "{port} never appeared"
    );
    u64::from(ear.frame_time()) + PERIOD as u64
}

/// What the listener heard, laid out by JACK frame from its first cycle.
pub struct Recording {
    /// Absolute JACK frame of `samples[0]`.
    pub first: u64,
    /// The samples; cycles the listener missed are zeros (see [`Recording::missed`]).
    pub samples: Vec<f32>,
    /// Sample ranges of the cycles the listener missed.
    pub missed: Vec<std::ops::Range<usize>>,
}

impl Recording {
    /// The onsets `at` (sample indices) heard after JACK frame `frame`.
    pub fn after(&self, frame: u64, at: &[usize]) -> Vec<usize> {
        at.iter()
            .copied()
            .filter(|&i| self.first + i as u64 > frame)
            .collect()
    }

    /// True when the listener heard every frame of `range`.
    pub fn heard_all(&self, range: std::ops::Range<usize>) -> bool {
        range.end <= self.samples.len()
            && !self
                .missed
                .iter()
                .any(|m| m.start < range.end && range.start < m.end)
    }
}

/// The recording so far.
pub fn recording(blocks: &Blocks) -> Recording {
    let got: Vec<Cycle> = std::iter::from_fn(|| blocks.pop()).collect();
    let Some(first) = got.first().map(|b| b.0) else {
        return Recording {
            first: 0,
            samples: Vec::new(),
            missed: Vec::new(),
        };
    };
    let last = got.last().map_or(first, |b| b.0);
    let mut samples = vec![0.0f32; (last - first) as usize + PERIOD];
    let mut missed = Vec::new();
    let mut next = 0usize;
    for (at, b) in &got {
        let i = (at - first) as usize;
        if i > next {
            missed.push(next..i);
        }
        samples[i..i + PERIOD].copy_from_slice(b);
        next = i + PERIOD;
    }
    Recording {
        first,
        samples,
        missed,
    }
}

/// Frames where a sound starts after at least `gap` silent frames.
pub fn onsets(samples: &[f32], gap: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut silent = 0usize;
    for (i, x) in samples.iter().enumerate() {
        if *x != 0.0 {
            if silent >= gap {
                out.push(i);
            }
            silent = 0;
        } else {
            silent += 1;
        }
    }
    out
}

/// Point this process's JACK clients at `server` (hold a lock: the variable is global).
pub fn use_server(server: &JackServer) {
    // SAFETY: set while this test holds SERIAL, before its clients start.
    unsafe { std::env::set_var("JACK_DEFAULT_SERVER", &server.name) };
    unsafe { std::env::set_var("JACK_NO_START_SERVER", "1") };
}

/// Poll until `f` holds (or 10 s pass).
pub fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Check the spacing of the onsets heard: consecutive ones `expect` frames apart, exactly,
/// when the sink saw no xrun, no late note and made no clock correction (`xruns` counts
/// all three).
///
/// After xruns the dummy server's frames and clock part ways (a stalled server loses time
/// its frames never make up, and its cycle times jump and settle), so no spacing is right
/// by its frames alone: a run with a few xruns (`xruns` up to `few`) is held to one cycle,
/// which the sink's slewed mapping keeps to (`after_an_xrun_the_sink_keeps_the_kicks_on_the_
/// clock` freezes the server on purpose); a machine so loaded that the server xruns
/// continually cannot be judged, and the run only has to have been heard.
pub fn check_spacing(heard: &[usize], expect: usize, xruns: u64, few: u64, context: &str) {
    assert!(
        heard.len() >= 2,
        "heard too few onsets: {heard:?}\n{context}"
    );
    if xruns > few {
        eprintln!("{xruns} xruns: spacing not judged: {heard:?}");
        return;
    }
    for w in heard.windows(2) {
        let d = w[1] - w[0];
        if xruns == 0 {
            assert_eq!(d, expect, "onsets {heard:?}\n{context}");
        } else {
            assert!(
                d.abs_diff(expect) <= PERIOD,
                "onsets {heard:?} ({xruns} xruns: within one cycle allowed)\n{context}"
            );
        }
    }
}
