//! `data "aws_ssm_parameter"`: one `GetParameter`. `value` is sensitive (marked, so plans and
//! outputs redact it); `insecure_value` holds the value of a parameter that is not a
//! SecureString, unmarked, as the AWS provider has it.

use aws_sdk_ssm::types::ParameterType;
use trellis_provider::{AttrType, Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::Value;

use crate::sdk::clients::Clients;
use crate::sdk::convert::{b, opt_num, opt_str};
use crate::sdk::error::{aws, required};
use crate::sdk::schema::*;

pub fn schema() -> ResourceSchema {
    data(
        "an SSM parameter by name (value sensitive)",
        Block::new()
            .attr("name", req(string()))
            .attr(
                "with_decryption",
                opt(AttrType::Bool).with_default(Value::Bool(true)),
            )
            .attr("id", comp(string()))
            .attr("arn", comp(string()))
            .attr("type", comp(string()))
            .attr("value", comp(string()).sensitive())
            .attr("insecure_value", comp(string()))
            .attr("version", comp(number())),
    )
}

pub async fn read(c: &Clients, config: &Value) -> Result<Value, ProviderError> {
    let name = required(config, "name")?;
    let decrypt = b(config, "with_decryption").unwrap_or(true);
    let o = c
        .ssm
        .get_parameter()
        .name(&name)
        .with_decryption(decrypt)
        .send()
        .await
        .map_err(aws)
        .map_err(|e| {
            if e.code.as_deref() == Some("ParameterNotFound") {
                ProviderError::new(
                    ErrorKind::NotFound,
                    format!("no SSM parameter named {name}"),
                )
            } else {
                e
            }
        })?;
    let p = o.parameter().ok_or_else(|| {
        ProviderError::new(
            ErrorKind::NotFound,
            format!("no SSM parameter named {name}"),
        )
    })?;
    let value = p.value().unwrap_or_default();
    let secure = p.r#type() == Some(&ParameterType::SecureString);
    Ok(Value::object([
        ("name", Value::string(p.name().unwrap_or(&name))),
        ("with_decryption", Value::Bool(decrypt)),
        ("id", Value::string(p.name().unwrap_or(&name))),
        ("arn", opt_str(p.arn())),
        ("type", opt_str(p.r#type().map(|t| t.as_str()))),
        ("value", Value::string(value).into_sensitive()),
        (
            "insecure_value",
            if secure {
                Value::Null
            } else {
                Value::string(value)
            },
        ),
        ("version", opt_num(i32::try_from(p.version()).ok())),
    ]))
}
