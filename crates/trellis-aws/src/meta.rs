//! What belongs to the provider rather than to a service: the `provider "aws"` block's
//! schema, and the data sources `aws_caller_identity`, `aws_region` and `aws_partition`.

use std::collections::BTreeMap;

use trellis_provider::{AttrType, Attribute, Block, Nesting, ProviderError, ResourceSchema};
use trellis_types::Value;

use crate::sdk::clients::{partition_of, Clients};
use crate::sdk::error::invalid;
use crate::sdk::schema::{data, number, string, string_map};

/// The schema of the `provider "aws"` block.
pub(crate) fn provider_block() -> Block {
    Block::new()
        .attr("region", Attribute::optional(string()))
        .attr("profile", Attribute::optional(string()))
        .attr("max_retries", Attribute::optional(number()))
        .attr("s3_use_path_style", Attribute::optional(AttrType::Bool))
        .block(
            "assume_role",
            Nesting::Single,
            Block::new()
                .attr("role_arn", Attribute::required(string()))
                .attr("session_name", Attribute::optional(string()))
                .attr("external_id", Attribute::optional(string())),
        )
        .block(
            "default_tags",
            Nesting::Single,
            Block::new().attr("tags", Attribute::optional(string_map())),
        )
        .block(
            "endpoints",
            Nesting::Single,
            Block::new()
                .attr("vpclattice", Attribute::optional(string()))
                .attr("sts", Attribute::optional(string()))
                .attr("ec2", Attribute::optional(string()))
                .attr("ram", Attribute::optional(string()))
                .attr("route53", Attribute::optional(string()))
                .attr("iam", Attribute::optional(string()))
                .attr("logs", Attribute::optional(string()))
                .attr("s3", Attribute::optional(string()))
                .attr("ssm", Attribute::optional(string()))
                .attr("acm", Attribute::optional(string())),
        )
}

/// The schemas of the provider-wide data sources.
pub(crate) fn schemas() -> BTreeMap<String, ResourceSchema> {
    let mut data_sources = BTreeMap::new();
    data_sources.insert(
        "aws_caller_identity".to_string(),
        data(
            "the account and principal the provider acts as",
            Block::new()
                .attr("id", Attribute::computed(string()))
                .attr("account_id", Attribute::computed(string()))
                .attr("arn", Attribute::computed(string()))
                .attr("user_id", Attribute::computed(string())),
        ),
    );
    data_sources.insert(
        "aws_region".to_string(),
        data(
            "the provider's region",
            Block::new()
                .attr("id", Attribute::computed(string()))
                .attr("name", Attribute::optional_computed(string()))
                .attr("endpoint", Attribute::computed(string()))
                .attr("description", Attribute::computed(string())),
        ),
    );
    data_sources.insert(
        "aws_partition".to_string(),
        data(
            "the provider's partition",
            Block::new()
                .attr("id", Attribute::computed(string()))
                .attr("partition", Attribute::computed(string()))
                .attr("dns_suffix", Attribute::computed(string()))
                .attr("reverse_dns_prefix", Attribute::computed(string())),
        ),
    );
    // Computed locally, with the AWS provider's exact JSON (crates/trellis-iam).
    data_sources.insert(trellis_iam::TYPE_NAME.to_string(), trellis_iam::schema());
    data_sources
}

/// Reads a provider-wide data source.
pub(crate) async fn read(c: &Clients, type_name: &str) -> Result<Value, ProviderError> {
    let inner = c;
    match type_name {
        "aws_caller_identity" => {
            let (account, arn, user) = inner.identity().await?;
            Ok(Value::object([
                ("id", Value::string(account)),
                ("account_id", Value::string(account)),
                ("arn", Value::string(arn)),
                ("user_id", Value::string(user)),
            ]))
        }
        "aws_region" => {
            let region = inner.region.clone();
            Ok(Value::object([
                ("id", Value::string(&region)),
                ("name", Value::string(&region)),
                (
                    "endpoint",
                    Value::string(format!("ec2.{region}.amazonaws.com")),
                ),
                ("description", Value::string(&region)),
            ]))
        }
        "aws_partition" => {
            let (partition, suffix) = partition_of(&inner.region);
            let reverse: Vec<&str> = suffix.split('.').rev().collect();
            Ok(Value::object([
                ("id", Value::string(partition)),
                ("partition", Value::string(partition)),
                ("dns_suffix", Value::string(suffix)),
                ("reverse_dns_prefix", Value::string(reverse.join("."))),
            ]))
        }
        other => Err(invalid(format!("unknown data source {other}"))),
    }
}
