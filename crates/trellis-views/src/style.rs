//! Colours.

/// How text is decorated.
///
/// With `color` set, views add ANSI escape codes (green `+`, yellow `~`, red `-`, cyan for
/// replacements and reads, bold headings). Without it, output is plain text, which is what
/// tests, pipes and `NO_COLOR` want.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// No escape codes.
    pub const PLAIN: Style = Style { color: false };
    /// ANSI colours.
    pub const COLOR: Style = Style { color: true };

    pub fn plain() -> Style {
        Style::PLAIN
    }

    pub fn colored() -> Style {
        Style::COLOR
    }

    pub(crate) fn paint(self, code: Paint, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{}m{text}\x1b[0m", code.ansi())
        } else {
            text.to_string()
        }
    }
}

/// The decorations views use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paint {
    Green,
    Yellow,
    Red,
    Cyan,
    Bold,
    BoldRed,
    BoldYellow,
    BoldGreen,
}

impl Paint {
    fn ansi(self) -> &'static str {
        match self {
            Paint::Green => "32",
            Paint::Yellow => "33",
            Paint::Red => "31",
            Paint::Cyan => "36",
            Paint::Bold => "1",
            Paint::BoldRed => "1;31",
            Paint::BoldYellow => "1;33",
            Paint::BoldGreen => "1;32",
        }
    }
}
