//! Every `tests/cases/**/*.pat` file is one case: its snapshot beside it holds the source,
//! the rendered diagnostics (colour off) and the events of its first cycles.
//!
//! A case may start with header comments: `// cycles: N` (default 2), `// seed: S`,
//! `// from: B` (start at beat B instead of 0: a seek).
//! New or changed snapshots: run with `INSTA_UPDATE=always` once, review the `.snap` diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use patter_lang::{compile_with, Loader, Options};
use patter_pattern::Time;
use patter_tests::{diagnostics_text, event_table, events, first_cycles};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "pat") {
            out.push(p);
        }
    }
}

/// Imports relative to the importing case, named by their path under `tests/cases` so
/// snapshots do not depend on where the repository lives.
struct CaseLoader {
    root: PathBuf,
}

impl Loader for CaseLoader {
    fn load(&self, path: &str, from: &str) -> Result<(String, String), String> {
        let dir = Path::new(from)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let rel = dir.join(path);
        let text = std::fs::read_to_string(self.root.join(&rel))
            .map_err(|_| format!("there is no file {}", rel.display()))?;
        Ok((rel.display().to_string(), text))
    }
}

fn header(src: &str, key: &str) -> Option<String> {
    src.lines()
        .take_while(|l| l.starts_with("//"))
        .find_map(|l| {
            l.trim_start_matches('/')
                .trim()
                .strip_prefix(&format!("{key}:"))
                .map(|v| v.trim().to_string())
        })
}

fn render_case(root: &Path, path: &Path) -> String {
    let src = std::fs::read_to_string(path).unwrap();
    let cycles: i64 = header(&src, "cycles")
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let seed: Option<u64> = header(&src, "seed").and_then(|v| v.parse().ok());
    let from: Option<i64> = header(&src, "from").and_then(|v| v.parse().ok());
    let name = path
        .strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string();
    let loader = CaseLoader {
        root: root.to_path_buf(),
    };
    let compiled = compile_with(&name, &src, &loader, &Options { seed });
    let mut out = String::new();
    out.push_str("--- source\n");
    out.push_str(&src);
    if !src.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("--- diagnostics\n");
    out.push_str(&diagnostics_text(&compiled));
    match &compiled.program {
        Some(p) => match from {
            None => {
                out.push_str(&format!("--- events (first {cycles} cycles)\n"));
                out.push_str(&event_table(p, &first_cycles(p, cycles)));
            }
            Some(b) => {
                out.push_str(&format!("--- events ({cycles} cycles from beat {b})\n"));
                let from = Time::int(b);
                let to = from + p.cycle_beats * Time::int(cycles);
                out.push_str(&event_table(p, &events(p, from, to)));
            }
        },
        None => out.push_str("--- events\n(not compiled)\n"),
    }
    out
}

#[test]
fn cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut files = Vec::new();
    collect(&root, &mut files);
    assert!(!files.is_empty(), "no cases found under {}", root.display());
    let mut failures = Vec::new();
    for path in &files {
        let content = render_case(&root, path);
        let dir = path.parent().unwrap().to_path_buf();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let result = std::panic::catch_unwind(|| {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(dir.clone());
            settings.set_prepend_module_to_snapshot(false);
            settings.set_omit_expression(true);
            settings.bind(|| insta::assert_snapshot!(stem.clone(), content));
        });
        if result.is_err() {
            failures.push(
                path.strip_prefix(&root)
                    .unwrap_or(path)
                    .display()
                    .to_string(),
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ from their snapshots: {}",
        failures.len(),
        failures.join(", ")
    );
}
