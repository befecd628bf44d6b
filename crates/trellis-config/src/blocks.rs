//! Decoding of each top-level block type into its model type.
//!
//! Every function here reports what it finds wrong and goes on; it returns `None` only when
//! the block is too broken to be recorded at all.

use std::collections::BTreeMap;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body};
use hcl_edit::Span as _;
use trellis_types::{Address, Mode, Span};

use crate::diag::{did_you_mean, FileCx};
use crate::exprs::{is_identifier, literal_string, reference, Reference, Step};
use crate::model::*;
use crate::typeexpr::type_constraint;

/// Names a reference may start with that are not resource types.
const RESERVED_ROOTS: &[&str] = &[
    "var",
    "local",
    "module",
    "data",
    "each",
    "count",
    "path",
    "terraform",
    "self",
];

/// Variable names Terraform reserves for future meta-arguments of modules.
const RESERVED_VARIABLE_NAMES: &[&str] = &[
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "lifecycle",
    "depends_on",
    "locals",
];

pub(crate) const NAME_RULE: &str =
    "a name must start with a letter or underscore and may contain only letters, digits, underscores and dashes";

/// The attributes and nested blocks a block type accepts.
struct Schema {
    what: &'static str,
    attrs: &'static [&'static str],
    blocks: &'static [&'static str],
}

/// Reports every attribute and block of `body` that `schema` does not list.
fn check_body(cx: &mut FileCx, body: &Body, schema: &Schema) {
    for attr in body.attributes() {
        let key = attr.key.as_str();
        if !schema.attrs.contains(&key) {
            let summary = format!("unsupported argument `{key}` in {}", schema.what);
            let span = cx.span_of(&attr.key);
            match did_you_mean(key, schema.attrs) {
                Some(hint) => cx.error_with(summary, hint, span),
                None => cx.error(summary, span),
            }
        }
    }
    for block in body.blocks() {
        let ident = block.ident.as_str();
        if !schema.blocks.contains(&ident) {
            let summary = format!("unsupported block `{ident}` in {}", schema.what);
            let span = cx.span_of(&block.ident);
            match did_you_mean(ident, schema.blocks) {
                Some(hint) => cx.error_with(summary, hint, span),
                None => cx.error(summary, span),
            }
        }
    }
}

/// The span of a block's header: its type and labels, without the body.
pub(crate) fn header_span(cx: &FileCx, block: &Block) -> Span {
    // A block read from JSON has no span of its own, and its type key may be far from its
    // labels (several blocks share it): its labels stand for it, when it has any.
    let start = match (block.span(), block.labels.first()) {
        (None, Some(first)) => first.span().or_else(|| block.ident.span()),
        _ => block.ident.span(),
    }
    .map(|r| r.start);
    let end = block
        .labels
        .last()
        .and_then(|l| l.span())
        .or_else(|| block.ident.span())
        .map(|r| r.end);
    match (start, end) {
        (Some(start), Some(end)) => cx.file.span(start, end),
        _ => cx.span_of(block),
    }
}

/// The span of a block; a block read from JSON has none of its own (hcl-edit sets spans
/// only when it parses HCL), so its header stands for it.
pub(crate) fn block_span(cx: &FileCx, block: &Block) -> Span {
    match block.span() {
        Some(range) => cx.file.span(range.start, range.end),
        None => header_span(cx, block),
    }
}

/// The span of an attribute, from its key to the end of its value when it has none of
/// its own (read from JSON).
pub(crate) fn attr_span(cx: &FileCx, attr: &Attribute) -> Span {
    match (attr.span(), attr.key.span(), attr.value.span()) {
        (Some(range), _, _) => cx.file.span(range.start, range.end),
        (None, Some(key), Some(value)) => cx.file.span(key.start, value.end),
        _ => cx.span_of(&attr.key),
    }
}

/// Checks that `block` has one label per entry of `names` (e.g. `["type", "name"]`), each a
/// valid identifier, and returns their texts.
fn labels(cx: &mut FileCx, block: &Block, names: &[&str]) -> Option<Vec<String>> {
    let ident = block.ident.as_str();
    if block.labels.len() != names.len() {
        let a = if ident.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let expected = match names {
            [] => format!("{a} {ident} block has no labels"),
            [one] => format!("{a} {ident} block needs one label, its {one}"),
            many => format!(
                "{a} {ident} block needs {} labels: {}",
                many.len(),
                many.join(" and ")
            ),
        };
        let span = header_span(cx, block);
        cx.error_with(
            format!(
                "wrong number of labels for `{ident}`: found {}",
                block.labels.len()
            ),
            expected,
            span,
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (label, what) in block.labels.iter().zip(names) {
        let text = label.as_str();
        if !is_identifier(text) {
            let span = cx.span_of(label);
            cx.error_with(format!("invalid {ident} {what} {text:?}"), NAME_RULE, span);
            ok = false;
        }
        out.push(text.to_string());
    }
    ok.then_some(out)
}

fn no_labels(cx: &mut FileCx, block: &Block) -> bool {
    labels(cx, block, &[]).is_some()
}

fn bool_attr(cx: &mut FileCx, attr: &Attribute) -> Option<bool> {
    match &attr.value {
        Expression::Bool(b) => Some(*b.value()),
        other => {
            let span = cx.span_of(other);
            cx.error(
                format!("`{}` must be true or false", attr.key.as_str()),
                span,
            );
            None
        }
    }
}

fn string_attr(cx: &mut FileCx, attr: &Attribute) -> Option<String> {
    match literal_string(&attr.value) {
        Some(s) => Some(s),
        None => {
            let span = cx.span_of(&attr.value);
            cx.error(
                format!("`{}` must be a literal string", attr.key.as_str()),
                span,
            );
            None
        }
    }
}

/// `provider = aws` or `provider = aws.network`.
fn provider_ref(cx: &mut FileCx, expr: &Expression) -> Option<ProviderRef> {
    let span = cx.span_of(expr);
    let parsed = reference(expr, &cx.file.text);
    let valid = match &parsed {
        Some(Reference { root, steps }) => match steps.as_slice() {
            [] => Some((root.clone(), None)),
            [Step::Attr(alias)] => Some((root.clone(), Some(alias.clone()))),
            _ => None,
        },
        None => None,
    };
    match valid {
        Some((name, alias)) => Some(ProviderRef { name, alias, span }),
        None => {
            let detail = match literal_string(expr) {
                Some(text) => format!("remove the quotes: `provider = {text}`"),
                None => "expected a provider name such as `aws` or `aws.network`".to_string(),
            };
            cx.error_with("invalid provider reference", detail, span);
            None
        }
    }
}

/// The items of a list expression, or an error naming the meta-argument.
fn list_items<'e>(cx: &mut FileCx, attr: &'e Attribute) -> Option<Vec<&'e Expression>> {
    match &attr.value {
        Expression::Array(items) => Some(items.iter().collect()),
        other => {
            let span = cx.span_of(other);
            cx.error(format!("`{}` must be a list", attr.key.as_str()), span);
            None
        }
    }
}

