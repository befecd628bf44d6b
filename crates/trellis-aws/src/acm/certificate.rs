//! `aws_acm_certificate`: a public certificate requested from ACM (`RequestCertificate`),
//! validated by DNS or email. Imported certificates (`private_key`, `certificate_body`) and
//! private CA certificates (`certificate_authority_arn`) are not served.
//!
//! The create sends the engine's token as ACM's `IdempotencyToken`, so a create retried
//! after a lost answer gets the same certificate back. It then waits until ACM has written
//! the DNS validation records, as Terraform does, so that `domain_validation_options` is
//! complete in state. At plan time, for DNS validation, `domain_validation_options` already
//! holds one entry per domain name with the record still unknown: configurations use it as
//! `for_each` keys for the validation records, which Terraform's provider allows the same way.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_acm::types::{KeyAlgorithm, ValidationMethod};
use trellis_provider::{
    AttrType, AttributeDiagnostic, Block, ErrorKind, Nesting, ProviderError, ResourceSchema,
};
use trellis_types::{Path, Value};

use super::{describe, sdk_tags, tags, time, update_tags};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_str, s, string_list, timeout};
use crate::sdk::error::{aws, invalid, required};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::values::tags_value;
use crate::sdk::wait::{delete_retrying, wait_for, Poll};

pub(crate) const NAME: &str = "aws_acm_certificate";

const VALIDATION_METHODS: [&str; 2] = ["DNS", "EMAIL"];
const KEY_ALGORITHMS: [&str; 3] = ["RSA_2048", "EC_prime256v1", "EC_secp384r1"];

/// How long the create waits for ACM to write the DNS validation records.
const RECORDS_WAIT: Duration = Duration::from_secs(5 * 60);
/// How long a delete retries while the certificate is still in use (a listener, a service).
const DELETE_WAIT: Duration = Duration::from_secs(10 * 60);

#[derive(Clone, Copy)]
pub(crate) struct Certificate;

fn validation_option_type() -> AttrType {
    AttrType::Object(
        [
            "domain_name",
            "resource_record_name",
            "resource_record_type",
            "resource_record_value",
        ]
        .into_iter()
        .map(|k| (k.to_string(), AttrType::String))
        .collect(),
    )
}

/// The names a configuration's certificate covers, when they are known at plan time.
fn config_names(config: &Value) -> Option<BTreeSet<String>> {
    let domain = config.get("domain_name").and_then(Value::as_str)?;
    let alternatives = match config.get("subject_alternative_names") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => {
            let list = v.as_list()?;
            list.iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<Vec<String>>>()?
        }
    };
    Some(names(domain, &alternatives))
}

/// The names the prior certificate covers.
fn prior_names(prior: &Value) -> Option<BTreeSet<String>> {
    let domain = prior.get("domain_name").and_then(Value::as_str)?;
    Some(names(
        domain,
        &string_list(prior, "subject_alternative_names"),
    ))
}

/// The domain names a certificate covers: its name and its alternative names, once each.
fn names(domain: &str, alternatives: &[String]) -> BTreeSet<String> {
    std::iter::once(domain.to_string())
        .chain(alternatives.iter().cloned())
        .collect()
}

