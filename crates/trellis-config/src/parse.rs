//! Reading every file of a [`SourceMap`] into one [`Config`].

use std::collections::HashMap;

use hcl_edit::structure::{Block, Body, Structure};
use trellis_types::{Diagnostics, Mode, SourceFile, SourceMap, Span};

use crate::blocks::{self, header_span};
use crate::diag::{did_you_mean, FileCx};
use crate::lex;
use crate::model::*;
use crate::overrides;

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
    // Every file is read first, so that override files can change the blocks of the others
    // before anything is decoded.
    let mut read: Vec<(&SourceFile, Vec<Structure>)> = Vec::new();
    for file in sources.files() {
        let json = file.name.ends_with(".tf.json");
        if !json && !file.name.ends_with(".tf") {
            continue;
        }
        let mut cx = FileCx {
            file,
            diags: &mut diags,
        };
        let body = if json {
            check_size(&mut cx).and_then(|()| crate::json::parse_json_file(&mut cx))
        } else {
            parse_file(&mut cx)
        };
        read.push((
            file,
            body.map(|b| b.into_iter().collect()).unwrap_or_default(),
        ));
    }
    let (primary, overriding): (Vec<_>, Vec<_>) = read
        .into_iter()
        .partition(|(file, _)| !overrides::is_override_file(&file.name));
    let mut primary = primary;
    let mut late = Vec::new();
    // The original of each block an override changed, by (file, item) position.
    let mut originals: HashMap<(usize, usize), Block> = HashMap::new();
    for (file, items) in overriding {
        let mut cx = FileCx {
            file,
            diags: &mut diags,
        };
        apply_overrides(
            &mut cx,
            file,
            items,
            &mut primary,
            &mut originals,
            &mut late,
        );
    }
    for (fi, (file, items)) in primary.into_iter().enumerate() {
        let mut cx = FileCx {
            file,
            diags: &mut diags,
        };
        for (ii, structure) in items.into_iter().enumerate() {
            match (originals.remove(&(fi, ii)), structure) {
                (Some(original), Structure::Block(merged)) => {
                    let before = ItemCount::of(&config);
                    decode_block(&mut cx, original, &mut config, &mut seen);
                    if ItemCount::of(&config) != before {
                        // The original was recorded: decode the merged block on its own,
                        // its problems already reported against the files that hold them,
                        // and put it in the original's place.
                        let mut scratch_diags = Diagnostics::new();
                        let mut scratch = Config::default();
                        let mut scx = FileCx {
                            file,
                            diags: &mut scratch_diags,
                        };
                        decode_block(&mut scx, merged, &mut scratch, &mut Seen::default());
                        replace_item(&mut config, scratch);
                    }
                }
                (_, structure) => {
                    decode(&mut cx, std::iter::once(structure), &mut config, &mut seen)
                }
            }
        }
    }
    for (file, block) in late {
        let mut cx = FileCx {
            file,
            diags: &mut diags,
        };
        override_late(&mut cx, &block, &mut config);
    }
    // Checks run block by block and argument by argument, and override files are read
    // out of turn; show each file's diagnostics in source order.
    let order: HashMap<&str, usize> = sources
        .files()
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    diags.0.sort_by_key(|d| {
        d.span.as_ref().map_or((usize::MAX, 0), |s| {
            (
                order.get(s.file.as_str()).copied().unwrap_or(usize::MAX),
                s.start,
            )
        })
    });
    (config, diags)
}

/// How many items of each kind a configuration holds, to tell whether decoding a block
/// recorded it.
#[derive(PartialEq)]
struct ItemCount([usize; 5]);

impl ItemCount {
    fn of(config: &Config) -> Self {
        ItemCount([
            config.resources.len(),
            config.providers.len(),
            config.variables.len(),
            config.outputs.len(),
            config.modules.len(),
        ])
    }
}

/// Puts the one item `merged` holds in place of the item of the same name in `config`.
fn replace_item(config: &mut Config, merged: Config) {
    for r in merged.resources {
        if let Some(slot) = config
            .resources
            .iter_mut()
            .find(|x| x.mode == r.mode && x.type_name == r.type_name && x.name == r.name)
        {
            *slot = r;
        }
    }
    for p in merged.providers {
        if let Some(slot) = config.providers.iter_mut().find(|x| x.key() == p.key()) {
            *slot = p;
        }
    }
    config.variables.extend(merged.variables);
    config.outputs.extend(merged.outputs);
    config.modules.extend(merged.modules);
}