/// `depends_on = [aws_x.a, data.aws_y.b, module.m]`.
fn depends_on(cx: &mut FileCx, attr: &Attribute) -> Vec<Traversal> {
    let mut out = Vec::new();
    for item in list_items(cx, attr).unwrap_or_default() {
        let span = cx.span_of(item);
        let Some(r) = reference(item, &cx.file.text) else {
            cx.error_with(
                "invalid depends_on reference",
                "expected a reference to a resource, data source or module, without quotes",
                span,
            );
            continue;
        };
        let whole_object = match (r.root.as_str(), r.steps.as_slice()) {
            ("module", [Step::Attr(_)]) => true,
            ("data", [Step::Attr(_), Step::Attr(_)])
            | ("data", [Step::Attr(_), Step::Attr(_), Step::Index(_) | Step::Key(_)]) => true,
            (root, [Step::Attr(_)]) | (root, [Step::Attr(_), Step::Index(_) | Step::Key(_)])
                if !RESERVED_ROOTS.contains(&root) =>
            {
                true
            }
            _ => false,
        };
        if !whole_object {
            cx.error_with(
                "invalid depends_on reference",
                format!(
                    "`{}` is not a whole resource, data source or module; depends_on cannot name attributes, variables or locals",
                    r.text()
                ),
                span,
            );
            continue;
        }
        out.push(Traversal {
            text: r.text(),
            span,
        });
    }
    out
}

fn lifecycle(cx: &mut FileCx, block: &Block, mode: Mode) -> Lifecycle {
    no_labels(cx, block);
    let schema = Schema {
        what: "a lifecycle block",
        attrs: &[
            "create_before_destroy",
            "prevent_destroy",
            "ignore_changes",
            "replace_triggered_by",
        ],
        blocks: &["precondition", "postcondition"],
    };
    check_body(cx, &block.body, &schema);
    let mut out = Lifecycle::default();
    for attr in block.body.attributes() {
        if mode == Mode::Data && schema.attrs.contains(&attr.key.as_str()) {
            let span = cx.span_of(&attr.key);
            cx.error(
                format!("`{}` is not allowed for data sources", attr.key.as_str()),
                span,
            );
            continue;
        }
        match attr.key.as_str() {
            "create_before_destroy" => {
                out.create_before_destroy = bool_attr(cx, attr).unwrap_or(false);
            }
            "prevent_destroy" => out.prevent_destroy = bool_attr(cx, attr).unwrap_or(false),
            "ignore_changes" => out.ignore_changes = ignore_changes(cx, attr),
            "replace_triggered_by" => out.replace_triggered_by = replace_triggered_by(cx, attr),
            _ => {}
        }
    }
    out
}

/// `ignore_changes = all` or `ignore_changes = [tags["team"], config.health_check]`.
fn ignore_changes(cx: &mut FileCx, attr: &Attribute) -> IgnoreChanges {
    if let Expression::Variable(v) = &attr.value {
        if v.as_str() == "all" {
            return IgnoreChanges::All;
        }
    }
    if literal_string(&attr.value).as_deref() == Some("all") {
        let span = cx.span_of(&attr.value);
        cx.warning_with(
            "quoted keyword in ignore_changes",
            "write `ignore_changes = all` without quotes",
            span,
        );
        return IgnoreChanges::All;
    }
    let Expression::Array(items) = &attr.value else {
        let span = cx.span_of(&attr.value);
        cx.error_with(
            "invalid ignore_changes",
            "expected `all` or a list of attribute names such as `[tags, config.port]`",
            span,
        );
        return IgnoreChanges::None;
    };
    let mut paths = Vec::new();
    for item in items.iter() {
        let span = cx.span_of(item);
        let path = match (reference(item, &cx.file.text), literal_string(item)) {
            (Some(r), _) => r.to_path(),
            (None, Some(text)) => {
                let path = trellis_types::Path::parse(&text).filter(|p| !p.is_root());
                if path
                    .as_ref()
                    .is_some_and(|p| p.first_key().is_some_and(|k| k != "all"))
                {
                    cx.warning_with(
                        "quoted attribute name in ignore_changes",
                        format!("write `{text}` without quotes"),
                        span.clone(),
                    );
                }
                path
            }
            (None, None) => None,
        };
        match path {
            Some(path) if path.first_key().is_some_and(|k| k != "all") => paths.push(path),
            _ => cx.error_with(
                "invalid ignore_changes entry",
                "expected an attribute name with literal keys or indexes, such as `tags[\"team\"]`",
                span,
            ),
        }
    }
    IgnoreChanges::Paths(paths)
}

