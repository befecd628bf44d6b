//! The values known while planning or applying, and the [`Scope`] that expressions see.

use std::collections::{BTreeMap, HashMap};

use trellis_config::Config;
use trellis_eval::{eval_expr, Scope};
use trellis_types::{Address, InstanceKey, Mode, SourceMap, Value};

/// Reads files for `file()` and `templatefile()`. The caller decides where files come from,
/// so that planning itself does no I/O.
pub trait Files: Send + Sync {
    fn read(&self, path: &str) -> Result<String, String>;
}

/// No files at all (for tests).
pub struct NoFiles;

impl Files for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path:?} in this context"))
    }
}

/// The instances of one resource as expressions see them.
#[derive(Debug, Clone, PartialEq)]
pub enum Instances {
    Single(Value),
    Count(Vec<Value>),
    ForEach(BTreeMap<String, Value>),
    /// The set of instances is not known (yet).
    Unknown,
}

impl Instances {
    pub fn to_value(&self) -> Value {
        match self {
            Instances::Single(v) => v.clone(),
            Instances::Count(items) => Value::List(items.clone()),
            Instances::ForEach(map) => Value::Map(map.clone()),
            Instances::Unknown => Value::Unknown,
        }
    }

    /// Sets the value of the instance with `key`, growing a count list where needed.
    pub fn set(&mut self, key: Option<&InstanceKey>, value: Value) {
        match (self, key) {
            (Instances::Count(items), Some(InstanceKey::Int(i))) => {
                let i = usize::try_from(*i).unwrap_or(0);
                if items.len() <= i {
                    items.resize(i + 1, Value::Null);
                }
                items[i] = value;
            }
            (Instances::ForEach(map), Some(InstanceKey::Str(k))) => {
                map.insert(k.clone(), value);
            }
            (this, None) => *this = Instances::Single(value),
            (this, Some(InstanceKey::Int(i))) => {
                let mut items = vec![Value::Null; usize::try_from(*i).unwrap_or(0) + 1];
                items[usize::try_from(*i).unwrap_or(0)] = value;
                *this = Instances::Count(items);
            }
            (this, Some(InstanceKey::Str(k))) => {
                *this = Instances::ForEach(BTreeMap::from([(k.clone(), value)]));
            }
        }
    }
}

/// Everything known so far: input variables, locals, and resource values.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub variables: BTreeMap<String, Value>,
    /// Locals evaluated so far. A local not here is evaluated on demand.
    pub locals: BTreeMap<String, Value>,
    /// By resource address (no instance key).
    pub resources: HashMap<Address, Instances>,
}

impl Values {
    /// Records the value of one instance.
    pub fn set_instance(&mut self, address: &Address, value: Value) {
        self.resources
            .entry(address.resource())
            .or_insert(Instances::Unknown)
            .set(address.key.as_ref(), value);
    }
}

/// The scope of one expression: the known values, plus `count.index` or `each` of the
/// instance being evaluated.
pub struct EvalScope<'a> {
    pub config: &'a Config,
    pub sources: &'a SourceMap,
    pub values: &'a Values,
    pub files: &'a dyn Files,
    pub module_dir: &'a str,
    pub key: Option<KeyContext>,
}

/// `count.index` or `each.key` / `each.value` of an instance.
#[derive(Debug, Clone)]
pub enum KeyContext {
    Count(i64),
    Each(Value, Value),
    /// `count` or `for_each` is not known (`trellis validate` with unknown variables):
    /// `count.index`, `each.key` and `each.value` are unknown.
    Unknown,
}

impl EvalScope<'_> {
    pub fn with_key(&self, key: Option<KeyContext>) -> EvalScope<'_> {
        EvalScope {
            config: self.config,
            sources: self.sources,
            values: self.values,
            files: self.files,
            module_dir: self.module_dir,
            key,
        }
    }
}

impl Scope for EvalScope<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        self.values.variables.get(name).cloned()
    }

    fn local(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.values.locals.get(name) {
            return Some(v.clone());
        }
        // Not evaluated yet (apply re-evaluates locals with the values known by then).
        let local = self.config.locals.get(name)?;
        let file = self.sources.get(&local.file)?;
        let scope = self.with_key(None);
        Some(eval_expr(&local.expr, &scope, file).unwrap_or(Value::Unknown))
    }

    fn resource(&self, mode: Mode, type_name: &str, name: &str) -> Option<Value> {
        let address = match mode {
            Mode::Managed => Address::managed(type_name, name),
            Mode::Data => Address::data(type_name, name),
        };
        match self.values.resources.get(&address) {
            Some(instances) => Some(instances.to_value()),
            // Declared but not reached (for example a data source skipped by -target).
            None => Some(Value::Unknown),
        }
    }

    fn count_index(&self) -> Option<Value> {
        match &self.key {
            Some(KeyContext::Count(i)) => Some(Value::Number(*i as f64)),
            Some(KeyContext::Unknown) => Some(Value::Unknown),
            _ => None,
        }
    }

    fn each(&self) -> Option<(Value, Value)> {
        match &self.key {
            Some(KeyContext::Each(k, v)) => Some((k.clone(), v.clone())),
            Some(KeyContext::Unknown) => Some((Value::Unknown, Value::Unknown)),
            _ => None,
        }
    }

    fn path(&self, which: &str) -> Option<String> {
        match which {
            "module" | "root" => Some(".".to_string()),
            "cwd" => Some(self.module_dir.to_string()),
            _ => None,
        }
    }

    fn read_file(&self, path: &str) -> Result<String, String> {
        self.files.read(path)
    }
}
