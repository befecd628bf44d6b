//! The attribute diff engine shared by the plan, drift, output and state views.
//!
//! It walks a before and an after value side by side and produces [`Line`]s: a depth, a
//! change symbol and text. Layout (indentation, symbol column, colour) is applied afterwards
//! by [`write_lines`], so the same walk serves Terraform-style diffs and plain listings.
//!
//! There is no provider schema here, so shapes decide the rendering: an object is shown as
//! `name = { ... }`, a list whose items are all objects as repeated `name { ... }` blocks, a
//! string holding a JSON document as a `jsonencode(...)` line diff, and a multi-line string
//! as a `<<-EOT` heredoc line diff.

use std::collections::BTreeSet;

use similar::{capture_diff_slices, group_diff_ops, Algorithm, DiffOp};
use trellis_types::{Path, PathStep, Value};

use crate::style::{Paint, Style};

static NULL: Value = Value::Null;

/// The change symbol in front of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sym {
    Add,
    Change,
    Remove,
    Keep,
    DeleteThenCreate,
    CreateThenDelete,
    Read,
}

impl Sym {
    /// The four-character symbol column.
    fn field(self) -> &'static str {
        match self {
            Sym::Add => "  + ",
            Sym::Change => "  ~ ",
            Sym::Remove => "  - ",
            Sym::Keep => "    ",
            Sym::DeleteThenCreate => "-/+ ",
            Sym::CreateThenDelete => "+/- ",
            Sym::Read => " <= ",
        }
    }

    /// The first-column marker of a markdown diff line.
    fn marker(self) -> char {
        match self {
            Sym::Add => '+',
            Sym::Remove => '-',
            Sym::Change | Sym::DeleteThenCreate | Sym::CreateThenDelete => '!',
            Sym::Keep | Sym::Read => ' ',
        }
    }

    pub(crate) fn paint(self) -> Option<Paint> {
        match self {
            Sym::Add => Some(Paint::Green),
            Sym::Change => Some(Paint::Yellow),
            Sym::Remove => Some(Paint::Red),
            Sym::DeleteThenCreate | Sym::CreateThenDelete | Sym::Read => Some(Paint::Cyan),
            Sym::Keep => None,
        }
    }

    /// The symbol itself, painted, without padding.
    pub(crate) fn painted(self, style: Style) -> String {
        let text = self.field().trim();
        match self.paint() {
            Some(paint) => style.paint(paint, text),
            None => text.to_string(),
        }
    }
}

/// One rendered line before layout.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub depth: usize,
    pub sym: Sym,
    pub text: String,
    /// The line opens a `{` block or value (no blank line is wanted right after it).
    pub opener: bool,
}

/// How lines are laid out.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Layout {
    /// Terraform's diff layout: four spaces per depth, then a four-character symbol column.
    Diff,
    /// No symbol column: `indent` spaces per depth.
    Plain { indent: usize },
    /// For a markdown `diff` code block: a one-character marker in the first column that
    /// GitHub colours (`+` green, `-` red, `!` orange), then four spaces per depth.
    Markdown,
}

/// Appends `lines` to `out`, one per line, each ending in a newline.
pub(crate) fn write_lines(out: &mut String, lines: &[Line], layout: Layout, style: Style) {
    for line in lines {
        if line.text.is_empty() && line.sym == Sym::Keep {
            out.push('\n');
            continue;
        }
        // Written in place, then trimmed back: the same bytes as building the line apart
        // and pushing `text.trim_end()`, without a string per line.
        let start = out.len();
        match layout {
            Layout::Diff => {
                push_indent(out, 4 * line.depth);
                let field = line.sym.field();
                match line.sym.paint() {
                    Some(paint) if style.color => {
                        let symbol = field.trim();
                        let lead = &field[..field.len() - field.trim_start().len()];
                        out.push_str(lead);
                        out.push_str(&style.paint(paint, symbol));
                        out.push(' ');
                    }
                    _ => out.push_str(field),
                }
            }
            Layout::Plain { indent } => push_indent(out, indent * line.depth),
            Layout::Markdown => {
                out.push(line.sym.marker());
                out.push(' ');
                push_indent(out, 4 * line.depth);
            }
        }
        out.push_str(&line.text);
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    }
}

