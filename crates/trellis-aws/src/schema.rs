//! The provider block, resource and data source schemas, with the Terraform AWS provider's
//! names and force-new rules (see docs/resources/).

use std::collections::BTreeMap;

use trellis_provider::{AttrType, Attribute, Block, Nesting, ProviderSchema, ResourceSchema};

fn string() -> AttrType {
    AttrType::String
}

fn number() -> AttrType {
    AttrType::Number
}

fn string_map() -> AttrType {
    AttrType::Map(Box::new(AttrType::String))
}

fn dns_entry() -> AttrType {
    AttrType::List(Box::new(AttrType::Object(BTreeMap::from([
        ("domain_name".to_string(), AttrType::String),
        ("hosted_zone_id".to_string(), AttrType::String),
    ]))))
}

/// `tags` and the computed `tags_all` (tags merged with the provider's `default_tags`).
fn tagged(block: Block) -> Block {
    block
        .attr("tags", Attribute::optional(string_map()))
        .attr("tags_all", Attribute::computed(string_map()))
}

fn timeouts(block: Block) -> Block {
    block.block(
        "timeouts",
        Nesting::Single,
        Block::new()
            .attr("create", Attribute::optional(string()))
            .attr("update", Attribute::optional(string()))
            .attr("delete", Attribute::optional(string())),
    )
}

fn id_arn(block: Block) -> Block {
    block
        .attr("id", Attribute::computed(string()))
        .attr("arn", Attribute::computed(string()))
}

fn resource(description: &str, import_id: &str, block: Block) -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block,
        description: description.to_string(),
        import_id: Some(import_id.to_string()),
    }
}

fn data(description: &str, block: Block) -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block,
        description: description.to_string(),
        import_id: None,
    }
}

