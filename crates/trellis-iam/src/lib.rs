//! `data "aws_iam_policy_document"`, computed locally.
//!
//! [`read`] turns the data source's configuration into the `json`, `minified_json` and `id`
//! that the Terraform AWS provider (major versions 5 and 6, SDKv2 data source) computes, byte
//! for byte, so that a Lattice auth policy or an IAM policy written with this data source
//! plans without a diff against what Terraform wrote. [`schema`] is the data source's schema
//! with Terraform's argument names.
//!
//! The rules reproduced: statements keep their order; `actions`, `resources` and their `not_`
//! forms are sets, rendered as a bare string when they hold one element and otherwise sorted
//! in descending byte order; `principals` and `condition` blocks are visited in the plugin
//! SDK's set order (see `hash.rs`), principal types and condition operators and keys come out
//! sorted, identifiers of one principal type and values of one key are concatenated; type
//! `"*"` with identifier `"*"` alone renders as `"Principal": "*"`; `&{` becomes `${` in
//! resources, identifiers and condition values; source documents are merged first (a
//! duplicate `Sid` among them is an error), then the statements, then override documents,
//! each replacing statements with the same `Sid`; JSON is written as Go writes it (see
//! `render.rs`); `id` is the CRC-32 of `json` in decimal.
//!
//! What it is not: it calls no AWS API, does not check that actions or principals exist, and
//! knows nothing of the resources that consume the document. It is pure: values in, values
//! out.

mod hash;
mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};
use trellis_provider::{AttrType, Attribute, Block, Nesting, ResourceSchema};
use trellis_types::{Path, PathStep, Value};

/// The data source's type name.
pub const TYPE_NAME: &str = "aws_iam_policy_document";

const DEFAULT_VERSION: &str = "2012-10-17";
const VERSIONS: [&str; 2] = ["2008-10-17", "2012-10-17"];

/// What the provider refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An argument has a value the provider's schema or validation rejects.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    /// Two `statement` blocks have the same `sid`.
    #[error("statement[{index}]: duplicate sid {sid:?}; remove the sid or make it unique")]
    DuplicateSid { index: usize, sid: String },
    /// Two statements of the source documents have the same `Sid`.
    #[error("source_policy_documents[{document}]: duplicate sid {sid:?} (statement {statement}); remove the sid or make sids unique")]
    DuplicateSourceSid {
        document: usize,
        statement: usize,
        sid: String,
    },
    /// A source or override document is not JSON, or not a policy document.
    #[error("{argument}[{index}]: {message}")]
    Document {
        argument: &'static str,
        index: usize,
        message: String,
    },
}

fn invalid(path: &str, message: impl Into<String>) -> Error {
    Error::Invalid {
        path: path.to_string(),
        message: message.into(),
    }
}

/// The schema of `data "aws_iam_policy_document"`, with Terraform's names.
pub fn schema() -> ResourceSchema {
    let string = || AttrType::String;
    let string_set = || AttrType::Set(Box::new(AttrType::String));
    let string_list = || AttrType::List(Box::new(AttrType::String));
    let principals = || {
        Block::new()
            .attr("type", Attribute::required(string()))
            .attr("identifiers", Attribute::required(string_set()))
    };
    let statement = Block::new()
        .attr("sid", Attribute::optional(string()))
        .attr(
            "effect",
            Attribute::optional(string())
                .with_default(Value::string("Allow"))
                .describe("Allow or Deny"),
        )
        .attr("actions", Attribute::optional(string_set()))
        .attr("not_actions", Attribute::optional(string_set()))
        .attr("resources", Attribute::optional(string_set()))
        .attr("not_resources", Attribute::optional(string_set()))
        .block("principals", Nesting::Set, principals())
        .block("not_principals", Nesting::Set, principals())
        .block(
            "condition",
            Nesting::Set,
            Block::new()
                .attr("test", Attribute::required(string()))
                .attr("variable", Attribute::required(string()))
                .attr("values", Attribute::required(string_list())),
        );
    let block = Block::new()
        .attr(
            "version",
            Attribute::optional(string())
                .with_default(Value::string(DEFAULT_VERSION))
                .describe("2008-10-17 or 2012-10-17"),
        )
        .attr("policy_id", Attribute::optional(string()))
        .attr(
            "source_policy_documents",
            Attribute::optional(string_list()),
        )
        .attr(
            "override_policy_documents",
            Attribute::optional(string_list()),
        )
        // Removed in provider 5 and kept there, deprecated, only as an empty string.
        .attr(
            "source_json",
            Attribute::optional(string()).describe("not used; must be empty"),
        )
        .attr(
            "override_json",
            Attribute::optional(string()).describe("not used; must be empty"),
        )
        .block("statement", Nesting::List, statement)
        .attr("json", Attribute::computed(string()))
        .attr("minified_json", Attribute::computed(string()))
        .attr("id", Attribute::computed(string()));
    ResourceSchema {
        version: 0,
        block,
        description: "an IAM policy document rendered locally as the AWS provider renders it"
            .to_string(),
        import_id: None,
    }
}

