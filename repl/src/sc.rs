//! SuperCollider outputs for `patter play` (`--out scsynth`, `--out supernova-boot`, …) and
//! the NRT score for `patter render --score`.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Instant;

use patter_runtime::sink::Sink;
use patter_sc::server::{BootOptions, ServerKind};
use patter_sc::sink::{DefFile, ScConfig, ScSink};

use crate::args::Args;

/// SuperCollider's default server port.
const DEFAULT_PORT: u16 = 57110;

/// Help lines for the SuperCollider outputs.
pub const OUTPUTS: &str =
    "  --out scsynth[:HOST:PORT]      a running scsynth (default 127.0.0.1:57110)
  --out supernova[:HOST:PORT]    a running supernova (players in parallel groups)
  --out scsynth-boot[:PORT]      boot scsynth (needs a JACK server), stop it on exit
  --out supernova-boot[:PORT]    boot supernova
      --sc-latency S (default 0.2)  --synthdefs DIR (your .scsyndef files)
      --sc-block N (block size)  --sc-threads N (supernova)  --sc-path PROGRAM";

/// The built-in definitions, then the user's (`--synthdefs DIR`), which may replace them.
pub fn defs(args: &Args) -> Result<Vec<DefFile>, String> {
    let mut defs: Vec<DefFile> = patter_sc::library::builtin()
        .map_err(|e| format!("a built-in SynthDef is broken ({e}); please report this as a bug"))?
        .iter()
        .map(DefFile::of)
        .collect();
    if let Some(dir) = args.get("synthdefs") {
        let user = DefFile::read_dir(std::path::Path::new(dir))?;
        if user.is_empty() {
            return Err(format!("no .scsyndef files in {dir}"));
        }
        defs.extend(user);
    }
    Ok(defs)
}

fn parse_addr(rest: &str) -> Result<SocketAddr, String> {
    let target = match rest {
        "" => format!("127.0.0.1:{DEFAULT_PORT}"),
        r if r.parse::<u16>().is_ok() => format!("127.0.0.1:{r}"),
        r => r.to_string(),
    };
    target
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| format!("`{rest}` is not HOST:PORT or PORT"))
}

fn number<T: std::str::FromStr>(
    args: &Args,
    name: &str,
    ok: impl Fn(&T) -> bool,
) -> Result<Option<T>, String> {
    match args.get(name).map(str::parse::<T>) {
        None => Ok(None),
        Some(Ok(v)) if ok(&v) => Ok(Some(v)),
        _ => Err(format!("--{name} takes a number in range")),
    }
}

/// The sink for `out` when it names a SuperCollider output; `None` for other outputs.
pub fn open(out: &str, args: &Args, origin: Instant) -> Option<Result<Box<dyn Sink>, String>> {
    let (kind, rest) = out.split_once(':').unwrap_or((out, ""));
    let (server, boot) = match kind {
        "scsynth" => (ServerKind::Scsynth, false),
        "supernova" => (ServerKind::Supernova, false),
        "scsynth-boot" => (ServerKind::Scsynth, true),
        "supernova-boot" => (ServerKind::Supernova, true),
        _ => return None,
    };
    Some(open_sc(server, boot, rest, args, origin))
}

fn open_sc(
    kind: ServerKind,
    boot: bool,
    rest: &str,
    args: &Args,
    origin: Instant,
) -> Result<Box<dyn Sink>, String> {
    let latency = number::<f64>(args, "sc-latency", |s| {
        s.is_finite() && (0.0..=10.0).contains(s)
    })?;
    let mut config = if boot {
        let port = if rest.is_empty() {
            DEFAULT_PORT
        } else {
            rest.parse::<u16>()
                .map_err(|_| format!("`{rest}` is not a port number"))?
        };
        let mut opts = BootOptions::new(kind, port);
        if let Some(b) = number::<u32>(args, "sc-block", |b| (1..=4096).contains(b))? {
            opts.block_size = b;
        }
        if let Some(t) = number::<u32>(args, "sc-threads", |t| (1..=256).contains(t))? {
            opts.threads = t;
        }
        if let Some(path) = args.get("sc-path") {
            opts.program = Some(path.into());
        }
        ScConfig::boot(opts)
    } else {
        ScConfig::connect(kind, parse_addr(rest)?)
    };
    config.defs = defs(args)?;
    if let Some(l) = latency {
        config.latency = l;
    }
    let sink = ScSink::start(config, origin)?;
    Ok(Box::new(sink))
}

/// Write the NRT score of `events` to `path`.
pub fn write_score(
    program: &patter_pattern::Program,
    events: &[patter_pattern::Event],
    args: &Args,
    path: &str,
) -> Result<String, String> {
    let defs = defs(args)?;
    let bytes = patter_sc::score::score(program, events, &defs);
    std::fs::write(path, &bytes).map_err(|e| format!("cannot write {path}: {e}"))?;
    let wav = std::path::Path::new(path).with_extension("wav");
    Ok(format!(
        "patter: wrote {path}: {} events; render it with: {}",
        events.len(),
        patter_sc::score::render_command(path, &wav.display().to_string(), 48_000)
    ))
}
