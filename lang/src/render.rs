//! Rendering diagnostics with ariadne, at the edge (CLI, REPL, tests).
//!
//! Spans are byte offsets, converted to char offsets for ariadne. A label whose file is not in [`Sources`] is left out (ariadne
//! would print a complaint to stderr); a diagnostic with no usable label is rendered as its
//! header and help alone. Offsets past the end of a file are clamped, so a stale span can
//! never make rendering fail.

use std::fmt;

use ariadne::{Cache, Color, Config, IndexType, Label, Report, ReportKind, Source};

use crate::diagnostic::{Diagnostic, Severity, Sources};
use crate::span::{FileId, Span};

/// Render diagnostics as text (`color` for terminals; off for tests and pipes).
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut cache = SourceCache::new(sources);
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&render_one(d, sources, &mut cache, color));
    }
    out
}

/// ariadne's view of [`Sources`].
struct SourceCache<'a> {
    sources: &'a Sources,
    files: Vec<Source<&'a str>>,
}

impl<'a> SourceCache<'a> {
    fn new(sources: &'a Sources) -> Self {
        let files = (0..sources.len())
            .map(|i| Source::from(sources.text(FileId(i as u32))))
            .collect();
        SourceCache { sources, files }
    }
}

impl<'a> Cache<FileId> for SourceCache<'a> {
    type Storage = &'a str;

    fn fetch(&mut self, id: &FileId) -> Result<&Source<&'a str>, impl fmt::Debug> {
        self.files
            .get(id.0 as usize)
            .ok_or_else(|| format!("unknown file {}", id.0))
    }

    fn display<'b>(&self, id: &'b FileId) -> Option<impl fmt::Display + 'b> {
        Some(self.sources.name(*id).to_string())
    }
}

/// A span as ariadne takes it.
type AriadneSpan = (FileId, std::ops::Range<usize>);

/// `span` clamped into its file, as char offsets, or `None` when the file is unknown.
fn fit(span: Span, sources: &Sources) -> Option<AriadneSpan> {
    if span.file.0 as usize >= sources.len() {
        return None;
    }
    let text = sources.text(span.file);
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while i > 0 && !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (a, b) = (span.start as usize, span.end as usize);
    let (a, b) = (floor(a.min(b)), floor(a.max(b)));
    // ariadne is given char offsets: in byte mode it mixes the two for labels in a second
    // file and slices mid-char.
    let chars = |i: usize| text.get(..i).map_or(0, |t| t.chars().count());
    Some((span.file, chars(a)..chars(b)))
}

fn render_one(
    d: &Diagnostic,
    sources: &Sources,
    cache: &mut SourceCache<'_>,
    color: bool,
) -> String {
    let (kind, primary_color) = match d.severity {
        Severity::Error => (ReportKind::Error, Color::Red),
        Severity::Warning => (ReportKind::Warning, Color::Yellow),
    };
    let labels: Vec<(usize, AriadneSpan, &str)> = d
        .labels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| fit(l.span, sources).map(|s| (i, s, l.message.as_str())))
        .collect();

    let Some((_, anchor, _)) = labels.first().cloned() else {
        return render_plain(d);
    };
    // ariadne starts a new source section whenever a label goes back up the file, so hand
    // them over in file order; colour still tells the primary label apart.
    let mut labels = labels;
    labels.sort_by_key(|(_, (file, range), _)| (*file, range.start, range.end));
    let mut report = Report::build(kind, anchor)
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(IndexType::Char),
        )
        .with_code(d.code)
        .with_message(&d.message);
    for (i, span, message) in labels {
        let mut label =
            Label::new(span).with_color(if i == 0 { primary_color } else { Color::Blue });
        if !message.is_empty() {
            label = label.with_message(message);
        } else if i == 0 {
            // ariadne only underlines labels that carry text; the primary span must show.
            label = label.with_message("here");
        }
        report = report.with_label(label);
    }
    if let Some(help) = &d.help {
        report = report.with_help(help);
    }
    let mut buf = Vec::new();
    match report.finish().write(cache, &mut buf) {
        Ok(()) => String::from_utf8_lossy(&buf).into_owned(),
        Err(_) => render_plain(d),
    }
}

/// A diagnostic without source lines.
fn render_plain(d: &Diagnostic) -> String {
    let kind = match d.severity {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
    };
    let mut out = format!("[{}] {kind}: {}\n", d.code, d.message);
    for l in d.labels.iter().filter(|l| !l.message.is_empty()) {
        out.push_str(&format!("  {}\n", l.message));
    }
    if let Some(help) = &d.help {
        out.push_str(&format!("  Help: {help}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_files_and_wild_spans_do_not_fail() {
        let mut sources = Sources::default();
        let f = sources.add("a.pat", "let x = é");
        let d = Diagnostic::error("E0001", "first", Span::new(f, 9, 400))
            .with_secondary(Span::new(FileId(7), 0, 3), "elsewhere");
        let lonely = Diagnostic::error("E0002", "second", Span::new(FileId(9), 5, 1));
        let out = render(&[d, lonely], &sources, false);
        assert!(out.contains("E0001") && out.contains("E0002"));
        assert!(!out.contains('\u{1b}'));
    }
}
