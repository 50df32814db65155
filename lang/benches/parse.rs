//! Front-end speed on a generated 1000-line program (target: the whole compile of 1000
//! lines under 10 ms, so lexing and parsing must stay well below that).
//!
//! Run: `cargo bench -p patter-lang --bench parse`

use criterion::{criterion_group, criterion_main, Criterion};
use patter_lang::parse::parse;
use patter_lang::token::lex;
use patter_lang::FileId;
use std::hint::black_box;

/// 1000 lines mixing every kind of item and the usual expressions.
fn program() -> String {
    let mut src = String::from("tempo 120\ncycle 4\nscale dorian\nroot 2\nseed 7\n");
    let mut line = 5;
    let mut i = 0;
    while line < 1000 {
        src.push_str(&format!(
            "// voice {i}\n\
             let notes{i} = [0, 2, 4, {i} % 7, (1 + {i}) * 2]\n\
             fn shape{i}(p, n) = p.fast(n).every(2, x => x.rev)\n\
             play v{i} {{\n\
             \x20 degree: seq(notes{i}, repeats: 2) + choose([0, 7]),\n\
             \x20 dur: \"1 0.5 [0.25 0.25] ~\",\n\
             \x20 amp: 0.5 ** 2 - 0.1 * rand(),\n\
             \x20 legato: {i} % 3 == 0 && true,\n\
             }}\n\
             mute v{i}\n"
        ));
        line += 10;
        i += 1;
    }
    src
}

fn bench(c: &mut Criterion) {
    let src = program();
    assert_eq!(src.lines().count(), 1005);
    let (_, diagnostics) = parse(FileId(0), &src);
    assert!(diagnostics.is_empty());
    c.bench_function("lex 1000 lines", |b| b.iter(|| lex(black_box(&src))));
    c.bench_function("parse 1000 lines", |b| {
        b.iter(|| parse(FileId(0), black_box(&src)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
