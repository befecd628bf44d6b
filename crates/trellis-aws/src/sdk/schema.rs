//! Helpers that every type's schema is written with: attribute types, the required /
//! optional / computed forms, and the blocks many types share (`tags` with `tags_all`,
//! `timeouts`, `id` with `arn`, EC2 and RAM `filter` blocks).

use trellis_provider::{AttrType, Attribute, Block, Nesting, ResourceSchema};

pub fn string() -> AttrType {
    AttrType::String
}

pub fn number() -> AttrType {
    AttrType::Number
}

pub fn string_map() -> AttrType {
    AttrType::Map(Box::new(AttrType::String))
}

pub fn strings() -> AttrType {
    AttrType::List(Box::new(AttrType::String))
}

pub fn string_set() -> AttrType {
    AttrType::Set(Box::new(AttrType::String))
}

pub fn req(ty: AttrType) -> Attribute {
    Attribute::required(ty)
}

pub fn opt(ty: AttrType) -> Attribute {
    Attribute::optional(ty)
}

pub fn opt_comp(ty: AttrType) -> Attribute {
    Attribute::optional_computed(ty)
}

pub fn comp(ty: AttrType) -> Attribute {
    Attribute::computed(ty)
}

/// `tags` and the computed `tags_all` (tags merged with the provider's `default_tags`).
pub fn tagged(block: Block) -> Block {
    block
        .attr("tags", Attribute::optional(string_map()))
        .attr("tags_all", Attribute::computed(string_map()))
}

/// A `timeouts` block with `create`, `update` and `delete` durations.
pub fn timeouts(block: Block) -> Block {
    block.block(
        "timeouts",
        Nesting::Single,
        Block::new()
            .attr("create", Attribute::optional(string()))
            .attr("update", Attribute::optional(string()))
            .attr("delete", Attribute::optional(string())),
    )
}

/// The computed `id` and `arn`.
pub fn id_arn(block: Block) -> Block {
    block
        .attr("id", Attribute::computed(string()))
        .attr("arn", Attribute::computed(string()))
}

/// `filter { name = "...", values = [...] }` blocks of EC2 and RAM data sources.
pub fn filters(block: Block) -> Block {
    block.block(
        "filter",
        Nesting::List,
        Block::new()
            .attr("name", Attribute::required(AttrType::String))
            .attr("values", Attribute::required(strings())),
    )
}

pub fn resource(description: &str, import_id: &str, block: Block) -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block,
        description: description.to_string(),
        import_id: Some(import_id.to_string()),
    }
}

pub fn data(description: &str, block: Block) -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block,
        description: description.to_string(),
        import_id: None,
    }
}
