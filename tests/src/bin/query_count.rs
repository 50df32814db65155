//! Instruction-count harness (not a test, not timed): runs the query-throughput cases of
//! issue 2 exactly as `benches/query.rs` does (64 one-cycle windows per iteration, a fresh
//! cache each time, the previous iteration's events dropped), a fixed number of times, so
//! that `valgrind --tool=callgrind` gives a count that does not depend on machine load.
//!
//! `cargo build --release -p patter-tests --bin query_count`, then
//! `valgrind --tool=callgrind target/release/query_count [CASE-INDEX [ITERATIONS]]`
//! (no index: every case). Prints each case's name and event count. Add
//! `--toggle-collect=query_count::iteration` to leave compiling out of the count.
#![allow(clippy::unwrap_used)]

use patter_pattern::{Event, Program};
use patter_tests::programs::{bench_program, query_bench_cycles, query_cases};

/// One bench iteration: drop the previous events, query 64 cycles. Never inlined, so that
/// `--toggle-collect=query_count::iteration` counts exactly the bench's work.
#[inline(never)]
fn iteration(p: &Program, out: &mut Vec<Event>) {
    out.clear();
    query_bench_cycles(p, out);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only: Option<usize> = args.first().and_then(|a| a.parse().ok());
    let iterations: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    for (i, (name, src)) in query_cases().iter().enumerate() {
        if only.is_some_and(|o| o != i) {
            continue;
        }
        let p = bench_program(src);
        let mut out = Vec::new();
        let mut events = 0;
        for _ in 0..iterations {
            iteration(&p, &mut out);
            events += out.len() as u64;
            std::hint::black_box(&out);
        }
        println!("{i} {name}: {events} events");
    }
}