fn push_indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

/// A position in the before value and in the after value. They differ inside lists, where an
/// element may move between indices.
#[derive(Debug, Clone, Default)]
pub(crate) struct At {
    b: Path,
    a: Path,
}

impl At {
    pub(crate) fn root() -> At {
        At::default()
    }

    pub(crate) fn key(&self, key: &str) -> At {
        At {
            b: self.b.key(key),
            a: self.a.key(key),
        }
    }

    fn index(&self, b: usize, a: usize) -> At {
        At {
            b: self.b.child(PathStep::Index(b)),
            a: self.a.child(PathStep::Index(a)),
        }
    }
}

/// Walks values and collects [`Line`]s.
pub(crate) struct Differ<'a> {
    before_sensitive: &'a [Path],
    after_sensitive: &'a [Path],
    replace_paths: &'a [Path],
    /// Hide unchanged attributes, elements, blocks and lines behind a count.
    pub hide_unchanged: bool,
    /// Render lists of objects as repeated blocks.
    pub blocks: bool,
    /// Depth of enclosing removed values: their parts get no `-> null`.
    removing: usize,
    pub lines: Vec<Line>,
}

impl<'a> Differ<'a> {
    pub(crate) fn new(
        before_sensitive: &'a [Path],
        after_sensitive: &'a [Path],
        replace_paths: &'a [Path],
    ) -> Differ<'a> {
        Differ {
            before_sensitive,
            after_sensitive,
            replace_paths,
            hide_unchanged: true,
            blocks: true,
            removing: 0,
            lines: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, depth: usize, sym: Sym, text: impl Into<String>) {
        let text = text.into();
        self.lines.push(Line {
            depth,
            sym,
            text,
            opener: false,
        });
    }

