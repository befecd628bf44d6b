//! Terraform's version constraints (those of `hashicorp/go-version`): `=`, `!=`, `>`,
//! `>=`, `<`, `<=` and `~>` (pessimistic), comma-separated lists that must all hold, and
//! partial versions (`~> 1.2`).
//!
//! Pre-releases follow go-version: a version with a pre-release (`1.3.0-beta`) matches
//! only constraints that name a pre-release with the same numbers, so `~> 1.2` never
//! picks a beta, and `= 1.3.0-beta` picks exactly it.

use std::cmp::Ordering;
use std::fmt;

/// A version: numbers, an optional pre-release, build metadata (ignored when comparing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The numbers as written (one to three, or more), compared as if padded with zeros.
    segments: Vec<u64>,
    pre: Option<String>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version {text:?}: {why}")]
pub struct VersionError {
    pub text: String,
    pub why: String,
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let fail = |why: &str| VersionError {
            text: text.to_string(),
            why: why.to_string(),
        };
        let t = text.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let t = t.split_once('+').map_or(t, |(v, _)| v);
        let (numbers, pre) = match t.split_once('-') {
            Some((n, p)) if !p.is_empty() => (n, Some(p.to_string())),
            Some(_) => return Err(fail("empty pre-release")),
            None => (t, None),
        };
        if numbers.is_empty() {
            return Err(fail("expected numbers such as 1.2.3"));
        }
        let segments = numbers
            .split('.')
            .map(|s| {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    Err(fail("expected numbers such as 1.2.3"))
                } else {
                    s.parse::<u64>().map_err(|_| fail("number too large"))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(p) = &pre {
            if !p.split('.').all(|id| {
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }) {
                return Err(fail("invalid pre-release"));
            }
        }
        Ok(Version {
            segments,
            pre,
            text: text.trim().to_string(),
        })
    }

    fn segment(&self, i: usize) -> u64 {
        self.segments.get(i).copied().unwrap_or(0)
    }

    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }

