//! `yamldecode` and `yamlencode` with the mapping Terraform has (go-cty-yaml).
//!
//! Decoding resolves plain scalars by YAML 1.1's rules, as go-yaml does: `yes`, `on` and `y`
//! are true, `~` and the empty scalar are null, dates and timestamps become RFC 3339 strings,
//! quoted scalars are always strings. Only one document is accepted; anchors and aliases
//! work, with a cap on what aliases may expand to.
//!
//! Encoding writes what libyaml writes for go-cty-yaml's events, byte for byte: block style,
//! keys sorted and double-quoted, strings double-quoted and folded at a space past column 80,
//! strings with a line break as literal blocks (`|`, `|-`, `|+`), sequences in a mapping not
//! indented, empty collections as `{}` and `[]`, and `...` after a document that ends open
//! (a bare number, bool or null, or a literal block that keeps trailing breaks).
//! Not written as Terraform would: a mapping key longer than 128 characters or with a line
//! break, which libyaml writes as a complex key (`? `); trellis writes it as a quoted key.

use std::collections::BTreeMap;

use trellis_types::Value;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{arg_str, checked_string, FnCtx, FnResult, FuncError};
use crate::value_ops::format_number;

/// How deeply YAML collections may nest.
const MAX_DEPTH: usize = 256;
/// How many values a document may decode to, aliases expanded, so that a few lines of
/// aliases cannot expand to gigabytes.
const MAX_NODES: usize = 1_000_000;

pub(super) fn yamldecode(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let src = arg_str(args, 0)?;
    decode(&src).map_err(|e| FuncError::arg(0, e))
}

pub(super) fn yamlencode(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let mut out = Emitter::default();
    out.document(&args[0]);
    checked_string(out.text)
}

// ---------------------------------------------------------------------------------------------
// Decoding.

struct Decoder {
    events: Vec<(Event, Marker)>,
    next: usize,
    anchors: BTreeMap<usize, Value>,
    pending: Vec<usize>,
    nodes: usize,
}

fn at(mark: &Marker, message: impl std::fmt::Display) -> String {
    format!(
        "on line {}, column {}: {message}",
        mark.line(),
        mark.col() + 1
    )
}

fn decode(src: &str) -> Result<Value, String> {
    let mut parser = Parser::new_from_str(src);
    let mut events = Vec::new();
    loop {
        let (event, mark) = parser.next_token().map_err(|e| at(e.marker(), e.info()))?;
        let end = event == Event::StreamEnd;
        events.push((event, mark));
        if end {
            break;
        }
    }
    let mut d = Decoder {
        events,
        next: 0,
        anchors: BTreeMap::new(),
        pending: Vec::new(),
        nodes: 0,
    };
    d.expect_start()?;
    let Some((first, mark)) = d.peek().cloned() else {
        return Ok(Value::Null);
    };
    if first == Event::StreamEnd {
        return Ok(Value::Null);
    }
    if first != Event::DocumentStart {
        return Err(at(&mark, "missing start of document"));
    }
    d.next += 1;
    let value = d.node(0)?;
    match d.take() {
        Some((Event::DocumentEnd, _)) => {}
        Some((_, mark)) => return Err(at(&mark, "unexpected extra content after value")),
        None => {}
    }
    match d.take() {
        Some((Event::StreamEnd, _)) | None => Ok(value),
        Some((_, mark)) => Err(at(&mark, "only a single document is allowed")),
    }
}

impl Decoder {
    fn peek(&self) -> Option<&(Event, Marker)> {
        self.events.get(self.next)
    }

    fn take(&mut self) -> Option<(Event, Marker)> {
        let e = self.events.get(self.next).cloned();
        self.next += 1;
        e
    }

    fn expect_start(&mut self) -> Result<(), String> {
        match self.take() {
            Some((Event::StreamStart, _)) => Ok(()),
            Some((_, mark)) => Err(at(&mark, "missing stream start")),
            None => Err("empty input".to_string()),
        }
    }