/// The data source's value: `config` with the defaults filled in (`version`, each
/// statement's `effect`) and the computed `json`, `minified_json` and `id`.
///
/// When the configuration holds an unknown, the computed attributes are unknown. When it
/// holds a sensitive value, `json` and `minified_json` are marked sensitive, so that the
/// value does not leak through the rendered document.
pub fn read(config: &Value) -> Result<Value, Error> {
    let mut out = config.clone();
    if out.is_null() {
        out = Value::Map(BTreeMap::new());
    }
    // The engine hands the computed attributes in as null, at plan and at apply time.
    let plain = config.strip_marks();
    if plain.get("version").is_none_or(Value::is_null) {
        out.set_path(&key("version"), Value::string(DEFAULT_VERSION));
    }
    if let Some(statements) = plain.get("statement").and_then(Value::as_list) {
        for (i, s) in statements.iter().enumerate() {
            if s.get("effect").is_none_or(Value::is_null) {
                let mut path = key("statement");
                path.push(PathStep::Index(i));
                path.push(PathStep::Key("effect".into()));
                out.set_path(&path, Value::string("Allow"));
            }
        }
    }
    if plain.contains_unknown() {
        for k in ["json", "minified_json", "id"] {
            out.set_path(&key(k), Value::Unknown);
        }
        return Ok(out);
    }
    let doc = build(&plain)?;
    let value = doc.to_json();
    let json = render::pretty(&value);
    let minified = render::compact(&value);
    let id = hash::crc32(json.as_bytes()).to_string();
    let mark = |s: String| {
        let v = Value::String(s);
        if config.contains_sensitive() {
            v.into_sensitive()
        } else {
            v
        }
    };
    out.set_path(&key("json"), mark(json));
    out.set_path(&key("minified_json"), mark(minified));
    out.set_path(&key("id"), Value::String(id));
    Ok(out)
}

fn key(k: &str) -> Path {
    Path::from_keys([k])
}

// ---------------------------------------------------------------------------------------
// The document model, as the provider holds it before rendering.

/// Identifiers of a principal or values of a condition: one string, or a list.
#[derive(Debug, Clone, PartialEq)]
enum Strings {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone)]
struct Principal {
    ty: String,
    ids: Strings,
}

#[derive(Debug, Clone)]
struct Condition {
    test: String,
    variable: String,
    values: Strings,
}

#[derive(Debug, Clone, Default)]
struct Statement {
    sid: String,
    effect: String,
    // Any JSON: source documents may hold anything here, and it is written back as read.
    actions: Option<Json>,
    not_actions: Option<Json>,
    resources: Option<Json>,
    not_resources: Option<Json>,
    principals: Vec<Principal>,
    not_principals: Vec<Principal>,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Default)]
struct Doc {
    version: String,
    id: String,
    statements: Vec<Statement>,
}

