//! The one table of served resource types ([`TYPES`]), and what is read from it: the
//! provider schema, validation, discovery's generated arguments, Terraform import IDs, and
//! the dispatcher's lookups. The data sources of each service are listed by that service.
//!
//! Adding a resource type is one line here (after its file in the service's module); nothing
//! else in the provider names a type.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use trellis_provider::{AttributeDiagnostic, Block, ProviderSchema, ResourceSchema};
use trellis_types::Value;

use crate::lattice::{self, Served};
use crate::sdk::resource::{Named, NamedService, Plain, ResourceType, Service};
use crate::{acm, ec2, iam, logs, meta, ram, route53, s3, ssm};

/// Every resource type the provider serves, in the order of the docs' type list.
pub(crate) static TYPES: &[&dyn ResourceType] = &[
    // VPC Lattice
    &Served(lattice::service_network::ServiceNetwork),
    &Served(lattice::service::Service),
    &Served(lattice::target_group::TargetGroup),
    &Served(lattice::target_group_attachment::TargetGroupAttachment),
    &Served(lattice::listener::Listener),
    &Served(lattice::listener_rule::ListenerRule),
    &Served(lattice::service_network_service_association::ServiceAssociation),
    &Served(lattice::service_network_vpc_association::VpcAssociation),
    &Served(lattice::auth_policy::AuthPolicy),
    &Served(lattice::resource_policy::ResourcePolicy),
    &Served(lattice::access_log_subscription::AccessLogSubscription),
    &Served(lattice::resource_gateway::ResourceGateway),
    &Served(lattice::resource_configuration::ResourceConfiguration),
    &Served(lattice::service_network_resource_association::ResourceAssociation),
    // RAM
    &Plain(ram::resource_share::ResourceShare),
    &Plain(ram::association::RESOURCE),
    &Plain(ram::association::PRINCIPAL),
    &Plain(ram::share_accepter::ShareAccepter),
    // Route53
    &Plain(route53::zone::Zone),
    &Plain(route53::record::Record),
    &Plain(route53::assoc::VPC_ASSOCIATION_AUTHORIZATION),
    &Plain(route53::assoc::ZONE_ASSOCIATION),
    // EC2
    &Plain(ec2::vpc::Vpc),
    &Plain(ec2::subnet::Subnet),
    &Plain(ec2::security_group::SecurityGroup),
    &Plain(ec2::security_group_rule::INGRESS),
    &Plain(ec2::security_group_rule::EGRESS),
    &Plain(ec2::internet_gateway::InternetGateway),
    &Plain(ec2::route_table::RouteTable),
    &Plain(ec2::route::RouteType),
    &Plain(ec2::route_table_association::Association),
    // ACM
    &Plain(acm::certificate::Certificate),
    &Plain(acm::validation::Validation),
    // IAM
    &Named::<iam::Api>::new(iam::ROLE),
    &Named::<iam::Api>::new(iam::ROLE_POLICY),
    &Named::<iam::Api>::new(iam::ATTACHMENT),
    &Named::<iam::Api>::new(iam::POLICY),
    &Named::<iam::Api>::new(iam::INSTANCE_PROFILE),
    // CloudWatch Logs
    &Named::<logs::Api>::new(logs::LOG_GROUP),
    // S3
    &Named::<s3::Api>::new(s3::BUCKET),
];

/// The served type named `type_name`.
pub(crate) fn resource_type(type_name: &str) -> Option<&'static dyn ResourceType> {
    TYPES.iter().copied().find(|t| t.name() == type_name)
}

/// Which service reads the data source `type_name` (`None` for the provider-wide ones:
/// caller identity, region, partition).
pub(crate) fn data_source_service(type_name: &str) -> Option<Option<Service>> {
    data_sources().get(type_name).map(|(service, _)| *service)
}

/// Every data source with its service and schema.
fn data_sources() -> &'static BTreeMap<String, (Option<Service>, ResourceSchema)> {
    static DATA: OnceLock<BTreeMap<String, (Option<Service>, ResourceSchema)>> = OnceLock::new();
    DATA.get_or_init(|| {
        let mut out = BTreeMap::new();
        let mut add = |service: Option<Service>, schemas: BTreeMap<String, ResourceSchema>| {
            for (name, schema) in schemas {
                out.insert(name, (service, schema));
            }
        };
        add(Some(Service::Lattice), lattice::data::schemas());
        add(None, meta::schemas());
        add(Some(Service::Ram), ram::data::schemas());
        add(Some(Service::Route53), route53::data::schemas());
        add(Some(Service::Ec2), ec2::data::schemas());
        add(Some(Service::Iam), iam::Api::schemas().data_sources.clone());
        add(Some(Service::Ssm), ssm::Api::schemas().data_sources.clone());
        out
    })
}

