//! A small HCL tokenizer for the formatter.
//!
//! hcl-edit keeps the exact text of a file but does not expose tokens, and `terraform fmt`
//! style is defined over tokens (indentation by open brackets per line, spacing by token
//! pairs, alignment of `=` and comments). Whitespace is dropped here: the formatter decides
//! it. The tokenizer never fails; text it does not understand becomes `Invalid` tokens, and
//! the formatter only runs on text that hcl-edit has already accepted.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ident,
    Number,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Equal,
    Comma,
    Dot,
    Ellipsis,
    Colon,
    DoubleColon,
    Question,
    FatArrow,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    EqualOp,
    NotEqual,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Bang,
    /// `"` opening a quoted template.
    OQuote,
    /// `"` closing a quoted template.
    CQuote,
    /// Literal text inside a quoted template.
    QuotedLit,
    /// `${` or `${~`.
    TemplateInterp,
    /// `%{` or `%{~`.
    TemplateControl,
    /// `}` or `~}` closing an interpolation or directive.
    TemplateSeqEnd,
    /// `<<EOT` or `<<-EOT`, with its newline.
    OHeredoc,
    /// Literal text inside a heredoc, newlines included.
    StringLit,
    /// The closing marker line of a heredoc, as written (indentation included).
    CHeredoc,
    /// `# ...` and `// ...` (with their newline) or `/* ... */`.
    Comment,
    Newline,
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// Byte offset of the token in the text.
    pub start: usize,
}

enum Mode {
    /// Expressions. `interp` is set inside `${ }` and `%{ }`, where a `}` that closes no
    /// brace of this frame ends the template sequence.
    Normal {
        braces: usize,
        interp: bool,
        start: usize,
    },
    Quoted {
        start: usize,
    },
    Heredoc {
        marker: String,
        line_start: bool,
        start: usize,
    },
}

/// Something wrong that the tokenizer can see: an unterminated string, comment or heredoc,
/// or a bracket without its partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub offset: usize,
    pub summary: String,
}

/// Splits `text` into tokens. Concatenating the tokens' texts gives back `text` without its
/// spaces and tabs between tokens.
pub(crate) fn tokenize(text: &str) -> Vec<Token<'_>> {
    lex(text).0
}

/// The earliest problem the tokenizer sees in `text`, if any.
///
/// Unterminated strings, comments and heredocs come first, the first one met: what follows
/// it is read out of step. An unbalanced bracket is only reported when the text has none of
/// them.
pub(crate) fn first_problem(text: &str) -> Option<Problem> {
    let (tokens, problems) = lex(text);
    if let Some(first) = problems.into_iter().next() {
        return Some(first);
    }
    let mut problems = Vec::new();
    let mut open: Vec<&Token> = Vec::new();
    for token in &tokens {
        let closes = match token.kind {
            Kind::OBrace | Kind::OBrack | Kind::OParen => {
                open.push(token);
                continue;
            }
            Kind::CBrace => Kind::OBrace,
            Kind::CBrack => Kind::OBrack,
            Kind::CParen => Kind::OParen,
            _ => continue,
        };
        match open.last() {
            Some(top) if top.kind == closes => {
                open.pop();
            }
            Some(top) => {
                problems.push(Problem {
                    offset: top.start,
                    summary: format!("unclosed `{}`", top.text),
                });
                break;
            }
            None => {
                problems.push(Problem {
                    offset: token.start,
                    summary: format!("unexpected `{}`", token.text),
                });
                break;
            }
        }
    }
    if let Some(top) = open.last() {
        problems.push(Problem {
            offset: top.start,
            summary: format!("unclosed `{}`", top.text),
        });
    }
    problems.into_iter().min_by_key(|p| p.offset)
}

