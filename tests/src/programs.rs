//! Generated programs for benchmarks and tests.

/// A program of about `lines` lines: players with streams, mini-notation and transforms,
/// lets and functions — the mix a long live set accumulates.
pub fn big_program(lines: usize) -> String {
    let mut s = String::from("tempo 120\nscale dorian\nfn up(p, n) = p + n\n");
    let mut i = 0;
    while s.lines().count() < lines {
        match i % 5 {
            0 => s.push_str(&format!("let riff{i} = seq([0, 2, 4, {}], inf)\n", i % 12)),
            1 => s.push_str(&format!(
                "play p{i} {{\n  degree: riff{}.up({}),\n  dur: rand([0.25, 0.5]),\n  amp: white(0.1, 0.3),\n  pan: sine.slow(4).range(-1, 1),\n}}\n",
                i - 1,
                i % 7
            )),
            2 => s.push_str(&format!(
                "play d{i} {{ s: \"bd*2 [~ sn:{}] hh(3,8) <cp [cp cp]>\".every(4, rev).sometimesBy(0.3, fast(2)) }}\n",
                i % 4
            )),
            3 => s.push_str(&format!(
                "play n{i} {{ note: \"<[c4,e4,g4] [d4,f4,a4]>\".arp(updown).fast(2) + {}, amp: 0.2 }}\n",
                i % 5
            )),
            _ => s.push_str(&format!("// section {i}\nlet g{i} = p => p.off(0.125, q => q + 12)\n")),
        }
        i += 1;
    }
    s
}

/// The fixed list of query-throughput cases of issue 2, as `(name, source)`: shared by the
/// criterion bench (`benches/query.rs`) and the instruction-count harness
/// (`bin/query_count.rs`), so both measure the same programs.
pub fn query_cases() -> Vec<(&'static str, String)> {
    let stack8: String = (0..8)
        .map(|i| format!("play p{i} {{ note: \"0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 {i}\" }}\n"))
        .collect();
    vec![
        ("4-step sequence", "play a { s: \"bd sn hh cp\" }".to_string()),
        (
            "nested subdivision",
            "play a { note: \"0 [1 2] [3 [4 5]] [6 [7 [8 9]]]\" }".to_string(),
        ),
        (
            "alternation",
            "play a { note: \"<0 1 2> <3 4> [5 <6 7 8>]\" }".to_string(),
        ),
        ("euclid", "play a { s: \"bd(3,8) sn(5,8,2) hh(7,16)\" }".to_string()),
        ("stack of 8 players x 16 steps", stack8),
        (
            "6-key Pbind with random keys",
            "play a { degree: rand([0, 2, 4, 7]), dur: 0.25, amp: white(0.1, 0.5), pan: brown(-1, 1, 0.1), legato: xrand([0.5, 0.8, 1]), octave: choose([4, 5]) }".to_string(),
        ),
    ]
}

/// Windows queried per bench iteration: one cycle at a time, as the scheduler's follow
/// each other.
pub const BENCH_CYCLES: i64 = 64;

/// Compile a bench program (it must compile).
#[allow(clippy::panic)]
pub fn bench_program(src: &str) -> patter_pattern::Program {
    match patter_lang::compile("bench.pat", src, &patter_lang::NoImports).program {
        Some(p) => p,
        None => panic!("a bench program does not compile:\n{src}"),
    }
}

/// One bench iteration: [`BENCH_CYCLES`] one-cycle windows with a fresh cache, events
/// appended to `out` (the query benches and the instruction-count harness share it).
pub fn query_bench_cycles(p: &patter_pattern::Program, out: &mut Vec<patter_pattern::Event>) {
    use patter_pattern::{Budget, QueryCache, Time, TimeSpan};
    let mut cache = QueryCache::default();
    let mut failed = Vec::new();
    for c in 0..BENCH_CYCLES {
        let t = p.cycle_beats * Time::int(c);
        p.query(
            TimeSpan::new(t, t + p.cycle_beats),
            &mut cache,
            Budget::new(u64::MAX / 2),
            out,
            &mut failed,
        );
    }
}
