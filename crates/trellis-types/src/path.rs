//! Paths to attributes inside a value (`config.health_check.port`, `target[0].id`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// A path from the root of a value to one of its parts.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Path(Vec<PathStep>);

impl Path {
    pub fn root() -> Path {
        Path(Vec::new())
    }

    pub fn from_keys<S: Into<String>>(keys: impl IntoIterator<Item = S>) -> Path {
        Path(keys.into_iter().map(|k| PathStep::Key(k.into())).collect())
    }

    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, step: PathStep) {
        self.0.push(step);
    }

    pub fn pop(&mut self) -> Option<PathStep> {
        self.0.pop()
    }

    pub fn child(&self, step: PathStep) -> Path {
        let mut out = self.clone();
        out.push(step);
        out
    }

    pub fn key(&self, key: &str) -> Path {
        self.child(PathStep::Key(key.to_string()))
    }

    /// Whether `self` equals `other` or lies beneath it.
    pub fn starts_with(&self, other: &Path) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The first step, when it is a key: the top-level attribute the path is in.
    pub fn first_key(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathStep::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// Parses `a.b[0].c` or `a["k"]`. Returns `None` for malformed text.
    pub fn parse(text: &str) -> Option<Path> {
        let mut steps = Vec::new();
        let mut rest = text.trim();
        if rest.is_empty() {
            return Some(Path::root());
        }
        let mut first = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let close = after.find(']')?;
                let inner = after[..close].trim();
                if let Some(quoted) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    steps.push(PathStep::Key(quoted.to_string()));
                } else {
                    steps.push(PathStep::Index(inner.parse().ok()?));
                }
                rest = &after[close + 1..];
            } else {
                let body = if first { rest } else { rest.strip_prefix('.')? };
                let end = body.find(['.', '[']).unwrap_or(body.len());
                let name = &body[..end];
                if name.is_empty() {
                    return None;
                }
                if let Ok(index) = name.parse::<usize>() {
                    steps.push(PathStep::Index(index));
                } else {
                    steps.push(PathStep::Key(name.to_string()));
                }
                rest = &body[end..];
            }
            first = false;
        }
        Some(Path(steps))
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Key(k) if is_identifier(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                PathStep::Key(k) => write!(f, "[{}]", serde_json::Value::String(k.clone()))?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for text in [
            "a",
            "a.b",
            "a[0].b",
            "tags[\"team name\"]",
            "config.health_check.port",
        ] {
            assert_eq!(Path::parse(text).unwrap().to_string(), text);
        }
        assert!(Path::parse("a..b").is_none());
        assert!(Path::parse("a[x").is_none());
    }
}