    fn same_numbers(&self, other: &Version) -> bool {
        let n = self.segments.len().max(other.segments.len()).max(3);
        (0..n).all(|i| self.segment(i) == other.segment(i))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.segments.len().max(other.segments.len()).max(3);
        for i in 0..n {
            match self.segment(i).cmp(&other.segment(i)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (&self.pre, &other.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => compare_pre(a, b),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Semantic versioning's order of pre-releases: dot-separated identifiers, numeric ones
/// numerically and before alphanumeric ones, a shorter list first when one is a prefix.
fn compare_pre(a: &str, b: &str) -> Ordering {
    let mut a = a.split('.');
    let mut b = b.split('.');
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Pessimistic,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct One {
    op: Op,
    version: Version,
}

/// A list of constraints that must all hold; the empty list allows every release.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Constraints {
    all: Vec<One>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version constraint {text:?}: {why}")]
pub struct ConstraintError {
    pub text: String,
    pub why: String,
}

impl Constraints {
    pub fn parse(text: &str) -> Result<Constraints, ConstraintError> {
        let mut all = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(ConstraintError {
                    text: text.to_string(),
                    why: "empty constraint; expected a list such as \">= 1.2, < 2.0\"".to_string(),
                });
            }
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(s, op)| part.strip_prefix(s).map(|rest| (*op, rest)))
            .unwrap_or((Op::Eq, part));
            let version = Version::parse(rest.trim()).map_err(|e| ConstraintError {
                text: text.to_string(),
                why: e.why,
            })?;
            all.push(One { op, version });
        }
        Ok(Constraints {
            all,
            text: text.trim().to_string(),
        })
    }

    /// Whether `v` satisfies every constraint.
    pub fn allows(&self, v: &Version) -> bool {
        if self.all.is_empty() {
            return !v.is_prerelease();
        }
        self.all.iter().all(|c| c.allows(v))
    }

    /// The newest of `versions` that satisfies the constraints.
    pub fn best<'a>(&self, versions: &'a [Version]) -> Option<&'a Version> {
        versions.iter().filter(|v| self.allows(v)).max()
    }
}

impl fmt::Display for Constraints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl One {
    fn allows(&self, v: &Version) -> bool {
        let c = &self.version;
        // go-version's pre-release rule, for every operator.
        match (c.pre.is_some(), v.pre.is_some()) {
            (true, true) if !c.same_numbers(v) => return false,
            (false, true) => return false,
            _ => {}
        }
        match self.op {
            Op::Eq => v == c || v.cmp(c) == Ordering::Equal,
            Op::Ne => v.cmp(c) != Ordering::Equal,
            Op::Gt => v > c,
            Op::Ge => v >= c,
            Op::Lt => v < c,
            Op::Le => v <= c,
            Op::Pessimistic => {
                if c.pre.is_some() != v.pre.is_some() || v < c {
                    return false;
                }
                let n = c.segments.len();
                (0..n.saturating_sub(1)).all(|i| v.segment(i) == c.segment(i))
                    && v.segment(n - 1) >= c.segment(n - 1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(constraint: &str, version: &str) -> bool {
        Constraints::parse(constraint)
            .unwrap()
            .allows(&Version::parse(version).unwrap())
    }

    #[test]
    fn operators() {
        assert!(allows("1.2.0", "1.2.0"));
        assert!(allows("= 1.2", "1.2.0"));
        assert!(!allows("= 1.2.0", "1.2.1"));
        assert!(allows("!= 1.2.0", "1.2.1"));
        assert!(!allows("!= 1.2.0", "1.2.0"));
        assert!(allows("> 1.2.0", "1.2.1"));
        assert!(!allows("> 1.2.0", "1.2.0"));
        assert!(allows(">= 1.2.0", "1.2.0"));
        assert!(allows("< 2", "1.99.0"));
        assert!(!allows("< 2", "2.0.0"));
        assert!(allows("<= 2", "2.0.0"));
        assert!(allows(">= 1.0, < 2.0, != 1.5.0", "1.4.0"));
        assert!(!allows(">= 1.0, < 2.0, != 1.5.0", "1.5.0"));
        assert!(allows("v1.2.0", "1.2.0"));
        assert!(allows("1.2.0", "1.2.0+build.5"));
    }

    #[test]
    fn pessimistic() {
        assert!(allows("~> 1.1", "1.1.0"));
        assert!(allows("~> 1.1", "1.9.3"));
        assert!(!allows("~> 1.1", "2.0.0"));
        assert!(!allows("~> 1.1", "1.0.9"));
        assert!(allows("~> 1.2.3", "1.2.9"));
        assert!(!allows("~> 1.2.3", "1.3.0"));
        assert!(!allows("~> 1.2.3", "1.2.2"));
        assert!(allows("~> 1", "1.0.0"));
        assert!(allows("~> 1", "3.0.0"), "go-version: ~> 1 is >= 1");
        assert!(!allows("~> 1", "0.9.0"));
    }

    #[test]
    fn prereleases_match_only_when_named() {
        assert!(!allows("~> 1.2", "1.3.0-beta"));
        assert!(!allows(">= 1.0", "2.0.0-rc1"));
        assert!(allows("= 1.3.0-beta", "1.3.0-beta"));
        assert!(allows(">= 1.3.0-beta", "1.3.0-rc.1"));
        assert!(!allows(">= 1.3.0-beta", "1.4.0-rc.1"));
        assert!(allows(">= 1.3.0-beta", "1.4.0"));
        let none = Constraints::default();
        assert!(!none.allows(&Version::parse("1.0.0-alpha").unwrap()));
        assert!(none.allows(&Version::parse("1.0.0").unwrap()));
    }

    #[test]
    fn best_is_the_newest_allowed() {
        let versions: Vec<Version> = ["1.0.0", "1.2.0", "1.10.0", "2.0.0", "1.11.0-beta"]
            .iter()
            .map(|v| Version::parse(v).unwrap())
            .collect();
        let c = Constraints::parse("~> 1.1").unwrap();
        assert_eq!(c.best(&versions).unwrap().to_string(), "1.10.0");
        let c = Constraints::parse("< 1.0").unwrap();
        assert!(c.best(&versions).is_none());
    }

    #[test]
    fn bad_constraints_say_why() {
        for bad in ["", ">= ", "~> x", "1.2,", ">> 1", "1.-2", "1.2.3-"] {
            assert!(Constraints::parse(bad).is_err(), "{bad:?}");
        }
    }
}
