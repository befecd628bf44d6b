//! `terraform fmt` style for one file.
//!
//! The rules are those of HCL's own formatter (hclwrite), applied to our tokens:
//! each line is split into up to three cells, `lead`, `assign` (from a top-level `=` on a
//! line whose brackets balance) and a trailing line `comment`; lines are indented two spaces
//! per line that opened brackets; spaces between tokens follow fixed pair rules; and the
//! `assign` and `comment` cells of consecutive lines are aligned. On top of that, trailing
//! whitespace goes, runs of blank lines shrink to one, line endings become `\n` and the file
//! ends with exactly one newline. Heredoc contents and comments are kept as written.

use crate::lex::{tokenize, Kind, Token};

/// Formats HCL source text in canonical style.
///
/// Returns an error (the syntax error, with its line and column) when `text` does not parse:
/// text that is not HCL has no canonical form. The result is stable:
/// `format_source(&format_source(x)?)? == format_source(x)?`.
pub fn format_source(text: &str) -> Result<String, String> {
    let text = text.replace("\r\n", "\n");
    if let Err(e) = hcl_edit::parser::parse_body(&text) {
        let at = e.location();
        return Err(format!("{}:{}: {}", at.line(), at.column(), e.message()));
    }
    let tokens: Vec<Cell> = tokenize(&text)
        .into_iter()
        .map(|token| Cell { token, spaces: 0 })
        .collect();
    let mut lines = split_lines(tokens);
    indent(&mut lines);
    space(&mut lines);
    align(&mut lines);
    Ok(render(&lines))
}

#[derive(Debug, Clone, Copy)]
struct Cell<'a> {
    token: Token<'a>,
    spaces: usize,
}

impl Cell<'_> {
    fn kind(&self) -> Kind {
        self.token.kind
    }
}

#[derive(Debug, Default)]
struct Line<'a> {
    lead: Vec<Cell<'a>>,
    assign: Vec<Cell<'a>>,
    comment: Vec<Cell<'a>>,
}

fn ends_line(token: &Token) -> bool {
    token.kind == Kind::Newline || (token.kind == Kind::Comment && token.text.ends_with('\n'))
}

fn bracket_change(kind: Kind) -> i64 {
    match kind {
        Kind::OBrace
        | Kind::OBrack
        | Kind::OParen
        | Kind::TemplateInterp
        | Kind::TemplateControl => 1,
        Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
        _ => 0,
    }
}

fn net_brackets(cells: &[Cell]) -> i64 {
    cells.iter().map(|c| bracket_change(c.kind())).sum()
}

fn columns(cells: &[Cell]) -> usize {
    cells
        .iter()
        .map(|c| c.spaces + c.token.text.chars().count())
        .sum()
}

fn split_lines(tokens: Vec<Cell>) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut current = Vec::new();
    for cell in tokens {
        let end = ends_line(&cell.token);
        current.push(cell);
        if end {
            lines.push(Line {
                lead: std::mem::take(&mut current),
                ..Line::default()
            });
        }
    }
    if !current.is_empty() {
        lines.push(Line {
            lead: current,
            ..Line::default()
        });
    }
    for line in &mut lines {
        if line.lead.len() > 1 && line.lead.last().is_some_and(|c| c.kind() == Kind::Comment) {
            line.comment = line.lead.split_off(line.lead.len() - 1);
        }
        // An `=` starts the assign cell only when what follows is a whole expression on
        // this line; `a = {` opens a multi-line value and aligns with nothing.
        if let Some(i) = line
            .lead
            .iter()
            .skip(1)
            .position(|c| c.kind() == Kind::Equal)
        {
            let i = i + 1;
            if net_brackets(&line.lead[i..]) == 0 {
                line.assign = line.lead.split_off(i);
            }
        }
    }
    lines
}

/// Two spaces per level; a line that opens brackets indents the lines after it by one level
/// however many brackets it opens.
fn indent(lines: &mut [Line]) {
    let mut levels: Vec<i64> = Vec::new();
    for line in lines {
        let Some(first) = line.lead.first() else {
            continue;
        };
        if first.kind() == Kind::Newline {
            continue;
        }
        let mut net = 0;
        for cell in &line.lead {
            net += bracket_change(cell.kind());
            if cell.kind() == Kind::OHeredoc {
                break;
            }
        }
        net += net_brackets(&line.assign);
        if net > 0 {
            line.lead[0].spaces = 2 * levels.len();
            levels.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = levels.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    levels.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
            line.lead[0].spaces = 2 * levels.len();
        }
    }
}