impl Doc {
    /// Merges `new` into `self`: a non-empty `Id` is adopted, a greater `Version` (compared
    /// as strings) wins, a statement with a `Sid` replaces the first statement with that
    /// `Sid`, and every other statement is appended.
    fn merge(&mut self, new: Doc) {
        if !new.id.is_empty() {
            self.id = new.id;
        }
        if new.version > self.version {
            self.version = new.version;
        }
        for statement in new.statements {
            if !statement.sid.is_empty() {
                if let Some(slot) = self.statements.iter_mut().find(|s| s.sid == statement.sid) {
                    *slot = statement;
                    continue;
                }
            }
            self.statements.push(statement);
        }
    }

    fn to_json(&self) -> Json {
        let mut m = Map::new();
        put_str(&mut m, "Version", &self.version);
        put_str(&mut m, "Id", &self.id);
        if !self.statements.is_empty() {
            m.insert(
                "Statement".into(),
                Json::Array(self.statements.iter().map(Statement::to_json).collect()),
            );
        }
        Json::Object(m)
    }
}

fn put_str(m: &mut Map<String, Json>, k: &str, v: &str) {
    if !v.is_empty() {
        m.insert(k.into(), Json::String(v.into()));
    }
}

impl Statement {
    fn to_json(&self) -> Json {
        let mut m = Map::new();
        put_str(&mut m, "Sid", &self.sid);
        put_str(&mut m, "Effect", &self.effect);
        for (k, v) in [
            ("Action", &self.actions),
            ("NotAction", &self.not_actions),
            ("Resource", &self.resources),
            ("NotResource", &self.not_resources),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), v.clone());
            }
        }
        if !self.principals.is_empty() {
            m.insert("Principal".into(), principals_json(&self.principals));
        }
        if !self.not_principals.is_empty() {
            m.insert("NotPrincipal".into(), principals_json(&self.not_principals));
        }
        if !self.conditions.is_empty() {
            m.insert("Condition".into(), conditions_json(&self.conditions));
        }
        Json::Object(m)
    }
}

fn descending(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.reverse();
    v
}

fn strings_json(v: Vec<String>) -> Json {
    Json::Array(v.into_iter().map(Json::String).collect())
}

/// Principals grouped by type (types sorted). Identifiers of one type are concatenated in
/// the order of the principals; each list of several identifiers is sorted descending first.
fn principals_json(ps: &[Principal]) -> Json {
    if let [p] = ps {
        let star = match &p.ids {
            Strings::One(s) => s == "*",
            Strings::Many(v) => v.len() == 1 && v[0] == "*",
        };
        if p.ty == "*" && star {
            return Json::String("*".into());
        }
    }
    let mut raw: BTreeMap<&str, Strings> = BTreeMap::new();
    for p in ps {
        let next = match (raw.remove(p.ty.as_str()), &p.ids) {
            (None, Strings::Many(i)) => Strings::Many(descending(i.clone())),
            (None, Strings::One(s)) => Strings::One(s.clone()),
            (Some(Strings::One(v)), Strings::Many(i)) => {
                let mut all = vec![v];
                all.extend(descending(i.clone()));
                Strings::Many(all)
            }
            (Some(Strings::One(v)), Strings::One(s)) => Strings::Many(vec![v, s.clone()]),
            (Some(Strings::Many(mut all)), Strings::Many(i)) => {
                all.extend(descending(i.clone()));
                Strings::Many(all)
            }
            (Some(Strings::Many(mut all)), Strings::One(s)) => {
                all.push(s.clone());
                Strings::Many(all)
            }
        };
        raw.insert(&p.ty, next);
    }
    Json::Object(
        raw.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Strings::One(s) => Json::String(s),
                    Strings::Many(all) => strings_json(all),
                };
                (k.to_string(), v)
            })
            .collect(),
    )
}