/// The whole schema of the `aws` provider: the provider block, every type of [`TYPES`] and
/// every data source.
pub(crate) fn provider_schema() -> ProviderSchema {
    ProviderSchema {
        provider: meta::provider_block(),
        resources: TYPES
            .iter()
            .map(|t| (t.name().to_string(), t.schema()))
            .collect(),
        data_sources: data_sources()
            .iter()
            .map(|(name, (_, schema))| (name.clone(), schema.clone()))
            .collect(),
    }
}

/// The schema of a served type, built once.
pub(crate) fn schema_of(type_name: &str) -> Option<&'static ResourceSchema> {
    static SCHEMA: OnceLock<ProviderSchema> = OnceLock::new();
    SCHEMA.get_or_init(provider_schema).resources.get(type_name)
}

/// The diagnostics of a resource configuration (none for types the table does not have:
/// the engine reports those).
pub(crate) fn validate(type_name: &str, config: &Value) -> Vec<AttributeDiagnostic> {
    resource_type(type_name)
        .map(|t| t.validate(config))
        .unwrap_or_default()
}

/// The arguments a configuration sets for a discovered `value`: no computed-only
/// attributes, no nulls, no empty `tags`, and no top-level arguments equal to the server's
/// defaults (as the type says).
pub(crate) fn arguments(type_name: &str, value: &Value) -> Value {
    let Some(schema) = schema_of(type_name) else {
        return Value::Null;
    };
    let mut out = strip(value, &schema.block);
    if let Value::Map(map) = &mut out {
        if let Some(t) = resource_type(type_name) {
            t.drop_defaults(map);
        }
        if map
            .get("tags")
            .is_some_and(|t| t.as_map().is_some_and(|m| m.is_empty()))
        {
            map.remove("tags");
        }
    }
    out
}

fn strip(value: &Value, schema: &Block) -> Value {
    let Some(map) = value.as_map() else {
        return value.clone();
    };
    let mut out = BTreeMap::new();
    for (key, v) in map {
        if v.is_null() {
            continue;
        }
        if let Some(a) = schema.attributes.get(key) {
            if a.computed && !a.optional && !a.required {
                continue;
            }
            out.insert(key.clone(), v.clone());
        } else if let Some(nested) = schema.blocks.get(key) {
            let stripped = match v {
                Value::List(items) => {
                    Value::List(items.iter().map(|i| strip(i, &nested.block)).collect())
                }
                other => strip(other, &nested.block),
            };
            out.insert(key.clone(), stripped);
        }
    }
    Value::Map(out)
}

/// The import ID of a resource recorded in Terraform's state, from its attributes there
/// (Terraform's `id` is not always what import takes: a listener rule's import ID is
/// `service/listener/rule`). `None` for types this provider does not have, or when the
/// attributes lack what the ID is made of.
pub fn terraform_import_id(type_name: &str, attributes: &serde_json::Value) -> Option<String> {
    resource_type(type_name)?.terraform_import_id(attributes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_the_table_are_unique() {
        let mut names: Vec<&str> = TYPES.iter().map(|t| t.name()).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    /// The docs' type list is the table: a page per served type, and no page for a type
    /// that is neither served nor a data source (nor Terraform's built-in `terraform_data`,
    /// which `trellis_provider::builtin` serves).
    #[test]
    fn docs_have_a_page_per_type_and_no_other() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/resources");
        for t in TYPES {
            let page = dir.join(format!("{}.md", t.name()));
            assert!(page.is_file(), "no page {}", page.display());
        }
        for entry in std::fs::read_dir(&dir).expect("docs/resources") {
            let path = entry.expect("entry").path();
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            assert!(
                resource_type(name).is_some()
                    || data_source_service(name).is_some()
                    || name == trellis_provider::builtin::TERRAFORM_DATA,
                "{} documents no served type",
                path.display()
            );
        }
    }

    #[test]
    fn every_type_has_a_schema_with_an_import_id() {
        for t in TYPES {
            assert!(t.schema().import_id.is_some(), "{}", t.name());
        }
    }
}
