//! Snapshots of the JSON plan.

mod support;

use support::*;
use trellis_plan::Action;
use trellis_types::Value;
use trellis_views::plan_json;

#[test]
fn full_plan_as_json() {
    let json = plan_json(&full_plan());
    let text = serde_json::to_string_pretty(&json).unwrap();
    assert!(
        !text.contains(SECRET) && !text.contains(OLD_SECRET),
        "secret leaked"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn shape_of_one_change() {
    let mut c = change(
        "module.net[\"eu\"].aws_vpclattice_service.orders[0]",
        Action::DeleteThenCreate,
        Some(obj(&[
            ("id", s("svc-1")),
            ("port", n(80.0)),
            ("secret", s(OLD_SECRET)),
        ])),
        Some(obj(&[
            ("id", Value::Unknown),
            ("port", n(8080.0)),
            ("secret", s(SECRET)),
            ("list", list(&[s("a"), Value::Unknown])),
            ("nested", obj(&[("x", Value::Unknown), ("y", s("known"))])),
        ])),
    );
    c.provider = "aws.network".into();
    c.before_sensitive = vec![path("secret")];
    c.after_sensitive = vec![path("secret")];
    c.replace_paths = vec![path("port")];
    c.reason = Some(trellis_plan::Reason::ReplaceBecauseCannotUpdate);
    let json = plan_json(&plan(vec![c]));
    let rc = &json["resource_changes"][0];
    assert_eq!(
        rc["address"],
        "module.net[\"eu\"].aws_vpclattice_service.orders[0]"
    );
    assert_eq!(rc["module_address"], "module.net[\"eu\"]");
    assert_eq!(rc["index"], 0);
    assert_eq!(rc["provider_name"], "registry.terraform.io/hashicorp/aws");
    assert_eq!(rc["action_reason"], "replace_because_cannot_update");
    let ch = &rc["change"];
    assert_eq!(ch["actions"], serde_json::json!(["delete", "create"]));
    assert_eq!(ch["after"]["secret"], serde_json::Value::Null);
    assert!(
        ch["after"].get("id").is_none(),
        "unknown attributes are left out of after"
    );
    assert_eq!(
        ch["after_unknown"],
        serde_json::json!({"id": true, "list": [false, true], "nested": {"x": true}})
    );
    // As in Terraform: known collections stay (empty object, list of false), scalars that
    // are not sensitive are left out.
    assert_eq!(
        ch["after_sensitive"],
        serde_json::json!({"list": [false, false], "nested": {}, "secret": true})
    );
    assert_eq!(ch["before_sensitive"], serde_json::json!({"secret": true}));
    assert_eq!(ch["replace_paths"], serde_json::json!([["port"]]));
    let text = json.to_string();
    assert!(!text.contains(SECRET) && !text.contains(OLD_SECRET));
}