    pub(crate) fn open(&mut self, depth: usize, sym: Sym, text: impl Into<String>) {
        self.lines.push(Line {
            depth,
            sym,
            text: text.into(),
            opener: true,
        });
    }

    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.opener) {
            self.push(0, Sym::Keep, "");
        }
    }

    fn sens_b(&self, at: &At, v: &Value) -> bool {
        v.is_sensitive() || self.before_sensitive.iter().any(|p| at.b.starts_with(p))
    }

    fn sens_a(&self, at: &At, v: &Value) -> bool {
        v.is_sensitive() || self.after_sensitive.iter().any(|p| at.a.starts_with(p))
    }

    fn forces(&self, at: &At) -> &'static str {
        if self.replace_paths.iter().any(|p| *p == at.a || *p == at.b) {
            " # forces replacement"
        } else {
            ""
        }
    }

    fn arrow(&self) -> &'static str {
        if self.removing == 0 {
            " -> null"
        } else {
            ""
        }
    }

    fn unchanged(&self, at: &At, b: &Value, a: &Value) -> bool {
        b == a && self.sens_b(at, b) == self.sens_a(at, a) && !a.contains_unknown()
    }

    /// The attributes (and blocks) of an object, at `depth`. The caller writes the braces.
    pub(crate) fn object_body(
        &mut self,
        depth: usize,
        at: &At,
        b: &Value,
        a: &Value,
        noun: &str,
        always_show: &[&str],
    ) {
        let bm = b.as_map();
        let am = a.as_map();
        let keys: BTreeSet<&String> = bm
            .into_iter()
            .flat_map(|m| m.keys())
            .chain(am.into_iter().flat_map(|m| m.keys()))
            .collect();
        let mut attrs = Vec::new();
        let mut blocks = Vec::new();
        let mut hidden = 0;
        for key in keys {
            let at = at.key(key);
            let bv = bm.and_then(|m| m.get(key)).unwrap_or(&NULL);
            let av = am.and_then(|m| m.get(key)).unwrap_or(&NULL);
            if bv.is_null() && av.is_null() {
                continue;
            }
            if self.blocks
                && !self.sens_b(&at, bv)
                && !self.sens_a(&at, av)
                && is_block_list(bv, av)
            {
                blocks.push((key, at, bv, av));
                continue;
            }
            if self.hide_unchanged
                && self.unchanged(&at, bv, av)
                && !always_show.contains(&key.as_str())
            {
                hidden += 1;
                continue;
            }
            attrs.push((key, at, bv, av));
        }
        let width = attrs
            .iter()
            .map(|(k, ..)| key_text(k).chars().count())
            .max()
            .unwrap_or(0);
        for (key, at, bv, av) in &attrs {
            let head = format!("{:<width$} = ", key_text(key));
            self.attribute(depth, at, head, bv, av);
        }
        if hidden > 0 {
            self.push(depth, Sym::Keep, hidden_comment(hidden, noun));
        }
        let mut hidden_blocks = 0;
        for (key, at, bv, av) in &blocks {
            hidden_blocks += self.block_list(depth, at, key, bv, av);
        }
        if hidden_blocks > 0 {
            self.blank();
            self.push(depth, Sym::Keep, hidden_comment(hidden_blocks, "block"));
        }
    }

    /// One `head = value` attribute (or a list element, with an empty head).
    pub(crate) fn attribute(&mut self, depth: usize, at: &At, head: String, b: &Value, a: &Value) {
        let sb = self.sens_b(at, b);
        let sa = self.sens_a(at, a);
        let sym = if b.is_null() && !a.is_null() {
            Sym::Add
        } else if !b.is_null() && a.is_null() {
            Sym::Remove
        } else if self.unchanged(at, b, a) {
            Sym::Keep
        } else {
            Sym::Change
        };
        let force = self.forces(at);
        if sb || sa {
            let arrow = if sym == Sym::Remove { self.arrow() } else { "" };
            self.push(depth, sym, format!("{head}(sensitive value){arrow}{force}"));
            return;
        }
        let (b, a) = (b.unmarked(), a.unmarked());
        if matches!(a, Value::Unknown) {
            if sym == Sym::Add || is_inline(b) {
                let text = match sym {
                    Sym::Add => format!("{head}(known after apply){force}"),
                    _ => format!("{head}{} -> (known after apply){force}", inline(b)),
                };
                self.push(depth, sym, text);
            } else {
                self.structured(
                    depth,
                    at,
                    head,
                    Sym::Change,
                    b,
                    &NULL,
                    " -> (known after apply)",
                    force,
                );
            }
            return;
        }
        match pair_kind(b, a) {
            Kind::Inline => {
                let text = match sym {
                    Sym::Add | Sym::Keep => format!("{head}{}{force}", inline(a)),
                    Sym::Remove => format!("{head}{}{}{force}", inline(b), self.arrow()),
                    _ => format!("{head}{} -> {}{force}", inline(b), inline(a)),
                };
                self.push(depth, sym, text);
            }
            Kind::Mismatch => {
                self.attribute(depth, at, head.clone(), b, &NULL);
                self.attribute(depth, at, head, &NULL, a);
            }
            _ => self.structured(depth, at, head, sym, b, a, "", force),
        }
    }

    /// A value shown over several lines: an object, a list, a JSON document or a heredoc.
    #[allow(clippy::too_many_arguments)]
    fn structured(
        &mut self,
        depth: usize,
        at: &At,
        head: String,
        sym: Sym,
        b: &Value,
        a: &Value,
        suffix: &str,
        force: &str,
    ) {
        let close_arrow = if sym == Sym::Remove { self.arrow() } else { "" };
        let removed = a.is_null();
        match pair_kind(b, a) {
            Kind::Map => {
                if entries(b) == 0 && entries(a) == 0 {
                    let arrow = if sym == Sym::Remove { self.arrow() } else { "" };
                    let text = match sym {
                        Sym::Change => format!("{head}{{}} -> {{}}{suffix}{force}"),
                        _ => format!("{head}{{}}{arrow}{suffix}{force}"),
                    };
                    self.push(depth, sym, text);
                    return;
                }
                self.open(depth, sym, format!("{head}{{{force}"));
                self.removing += usize::from(removed);
                self.object_body(depth + 1, at, b, a, "element", &[]);
                self.removing -= usize::from(removed);
                self.push(depth, Sym::Keep, format!("}}{close_arrow}{suffix}"));
            }
            Kind::List => {
                if entries(b) == 0 && entries(a) == 0 {
                    let arrow = if sym == Sym::Remove { self.arrow() } else { "" };
                    self.push(depth, sym, format!("{head}[]{arrow}{suffix}{force}"));
                    return;
                }
                self.open(depth, sym, format!("{head}[{force}"));
                self.removing += 1;
                self.list_body(depth + 1, at, b, a);
                self.removing -= 1;
                self.push(depth, Sym::Keep, format!("]{close_arrow}{suffix}"));
            }
            Kind::Json => {
                self.open(depth, sym, format!("{head}jsonencode({force}"));
                let bl = b.as_str().map(pretty_json_lines).unwrap_or_default();
                let al = a.as_str().map(pretty_json_lines).unwrap_or_default();
                self.line_diff(depth + 1, &bl, &al);
                self.push(depth, Sym::Keep, format!("){close_arrow}{suffix}"));
            }
            Kind::Text => {
                self.open(depth, sym, format!("{head}<<-EOT{force}"));
                let bl = b.as_str().map(text_lines).unwrap_or_default();
                let al = a.as_str().map(text_lines).unwrap_or_default();
                self.line_diff(depth + 1, &bl, &al);
                self.push(depth, Sym::Keep, format!("EOT{close_arrow}{suffix}"));
            }
            Kind::Inline | Kind::Str | Kind::Mismatch => {
                let text = format!("{head}{}{suffix}{force}", inline(b));
                self.push(depth, sym, text);
            }
        }
    }

    /// The elements of a list, one per line, each followed by a comma.
    fn list_body(&mut self, depth: usize, at: &At, b: &Value, a: &Value) {
        let bl = b.as_list().unwrap_or(&[]);
        let al = a.as_list().unwrap_or(&[]);
        let bk: Vec<String> = bl
            .iter()
            .enumerate()
            .map(|(i, v)| identity(self.sens_b(&at.index(i, i), v), v))
            .collect();
        let ak: Vec<String> = al
            .iter()
            .enumerate()
            .map(|(i, v)| identity(self.sens_a(&at.index(i, i), v), v))
            .collect();
        let mut hidden = 0;
        for op in capture_diff_slices(Algorithm::Myers, &bk, &ak) {
            if let DiffOp::Equal {
                old_index,
                new_index,
                len,
            } = op
            {
                if self.hide_unchanged && (bl.len() != al.len() || bk != ak) {
                    hidden += len;
                    continue;
                }
                self.flush_hidden(depth, &mut hidden, "element");
                for k in 0..len {
                    let (o, n) = (old_index + k, new_index + k);
                    self.element(depth, &at.index(o, n), &bl[o], &al[n]);
                }
                continue;
            }
            self.flush_hidden(depth, &mut hidden, "element");
            for o in op.old_range() {
                self.element(depth, &at.index(o, o), &bl[o], &NULL);
            }
            for n in op.new_range() {
                self.element(depth, &at.index(n, n), &NULL, &al[n]);
            }
        }
        self.flush_hidden(depth, &mut hidden, "element");
    }

    fn element(&mut self, depth: usize, at: &At, b: &Value, a: &Value) {
        self.attribute(depth, at, String::new(), b, a);
        if let Some(last) = self.lines.last_mut() {
            last.text.push(',');
        }
    }

    fn flush_hidden(&mut self, depth: usize, hidden: &mut usize, noun: &str) {
        if *hidden > 0 {
            self.push(depth, Sym::Keep, hidden_comment(*hidden, noun));
            *hidden = 0;
        }
    }

    /// A list of objects as repeated blocks. Returns how many unchanged blocks it hid.
    fn block_list(&mut self, depth: usize, at: &At, name: &str, b: &Value, a: &Value) -> usize {
        let bl = b.as_list().unwrap_or(&[]);
        let al = a.as_list().unwrap_or(&[]);
        let bk: Vec<String> = bl.iter().map(|v| format!("{v:?}")).collect();
        let ak: Vec<String> = al.iter().map(|v| format!("{v:?}")).collect();
        let force = self.forces(at);
        let mut hidden = 0;
        for op in capture_diff_slices(Algorithm::Myers, &bk, &ak) {
            match op {
                DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                } => {
                    if self.hide_unchanged {
                        hidden += len;
                    } else {
                        for k in 0..len {
                            let (o, n) = (old_index + k, new_index + k);
                            self.block(depth, &at.index(o, n), name, force, &bl[o], &al[n]);
                        }
                    }
                }
                op => {
                    let old = op.old_range();
                    let new = op.new_range();
                    let paired = old.len().min(new.len());
                    for k in 0..paired {
                        let (o, n) = (old.start + k, new.start + k);
                        self.block(depth, &at.index(o, n), name, force, &bl[o], &al[n]);
                    }
                    let removed = old.start + paired..old.end;
                    for (o, item) in removed.clone().zip(&bl[removed]) {
                        self.block(depth, &at.index(o, o), name, force, item, &NULL);
                    }
                    let added = new.start + paired..new.end;
                    for (n, item) in added.clone().zip(&al[added]) {
                        self.block(depth, &at.index(n, n), name, force, &NULL, item);
                    }
                }
            }
        }
        hidden
    }

    fn block(&mut self, depth: usize, at: &At, name: &str, force: &str, b: &Value, a: &Value) {
        let sym = if b.is_null() {
            Sym::Add
        } else if a.is_null() {
            Sym::Remove
        } else if self.unchanged(at, b, a) {
            Sym::Keep
        } else {
            Sym::Change
        };
        let force = if force.is_empty() {
            self.forces(at)
        } else {
            force
        };
        self.blank();
        self.open(depth, sym, format!("{name} {{{force}"));
        self.object_body(depth + 1, at, b, a, "attribute", &[]);
        self.push(depth, Sym::Keep, "}");
    }

    /// Lines of text, diffed; long unchanged stretches are hidden behind a count.
    fn line_diff(&mut self, depth: usize, bl: &[String], al: &[String]) {
        let ops = capture_diff_slices(Algorithm::Myers, bl, al);
        let one_sided = bl.is_empty() || al.is_empty();
        if !self.hide_unchanged || one_sided || bl == al {
            for op in &ops {
                self.emit_lines(depth, op, bl, al);
            }
            return;
        }
        let mut old_pos = 0;
        for group in group_diff_ops(ops, 3) {
            let Some(first) = group.first() else { continue };
            let start = first.old_range().start;
            if start > old_pos {
                self.push(depth, Sym::Keep, hidden_comment(start - old_pos, "line"));
            }
            for op in &group {
                self.emit_lines(depth, op, bl, al);
            }
            old_pos = group.last().map_or(start, |op| op.old_range().end);
        }
        if old_pos < bl.len() {
            self.push(depth, Sym::Keep, hidden_comment(bl.len() - old_pos, "line"));
        }
    }

    fn emit_lines(&mut self, depth: usize, op: &DiffOp, bl: &[String], al: &[String]) {
        if let DiffOp::Equal { .. } = op {
            for o in op.old_range() {
                self.push(depth, Sym::Keep, bl[o].clone());
            }
            return;
        }
        for o in op.old_range() {
            self.push(depth, Sym::Remove, bl[o].clone());
        }
        for n in op.new_range() {
            self.push(depth, Sym::Add, al[n].clone());
        }
    }
}