/// `replace_triggered_by = [aws_x.a, aws_x.b.id]`.
fn replace_triggered_by(cx: &mut FileCx, attr: &Attribute) -> Vec<Expression> {
    let mut out = Vec::new();
    for item in list_items(cx, attr).unwrap_or_default() {
        let ok = match reference(item, &cx.file.text) {
            Some(r) => {
                let resource = (!RESERVED_ROOTS.contains(&r.root.as_str()) && !r.steps.is_empty())
                    || (r.root == "data" && r.steps.len() >= 2);
                resource && matches!(r.steps.first(), Some(Step::Attr(_)))
            }
            None => false,
        };
        if ok {
            out.push(item.clone());
        } else {
            let span = cx.span_of(item);
            cx.error_with(
                "invalid replace_triggered_by reference",
                "expected a reference to a managed resource or one of its attributes",
                span,
            );
        }
    }
    out
}

/// Checks `dynamic` blocks anywhere in a resource body.
fn check_dynamic_blocks(cx: &mut FileCx, body: &Body) {
    for block in body.blocks() {
        if block.ident.as_str() != "dynamic" {
            check_dynamic_blocks(cx, &block.body);
            continue;
        }
        labels(cx, block, &["block type"]);
        check_body(
            cx,
            &block.body,
            &Schema {
                what: "a dynamic block",
                attrs: &["for_each", "iterator", "labels"],
                blocks: &["content"],
            },
        );
        if !block.body.has_attribute("for_each") {
            let span = header_span(cx, block);
            cx.error("dynamic block has no `for_each`", span);
        }
        if let Some(iterator) = block.body.get_attribute("iterator") {
            if !matches!(iterator.value, Expression::Variable(_)) {
                let span = cx.span_of(&iterator.value);
                cx.error_with(
                    "invalid iterator",
                    "expected a bare name such as `rule`",
                    span,
                );
            }
        }
        let contents: Vec<&Block> = block.body.get_blocks("content").collect();
        match contents.as_slice() {
            [content] => {
                no_labels(cx, content);
                check_dynamic_blocks(cx, &content.body);
            }
            [] => {
                let span = header_span(cx, block);
                cx.error("dynamic block has no `content` block", span);
            }
            [_, extra, ..] => {
                let span = header_span(cx, extra);
                cx.error("dynamic block has more than one `content` block", span);
            }
        }
    }
}

/// The `count` and `for_each` of a resource or module block; both set is an error at
/// `for_each`.
fn count_and_for_each(cx: &mut FileCx, body: &Body) -> (Option<Expression>, Option<Expression>) {
    let count = body.get_attribute("count").map(|a| a.value.clone());
    let for_each = body.get_attribute("for_each").map(|a| a.value.clone());
    if let (Some(_), Some(attr)) = (&count, body.get_attribute("for_each")) {
        let span = cx.span_of(&attr.key);
        cx.error_with(
            "count and for_each cannot both be set",
            "use one of them to make several instances",
            span,
        );
    }
    (count, for_each)
}

/// Reads a `resource` or `data` block; its body moves into the model.
pub(crate) fn resource(cx: &mut FileCx, block: &mut Block, mode: Mode) -> Option<Resource> {
    let names = labels(cx, block, &["type", "name"])?;
    let [type_name, name] = <[String; 2]>::try_from(names).ok()?;
    let mut body = std::mem::take(&mut block.body);

    let (count, for_each) = count_and_for_each(cx, &body);
    let provider = body
        .get_attribute("provider")
        .and_then(|a| provider_ref(cx, &a.value));
    let depends = body
        .get_attribute("depends_on")
        .map(|a| depends_on(cx, a))
        .unwrap_or_default();

    let mut lifecycle_out = Lifecycle::default();
    for (i, lc) in body.get_blocks("lifecycle").enumerate() {
        if i == 0 {
            lifecycle_out = lifecycle(cx, lc, mode);
        } else {
            let span = header_span(cx, lc);
            cx.error("duplicate lifecycle block", span);
        }
    }
    for unsupported in ["provisioner", "connection"] {
        for b in body.get_blocks(unsupported) {
            let span = header_span(cx, b);
            cx.error(format!("{unsupported} blocks are not supported"), span);
        }
    }
    check_dynamic_blocks(cx, &body);

    for meta in ["count", "for_each", "provider", "depends_on"] {
        body.remove_attribute(meta);
    }
    for meta in ["lifecycle", "provisioner", "connection"] {
        body.remove_blocks(meta);
    }

    Some(Resource {
        mode,
        type_span: block
            .labels
            .first()
            .map(|l| cx.span_of(l))
            .unwrap_or_else(|| cx.span_of(block)),
        type_name,
        name,
        provider,
        count,
        for_each,
        depends_on: depends,
        lifecycle: lifecycle_out,
        body,
        file: cx.file.name.clone(),
        span: block_span(cx, block),
    })
}