/// `fixed_response { status_code }` or `forward { target_groups { ... } }`.
fn action_block() -> Block {
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

fn match_value_block() -> Block {
    Block::new()
        .attr("exact", Attribute::optional(string()))
        .attr("prefix", Attribute::optional(string()))
}

fn rule_match_block() -> Block {
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

fn health_check_block() -> Block {
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

/// The whole schema of the `aws` provider.
pub fn provider_schema() -> ProviderSchema {
    let provider = Block::new()
        .attr("region", Attribute::optional(string()))
        .attr("profile", Attribute::optional(string()))
        .attr("max_retries", Attribute::optional(number()))
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
                .attr("sts", Attribute::optional(string())),
        );

    let mut resources = BTreeMap::new();
    resources.insert(
        "aws_vpclattice_service_network".to_string(),
        resource(
            "a VPC Lattice service network",
            "service network ID or ARN",
            tagged(id_arn(
                Block::new()
                    .attr("name", Attribute::required(string()).force_new())
                    .attr("auth_type", Attribute::optional_computed(string())),
            )),
        ),
    );
    resources.insert(
        "aws_vpclattice_service".to_string(),
        resource(
            "a VPC Lattice service",
            "service ID",
            timeouts(tagged(id_arn(
                Block::new()
                    .attr("name", Attribute::required(string()).force_new())
                    .attr("auth_type", Attribute::optional_computed(string()))
                    .attr("certificate_arn", Attribute::optional_computed(string()))
                    .attr(
                        "custom_domain_name",
                        Attribute::optional_computed(string()).force_new(),
                    )
                    .attr("status", Attribute::computed(string()))
                    .attr("dns_entry", Attribute::computed(dns_entry())),
            ))),
        ),
    );
    let mut target_group = timeouts(tagged(id_arn(
        Block::new()
            .attr("name", Attribute::required(string()).force_new())
            .attr("type", Attribute::required(string()).force_new())
            .attr("status", Attribute::computed(string()))
            .block(
                "config",
                Nesting::Single,
                Block::new()
                    .attr("port", Attribute::optional(number()).force_new())
                    .attr("protocol", Attribute::optional(string()).force_new())
                    .attr(
                        "protocol_version",
                        Attribute::optional_computed(string()).force_new(),
                    )
                    .attr(
                        "ip_address_type",
                        Attribute::optional_computed(string()).force_new(),
                    )
                    .attr("vpc_identifier", Attribute::optional(string()).force_new())
                    .attr(
                        "lambda_event_structure_version",
                        Attribute::optional_computed(string()).force_new(),
                    )
                    .block("health_check", Nesting::Single, health_check_block()),
            ),
    )));
    if let Some(config) = target_group.blocks.get_mut("config") {
        config.max_items = Some(1);
    }
    resources.insert(
        "aws_vpclattice_target_group".to_string(),
        resource(
            "a VPC Lattice target group",
            "target group ID",
            target_group,
        ),
    );
    resources.insert(
        "aws_vpclattice_target_group_attachment".to_string(),
        resource(
            "a target registered with a target group",
            "target_group_id/target_id/port",
            timeouts(
                Block::new()
                    .attr("id", Attribute::computed(string()))
                    .attr(
                        "target_group_identifier",
                        Attribute::required(string()).force_new(),
                    )
                    .block(
                        "target",
                        Nesting::Single,
                        Block::new()
                            .attr("id", Attribute::required(string()).force_new())
                            .attr("port", Attribute::optional_computed(number()).force_new()),
                    )
                    .block_force_new("target"),
            ),
        ),
    );
    resources.insert(
        "aws_vpclattice_listener".to_string(),
        resource(
            "a listener of a VPC Lattice service",
            "service_id/listener_id",
            tagged(id_arn(
                Block::new()
                    .attr("name", Attribute::required(string()).force_new())
                    .attr("protocol", Attribute::required(string()).force_new())
                    .attr("port", Attribute::optional_computed(number()).force_new())
                    .attr(
                        "service_identifier",
                        Attribute::optional_computed(string()).force_new(),
                    )
                    .attr(
                        "service_arn",
                        Attribute::optional_computed(string()).force_new(),
                    )
                    .attr("listener_id", Attribute::computed(string()))
                    .block("default_action", Nesting::Single, action_block()),
            )),
        ),
    );
    resources.insert(
        "aws_vpclattice_listener_rule".to_string(),
        resource(
            "a rule of a VPC Lattice listener",
            "service_id/listener_id/rule_id",
            tagged(id_arn(
                Block::new()
                    .attr("name", Attribute::required(string()).force_new())
                    .attr(
                        "service_identifier",
                        Attribute::required(string()).force_new(),
                    )
                    .attr(
                        "listener_identifier",
                        Attribute::required(string()).force_new(),
                    )
                    .attr("priority", Attribute::required(number()))
                    .attr("rule_id", Attribute::computed(string()))
                    .block("match", Nesting::Single, rule_match_block())
                    .block("action", Nesting::Single, action_block()),
            )),
        ),
    );
    resources.insert(
        "aws_vpclattice_service_network_service_association".to_string(),
        resource(
            "a service associated with a service network",
            "association ID",
            timeouts(tagged(id_arn(
                Block::new()
                    .attr(
                        "service_identifier",
                        Attribute::required(string()).force_new(),
                    )
                    .attr(
                        "service_network_identifier",
                        Attribute::required(string()).force_new(),
                    )
                    .attr("status", Attribute::computed(string()))
                    .attr("created_by", Attribute::computed(string()))
                    .attr("custom_domain_name", Attribute::computed(string()))
                    .attr("dns_entry", Attribute::computed(dns_entry())),
            ))),
        ),
    );
    resources.insert(
        "aws_vpclattice_service_network_vpc_association".to_string(),
        resource(
            "a VPC associated with a service network",
            "association ID",
            timeouts(tagged(id_arn(
                Block::new()
                    .attr("vpc_identifier", Attribute::required(string()).force_new())
                    .attr(
                        "service_network_identifier",
                        Attribute::required(string()).force_new(),
                    )
                    .attr(
                        "security_group_ids",
                        Attribute::optional_computed(AttrType::Set(Box::new(string()))),
                    )
                    .attr("status", Attribute::computed(string()))
                    .attr("created_by", Attribute::computed(string())),
            ))),
        ),
    );
    resources.insert(
        "aws_vpclattice_auth_policy".to_string(),
        resource(
            "the auth policy of a service or service network",
            "resource identifier (ID or ARN of the service or service network)",
            Block::new()
                .attr("id", Attribute::computed(string()))
                .attr(
                    "resource_identifier",
                    Attribute::required(string()).force_new(),
                )
                .attr("policy", Attribute::required(AttrType::Json))
                .attr("state", Attribute::optional_computed(string())),
        ),
    );
    resources.insert(
        "aws_vpclattice_resource_policy".to_string(),
        resource(
            "the resource policy of a service or service network (for sharing)",
            "resource ARN",
            Block::new()
                .attr("id", Attribute::computed(string()))
                .attr("resource_arn", Attribute::required(string()).force_new())
                .attr("policy", Attribute::required(AttrType::Json)),
        ),
    );
    resources.insert(
        "aws_vpclattice_access_log_subscription".to_string(),
        resource(
            "an access log subscription of a service or service network",
            "subscription ID",
            tagged(id_arn(
                Block::new()
                    .attr(
                        "resource_identifier",
                        Attribute::required(string()).force_new(),
                    )
                    .attr("destination_arn", Attribute::required(string()).force_new())
                    .attr("resource_arn", Attribute::computed(string())),
            )),
        ),
    );

    let mut data_sources = BTreeMap::new();
    data_sources.insert(
        "aws_vpclattice_service_network".to_string(),
        data(
            "a service network by ID or ARN",
            Block::new()
                .attr("service_network_identifier", Attribute::required(string()))
                .attr("id", Attribute::computed(string()))
                .attr("arn", Attribute::computed(string()))
                .attr("name", Attribute::computed(string()))
                .attr("auth_type", Attribute::computed(string()))
                .attr(
                    "number_of_associated_services",
                    Attribute::computed(number()),
                )
                .attr("number_of_associated_vpcs", Attribute::computed(number()))
                .attr("created_at", Attribute::computed(string()))
                .attr("last_updated_at", Attribute::computed(string())),
        ),
    );
    data_sources.insert(
        "aws_vpclattice_service".to_string(),
        data(
            "a service by identifier or name",
            Block::new()
                .attr("service_identifier", Attribute::optional_computed(string()))
                .attr("name", Attribute::optional_computed(string()))
                .attr("id", Attribute::computed(string()))
                .attr("arn", Attribute::computed(string()))
                .attr("auth_type", Attribute::computed(string()))
                .attr("certificate_arn", Attribute::computed(string()))
                .attr("custom_domain_name", Attribute::computed(string()))
                .attr("status", Attribute::computed(string()))
                .attr("dns_entry", Attribute::computed(dns_entry())),
        ),
    );
    data_sources.insert(
        "aws_vpclattice_listener".to_string(),
        data(
            "a listener by service and listener identifier",
            Block::new()
                .attr("service_identifier", Attribute::required(string()))
                .attr("listener_identifier", Attribute::required(string()))
                .attr("id", Attribute::computed(string()))
                .attr("listener_id", Attribute::computed(string()))
                .attr("arn", Attribute::computed(string()))
                .attr("name", Attribute::computed(string()))
                .attr("port", Attribute::computed(number()))
                .attr("protocol", Attribute::computed(string()))
                .attr("service_arn", Attribute::computed(string()))
                .attr("service_id", Attribute::computed(string()))
                .attr("default_action", Attribute::computed(AttrType::Any))
                .attr("tags", Attribute::computed(string_map())),
        ),
    );
    data_sources.insert(
        "aws_vpclattice_auth_policy".to_string(),
        data(
            "the auth policy of a service network or service",
            Block::new()
                .attr("resource_identifier", Attribute::required(string()))
                .attr("id", Attribute::computed(string()))
                .attr("policy", Attribute::optional_computed(AttrType::Json))
                .attr("state", Attribute::optional_computed(string())),
        ),
    );
    data_sources.insert(
        "aws_vpclattice_resource_policy".to_string(),
        data(
            "the resource policy of a service network or service",
            Block::new()
                .attr("resource_arn", Attribute::required(string()))
                .attr("id", Attribute::computed(string()))
                .attr("policy", Attribute::computed(AttrType::Json)),
        ),
    );
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

    ProviderSchema {
        provider,
        resources,
        data_sources,
    }
}
