//! A plugin's schema as trellis sees it: the protocol's `Schema` messages turned into
//! trellis [`ResourceSchema`]s, with the cty type of each (its "implied type", the object
//! type a value of the block has on the wire).

use std::collections::BTreeMap;

use trellis_provider::{Attribute, Block, NestedBlock, Nesting, ProviderSchema, ResourceSchema};

use crate::cty::{CtyType, TypeError};
use crate::proto::tfplugin6 as v6;

/// Every type a plugin serves, in trellis's terms and on the wire.
#[derive(Debug, Clone, Default)]
pub struct PluginSchema {
    pub schema: ProviderSchema,
    /// The wire type of the provider block.
    pub provider_type: CtyType,
    pub resource_types: BTreeMap<String, CtyType>,
    pub data_source_types: BTreeMap<String, CtyType>,
}

impl Default for CtyType {
    fn default() -> CtyType {
        CtyType::object(Vec::<(String, CtyType)>::new())
    }
}

impl PluginSchema {
    /// Converts a GetProviderSchema response (protocol 6 form; protocol 5 responses are
    /// converted to it first).
    pub fn from_response(
        response: &v6::get_provider_schema::Response,
    ) -> Result<PluginSchema, TypeError> {
        let mut out = PluginSchema::default();
        if let Some(provider) = &response.provider {
            let (schema, ty) = convert_schema(provider)?;
            out.schema.provider = schema.block;
            out.provider_type = ty;
        }
        for (name, s) in &response.resource_schemas {
            let (schema, ty) = convert_schema(s)?;
            out.schema.resources.insert(name.clone(), schema);
            out.resource_types.insert(name.clone(), ty);
        }
        for (name, s) in &response.data_source_schemas {
            let (schema, ty) = convert_schema(s)?;
            out.schema.data_sources.insert(name.clone(), schema);
            out.data_source_types.insert(name.clone(), ty);
        }
        Ok(out)
    }

    /// The wire type of a managed (`data: false`) or data resource type.
    pub fn type_of(&self, type_name: &str, data: bool) -> Option<&CtyType> {
        if data {
            self.data_source_types.get(type_name)
        } else {
            self.resource_types.get(type_name)
        }
    }
}

fn convert_schema(schema: &v6::Schema) -> Result<(ResourceSchema, CtyType), TypeError> {
    let empty = v6::schema::Block::default();
    let block = schema.block.as_ref().unwrap_or(&empty);
    let (converted, ty) = convert_block(block)?;
    Ok((
        ResourceSchema {
            version: u32::try_from(schema.version).unwrap_or(0),
            block: converted,
            description: block.description.clone(),
            import_id: None,
        },
        ty,
    ))
}

fn convert_block(block: &v6::schema::Block) -> Result<(Block, CtyType), TypeError> {
    let mut out = Block::new();
    let mut types = BTreeMap::new();
    for attribute in &block.attributes {
        let ty = attribute_type(attribute)?;
        out.attributes.insert(
            attribute.name.clone(),
            Attribute {
                ty: ty.to_attr_type(),
                required: attribute.required,
                optional: attribute.optional,
                computed: attribute.computed,
                // A plugin says what forces replacement in each plan (requires_replace), not
                // in its schema.
                force_new: false,
                sensitive: attribute.sensitive,
                default: None,
                description: attribute.description.clone(),
            },
        );
        types.insert(attribute.name.clone(), ty);
    }
    for nested in &block.block_types {
        let inner = nested.block.clone().unwrap_or_default();
        let (converted, inner_ty) = convert_block(&inner)?;
        use v6::schema::nested_block::NestingMode as M;
        let mode = M::try_from(nested.nesting).unwrap_or(M::Invalid);
        let (nesting, ty) = match mode {
            M::Single | M::Group => (Some(Nesting::Single), inner_ty),
            M::List => (Some(Nesting::List), CtyType::List(Box::new(inner_ty))),
            M::Set => (Some(Nesting::Set), CtyType::Set(Box::new(inner_ty))),
            // trellis has no block nesting by label; such a block is written as a map
            // attribute of objects.
            M::Map => (None, CtyType::Map(Box::new(inner_ty))),
            M::Invalid => {
                return Err(TypeError(format!(
                    "nesting mode of block {}",
                    nested.type_name
                )))
            }
        };
        match nesting {
            Some(nesting) => {
                out.blocks.insert(
                    nested.type_name.clone(),
                    NestedBlock {
                        nesting,
                        block: converted,
                        required: nested.min_items > 0,
                        force_new: false,
                        max_items: usize::try_from(nested.max_items).ok().filter(|n| *n > 0),
                        computed: false,
                    },
                );
            }
            None => {
                out.attributes.insert(
                    nested.type_name.clone(),
                    Attribute::optional(ty.to_attr_type()),
                );
            }
        }
        types.insert(nested.type_name.clone(), ty);
    }
    Ok((out, CtyType::object(types)))
}

