//! The values known while planning or applying, and the [`Scope`] that expressions see.

use std::collections::{BTreeMap, HashMap};

use trellis_config::Config;
use trellis_eval::{eval_expr, Scope};
use trellis_types::{Address, InstanceKey, Mode, ModuleStep, SourceMap, Value};

/// Reads files for `file()` and `templatefile()`. The caller decides where files come from,
/// so that planning itself does no I/O.
pub trait Files: Send + Sync {
    fn read(&self, path: &str) -> Result<String, String>;
    /// Whether `path` is a regular file (`fileexists()`).
    fn exists(&self, path: &str) -> Result<bool, String> {
        Err(format!("cannot check {path:?} in this context"))
    }
    /// The regular files below `dir`, relative to it with `/` separators (`fileset()`).
    fn list(&self, dir: &str) -> Result<Vec<String>, String> {
        Err(format!("cannot list {dir:?} in this context"))
    }
    /// The absolute directory relative paths start from (`abspath()`).
    fn working_dir(&self) -> Option<String> {
        None
    }
    /// The user's home directory (`pathexpand()`).
    fn home_dir(&self) -> Option<String> {
        None
    }
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

impl Instances {
    /// Sets `field` of the object of the instance with `key` (a module instance's output),
    /// making the instance an object first when it is not one.
    pub fn set_field(&mut self, key: Option<&InstanceKey>, field: &str, value: Value) {
        let slot = match (&mut *self, key) {
            (Instances::Single(v), None) => Some(v),
            (Instances::Count(items), Some(InstanceKey::Int(i))) => {
                usize::try_from(*i).ok().and_then(|i| items.get_mut(i))
            }
            (Instances::ForEach(map), Some(InstanceKey::Str(k))) => map.get_mut(k),
            _ => None,
        };
        if let Some(slot) = slot {
            if !matches!(slot, Value::Map(_)) {
                *slot = Value::Map(BTreeMap::new());
            }
            if let Value::Map(map) = slot {
                map.insert(field.to_string(), value);
            }
        }
    }
}

/// Everything known so far: input variables, locals, and resource values.
#[derive(Debug, Clone, Default)]
pub struct Values {
    /// The root module's input variables.
    pub variables: BTreeMap<String, Value>,
    /// The root module's locals evaluated so far. A local not here is evaluated on demand.
    pub locals: BTreeMap<String, Value>,
    /// By resource address (no instance key; the module path with its instance keys).
    pub resources: HashMap<Address, Instances>,
    /// Input variables and locals of module instances other than the root, by instance
    /// path. What is not here is evaluated on demand (as apply does).
    pub modules: HashMap<Vec<ModuleStep>, ModuleValues>,
    /// `module.NAME` as the calling module instance sees it, by (caller's instance path,
    /// call name): one object of outputs per instance of the call.
    pub calls: HashMap<(Vec<ModuleStep>, String), Instances>,
}

/// The input variables and locals of one module instance.
#[derive(Debug, Clone, Default)]
pub struct ModuleValues {
    pub variables: BTreeMap<String, Value>,
    pub locals: BTreeMap<String, Value>,
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
    /// The module the expression is written in.
    pub config: &'a Config,
    /// The root module, for evaluating what a module instance needs from its callers.
    pub root: &'a Config,
    /// The instance path of the module the expression is evaluated in (empty: the root).
    pub module: &'a [ModuleStep],
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
            root: self.root,
            module: self.module,
            sources: self.sources,
            values: self.values,
            files: self.files,
            module_dir: self.module_dir,
            key,
        }
    }
}

impl<'a> EvalScope<'a> {
    /// The scope of the module instance `module`, whose configuration is `config`.
    pub fn at<'b>(&'b self, config: &'b Config, module: &'b [ModuleStep]) -> EvalScope<'b> {
        EvalScope {
            config,
            root: self.root,
            module,
            sources: self.sources,
            values: self.values,
            files: self.files,
            module_dir: self.module_dir,
            key: None,
        }
    }
}

impl Scope for EvalScope<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        if self.module.is_empty() {
            return self.values.variables.get(name).cloned();
        }
        if let Some(v) = self
            .values
            .modules
            .get(self.module)
            .and_then(|m| m.variables.get(name))
        {
            return Some(v.clone());
        }
        // Not evaluated yet (apply evaluates a module's inputs again with what it knows).
        self.config.variables.get(name)?;
        Some(crate::modules::variable_on_demand(self, name))
    }

    fn module(&self, name: &str) -> Option<Value> {
        let call = self.config.modules.get(name)?;
        let key = (self.module.to_vec(), name.to_string());
        if let Some(instances) = self.values.calls.get(&key) {
            return Some(instances.to_value());
        }
        Some(crate::modules::call_on_demand(self, call))
    }

    fn local(&self, name: &str) -> Option<Value> {
        let known = if self.module.is_empty() {
            self.values.locals.get(name)
        } else {
            self.values
                .modules
                .get(self.module)
                .and_then(|m| m.locals.get(name))
        };
        if let Some(v) = known {
            return Some(v.clone());
        }
        // Not evaluated yet (apply re-evaluates locals with the values known by then).
        let local = self.config.locals.get(name)?;
        let file = self.sources.get(&local.file)?;
        let scope = self.with_key(None);
        Some(eval_expr(&local.expr, &scope, file).unwrap_or(Value::Unknown))
    }

    fn resource(&self, mode: Mode, type_name: &str, name: &str) -> Option<Value> {
        let mut address = match mode {
            Mode::Managed => Address::managed(type_name, name),
            Mode::Data => Address::data(type_name, name),
        };
        address.module = self.module.to_vec();
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
            "module" => Some(self.config.dir().to_string()),
            "root" => Some(".".to_string()),
            "cwd" => Some(self.module_dir.to_string()),
            _ => None,
        }
    }

    fn read_file(&self, path: &str) -> Result<String, String> {
        self.files.read(path)
    }

    fn file_exists(&self, path: &str) -> Result<bool, String> {
        self.files.exists(path)
    }

    fn list_files(&self, dir: &str) -> Result<Vec<String>, String> {
        self.files.list(dir)
    }

    fn working_dir(&self) -> Option<String> {
        self.files.working_dir()
    }

    fn home_dir(&self) -> Option<String> {
        self.files.home_dir()
    }
}
