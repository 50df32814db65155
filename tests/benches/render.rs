//! Offline render speed: `examples/four-players.pat` (drums, bass, melody, harmony) from
//! source to stereo samples in memory, as `patter render -o out.wav` does it, in multiples
//! of real time (issue 6 target: at least 100×).
//!
//! `cargo bench -p patter-tests --bench render [-- BARS RUNS]` (default 32 bars, 15 runs)
//!
//! A harness rather than criterion: the figure wanted is a ratio of audio length to time,
//! reported as percentiles over runs, split into its two stages (compile + query, and
//! synthesis) so a regression points at its stage. Besides wall time it reports the
//! thread's own CPU time (Linux `/proc/thread-self/schedstat`), which other processes on
//! a shared machine disturb much less.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use patter_tests::stats::percentile;
use std::hint::black_box;
use std::time::Instant;

use patter_lang::{compile_with, NoImports, Options};
use patter_pattern::Time;
use patter_tests::audio;

const RATE: u32 = 48_000;

/// Nanoseconds this thread has run on a CPU, where the kernel tells us.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let bars: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(15);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/four-players.pat");
    let src = std::fs::read_to_string(path).unwrap();

    let mut total = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    let mut front = Vec::with_capacity(runs);
    let mut audio_seconds = 0.0;
    let mut notes = 0;
    for _ in 0..runs {
        let c0 = thread_cpu_ns();
        let t0 = Instant::now();
        let c = compile_with("four-players.pat", &src, &NoImports, &Options::default());
        let program = c.program.expect("the example compiles");
        let beats = program.cycle_beats * Time::int(bars);
        let events = patter_runtime::render::events(&program, Time::ZERO, beats).unwrap();
        let t1 = Instant::now();
        let r = audio::render_events(&events, program.tempo, beats, RATE);
        let t2 = Instant::now();
        if let (Some(a), Some(b)) = (c0, thread_cpu_ns()) {
            cpu.push(b.saturating_sub(a) as f64 * 1e-9);
        }
        black_box(&r.samples);
        audio_seconds = r.seconds();
        notes = r.notes;
        front.push((t1 - t0).as_secs_f64());
        total.push((t2 - t0).as_secs_f64());
    }
    let mut speed: Vec<f64> = total.iter().map(|t| audio_seconds / t).collect();
    speed.sort_by(f64::total_cmp);
    let mut share: Vec<f64> = front
        .iter()
        .zip(&total)
        .map(|(f, t)| f / t * 100.0)
        .collect();
    share.sort_by(f64::total_cmp);
    total.sort_by(f64::total_cmp);
    println!(
        "four-players.pat: {bars} bars = {audio_seconds:.1} s of stereo audio at {RATE} Hz ({notes} notes), {runs} runs"
    );
    println!(
        "wall time   p50 {:.1} ms  p10 {:.1} ms  p90 {:.1} ms  max {:.1} ms",
        percentile(&total, 0.5) * 1e3,
        percentile(&total, 0.1) * 1e3,
        percentile(&total, 0.9) * 1e3,
        total.last().copied().unwrap_or(0.0) * 1e3
    );
    println!(
        "x real time by wall clock      p50 {:.0}  p10 {:.0}  p90 {:.0}  min {:.0}",
        percentile(&speed, 0.5),
        percentile(&speed, 0.1),
        percentile(&speed, 0.9),
        speed.first().copied().unwrap_or(0.0)
    );
    if !cpu.is_empty() {
        let mut cpu_speed: Vec<f64> = cpu.iter().map(|t| audio_seconds / t).collect();
        cpu_speed.sort_by(f64::total_cmp);
        println!(
            "x real time by thread CPU time  p50 {:.0}  p10 {:.0}  p90 {:.0}",
            percentile(&cpu_speed, 0.5),
            percentile(&cpu_speed, 0.1),
            percentile(&cpu_speed, 0.9)
        );
    }
    println!(
        "compile + query share of the time: p50 {:.1}%",
        percentile(&share, 0.5)
    );
}
