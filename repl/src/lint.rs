//! Warnings only a live session can give, because they depend on its outputs or on what a
//! player actually produces: a key that no output reads (usually a typo), and a player that
//! produces no events. Warnings never block an evaluation.

use patter_lang::ast::{ExprKind, Item, ItemKind};
use patter_lang::Diagnostic;
use patter_pattern::{Key, Player, Program, Time};

/// Keys patter's own outputs read beyond the standard names, and player settings.
const EXTRA_KEYS: &[&str] = &[
    "sustainLevel",
    "delayfb",
    "mono",
    "quant",
    "restart",
    "groove",
    "humanize",
    "start",
    "stop",
    "chord",
];

/// Output kinds that pass every key on (SuperDirt, generic OSC, SuperCollider synth
/// controls): with one of them open, no key is unknown.
const FORWARDING: &[&str] = &["dirt", "osc", "scsynth", "supernova"];

/// How many cycles of a new or changed player are looked at for "produces no events".
const PROBE_CYCLES: i64 = 4;

fn key_is_read(name: &str) -> bool {
    Key::standard_names().binary_search(&name).is_ok()
        || EXTRA_KEYS.contains(&name)
        // MIDI control changes: cc74, cc1, …
        || name
            .strip_prefix("cc")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// W0105 for every record key of a `play` item that no open output reads. `outputs` are
/// the session's output specs (`synth`, `midi:X`, `dirt:…`).
pub fn unknown_keys(items: &[Item], outputs: &[String]) -> Vec<Diagnostic> {
    let forwards = outputs.iter().any(|o| {
        let kind = o.split(':').next().unwrap_or("");
        FORWARDING.iter().any(|f| kind.starts_with(f))
    });
    if forwards {
        return Vec::new();
    }
    let mut out = Vec::new();
    for item in items {
        let ItemKind::Play { body, .. } = &item.node else {
            continue;
        };
        let ExprKind::Record(fields) = &body.node else {
            continue;
        };
        for (key, _) in fields {
            let name = key.node.as_str();
            if key_is_read(name) {
                continue;
            }
            let mut d = Diagnostic::warning(
                "W0105",
                format!("no output reads the key `{name}`"),
                key.span,
            )
            .with_label("the events carry it, but nothing plays it");
            let candidates = Key::standard_names()
                .iter()
                .copied()
                .chain(EXTRA_KEYS.iter().copied());
            d = match patter_lang::eval::suggest(name, candidates) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(
                    "SuperDirt, OSC and SuperCollider outputs pass every key on; the built-in \
                     synth and MIDI read the keys listed in docs/synth.md and docs/language.md",
                ),
            };
            out.push(d);
        }
    }
    out
}

/// W0106 for each player of `probe` named by a `play` item of `items` that makes no event
/// in its first cycles (every step a rest, a mask that hides everything, a stream that
/// ended).
pub fn silent_players(items: &[Item], program: &Program, probe: &[&Player]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for item in items {
        let ItemKind::Play { name, body } = &item.node else {
            continue;
        };
        // A player started by a trigger is silent until it fires: that is intended.
        if let ExprKind::Record(fields) = &body.node {
            if fields.iter().any(|(k, _)| k.node == "start") {
                continue;
            }
        }
        let Some(player) = probe.iter().find(|p| *p.name == *name.node) else {
            continue;
        };
        if player.muted {
            continue;
        }
        let alone = Program {
            players: vec![(*player).clone()],
            solo: Vec::new(),
            scenes: Vec::new(),
            arrangement: None,
            ..program.clone()
        };
        let to = program.cycle_beats * Time::int(PROBE_CYCLES);
        // A player too busy to query is reported by the engine's budget, not here.
        let Ok(events) = patter_runtime::render::events(&alone, Time::ZERO, to) else {
            continue;
        };
        if events.is_empty() {
            out.push(
                Diagnostic::warning(
                    "W0106",
                    format!(
                        "player `{}` produces no events in its first {PROBE_CYCLES} cycles",
                        name.node
                    ),
                    name.span,
                )
                .with_label("this player is silent")
                .with_help(
                    "check its rhythm: a string of rests, a `mask` or `struct` that hides \
                     every step, or a stream that has ended",
                ),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use patter_lang::FileId;

    fn items(src: &str) -> Vec<Item> {
        patter_lang::parse::parse(FileId(0), src).0.items
    }

    #[test]
    fn a_misspelt_key_is_reported_with_a_suggestion_unless_an_output_forwards_keys() {
        let src = "play a { s: \"bd\", ampp: 0.5, cc74: 10, sustainLevel: 0.5 }";
        let d = unknown_keys(&items(src), &["synth".into()]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "W0105");
        assert!(d[0].help.as_deref().unwrap_or("").contains("`amp`"));
        let span = d[0].span().unwrap();
        assert_eq!(src.get(span.range()), Some("ampp"));
        assert!(unknown_keys(&items(src), &["dirt".into()]).is_empty());
        assert!(unknown_keys(&items(src), &["scsynth-boot".into()]).is_empty());
    }

    #[test]
    fn a_player_of_rests_is_reported_and_one_that_plays_is_not() {
        let src = "play quiet { s: \"~ ~\" }\nplay loud { s: \"bd\" }";
        let program = patter_lang::compile("t", src, &patter_lang::NoImports)
            .program
            .unwrap();
        let all: Vec<&Player> = program.players.iter().collect();
        let d = silent_players(&items(src), &program, &all);
        assert!(silent_players(&items(src), &program, &all[1..]).is_empty());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "W0106");
        assert!(d[0].message.contains("quiet"));
    }
}
