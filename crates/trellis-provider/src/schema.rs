//! Schemas: what a provider's resource types look like, and what a difference means.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trellis_types::{Path, PathStep, Value};

/// The type of an attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrType {
    String,
    Number,
    Bool,
    List(Box<AttrType>),
    Set(Box<AttrType>),
    Map(Box<AttrType>),
    /// An object with fixed attributes (all optional).
    Object(BTreeMap<String, AttrType>),
    /// A JSON document held as a string; compared semantically.
    Json,
    Any,
}

/// One attribute of a resource or block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub ty: AttrType,
    pub required: bool,
    pub optional: bool,
    /// Set by the provider (possibly also settable: optional + computed).
    pub computed: bool,
    /// A change replaces the resource.
    pub force_new: bool,
    pub sensitive: bool,
    /// Default used when the configuration leaves the attribute unset.
    pub default: Option<Value>,
    pub description: String,
}

impl Attribute {
    fn new(ty: AttrType) -> Attribute {
        Attribute {
            ty,
            required: false,
            optional: false,
            computed: false,
            force_new: false,
            sensitive: false,
            default: None,
            description: String::new(),
        }
    }

    pub fn required(ty: AttrType) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(ty)
        }
    }

    pub fn optional(ty: AttrType) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(ty)
        }
    }

    pub fn computed(ty: AttrType) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(ty)
        }
    }

    /// Optional, and computed by the provider when left unset.
    pub fn optional_computed(ty: AttrType) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(ty)
        }
    }

    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }

    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    pub fn with_default(mut self, value: Value) -> Attribute {
        self.default = Some(value);
        self
    }

    pub fn describe(mut self, text: &str) -> Attribute {
        self.description = text.to_string();
        self
    }
}

/// How many times a nested block may appear and how it is held in a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nesting {
    /// At most once; held as an object, or null when absent.
    Single,
    /// Any number, ordered; held as a list of objects.
    List,
    /// Any number, unordered; held as a list of objects in a canonical order.
    Set,
}

/// A nested block type (`config { }`, `default_action { forward { } }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NestedBlock {
    pub nesting: Nesting,
    pub block: Block,
    pub required: bool,
    /// Adding, removing or changing the block replaces the resource, unless an attribute
    /// inside says otherwise.
    pub force_new: bool,
    pub max_items: Option<usize>,
    /// Terraform's "attributes as blocks" with a computed value (`ingress` of
    /// `aws_security_group`): when the configuration has no such block, the block is not
    /// managed and the planned value keeps what the prior value holds; the configuration may
    /// also write it as an attribute (`ingress = []`, to manage an empty set).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub computed: bool,
}

/// The attributes and nested blocks of a resource or block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub attributes: BTreeMap<String, Attribute>,
    pub blocks: BTreeMap<String, NestedBlock>,
}

impl Block {
    pub fn new() -> Block {
        Block::default()
    }

    pub fn attr(mut self, name: &str, attribute: Attribute) -> Block {
        self.attributes.insert(name.to_string(), attribute);
        self
    }

    pub fn block(mut self, name: &str, nesting: Nesting, block: Block) -> Block {
        self.blocks.insert(
            name.to_string(),
            NestedBlock {
                nesting,
                block,
                required: false,
                force_new: false,
                max_items: match nesting {
                    Nesting::Single => Some(1),
                    _ => None,
                },
                computed: false,
            },
        );
        self
    }

    /// Marks the nested block `name` computed (see [`NestedBlock::computed`]).
    pub fn block_computed(mut self, name: &str) -> Block {
        if let Some(b) = self.blocks.get_mut(name) {
            b.computed = true;
        }
        self
    }

    /// Marks the nested block `name` force-new.
    pub fn block_force_new(mut self, name: &str) -> Block {
        if let Some(b) = self.blocks.get_mut(name) {
            b.force_new = true;
        }
        self
    }