#[async_trait]
impl AwsType for Certificate {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Acm
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a public ACM certificate, validated by DNS or email",
            "certificate ARN",
            tagged(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("arn", comp(string()))
                    .attr("domain_name", req(string()).force_new())
                    .attr(
                        "subject_alternative_names",
                        opt_comp(string_set()).force_new(),
                    )
                    .attr("validation_method", req(string()).force_new())
                    .attr("key_algorithm", opt_comp(string()).force_new())
                    .attr(
                        "domain_validation_options",
                        comp(AttrType::Set(Box::new(validation_option_type()))),
                    )
                    .attr("validation_emails", comp(strings()))
                    .attr("status", comp(string()))
                    .attr("type", comp(string()))
                    .attr("not_after", comp(string()))
                    .attr("not_before", comp(string()))
                    .attr("pending_renewal", comp(AttrType::Bool))
                    .attr("renewal_eligibility", comp(string()))
                    .block(
                        "options",
                        Nesting::Single,
                        Block::new().attr(
                            "certificate_transparency_logging_preference",
                            opt(string()).with_default(Value::string("ENABLED")),
                        ),
                    )
                    .block_computed("options"),
            ),
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
        let mut one_of = |path: &[&str], value: Option<&Value>, allowed: &[&str]| {
            if let Some(v) = value.and_then(Value::as_str) {
                if !allowed.contains(&v) {
                    out.push(AttributeDiagnostic::error(
                        Path::from_keys(path.iter().copied()),
                        format!("{v:?} is not one of {}", allowed.join(", ")),
                    ));
                }
            }
        };
        one_of(
            &["validation_method"],
            config.get("validation_method"),
            &VALIDATION_METHODS,
        );
        one_of(
            &["key_algorithm"],
            config.get("key_algorithm"),
            &KEY_ALGORITHMS,
        );
        // ACM no longer lets a certificate opt out of certificate transparency logging.
        let logging = config
            .get("options")
            .and_then(|o| o.get("certificate_transparency_logging_preference"))
            .and_then(Value::as_str);
        if logging.is_some_and(|l| l != "ENABLED") {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["options", "certificate_transparency_logging_preference"]),
                "ACM no longer allows opting out of certificate transparency logging; only \"ENABLED\" is accepted",
            ));
        }
        if let Some(domain) = config.get("domain_name").and_then(Value::as_str) {
            if domain.ends_with('.') || domain.len() > 253 || domain.is_empty() {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["domain_name"]),
                    format!(
                        "{domain:?} is not a domain name (no trailing dot, at most 253 characters)"
                    ),
                ));
            }
        }
        out
    }

    /// `options` not configured keeps the prior's (a new certificate reads ACM's); a DNS
    /// certificate to be created gets one validation option per name, records unknown.
    fn plan_rules(
        &self,
        _region: &str,
        config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Vec<AttributeDiagnostic> {
        if config.get("options").is_none_or(Value::is_null) {
            let keep = prior
                .and_then(|p| p.get("options"))
                .cloned()
                .unwrap_or(Value::Null);
            planned.set_path(&Path::from_keys(["options"]), keep);
        }
        if s(config, "validation_method").as_deref() != Some("DNS") {
            return Vec::new();
        }
        let Some(wanted) = config_names(config) else {
            return Vec::new();
        };
        // The prior's options stand while the certificate covers the same names; a new
        // certificate, or one replaced for other names, has its records unknown until apply.
        if prior.and_then(prior_names).as_ref() == Some(&wanted) {
            return Vec::new();
        }
        let options = wanted
            .into_iter()
            .map(|name| {
                Value::object([
                    ("domain_name", Value::string(name)),
                    ("resource_record_name", Value::Unknown),
                    ("resource_record_type", Value::Unknown),
                    ("resource_record_value", Value::Unknown),
                ])
            })
            .collect();
        planned.set_path(
            &Path::from_keys(["domain_validation_options"]),
            Value::List(options),
        );
        Vec::new()
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        get(
            c,
            &required(prior, "arn").or_else(|_| required(prior, "id"))?,
        )
        .await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        let domain = required(planned, "domain_name")?;
        let method = required(planned, "validation_method")?;
        let alternatives: Vec<String> = string_list(planned, "subject_alternative_names")
            .into_iter()
            .filter(|n| *n != domain)
            .collect();
        let tags_all = c.tags_all(planned);
        let o = c
            .acm
            .request_certificate()
            .domain_name(&domain)
            .set_subject_alternative_names((!alternatives.is_empty()).then(|| alternatives.clone()))
            .validation_method(ValidationMethod::from(method.as_str()))
            .set_key_algorithm(s(planned, "key_algorithm").map(|k| KeyAlgorithm::from(k.as_str())))
            .idempotency_token(idempotency_token(token))
            .set_tags((!tags_all.is_empty()).then(|| sdk_tags(&tags_all)))
            .send()
            .await
            .map_err(aws)?;
        let arn = o
            .certificate_arn()
            .ok_or_else(|| ProviderError::new(ErrorKind::Other, "no certificate ARN returned"))?
            .to_string();
        if method == "DNS" {
            let limit = timeout(planned, "create", RECORDS_WAIT);
            wait_for(
                "the DNS validation records of the certificate",
                limit,
                || async {
                    let Some(cert) = describe(c, &arn).await? else {
                        return Ok(Poll::Pending);
                    };
                    let options = cert.domain_validation_options();
                    let ready = !options.is_empty()
                        && options.iter().all(|o| o.resource_record().is_some());
                    Ok(if ready {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    })
                },
            )
            .await?;
        }
        get(c, &arn)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "certificate vanished"))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let arn = required(prior, "arn")?;
        update_tags(c, &arn, prior, planned).await?;
        get(c, &arn)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"))
    }

    /// Retried while ACM answers that a listener or service still uses the certificate.
    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        let arn = required(prior, "arn")?;
        delete_retrying(timeout(prior, "delete", DELETE_WAIT), || async {
            c.acm
                .delete_certificate()
                .certificate_arn(&arn)
                .send()
                .await
                .map(drop)
                .map_err(aws)
        })
        .await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        if !id.starts_with("arn:") {
            return Err(invalid(format!(
                "import ID {id:?}: expected the certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
            )));
        }
        get(c, id).await
    }
}

