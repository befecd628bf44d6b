//! `aws_s3_bucket` (import ID and `id`: the bucket name). Tags are the one thing that
//! changes in place; `force_destroy` empties the bucket (every object version) on destroy.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, Tag, Tagging,
};
use trellis_provider::{AttrType, AttributeDiagnostic, Block, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, s};
use crate::sdk::error::{aws, invalid, is_not_found, required};
use crate::sdk::schema::*;
use crate::sdk::values::{prefix_of, tags_value, unique_name, SUFFIX_LEN};

pub fn schema() -> ResourceSchema {
    resource(
        "an S3 bucket",
        "bucket name",
        tagged(
            Block::new()
                .attr("id", comp(string()))
                .attr("arn", comp(string()))
                .attr("bucket", opt_comp(string()).force_new())
                .attr("bucket_prefix", opt_comp(string()).force_new())
                .attr(
                    "force_destroy",
                    opt(AttrType::Bool).with_default(Value::Bool(false)),
                )
                .attr(
                    "object_lock_enabled",
                    opt(AttrType::Bool)
                        .with_default(Value::Bool(false))
                        .force_new(),
                )
                .attr("bucket_domain_name", comp(string()))
                .attr("bucket_regional_domain_name", comp(string()))
                .attr("hosted_zone_id", comp(string()))
                .attr("region", comp(string())),
        ),
    )
}

pub fn validate(config: &Value) -> Vec<AttributeDiagnostic> {
    let mut out = Vec::new();
    let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
    if set("bucket") && set("bucket_prefix") {
        out.push(AttributeDiagnostic::error(
            Path::from_keys(["bucket_prefix"]),
            "bucket and bucket_prefix are both set; set one",
        ));
    }
    for (key, min, max) in [("bucket", 3, 63), ("bucket_prefix", 1, 63 - SUFFIX_LEN)] {
        let Some(name) = s(config, key) else {
            continue;
        };
        if name.len() < min || name.len() > max {
            out.push(AttributeDiagnostic::error(
                Path::from_keys([key]),
                format!(
                    "{key} must be {min} to {max} characters, got {}",
                    name.len()
                ),
            ));
        } else if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || ".-".contains(*c)))
        {
            out.push(AttributeDiagnostic::error(
                Path::from_keys([key]),
                format!("{key} may not contain {bad:?} (lowercase letters, digits, . and - only)"),
            ));
        } else if key == "bucket"
            && !(name.starts_with(|c: char| c.is_ascii_alphanumeric())
                && name.ends_with(|c: char| c.is_ascii_alphanumeric()))
        {
            out.push(AttributeDiagnostic::error(
                Path::from_keys([key]),
                "bucket must begin and end with a letter or digit",
            ));
        }
    }
    out
}

/// The Route53 hosted zone of S3 website endpoints per region, as the AWS provider has it.
fn hosted_zone_id(region: &str) -> Value {
    let id = match region {
        "us-east-1" => "Z3AQBSTGFYJSTF",
        "us-east-2" => "Z2O1EMRO9K5GLX",
        "us-west-1" => "Z2F56UZL2M1ACD",
        "us-west-2" => "Z3BJ6K6RIION7M",
        "ca-central-1" => "Z1QDHH18159H29",
        "eu-west-1" => "Z1BKCTXD74EZPE",
        "eu-west-2" => "Z3GKZC51ZF0DB4",
        "eu-west-3" => "Z3R1K369G5AVDG",
        "eu-central-1" => "Z21DNDUVLTQW6Q",
        "eu-north-1" => "Z3BAZG2TWCNX0D",
        "ap-south-1" => "Z11RGJOFQNVJUP",
        "ap-northeast-1" => "Z2M4EHUR26P7ZW",
        "ap-northeast-2" => "Z3W03O7B5YMIYP",
        "ap-southeast-1" => "Z3O0J2DXBE1FTB",
        "ap-southeast-2" => "Z1WCIGYICN2BYD",
        "sa-east-1" => "Z7KQH4QJS55SO",
        _ => return Value::Null,
    };
    Value::string(id)
}

fn naming(planned: &Value) -> Value {
    Value::object([
        ("name", planned.get("bucket").cloned().unwrap_or_default()),
        (
            "name_prefix",
            planned.get("bucket_prefix").cloned().unwrap_or_default(),
        ),
    ])
}

async fn tags(c: &Clients, bucket: &str) -> Result<BTreeMap<String, String>, ProviderError> {
    match c.s3.get_bucket_tagging().bucket(bucket).send().await {
        Ok(o) => Ok(o
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) => {
            let e = aws(e);
            if e.code.as_deref() == Some("NoSuchTagSet") {
                Ok(BTreeMap::new())
            } else {
                Err(e)
            }
        }
    }
}