/// Reads a `provider` block; its body moves into the model.
pub(crate) fn provider(cx: &mut FileCx, block: &mut Block) -> Option<ProviderConfig> {
    let [name] = <[String; 1]>::try_from(labels(cx, block, &["name"])?).ok()?;
    let mut body = std::mem::take(&mut block.body);
    let alias = match body.remove_attribute("alias") {
        Some(attr) => {
            let alias = string_attr(cx, &attr);
            if let Some(alias) = &alias {
                if !is_identifier(alias) {
                    let span = cx.span_of(&attr.value);
                    cx.error_with(format!("invalid provider alias {alias:?}"), NAME_RULE, span);
                    return None;
                }
            }
            alias
        }
        None => None,
    };
    Some(ProviderConfig {
        name,
        alias,
        body,
        file: cx.file.name.clone(),
        span: block_span(cx, block),
    })
}

pub(crate) fn variable(cx: &mut FileCx, block: &Block) -> Option<Variable> {
    let [name] = <[String; 1]>::try_from(labels(cx, block, &["name"])?).ok()?;
    if RESERVED_VARIABLE_NAMES.contains(&name.as_str()) {
        let span = header_span(cx, block);
        cx.error_with(
            format!("invalid variable name {name:?}"),
            "this name is reserved for a meta-argument",
            span,
        );
    }
    check_body(
        cx,
        &block.body,
        &Schema {
            what: "a variable block",
            attrs: &["type", "default", "description", "sensitive", "nullable"],
            blocks: &["validation"],
        },
    );
    let body = &block.body;
    let mut variable = Variable {
        name,
        ty: None,
        default: body.get_attribute("default").map(|a| a.value.clone()),
        description: None,
        sensitive: false,
        nullable: true,
        validations: Vec::new(),
        file: cx.file.name.clone(),
        span: block_span(cx, block),
    };
    for attr in body.attributes() {
        match attr.key.as_str() {
            "type" => variable.ty = type_constraint(cx, &attr.value),
            "description" => variable.description = string_attr(cx, attr),
            "sensitive" => variable.sensitive = bool_attr(cx, attr).unwrap_or(false),
            "nullable" => variable.nullable = bool_attr(cx, attr).unwrap_or(true),
            _ => {}
        }
    }
    for v in body.get_blocks("validation") {
        no_labels(cx, v);
        check_body(
            cx,
            &v.body,
            &Schema {
                what: "a validation block",
                attrs: &["condition", "error_message"],
                blocks: &[],
            },
        );
        let condition = v.body.get_attribute("condition").map(|a| a.value.clone());
        let message = v
            .body
            .get_attribute("error_message")
            .map(|a| a.value.clone());
        for (present, attr) in [
            (condition.is_some(), "condition"),
            (message.is_some(), "error_message"),
        ] {
            if !present {
                let span = header_span(cx, v);
                cx.error(format!("validation block has no `{attr}`"), span);
            }
        }
        if let (Some(condition), Some(error_message)) = (condition, message) {
            variable.validations.push(Validation {
                condition,
                error_message,
                span: block_span(cx, v),
            });
        }
    }
    Some(variable)
}

pub(crate) fn output(cx: &mut FileCx, block: &Block) -> Option<Output> {
    let [name] = <[String; 1]>::try_from(labels(cx, block, &["name"])?).ok()?;
    check_body(
        cx,
        &block.body,
        &Schema {
            what: "an output block",
            attrs: &["value", "description", "sensitive", "depends_on"],
            blocks: &["precondition"],
        },
    );
    let body = &block.body;
    let mut description = None;
    let mut sensitive = false;
    let mut depends = Vec::new();
    for attr in body.attributes() {
        match attr.key.as_str() {
            "description" => description = string_attr(cx, attr),
            "sensitive" => sensitive = bool_attr(cx, attr).unwrap_or(false),
            "depends_on" => depends = depends_on(cx, attr),
            _ => {}
        }
    }
    let Some(value) = body.get_attribute("value") else {
        let span = header_span(cx, block);
        cx.error(format!("output `{name}` has no `value`"), span);
        return None;
    };
    Some(Output {
        name,
        value: value.value.clone(),
        description,
        sensitive,
        depends_on: depends,
        file: cx.file.name.clone(),
        span: block_span(cx, block),
    })
}

/// `locals { a = 1 }`: the locals in source order.
pub(crate) fn locals(cx: &mut FileCx, block: &Block) -> Vec<Local> {
    no_labels(cx, block);
    for nested in block.body.blocks() {
        let span = header_span(cx, nested);
        cx.error_with(
            "unexpected block in locals",
            "locals only holds `name = expression` definitions",
            span,
        );
    }
    block
        .body
        .attributes()
        .map(|attr| Local {
            name: attr.key.as_str().to_string(),
            expr: attr.value.clone(),
            file: cx.file.name.clone(),
            span: attr_span(cx, attr),
        })
        .collect()
}