fn lex(text: &str) -> (Vec<Token<'_>>, Vec<Problem>) {
    let mut lexer = Lexer {
        text,
        pos: 0,
        modes: vec![Mode::Normal {
            braces: 0,
            interp: false,
            start: 0,
        }],
        out: Vec::new(),
        problems: Vec::new(),
    };
    while lexer.pos < text.len() {
        let before = lexer.pos;
        match lexer.modes.last() {
            Some(Mode::Quoted { .. }) => lexer.quoted(),
            Some(Mode::Heredoc { .. }) => lexer.heredoc(),
            _ => lexer.normal(),
        }
        // Every step consumes input; this guards the loop against a mistake above.
        if lexer.pos == before {
            let len = lexer.rest().chars().next().map_or(1, char::len_utf8);
            lexer.push(Kind::Invalid, len);
        }
    }
    lexer.finish();
    (lexer.out, lexer.problems)
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    modes: Vec<Mode>,
    out: Vec<Token<'a>>,
    problems: Vec<Problem>,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn push(&mut self, kind: Kind, len: usize) {
        let text = &self.text[self.pos..self.pos + len];
        self.out.push(Token {
            kind,
            text,
            start: self.pos,
        });
        self.pos += len;
    }

    fn problem(&mut self, offset: usize, summary: impl Into<String>) {
        self.problems.push(Problem {
            offset,
            summary: summary.into(),
        });
    }

    /// A quoted string ends without its closing quote. When the string is itself inside
    /// `${ }` of another string, the missing piece is more likely the `}`.
    fn unterminated_string(&mut self) {
        let n = self.modes.len();
        let problem = match (&self.modes[n.saturating_sub(3)..n], self.modes.last()) {
            (
                [Mode::Quoted { .. }, Mode::Normal {
                    interp: true,
                    start,
                    ..
                }, _],
                _,
            ) => (*start, "unclosed template interpolation"),
            (_, Some(Mode::Quoted { start })) => (*start, "unterminated string"),
            _ => return,
        };
        self.problem(problem.0, problem.1);
    }

    /// Reports the innermost construct still open at the end of the text, unless a problem
    /// was found already (which is then the likely cause).
    fn finish(&mut self) {
        while let Some(mode) = self.modes.last() {
            if !self.problems.is_empty() {
                return;
            }
            match mode {
                Mode::Quoted { .. } => self.unterminated_string(),
                Mode::Heredoc { marker, start, .. } => {
                    let summary = format!("unterminated heredoc: no closing `{marker}` line");
                    self.problem(*start, summary);
                }
                Mode::Normal {
                    interp: true,
                    start,
                    ..
                } => self.problem(*start, "unclosed template sequence"),
                Mode::Normal { .. } => {}
            }
            self.modes.pop();
        }
    }

    fn normal(&mut self) {
        let rest = self.rest();
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { return };
        let next = chars.next();
        match c {
            ' ' | '\t' => self.pos += 1,
            '\r' if next == Some('\n') => self.push(Kind::Newline, 2),
            '\n' => self.push(Kind::Newline, 1),
            '#' => self.line_comment(),
            '/' if next == Some('/') => self.line_comment(),
            '/' if next == Some('*') => {
                let len = match rest[2..].find("*/") {
                    Some(i) => i + 4,
                    None => {
                        self.problem(self.pos, "unterminated comment");
                        rest.len()
                    }
                };
                self.push(Kind::Comment, len);
            }
            '{' => {
                if let Some(Mode::Normal { braces, .. }) = self.modes.last_mut() {
                    *braces += 1;
                }
                self.push(Kind::OBrace, 1);
            }
            '}' | '~' if c == '}' || next == Some('}') => {
                let len = if c == '~' { 2 } else { 1 };
                match self.modes.last_mut() {
                    Some(Mode::Normal {
                        braces: 0,
                        interp: true,
                        ..
                    }) => {
                        self.modes.pop();
                        self.push(Kind::TemplateSeqEnd, len);
                    }
                    Some(Mode::Normal { braces, .. }) if c == '}' => {
                        *braces = braces.saturating_sub(1);
                        self.push(Kind::CBrace, 1);
                    }
                    _ => self.push(Kind::Invalid, 1),
                }
            }
            '"' => {
                self.modes.push(Mode::Quoted { start: self.pos });
                self.push(Kind::OQuote, 1);
            }
            '<' if next == Some('<') => {
                if !self.heredoc_open() {
                    self.push(Kind::Lt, 1);
                }
            }
            c if c.is_ascii_digit() => {
                let len = number_len(rest);
                self.push(Kind::Number, len);
            }
            c if c.is_alphabetic() || c == '_' => {
                let len = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(rest.len());
                self.push(Kind::Ident, len);
            }
            _ => {
                let (kind, len) = punctuation(rest);
                self.push(kind, len);
            }
        }
    }

    fn line_comment(&mut self) {
        let rest = self.rest();
        let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
        self.push(Kind::Comment, len);
    }

    /// `<<EOT` or `<<-EOT` then a newline; false when the text is not a heredoc opener.
    fn heredoc_open(&mut self) -> bool {
        let rest = self.rest();
        let after = rest[2..].strip_prefix('-').unwrap_or(&rest[2..]);
        let marker_len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        let marker = &after[..marker_len];
        let tail = &after[marker_len..];
        let newline = if tail.starts_with("\r\n") {
            2
        } else if tail.starts_with('\n') {
            1
        } else {
            return false;
        };
        if marker.is_empty() {
            return false;
        }
        let len = rest.len() - tail.len() + newline;
        self.modes.push(Mode::Heredoc {
            marker: marker.to_string(),
            line_start: true,
            start: self.pos,
        });
        self.push(Kind::OHeredoc, len);
        true
    }

    fn quoted(&mut self) {
        let rest = self.rest();
        if rest.starts_with('"') {
            self.modes.pop();
            self.push(Kind::CQuote, 1);
            return;
        }
        if let Some(kind) = template_opener(rest) {
            self.push_template_opener(kind, rest);
            return;
        }
        if rest.starts_with('\n') || rest.starts_with("\r\n") {
            // An unterminated string: stop it here and go on with the next line.
            self.unterminated_string();
            self.modes.pop();
            return;
        }
        let mut chars = rest.char_indices();
        let mut len = rest.len();
        while let Some((i, c)) = chars.next() {
            let here = &rest[i..];
            if c == '"' || c == '\n' || here.starts_with("\r\n") || template_opener(here).is_some()
            {
                len = i;
                break;
            }
            if here.starts_with("$${") || here.starts_with("%%{") {
                chars.nth(1);
            } else if c == '\\' {
                // An escape sequence: the next character is part of the literal.
                chars.next();
            }
        }
        self.push(Kind::QuotedLit, len);
    }

    fn heredoc(&mut self) {
        let rest = self.rest();
        let Some(Mode::Heredoc {
            marker, line_start, ..
        }) = self.modes.last_mut()
        else {
            return;
        };
        if *line_start {
            let line_len = rest.find('\n').unwrap_or(rest.len());
            let line = rest[..line_len].trim_end_matches('\r');
            if line.trim() == marker {
                self.modes.pop();
                self.push(Kind::CHeredoc, line.len());
                return;
            }
            *line_start = false;
        }
        if let Some(kind) = template_opener(rest) {
            self.push_template_opener(kind, rest);
            return;
        }
        let mut len = 0;
        while len < rest.len() {
            let here = &rest[len..];
            if here.starts_with("$${") || here.starts_with("%%{") {
                len += 3;
                continue;
            }
            if template_opener(here).is_some() {
                break;
            }
            let c = here.chars().next().unwrap_or('\n');
            len += c.len_utf8();
            if c == '\n' {
                if let Some(Mode::Heredoc { line_start, .. }) = self.modes.last_mut() {
                    *line_start = true;
                }
                break;
            }
        }
        self.push(Kind::StringLit, len.min(rest.len()));
    }

    fn push_template_opener(&mut self, kind: Kind, rest: &str) {
        let len = if rest[2..].starts_with('~') { 3 } else { 2 };
        self.modes.push(Mode::Normal {
            braces: 0,
            interp: true,
            start: self.pos,
        });
        self.push(kind, len);
    }
}