fn space(lines: &mut [Line]) {
    for line in lines {
        space_cells(&mut line.lead);
        if let Some(first) = line.assign.first_mut() {
            first.spaces = 1;
        }
        space_cells(&mut line.assign);
    }
}

fn space_cells(cells: &mut [Cell]) {
    for i in 1..cells.len() {
        let before = (i >= 2).then(|| cells[i - 2].kind());
        let spaced = space_after(cells[i - 1].token, before, cells[i].kind());
        cells[i].spaces = usize::from(spaced);
    }
}

/// Whether `subject` is followed by a space when `after` comes next (`before` is the token
/// before `subject`, if any).
fn space_after(subject: Token, before: Option<Kind>, after: Kind) -> bool {
    use Kind::*;
    let s = subject.kind;
    match () {
        _ if after == Newline => false,
        _ if s == Ident && after == OParen => false,
        _ if (s == Ident && after == DoubleColon) || (s == DoubleColon && after == Ident) => false,
        _ if s == Dot || after == Dot => false,
        _ if after == Comma || after == Ellipsis => false,
        _ if s == Comma => true,
        _ if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc)
            || matches!(after, QuotedLit | StringLit | CQuote | CHeredoc) =>
        {
            false
        }
        // `for x in [a, b]`: `in` is a keyword here, not a name being indexed.
        _ if s == Ident && subject.text == "in" && before == Some(Ident) => true,
        _ if after == OBrack && (s == Ident || s == Number || bracket_change(s) < 0) => false,
        _ if s == Bang => false,
        _ if s == Minus => !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | Gt
                    | Ge
                    | Lt
                    | Le
                    | And
                    | Or
                    | Bang
            )
        ),
        _ if s == OBrace || after == CBrace => !(s == OBrace && after == CBrace),
        _ if matches!(s, TemplateInterp | TemplateControl) && after == OBrace => true,
        _ if s == CBrace && after == TemplateSeqEnd => true,
        _ if s == TemplateSeqEnd && matches!(after, TemplateInterp | TemplateControl) => false,
        _ if bracket_change(s) > 0 => false,
        _ if bracket_change(after) < 0 => false,
        _ => true,
    }
}

/// Aligns the `=` of consecutive lines with an assign cell, then the trailing comments of
/// consecutive lines with a comment cell.
fn align(lines: &mut [Line]) {
    let mut start = 0;
    while start < lines.len() {
        if lines[start].assign.is_empty() {
            start += 1;
            continue;
        }
        let end = (start..lines.len())
            .find(|&i| lines[i].assign.is_empty())
            .unwrap_or(lines.len());
        let widest = lines[start..end]
            .iter()
            .map(|l| columns(&l.lead))
            .max()
            .unwrap_or(0);
        for line in &mut lines[start..end] {
            line.assign[0].spaces = widest - columns(&line.lead) + 1;
        }
        start = end;
    }
    let mut start = 0;
    while start < lines.len() {
        if lines[start].comment.is_empty() {
            start += 1;
            continue;
        }
        let end = (start..lines.len())
            .find(|&i| lines[i].comment.is_empty())
            .unwrap_or(lines.len());
        let width = |l: &Line| columns(&l.lead) + columns(&l.assign);
        let widest = lines[start..end].iter().map(width).max().unwrap_or(0);
        for line in &mut lines[start..end] {
            line.comment[0].spaces = widest - width(line) + 1;
        }
        start = end;
    }
}

fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    let mut previous_blank = true; // No blank lines at the start of the file.
    for line in lines {
        let blank = line.lead.first().is_some_and(|c| c.kind() == Kind::Newline);
        if blank && previous_blank {
            continue;
        }
        previous_blank = blank;
        for cell in line.lead.iter().chain(&line.assign).chain(&line.comment) {
            out.push_str(&" ".repeat(cell.spaces));
            match cell.kind() {
                Kind::Newline => out.push('\n'),
                Kind::Comment if cell.token.text.ends_with('\n') => {
                    out.push_str(cell.token.text.trim_end());
                    out.push('\n');
                }
                _ => out.push_str(cell.token.text),
            }
        }
    }
    let trimmed = out.trim_end_matches(['\n', ' ', '\t']).len();
    out.truncate(trimmed);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}