/// Merges one `terraform { }` block into `terraform`.
pub(crate) fn terraform(cx: &mut FileCx, block: &Block, terraform: &mut Terraform) {
    no_labels(cx, block);
    check_body(
        cx,
        &block.body,
        &Schema {
            what: "a terraform block",
            attrs: &["required_version", "experiments"],
            blocks: &["required_providers", "backend", "cloud", "provider_meta"],
        },
    );
    if terraform.span.is_none() {
        terraform.span = Some(header_span(cx, block));
    }
    if let Some(attr) = block.body.get_attribute("required_version") {
        if let Some(v) = string_attr(cx, attr) {
            terraform.required_version.get_or_insert(v);
        }
    }
    for rp in block.body.get_blocks("required_providers") {
        no_labels(cx, rp);
        for blk in rp.body.blocks() {
            let span = header_span(cx, blk);
            cx.error("unexpected block in required_providers", span);
        }
        for attr in rp.body.attributes() {
            let name = attr.key.as_str().to_string();
            let source = match &attr.value {
                Expression::Object(object) => {
                    let mut source = None;
                    for (key, value) in object.iter() {
                        let key_text = match key {
                            hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                            hcl_edit::expr::ObjectKey::Expression(e) => {
                                literal_string(e).unwrap_or_default()
                            }
                        };
                        match key_text.as_str() {
                            "source" | "version" => match literal_string(value.expr()) {
                                Some(text) if key_text == "source" => source = Some(text),
                                Some(_) => {}
                                None => {
                                    let span = cx.span_of(value.expr());
                                    cx.error_with(
                                        format!("`{key_text}` must be a literal string"),
                                        "required_providers is read before anything is evaluated: write the value itself, without references or interpolation",
                                        span,
                                    );
                                }
                            },
                            "configuration_aliases" => {}
                            other => {
                                let span = cx.span_of(key);
                                cx.error(
                                    format!("unsupported argument `{other}` in required_providers"),
                                    span,
                                );
                            }
                        }
                    }
                    source.unwrap_or_else(|| format!("hashicorp/{name}"))
                }
                // The pre-0.13 form `aws = "~> 5.0"` gives only a version.
                value if literal_string(value).is_some() => format!("hashicorp/{name}"),
                other => {
                    let span = cx.span_of(other);
                    cx.error_with(
                        "invalid provider requirement",
                        "expected `{ source = \"...\", version = \"...\" }`",
                        span,
                    );
                    continue;
                }
            };
            terraform.required_providers.insert(name, source);
        }
    }
    for backend in block.body.get_blocks("backend") {
        let Some(names) = labels(cx, backend, &["type"]) else {
            continue;
        };
        if let Some(first) = &terraform.backend {
            let span = header_span(cx, backend);
            cx.error_with(
                "duplicate backend configuration",
                format!("the backend is already configured at {}", first.span),
                span,
            );
            continue;
        }
        let kind = names.into_iter().next().unwrap_or_default();
        let settings = backend_settings(cx, backend, &kind);
        terraform.backend = Some(Backend {
            kind,
            body: backend.body.clone(),
            settings,
            file: cx.file.name.clone(),
            span: cx.span_of(backend),
        });
    }
    for cloud in block.body.get_blocks("cloud") {
        let span = header_span(cx, cloud);
        cx.error("the cloud block is not supported", span);
    }
}

/// The arguments of a `backend "KIND" { }` block, checked against [`BACKEND_ARGUMENTS`].
///
/// Backend arguments are read before anything is evaluated (the state comes first), so,
/// as in Terraform, they must be constants: no variables, locals or functions.
fn backend_settings(
    cx: &mut FileCx,
    block: &Block,
    kind: &str,
) -> BTreeMap<String, BackendSetting> {
    let mut settings = BTreeMap::new();
    let Some((_, known)) = BACKEND_ARGUMENTS.iter().find(|(k, _)| *k == kind) else {
        let span = header_span(cx, block);
        let kinds: Vec<&str> = BACKEND_ARGUMENTS.iter().map(|(k, _)| *k).collect();
        cx.error_with(
            format!("unsupported backend type `{kind}`"),
            format!("trellis keeps state in one of: {}", kinds.join(", ")),
            span,
        );
        return settings;
    };
    let mut arguments: Vec<(String, &Attribute)> = block
        .body
        .attributes()
        .map(|a| (a.key.as_str().to_string(), a))
        .collect();
    for nested in block.body.blocks() {
        let name = nested.ident.as_str();
        if !known.iter().any(|k| k.starts_with(&format!("{name}."))) {
            let span = cx.span_of(&nested.ident);
            let blocks: Vec<&str> = known
                .iter()
                .filter_map(|k| k.split_once('.'))
                .map(|(b, _)| b)
                .collect();
            let summary = format!("unsupported block `{name}` in the {kind} backend");
            match did_you_mean(name, &blocks) {
                Some(hint) => cx.error_with(summary, hint, span),
                None => cx.error(summary, span),
            }
            continue;
        }
        no_labels(cx, nested);
        for attr in nested.body.attributes() {
            arguments.push((format!("{name}.{}", attr.key.as_str()), attr));
        }
    }
    for (name, attr) in arguments {
        if !known.contains(&name.as_str()) {
            let span = cx.span_of(&attr.key);
            let summary = format!("unsupported argument `{name}` in the {kind} backend");
            if name == "dynamodb_table" {
                cx.error_with(
                    summary,
                    "trellis locks S3 state with a lock object beside it (use_lockfile), not DynamoDB",
                    span,
                );
                continue;
            }
            match did_you_mean(&name, known) {
                Some(hint) => cx.error_with(summary, hint, span),
                None => cx.error(summary, span),
            }
            continue;
        }
        let span = cx.span_of(&attr.value);
        let text = match crate::exprs::constant(&attr.value) {
            Some(trellis_types::Value::String(s)) => s,
            Some(trellis_types::Value::Bool(b)) => b.to_string(),
            Some(trellis_types::Value::Number(n)) if n.fract() == 0.0 => format!("{}", n as i64),
            Some(trellis_types::Value::Number(n)) => n.to_string(),
            Some(trellis_types::Value::List(items)) => {
                let mut parts = Vec::new();
                for item in items {
                    match item {
                        trellis_types::Value::String(s) => parts.push(s),
                        _ => {
                            cx.error(format!("`{name}` must be a list of strings"), span.clone());
                            break;
                        }
                    }
                }
                parts.join(",")
            }
            Some(_) => {
                cx.error(format!("`{name}` must be a string, number or bool"), span);
                continue;
            }
            None => {
                cx.error_with(
                    format!("`{name}` must be a constant"),
                    "a backend block is read before anything is evaluated: no variables, locals or functions; pass values from CI with -backend-config=KEY=VALUE",
                    span,
                );
                continue;
            }
        };
        settings.insert(name, BackendSetting { value: text, span });
    }
    settings
}

