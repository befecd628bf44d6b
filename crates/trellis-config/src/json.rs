//! Terraform's JSON configuration syntax (`*.tf.json`), read into the same hcl-edit
//! [`Body`] that the HCL path produces, so that every later step (decoding, graph,
//! evaluation) is shared and every diagnostic points into the JSON file.
//!
//! The rules are Terraform's: the root is an object whose keys are block types; a block
//! type with labels nests one object level per label; the innermost value is an object
//! (one block) or an array of objects (several blocks with the same labels); a property
//! named `"//"` is a comment; string values are templates (`"${var.x}"`) except where
//! Terraform takes a literal (`variable` `default` and `description`, module `source` and
//! `version`, the `terraform` block, a provider `alias`) or an expression written as a
//! string (`depends_on`, `provider`, `lifecycle` lists, `type`, `moved` and `import`
//! addresses, module `providers`).
//!
//! How the spans come about: hcl-edit sets spans only when it parses, so the JSON text is
//! rewritten, byte for byte in place, into an HCL object expression (`:` becomes `=`,
//! identifier keys lose their quotes, strings are re-escaped as HCL templates, which never
//! makes them longer) and parsed once: every node's span is then an offset into the JSON
//! file. Expressions written as strings are parsed the same way in a second text, with
//! each string's content in place. The tree is then turned into blocks and attributes
//! by the rules above. A file that is not JSON gets the JSON parser's located error.
//!
//! Nested blocks inside `resource`, `data` and `provider` bodies cannot be told from
//! object-valued arguments without the provider schema; they stay arguments whose value
//! is an object or an array of objects, and the planner's schema check accepts that form
//! for JSON files, as Terraform does.

use std::collections::HashMap;
use std::ops::Range;

use hcl_edit::expr::{Array, Expression, Object, ObjectKey, ObjectValue};
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body};
use hcl_edit::Decorate as _;
use hcl_edit::{Decorated, Ident, Span as _};

use crate::diag::FileCx;
use crate::exprs::is_identifier;

/// JSON nested deeper than this is refused (hcl-edit's own limit is close to it).
const MAX_DEPTH: usize = 96;

// ---------------------------------------------------------------------------------------
// A small JSON parser that keeps positions and duplicate keys.

#[derive(Debug)]
pub(crate) struct JsonError {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug)]
enum Json {
    Scalar,
    Str(Str),
    Array(Vec<Node>),
    Object(Vec<(Str, Node)>),
}

#[derive(Debug)]
struct Node {
    json: Json,
    span: Range<usize>,
}