/// ACM's idempotency token: at most 32 word characters.
fn idempotency_token(token: &str) -> String {
    token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(32)
        .collect()
}

pub(crate) async fn get(c: &Clients, arn: &str) -> Result<Option<Value>, ProviderError> {
    let Some(cert) = describe(c, arn).await? else {
        return Ok(None);
    };
    let domain = cert.domain_name().unwrap_or_default().to_string();
    let alternatives: BTreeSet<&str> = cert
        .subject_alternative_names()
        .iter()
        .map(String::as_str)
        .filter(|n| *n != domain)
        .collect();
    let mut options: Vec<(String, Value)> = cert
        .domain_validation_options()
        .iter()
        .filter_map(|o| {
            let r = o.resource_record()?;
            Some((
                o.domain_name().to_string(),
                Value::object([
                    ("domain_name", Value::string(o.domain_name())),
                    ("resource_record_name", Value::string(r.name())),
                    ("resource_record_type", Value::string(r.r#type().as_str())),
                    ("resource_record_value", Value::string(r.value())),
                ]),
            ))
        })
        .collect();
    options.sort_by(|a, b| a.0.cmp(&b.0));
    let emails: BTreeSet<&str> = cert
        .domain_validation_options()
        .iter()
        .flat_map(|o| o.validation_emails())
        .map(String::as_str)
        .collect();
    let method = cert
        .domain_validation_options()
        .iter()
        .find_map(|o| o.validation_method())
        .map(|m| m.as_str().to_string());
    let tags_all = tags(c, arn).await?;
    Ok(Some(Value::object([
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        ("domain_name", Value::string(&domain)),
        (
            "subject_alternative_names",
            Value::List(alternatives.into_iter().map(Value::string).collect()),
        ),
        ("validation_method", opt_str(method.as_deref())),
        (
            "key_algorithm",
            opt_str(cert.key_algorithm().map(|k| k.as_str())),
        ),
        (
            "domain_validation_options",
            Value::List(options.into_iter().map(|(_, v)| v).collect()),
        ),
        (
            "validation_emails",
            Value::List(emails.into_iter().map(Value::string).collect()),
        ),
        ("status", opt_str(cert.status().map(|s| s.as_str()))),
        ("type", opt_str(cert.r#type().map(|t| t.as_str()))),
        ("not_after", time(cert.not_after())),
        ("not_before", time(cert.not_before())),
        (
            "pending_renewal",
            // Terraform's comes from `early_renewal_duration`, which is not served.
            Value::Bool(false),
        ),
        (
            "renewal_eligibility",
            opt_str(cert.renewal_eligibility().map(|r| r.as_str())),
        ),
        (
            "options",
            Value::object([(
                "certificate_transparency_logging_preference",
                // The only preference ACM still has.
                Value::string("ENABLED"),
            )]),
        ),
        ("tags_all", tags_value(&tags_all)),
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_fit_acm() {
        let t = idempotency_token("7f9c2ba4-e88f-4d1a-9b7e-2c4d5e6f7a8b-extra-characters");
        assert!(
            t.len() <= 32 && t.chars().all(|c| c.is_ascii_alphanumeric()),
            "{t}"
        );
        assert_eq!(
            t,
            idempotency_token("7f9c2ba4-e88f-4d1a-9b7e-2c4d5e6f7a8b-extra-characters")
        );
    }

    #[test]
    fn a_name_covered_twice_has_one_validation_option() {
        let n = names(
            "example.com",
            &["example.com".into(), "*.example.com".into()],
        );
        assert_eq!(
            n.into_iter().collect::<Vec<_>>(),
            vec!["*.example.com", "example.com"]
        );
    }
}
