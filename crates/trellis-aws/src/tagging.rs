//! Tags of Lattice objects in bulk, for refresh: the Resource Groups Tagging API's
//! `GetResources` answers the tags of up to 100 listed ARNs in one call, where
//! `ListTagsForResource` takes one call per object. A refresh of N tagged objects so sees tag
//! drift for N/100 calls, without trusting `lastUpdatedAt` to move on tag-only changes (AWS
//! does not document that it does).
//!
//! Only objects of the caller's own account are asked for (`GetResources` lists no other
//! account's resources); the others keep their recorded tags. Without the
//! `tag:GetResources` permission a refresh keeps every recorded tag, as before this module.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_resourcegroupstagging::Client;
use trellis_provider::{ErrorKind, ProviderError, ReadObject};
use trellis_types::Value;

use crate::convert::{s, string_map};
use crate::error::sdk;

/// The most ARNs one `GetResources` takes.
const ARNS_PER_CALL: usize = 100;

/// Tags by ARN of the given ARNs; an ARN absent from the answer has no tags. `None` when the
/// caller may not read tags this way.
pub async fn tags_of(
    client: &Client,
    arns: &[String],
) -> Result<Option<HashMap<String, BTreeMap<String, String>>>, ProviderError> {
    let mut out = HashMap::new();
    for chunk in arns.chunks(ARNS_PER_CALL) {
        let answer = client
            .get_resources()
            .resource_type_filters("vpc-lattice")
            .set_resource_arn_list(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(sdk);
        let o = match answer {
            Ok(o) => o,
            Err(e) if e.kind == ErrorKind::AccessDenied => return Ok(None),
            Err(e) => return Err(e),
        };
        for m in o.resource_tag_mapping_list() {
            let Some(arn) = m.resource_arn() else {
                continue;
            };
            let tags = m
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            out.insert(arn.to_string(), tags);
        }
    }
    Ok(Some(out))
}

/// The account an ARN names.
pub fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Sets `tags_all` to the tags AWS holds and `tags` to those the provider's `default_tags`
/// do not explain (Terraform's split). A map equal to the recorded one keeps the recorded
/// spelling, so that an unset `tags` (null) stays null when AWS holds only default tags.
pub fn refresh_tags(
    object: &mut ReadObject,
    prior: &Value,
    remote: &BTreeMap<String, String>,
    defaults: &BTreeMap<String, String>,
) {
    let own: BTreeMap<String, String> = remote
        .iter()
        .filter(|(k, v)| defaults.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, wanted) in [("tags", &own), ("tags_all", remote)] {
        let recorded = prior.get(key).cloned().unwrap_or(Value::Null);
        let value = if string_map(Some(&recorded)) == *wanted {
            recorded
        } else {
            Value::Map(
                wanted
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::string(v)))
                    .collect(),
            )
        };
        object
            .value
            .set_path(&trellis_types::Path::from_keys([key]), value);
    }
}

/// The ARN of a recorded object, when it is one of `account`'s.
pub fn own_arn(prior: &Value, account: &str) -> Option<String> {
    s(prior, "arn").filter(|arn| account_of(arn) == Some(account))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn object(value: Value) -> ReadObject {
        ReadObject::new(value)
    }

    #[test]
    fn default_tags_go_to_tags_all_only_and_unset_tags_stay_null() {
        let prior = Value::object([("tags", Value::Null), ("tags_all", Value::Null)]);
        let mut o = object(prior.clone());
        refresh_tags(
            &mut o,
            &prior,
            &map(&[("env", "prod")]),
            &map(&[("env", "prod")]),
        );
        assert_eq!(o.value.get("tags"), Some(&Value::Null));
        assert_eq!(string_map(o.value.get("tags_all")), map(&[("env", "prod")]));
    }

    #[test]
    fn a_tag_changed_outside_shows_in_tags() {
        let prior = Value::object([(
            "tags",
            Value::Map([("team".to_string(), Value::string("a"))].into()),
        )]);
        let mut o = object(prior.clone());
        refresh_tags(
            &mut o,
            &prior,
            &map(&[("team", "b"), ("env", "prod")]),
            &map(&[("env", "prod")]),
        );
        assert_eq!(string_map(o.value.get("tags")), map(&[("team", "b")]));
        // A default tag whose value was changed outside is the resource's own now.
        let mut o = object(prior.clone());
        refresh_tags(
            &mut o,
            &prior,
            &map(&[("env", "dev")]),
            &map(&[("env", "prod")]),
        );
        assert_eq!(string_map(o.value.get("tags")), map(&[("env", "dev")]));
    }

    #[test]
    fn arns_of_other_accounts_are_not_asked_for() {
        let prior = Value::object([(
            "arn",
            Value::string("arn:aws:vpc-lattice:us-east-1:222222222222:service/svc-1"),
        )]);
        assert_eq!(own_arn(&prior, "111111111111"), None);
        assert!(own_arn(&prior, "222222222222").is_some());
    }
}