/// A string that identifies a list element for diffing (never shown).
fn identity(sensitive: bool, v: &Value) -> String {
    format!("{sensitive}{v:?}")
}

fn hidden_comment(n: usize, noun: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("# ({n} unchanged {noun}{s} hidden)")
}

fn entries(v: &Value) -> usize {
    match v.unmarked() {
        Value::Map(m) => m.len(),
        Value::List(l) => l.len(),
        _ => 0,
    }
}

/// Whether the pair is shown as repeated blocks: each side absent or a list of objects, and
/// at least one side has an object.
fn is_block_list(b: &Value, a: &Value) -> bool {
    fn objects(v: &Value) -> Option<bool> {
        match v.unmarked() {
            Value::Null => Some(false),
            Value::List(items) if items.iter().all(|i| matches!(i.unmarked(), Value::Map(_))) => {
                Some(!items.is_empty())
            }
            _ => None,
        }
    }
    matches!((objects(b), objects(a)), (Some(x), Some(y)) if x || y)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Inline,
    /// A single-line string (inline unless the other side is a multi-line string).
    Str,
    Json,
    Text,
    Map,
    List,
    Mismatch,
}

fn kind(v: &Value) -> Option<Kind> {
    match v.unmarked() {
        Value::Null => None,
        Value::String(s) if is_json(s) => Some(Kind::Json),
        Value::String(s) if s.contains('\n') => Some(Kind::Text),
        Value::String(_) => Some(Kind::Str),
        Value::Map(_) => Some(Kind::Map),
        Value::List(_) => Some(Kind::List),
        _ => Some(Kind::Inline),
    }
}

