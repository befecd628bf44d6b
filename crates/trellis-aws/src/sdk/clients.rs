//! The SDK clients of one `provider "aws"` block, and what every service asks of the
//! provider: its account (one GetCallerIdentity, shared), region, partition and
//! `default_tags`.

use std::collections::BTreeMap;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;
use trellis_provider::ProviderError;
use trellis_types::Value;

use crate::sdk::convert::{block, s, string_map};
use crate::sdk::error::{invalid, sdk};

/// The clients and settings of one provider block. Every service module takes this.
pub struct Clients {
    pub lattice: aws_sdk_vpclattice::Client,
    pub sts: aws_sdk_sts::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub ram: aws_sdk_ram::Client,
    pub route53: aws_sdk_route53::Client,
    /// IAM is global: one client whatever the region.
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Path-style addressing with an endpoint override (a local S3 has no bucket host names)
    /// or `s3_use_path_style`.
    pub s3: aws_sdk_s3::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub acm: aws_sdk_acm::Client,
    /// Bulk tag reads for refresh (`lattice::tagging`).
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub region: String,
    pub default_tags: BTreeMap<String, String>,
    /// (account, arn, user id) of GetCallerIdentity, fetched once.
    identity: tokio::sync::OnceCell<(String, String, String)>,
}

/// A client of one service built from the shared SDK configuration, with the block's
/// `endpoints` override for that service.
macro_rules! client {
    ($sdk:ident, $config:expr, $endpoints:expr, $key:literal) => {{
        let mut b = $sdk::config::Builder::from($config);
        if let Some(url) = s($endpoints, $key) {
            b = b.endpoint_url(url);
        }
        $sdk::Client::from_conf(b.build())
    }};
}

impl Clients {
    /// Builds the clients of a provider block from aws-config's credential chain. Makes no
    /// call (the assumed role's credentials are fetched on first use), so bad input still
    /// fails before any remote call.
    pub async fn configure(config: &Value) -> Result<Clients, ProviderError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = s(config, "region") {
            loader = loader.region(Region::new(region));
        }
        if let Some(profile) = s(config, "profile") {
            loader = loader.profile_name(profile);
        }
        if let Some(retries) = config.get("max_retries").and_then(Value::as_number) {
            loader = loader.retry_config(
                RetryConfig::standard().with_max_attempts((retries.max(0.0) as u32) + 1),
            );
        }
        let endpoints = block(config, "endpoints").cloned().unwrap_or(Value::Null);
        let mut sdk_config = loader.load().await;
        if let Some(role) = block(config, "assume_role") {
            let role_arn =
                s(role, "role_arn").ok_or_else(|| invalid("assume_role needs role_arn"))?;
            let mut sts_base = sdk_config.to_builder();
            if let Some(url) = s(&endpoints, "sts") {
                sts_base = sts_base.endpoint_url(url);
            }
            let mut builder = AssumeRoleProvider::builder(role_arn)
                .session_name(s(role, "session_name").unwrap_or_else(|| "trellis".into()))
                .configure(&sts_base.build());
            if let Some(external) = s(role, "external_id") {
                builder = builder.external_id(external);
            }
            let provider = builder.build().await;
            sdk_config = sdk_config
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }
        let region = sdk_config
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| invalid("no region: set region in the provider block or AWS_REGION"))?;
        let default_tags = block(config, "default_tags")
            .map(|d| string_map(d.get("tags")))
            .unwrap_or_default();
        Ok(Clients {
            lattice: client!(aws_sdk_vpclattice, &sdk_config, &endpoints, "vpclattice"),
            sts: client!(aws_sdk_sts, &sdk_config, &endpoints, "sts"),
            ec2: client!(aws_sdk_ec2, &sdk_config, &endpoints, "ec2"),
            ram: client!(aws_sdk_ram, &sdk_config, &endpoints, "ram"),
            route53: client!(aws_sdk_route53, &sdk_config, &endpoints, "route53"),
            iam: client!(aws_sdk_iam, &sdk_config, &endpoints, "iam"),
            ssm: client!(aws_sdk_ssm, &sdk_config, &endpoints, "ssm"),
            acm: client!(aws_sdk_acm, &sdk_config, &endpoints, "acm"),
            s3: {
                let mut b = aws_sdk_s3::config::Builder::from(&sdk_config);
                let url = s(&endpoints, "s3");
                let custom = url.is_some()
                    || std::env::var_os("AWS_ENDPOINT_URL").is_some()
                    || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
                if let Some(url) = url {
                    b = b.endpoint_url(url);
                }
                let path_style = crate::sdk::convert::b(config, "s3_use_path_style");
                aws_sdk_s3::Client::from_conf(
                    b.force_path_style(path_style.unwrap_or(custom)).build(),
                )
            },
            logs: client!(aws_sdk_cloudwatchlogs, &sdk_config, &endpoints, "logs"),
            tagging: client!(
                aws_sdk_resourcegroupstagging,
                &sdk_config,
                &endpoints,
                "resourcegroupstaggingapi"
            ),
            region,
            default_tags,
            identity: tokio::sync::OnceCell::new(),
        })
    }

    /// (account, arn, user id) of the principal the provider acts as.
    pub async fn identity(&self) -> Result<&(String, String, String), ProviderError> {
        self.identity
            .get_or_try_init(|| async {
                let o = self.sts.get_caller_identity().send().await.map_err(sdk)?;
                Ok((
                    o.account().unwrap_or_default().to_string(),
                    o.arn().unwrap_or_default().to_string(),
                    o.user_id().unwrap_or_default().to_string(),
                ))
            })
            .await
    }

    /// The identity, when a call has already learnt it.
    pub fn known_identity(&self) -> Option<&(String, String, String)> {
        self.identity.get()
    }

    /// The account this provider acts as (one GetCallerIdentity per provider).
    pub async fn account(&self) -> Result<String, ProviderError> {
        Ok(self.identity().await?.0.clone())
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// `tags` of `planned` merged over the provider's `default_tags`.
    pub fn tags_all(&self, planned: &Value) -> BTreeMap<String, String> {
        crate::sdk::values::merged_tags(&self.default_tags, planned)
    }

    /// Tags less the provider's default tags: what an object's own `tags` argument says.
    pub fn own_tags(&self, all: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        all.iter()
            .filter(|(k, v)| self.default_tags.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub fn partition(&self) -> &'static str {
        partition_of(&self.region).0
    }
}

/// The partition of a region and its DNS suffix.
pub fn partition_of(region: &str) -> (&'static str, &'static str) {
    if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com")
    } else {
        ("aws", "amazonaws.com")
    }
}