/// The wire type of an attribute: its `type`, or (protocol 6) the type its nested
/// attributes imply.
fn attribute_type(attribute: &v6::schema::Attribute) -> Result<CtyType, TypeError> {
    if let Some(nested) = &attribute.nested_type {
        let mut types = BTreeMap::new();
        for inner in &nested.attributes {
            types.insert(inner.name.clone(), attribute_type(inner)?);
        }
        let object = CtyType::Object {
            optional: nested
                .attributes
                .iter()
                .filter(|a| a.optional)
                .map(|a| a.name.clone())
                .collect(),
            attributes: types,
        };
        use v6::schema::object::NestingMode as M;
        return match M::try_from(nested.nesting).unwrap_or(M::Invalid) {
            M::Single => Ok(object),
            M::List => Ok(CtyType::List(Box::new(object))),
            M::Set => Ok(CtyType::Set(Box::new(object))),
            M::Map => Ok(CtyType::Map(Box::new(object))),
            M::Invalid => Err(TypeError(format!(
                "nesting mode of attribute {}",
                attribute.name
            ))),
        };
    }
    CtyType::from_json_bytes(&attribute.r#type)
}

/// Converts a protocol 5 schema response to the protocol 6 form. The two differ only in
/// the attribute message (protocol 6 adds nested attribute types at field 10 and moves
/// `write_only` to 11), so every other message is copied field by field.
pub fn schema_response_from_v5(
    response: crate::proto::tfplugin5::get_provider_schema::Response,
) -> v6::get_provider_schema::Response {
    use crate::proto::tfplugin5 as v5;
    fn block(b: v5::schema::Block) -> v6::schema::Block {
        v6::schema::Block {
            version: b.version,
            attributes: b
                .attributes
                .into_iter()
                .map(|a| v6::schema::Attribute {
                    name: a.name,
                    r#type: a.r#type,
                    nested_type: None,
                    description: a.description,
                    required: a.required,
                    optional: a.optional,
                    computed: a.computed,
                    sensitive: a.sensitive,
                    description_kind: a.description_kind,
                    deprecated: a.deprecated,
                    write_only: a.write_only,
                })
                .collect(),
            block_types: b
                .block_types
                .into_iter()
                .map(|n| v6::schema::NestedBlock {
                    type_name: n.type_name,
                    block: n.block.map(block),
                    nesting: n.nesting,
                    min_items: n.min_items,
                    max_items: n.max_items,
                })
                .collect(),
            description: b.description,
            description_kind: b.description_kind,
            deprecated: b.deprecated,
        }
    }
    fn schema(s: v5::Schema) -> v6::Schema {
        v6::Schema {
            version: s.version,
            block: s.block.map(block),
        }
    }
    let map = |m: std::collections::HashMap<String, v5::Schema>| {
        m.into_iter().map(|(k, s)| (k, schema(s))).collect()
    };
    v6::get_provider_schema::Response {
        provider: response.provider.map(schema),
        resource_schemas: map(response.resource_schemas),
        data_source_schemas: map(response.data_source_schemas),
        diagnostics: response
            .diagnostics
            .into_iter()
            .map(crate::transcode)
            .collect(),
        provider_meta: response.provider_meta.map(schema),
        server_capabilities: response.server_capabilities.map(crate::transcode),
    }
}
