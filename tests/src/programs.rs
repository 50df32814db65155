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