/// Conditions grouped by operator and key (both sorted); values of one key concatenated in
/// the order of the conditions, a single value written as a string.
fn conditions_json(cs: &[Condition]) -> Json {
    let mut raw: BTreeMap<&str, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
    for c in cs {
        let values = raw
            .entry(&c.test)
            .or_default()
            .entry(&c.variable)
            .or_default();
        match &c.values {
            Strings::One(s) => values.push(s.clone()),
            Strings::Many(v) => values.extend(v.iter().cloned()),
        }
    }
    Json::Object(
        raw.into_iter()
            .map(|(test, vars)| {
                let vars = vars
                    .into_iter()
                    .map(|(var, mut values)| {
                        let v = if values.len() == 1 {
                            Json::String(values.remove(0))
                        } else {
                            strings_json(values)
                        };
                        (var.to_string(), v)
                    })
                    .collect();
                (test.to_string(), Json::Object(vars))
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------
// From the configuration.

fn build(config: &Value) -> Result<Doc, Error> {
    for k in ["source_json", "override_json"] {
        if config
            .get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
        {
            return Err(invalid(
                k,
                format!(
                    "no longer supported by the aws provider; use {}",
                    k.replace("json", "policy_documents")
                ),
            ));
        }
    }
    let mut merged = Doc::default();
    let mut sids = BTreeSet::new();
    for (index, text) in documents(config, "source_policy_documents")? {
        let doc = parse_document(&text).map_err(|message| Error::Document {
            argument: "source_policy_documents",
            index,
            message,
        })?;
        for (statement, s) in doc.statements.iter().enumerate() {
            if !s.sid.is_empty() && !sids.insert(s.sid.clone()) {
                return Err(Error::DuplicateSourceSid {
                    document: index,
                    statement,
                    sid: s.sid.clone(),
                });
            }
        }
        merged.merge(doc);
    }

    let version = match config.get("version") {
        None | Some(Value::Null) => DEFAULT_VERSION.to_string(),
        Some(v) => {
            let v = text(v, "version")?;
            if !VERSIONS.contains(&v.as_str()) {
                return Err(invalid(
                    "version",
                    format!("expected one of {VERSIONS:?}, got {v:?}"),
                ));
            }
            v
        }
    };
    let mut doc = Doc {
        version,
        id: opt_text(config.get("policy_id"), "policy_id")?.unwrap_or_default(),
        statements: Vec::new(),
    };
    let statements = config
        .get("statement")
        .and_then(Value::as_list)
        .unwrap_or_default();
    let mut sids = BTreeSet::new();
    for (i, s) in statements.iter().enumerate() {
        let statement = statement(s, i, &doc.version)?;
        if !statement.sid.is_empty() && !sids.insert(statement.sid.clone()) {
            return Err(Error::DuplicateSid {
                index: i,
                sid: statement.sid,
            });
        }
        doc.statements.push(statement);
    }
    merged.merge(doc);

    for (index, text) in documents(config, "override_policy_documents")? {
        let doc = parse_document(&text).map_err(|message| Error::Document {
            argument: "override_policy_documents",
            index,
            message,
        })?;
        merged.merge(doc);
    }
    Ok(merged)
}

/// The non-null documents of a list argument, with their indices.
fn documents(config: &Value, name: &str) -> Result<Vec<(usize, String)>, Error> {
    let mut out = Vec::new();
    for (i, v) in config
        .get(name)
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if !v.is_null() {
            out.push((i, text(v, &format!("{name}[{i}]"))?));
        }
    }
    Ok(out)
}

fn text(v: &Value, path: &str) -> Result<String, Error> {
    v.as_str().map(str::to_string).ok_or_else(|| {
        invalid(
            path,
            format!("a string is required, found {}", v.type_name()),
        )
    })
}

fn opt_text(v: Option<&Value>, path: &str) -> Result<Option<String>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => text(v, path).map(Some),
    }
}

/// The strings of a list or set attribute (null is an empty list).
fn texts(v: Option<&Value>, path: &str) -> Result<Vec<String>, Error> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => {
            let items = v.as_list().ok_or_else(|| {
                invalid(path, format!("a list is required, found {}", v.type_name()))
            })?;
            items
                .iter()
                .enumerate()
                .map(|(i, item)| text(item, &format!("{path}[{i}]")))
                .collect()
        }
    }
}

