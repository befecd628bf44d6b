//! Nested blocks and attribute types that several Lattice schemas share.

use std::collections::BTreeMap;

use trellis_provider::{AttrType, Attribute, Block, Nesting};

use crate::sdk::schema::{number, string};

pub(crate) fn dns_entry() -> AttrType {
    AttrType::List(Box::new(AttrType::Object(BTreeMap::from([
        ("domain_name".to_string(), AttrType::String),
        ("hosted_zone_id".to_string(), AttrType::String),
    ]))))
}

/// `fixed_response { status_code }` or `forward { target_groups { ... } }`.
pub(crate) fn action_block() -> Block {
    Block::new()
        .block(
            "fixed_response",
            Nesting::Single,
            Block::new().attr("status_code", Attribute::required(number())),
        )
        .block(
            "forward",
            Nesting::Single,
            Block::new().block(
                "target_groups",
                Nesting::List,
                Block::new()
                    .attr("target_group_identifier", Attribute::required(string()))
                    .attr("weight", Attribute::optional_computed(number())),
            ),
        )
}

pub(crate) fn match_value_block() -> Block {
    Block::new()
        .attr("exact", Attribute::optional(string()))
        .attr("prefix", Attribute::optional(string()))
}

pub(crate) fn rule_match_block() -> Block {
    Block::new().block(
        "http_match",
        Nesting::Single,
        Block::new()
            .attr("method", Attribute::optional(string()))
            .block(
                "path_match",
                Nesting::Single,
                Block::new()
                    .attr(
                        "case_sensitive",
                        Attribute::optional_computed(AttrType::Bool),
                    )
                    .block("match", Nesting::Single, match_value_block()),
            )
            .block(
                "header_matches",
                Nesting::List,
                Block::new()
                    .attr("name", Attribute::required(string()))
                    .attr(
                        "case_sensitive",
                        Attribute::optional_computed(AttrType::Bool),
                    )
                    .block(
                        "match",
                        Nesting::Single,
                        match_value_block().attr("contains", Attribute::optional(string())),
                    ),
            ),
    )
}

pub(crate) fn health_check_block() -> Block {
    Block::new()
        .attr("enabled", Attribute::optional_computed(AttrType::Bool))
        .attr(
            "health_check_interval_seconds",
            Attribute::optional_computed(number()),
        )
        .attr(
            "health_check_timeout_seconds",
            Attribute::optional_computed(number()),
        )
        .attr(
            "healthy_threshold_count",
            Attribute::optional_computed(number()),
        )
        .attr(
            "unhealthy_threshold_count",
            Attribute::optional_computed(number()),
        )
        .attr("path", Attribute::optional_computed(string()))
        .attr("port", Attribute::optional_computed(number()))
        .attr("protocol", Attribute::optional_computed(string()))
        .attr("protocol_version", Attribute::optional_computed(string()))
        .block(
            "matcher",
            Nesting::Single,
            Block::new().attr("value", Attribute::optional_computed(string())),
        )
}
