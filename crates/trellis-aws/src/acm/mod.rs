//! ACM for meshes: [`certificate`] (`aws_acm_certificate`, a public certificate requested
//! from ACM for an HTTPS listener or a service's custom domain name) and [`validation`]
//! (`aws_acm_certificate_validation`, which waits until the certificate is issued).
//!
//! What the two share is here: reading a certificate with its tags into Terraform's
//! attributes, and ACM's tag calls.

pub(crate) mod certificate;
pub(crate) mod validation;

use std::collections::BTreeMap;

use aws_sdk_acm::types::{CertificateDetail, Tag};
use trellis_provider::{ErrorKind, ProviderError};
use trellis_types::Value;

use crate::sdk::clients::Clients;
use crate::sdk::convert::{date, string_map, tag_map};
use crate::sdk::error::aws;
use crate::sdk::values::TagChange;

/// The certificate `arn`, `None` when it is gone.
pub(crate) async fn describe(
    c: &Clients,
    arn: &str,
) -> Result<Option<CertificateDetail>, ProviderError> {
    match c
        .acm
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(aws)
    {
        Ok(o) => Ok(o.certificate().cloned()),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn tags(
    c: &Clients,
    arn: &str,
) -> Result<BTreeMap<String, String>, ProviderError> {
    let o = c
        .acm
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(aws)?;
    Ok(tag_map(o.tags().iter().map(|t| (Some(t.key()), t.value()))))
}

pub(crate) fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// Moves a certificate's tags from the prior `tags_all` to the planned one.
pub(crate) async fn update_tags(
    c: &Clients,
    arn: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    let before = string_map(prior.get("tags_all"));
    let after = c.tags_all(planned);
    let TagChange { removed, changed } = TagChange::between(&before, &after);
    if !removed.is_empty() {
        let gone: Vec<Tag> = removed
            .iter()
            .filter_map(|k| Tag::builder().key(k).build().ok())
            .collect();
        c.acm
            .remove_tags_from_certificate()
            .certificate_arn(arn)
            .set_tags(Some(gone))
            .send()
            .await
            .map_err(aws)?;
    }
    if !changed.is_empty() {
        c.acm
            .add_tags_to_certificate()
            .certificate_arn(arn)
            .set_tags(Some(sdk_tags(&changed)))
            .send()
            .await
            .map_err(aws)?;
    }
    Ok(())
}

/// An optional ACM timestamp: RFC 3339, or null.
pub(crate) fn time(d: Option<&aws_sdk_acm::primitives::DateTime>) -> Value {
    d.map(date).unwrap_or(Value::Null)
}
