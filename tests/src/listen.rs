//! Hearing what patter plays: a JACK client of the tests' own that records an audio input
//! with absolute frame numbers, and helpers to find onsets in the recording.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;

use crate::jackd::JackServer;

/// Frames per cycle the listener expects (start the server with this period).
pub const PERIOD: usize = 256;

/// Recorded cycles: (absolute JACK frame, left samples).
pub type Blocks = Arc<ArrayQueue<(u64, [f32; PERIOD])>>;

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

/// The recording as (first frame, samples), gaps (cycles the listener missed) as zeros.
pub fn recording(blocks: &Blocks) -> (u64, Vec<f32>) {
    let got: Vec<(u64, [f32; PERIOD])> = std::iter::from_fn(|| blocks.pop()).collect();
    let Some(first) = got.first().map(|b| b.0) else {
        return (0, Vec::new());
    };
    let last = got.last().map_or(first, |b| b.0);
    let mut out = vec![0.0f32; (last - first) as usize + PERIOD];
    for (at, b) in &got {
        let i = (at - first) as usize;
        out[i..i + PERIOD].copy_from_slice(b);
    }
    (first, out)
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

/// Check the spacing of the onsets heard: consecutive kicks `expect` frames apart, exactly
/// when the sink saw no xrun and made no drift correction.
pub fn check_spacing(heard: &[usize], expect: usize, clean: bool) {
    assert!(heard.len() >= 2, "heard too few onsets: {heard:?}");
    for w in heard.windows(2) {
        let d = w[1] - w[0];
        if clean {
            assert_eq!(d, expect, "onsets {heard:?}");
        } else {
            assert!(
                d.abs_diff(expect) <= PERIOD,
                "onsets {heard:?} (xruns happened: within one cycle allowed)"
            );
        }
    }
}
