//! The `terraform` provider built into Terraform, as far as configurations use it:
//! the `terraform_data` resource and the `terraform_remote_state` data source.
//!
//! `terraform_data` holds a value in state and nothing else: `input` (any value) is copied
//! to `output` at plan time when known (at apply otherwise), a change of `input` is an
//! in-place update, a change of `triggers_replace` replaces it, and its `id` is set when it
//! is created. It is what configurations use for `replace_triggered_by` on values that are
//! not resources. It calls nothing remote, so it needs no `provider` block.
//!
//! `terraform_remote_state` reads the outputs of another configuration's state through a
//! [`RemoteStates`] the program gives ([`TerraformFactory::with_remote_states`]): this crate
//! knows no backend. It sets `outputs` to `defaults` overlaid with the state's outputs
//! (sensitive ones marked sensitive). Without a reader the data source is refused.
//!
//! Not here: the provider's functions (`provider::terraform::...`).

use std::collections::BTreeMap;
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

/// The data source this provider serves.
pub const REMOTE_STATE: &str = "terraform_remote_state";

/// Reads the outputs of another configuration's state, for `terraform_remote_state`.
#[async_trait]
pub trait RemoteStates: Send + Sync {
    /// Outputs by name, each with whether it is sensitive, of the state that `backend`
    /// (`local`, `s3`, ...) with its `config` object names, in `workspace`. The error is
    /// shown at the data source.
    async fn outputs(
        &self,
        backend: &str,
        config: &Value,
        workspace: &str,
    ) -> Result<BTreeMap<String, (Value, bool)>, String>;
}

/// Makes the `terraform` provider.
pub struct TerraformFactory {
    schema: ProviderSchema,
    remote: Option<Arc<dyn RemoteStates>>,
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
        schema.data_sources.insert(
            REMOTE_STATE.to_string(),
            ResourceSchema {
                version: 0,
                block: Block::new()
                    .attr(
                        "backend",
                        Attribute::required(AttrType::String)
                            .describe("The backend of the state: local or s3."),
                    )
                    .attr(
                        "config",
                        Attribute::optional(AttrType::Any)
                            .describe("The backend's arguments (path; bucket, key, region, ...)."),
                    )
                    .attr(
                        "defaults",
                        Attribute::optional(AttrType::Any)
                            .describe("Outputs to use when the state does not have them."),
                    )
                    .attr(
                        "workspace",
                        Attribute::optional(AttrType::String)
                            .describe("Only `default`: trellis has no workspaces."),
                    )
                    .attr(
                        "outputs",
                        Attribute::computed(AttrType::Any)
                            .describe("The state's outputs over `defaults`."),
                    ),
                description: "the outputs of another configuration's state".to_string(),
                import_id: None,
            },
        );
        TerraformFactory {
            schema,
            remote: None,
        }
    }

    /// The factory with a reader of remote states, for `terraform_remote_state`.
    pub fn with_remote_states(mut self, remote: Arc<dyn RemoteStates>) -> TerraformFactory {
        self.remote = Some(remote);
        self
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
        Ok(Arc::new(TerraformProvider {
            remote: self.remote.clone(),
        }))
    }
}

struct TerraformProvider {
    remote: Option<Arc<dyn RemoteStates>>,
}

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
        if request.type_name != REMOTE_STATE {
            return Err(ProviderError::new(
                ErrorKind::Invalid,
                format!(
                    "the terraform provider has no data source {}",
                    request.type_name
                ),
            ));
        }
        let invalid = |m: String| ProviderError::new(ErrorKind::Invalid, m);
        let config = request.config;
        let backend = config
            .get("backend")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("backend is required".into()))?
            .to_string();
        let workspace = config
            .get("workspace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        let remote = self.remote.as_ref().ok_or_else(|| {
            invalid("terraform_remote_state cannot be read here: no state reader".into())
        })?;
        let outputs = remote
            .outputs(
                &backend,
                config.get("config").unwrap_or(&Value::Null),
                &workspace,
            )
            .await
            .map_err(invalid)?;
        let mut merged: BTreeMap<String, Value> = match config.get("defaults").map(Value::unmarked)
        {
            Some(Value::Map(m)) => m.clone(),
            Some(Value::Null) | None => BTreeMap::new(),
            Some(_) => return Err(invalid("defaults must be an object".into())),
        };
        for (name, (value, sensitive)) in outputs {
            merged.insert(
                name,
                if sensitive {
                    value.into_sensitive()
                } else {
                    value
                },
            );
        }
        let mut value = config;
        if let Value::Map(map) = &mut value {
            map.insert("outputs".to_string(), Value::Map(merged));
        }
        Ok(value)
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
