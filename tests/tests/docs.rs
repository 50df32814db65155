//! The examples in `docs/*.md` and `README.md` are programs: every fenced block marked
//! `patter` must compile without errors and produce events in its first two cycles.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use patter_tests::{compile, diagnostics_text, first_cycles};

fn blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut current {
            None if trimmed == "```patter" => current = Some((i + 1, String::new())),
            Some((_, text)) if trimmed.starts_with("```") => {
                let _ = text;
                out.push(current.take().unwrap());
            }
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    out
}

fn check_file(path: &Path) -> usize {
    let md = std::fs::read_to_string(path).unwrap();
    let mut n = 0;
    for (line, src) in blocks(&md) {
        n += 1;
        let c = compile(&src);
        let Some(p) = &c.program else {
            panic!(
                "{}:{line}: example does not compile:\n{}\n{src}",
                path.display(),
                diagnostics_text(&c)
            );
        };
        assert!(
            c.diagnostics.iter().all(|d| !d.is_error()),
            "{}:{line}: example has errors",
            path.display()
        );
        let events = first_cycles(p, 2);
        assert!(
            !events.is_empty(),
            "{}:{line}: example produces no events:\n{src}",
            path.display()
        );
    }
    n
}

#[test]
fn language_reference_examples_compile_and_play() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let n = check_file(&root.join("docs/language.md"));
    assert!(
        n >= 10,
        "expected the language reference to have examples, found {n}"
    );
}

#[test]
fn readme_examples_compile_and_play() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(check_file(&root.join("README.md")) >= 2);
}

#[test]
fn tour_examples_compile_and_play() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(check_file(&root.join("docs/tour.md")) >= 2);
}

#[test]
fn synth_doc_examples_compile_and_play() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(check_file(&root.join("docs/synth.md")) >= 2);
}

#[test]
fn supercollider_guide_examples_compile_and_play() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(check_file(&root.join("docs/supercollider.md")) >= 1);
}
