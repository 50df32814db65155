//! Instruction-count harness for compile time (not a test, not timed): compiles the
//! 1000-line program of `benches/compile.rs` a fixed number of times, so that
//! `valgrind --tool=callgrind` gives a count that does not depend on machine load.
//!
//! `cargo build --release -p patter-tests --bin compile_count`, then
//! `valgrind --tool=callgrind --toggle-collect=compile_count::iteration
//! target/release/compile_count [ITERATIONS]`.
#![allow(clippy::unwrap_used)]

use patter_lang::{compile, NoImports};
use patter_tests::programs::big_program;

/// One bench iteration: compile the program once. Never inlined, so that
/// `--toggle-collect=compile_count::iteration` counts exactly the bench's work.
#[inline(never)]
fn iteration(src: &str) -> bool {
    compile("big.pat", std::hint::black_box(src), &NoImports)
        .program
        .is_some()
}

fn main() {
    let iterations: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let src = big_program(1000);
    let mut ok = 0;
    for _ in 0..iterations {
        ok += u64::from(iteration(&src));
    }
    println!("compiled {ok} of {iterations}");
}