/// A set of strings as the SDK holds it: deduplicated, in hash order.
fn string_set(v: Option<&Value>, path: &str) -> Result<Vec<String>, Error> {
    Ok(hash::set_order(texts(v, path)?, |s| {
        hash::string_element(s)
    }))
}

/// The provider's rendering of a set of strings: one element as a string, several sorted
/// in descending order.
fn decode_strings(items: Vec<String>) -> Strings {
    if items.len() == 1 {
        Strings::One(items.into_iter().next().unwrap_or_default())
    } else {
        Strings::Many(descending(items))
    }
}

/// `&{` becomes `${` (Terraform would interpolate `${` itself); version 2008-10-17 knows no
/// policy variables, so there it is an error.
fn replace_vars(s: Strings, version: &str, path: &str) -> Result<Strings, Error> {
    let one = |s: String| {
        if version == "2008-10-17" && s.contains("&{") {
            Err(invalid(
                path,
                format!("found &{{ sequence in ({s}), which is not supported in document version 2008-10-17"),
            ))
        } else {
            Ok(s.replace("&{", "${"))
        }
    };
    Ok(match s {
        Strings::One(s) => Strings::One(one(s)?),
        Strings::Many(v) => Strings::Many(v.into_iter().map(one).collect::<Result<_, _>>()?),
    })
}

fn strings_to_json(s: Strings) -> Json {
    match s {
        Strings::One(s) => Json::String(s),
        Strings::Many(v) => strings_json(v),
    }
}

fn statement(s: &Value, i: usize, version: &str) -> Result<Statement, Error> {
    let at = |k: &str| format!("statement[{i}].{k}");
    let effect = opt_text(s.get("effect"), &at("effect"))?.unwrap_or_else(|| "Allow".into());
    if effect != "Allow" && effect != "Deny" {
        return Err(invalid(
            &at("effect"),
            format!("expected \"Allow\" or \"Deny\", got {effect:?}"),
        ));
    }
    let mut out = Statement {
        sid: opt_text(s.get("sid"), &at("sid"))?.unwrap_or_default(),
        effect,
        ..Statement::default()
    };
    let set = |k: &str, vars: bool| -> Result<Option<Json>, Error> {
        let items = string_set(s.get(k), &at(k))?;
        if items.is_empty() {
            return Ok(None);
        }
        let mut decoded = decode_strings(items);
        if vars {
            decoded = replace_vars(decoded, version, &at(k))?;
        }
        Ok(Some(strings_to_json(decoded)))
    };
    out.actions = set("actions", false)?;
    out.not_actions = set("not_actions", false)?;
    out.resources = set("resources", true)?;
    out.not_resources = set("not_resources", true)?;
    out.principals = principals(s.get("principals"), &at("principals"), version)?;
    out.not_principals = principals(s.get("not_principals"), &at("not_principals"), version)?;
    out.conditions = conditions(s.get("condition"), &at("condition"), version)?;
    Ok(out)
}

fn blocks(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_list).unwrap_or_default()
}