/// An address written as a reference in a `moved` block.
fn moved_address(cx: &mut FileCx, block: &Block, key: &str) -> Option<(Address, Span)> {
    let Some(attr) = block.body.get_attribute(key) else {
        let span = header_span(cx, block);
        cx.error(format!("moved block has no `{key}`"), span);
        return None;
    };
    let span = cx.span_of(&attr.value);
    let Some(r) = reference(&attr.value, &cx.file.text) else {
        cx.error_with(
            format!("invalid moved `{key}` address"),
            "expected a resource address such as `aws_x.a` or `aws_x.a[\"k\"]`, without quotes",
            span,
        );
        return None;
    };
    match Address::parse(&r.text()) {
        Ok(address) if address.module.is_empty() && !RESERVED_ROOTS.contains(&r.root.as_str()) => {
            Some((address, span))
        }
        Ok(address) if address.mode == Mode::Data => {
            cx.error("data sources cannot be moved", span);
            None
        }
        Ok(_) => {
            cx.error_with(
                format!("invalid moved `{key}` address"),
                format!("`{}` is not a resource address in this module", r.text()),
                span,
            );
            None
        }
        Err(e) => {
            cx.error_with(format!("invalid moved `{key}` address"), e.why, span);
            None
        }
    }
}

pub(crate) fn moved(cx: &mut FileCx, block: &Block) -> Option<Moved> {
    no_labels(cx, block);
    check_body(
        cx,
        &block.body,
        &Schema {
            what: "a moved block",
            attrs: &["from", "to"],
            blocks: &[],
        },
    );
    let from = moved_address(cx, block, "from");
    let to = moved_address(cx, block, "to");
    let ((from, _), (to, to_span)) = (from?, to?);
    if from.type_name != to.type_name {
        cx.error_with(
            "moved block changes the resource type",
            format!("`{from}` and `{to}` must have the same type"),
            to_span,
        );
        return None;
    }
    if from == to {
        cx.error("moved block moves an address to itself", to_span);
        return None;
    }
    Some(Moved {
        from,
        to,
        file: cx.file.name.clone(),
        span: block_span(cx, block),
    })
}

/// `aws_x.a`, `aws_x.a[KEY]`, each optionally behind `module.NAME` or `module.NAME[KEY]`
/// steps (module keys literal, only the resource's key may be an expression).
fn valid_import_target(r: &Reference) -> bool {
    let mut root = r.root.as_str();
    let mut steps: &[Step] = &r.steps;
    while root == "module" {
        match steps {
            [Step::Attr(_), rest @ ..] => steps = rest,
            _ => return false,
        }
        if let [Step::Index(_) | Step::Key(_), rest @ ..] = steps {
            steps = rest;
        }
        match steps {
            [Step::Attr(next), rest @ ..] => {
                root = next;
                steps = rest;
            }
            _ => return false,
        }
    }
    !RESERVED_ROOTS.contains(&root)
        && is_identifier(root)
        && matches!(
            steps,
            [Step::Attr(_)]
                | [
                    Step::Attr(_),
                    Step::Index(_) | Step::Key(_) | Step::Dynamic(_)
                ]
        )
}

pub(crate) fn import(cx: &mut FileCx, block: &Block) -> Option<Import> {
    no_labels(cx, block);
    check_body(
        cx,
        &block.body,
        &Schema {
            what: "an import block",
            attrs: &["to", "id", "provider", "for_each", "identity"],
            blocks: &[],
        },
    );
    let body = &block.body;
    let to = match body.get_attribute("to") {
        None => {
            let span = header_span(cx, block);
            cx.error("import block has no `to`", span);
            None
        }
        Some(attr) => {
            let span = cx.span_of(&attr.value);
            let r = reference(&attr.value, &cx.file.text);
            let valid = r.as_ref().is_some_and(valid_import_target);
            match r {
                Some(r) if valid => Some(Traversal {
                    text: r.text(),
                    span,
                }),
                _ => {
                    cx.error_with(
                        "invalid import `to` address",
                        "expected a managed resource address such as `aws_x.a`, `aws_x.a[each.key]` or `module.m.aws_x.a`",
                        span,
                    );
                    None
                }
            }
        }
    };
    let to_key = body.get_attribute("to").and_then(|attr| match &attr.value {
        Expression::Traversal(t) => match t.operators.last().map(|op| op.value()) {
            Some(hcl_edit::expr::TraversalOperator::Index(index))
                if !matches!(index, Expression::String(_) | Expression::Number(_)) =>
            {
                Some(index.clone())
            }
            _ => None,
        },
        _ => None,
    });
    let id = body.get_attribute("id").map(|a| a.value.clone());
    if id.is_none() {
        let span = header_span(cx, block);
        cx.error("import block has no `id`", span);
    }
    let provider = body
        .get_attribute("provider")
        .and_then(|a| provider_ref(cx, &a.value));
    Some(Import {
        to: to?,
        to_key,
        id: id?,
        provider,
        for_each: body.get_attribute("for_each").map(|a| a.value.clone()),
        file: cx.file.name.clone(),
        span: block_span(cx, block),
    })
}

