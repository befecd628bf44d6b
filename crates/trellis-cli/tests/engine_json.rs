//! CLI tests of Terraform's JSON configuration syntax (`*.tf.json`) with the in-memory
//! provider: a configuration split between `.tf` and `.tf.json` files plans exactly as the
//! same configuration written in HCL only, applies, and re-plans with no changes; a module
//! written in JSON is loaded; mistakes in JSON files are diagnostics located in the JSON
//! file (file, line, column), exit 1, no state and no provider call.

mod common;

use common::{Dir, PROVIDER};

const HCL_MAIN: &str = r#"
variable "name" {
  type        = string
  default     = "orders"
  description = "the service name"
}

locals {
  full = "${var.name}-svc"
  tags = { team = "mesh", name = var.name }
}

resource "trellis_test_service" "svc" {
  name = local.full
  tags = local.tags
  lifecycle {
    create_before_destroy = true
  }
}

resource "trellis_test_listener" "http" {
  count      = 2
  name       = "l${count.index}"
  service_id = trellis_test_service.svc.id
  port       = 80 + count.index
  protocol   = "HTTP"
  depends_on = [trellis_test_service.svc]
  default_action {
    status_code = 404
  }
}

resource "trellis_test_thing" "rules" {
  name = "rules"
  dynamic "rule" {
    for_each = { a = 10, b = 20 }
    content {
      priority = rule.value
      path     = "/${rule.key}"
    }
  }
}

resource "trellis_test_thing" "fixed" {
  name  = "fixed"
  value = "say \"hi\" to ${upper("${var.name}")} \u00e9\\n $${literal}"
  rule {
    priority = 1
  }
  rule {
    priority = 2
    path     = "/two"
  }
}

module "thing" {
  source = "./modules/thing"
  name   = var.name
}

output "service_id" {
  value = trellis_test_service.svc.id
}
"#;

const HCL_MODULE: &str = r#"
variable "name" {
  type = string
}

resource "trellis_test_thing" "t" {
  name = "${var.name}-thing"
}

output "id" {
  value = trellis_test_thing.t.id
}
"#;

/// The same configuration: the variable and locals stay in HCL, the rest is JSON.
const JSON_MAIN: &str = r#"{
  "//": "written by a generator",
  "resource": {
    "trellis_test_service": {
      "svc": {
        "name": "${local.full}",
        "tags": "${local.tags}",
        "lifecycle": { "create_before_destroy": true }
      }
    },
    "trellis_test_listener": {
      "http": {
        "count": 2,
        "name": "l${count.index}",
        "service_id": "${trellis_test_service.svc.id}",
        "port": "${80 + count.index}",
        "protocol": "HTTP",
        "depends_on": ["trellis_test_service.svc"],
        "default_action": { "status_code": 404 }
      }
    },
    "trellis_test_thing": {
      "rules": {
        "name": "rules",
        "dynamic": {
          "rule": {
            "for_each": "${{ a = 10, b = 20 }}",
            "content": { "priority": "${rule.value}", "path": "/${rule.key}" }
          }
        }
      },
      "fixed": {
        "name": "fixed",
        "value": "say \"hi\" to ${upper(\"${var.name}\")} \u00e9\\n $${literal}",
        "rule": [{ "priority": 1 }, { "//": "the second rule", "priority": 2, "path": "/two" }]
      }
    }
  },
  "module": {
    "thing": { "source": "./modules/thing", "name": "${var.name}" }
  },
  "output": {
    "service_id": { "value": "${trellis_test_service.svc.id}" }
  }
}
"#;

const JSON_MODULE: &str = r#"{
  "variable": { "name": { "type": "string" } },
  "resource": { "trellis_test_thing": { "t": { "name": "${var.name}-thing" } } },
  "output": { "id": { "value": "${trellis_test_thing.t.id}" } }
}
"#;

const HCL_VARIABLES: &str = r#"
variable "name" {
  type        = string
  default     = "orders"
  description = "the service name"
}