/// Merges the blocks of one override file into the blocks of the primary files; `locals`
/// and `terraform` blocks are kept in `late`, applied once the primary files are decoded.
fn apply_overrides<'a>(
    cx: &mut FileCx,
    file: &'a SourceFile,
    items: Vec<Structure>,
    primary: &mut [(&SourceFile, Vec<Structure>)],
    originals: &mut HashMap<(usize, usize), Block>,
    late: &mut Vec<(&'a SourceFile, Block)>,
) {
    for structure in items {
        let block = match structure {
            Structure::Block(block) => block,
            attr @ Structure::Attribute(_) => {
                decode(
                    cx,
                    std::iter::once(attr),
                    &mut Config::default(),
                    &mut Seen::default(),
                );
                continue;
            }
        };
        let kind = block.ident.as_str().to_string();
        if matches!(kind.as_str(), "locals" | "terraform") {
            late.push((file, block));
            continue;
        }
        let header = header_span(cx, &block);
        let Some(key) = overrides::block_key(&block) else {
            if BLOCK_TYPES.contains(&kind.as_str()) {
                cx.error_with(
                    format!("`{kind}` blocks cannot be in an override file"),
                    "override files may change resource, data, variable, output, locals, provider, module and terraform blocks",
                    header,
                );
            } else {
                // An unknown block type gets the usual diagnostic.
                decode_block(cx, block, &mut Config::default(), &mut Seen::default());
            }
            continue;
        };
        // The override's own problems, in its own file; what the original defines (an
        // output's `value`, a module's `source`) it need not repeat.
        let mut own = Diagnostics::new();
        let mut ocx = FileCx {
            file: cx.file,
            diags: &mut own,
        };
        decode_block(
            &mut ocx,
            block.clone(),
            &mut Config::default(),
            &mut Seen::default(),
        );
        cx.diags.0.extend(own.0.into_iter().filter(|d| {
            !d.summary.ends_with("has no `value`") && !d.summary.ends_with("has no `source`")
        }));
        let target = primary.iter_mut().enumerate().find_map(|(fi, (_, items))| {
            items.iter_mut().enumerate().find_map(|(ii, s)| match s {
                Structure::Block(b) if overrides::block_key(b).as_deref() == Some(&key) => {
                    Some(((fi, ii), b))
                }
                _ => None,
            })
        });
        match target {
            Some((at, base)) => {
                originals.entry(at).or_insert_with(|| base.clone());
                overrides::merge_block(base, &block);
            }
            None => cx.error_with(
                format!("nothing to override for {}", overrides::block_title(&block)),
                "an override file changes blocks defined in the module's other files; define it there first",
                header,
            ),
        }
    }
}

/// Applies an override file's `locals` (one name at a time) or `terraform` block (one
/// setting at a time, a `required_providers` entry per provider).
fn override_late(cx: &mut FileCx, block: &Block, config: &mut Config) {
    if block.ident.as_str() == "locals" {
        for local in blocks::locals(cx, block) {
            match config.locals.get_mut(&local.name) {
                Some(slot) => *slot = local,
                None => cx.error_with(
                    format!("nothing to override for local `{}`", local.name),
                    "an override file changes locals defined in the module's other files; define it there first",
                    local.span.clone(),
                ),
            }
        }
        return;
    }
    let mut over = Terraform::default();
    blocks::terraform(cx, block, &mut over);
    let t = &mut config.terraform;
    if over.required_version.is_some() {
        t.required_version = over.required_version;
    }
    t.required_providers.extend(over.required_providers);
    if over.backend.is_some() {
        t.backend = over.backend;
    }
    if t.span.is_none() {
        t.span = over.span;
    }
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
    removed: HashMap<String, Span>,
    imports: HashMap<String, Span>,
    modules: HashMap<String, Span>,
    checks: HashMap<String, Span>,
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
fn decode(
    cx: &mut FileCx,
    body: impl IntoIterator<Item = Structure>,
    config: &mut Config,
    seen: &mut Seen,
) {
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
        "check" => {
            if let Some(c) = blocks::check(cx, &block) {
                if first_definition(cx, &mut seen.checks, c.name.clone(), "check block", header) {
                    config.checks.insert(c.name.clone(), c);
                }
            }
        }
        "removed" => {
            if let Some(r) = blocks::removed(cx, &block) {
                let key = r.from_text();
                if first_definition(cx, &mut seen.removed, key, "removed block for", header) {
                    config.removed.push(r);
                }
            }
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
