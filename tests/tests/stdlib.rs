//! Each stdlib module compiles, and its definitions are usable from a program.
#![allow(clippy::unwrap_used, clippy::panic)]

use patter_lang::{compile, NoImports};
use patter_tests::{diagnostics_text, first_cycles};

#[test]
fn every_module_compiles_on_its_own() {
    for (name, _) in patter_stdlib::FILES {
        let src = format!("import \"std/{name}\"\n");
        let c = compile("t.pat", &src, &NoImports);
        assert!(c.program.is_some(), "std/{name}:\n{}", diagnostics_text(&c));
        assert!(
            c.diagnostics.is_empty(),
            "std/{name}:\n{}",
            diagnostics_text(&c)
        );
    }
}

#[test]
fn chords_and_rhythms_play() {
    let src = r#"
import "std/chords"
import "std/rhythms"
play keys { note: seq([maj, min7 + 5]), dur: 2 }
play kick { s: fourOnTheFloor }
play bass { note: "c2".struct(tresillo) }
"#;
    let c = compile("t.pat", src, &NoImports);
    let text = diagnostics_text(&c);
    let p = c.program.unwrap_or_else(|| panic!("{text}"));
    let events = first_cycles(&p, 1);
    let count = |name: &str| {
        let i = p.players.iter().position(|pl| &*pl.name == name).unwrap() as u32;
        events.iter().filter(|e| e.player == i).count()
    };
    assert_eq!(count("keys"), 3 + 4, "a major triad then a minor seventh");
    assert_eq!(count("kick"), 4);
    assert_eq!(count("bass"), 3);
}
