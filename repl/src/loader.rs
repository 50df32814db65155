//! Imports from the file system, relative to the importing file.

use std::path::{Path, PathBuf};

use patter_lang::Loader;

/// Loads `import "x.pat"` relative to the importing file (or the working directory for
/// code given with `-e`).
pub struct FsLoader;

/// Largest file an import may read (a musician's .pat file is a few KB).
const MAX_FILE: u64 = 16 * 1024 * 1024;

impl Loader for FsLoader {
    fn load(&self, path: &str, from: &str) -> Result<(String, String), String> {
        let base = Path::new(from)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut full: PathBuf = base.join(path);
        if full.extension().is_none() {
            full.set_extension("pat");
        }
        let meta = std::fs::metadata(&full).map_err(|e| format!("{}: {e}", full.display()))?;
        if meta.len() > MAX_FILE {
            return Err(format!("{} is larger than 16 MB", full.display()));
        }
        let text =
            std::fs::read_to_string(&full).map_err(|e| format!("{}: {e}", full.display()))?;
        let name = std::fs::canonicalize(&full)
            .unwrap_or(full)
            .display()
            .to_string();
        Ok((name, text))
    }
}

/// Read a program file given on the command line.
pub fn read_program(path: &str) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if meta.len() > MAX_FILE {
        return Err(format!("{path} is larger than 16 MB"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// `--seed S` from the arguments.
pub fn seed_arg(args: &crate::args::Args) -> Result<Option<u64>, String> {
    match args.get("seed").map(str::parse::<u64>) {
        None => Ok(None),
        Some(Ok(s)) => Ok(Some(s)),
        Some(Err(_)) => Err("--seed takes a whole number".to_string()),
    }
}

/// Read and compile a program file, printing its diagnostics to stderr; `None` when it
/// cannot be read or does not compile (the reason has been printed).
pub fn load_program(file: &str, seed: Option<u64>) -> Option<patter_pattern::Program> {
    use std::io::IsTerminal;
    let source = match read_program(file) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("patter: {msg}");
            return None;
        }
    };
    let compiled =
        patter_lang::compile_with(file, &source, &FsLoader, &patter_lang::Options { seed });
    if !compiled.diagnostics.is_empty() {
        let color = std::io::stderr().is_terminal();
        eprint!(
            "{}",
            patter_lang::diagnostic::render(&compiled.diagnostics, &compiled.sources, color)
        );
    }
    compiled.program
}