/// Whether a module `source` is a local path (read in place; every other source is
/// installed by `trellis init`).
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// Reads a `module` block: its meta-arguments, and every other argument as a value for one
/// of the module's input variables (checked against them when the module is loaded).
pub(crate) fn module_call(cx: &mut FileCx, block: &mut Block) -> Option<ModuleCall> {
    let [name] = <[String; 1]>::try_from(labels(cx, block, &["name"])?).ok()?;
    let header = header_span(cx, block);
    let body = std::mem::take(&mut block.body);
    for b in body.blocks() {
        let ident = b.ident.as_str();
        let span = cx.span_of(&b.ident);
        let detail = match ident {
            "lifecycle" => {
                "module blocks have no lifecycle; set it on the resources inside the module"
            }
            _ => "module arguments are written as `name = value`",
        };
        cx.error_with(
            format!("unsupported block `{ident}` in a module block"),
            detail,
            span,
        );
    }
    let source = match body.get_attribute("source") {
        None => {
            cx.error_with(
                format!("module `{name}` has no `source`"),
                "set source to the module's directory, such as source = \"./modules/network\"",
                header.clone(),
            );
            None
        }
        Some(attr) => {
            let span = cx.span_of(&attr.value);
            match literal_string(&attr.value) {
                None => {
                    cx.error("`source` must be a literal string", span);
                    None
                }
                Some(s) if s.trim().is_empty() => {
                    cx.error("`source` must not be empty", span);
                    None
                }
                Some(s) => Some((s, span)),
            }
        }
    };
    let version = match body.get_attribute("version") {
        None => None,
        Some(attr) => match &source {
            // Whether a remote source takes a version (registry sources only) is for the
            // installer, which knows the source grammar.
            Some((s, _)) if is_local_source(s) => {
                let span = cx.span_of(&attr.key);
                cx.error_with(
                    "`version` is not supported for local modules",
                    "a version constraint applies only to registry modules; remove it",
                    span,
                );
                None
            }
            _ => string_attr(cx, attr).map(|v| (v, cx.span_of(&attr.value))),
        },
    };
    let (count, for_each) = count_and_for_each(cx, &body);
    let depends = body
        .get_attribute("depends_on")
        .map(|a| depends_on(cx, a))
        .unwrap_or_default();
    let providers = body
        .get_attribute("providers")
        .map(|a| providers_map(cx, a))
        .unwrap_or_default();
    let mut arguments = BTreeMap::new();
    for attr in body.attributes() {
        let key = attr.key.as_str();
        if matches!(
            key,
            "source" | "version" | "count" | "for_each" | "depends_on" | "providers"
        ) {
            continue;
        }
        if RESERVED_VARIABLE_NAMES.contains(&key) {
            let span = cx.span_of(&attr.key);
            cx.error_with(
                format!("unsupported argument `{key}` in a module block"),
                "this name is reserved for a meta-argument",
                span,
            );
            continue;
        }
        arguments.insert(
            key.to_string(),
            ModuleArgument {
                name: key.to_string(),
                expr: attr.value.clone(),
                span: cx.span_of(&attr.key),
            },
        );
    }
    let (source, source_span) = source?;
    Some(ModuleCall {
        name,
        source,
        source_span,
        version,
        count,
        for_each,
        depends_on: depends,
        providers,
        arguments,
        file: cx.file.name.clone(),
        span: block_span(cx, block),
        header,
    })
}

/// `providers = { aws = aws.network, aws.west = aws.eu }`.
fn providers_map(cx: &mut FileCx, attr: &Attribute) -> Vec<(ProviderRef, ProviderRef)> {
    let Expression::Object(object) = &attr.value else {
        let span = cx.span_of(&attr.value);
        cx.error_with(
            "`providers` must be a map",
            "write providers = { aws = aws.network }: the name inside the module, then a provider configuration of this module",
            span,
        );
        return Vec::new();
    };
    let mut out: Vec<(ProviderRef, ProviderRef)> = Vec::new();
    for (key, value) in object.iter() {
        let child = match key {
            hcl_edit::expr::ObjectKey::Ident(ident) => Some(ProviderRef {
                name: ident.as_str().to_string(),
                alias: None,
                span: cx.span_of(ident),
            }),
            hcl_edit::expr::ObjectKey::Expression(e) => provider_ref(cx, e),
        };
        let parent = provider_ref(cx, value.expr());
        if let (Some(child), Some(parent)) = (child, parent) {
            if let Some((first, _)) = out.iter().find(|(c, _)| c.key() == child.key()) {
                let detail = format!("first passed at {}", first.span);
                cx.error_with(
                    format!("provider {} is passed twice", child.key()),
                    detail,
                    child.span.clone(),
                );
                continue;
            }
            out.push((child, parent));
        }
    }
    out
}

