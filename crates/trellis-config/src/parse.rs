//! Reading every file of a [`SourceMap`] into one [`Config`].

use std::collections::HashMap;

use hcl_edit::structure::{Block, Body, Structure};
use trellis_types::{Diagnostics, Mode, SourceMap, Span};

use crate::blocks::{self, header_span};
use crate::diag::{did_you_mean, FileCx};
use crate::lex;
use crate::model::*;

/// Files larger than this are refused rather than parsed.
pub const MAX_FILE_SIZE: usize = 16 * 1024 * 1024;

const BLOCK_TYPES: &[&str] = &[
    "terraform",
    "provider",
    "variable",
    "locals",
    "output",
    "resource",
    "data",
    "moved",
    "import",
    "module",
    "check",
    "removed",
];

/// Parses every `*.tf` file of `sources` into one [`Config`], with every problem found.
///
/// Files are read in the order of the source map: `*.tf` in HCL, `*.tf.json` in
/// Terraform's JSON syntax (into the same body, so both kinds define items in one
/// namespace and a duplicate across them is reported as such); other files are ignored. A file with a syntax error contributes
/// its error and nothing else, while the other files are still read and checked. The
/// returned `Config` holds everything that could be read, even when there are errors.
pub fn parse(sources: &SourceMap) -> (Config, Diagnostics) {
    let mut config = Config::default();
    let mut diags = Diagnostics::new();
    let mut seen = Seen::default();
    for file in sources.files() {
        let mut cx = FileCx {
            file,
            diags: &mut diags,
        };
        let json = file.name.ends_with(".tf.json");
        if !json && !file.name.ends_with(".tf") {
            continue;
        }
        let first = cx.diags.0.len();
        let body = if json {
            check_size(&mut cx).and_then(|()| crate::json::parse_json_file(&mut cx))
        } else {
            parse_file(&mut cx)
        };
        if let Some(body) = body {
            decode(&mut cx, body, &mut config, &mut seen);
        }
        // Checks run block by block and argument by argument; show the file's diagnostics
        // in source order.
        diags.0[first..].sort_by_key(|d| d.span.as_ref().map(|s| s.start));
    }
    (config, diags)
}

/// Refuses files over [`MAX_FILE_SIZE`] and files with a NUL byte.
fn check_size(cx: &mut FileCx) -> Option<()> {
    let text: &str = &cx.file.text;
    if text.len() > MAX_FILE_SIZE {
        cx.error_with(
            "file is too large",
            format!(
                "configuration files are limited to {} MiB",
                MAX_FILE_SIZE >> 20
            ),
            cx.file.span(0, 0),
        );
        return None;
    }
    if let Some(offset) = text.find('\0') {
        cx.error_with(
            "file contains a NUL byte",
            "configuration files must be UTF-8 text",
            cx.file.span(offset, offset + 1),
        );
        return None;
    }
    Some(())
}

/// Parses one file's text; reports why when it cannot.
fn parse_file(cx: &mut FileCx) -> Option<Body> {
    check_size(cx)?;
    let text: &str = &cx.file.text;
    // A byte-order mark is harmless; blank it out (keeping every offset) rather than
    // failing on it.
    let mut text = match text.strip_prefix('\u{feff}') {
        Some(rest) => format!("   {rest}"),
        None => text.to_string(),
    };
    let mut errors = 0;
    loop {
        let e = match hcl_edit::parser::parse_body(&text) {
            Ok(body) => return Some(body),
            Err(e) => e,
        };
        // The parser names the place where it gave up; the tokenizer often knows the cause
        // (an unterminated string, an unclosed bracket), which may be earlier.
        let (offset, summary, detail) = match lex::first_problem(&text) {
            Some(p) if p.offset < item_range(&text, e.location().offset()).end => {
                (p.offset, p.summary, None)
            }
            _ if e.message().contains("nesting depth")
                || e.message().contains("chained binary operators") =>
            {
                (
                    char_boundary(&text, e.location().offset()),
                    "expression nested too deeply".to_string(),
                    Some(e.message().to_string()),
                )
            }
            _ => (
                char_boundary(&text, e.location().offset()),
                "syntax error".to_string(),
                Some(e.message().to_string()),
            ),
        };
        let end = text[offset..]
            .chars()
            .next()
            .map_or(offset, |c| offset + c.len_utf8());
        let span = cx.file.span(offset, end);
        match detail {
            Some(detail) => cx.error_with(summary, detail, span),
            None => cx.error(summary, span),
        }
        // Recover: blank out the top-level item holding the error and parse again, so
        // that the errors of the other items are found too.
        errors += 1;
        if errors >= MAX_SYNTAX_ERRORS || !blank_item_at(&mut text, offset) {
            return None;
        }
    }
}

/// `offset` moved back to the start of the character it falls in.
fn char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// After this many syntax errors in one file, the rest of the file is not looked at.
const MAX_SYNTAX_ERRORS: usize = 10;

/// Replaces the top-level item around `offset` with spaces (newlines kept, so that every
/// other offset stays valid). Items start at lines that begin with a name in column 0, as
/// `terraform fmt` lays them out. Returns false when nothing was left to blank.
fn blank_item_at(text: &mut String, offset: usize) -> bool {
    let range = item_range(text, offset);
    let item = &text[range.clone()];
    if item.trim().is_empty() {
        return false;
    }
    let blank: String = item
        .chars()
        .map(|c| {
            if c == '\n' { '\n' } else { ' ' }
                .to_string()
                .repeat(c.len_utf8())
        })
        .collect();
    text.replace_range(range, &blank);
    true
}

