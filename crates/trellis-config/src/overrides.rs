//! Override files (`override.tf`, `*_override.tf` and their `.tf.json` forms), merged into
//! the blocks of the module's other files with Terraform's rules.
//!
//! A block of an override file changes the block of the same kind and name defined
//! elsewhere: each argument it sets replaces the original's (or is added); each nested block
//! type it has replaces every nested block of that type in the original (a `dynamic "x"`
//! block counts as type `x`), except `lifecycle`, which is merged argument by argument.
//! `locals` are overridden one name at a time, and the `terraform` block one setting at a
//! time (a `required_providers` entry per provider). Overriding something that is not
//! defined is an error located in the override file.
//!
//! The merge happens on the syntax trees before decoding, so the merged block is decoded
//! once like any other. Expressions keep the byte spans of the file they were written in,
//! while the merged item names the original file: a problem the planner finds while
//! evaluating an overriding argument is therefore shown at the original block's file.

use hcl_edit::structure::{Block, Body, Structure};

use crate::exprs::literal_string;

/// Whether a file name is an override file's.
pub(crate) fn is_override_file(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = base
        .strip_suffix(".tf.json")
        .or_else(|| base.strip_suffix(".tf"));
    matches!(stem, Some(s) if s == "override" || s.ends_with("_override"))
}

/// What identifies a top-level block for overriding: its type, labels and, for a provider,
/// its alias; `None` for blocks that are not overridden this way.
pub(crate) fn block_key(block: &Block) -> Option<String> {
    let kind = block.ident.as_str();
    match kind {
        "resource" | "data" | "variable" | "output" | "module" | "provider" => {}
        _ => return None,
    }
    let mut key: Vec<String> = std::iter::once(kind.to_string())
        .chain(block.labels.iter().map(|l| l.as_str().to_string()))
        .collect();
    if kind == "provider" {
        if let Some(alias) = block
            .body
            .get_attribute("alias")
            .and_then(|a| literal_string(&a.value))
        {
            key.push(alias);
        }
    }
    Some(key.join("\u{0}"))
}

/// How a block is named in messages: `resource "aws_x" "a"`.
pub(crate) fn block_title(block: &Block) -> String {
    let mut out = block.ident.as_str().to_string();
    for label in block.labels.iter() {
        out.push_str(&format!(" {:?}", label.as_str()));
    }
    if block.ident.as_str() == "provider" {
        if let Some(alias) = block
            .body
            .get_attribute("alias")
            .and_then(|a| literal_string(&a.value))
        {
            out.push_str(&format!(" (alias {alias:?})"));
        }
    }
    out
}

/// The nested block type a block stands for: its type, or the label of a `dynamic` block.
fn nested_type(block: &Block) -> String {
    match (block.ident.as_str(), block.labels.first()) {
        ("dynamic", Some(label)) => label.as_str().to_string(),
        (ident, _) => ident.to_string(),
    }
}

/// Merges the body of `over` into `base` with Terraform's override rules.
pub(crate) fn merge_block(base: &mut Block, over: &Block) {
    let resource = matches!(base.ident.as_str(), "resource" | "data");
    merge_body(&mut base.body, &over.body, resource);
}

fn merge_body(base: &mut Body, over: &Body, merge_lifecycle: bool) {
    let mut items: Vec<Structure> = std::mem::take(base).into_iter().collect();
    // Nested block types the override replaces wholesale.
    let replaced: Vec<String> = over
        .blocks()
        .filter(|b| !(merge_lifecycle && b.ident.as_str() == "lifecycle"))
        .map(nested_type)
        .collect();
    items.retain(|s| match s {
        Structure::Block(b) => !replaced.contains(&nested_type(b)),
        Structure::Attribute(_) => true,
    });
    for structure in over.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let existing = items.iter_mut().find(
                    |s| matches!(s, Structure::Attribute(a) if a.key.as_str() == attr.key.as_str()),
                );
                match existing {
                    Some(slot) => *slot = Structure::Attribute(attr.clone()),
                    None => items.push(Structure::Attribute(attr.clone())),
                }
            }
            Structure::Block(block) if merge_lifecycle && block.ident.as_str() == "lifecycle" => {
                let existing = items.iter_mut().find_map(|s| match s {
                    Structure::Block(b) if b.ident.as_str() == "lifecycle" => Some(b),
                    _ => None,
                });
                match existing {
                    Some(lifecycle) => merge_body(&mut lifecycle.body, &block.body, false),
                    None => items.push(Structure::Block(block.clone())),
                }
            }
            Structure::Block(block) => items.push(Structure::Block(block.clone())),
        }
    }
    *base = items.into_iter().collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_file_names() {
        for name in [
            "override.tf",
            "override.tf.json",
            "net_override.tf",
            "a_override.tf.json",
        ] {
            assert!(is_override_file(name), "{name}");
        }
        for name in ["main.tf", "overrides.tf", "override_x.tf", "myoverride.tf"] {
            assert!(!is_override_file(name), "{name}");
        }
    }

    fn block(text: &str) -> Block {
        let body = hcl_edit::parser::parse_body(text).unwrap();
        body.into_blocks().next().unwrap()
    }

    fn render(block: &Block) -> Vec<String> {
        block
            .body
            .iter()
            .map(|s| match s {
                Structure::Attribute(a) => {
                    format!("{}={}", a.key.as_str(), a.value.to_string().trim())
                }
                Structure::Block(b) => format!(
                    "{}[{}]",
                    nested_type(b),
                    b.body
                        .attributes()
                        .map(|a| format!("{}={}", a.key.as_str(), a.value.to_string().trim()))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            })
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn arguments_are_replaced_and_nested_blocks_wholesale() {
        let mut base = block(
            r#"resource "aws_x" "a" {
  name = "a"
  port = 80
  rule { x = 1 }
  rule { x = 2 }
  dynamic "rule" {
    for_each = []
    content {}
  }
  other { y = 1 }
  lifecycle {
    prevent_destroy = true
    create_before_destroy = false
  }
}"#,
        );
        let over = block(
            r#"resource "aws_x" "a" {
  port = 443
  extra = true
  rule { x = 3 }
  lifecycle { create_before_destroy = true }
}"#,
        );
        merge_block(&mut base, &over);
        assert_eq!(
            render(&base),
            [
                "name=\"a\"",
                "port=443",
                "other[y=1]",
                "lifecycle[prevent_destroy=true,create_before_destroy=true]",
                "extra=true",
                "rule[x=3]",
            ]
        );
    }

    #[test]
    fn provider_key_includes_the_alias() {
        let a = block("provider \"aws\" {\n alias = \"west\"\n}");
        let b = block("provider \"aws\" {\n region = \"x\"\n}");
        assert_ne!(block_key(&a), block_key(&b));
        assert_eq!(block_title(&a), "provider \"aws\" (alias \"west\")");
        assert_eq!(block_key(&block("moved {\n}")), None);
    }
}