/// A JSON string: its decoded value and its span, quotes included.
#[derive(Debug, Clone)]
struct Str {
    value: String,
    span: Range<usize>,
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error<T>(&self, offset: usize, message: impl Into<String>) -> Result<T, JsonError> {
        Err(JsonError {
            offset,
            message: message.into(),
        })
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, JsonError> {
        self.ws();
        let start = self.pos;
        if depth > MAX_DEPTH {
            return self.error(start, "JSON nested too deeply");
        }
        let json = match self.text.get(self.pos) {
            None => return self.error(start, "expected a JSON value, found the end of the file"),
            Some(b'{') => {
                self.pos += 1;
                let mut members = Vec::new();
                self.ws();
                if self.text.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        if self.text.get(self.pos) != Some(&b'"') {
                            return self.error(self.pos, "expected a quoted object key");
                        }
                        let key = self.string()?;
                        self.ws();
                        if self.text.get(self.pos) != Some(&b':') {
                            return self.error(self.pos, "expected `:` after an object key");
                        }
                        self.pos += 1;
                        let value = self.value(depth + 1)?;
                        members.push((key, value));
                        self.ws();
                        match self.text.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return self.error(self.pos, "expected `,` or `}` in an object"),
                        }
                    }
                }
                Json::Object(members)
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.text.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.text.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return self.error(self.pos, "expected `,` or `]` in an array"),
                        }
                    }
                }
                Json::Array(items)
            }
            Some(b'"') => Json::Str(self.string()?),
            Some(b't') => self.word("true")?,
            Some(b'f') => self.word("false")?,
            Some(b'n') => self.word("null")?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return self.error(start, "expected a JSON value"),
        };
        Ok(Node {
            json,
            span: start..self.pos,
        })
    }

    fn word(&mut self, word: &str) -> Result<Json, JsonError> {
        if self.text[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Json::Scalar)
        } else {
            self.error(self.pos, "expected a JSON value")
        }
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.text.get(p.pos).is_some_and(u8::is_ascii_digit) {
                p.pos += 1;
            }
            p.pos > s
        };
        if self.text.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        if !digits(self) {
            return self.error(start, "invalid number");
        }
        if self.text.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return self.error(start, "invalid number");
            }
        }
        if let Some(b'e' | b'E') = self.text.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.text.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return self.error(start, "invalid number");
            }
        }
        Ok(Json::Scalar)
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok());
        match digits {
            Some(n) => {
                self.pos += 4;
                Ok(n)
            }
            None => self.error(self.pos, "invalid \\u escape: expected four hex digits"),
        }
    }

    fn string(&mut self) -> Result<Str, JsonError> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(&b) = self.text.get(self.pos) else {
                return self.error(start, "unterminated string");
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    let at = self.pos;
                    self.pos += 1;
                    let Some(&e) = self.text.get(self.pos) else {
                        return self.error(start, "unterminated string");
                    };
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.text[self.pos..].starts_with(b"\\u") {
                                    return self.error(at, "unpaired surrogate in a \\u escape");
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return self.error(at, "unpaired surrogate in a \\u escape");
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            match char::from_u32(code) {
                                Some(c) => c,
                                None => {
                                    return self.error(at, "unpaired surrogate in a \\u escape")
                                }
                            }
                        }
                        _ => return self.error(at, "invalid escape sequence"),
                    };
                    value.push(c);
                }
                0..=0x1f => {
                    return self.error(self.pos, "control character in a string (write it escaped)")
                }
                _ => {
                    // The text is UTF-8 (the caller checked it), so copy whole characters.
                    let rest = std::str::from_utf8(&self.text[self.pos..]).unwrap_or("");
                    let c = rest.chars().next().unwrap_or('\u{fffd}');
                    value.push(c);
                    self.pos += c.len_utf8().max(1);
                }
            }
        }
        Ok(Str {
            value,
            span: start..self.pos,
        })
    }
}

fn parse_json(text: &str) -> Result<Node, JsonError> {
    let mut parser = Parser {
        text: text.as_bytes(),
        pos: 0,
    };
    let node = parser.value(0)?;
    parser.ws();
    if parser.pos < text.len() {
        return parser.error(parser.pos, "unexpected text after the JSON value");
    }
    Ok(node)
}

// ---------------------------------------------------------------------------------------
// Rewriting JSON into HCL in place.

/// HCL words that cannot be object keys without quotes.
const KEYWORDS: &[&str] = &["true", "false", "null", "for", "in", "if"];

/// A string that could not be given to hcl-edit as a template, and why.
struct Unparsed {
    /// The HCL parser's message when the template is invalid; `None` when the string is
    /// fine but its HCL form would be longer than its JSON form.
    error: Option<(usize, String)>,
}

struct Rewriter<'a> {
    text: &'a str,
    out: Vec<u8>,
    /// Every string by the offset of its opening quote: decoded value.
    strings: HashMap<usize, String>,
    unparsed: HashMap<usize, Unparsed>,
    duplicates: Vec<(Str, Range<usize>)>,
}

