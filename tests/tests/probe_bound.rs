//! The compiler leaves unprobed a player whose static work bound (`Program::work_bound`)
//! is far below the probe's budget. That is only sound if the bound is never below what
//! the player's first cycle really spends: checked here on every player of every case and
//! example, and of a generated long program.
#![allow(clippy::unwrap_used, clippy::panic)]

use patter_pattern::{Budget, QueryCache, Time, TimeSpan};
use patter_tests::programs::big_program;

fn sources() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    let mut dirs = vec![root.join("tests/cases"), root.join("examples")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "pat") {
                let src = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), src));
            }
        }
    }
    out.push(("big_program(300)".to_string(), big_program(300)));
    out
}

#[test]
fn no_player_spends_more_than_its_work_bound_in_its_first_cycle() {
    let mut bounded = 0;
    for (name, src) in sources() {
        let Some(program) = patter_lang::compile(&name, &src, &patter_lang::NoImports).program
        else {
            continue;
        };
        for (i, player) in program.players.iter().enumerate() {
            let Some(bound) = program.work_bound(i) else {
                continue;
            };
            bounded += 1;
            let mut alone = program.clone();
            let mut p = player.clone();
            p.muted = false;
            alone.players = vec![p];
            alone.solo.clear();
            let (mut out, mut failed) = (Vec::new(), Vec::new());
            alone.query(
                TimeSpan::new(Time::ZERO, program.cycle_beats),
                &mut QueryCache::default(),
                Budget::new(bound),
                &mut out,
                &mut failed,
            );
            assert!(
                failed.is_empty(),
                "{name}: player `{}` spent more than its bound {bound}",
                player.name
            );
        }
    }
    assert!(bounded > 100, "only {bounded} players had a bound");
}