/// The byte range of the top-level item around `offset`.
fn item_range(text: &str, offset: usize) -> std::ops::Range<usize> {
    let starts: Vec<usize> = lex::tokenize(text)
        .iter()
        .filter(|t| {
            t.kind == lex::Kind::Ident && (t.start == 0 || text.as_bytes()[t.start - 1] == b'\n')
        })
        .map(|t| t.start)
        .collect();
    let start = starts
        .iter()
        .rev()
        .find(|&&s| s <= offset)
        .copied()
        .unwrap_or(0);
    let end = starts
        .iter()
        .find(|&&s| s > offset)
        .copied()
        .unwrap_or(text.len());
    start..end
}

/// Where each named item was first defined, for duplicate errors.
#[derive(Default)]
struct Seen {
    resources: HashMap<(Mode, String, String), Span>,
    providers: HashMap<String, Span>,
    variables: HashMap<String, Span>,
    outputs: HashMap<String, Span>,
    locals: HashMap<String, Span>,
    moved: HashMap<String, Span>,
    imports: HashMap<String, Span>,
    modules: HashMap<String, Span>,
}

/// Records `key` as defined at `span`; when it already was, reports the duplicate and
/// returns false.
fn first_definition(
    cx: &mut FileCx,
    seen: &mut HashMap<String, Span>,
    key: String,
    what: &str,
    span: Span,
) -> bool {
    if let Some(first) = seen.get(&key) {
        cx.error_with(
            format!("duplicate {what} `{key}`"),
            format!("first defined at {first}"),
            span,
        );
        return false;
    }
    seen.insert(key, span);
    true
}

/// Decodes the top-level items of a file. Blocks are taken by value so that resource and
/// provider bodies move into the model instead of being copied.
fn decode(cx: &mut FileCx, body: Body, config: &mut Config, seen: &mut Seen) {
    for structure in body {
        let block = match structure {
            Structure::Block(block) => block,
            Structure::Attribute(attr) => {
                let span = cx.span_of(&attr.key);
                cx.error_with(
                    format!(
                        "unexpected argument `{}` at the top level",
                        attr.key.as_str()
                    ),
                    "the top level holds blocks such as `resource`, `variable` or `locals`",
                    span,
                );
                continue;
            }
        };
        decode_block(cx, block, config, seen);
    }
}

fn decode_block(cx: &mut FileCx, mut block: Block, config: &mut Config, seen: &mut Seen) {
    let header = header_span(cx, &block);
    match block.ident.as_str() {
        "terraform" => blocks::terraform(cx, &block, &mut config.terraform),
        "provider" => {
            if let Some(p) = blocks::provider(cx, &mut block) {
                if first_definition(
                    cx,
                    &mut seen.providers,
                    p.key(),
                    "provider configuration",
                    header,
                ) {
                    config.providers.push(p);
                }
            }
        }
        "variable" => {
            if let Some(v) = blocks::variable(cx, &block) {
                if first_definition(cx, &mut seen.variables, v.name.clone(), "variable", header) {
                    config.variables.insert(v.name.clone(), v);
                }
            }
        }
        "output" => {
            if let Some(o) = blocks::output(cx, &block) {
                if first_definition(cx, &mut seen.outputs, o.name.clone(), "output", header) {
                    config.outputs.insert(o.name.clone(), o);
                }
            }
        }
        "locals" => {
            for local in blocks::locals(cx, &block) {
                let span = local.span.clone();
                if first_definition(cx, &mut seen.locals, local.name.clone(), "local", span) {
                    config.locals.insert(local.name.clone(), local);
                }
            }
        }
        "resource" | "data" => {
            let mode = if block.ident.as_str() == "data" {
                Mode::Data
            } else {
                Mode::Managed
            };
            if let Some(r) = blocks::resource(cx, &mut block, mode) {
                let key = (mode, r.type_name.clone(), r.name.clone());
                if let Some(first) = seen.resources.get(&key) {
                    let what = match mode {
                        Mode::Managed => "resource",
                        Mode::Data => "data source",
                    };
                    cx.error_with(
                        format!("duplicate {what} `{}`", r.address()),
                        format!("first defined at {first}"),
                        header,
                    );
                } else {
                    seen.resources.insert(key, header);
                    config.resources.push(r);
                }
            }
        }
        "moved" => {
            if let Some(m) = blocks::moved(cx, &block) {
                let key = m.from.to_string();
                if first_definition(cx, &mut seen.moved, key, "moved block for", header) {
                    config.moved.push(m);
                }
            }
        }
        "import" => {
            if let Some(i) = blocks::import(cx, &block) {
                let key = i.to.text.clone();
                if first_definition(cx, &mut seen.imports, key, "import block for", header) {
                    config.imports.push(i);
                }
            }
        }
        "module" => {
            if let Some(m) = blocks::module_call(cx, &mut block) {
                if first_definition(cx, &mut seen.modules, m.name.clone(), "module call", header) {
                    config.modules.insert(m.name.clone(), m);
                }
            }
        }
        kind @ ("check" | "removed") => {
            cx.error(format!("{kind} blocks are not supported yet"), header)
        }
        other => {
            let summary = format!("unsupported block type `{other}`");
            let span = cx.span_of(&block.ident);
            match did_you_mean(other, BLOCK_TYPES) {
                Some(hint) => cx.error_with(summary, hint, span),
                None => cx.error(summary, span),
            }
        }
    }
}
