//! The plan JSON validated against `testdata/schemas/plan-json.schema.json`, a JSON Schema
//! of the Terraform plan format fields trellis writes.
//!
//! The validator below is a strict subset of JSON Schema 2020-12, written here rather than
//! taken from a crate to keep the dependency tree small: `type`, `enum`, `const`,
//! `required`, `properties`, `additionalProperties` (boolean or schema), `items`,
//! `minItems`, `maxItems`, `minimum`, `anyOf` and local `$ref` (`#/$defs/NAME`). Any other
//! keyword in the schema is an error, so the schema cannot silently ask for more than is
//! checked; the last tests show that it rejects what it should.

#[path = "../../trellis-mesh/tests/support/mod.rs"]
mod mesh_support;
mod support;

use serde_json::{json, Value as Json};
use support::*;
use trellis_views::plan_json;

fn schema() -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/schemas/plan-json.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("schema JSON")
}

const KNOWN: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "title",
    "description",
    "type",
    "enum",
    "const",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minimum",
    "anyOf",
    "$ref",
];

fn type_matches(name: &str, v: &Json) -> bool {
    match name {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.as_i64().is_some() || v.as_u64().is_some(),
        other => panic!("unknown type {other:?} in the schema"),
    }
}

/// Every error, as `path: message`.
fn validate(root: &Json, schema: &Json, v: &Json, at: &str, errors: &mut Vec<String>) {
    let Some(s) = schema.as_object() else {
        panic!("schema at {at} is not an object");
    };
    for key in s.keys() {
        assert!(KNOWN.contains(&key.as_str()), "unsupported keyword {key:?}");
    }
    if let Some(r) = s.get("$ref").and_then(Json::as_str) {
        let name = r.strip_prefix("#/$defs/").expect("local $ref");
        let target = &root["$defs"][name];
        assert!(!target.is_null(), "no $defs/{name}");
        validate(root, target, v, at, errors);
    }
    if let Some(t) = s.get("type") {
        let ok = match t {
            Json::String(name) => type_matches(name, v),
            Json::Array(names) => names.iter().any(|n| type_matches(n.as_str().unwrap(), v)),
            _ => panic!("bad type"),
        };
        if !ok {
            errors.push(format!("{at}: expected type {t}, got {v}"));
            return;
        }
    }
    if let Some(options) = s.get("enum").and_then(Json::as_array) {
        if !options.contains(v) {
            errors.push(format!("{at}: {v} is not one of {options:?}"));
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            errors.push(format!("{at}: expected {c}, got {v}"));
        }
    }
    if let Some(min) = s.get("minimum").and_then(Json::as_f64) {
        if v.as_f64().is_some_and(|x| x < min) {
            errors.push(format!("{at}: {v} is below {min}"));
        }
    }
    if let Some(options) = s.get("anyOf").and_then(Json::as_array) {
        let ok = options.iter().any(|o| {
            let mut e = Vec::new();
            validate(root, o, v, at, &mut e);
            e.is_empty()
        });
        if !ok {
            errors.push(format!("{at}: {v} matches none of anyOf"));
        }
    }
    if let Some(items) = v.as_array() {
        if let Some(min) = s.get("minItems").and_then(Json::as_u64) {
            if (items.len() as u64) < min {
                errors.push(format!("{at}: fewer than {min} items"));
            }
        }
        if let Some(max) = s.get("maxItems").and_then(Json::as_u64) {
            if (items.len() as u64) > max {
                errors.push(format!("{at}: more than {max} items"));
            }
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(root, item_schema, item, &format!("{at}[{i}]"), errors);
            }
        }
    }
    if let Some(obj) = v.as_object() {
        if let Some(required) = s.get("required").and_then(Json::as_array) {
            for r in required {
                let r = r.as_str().unwrap();
                if !obj.contains_key(r) {
                    errors.push(format!("{at}: missing required {r:?}"));
                }
            }
        }
        let props = s.get("properties").and_then(Json::as_object);
        for (k, item) in obj {
            let path = format!("{at}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(p) => validate(root, p, item, &path, errors),
                None => match s.get("additionalProperties") {
                    Some(Json::Bool(false)) => errors.push(format!("{at}: unexpected field {k:?}")),
                    Some(Json::Bool(true)) | None => {}
                    Some(extra) => validate(root, extra, item, &path, errors),
                },
            }
        }
    }
}

