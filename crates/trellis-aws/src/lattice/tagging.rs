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
use trellis_provider::{ErrorKind, ProviderError, ReadItem, ReadObject};
use trellis_types::Value;

use crate::sdk::clients::Clients;
use crate::sdk::convert::{arn_account, s, string_map};
use crate::sdk::error::sdk;

/// The most ARNs one `GetResources` takes.
const ARNS_PER_CALL: usize = 100;

/// Tags by ARN of the given ARNs; an ARN absent from the answer has no tags. `None` when the
/// caller may not read tags this way.
pub(crate) async fn tags_of(
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

/// Sets `tags_all` to the tags AWS holds and `tags` to those the provider's `default_tags`
/// do not explain (Terraform's split). A map equal to the recorded one keeps the recorded
/// spelling, so that an unset `tags` (null) stays null when AWS holds only default tags.
pub(crate) fn refresh_tags(
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

type Tags = HashMap<String, BTreeMap<String, String>>;

/// The bulk tag read of one refresh, started before the reads and finished after them.
pub(crate) struct Bulk {
    /// (index in the read request, ARN) of each object whose tags are asked for.
    tagged: Vec<(usize, String)>,
    task: tokio::task::JoinHandle<Result<Option<Tags>, ProviderError>>,
}

impl Bulk {
    /// Starts reading the tags of the account's own objects among `items` that `tagged`
    /// says carry Lattice tags, so that it runs while the lists run.
    pub(crate) async fn start(
        c: &Clients,
        items: &[ReadItem],
        tagged: impl Fn(&ReadItem) -> bool,
    ) -> Bulk {
        let account = c.identity().await.ok().map(|(a, _, _)| a.clone());
        let tagged: Vec<(usize, String)> = match &account {
            Some(account) => items
                .iter()
                .enumerate()
                .filter(|(_, item)| tagged(item))
                .filter_map(|(i, item)| own_arn(&item.prior, account).map(|a| (i, a)))
                .collect(),
            None => Vec::new(),
        };
        let client = c.tagging.clone();
        let arns: Vec<String> = tagged.iter().map(|(_, arn)| arn.clone()).collect();
        let task = tokio::spawn(async move {
            if arns.is_empty() {
                return Ok(None);
            }
            tags_of(&client, &arns).await
        });
        Bulk { tagged, task }
    }

    /// Puts the tags read into the objects read (`out`, parallel to `items`).
    pub(crate) async fn finish(
        self,
        c: &Clients,
        items: &[ReadItem],
        out: &mut [Option<ReadObject>],
    ) -> Result<(), ProviderError> {
        let joined = self.task.await.map_err(super::refresh::task_failed)?;
        if let Some(remote) = joined? {
            let none = BTreeMap::new();
            for (i, arn) in self.tagged {
                if let Some(object) = out[i].as_mut() {
                    let found = remote.get(&arn).unwrap_or(&none);
                    refresh_tags(object, &items[i].prior, found, &c.default_tags);
                }
            }
        }
        Ok(())
    }
}

/// The ARN of a recorded object, when it is one of `account`'s.
pub(crate) fn own_arn(prior: &Value, account: &str) -> Option<String> {
    s(prior, "arn").filter(|arn| arn_account(arn) == Some(account))
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
