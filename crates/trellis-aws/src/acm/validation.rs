//! `aws_acm_certificate_validation`: no object of its own, a wait until the certificate
//! `certificate_arn` names is issued. With `validation_record_fqdns`, a DNS certificate's
//! every validation record must be among them first (Terraform's check, so that a missing
//! record is an error at once rather than a 75-minute wait). Its delete removes nothing; a
//! certificate that is no longer issued reads as gone, so the next plan creates the
//! validation again, as in Terraform.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use trellis_provider::{Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::{describe, time};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{string_list, timeout};
use crate::sdk::error::{invalid, required};
use crate::sdk::resource::{AwsType, Service};
use crate::sdk::schema::*;
use crate::sdk::wait::{wait_for, Poll};

pub(crate) const NAME: &str = "aws_acm_certificate_validation";

/// Terraform's default create timeout for this type.
const ISSUE_WAIT: Duration = Duration::from_secs(75 * 60);

#[derive(Clone, Copy)]
pub(crate) struct Validation;

fn bare(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

#[async_trait]
impl AwsType for Validation {
    fn name(&self) -> &'static str {
        NAME
    }

    fn service(&self) -> Service {
        Service::Acm
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a wait until an ACM certificate is issued",
            "certificate ARN",
            timeouts(
                Block::new()
                    .attr("id", comp(string()))
                    .attr("certificate_arn", req(string()).force_new())
                    .attr("validation_record_fqdns", opt(string_set()).force_new()),
            ),
        )
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        get(c, &required(prior, "certificate_arn")?, prior).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        _token: &str,
    ) -> Result<Value, ProviderError> {
        let arn = required(planned, "certificate_arn")?;
        let cert = describe(c, &arn).await?.ok_or_else(|| {
            ProviderError::new(ErrorKind::NotFound, format!("certificate {arn} not found"))
        })?;
        if cert.r#type().map(|t| t.as_str()) != Some("AMAZON_ISSUED") {
            return Err(invalid(format!(
                "certificate {arn} is not requested from ACM (type {}): nothing to validate",
                cert.r#type().map(|t| t.as_str()).unwrap_or("unknown")
            )));
        }
        let fqdns: BTreeSet<String> = string_list(planned, "validation_record_fqdns")
            .iter()
            .map(|f| bare(f))
            .collect();
        if planned
            .get("validation_record_fqdns")
            .is_some_and(|v| v.as_list().is_some())
        {
            for o in cert.domain_validation_options() {
                let dns = o.validation_method().map(|m| m.as_str()) == Some("DNS");
                if let (true, Some(r)) = (dns, o.resource_record()) {
                    if !fqdns.contains(&bare(r.name())) {
                        return Err(invalid(format!(
                            "missing {} DNS validation record: {}",
                            o.domain_name(),
                            r.name()
                        )));
                    }
                }
            }
        }
        let limit = timeout(planned, "create", ISSUE_WAIT);
        wait_for(
            &format!("certificate {arn} to be issued"),
            limit,
            || async {
                let Some(cert) = describe(c, &arn).await? else {
                    return Ok(Poll::Failed("the certificate was deleted".into()));
                };
                Ok(match cert.status().map(|s| s.as_str()) {
                    Some("ISSUED") => Poll::Ready(()),
                    Some("PENDING_VALIDATION") | None => Poll::Pending,
                    Some(other) => Poll::Failed(format!("its status is {other}")),
                })
            },
        )
        .await?;
        get(c, &arn, planned)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "certificate vanished"))
    }

    async fn delete(&self, _c: &Clients, _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        get(c, id, &Value::Null).await
    }
}

/// The validation of certificate `arn`: present while the certificate is issued.
async fn get(c: &Clients, arn: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(cert) = describe(c, arn).await? else {
        return Ok(None);
    };
    if cert.status().map(|s| s.as_str()) != Some("ISSUED") {
        return Ok(None);
    }
    let mut v = Value::object([
        (
            "id",
            Some(time(cert.issued_at()))
                .filter(|t| !t.is_null())
                .unwrap_or_else(|| Value::string(arn)),
        ),
        ("certificate_arn", Value::string(arn)),
    ]);
    for key in ["validation_record_fqdns", "timeouts"] {
        if let Some(x) = shape.get(key) {
            v.set_path(&Path::from_keys([key]), x.clone());
        }
    }
    Ok(Some(v))
}