fn errors_of(v: &Json) -> Vec<String> {
    let schema = schema();
    let mut errors = Vec::new();
    validate(&schema, &schema, v, "$", &mut errors);
    errors
}

#[test]
fn full_plan_validates() {
    let json = plan_json(&full_plan());
    let errors = errors_of(&json);
    assert!(errors.is_empty(), "{errors:#?}");
    // The fields the issue lists are all there on some change.
    let changes = json["resource_changes"].as_array().unwrap();
    for field in ["address", "mode", "type", "name", "provider_name", "change"] {
        assert!(changes.iter().all(|c| c.get(field).is_some()), "{field}");
    }
    for field in ["index", "action_reason", "previous_address"] {
        assert!(changes.iter().any(|c| c.get(field).is_some()), "{field}");
    }
    assert!(changes
        .iter()
        .any(|c| c["change"].get("replace_paths").is_some()));
    assert!(changes
        .iter()
        .any(|c| c["change"].get("importing").is_some()));
    assert!(!json["resource_drift"].as_array().unwrap().is_empty());
    assert!(!json["output_changes"].as_object().unwrap().is_empty());
}

#[test]
fn module_plan_and_mesh_plan_validate() {
    let mut c = change(
        "module.net[\"eu\"].aws_vpclattice_service.orders[0]",
        trellis_plan::Action::Create,
        None,
        Some(obj(&[
            ("id", trellis_types::Value::Unknown),
            ("name", s("orders")),
        ])),
    );
    c.location = Some(trellis_types::Location::new("1", "us-east-1"));
    let json = plan_json(&plan(vec![c]));
    assert_eq!(
        json["resource_changes"][0]["module_address"],
        "module.net[\"eu\"]"
    );
    assert_eq!(
        json["resource_changes"][0]["trellis_location"],
        json!({"provider_config_key": "aws", "account_id": "1", "region": "us-east-1"})
    );
    assert!(errors_of(&json).is_empty(), "{:#?}", errors_of(&json));

    // A provider that knows only its region: the account is null, not left out.
    let mut c = change(
        "aws_vpclattice_service.orders",
        trellis_plan::Action::Create,
        None,
        Some(obj(&[("name", s("orders"))])),
    );
    c.location = Some(trellis_types::Location {
        account: None,
        region: Some("eu-west-1".into()),
    });
    let json = plan_json(&plan(vec![c]));
    assert_eq!(
        json["resource_changes"][0]["trellis_location"]["account_id"],
        Json::Null
    );
    assert!(errors_of(&json).is_empty(), "{:#?}", errors_of(&json));

    let json = plan_json(&mesh_support::mesh_plan());
    assert!(errors_of(&json).is_empty(), "{:#?}", errors_of(&json));
    assert_eq!(json["connectivity"]["changes"].as_array().unwrap().len(), 5);
    assert_eq!(
        json["connectivity"]["warnings"].as_array().unwrap().len(),
        5
    );
}

#[test]
fn the_validator_rejects_what_it_should() {
    let good = plan_json(&full_plan());
    assert!(errors_of(&good).is_empty());

    let mut missing = good.clone();
    missing["resource_changes"][0]["change"]
        .as_object_mut()
        .unwrap()
        .remove("after_unknown");
    assert!(errors_of(&missing)
        .iter()
        .any(|e| e.contains("missing required \"after_unknown\"")));

    let mut extra = good.clone();
    extra["resource_changes"][0]["chnage"] = json!({});
    assert!(errors_of(&extra)
        .iter()
        .any(|e| e.contains("unexpected field \"chnage\"")));

    let mut bad_location = good.clone();
    bad_location["resource_changes"][0]["trellis_location"] =
        json!({"provider_config_key": "aws", "account_id": 1, "region": "us-east-1"});
    assert!(!errors_of(&bad_location).is_empty());

    let mut bad_action = good.clone();
    bad_action["resource_changes"][0]["change"]["actions"] = json!(["replace"]);
    assert!(!errors_of(&bad_action).is_empty());

    let mut bad_type = good.clone();
    bad_type["resource_changes"][0]["index"] = json!(true);
    assert!(errors_of(&bad_type)
        .iter()
        .any(|e| e.contains("expected type")));

    let mut bad_reason = good;
    bad_reason["resource_changes"][0]["action_reason"] = json!("because");
    assert!(!errors_of(&bad_reason).is_empty());
}