fn principals(v: Option<&Value>, path: &str, version: &str) -> Result<Vec<Principal>, Error> {
    let mut raw = Vec::new();
    for (j, b) in blocks(v).iter().enumerate() {
        let at = |k: &str| format!("{path}[{j}].{k}");
        let ty = opt_text(b.get("type"), &at("type"))?
            .ok_or_else(|| invalid(&at("type"), "the argument is required"))?;
        if b.get("identifiers").is_none_or(Value::is_null) {
            return Err(invalid(&at("identifiers"), "the argument is required"));
        }
        let ids = string_set(b.get("identifiers"), &at("identifiers"))?;
        raw.push((ty, ids, at("identifiers")));
    }
    // The SDK's serialization of a principals block: attributes sorted by name, the
    // identifiers set in its own order.
    let ordered = hash::set_order(raw, |(ty, ids, _)| {
        let ids: String = ids.iter().map(|s| hash::string_element(s)).collect();
        format!("identifiers:{{{ids}}};type:{ty};")
    });
    ordered
        .into_iter()
        .map(|(ty, ids, at)| {
            Ok(Principal {
                ty,
                ids: replace_vars(decode_strings(ids), version, &at)?,
            })
        })
        .collect()
}

fn conditions(v: Option<&Value>, path: &str, version: &str) -> Result<Vec<Condition>, Error> {
    let mut raw = Vec::new();
    for (j, b) in blocks(v).iter().enumerate() {
        let at = |k: &str| format!("{path}[{j}].{k}");
        let required = |k: &str| {
            opt_text(b.get(k), &at(k))?.ok_or_else(|| invalid(&at(k), "the argument is required"))
        };
        let test = required("test")?;
        let variable = required("variable")?;
        if b.get("values").is_none_or(Value::is_null) {
            return Err(invalid(&at("values"), "the argument is required"));
        }
        // A list: order and empty strings are kept.
        let values = texts(b.get("values"), &at("values"))?;
        raw.push((test, variable, values, at("values")));
    }
    let ordered = hash::set_order(raw, |(test, variable, values, _)| {
        let values: String = values.iter().map(|s| hash::string_element(s)).collect();
        format!("test:{test};values:({values});variable:{variable};")
    });
    ordered
        .into_iter()
        .map(|(test, variable, values, at)| {
            let values = replace_vars(Strings::Many(values), version, &at)?;
            let values = match values {
                Strings::Many(mut v) if v.len() == 1 => Strings::One(v.remove(0)),
                other => other,
            };
            Ok(Condition {
                test,
                variable,
                values,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// From a source or override document, following Go's `encoding/json` into the provider's
// structs: field names match case-insensitively, later keys overwrite earlier ones, unknown
// keys are ignored.

fn parse_document(text: &str) -> Result<Doc, String> {
    let json: Json = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut doc = Doc::default();
    let map = match json {
        Json::Null => return Ok(doc),
        Json::Object(m) => m,
        other => {
            return Err(format!(
                "a policy document must be an object, found {}",
                kind(&other)
            ))
        }
    };
    for (k, v) in &map {
        match field(k, &["Version", "Id", "Statement"]) {
            Some("Version") => doc.version = go_string(v, "Version")?.unwrap_or(doc.version),
            Some("Id") => doc.id = go_string(v, "Id")?.unwrap_or(doc.id),
            Some("Statement") => {
                doc.statements = match v {
                    Json::Null => Vec::new(),
                    Json::Array(items) => items
                        .iter()
                        .enumerate()
                        .map(|(i, s)| parse_statement(s).map_err(|e| format!("statement {i}: {e}")))
                        .collect::<Result<_, _>>()?,
                    other => {
                        return Err(format!("Statement must be a list, found {}", kind(other)))
                    }
                }
            }
            _ => {}
        }
    }
    Ok(doc)
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "list",
        Json::Object(_) => "object",
    }
}

fn field(key: &str, names: &[&'static str]) -> Option<&'static str> {
    names.iter().find(|n| n.eq_ignore_ascii_case(key)).copied()
}

/// A Go string field: null leaves the field as it is.
fn go_string(v: &Json, name: &str) -> Result<Option<String>, String> {
    match v {
        Json::Null => Ok(None),
        Json::String(s) => Ok(Some(s.clone())),
        other => Err(format!("{name} must be a string, found {}", kind(other))),
    }
}

/// Go decodes maps with sorted keys when it writes them back; keep that order here.
fn go_any(v: &Json) -> Json {
    match v {
        Json::Array(items) => Json::Array(items.iter().map(go_any).collect()),
        Json::Object(m) => {
            let sorted: BTreeMap<&String, Json> = m.iter().map(|(k, v)| (k, go_any(v))).collect();
            Json::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        other => other.clone(),
    }
}

fn parse_statement(v: &Json) -> Result<Statement, String> {
    let map = match v {
        Json::Object(m) => m,
        // Go leaves a nil statement, which the provider then dereferences; refuse it.
        other => return Err(format!("must be an object, found {}", kind(other))),
    };
    let mut s = Statement::default();
    const FIELDS: [&str; 9] = [
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    ];
    for (k, v) in map {
        let Some(name) = field(k, &FIELDS) else {
            continue;
        };
        let any = || (!v.is_null()).then(|| go_any(v));
        match name {
            "Sid" => s.sid = go_string(v, name)?.unwrap_or(s.sid),
            "Effect" => s.effect = go_string(v, name)?.unwrap_or(s.effect),
            "Action" => s.actions = any(),
            "NotAction" => s.not_actions = any(),
            "Resource" => s.resources = any(),
            "NotResource" => s.not_resources = any(),
            "Principal" => s.principals = parse_principals(v, name)?,
            "NotPrincipal" => s.not_principals = parse_principals(v, name)?,
            _ => s.conditions = parse_conditions(v)?,
        }
    }
    Ok(s)
}

fn parse_principals(v: &Json, name: &str) -> Result<Vec<Principal>, String> {
    match v {
        // Any string stands for everyone.
        Json::String(_) => Ok(vec![Principal {
            ty: "*".into(),
            ids: Strings::Many(vec!["*".into()]),
        }]),
        Json::Object(m) => m
            .iter()
            .map(|(ty, ids)| {
                let ids = match ids {
                    Json::String(s) => Strings::One(s.clone()),
                    Json::Array(items) => {
                        let mut out = items
                            .iter()
                            .map(|i| {
                                i.as_str().map(str::to_string).ok_or_else(|| {
                                    format!("{name} {ty:?} identifiers must be strings")
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        out.sort();
                        Strings::Many(out)
                    }
                    other => {
                        return Err(format!(
                            "{name} {ty:?} must be a string or a list, found {}",
                            kind(other)
                        ))
                    }
                };
                Ok(Principal {
                    ty: ty.clone(),
                    ids,
                })
            })
            .collect(),
        other => Err(format!(
            "{name} must be a string or an object, found {}",
            kind(other)
        )),
    }
}

fn parse_conditions(v: &Json) -> Result<Vec<Condition>, String> {
    let tests = match v {
        Json::Null => return Ok(Vec::new()),
        Json::Object(m) => m,
        other => {
            return Err(format!(
                "Condition must be an object, found {}",
                kind(other)
            ))
        }
    };
    let mut out = Vec::new();
    for (test, vars) in tests {
        let vars = match vars {
            Json::Null => continue,
            Json::Object(m) => m,
            other => {
                return Err(format!(
                    "Condition {test:?} must be an object, found {}",
                    kind(other)
                ))
            }
        };
        for (variable, values) in vars {
            let values = match values {
                Json::String(s) => Strings::Many(vec![s.clone()]),
                Json::Bool(b) => Strings::One(b.to_string()),
                Json::Array(items) => Strings::Many(
                    items
                        .iter()
                        .map(|i| {
                            i.as_str().map(str::to_string).ok_or_else(|| {
                                format!("Condition {test:?} {variable:?} values must be strings")
                            })
                        })
                        .collect::<Result<_, _>>()?,
                ),
                // The provider silently drops such a value, which would loosen the policy;
                // refusing it is the safer difference.
                other => {
                    return Err(format!(
                        "Condition {test:?} {variable:?} must be a string, a bool or a list of strings, found {}",
                        kind(other)
                    ))
                }
            };
            out.push(Condition {
                test: test.clone(),
                variable: variable.clone(),
                values,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
