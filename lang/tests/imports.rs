//! Imports: a chain that never ends is stopped by the nesting limit (E0603), a file
//! imported twice is evaluated once, and definitions flow from imported files.
#![allow(clippy::unwrap_used)]

use patter_lang::{compile, Loader};

/// `mN.pat` imports `m(N+1).pat`, forever.
struct Endless;

impl Loader for Endless {
    fn load(&self, path: &str, _from: &str) -> Result<(String, String), String> {
        let n: u64 = path
            .trim_start_matches('m')
            .trim_end_matches(".pat")
            .parse()
            .map_err(|_| "bad".to_string())?;
        Ok((
            path.to_string(),
            format!("import \"m{}.pat\"\nlet x{n} = {n}\n", n + 1),
        ))
    }
}

#[test]
fn endless_import_chain_is_stopped() {
    let c = compile("main.pat", "import \"m0.pat\"\n", &Endless);
    assert!(c.program.is_none());
    assert!(
        c.diagnostics.iter().any(|d| d.code == "E0603"),
        "{:?}",
        c.diagnostics
    );
}

struct Two;

impl Loader for Two {
    fn load(&self, path: &str, _from: &str) -> Result<(String, String), String> {
        match path {
            "lib.pat" => Ok(("lib.pat".into(), "let riff = [0, 4, 7]\n".into())),
            "other.pat" => Ok((
                "other.pat".into(),
                "import \"lib.pat\"\nlet more = riff + 12\n".into(),
            )),
            _ => Err("no such file".into()),
        }
    }
}

#[test]
fn definitions_flow_and_repeated_imports_are_harmless() {
    let c = compile("main.pat", "import \"lib.pat\"\nimport \"other.pat\"\nimport \"lib.pat\"\nplay a { note: more, dur: 1 }\n", &Two);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    assert!(c.program.is_some());
}