    fn count(&mut self, mark: &Marker, n: usize) -> Result<(), String> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(at(
                mark,
                format!("the document expands to more than {MAX_NODES} values"),
            ));
        }
        Ok(())
    }

    fn node(&mut self, depth: usize) -> Result<Value, String> {
        let Some((event, mark)) = self.take() else {
            return Err("unexpected end of input".to_string());
        };
        if depth > MAX_DEPTH {
            return Err(at(&mark, "collections are nested too deeply"));
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(&mark, 1)?;
                let v = resolve(&text, style, tag.as_ref()).map_err(|e| at(&mark, e))?;
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::Alias(id) => {
                if self.pending.contains(&id) {
                    return Err(at(
                        &mark,
                        "cannot refer to an anchor from inside its own definition",
                    ));
                }
                let Some(v) = self.anchors.get(&id).cloned() else {
                    return Err(at(&mark, "reference to an undefined anchor"));
                };
                self.count(&mark, size(&v))?;
                Ok(v)
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "seq", "sequence").map_err(|e| at(&mark, e))?;
                self.count(&mark, 1)?;
                self.pending.push(anchor);
                let mut items = Vec::new();
                loop {
                    match self.peek() {
                        Some((Event::SequenceEnd, _)) => {
                            self.next += 1;
                            break;
                        }
                        Some(_) => items.push(self.node(depth + 1)?),
                        None => return Err(at(&mark, "unterminated sequence")),
                    }
                }
                self.pending.pop();
                let v = Value::List(items);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "map", "mapping").map_err(|e| at(&mark, e))?;
                self.count(&mark, 1)?;
                self.pending.push(anchor);
                let mut map = BTreeMap::new();
                loop {
                    let Some((key_event, key_mark)) = self.take() else {
                        return Err(at(&mark, "unterminated mapping"));
                    };
                    let key = match key_event {
                        Event::MappingEnd => break,
                        Event::Scalar(text, style, _, tag) => {
                            match resolve(&text, style, tag.as_ref())
                                .map_err(|e| at(&key_mark, e))?
                            {
                                Value::String(s) => s,
                                Value::Number(n) => format_number(n),
                                Value::Bool(b) => b.to_string(),
                                Value::Null => {
                                    return Err(at(&key_mark, "mapping key cannot be null"))
                                }
                                _ => {
                                    return Err(at(
                                        &key_mark,
                                        "only strings are allowed as mapping keys",
                                    ))
                                }
                            }
                        }
                        _ => return Err(at(&key_mark, "only strings are allowed as mapping keys")),
                    };
                    let value = self.node(depth + 1)?;
                    map.insert(key, value);
                }
                self.pending.pop();
                let v = Value::Map(map);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::DocumentStart => Err(at(&mark, "only a single document is allowed")),
            _ => Err(at(&mark, "expecting a value")),
        }
    }
}