locals {
  full = "${var.name}-svc"
  tags = { team = "mesh", name = var.name }
}
"#;

#[test]
fn mixed_hcl_and_json_plan_like_hcl_alone_then_apply_and_replan_clean() {
    let hcl = Dir::with_main(&format!("{PROVIDER}\n{HCL_MAIN}"));
    hcl.write("modules/thing/main.tf", HCL_MODULE);

    let json = Dir::with_main(&format!("{PROVIDER}\n{HCL_VARIABLES}"));
    json.write("main.tf.json", JSON_MAIN);
    json.write("modules/thing/main.tf.json", JSON_MODULE);

    let hcl_plan = hcl.run(&["plan"]);
    hcl_plan
        .ok()
        .contains("Plan: 6 to add, 0 to change, 0 to destroy.");
    let json_plan = json.run(&["plan"]);
    json_plan.ok();
    assert_eq!(hcl_plan.stdout, json_plan.stdout, "the same plan");

    let hcl_json = hcl.run(&["plan", "-json"]);
    let json_json = json.run(&["plan", "-json"]);
    hcl_json.ok();
    json_json.ok();
    // The same plan; only the hash of the configuration files differs.
    let without_hash = |text: &str| {
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["trellis"]["config_hash"] = serde_json::Value::Null;
        v
    };
    assert_eq!(
        without_hash(&hcl_json.stdout),
        without_hash(&json_json.stdout),
        "the same JSON plan"
    );

    json.apply(&[]);
    let listener = json
        .object_named("trellis_test_listener", "l1")
        .expect("listener l1 created");
    assert_eq!(listener["port"], 81);
    assert_eq!(listener["default_action"]["status_code"], 404);
    assert!(json
        .object_named("trellis_test_thing", "orders-thing")
        .is_some());
    json.run(&["plan"]).ok().contains("No changes.");
}

#[test]
fn mistakes_in_json_files_are_located_in_them() {
    let cases: &[(&str, &[&str])] = &[
        (
            "{\n  \"resource\": {\n    \"trellis_test_thing\": {\n      \"t\": { \"nmae\": \"x\" }\n    }\n  }\n}\n",
            &["main.tf.json line 4, column 15", "unsupported argument \"nmae\""],
        ),
        (
            "{\n  \"resource\": {\n    \"trellis_test_listener\": {\n      \"l\": {\n        \"name\": \"l\", \"service_id\": \"s\", \"port\": 80, \"protocol\": \"HTTP\",\n        \"default_action\": { \"staus_code\": 404 }\n      }\n    }\n  }\n}\n",
            &["main.tf.json line 6, column 30", "unsupported argument \"staus_code\" in default_action block"],
        ),
        (
            "{\n  \"resource\": {\n    \"trellis_test_listener\": {\n      \"l\": {\n        \"name\": \"l\", \"service_id\": \"s\", \"protocol\": \"HTTP\"\n      }\n    }\n  }\n}\n",
            &["main.tf.json line 5, column 10", "missing required argument \"port\""],
        ),
        (
            "{\n  \"resource\": {\n    \"trellis_test_thing\": {\n      \"t\": { \"name\": \"${var.missing}\" }\n    }\n  }\n}\n",
            &["main.tf.json line 4, column ", "var.missing"],
        ),
        (
            "{\n  \"resource\": {\n    \"trellis_test_thing\": {\n      \"t\": { \"name\": \"x\",, }\n    }\n  }\n}\n",
            &["main.tf.json line 4, column 26", "invalid JSON"],
        ),
    ];
    for (json, expected) in cases {
        let dir = Dir::with_main(PROVIDER);
        dir.write("main.tf.json", json);
        for command in ["validate", "plan"] {
            let run = dir.run(&[command]);
            run.expect_code(1);
            for needle in *expected {
                run.contains(needle);
            }
        }
        assert!(!dir.exists("world.json") && dir.state_list().is_empty());
    }
}