/// `check "NAME" { assert { condition, error_message } ... }`. A scoped `data` block is
/// refused: trellis does not read data sources inside checks yet.
pub(crate) fn check(cx: &mut FileCx, block: &Block) -> Option<Check> {
    let [name] = <[String; 1]>::try_from(labels(cx, block, &["name"])?).ok()?;
    check_body(
        cx,
        &block.body,
        &Schema {
            what: "a check block",
            attrs: &[],
            blocks: &["assert", "data"],
        },
    );
    for data in block.body.get_blocks("data") {
        let span = header_span(cx, data);
        cx.error_with(
            "data sources inside check blocks are not supported yet",
            "declare the data source at the top level of the module and refer to it from the assertion",
            span,
        );
    }
    let mut asserts = Vec::new();
    for a in block.body.get_blocks("assert") {
        no_labels(cx, a);
        check_body(
            cx,
            &a.body,
            &Schema {
                what: "an assert block",
                attrs: &["condition", "error_message"],
                blocks: &[],
            },
        );
        let condition = a.body.get_attribute("condition");
        let message = a.body.get_attribute("error_message");
        match (condition, message) {
            (Some(condition), Some(message)) => asserts.push(Validation {
                condition: condition.value.clone(),
                error_message: message.value.clone(),
                span: attr_span(cx, condition),
            }),
            (condition, _) => {
                let missing = if condition.is_none() {
                    "condition"
                } else {
                    "error_message"
                };
                let span = header_span(cx, a);
                cx.error(format!("assert block has no `{missing}`"), span);
            }
        }
    }
    let header = header_span(cx, block);
    if block.body.get_blocks("assert").next().is_none() {
        cx.error_with(
            format!("check `{name}` has no assert block"),
            "a check block needs at least one `assert { condition, error_message }`",
            header.clone(),
        );
        return None;
    }
    Some(Check {
        name,
        asserts,
        file: cx.file.name.clone(),
        header,
    })
}

/// `removed { from = ADDRESS  lifecycle { destroy = BOOL } }`.
pub(crate) fn removed(cx: &mut FileCx, block: &Block) -> Option<Removed> {
    no_labels(cx, block);
    check_body(
        cx,
        &block.body,
        &Schema {
            what: "a removed block",
            attrs: &["from"],
            blocks: &["lifecycle", "provisioner", "connection"],
        },
    );
    let mut destroy = true;
    let mut ok = true;
    for inner in block.body.blocks() {
        match inner.ident.as_str() {
            "lifecycle" => {
                no_labels(cx, inner);
                check_body(
                    cx,
                    &inner.body,
                    &Schema {
                        what: "the lifecycle of a removed block",
                        attrs: &["destroy"],
                        blocks: &[],
                    },
                );
                if let Some(attr) = inner.body.get_attribute("destroy") {
                    match bool_attr(cx, attr) {
                        Some(b) => destroy = b,
                        None => ok = false,
                    }
                }
            }
            kind @ ("provisioner" | "connection") => {
                let span = cx.span_of(&inner.ident);
                cx.error_with(
                    format!("`{kind}` blocks are not supported"),
                    "trellis runs no provisioners, at destroy time either",
                    span,
                );
                ok = false;
            }
            _ => {}
        }
    }
    let Some(attr) = block.body.get_attribute("from") else {
        let span = header_span(cx, block);
        cx.error("removed block has no `from`", span);
        return None;
    };
    let span = cx.span_of(&attr.value);
    let invalid = |cx: &mut FileCx, why: String| {
        cx.error_with("invalid removed `from` address", why, span.clone());
    };
    let Some(r) = reference(&attr.value, &cx.file.text) else {
        invalid(
            cx,
            "expected a resource or module address such as `aws_x.a` or `module.net`, without quotes"
                .to_string(),
        );
        return None;
    };
    if r.root == "data" {
        cx.error_with(
            "data sources cannot be removed",
            "delete the data block: a data source has no object to keep or destroy",
            span,
        );
        return None;
    }
    let mut module = Vec::new();
    let mut root = Some(r.root.clone());
    let mut steps = r.steps.iter();
    let mut resource = None;
    while let Some(head) = root.take() {
        let next = steps.next();
        match (head.as_str(), next) {
            ("module", Some(Step::Attr(call))) => {
                module.push(call.clone());
                match steps.next() {
                    None => break,
                    Some(Step::Attr(name)) => root = Some(name.clone()),
                    Some(_) => {
                        invalid(
                            cx,
                            format!(
                                "`{}` has an instance key: a removed block takes every instance, so `from` names the resource or module call without keys",
                                r.text()
                            ),
                        );
                        return None;
                    }
                }
            }
            (type_name, Some(Step::Attr(name)))
                if !RESERVED_ROOTS.contains(&type_name) && type_name != "module" =>
            {
                if steps.next().is_some() {
                    invalid(
                        cx,
                        format!(
                            "`{}` has an instance key or attribute: a removed block takes every instance, so `from` names the resource without keys",
                            r.text()
                        ),
                    );
                    return None;
                }
                resource = Some((type_name.to_string(), name.clone()));
            }
            _ => {
                invalid(
                    cx,
                    format!("`{}` is not a resource or module address", r.text()),
                );
                return None;
            }
        }
    }
    if !ok {
        return None;
    }
    Some(Removed {
        module,
        resource,
        destroy,
        file: cx.file.name.clone(),
        span,
    })
}
