use trellis_provider::memory::schema;
use trellis_provider::{DiscoveredObject, SkippedObject};
use trellis_types::{Address, Value};

use super::*;

fn object(type_name: &str, name: &str, id: &str, arguments: Value) -> DiscoveredObject {
    let mut value = arguments.clone();
    value.set_path(&trellis_types::Path::from_keys(["id"]), Value::string(id));
    value.set_path(
        &trellis_types::Path::from_keys(["arn"]),
        Value::string(format!("arn:trellis:test:local:000000000000:x/{id}")),
    );
    DiscoveredObject {
        type_name: type_name.to_string(),
        import_id: id.to_string(),
        name: name.to_string(),
        value,
        arguments,
        owner: None,
    }
}

#[test]
fn identifiers_are_valid() {
    assert_eq!(identifier("orders-api.v2"), "orders_api_v2");
    assert_eq!(identifier("--"), "this");
    assert_eq!(identifier("9lives"), "r_9lives");
    assert_eq!(identifier("Billing"), "billing");
}

#[test]
fn references_names_and_imports() {
    let objects = vec![
        object(
            "trellis_test_network",
            "mesh",
            "net-00000001",
            Value::object([("name", Value::string("mesh"))]),
        ),
        object(
            "trellis_test_service",
            "orders",
            "svc-00000002",
            Value::object([
                ("name", Value::string("orders")),
                (
                    "policy",
                    Value::string(r#"{"Version":"2012-10-17","Statement":[]}"#),
                ),
                ("tags", Value::object([("team", Value::string("a${b}"))])),
            ]),
        ),
        // A second object whose name maps to the same identifier.
        object(
            "trellis_test_service",
            "Orders",
            "svc-00000003",
            Value::object([("name", Value::string("Orders"))]),
        ),
        object(
            "trellis_test_association",
            "orders-mesh",
            "assoc-00000004",
            Value::object([
                ("service_id", Value::string("svc-00000002")),
                ("network_id", Value::string("net-00000001")),
            ]),
        ),
    ];
    let skipped = vec![SkippedObject {
        kind: "trellis_test_service".into(),
        id: "svc-00000099".into(),
        owner: Some("111111111111".into()),
        reason: "owned by another account".into(),
    }];
    let schema = schema();
    let taken = vec![Address::managed("trellis_test_network", "mesh")];
    let generated = generate(&GenerateInput {
        objects: &objects,
        skipped: &skipped,
        schema: &schema,
        provider: None,
        taken: &taken,
    });
    assert_eq!(generated.resources, 4);
    assert_eq!(
        generated.addresses[0],
        Address::managed("trellis_test_network", "mesh_2"),
        "a name the configuration uses is not reused"
    );
    assert_eq!(generated.addresses[2].name, "orders_2");
    // The output is already in canonical form, and it parses.
    assert_eq!(
        trellis_config::format_source(&generated.text).unwrap(),
        generated.text
    );
    insta::assert_snapshot!(generated.text);
}

/// An object whose `id` is its ARN (a RAM share) is referred to by `.arn` from an argument
/// named `*_arn`, and by `.id` from others.
#[test]
fn arn_arguments_refer_to_arn() {
    use trellis_provider::{AttrType, Attribute, Block, ResourceSchema};
    let resource = |block: Block| ResourceSchema {
        version: 0,
        block,
        description: String::new(),
        import_id: None,
    };
    let mut schema = ProviderSchema::default();
    schema.resources.insert(
        "t_share".into(),
        resource(
            Block::new()
                .attr("id", Attribute::computed(AttrType::String))
                .attr("arn", Attribute::computed(AttrType::String))
                .attr("name", Attribute::required(AttrType::String)),
        ),
    );
    schema.resources.insert(
        "t_member".into(),
        resource(
            Block::new()
                .attr("share_arn", Attribute::required(AttrType::String))
                .attr("share_identifier", Attribute::required(AttrType::String)),
        ),
    );
    let arn = "arn:aws:ram:us-east-1:000000000000:resource-share/1234";
    let share = DiscoveredObject {
        type_name: "t_share".into(),
        import_id: arn.into(),
        name: "mesh".into(),
        value: Value::object([
            ("id", Value::string(arn)),
            ("arn", Value::string(arn)),
            ("name", Value::string("mesh")),
        ]),
        arguments: Value::object([("name", Value::string("mesh"))]),
        owner: None,
    };
    let member_args = Value::object([
        ("share_arn", Value::string(arn)),
        ("share_identifier", Value::string(arn)),
    ]);
    let member = DiscoveredObject {
        type_name: "t_member".into(),
        import_id: "m".into(),
        name: "m".into(),
        value: member_args.clone(),
        arguments: member_args,
        owner: None,
    };
    let generated = generate(&GenerateInput {
        objects: &[share, member],
        skipped: &[],
        schema: &schema,
        provider: None,
        taken: &[],
    });
    assert!(
        generated
            .text
            .contains("share_arn        = t_share.mesh.arn"),
        "{}",
        generated.text
    );
    assert!(
        generated
            .text
            .contains("share_identifier = t_share.mesh.id"),
        "{}",
        generated.text
    );
}
