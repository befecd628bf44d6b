//! Where a resource's changes land.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The account and region that a provider configuration acts in, as far as the provider
/// knows them. Both parts are optional: an AWS provider knows its region at once and its
/// account only after its first call; other providers may know neither.
///
/// Serialized as `{"account": ..., "region": ...}`. It also reads the display string that
/// plan files of earlier versions held (`"account 1111, us-east-1"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "Repr")]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Location {
    /// A location with both parts known.
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Location {
            account: Some(account.into()),
            region: Some(region.into()),
        }
    }

    /// Whether neither part is known.
    pub fn is_empty(&self) -> bool {
        self.account.is_none() && self.region.is_none()
    }
}

/// What a location is read from: its parts, or the display string of earlier plan files.
#[derive(Deserialize)]
#[serde(untagged)]
enum Repr {
    Parts {
        #[serde(default)]
        account: Option<String>,
        #[serde(default)]
        region: Option<String>,
    },
    Text(String),
}

impl From<Repr> for Location {
    fn from(repr: Repr) -> Self {
        match repr {
            Repr::Parts { account, region } => Location { account, region },
            Repr::Text(text) => {
                let (account, region) = match text.strip_prefix("account ") {
                    Some(rest) => match rest.split_once(", ") {
                        Some((a, r)) => (Some(a), Some(r)),
                        None => (Some(rest), None),
                    },
                    None => (None, Some(text.as_str())),
                };
                let part = |p: Option<&str>| p.filter(|p| !p.is_empty()).map(str::to_string);
                Location {
                    account: part(account),
                    region: part(region),
                }
            }
        }
    }
}

/// `account 111122223333, us-east-1`, `account 111122223333`, `us-east-1`, or nothing.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.account, &self.region) {
            (Some(a), Some(r)) => write!(f, "account {a}, {r}"),
            (Some(a), None) => write!(f, "account {a}"),
            (None, Some(r)) => f.write_str(r),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_what_is_known() {
        assert_eq!(
            Location::new("111122223333", "us-east-1").to_string(),
            "account 111122223333, us-east-1"
        );
        let region_only = Location {
            account: None,
            region: Some("eu-west-1".into()),
        };
        assert_eq!(region_only.to_string(), "eu-west-1");
        assert!(Location::default().is_empty());
    }

    #[test]
    fn serializes_only_known_parts() {
        let l = Location {
            account: Some("1".into()),
            region: None,
        };
        assert_eq!(serde_json::to_string(&l).unwrap(), r#"{"account":"1"}"#);
        let back: Location = serde_json::from_str(r#"{"region":"us-east-1"}"#).unwrap();
        assert_eq!(back.region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn reads_the_display_string_of_earlier_plan_files() {
        for l in [
            Location::new("111122223333", "us-east-1"),
            Location {
                account: Some("1".into()),
                region: None,
            },
            Location {
                account: None,
                region: Some("eu-west-1".into()),
            },
            Location::default(),
        ] {
            let old = serde_json::to_string(&l.to_string()).unwrap();
            let back: Location = serde_json::from_str(&old).unwrap();
            assert_eq!(back, l, "{old}");
        }
    }
}