fn pair_kind(b: &Value, a: &Value) -> Kind {
    use Kind::*;
    let k = match (kind(b), kind(a)) {
        (None, None) => Inline,
        (Some(k), None) | (None, Some(k)) => k,
        (Some(x), Some(y)) if x == y => x,
        (Some(Json | Text | Str), Some(Json | Text | Str)) => Text,
        (Some(Inline | Str), Some(Inline | Str)) => Inline,
        _ => Mismatch,
    };
    if k == Str {
        Inline
    } else {
        k
    }
}

/// Whether a string holds a JSON object or array (policies, for instance).
fn is_json(s: &str) -> bool {
    let t = s.trim_start();
    (t.starts_with('{') || t.starts_with('['))
        && serde_json::from_str::<serde_json::Value>(s).is_ok_and(|v| v.is_object() || v.is_array())
}

fn is_inline(v: &Value) -> bool {
    match v.unmarked() {
        Value::String(s) => !s.contains('\n'),
        Value::Map(m) => m.is_empty(),
        Value::List(l) => l.is_empty(),
        _ => true,
    }
}

/// A primitive value on one line.
pub(crate) fn inline(v: &Value) -> String {
    match v.unmarked() {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => trellis_types::Value::Number(*n).to_json().to_string(),
        Value::String(s) => quote(s),
        Value::Unknown => "(known after apply)".to_string(),
        Value::Map(m) if m.is_empty() => "{}".to_string(),
        Value::List(l) if l.is_empty() => "[]".to_string(),
        // Not reached for non-empty collections; keep a redacted compact form anyway.
        other => other.to_string(),
    }
}

pub(crate) fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// An attribute or map key: bare when it is an identifier, quoted otherwise.
pub(crate) fn key_text(k: &str) -> String {
    let mut chars = k.chars();
    let ident = matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if ident {
        k.to_string()
    } else {
        quote(k)
    }
}

/// A JSON document pretty-printed with sorted keys, so that a reordering is no difference.
fn pretty_json_lines(s: &str) -> Vec<String> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(s) else {
        return text_lines(s);
    };
    let sorted = sort_keys(json);
    serde_json::to_string_pretty(&sorted)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn sort_keys(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|x, y| x.0.cmp(&y.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sort_keys).collect())
        }
        other => other,
    }
}

fn text_lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}
