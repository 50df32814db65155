//! Ring throughput between two processes: this binary writes N records as fast as the ring
//! takes them while a copy of itself, started as a child, reads and checks them. Prints the
//! rate of each run and their percentiles.
//!
//! `cargo bench -p patter-shm --bench ring` (records and runs: `PATTER_SHM_BENCH=N,RUNS`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use patter_shm::{ClockRef, Reader, Record, Writer};

const CHILD_ENV: &str = "PATTER_SHM_BENCH_CHILD";

/// Spin briefly, then give the core away: on a busy two-core machine a spinning reader and
/// writer would otherwise steal each other's time slices.
fn idle_wait(spins: &mut u32) {
    *spins = spins.wrapping_add(1);
    if *spins % 64 == 0 {
        std::thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

fn child(spec: &str) {
    let (name, count) = spec.split_once(' ').expect("child spec");
    let count: u64 = count.parse().expect("count");
    let mut r = Reader::open(name).expect("open");
    println!("ready");
    let mut got = 0u64;
    let mut bad = 0u64;
    let mut t0 = None;
    let mut spins = 0u32;
    while got < count {
        if let Some(rec) = r.try_read() {
            if t0.is_none() {
                t0 = Some(Instant::now());
            }
            bad += u64::from(rec.seq != got as u32 || rec.time_ns != got);
            got += 1;
        } else {
            idle_wait(&mut spins);
        }
    }
    let ns = t0.map(|t| t.elapsed().as_nanos()).unwrap_or(0);
    println!("{got} {bad} {ns}");
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    let (count, runs) = std::env::var("PATTER_SHM_BENCH")
        .ok()
        .and_then(|s| {
            let (a, b) = s.split_once(',')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .unwrap_or(if std::env::args().any(|a| a == "--bench") {
            (20_000_000u64, 7usize)
        } else {
            // `cargo test --all-targets` runs this without `--bench`: a quick check only.
            (100_000, 1)
        });
    let mut rates = Vec::new();
    for run in 0..runs {
        let name = format!("patter-bench-{}-{run}", std::process::id());
        let mut w = Writer::create(&name, 1 << 16, ClockRef::now()).expect("create");
        let mut c = Command::new(std::env::current_exe().expect("exe"))
            .env(CHILD_ENV, format!("{name} {count}"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut lines = BufReader::new(c.stdout.take().expect("stdout")).lines();
        assert_eq!(lines.next().expect("ready").expect("ready"), "ready");
        let mut full_spins = 0u64;
        let mut spins = 0u32;
        for pos in 0..count {
            let mut rec = Record {
                time_ns: pos,
                ..Record::default()
            };
            while let Err(back) = w.try_push(rec) {
                rec = back;
                full_spins += 1;
                idle_wait(&mut spins);
            }
        }
        let report = lines.next().expect("report").expect("report");
        c.wait().expect("wait");
        let parts: Vec<u64> = report
            .split_whitespace()
            .map(|p| p.parse().expect("number"))
            .collect();
        let [got, bad, ns] = parts[..] else {
            eprintln!("bad report from the reader: {report}");
            std::process::exit(1);
        };
        assert_eq!((got, bad), (count, 0), "records lost or wrong");
        let rate = got as f64 / (ns as f64 / 1e9);
        println!(
            "run {run}: {count} records in {:.1} ms = {:.1} M records/s (writer found the ring full {full_spins} times)",
            ns as f64 / 1e6,
            rate / 1e6
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    let pct = |p: f64| rates[((rates.len() - 1) as f64 * p).round() as usize] / 1e6;
    println!(
        "ring throughput, 2 processes, {count} records x {runs} runs: min {:.1}  p50 {:.1}  max {:.1} M records/s",
        pct(0.0),
        pct(0.5),
        pct(1.0)
    );
}