fn template_opener(text: &str) -> Option<Kind> {
    if text.starts_with("${") {
        Some(Kind::TemplateInterp)
    } else if text.starts_with("%{") {
        Some(Kind::TemplateControl)
    } else {
        None
    }
}

fn number_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut len = digits(0);
    if bytes.get(len) == Some(&b'.') && bytes.get(len + 1).is_some_and(u8::is_ascii_digit) {
        len += 1 + digits(len + 1);
    }
    if matches!(bytes.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(len + 1), Some(b'+' | b'-')));
        let exp = digits(len + 1 + sign);
        if exp > 0 {
            len += 1 + sign + exp;
        }
    }
    len
}

fn punctuation(text: &str) -> (Kind, usize) {
    const TABLE: &[(&str, Kind)] = &[
        ("...", Kind::Ellipsis),
        ("::", Kind::DoubleColon),
        ("=>", Kind::FatArrow),
        ("==", Kind::EqualOp),
        ("!=", Kind::NotEqual),
        ("<=", Kind::Le),
        (">=", Kind::Ge),
        ("&&", Kind::And),
        ("||", Kind::Or),
        ("[", Kind::OBrack),
        ("]", Kind::CBrack),
        ("(", Kind::OParen),
        (")", Kind::CParen),
        ("=", Kind::Equal),
        (",", Kind::Comma),
        (".", Kind::Dot),
        (":", Kind::Colon),
        ("?", Kind::Question),
        ("+", Kind::Plus),
        ("-", Kind::Minus),
        ("*", Kind::Star),
        ("/", Kind::Slash),
        ("%", Kind::Percent),
        ("<", Kind::Lt),
        (">", Kind::Gt),
        ("!", Kind::Bang),
    ];
    for (symbol, kind) in TABLE {
        if text.starts_with(symbol) {
            return (*kind, symbol.len());
        }
    }
    (Kind::Invalid, text.chars().next().map_or(1, char::len_utf8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        tokenize(text)
            .into_iter()
            .map(|t| (t.kind, t.text))
            .collect()
    }

    fn problem(text: &str) -> Option<(usize, String)> {
        first_problem(text).map(|p| (p.offset, p.summary))
    }

    #[test]
    fn problems() {
        assert_eq!(
            problem("a = \"x\nb = 1\n"),
            Some((4, "unterminated string".into()))
        );
        assert_eq!(
            problem("a = \"x${y\"\n"),
            Some((6, "unclosed template interpolation".into()))
        );
        assert_eq!(
            problem("a {\n b = [1, 2\n}\n"),
            Some((9, "unclosed `[`".into()))
        );
        assert_eq!(problem("a {}\n}\n"), Some((5, "unexpected `}`".into())));
        assert_eq!(
            problem("a { /* x"),
            Some((4, "unterminated comment".into()))
        );
        assert_eq!(
            problem("a = <<EOT\nx\n"),
            Some((4, "unterminated heredoc: no closing `EOT` line".into()))
        );
        assert_eq!(problem("a = \"${b}\" # ok\nc = <<X\nX\n"), None);
    }

    #[test]
    fn template_in_quotes() {
        use Kind::*;
        assert_eq!(
            kinds(r#"a = "x${b}y""#),
            vec![
                (Ident, "a"),
                (Equal, "="),
                (OQuote, "\""),
                (QuotedLit, "x"),
                (TemplateInterp, "${"),
                (Ident, "b"),
                (TemplateSeqEnd, "}"),
                (QuotedLit, "y"),
                (CQuote, "\""),
            ]
        );
    }

    #[test]
    fn heredoc_and_comments() {
        use Kind::*;
        assert_eq!(
            kinds("a = <<EOT\nhi ${x}\nEOT\n# c\n"),
            vec![
                (Ident, "a"),
                (Equal, "="),
                (OHeredoc, "<<EOT\n"),
                (StringLit, "hi "),
                (TemplateInterp, "${"),
                (Ident, "x"),
                (TemplateSeqEnd, "}"),
                (StringLit, "\n"),
                (CHeredoc, "EOT"),
                (Newline, "\n"),
                (Comment, "# c\n"),
            ]
        );
    }

    #[test]
    fn never_stalls_on_garbage() {
        for text in [
            "\"\\", "\"é\\é", "<<", "<<-\n", "${", "~", "\"${", "\u{0}", "1e", "1.",
        ] {
            let joined: String = tokenize(text).iter().map(|t| t.text).collect();
            assert_eq!(joined, text.replace([' ', '\t'], ""), "{text:?}");
        }
    }
}