    /// Every name valid at this level, for "did you mean" suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .keys()
            .chain(self.blocks.keys())
            .map(String::as_str)
    }

    /// The attribute at `path` (through nested blocks, list indices and object keys), if the
    /// path names one, together with whether any enclosing block is force-new.
    pub fn attribute_at(&self, path: &Path) -> Option<(&Attribute, bool)> {
        let mut block = self;
        let mut force_new = false;
        let steps = path.steps();
        let mut i = 0;
        while i < steps.len() {
            let PathStep::Key(key) = &steps[i] else {
                return None;
            };
            if let Some(attribute) = block.attributes.get(key) {
                return Some((attribute, force_new || attribute.force_new));
            }
            let nested = block.blocks.get(key)?;
            force_new |= nested.force_new;
            block = &nested.block;
            i += 1;
            if nested.nesting != Nesting::Single && matches!(steps.get(i), Some(PathStep::Index(_)))
            {
                i += 1;
            }
        }
        None
    }

    /// Whether a change at `path` forces replacement: the attribute or an enclosing block is
    /// force-new. A path inside a block that names no attribute takes the block's rule.
    pub fn is_force_new(&self, path: &Path) -> bool {
        if let Some((_, force_new)) = self.attribute_at(path) {
            return force_new;
        }
        let mut block = self;
        let mut force_new = false;
        for step in path.steps() {
            if let PathStep::Key(key) = step {
                match block.blocks.get(key) {
                    Some(nested) => {
                        force_new |= nested.force_new;
                        block = &nested.block;
                    }
                    None => break,
                }
            }
        }
        force_new
    }

    /// Paths of every sensitive attribute present in `value`.
    pub fn sensitive_paths(&self, value: &Value) -> Vec<Path> {
        let mut out = Vec::new();
        collect_sensitive(self, value, &mut Path::root(), &mut out);
        out
    }
}

fn collect_sensitive(block: &Block, value: &Value, at: &mut Path, out: &mut Vec<Path>) {
    let Some(map) = value.as_map() else { return };
    for (name, attribute) in &block.attributes {
        if attribute.sensitive && map.get(name).is_some_and(|v| !v.is_null()) {
            out.push(at.key(name));
        }
    }
    for (name, nested) in &block.blocks {
        let Some(child) = map.get(name) else { continue };
        at.push(PathStep::Key(name.clone()));
        match nested.nesting {
            Nesting::Single => collect_sensitive(&nested.block, child, at, out),
            Nesting::List | Nesting::Set => {
                for (i, item) in child.as_list().unwrap_or_default().iter().enumerate() {
                    at.push(PathStep::Index(i));
                    collect_sensitive(&nested.block, item, at, out);
                    at.pop();
                }
            }
        }
        at.pop();
    }
}

/// The schema of one resource type or data source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSchema {
    pub version: u32,
    pub block: Block,
    pub description: String,
    /// The import ID format, as documentation (`service_identifier/listener_identifier`).
    pub import_id: Option<String>,
}

/// Every resource type and data source a provider offers, and its provider block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderSchema {
    pub provider: Block,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Block {
        Block::new()
            .attr("name", Attribute::required(AttrType::String).force_new())
            .attr("secret", Attribute::optional(AttrType::String).sensitive())
            .block(
                "config",
                Nesting::Single,
                Block::new()
                    .attr("port", Attribute::required(AttrType::Number).force_new())
                    .block(
                        "health_check",
                        Nesting::Single,
                        Block::new().attr("path", Attribute::optional(AttrType::String)),
                    ),
            )
            .block(
                "rule",
                Nesting::List,
                Block::new().attr("priority", Attribute::required(AttrType::Number)),
            )
            .block_force_new("rule")
    }

    #[test]
    fn force_new_through_blocks() {
        let s = schema();
        assert!(s.is_force_new(&Path::parse("name").unwrap()));
        assert!(s.is_force_new(&Path::parse("config.port").unwrap()));
        assert!(!s.is_force_new(&Path::parse("config.health_check.path").unwrap()));
        assert!(s.is_force_new(&Path::parse("rule[0].priority").unwrap()));
        assert!(s.is_force_new(&Path::parse("rule").unwrap()));
        assert!(!s.is_force_new(&Path::parse("secret").unwrap()));
    }

    #[test]
    fn sensitive_paths_only_where_set() {
        let s = schema();
        let v = Value::object([("name", Value::string("a")), ("secret", Value::Null)]);
        assert!(s.sensitive_paths(&v).is_empty());
        let v = Value::object([("secret", Value::string("x"))]);
        assert_eq!(s.sensitive_paths(&v), vec![Path::from_keys(["secret"])]);
    }
}
