//! Every diagnostic code the front end can emit is documented in `docs/diagnostics.md`,
//! and every evaluator code has a case in `tests/cases/errors`.
#![allow(clippy::unwrap_used)]

use std::path::Path;

fn codes_in(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            codes_in(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            // Test modules use made-up codes; only count code outside #[cfg(test)].
            let text = text.split("#[cfg(test)]").next().unwrap_or("");
            let bytes = text.as_bytes();
            for i in 0..bytes.len().saturating_sub(6) {
                if bytes[i] == b'"'
                    && (bytes[i + 1] == b'E' || bytes[i + 1] == b'W')
                    && bytes[i + 2..i + 6].iter().all(u8::is_ascii_digit)
                    && bytes[i + 6] == b'"'
                {
                    out.push(String::from_utf8_lossy(&bytes[i + 1..i + 6]).to_string());
                }
            }
        }
    }
}

#[test]
fn every_code_is_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut codes = Vec::new();
    codes_in(&root.join("lang/src"), &mut codes);
    codes_in(&root.join("repl/src"), &mut codes);
    codes.sort();
    codes.dedup();
    assert!(codes.len() > 60, "found only {} codes", codes.len());
    let doc = std::fs::read_to_string(root.join("docs/diagnostics.md")).unwrap();
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| !doc.contains(&format!("| {c} |")) && !doc.contains(&format!("| {c},")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes missing from docs/diagnostics.md: {missing:?}"
    );
}

#[test]
fn every_evaluator_code_has_a_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut codes = Vec::new();
    codes_in(&root.join("lang/src/eval"), &mut codes);
    codes.sort();
    codes.dedup();
    let mut snaps = String::new();
    for entry in std::fs::read_dir(root.join("tests/cases/errors")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "snap") {
            snaps.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    // E0900 is an internal error that user input cannot reach; E0603 (imports nested more
    // than 32 deep) is tested in `lang` with a synthetic loader.
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| *c != "E0900" && *c != "E0603" && !snaps.contains(&format!("[{c}]")))
        .collect();
    assert!(
        missing.is_empty(),
        "evaluator codes without a case in tests/cases/errors: {missing:?}"
    );
}