/// How many values `v` counts as when an alias repeats it.
fn size(v: &Value) -> usize {
    match v {
        Value::List(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Map(map) => 1 + map.values().map(size).sum::<usize>(),
        _ => 1,
    }
}

const CORE: &str = "tag:yaml.org,2002:";

fn core_tag(tag: &Tag) -> Option<&str> {
    (tag.handle == CORE).then_some(tag.suffix.as_str())
}

fn tag_name(tag: &Tag) -> String {
    match core_tag(tag) {
        Some(suffix) => format!("!!{suffix}"),
        None => format!("{}{}", tag.handle, tag.suffix),
    }
}

fn check_collection_tag(tag: Option<&Tag>, want: &str, what: &str) -> Result<(), String> {
    match tag {
        None => Ok(()),
        Some(t) if core_tag(t) == Some(want) => Ok(()),
        Some(t) => Err(format!("cannot interpret a {what} as {}", tag_name(t))),
    }
}

fn yaml_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

fn yaml_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// A YAML-style float or decimal integer: `1`, `-2.5`, `.5`, `1e3`.
fn yaml_decimal(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok_mantissa = match frac {
        Some(f) => digits(int) && digits(f) && (!int.is_empty() || !f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let ok_exponent = match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits(e)
        }
    };
    if !(ok_mantissa && ok_exponent) {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn yaml_radix_int(text: &str) -> Option<f64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b") {
        (2, d)
    } else {
        return None;
    };
    let n = i64::from_str_radix(digits, radix).ok()? as f64;
    Some(if negative { -n } else { n })
}

/// A YAML timestamp (`2001-12-14`, `2001-12-14t21:59:43.10-05:00`, `2001-12-14 21:59:43.10`)
/// in RFC 3339 form, as go-cty-yaml gives it: seconds without fraction, the zone kept.
fn yaml_timestamp(text: &str) -> Option<String> {
    let b = text.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let num = |s: &str, max_len: usize| -> Option<u32> {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (date, time, spaced) = match text.find(['T', 't', ' ']) {
        Some(i) => (&text[..i], Some(&text[i + 1..]), b[i] == b' '),
        None => (text, None, false),
    };
    let mut parts = date.splitn(3, '-');
    let year = num(parts.next()?, 4)?;
    let month = num(parts.next()?, 2)?;
    let day = num(parts.next()?, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let Some(time) = time else {
        return Some(format!("{year:04}-{month:02}-{day:02}T00:00:00Z"));
    };
    let zone_at = time.find(['Z', '+', '-']);
    let (clock, zone) = match zone_at {
        Some(i) => (&time[..i], &time[i..]),
        None => (time, ""),
    };
    // The spaced form carries no zone; the `T` form needs one.
    if spaced != zone.is_empty() {
        return None;
    }
    let (clock, frac) = match clock.split_once('.') {
        Some((c, f)) => (c, Some(f)),
        None => (clock, None),
    };
    if let Some(f) = frac {
        num(f, 9)?;
    }
    let mut hms = clock.splitn(3, ':');
    let hour = num(hms.next()?, 2)?;
    let minute = num(hms.next()?, 2)?;
    let second = num(hms.next()?, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let zone = match zone {
        "" | "Z" => "Z".to_string(),
        z => {
            let (sign, rest) = z.split_at(1);
            let (h, m) = rest.split_once(':')?;
            let (h, m) = (num(h, 2)?, num(m, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            if h == 0 && m == 0 {
                "Z".to_string()
            } else {
                format!("{sign}{h:02}:{m:02}")
            }
        }
    };
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{zone}"
    ))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A scalar's value: by its tag when it has one, as a string when it was quoted or written as
/// a block, and by YAML 1.1's resolution rules when it is plain.
fn resolve(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let tag = match tag {
        Some(t) => match core_tag(t) {
            Some(s) => Some(s),
            None if t.handle == "!" && t.suffix.is_empty() => return Ok(Value::string(text)),
            None => return Err(format!("unsupported tag \"{}\"", tag_name(t))),
        },
        None => None,
    };
    let bad = |tag: &str| format!("cannot parse \"{text}\" as !!{tag}");
    match tag {
        Some("str") => Ok(Value::string(text)),
        Some("binary") => {
            use base64::Engine as _;
            let compact: String = text.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map_err(|_| format!("cannot parse \"{text}\" as !!binary: not valid base64"))?;
            Ok(Value::string(text))
        }
        Some("bool") => yaml_bool(text).map(Value::Bool).ok_or_else(|| bad("bool")),
        Some("null") => Ok(Value::Null),
        Some(t @ ("int" | "float")) => yaml_decimal(text)
            .or_else(|| yaml_radix_int(text))
            .map(Value::Number)
            .ok_or_else(|| bad(t)),
        Some("timestamp") => yaml_timestamp(text)
            .map(Value::String)
            .ok_or_else(|| bad("timestamp")),
        Some(other) => Err(format!("unsupported tag \"!!{other}\"")),
        None if style != TScalarStyle::Plain => Ok(Value::string(text)),
        None => resolve_plain(text),
    }
}

fn resolve_plain(text: &str) -> Result<Value, String> {
    if yaml_null(text) {
        return Ok(Value::Null);
    }
    if let Some(b) = yaml_bool(text) {
        return Ok(Value::Bool(b));
    }
    match text {
        ".nan" | ".NaN" | ".NAN" => return Err("floating point NaN is not supported".into()),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" => {
            return Err("infinite numbers are not supported".into())
        }
        _ => {}
    }
    let first = text.as_bytes().first().copied().unwrap_or(b' ');
    if first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.' {
        if let Some(t) = yaml_timestamp(text) {
            return Ok(Value::String(t));
        }
        if let Some(n) = yaml_decimal(text).or_else(|| yaml_radix_int(text)) {
            return Ok(Value::Number(n));
        }
    }
    Ok(Value::string(text))
}

// ---------------------------------------------------------------------------------------------
// Encoding: what libyaml's emitter writes for go-cty-yaml's events.

/// The width past which libyaml folds a double-quoted string at a space.
const BEST_WIDTH: usize = 80;
/// libyaml's indentation step.
const BEST_INDENT: usize = 2;

#[derive(Default)]
struct Emitter {
    text: String,
    /// In characters, as libyaml counts it.
    column: usize,
    /// The last thing written was whitespace (or nothing).
    whitespace: bool,
    /// The line so far holds only indentation.
    indention: bool,
    /// A `...` must end the document.
    open_ended: bool,
}

impl Emitter {
    fn document(&mut self, v: &Value) {
        self.whitespace = true;
        self.indention = true;
        self.node(v, None, Context::Root);
        self.write_indent(0);
        if self.open_ended {
            self.write_indicator("...", true);
            self.write_indent(0);
        }
    }

    fn put(&mut self, c: char) {
        self.text.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.text.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, indicator: &str, need_whitespace: bool) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = false;
        self.indention = self.indention && indicator == "-";
        self.open_ended = false;
    }

    /// Writes `v`. `indent` is the indentation of the enclosing block collection (`None` at
    /// the root); `ctx` says where the node stands.
    fn node(&mut self, v: &Value, indent: Option<usize>, ctx: Context) {
        match v.unmarked() {
            Value::List(items) if !items.is_empty() => self.sequence(items, indent, ctx),
            Value::Map(map) if !map.is_empty() => self.mapping(map, indent),
            Value::List(_) => self.flow_empty("[]"),
            Value::Map(_) => self.flow_empty("{}"),
            Value::String(s) => {
                let scalar_indent = indent.map_or(BEST_INDENT, |i| i + BEST_INDENT);
                self.string(s, scalar_indent, ctx == Context::Key);
            }
            Value::Number(n) => self.plain(&format_number(*n), ctx),
            Value::Bool(b) => self.plain(if *b { "true" } else { "false" }, ctx),
            Value::Null | Value::Unknown | Value::Sensitive(_) => self.plain("null", ctx),
        }
    }

    fn flow_empty(&mut self, text: &str) {
        self.write_indicator(text, true);
    }

    fn plain(&mut self, text: &str, ctx: Context) {
        if !self.whitespace {
            self.put(' ');
        }
        for c in text.chars() {
            self.put(c);
        }
        self.whitespace = false;
        self.indention = false;
        if ctx == Context::Root {
            self.open_ended = true;
        }
    }

    fn sequence(&mut self, items: &[Value], indent: Option<usize>, ctx: Context) {
        // A sequence that is a mapping's value is not indented ("indentless").
        let own = match (indent, ctx) {
            (None, _) => 0,
            (Some(i), Context::MapValue) => i,
            (Some(i), _) => i + BEST_INDENT,
        };
        for item in items {
            self.write_indent(own);
            self.write_indicator("-", true);
            self.node(item, Some(own), Context::SeqItem);
        }
    }

    fn mapping(&mut self, map: &BTreeMap<String, Value>, indent: Option<usize>) {
        let own = indent.map_or(0, |i| i + BEST_INDENT);
        for (key, value) in map {
            self.write_indent(own);
            self.string(key, own + BEST_INDENT, true);
            self.write_indicator(":", false);
            self.node(value, Some(own), Context::MapValue);
        }
    }

    fn string(&mut self, s: &str, indent: usize, simple_key: bool) {
        if s.contains('\n') && !simple_key && literal_allowed(s) {
            self.literal(s, indent);
        } else {
            self.double_quoted(s, indent, !simple_key);
        }
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.write_indicator("\"", true);
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{A0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    other => {
                        let v = other as u32;
                        let (prefix, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(prefix);
                        for ch in format!("{v:0width$X}").chars() {
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i != chars.len() - 1
                {
                    self.write_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(' ');
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
            self.whitespace = false;
            self.indention = false;
            i += 1;
        }
        self.write_indicator("\"", false);
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.write_indicator("|", true);
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            for c in BEST_INDENT.to_string().chars() {
                self.put(c);
            }
        }
        let mut rev = s.chars().rev();
        let chomp = match (rev.next(), rev.next()) {
            (Some(last), _) if !is_break(last) => Some('-'),
            (Some(_), None) => Some('+'),
            (Some(_), Some(prev)) if is_break(prev) => Some('+'),
            _ => None,
        };
        if let Some(c) = chomp {
            self.put(c);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        // go-yaml's emitter resets `open_ended` when it writes the chomping indicator, so a
        // literal block never ends the document open, unlike newer libyaml.
        self.open_ended = false;
        let mut breaks = true;
        for c in s.chars() {
            if is_break(c) {
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                    breaks = false;
                }
                self.put(c);
                self.indention = false;
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Root,
    Key,
    MapValue,
    SeqItem,
}

/// libyaml's test for characters it may write unescaped (go-yaml's, which also escapes
/// everything beyond the Basic Multilingual Plane).
fn printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Whether libyaml allows a literal block for `s`: no space before a line break or at the
/// end, and nothing it would have to escape.
fn literal_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !printable(c) {
            return false;
        }
        if c == ' ' {
            if i + 1 == chars.len() {
                return false;
            }
            if chars.get(i + 1).is_some_and(|&n| is_break(n)) {
                return false;
            }
        }
    }
    true
}
