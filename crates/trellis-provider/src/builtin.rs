//! The `terraform` provider built into Terraform, as far as configurations use it:
//! the `terraform_data` resource.
//!
//! `terraform_data` holds a value in state and nothing else: `input` (any value) is copied
//! to `output` at plan time when known (at apply otherwise), a change of `input` is an
//! in-place update, a change of `triggers_replace` replaces it, and its `id` is set when it
//! is created. It is what configurations use for `replace_triggered_by` on values that are
//! not resources. It calls nothing remote, so it needs no `provider` block.
//!
//! Not here: `terraform_remote_state` (another configuration's state) and the provider's
//! functions (`provider::terraform::...`).

use std::sync::Arc;

use async_trait::async_trait;
use sha2::Digest as _;
use trellis_types::Value;

use crate::schema::{AttrType, Attribute, Block, ProviderSchema, ResourceSchema};
use crate::{
    ConfigureRequest, CreateRequest, CreateResponse, DeleteRequest, ErrorKind, ImportRequest,
    PlanChangeRequest, PlanChangeResponse, Provider, ProviderError, ProviderFactory,
    ReadDataRequest, ReadObject, ReadRequest, ReadResponse, SettleRequest, UpdateRequest,
    UpdateResponse,
};

/// The resource type this provider serves.
pub const TERRAFORM_DATA: &str = "terraform_data";

/// Makes the `terraform` provider.
pub struct TerraformFactory {
    schema: ProviderSchema,
}

impl Default for TerraformFactory {
    fn default() -> Self {
        TerraformFactory::new()
    }
}

impl TerraformFactory {
    pub fn new() -> TerraformFactory {
        let block = Block::new()
            .attr(
                "id",
                Attribute::computed(AttrType::String)
                    .describe("A unique ID, set when the resource is created."),
            )
            .attr(
                "input",
                Attribute::optional(AttrType::Any).describe(
                    "Any value; a change is an in-place update that copies it to `output`.",
                ),
            )
            .attr(
                "output",
                Attribute::computed(AttrType::Any).describe("The value of `input`."),
            )
            .attr(
                "triggers_replace",
                Attribute::optional(AttrType::Any)
                    .force_new()
                    .describe("Any value; a change replaces the resource."),
            );
        let mut schema = ProviderSchema::default();
        schema.resources.insert(
            TERRAFORM_DATA.to_string(),
            ResourceSchema {
                version: 0,
                block,
                description: "A value kept in state, replaced when `triggers_replace` changes."
                    .to_string(),
                import_id: None,
            },
        );
        TerraformFactory { schema }
    }
}

#[async_trait]
impl ProviderFactory for TerraformFactory {
    fn name(&self) -> &str {
        "terraform"
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    async fn configure(
        &self,
        _request: ConfigureRequest,
    ) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(TerraformProvider))
    }
}

struct TerraformProvider;

/// `value` with `output` set from `input`.
fn with_output(mut value: Value) -> Value {
    let input = value.get("input").cloned().unwrap_or(Value::Null);
    if let Value::Map(map) = &mut value {
        map.insert("output".to_string(), input);
    }
    value
}

/// An ID in UUID form, derived from the create's token so that a retried create (after a
/// crash) gives the same one.
fn id_from(token: &str) -> String {
    let digest = sha2::Sha256::digest(token.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[async_trait]
impl Provider for TerraformProvider {
    async fn read(&self, request: ReadRequest) -> Result<ReadResponse, ProviderError> {
        // Nothing remote: the object is what the state says.
        Ok(ReadResponse {
            items: request
                .items
                .into_iter()
                .map(|item| Some(ReadObject::new(item.prior)))
                .collect(),
        })
    }

    fn plan_change(&self, request: PlanChangeRequest) -> PlanChangeResponse {
        let planned = match (&request.prior, request.planned.get("input")) {
            // The input is the output, known as soon as the input is.
            (_, Some(input)) if !input.contains_unknown() => with_output(request.planned),
            (_, Some(_)) => {
                let mut planned = request.planned;
                if let Value::Map(map) = &mut planned {
                    map.insert("output".to_string(), Value::Unknown);
                }
                planned
            }
            (_, None) => with_output(request.planned),
        };
        PlanChangeResponse {
            planned,
            diagnostics: Vec::new(),
        }
    }

    async fn create(&self, request: CreateRequest) -> Result<CreateResponse, ProviderError> {
        let mut state = with_output(request.planned);
        if let Value::Map(map) = &mut state {
            map.insert("id".to_string(), Value::String(id_from(&request.token)));
        }
        Ok(CreateResponse {
            state,
            private: None,
        })
    }

    async fn update(&self, request: UpdateRequest) -> Result<UpdateResponse, ProviderError> {
        let mut state = with_output(request.planned);
        if let (Value::Map(map), Some(id)) = (&mut state, request.prior.get("id")) {
            map.insert("id".to_string(), id.clone());
        }
        Ok(UpdateResponse {
            state,
            private: None,
        })
    }

    async fn delete(&self, _request: DeleteRequest) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn settle(&self, _request: SettleRequest) -> Result<Option<Value>, ProviderError> {
        // A lost create made nothing anywhere; creating again is safe.
        Ok(None)
    }

    async fn import(&self, request: ImportRequest) -> Result<Option<Value>, ProviderError> {
        Err(ProviderError::new(
            ErrorKind::Invalid,
            format!(
                "{} cannot be imported: it has no object outside the state; declare it and apply",
                request.type_name
            ),
        ))
    }

    async fn read_data(&self, request: ReadDataRequest) -> Result<Value, ProviderError> {
        Err(ProviderError::new(
            ErrorKind::Invalid,
            format!(
                "the terraform provider has no data source {}",
                request.type_name
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_shaped_and_stable_per_token() {
        let a = id_from("token-1");
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_eq!(a, id_from("token-1"));
        assert_ne!(a, id_from("token-2"));
    }
}