impl Rewriter<'_> {
    fn put(&mut self, at: usize, bytes: &[u8]) {
        self.out[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn node(&mut self, node: &Node) {
        match &node.json {
            Json::Scalar => {
                let bytes = self.text.as_bytes()[node.span.clone()].to_vec();
                self.put(node.span.start, &bytes);
            }
            Json::Str(s) => self.template(s),
            Json::Array(items) => {
                self.put(node.span.start, b"[");
                for item in items {
                    self.node(item);
                    self.put(item.span.end, b",");
                }
                self.put(node.span.end - 1, b"]");
            }
            Json::Object(members) => {
                self.put(node.span.start, b"{");
                let mut seen: HashMap<&str, Range<usize>> = HashMap::new();
                for (key, value) in members {
                    if key.value == "//"
                        && members.iter().filter(|(k, _)| k.value == "//").count() > 1
                    {
                        // Several comments: hcl-edit takes each key once, and comments
                        // are dropped anyway.
                        continue;
                    }
                    if let Some(first) = seen.get(key.value.as_str()) {
                        // Reported, and left out: hcl-edit takes each key once.
                        self.duplicates.push((key.clone(), first.clone()));
                        continue;
                    }
                    seen.insert(&key.value, key.span.clone());
                    self.key(key);
                    self.put(key.span.end, b"=");
                    self.node(value);
                    self.put(value.span.end, b",");
                }
                self.put(node.span.end - 1, b"}");
            }
        }
    }

    fn key(&mut self, key: &Str) {
        let raw = &self.text[key.span.start + 1..key.span.end - 1];
        if raw == key.value && is_identifier(raw) && !KEYWORDS.contains(&raw) {
            self.strings.insert(key.span.start + 1, key.value.clone());
            let bytes = raw.as_bytes().to_vec();
            self.put(key.span.start + 1, &bytes);
        } else {
            self.template(key);
        }
    }

    fn template(&mut self, s: &Str) {
        self.strings.insert(s.span.start, s.value.clone());
        let hcl = hcl_template(&s.value);
        let problem = if hcl.len() > s.span.len() {
            Some(Unparsed { error: None })
        } else {
            match hcl_edit::parser::parse_expr(&hcl) {
                Ok(_) => None,
                Err(e) => Some(Unparsed {
                    error: Some((
                        (s.span.start + e.location().offset()).min(s.span.end - 1),
                        e.message().to_string(),
                    )),
                }),
            }
        };
        match problem {
            None => self.put(s.span.start, hcl.as_bytes()),
            Some(p) => {
                self.put(s.span.start, b"\"\"");
                self.unparsed.insert(s.span.start, p);
            }
        }
    }
}

/// A decoded JSON string written as an HCL quoted template: literal parts escaped,
/// interpolations and directives (`${...}`, `%{...}`) kept as written, since they hold
/// expressions whose own strings are quoted the HCL way.
fn hcl_template(value: &str) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Literal,
        Expr(usize),
        Quoted,
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut stack = vec![Mode::Literal];
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let rest = &value[i..];
        let top = *stack.last().unwrap_or(&Mode::Literal);
        match top {
            Mode::Literal | Mode::Quoted => {
                if rest.starts_with("$${") || rest.starts_with("%%{") {
                    out.push_str(&rest[..3]);
                    chars.next();
                    chars.next();
                    continue;
                }
                if rest.starts_with("${") || rest.starts_with("%{") {
                    out.push_str(&rest[..2]);
                    chars.next();
                    stack.push(Mode::Expr(1));
                    continue;
                }
                if top == Mode::Quoted {
                    match c {
                        '\\' => {
                            out.push(c);
                            if let Some((_, n)) = chars.next() {
                                out.push(n);
                            }
                        }
                        '"' => {
                            out.push(c);
                            stack.pop();
                        }
                        _ => out.push(c),
                    }
                    continue;
                }
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            Mode::Expr(depth) => {
                out.push(c);
                match c {
                    '{' => {
                        stack.pop();
                        stack.push(Mode::Expr(depth + 1));
                    }
                    '}' => {
                        stack.pop();
                        if depth > 1 {
                            stack.push(Mode::Expr(depth - 1));
                        }
                    }
                    '"' => stack.push(Mode::Quoted),
                    _ => {}
                }
            }
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------
// The tree, turned into blocks and attributes.

/// How an argument's JSON value is read.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    /// Strings are templates.
    Template,
    /// Strings are taken as they are, `${` included.
    Literal,
    /// A string holds an expression (`"aws_x.a"`, `"list(string)"`).
    Expr,
    /// A list of expressions written as strings, or one.
    ExprList,
    /// An object whose keys and values are expressions written as strings (`providers`).
    ExprObject,
}

/// What a JSON object that is a block body holds.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Root,
    Terraform,
    RequiredProviders,
    Backend,
    BackendNested,
    Provider,
    Variable,
    Condition,
    Output,
    Locals,
    Module,
    Resource,
    DynamicContent,
    Lifecycle,
    Dynamic,
    Moved,
    Removed,
    Import,
    Check,
    /// Blocks trellis refuses anyway (`check`, `removed`, `cloud`, `provisioner`...).
    Opaque,
}

impl Kind {
    /// The label count and body kind of a nested block `name`, if `name` is a block here.
    fn block(self, name: &str, value: &Expression) -> Option<(usize, Kind)> {
        Some(match (self, name) {
            (Kind::Root, "terraform") => (0, Kind::Terraform),
            (Kind::Root, "provider") => (1, Kind::Provider),
            (Kind::Root, "variable") => (1, Kind::Variable),
            (Kind::Root, "output") => (1, Kind::Output),
            (Kind::Root, "locals") => (0, Kind::Locals),
            (Kind::Root, "module") => (1, Kind::Module),
            (Kind::Root, "resource" | "data") => (2, Kind::Resource),
            (Kind::Root, "moved") => (0, Kind::Moved),
            (Kind::Root, "removed") => (0, Kind::Removed),
            (Kind::Removed, "lifecycle") => (0, Kind::Lifecycle),
            (Kind::Removed, "connection") => (0, Kind::Opaque),
            (Kind::Removed, "provisioner") => (1, Kind::Opaque),
            (Kind::Root, "import") => (0, Kind::Import),
            (Kind::Root, "check") => (1, Kind::Check),
            (Kind::Check, "assert") => (0, Kind::Condition),
            // Refused when decoded; its labels name it in the message.
            (Kind::Check, "data") => (2, Kind::Opaque),
            // Unknown block types keep no labels, so that decoding reports the type.
            (Kind::Root, _) => (0, Kind::Opaque),
            (Kind::Terraform, "required_providers") => (0, Kind::RequiredProviders),
            (Kind::Terraform, "backend" | "provider_meta") => (
                1,
                if name == "backend" {
                    Kind::Backend
                } else {
                    Kind::Opaque
                },
            ),
            (Kind::Terraform, "cloud") => (0, Kind::Opaque),
            (Kind::Backend, _) if matches!(value, Expression::Object(_)) => {
                (0, Kind::BackendNested)
            }
            (Kind::Variable, "validation") => (0, Kind::Condition),
            (Kind::Output, "precondition") => (0, Kind::Condition),
            (Kind::Resource, "lifecycle") => (0, Kind::Lifecycle),
            (Kind::Resource, "connection") => (0, Kind::Opaque),
            (Kind::Resource, "provisioner") => (1, Kind::Opaque),
            (Kind::Resource | Kind::DynamicContent, "dynamic") => (1, Kind::Dynamic),
            (Kind::Lifecycle, "precondition" | "postcondition") => (0, Kind::Condition),
            (Kind::Dynamic, "content") => (0, Kind::DynamicContent),
            _ => return None,
        })
    }

    fn role(self, name: &str) -> Role {
        match (self, name) {
            (Kind::Terraform | Kind::RequiredProviders | Kind::Backend, _)
            | (Kind::BackendNested, _) => match name {
                "experiments" => Role::ExprList,
                _ => Role::Literal,
            },
            (Kind::Provider, "alias") => Role::Literal,
            (Kind::Variable, "type") => Role::Expr,
            (Kind::Variable, "default" | "description") => Role::Literal,
            (Kind::Output, "description") => Role::Literal,
            (Kind::Output | Kind::Module | Kind::Resource, "depends_on") => Role::ExprList,
            (Kind::Module, "source" | "version") => Role::Literal,
            (Kind::Module, "providers") => Role::ExprObject,
            (Kind::Resource | Kind::Import, "provider") => Role::Expr,
            (Kind::Lifecycle, "ignore_changes" | "replace_triggered_by") => Role::ExprList,
            (Kind::Dynamic, "iterator") => Role::Expr,
            (Kind::Moved, "from" | "to") | (Kind::Removed, "from") | (Kind::Import, "to") => {
                Role::Expr
            }
            _ => Role::Template,
        }
    }

    /// Bodies whose object-valued arguments may be nested blocks of a provider schema.
    fn schema_body(self) -> bool {
        matches!(self, Kind::Resource | Kind::Provider | Kind::DynamicContent)
    }
}

/// Where expressions written as strings come from: the first walk records them, the second
/// takes them, parsed in place.
enum Exprs {
    Record(Vec<(Range<usize>, String)>),
    Take(std::vec::IntoIter<Option<Expression>>),
}

struct Converter<'a, 'c> {
    cx: &'a mut FileCx<'c>,
    rewriter: &'a Rewriter<'a>,
    exprs: Exprs,
}

impl Converter<'_, '_> {
    fn span(&self, range: Option<Range<usize>>) -> trellis_types::Span {
        self.cx.span(range)
    }

    fn error(
        &mut self,
        summary: impl Into<String>,
        detail: impl Into<String>,
        at: Option<Range<usize>>,
    ) {
        let span = self.span(at);
        self.cx.error_with(summary, detail, span);
    }

    fn root(&mut self, expr: &Expression) -> Body {
        let mut body = Body::new();
        match expr {
            Expression::Object(object) => self.body_items(object, Kind::Root, &mut body),
            other => self.error(
                "a JSON configuration file must hold an object",
                "the top level is an object whose keys are block types, such as {\"resource\": {...}}",
                other.span(),
            ),
        }
        body
    }

    fn key_name(key: &ObjectKey) -> Option<(String, Option<Range<usize>>)> {
        match key {
            ObjectKey::Ident(ident) => Some((ident.as_str().to_string(), ident.span())),
            ObjectKey::Expression(e) => crate::exprs::literal_string(e).map(|s| (s, e.span())),
        }
    }

    fn body_items(&mut self, object: &Object, kind: Kind, body: &mut Body) {
        for (key, value) in object.iter() {
            let Some((name, key_span)) = Self::key_name(key) else {
                // A template key (`"${...}"`) names nothing in a block body.
                self.error(
                    "invalid argument name",
                    "a key of a block body must be a name without interpolation",
                    key.span(),
                );
                continue;
            };
            if name == "//" {
                continue;
            }
            let value = value.expr();
            if let Some((labels, child)) = kind.block(&name, value) {
                let ident = match key {
                    ObjectKey::Ident(ident) => ident.clone(),
                    _ => Decorated::new(Ident::new_unchecked(name.clone())),
                };
                self.blocks(&ident, Vec::new(), labels, child, value, body);
                continue;
            }
            let ident = match key {
                ObjectKey::Ident(ident) => ident.clone(),
                _ => match Ident::try_new(name.clone()) {
                    Ok(ident) => Decorated::new(ident),
                    Err(_) => {
                        self.error(
                            format!("invalid argument name {name:?}"),
                            crate::blocks::NAME_RULE,
                            key_span,
                        );
                        continue;
                    }
                },
            };
            if let Some(value) = self.argument(value, kind.role(&name), kind.schema_body()) {
                body.push(Attribute::new(ident, value));
            }
        }
    }

    /// The blocks of one block type: `labels` more object levels, then an object or an
    /// array of objects.
    fn blocks(
        &mut self,
        ident: &Decorated<Ident>,
        have: Vec<BlockLabel>,
        labels: usize,
        kind: Kind,
        value: &Expression,
        body: &mut Body,
    ) {
        if have.len() < labels {
            let Expression::Object(object) = value else {
                self.error(
                    format!("invalid `{}` block in JSON", ident.as_str()),
                    format!(
                        "expected an object whose keys are the block's labels ({} more)",
                        labels - have.len()
                    ),
                    value.span(),
                );
                return;
            };
            for (key, inner) in object.iter() {
                let label = match key {
                    ObjectKey::Ident(i) => BlockLabel::Ident(i.clone()),
                    ObjectKey::Expression(Expression::String(s)) => BlockLabel::String(s.clone()),
                    other => match Self::key_name(other) {
                        Some((s, _)) => BlockLabel::String(Decorated::new(s)),
                        None => {
                            self.error(
                                "invalid block label",
                                "a label must be a string without interpolation",
                                other.span(),
                            );
                            continue;
                        }
                    },
                };
                let mut next = have.clone();
                next.push(label);
                self.blocks(ident, next, labels, kind, inner.expr(), body);
            }
            return;
        }
        match value {
            Expression::Object(object) => {
                let block = self.one_block(ident, have, kind, object);
                body.push(block);
            }
            Expression::Array(items) => {
                for item in items.iter() {
                    match item {
                        Expression::Object(object) => {
                            let block = self.one_block(ident, have.clone(), kind, object);
                            body.push(block);
                        }
                        other => self.error(
                            format!("invalid `{}` block in JSON", ident.as_str()),
                            "each item of the array must be an object: the body of one block",
                            other.span(),
                        ),
                    }
                }
            }
            other => self.error(
                format!("invalid `{}` block in JSON", ident.as_str()),
                "expected an object (the block's body) or an array of objects",
                other.span(),
            ),
        }
    }

    fn one_block(
        &mut self,
        ident: &Decorated<Ident>,
        labels: Vec<BlockLabel>,
        kind: Kind,
        object: &Object,
    ) -> Block {
        let mut block = Block::new(ident.clone());
        block.labels = labels;
        let mut inner = Body::new();
        self.body_items(object, kind, &mut inner);
        block.body = inner;
        block
    }

    /// The value of an argument; `None` when an expression written in it as a string did
    /// not parse (reported already), so that the argument is left out rather than
    /// reported twice.
    fn argument(
        &mut self,
        value: &Expression,
        role: Role,
        schema_body: bool,
    ) -> Option<Expression> {
        match role {
            Role::Template => {
                let mut value = value.clone();
                if schema_body {
                    strip_comments(&mut value);
                }
                self.check_templates(&value);
                Some(value)
            }
            Role::Literal => {
                let mut value = value.clone();
                self.literal(&mut value);
                Some(value)
            }
            Role::Expr => self.expr_string(value),
            Role::ExprList => match value {
                Expression::Array(items) => {
                    // Keep the array's own span and decor; replace its items.
                    let mut out = value.clone();
                    if let Expression::Array(array) = &mut out {
                        let mut parsed = Array::new();
                        for item in items.iter() {
                            if let Some(e) = self.expr_string(item) {
                                parsed.push(e);
                            }
                        }
                        let trailing = array.trailing().clone();
                        let decor = array.decor().clone();
                        *array = parsed;
                        array.set_trailing(trailing);
                        *array.decor_mut() = decor;
                    }
                    Some(out)
                }
                other => self.expr_string(other),
            },
            Role::ExprObject => match value {
                Expression::Object(object) => {
                    let mut out = Object::new();
                    for (key, v) in object.iter() {
                        let key = match key {
                            ObjectKey::Expression(e) => match self.expr_string(e) {
                                Some(e) => ObjectKey::Expression(e),
                                None => continue,
                            },
                            ident => ident.clone(),
                        };
                        if let Some(v) = self.expr_string(v.expr()) {
                            out.insert(key, ObjectValue::new(v));
                        }
                    }
                    Some(Expression::Object(out))
                }
                other => Some(other.clone()),
            },
        }
    }

    /// An expression written as a string; anything else is returned as it is, for the
    /// block's own checks to report.
    fn expr_string(&mut self, value: &Expression) -> Option<Expression> {
        let Some(range) = value.span() else {
            return Some(value.clone());
        };
        let Some(content) = self.rewriter.strings.get(&range.start) else {
            return Some(value.clone());
        };
        if !matches!(value, Expression::String(_) | Expression::StringTemplate(_)) {
            return Some(value.clone());
        }
        match &mut self.exprs {
            Exprs::Record(list) => {
                list.push((range, content.clone()));
                Some(value.clone())
            }
            Exprs::Take(iter) => iter.next().unwrap_or_else(|| Some(value.clone())),
        }
    }

    /// Reports templates the HCL parser refused, inside a value read as templates.
    fn check_templates(&mut self, value: &Expression) {
        let mut bad = Vec::new();
        walk_strings(value, &mut |start| {
            if let Some(u) = self.rewriter.unparsed.get(&start) {
                bad.push((start, u));
            }
        });
        for (start, u) in bad {
            match &u.error {
                Some((at, message)) => self.error(
                    "invalid template in a JSON string",
                    message.clone(),
                    Some(*at..*at + 1),
                ),
                None => self.error(
                    "unsupported escape in a JSON string",
                    "write the character itself, or \\n, \\t, \\\" or \\\\",
                    Some(start..start + 1),
                ),
            }
        }
    }

    /// Turns every string of a literal value back into the JSON string it was, templates
    /// included.
    fn literal(&self, value: &mut Expression) {
        match value {
            Expression::Array(items) => items.iter_mut().for_each(|i| self.literal(i)),
            Expression::Object(object) => {
                for (_, v) in object.iter_mut() {
                    self.literal(v.expr_mut());
                }
            }
            Expression::String(_) | Expression::StringTemplate(_) => {
                let Some(start) = value.span().map(|r| r.start) else {
                    return;
                };
                let plain = matches!(value, Expression::String(_))
                    && !self.rewriter.unparsed.contains_key(&start);
                if plain {
                    return;
                }
                if let Some(s) = self.rewriter.strings.get(&start) {
                    *value = Expression::String(Decorated::new(s.clone()));
                }
            }
            _ => {}
        }
    }
}

/// Calls `f` with the start offset of every string in a JSON-shaped value, keys included.
fn walk_strings(value: &Expression, f: &mut dyn FnMut(usize)) {
    match value {
        Expression::Array(items) => items.iter().for_each(|i| walk_strings(i, f)),
        Expression::Object(object) => {
            for (k, v) in object.iter() {
                if let ObjectKey::Expression(e) = k {
                    walk_strings(e, f);
                }
                walk_strings(v.expr(), f);
            }
        }
        Expression::String(_) | Expression::StringTemplate(_) => {
            if let Some(r) = value.span() {
                f(r.start);
            }
        }
        _ => {}
    }
}

/// Removes `"//"` comment keys from the objects of a value that may hold nested blocks.
fn strip_comments(value: &mut Expression) {
    match value {
        Expression::Array(items) => items.iter_mut().for_each(strip_comments),
        Expression::Object(object) => {
            let comments: Vec<ObjectKey> = object
                .iter()
                .filter(|(k, _)| {
                    matches!(k, ObjectKey::Expression(e) if crate::exprs::literal_string(e).as_deref() == Some("//"))
                })
                .map(|(k, _)| k.clone())
                .collect();
            for k in comments {
                object.remove(&k);
            }
            for (_, v) in object.iter_mut() {
                strip_comments(v.expr_mut());
            }
        }
        _ => {}
    }
}

/// Parses one `*.tf.json` file into a body, or reports why it cannot.
pub(crate) fn parse_json_file(cx: &mut FileCx) -> Option<Body> {
    let text: &str = &cx.file.text;
    // A byte-order mark is harmless; JSON parsers skip it.
    let skip = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let blanked;
    let text_for_json = if skip > 0 {
        blanked = format!("   {}", &text[skip..]);
        blanked.as_str()
    } else {
        text
    };
    let root = match parse_json(text_for_json) {
        Ok(root) => root,
        Err(e) => {
            let end = text[e.offset.min(text.len())..]
                .chars()
                .next()
                .map_or(e.offset, |c| e.offset + c.len_utf8());
            let span = cx.file.span(e.offset, end);
            cx.error_with("invalid JSON", e.message, span);
            return None;
        }
    };
    let mut rewriter = Rewriter {
        text: text_for_json,
        out: vec![b' '; text.len()],
        strings: HashMap::new(),
        unparsed: HashMap::new(),
        duplicates: Vec::new(),
    };
    rewriter.node(&root);
    for (key, first) in std::mem::take(&mut rewriter.duplicates) {
        let first = cx.file.span(first.start, first.end);
        let span = cx.file.span(key.span.start, key.span.end);
        cx.error_with(
            format!("duplicate key {:?}", key.value),
            format!("first defined at {first}"),
            span,
        );
    }
    // hcl-edit takes no whitespace around an expression: what precedes the root object
    // becomes an opening parenthesis (closed after it) and what follows is left out.
    let mut out = std::mem::take(&mut rewriter.out);
    out.truncate(root.span.end);
    let wrapped = root.span.start > 0;
    if wrapped {
        out[0] = b'(';
        out.push(b')');
    }
    let synthetic = String::from_utf8(out).ok()?;
    let parsed = hcl_edit::parser::parse_expr(&synthetic).map(|tree| match tree {
        Expression::Parenthesis(p) if wrapped => p.inner().clone(),
        tree => tree,
    });
    let tree = match parsed {
        Ok(tree) => tree,
        Err(e) => {
            // Each string was checked alone, so this is a limit of the parser (nesting).
            let at = e.location().offset().min(text.len());
            let span = cx.file.span(at, at);
            cx.error_with("cannot read this JSON file", e.message().to_string(), span);
            return None;
        }
    };

    // First walk: find the expressions written as strings.
    let mut scratch = trellis_types::Diagnostics::new();
    let recorded = {
        let mut scratch_cx = FileCx {
            file: cx.file,
            diags: &mut scratch,
        };
        let mut first = Converter {
            cx: &mut scratch_cx,
            rewriter: &rewriter,
            exprs: Exprs::Record(Vec::new()),
        };
        first.root(&tree);
        match first.exprs {
            Exprs::Record(list) => list,
            Exprs::Take(_) => Vec::new(),
        }
    };
    let exprs = expression_strings(cx, text.len(), &recorded);
    let mut second = Converter {
        cx,
        rewriter: &rewriter,
        exprs: Exprs::Take(exprs.into_iter()),
    };
    Some(second.root(&tree))
}

/// Parses the contents of the strings that hold expressions, in place in one text so that
/// their spans point into the file. A content that does not parse is reported and becomes
/// `None`.
fn expression_strings(
    cx: &mut FileCx,
    len: usize,
    strings: &[(Range<usize>, String)],
) -> Vec<Option<Expression>> {
    if strings.is_empty() {
        return Vec::new();
    }
    let mut out = vec![b' '; len + 2];
    out[0] = b'[';
    let mut failed = Vec::with_capacity(strings.len());
    for (range, content) in strings {
        let ok = !content.trim().is_empty()
            && content.len() <= range.len() - 2
            && match hcl_edit::parser::parse_expr(content.trim()) {
                Ok(_) => true,
                Err(e) => {
                    let lead = content.len() - content.trim_start().len();
                    let at = (range.start + 1 + lead + e.location().offset()).min(range.end - 1);
                    let span = cx.file.span(at, at + 1);
                    cx.error_with(
                        format!("invalid expression in {content:?}"),
                        e.message().to_string(),
                        span,
                    );
                    false
                }
            };
        failed.push(!ok);
        if ok {
            out[range.start + 1..range.start + 1 + content.len()]
                .copy_from_slice(content.as_bytes());
        } else {
            if content.trim().is_empty() {
                let span = cx.file.span(range.start, range.end);
                cx.error("expected an expression, found an empty string", span);
            }
            out[range.start] = b'0';
        }
        out[range.end - 1] = b',';
    }
    out[len + 1] = b']';
    let text = String::from_utf8(out).unwrap_or_default();
    match hcl_edit::parser::parse_expr(&text) {
        Ok(Expression::Array(items)) => items
            .into_iter()
            .zip(failed)
            .map(|(e, failed)| (!failed).then_some(e))
            .collect(),
        _ => Vec::new(),
    }
}