async fn get(c: &Clients, bucket: &str) -> Result<Option<Value>, ProviderError> {
    if let Err(e) = c.s3.head_bucket().bucket(bucket).send().await {
        let e = aws(e);
        return if is_not_found(&e) { Ok(None) } else { Err(e) };
    }
    let (partition, suffix) = crate::sdk::clients::partition_of(c.region());
    let region = c.region();
    Ok(Some(Value::object([
        ("id", Value::string(bucket)),
        ("bucket", Value::string(bucket)),
        ("bucket_prefix", prefix_of(bucket)),
        (
            "arn",
            Value::string(format!("arn:{partition}:s3:::{bucket}")),
        ),
        (
            "bucket_domain_name",
            Value::string(format!("{bucket}.s3.{suffix}")),
        ),
        (
            "bucket_regional_domain_name",
            Value::string(format!("{bucket}.s3.{region}.{suffix}")),
        ),
        ("hosted_zone_id", hosted_zone_id(region)),
        ("region", Value::string(region)),
        ("tags_all", tags_value(&tags(c, bucket).await?)),
    ])))
}

fn gone(bucket: &str) -> ProviderError {
    ProviderError::new(
        trellis_provider::ErrorKind::NotFound,
        format!("bucket {bucket} is gone"),
    )
}

async fn put_tags(
    c: &Clients,
    bucket: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    if tags.is_empty() {
        c.s3.delete_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .map_err(aws)?;
        return Ok(());
    }
    let set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(e.to_string()))?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(set))
        .build()
        .map_err(|e| invalid(e.to_string()))?;
    c.s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(aws)?;
    Ok(())
}

pub async fn read(c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
    get(c, &required(prior, "bucket")?).await
}

/// `CreateBucket` of a bucket one owns already succeeds in us-east-1 and fails elsewhere
/// (BucketAlreadyOwnedByYou); either way the bucket is ours, so a retried create takes it.
pub async fn create(c: &Clients, planned: &Value, token: &str) -> Result<Value, ProviderError> {
    let bucket = unique_name(&naming(planned), token);
    let region = c.region();
    let configuration = (region != "us-east-1").then(|| {
        CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(region))
            .build()
    });
    match c
        .s3
        .create_bucket()
        .bucket(&bucket)
        .set_create_bucket_configuration(configuration)
        .set_object_lock_enabled_for_bucket(b(planned, "object_lock_enabled").filter(|x| *x))
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) => {
            let e = aws(e);
            if e.code.as_deref() != Some("BucketAlreadyOwnedByYou") {
                return Err(e);
            }
        }
    }
    let all = c.tags_all(planned);
    if !all.is_empty() {
        put_tags(c, &bucket, &all).await?;
    }
    get(c, &bucket).await?.ok_or_else(|| gone(&bucket))
}

pub async fn update(c: &Clients, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let bucket = required(prior, "bucket")?;
    if prior.get("tags_all") != planned.get("tags_all") {
        put_tags(
            c,
            &bucket,
            &crate::sdk::convert::string_map(planned.get("tags_all")),
        )
        .await?;
    }
    get(c, &bucket).await?.ok_or_else(|| gone(&bucket))
}

/// Every object version and delete marker of `bucket`, deleted a page at a time.
async fn empty(c: &Clients, bucket: &str) -> Result<(), ProviderError> {
    loop {
        let o =
            c.s3.list_object_versions()
                .bucket(bucket)
                .send()
                .await
                .map_err(aws)?;
        let mut objects: Vec<ObjectIdentifier> = Vec::new();
        for (key, version) in o
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(o.delete_markers().iter().map(|m| (m.key(), m.version_id())))
        {
            if let Some(key) = key {
                objects.push(
                    ObjectIdentifier::builder()
                        .key(key)
                        .set_version_id(version.filter(|v| *v != "null").map(str::to_string))
                        .build()
                        .map_err(|e| invalid(e.to_string()))?,
                );
            }
        }
        if objects.is_empty() {
            return Ok(());
        }
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        c.s3.delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(aws)?;
    }
}

pub async fn delete(c: &Clients, prior: &Value) -> Result<(), ProviderError> {
    let bucket = required(prior, "bucket")?;
    if b(prior, "force_destroy") == Some(true) {
        match empty(c, &bucket).await {
            Err(e) if is_not_found(&e) => return Ok(()),
            other => other?,
        }
    }
    match c.s3.delete_bucket().bucket(&bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = aws(e);
            if e.code.as_deref() == Some("BucketNotEmpty") {
                Err(invalid(format!(
                    "bucket {bucket} is not empty; empty it, or set force_destroy = true and apply before destroying"
                )))
            } else {
                Err(e)
            }
        }
    }
}

pub async fn settle(
    c: &Clients,
    planned: &Value,
    token: &str,
) -> Result<Option<Value>, ProviderError> {
    get(c, &unique_name(&naming(planned), token)).await
}

pub async fn import(c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
    Ok(get(c, id).await?.map(|mut v| {
        for key in ["force_destroy", "object_lock_enabled"] {
            v.set_path(&Path::from_keys([key]), Value::Bool(false));
        }
        v
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        let bad = Value::object([("bucket", Value::string("Access_Logs"))]);
        assert_eq!(validate(&bad).len(), 1);
        let short = Value::object([("bucket", Value::string("ab"))]);
        assert_eq!(validate(&short).len(), 1);
        let edge = Value::object([("bucket", Value::string("-logs"))]);
        assert_eq!(validate(&edge).len(), 1);
        let good = Value::object([("bucket", Value::string("mesh-access-logs.1"))]);
        assert!(validate(&good).is_empty());
        let long_prefix = Value::object([("bucket_prefix", Value::string("a".repeat(38)))]);
        assert_eq!(validate(&long_prefix).len(), 1);
    }
}
