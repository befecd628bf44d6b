//! The dependency graph of a configuration.
//!
//! Nodes are variables, locals, resources (and data sources), outputs and module calls of
//! every module (one node per item, not per module instance), and the root module's provider
//! configurations. An edge `a -> b` means `b` refers to `a` (or names it in `depends_on`), so a
//! topological order is an evaluation order. Building the graph checks every reference: a
//! reference to something undeclared, or a cycle, is a diagnostic with its position.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use trellis_config::{Config, Resource};
use trellis_eval::{body_references, expr_references, RefKind, Reference};
use trellis_types::{
    Address, Diagnostic, Diagnostics, Mode, ModuleStep, SourceFile, SourceMap, Span,
};

/// A static module path: the names of the module calls from the root (`["net", "inner"]`
/// is `module.net.module.inner`); empty for the root module.
pub type ModPath = Vec<String>;

/// What a graph node stands for. Nodes are static: one per item of each module, however
/// many instances `count` and `for_each` on module calls make of it (the walk evaluates a
/// node once per instance of its module).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeId {
    Variable(ModPath, String),
    Local(ModPath, String),
    /// A resource or data source (all its instances), its module path without keys.
    Resource(Address),
    Output(ModPath, String),
    /// A module call: the calling module's path and the call's name.
    Module(ModPath, String),
    /// A provider configuration of the root module, by key (`aws`, `aws.network`).
    Provider(String),
}

impl NodeId {
    /// The static path of the module this node belongs to (the caller's, for a module call).
    pub fn module_path(&self) -> ModPath {
        match self {
            NodeId::Variable(p, _)
            | NodeId::Local(p, _)
            | NodeId::Output(p, _)
            | NodeId::Module(p, _) => p.clone(),
            NodeId::Resource(a) => a.module.iter().map(|s| s.name.clone()).collect(),
            NodeId::Provider(_) => Vec::new(),
        }
    }
}

/// `module.a.module.b.` for a static path, empty for the root.
pub fn path_prefix(path: &[String]) -> String {
    path.iter().map(|n| format!("module.{n}.")).collect()
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeId::Variable(p, n) => write!(f, "{}var.{n}", path_prefix(p)),
            NodeId::Local(p, n) => write!(f, "{}local.{n}", path_prefix(p)),
            NodeId::Resource(a) => write!(f, "{a}"),
            NodeId::Output(p, n) => write!(f, "{}output.{n}", path_prefix(p)),
            NodeId::Module(p, n) => write!(f, "{}module.{n}", path_prefix(p)),
            NodeId::Provider(k) => write!(f, "provider[\"{k}\"]"),
        }
    }
}

/// A node and where it is declared (none for implied provider configurations).
#[derive(Debug, Clone)]
pub struct Node {
    pub id: NodeId,
    pub span: Option<Span>,
}

/// The dependency graph, with a topological order.
#[derive(Debug, Clone)]
pub struct Graph {
    graph: DiGraph<Node, ()>,
    index: HashMap<NodeId, NodeIndex>,
    order: Vec<NodeIndex>,
    /// For each called module: the provider key inside the module to the root module's
    /// provider configuration it stands for (`providers = { ... }` and inheritance).
    provider_maps: HashMap<ModPath, BTreeMap<String, String>>,
}

impl Graph {
    /// Nodes in an order where every node comes after everything it depends on.
    pub fn order(&self) -> impl Iterator<Item = &Node> {
        self.order.iter().map(|i| &self.graph[*i])
    }

    /// The nodes `id` depends on directly.
    pub fn dependencies(&self, id: &NodeId) -> Vec<&NodeId> {
        let Some(&i) = self.index.get(id) else {
            return Vec::new();
        };
        let mut out: Vec<&NodeId> = self
            .graph
            .edges_directed(i, petgraph::Direction::Incoming)
            .map(|e| &self.graph[e.source()].id)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The resources `id` depends on, directly or through locals, variables and outputs
    /// (not through other resources).
    pub fn resource_dependencies(&self, id: &NodeId) -> BTreeSet<Address> {
        let mut out = BTreeSet::new();
        let mut stack: Vec<&NodeId> = self.dependencies(id);
        let mut seen = BTreeSet::new();
        while let Some(next) = stack.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            match next {
                NodeId::Resource(a) => {
                    out.insert(a.clone());
                }
                other => stack.extend(self.dependencies(other)),
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// The root module's provider configuration (`aws`, `aws.network`) that serves
    /// `resource` of the module at `path`.
    pub fn provider_key(&self, path: &[String], resource: &Resource) -> String {
        let key = resource.provider_key();
        if path.is_empty() {
            return key;
        }
        resolve_provider(&self.provider_maps, path, &key).unwrap_or(key)
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// The graph in Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let mut out =
            String::from("digraph trellis {\n  rankdir = \"RL\";\n  node [shape = rect];\n");
        let mut nodes: Vec<&Node> = self.graph.node_weights().collect();
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        for node in &nodes {
            let _ = writeln!(out, "  {:?};", node.id.to_string());
        }
        let mut edges: Vec<(String, String)> = self
            .graph
            .edge_references()
            .map(|e| {
                (
                    self.graph[e.target()].id.to_string(),
                    self.graph[e.source()].id.to_string(),
                )
            })
            .collect();
        edges.sort();
        edges.dedup();
        for (from, to) in edges {
            let _ = writeln!(out, "  {from:?} -> {to:?};");
        }
        out.push_str("}\n");
        out
    }
}

/// A reference as found in one node, resolved to the node it names.
struct Edge {
    from: NodeId,
    to: NodeId,
}

/// What each called module's provider names (`aws`, `aws.x`) stand for in the root module,
/// by module path, parents before children: the `providers` of each module call, resolved
/// through the maps above it. `declared` says whether a root configuration key exists; a
/// call that passes an undeclared one is a diagnostic.
fn module_provider_maps(
    modules: &[(ModPath, &Config)],
    declared: impl Fn(&str) -> bool,
    diags: &mut Diagnostics,
) -> HashMap<ModPath, BTreeMap<String, String>> {
    let mut provider_maps: HashMap<ModPath, BTreeMap<String, String>> = HashMap::new();
    for (path, cfg) in modules {
        for (name, call) in &cfg.modules {
            if !cfg.children.contains_key(name) {
                continue;
            }
            let mut child_path = path.clone();
            child_path.push(name.clone());
            let mut map = BTreeMap::new();
            for (inner, outer) in &call.providers {
                let found =
                    resolve_provider(&provider_maps, path, &outer.key()).filter(|k| declared(k));
                match found {
                    Some(root_key) => {
                        map.insert(inner.key(), root_key);
                    }
                    None => diags.push(
                        Diagnostic::error(format!(
                            "provider configuration {} is not declared",
                            outer.key()
                        ))
                        .with_detail(if path.is_empty() {
                            format!(
                                "add a provider \"{}\" block with alias = \"{}\"",
                                outer.name,
                                outer.alias.as_deref().unwrap_or_default()
                            )
                        } else {
                            format!(
                                "{} does not pass {} to its module; add it to the providers of its module block",
                                path_prefix(path).trim_end_matches('.'),
                                outer.key()
                            )
                        })
                        .with_span(Some(outer.span.clone())),
                    ),
                }
            }
            provider_maps.insert(child_path, map);
        }
    }
    provider_maps
}

/// The root provider configurations (`aws`, `aws.network`) that the resources of every
/// module use, each resolved through the `providers` of the calls above it (a module's
/// `aws` may stand for the root's `aws.network`). Keys that resolve to nothing are left out
/// (the graph reports them).
pub fn resource_provider_keys(config: &Config) -> BTreeSet<String> {
    let modules = config.all_modules();
    let maps = module_provider_maps(&modules, |_| true, &mut Diagnostics::new());
    modules
        .iter()
        .flat_map(|(path, module)| {
            let maps = &maps;
            module
                .resources
                .iter()
                .filter_map(move |r| resolve_provider(maps, path, &r.provider_key()))
        })
        .collect()
}

/// The root key a provider key of the module at `path` stands for: passed by the call's
/// `providers`, else (for a default configuration, without alias) inherited from the caller.
fn resolve_provider(
    maps: &HashMap<ModPath, BTreeMap<String, String>>,
    path: &[String],
    key: &str,
) -> Option<String> {
    if path.is_empty() {
        return Some(key.to_string());
    }
    if let Some(root) = maps.get(path).and_then(|m| m.get(key)) {
        return Some(root.clone());
    }
    if key.contains('.') {
        return None;
    }
    resolve_provider(maps, &path[..path.len() - 1], key)
}

fn resource_address(path: &[String], mode: Mode, type_name: &str, name: &str) -> Address {
    let mut address = match mode {
        Mode::Managed => Address::managed(type_name, name),
        Mode::Data => Address::data(type_name, name),
    };
    address.module = path
        .iter()
        .map(|n| ModuleStep {
            name: n.clone(),
            key: None,
        })
        .collect();
    address
}

/// The static address of a resource of the module at `path`.
pub fn static_resource_address(path: &[String], resource: &Resource) -> Address {
    resource_address(path, resource.mode, &resource.type_name, &resource.name)
}

/// Builds the graph of `config` (and of the modules it calls) and checks its references.
pub fn build(config: &Config, sources: &SourceMap) -> Result<Graph, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut graph = DiGraph::new();
    let mut index = HashMap::new();
    fn add(
        graph: &mut DiGraph<Node, ()>,
        index: &mut HashMap<NodeId, NodeIndex>,
        id: NodeId,
        span: Option<Span>,
    ) {
        let i = graph.add_node(Node {
            id: id.clone(),
            span,
        });
        index.insert(id, i);
    }
    let modules = config.all_modules();
    for (path, cfg) in &modules {
        for v in cfg.variables.values() {
            add(
                &mut graph,
                &mut index,
                NodeId::Variable(path.clone(), v.name.clone()),
                Some(v.span.clone()),
            );
        }
        for l in cfg.locals.values() {
            add(
                &mut graph,
                &mut index,
                NodeId::Local(path.clone(), l.name.clone()),
                Some(l.span.clone()),
            );
        }
        for o in cfg.outputs.values() {
            add(
                &mut graph,
                &mut index,
                NodeId::Output(path.clone(), o.name.clone()),
                Some(o.span.clone()),
            );
        }
        for r in &cfg.resources {
            add(
                &mut graph,
                &mut index,
                NodeId::Resource(static_resource_address(path, r)),
                Some(r.span.clone()),
            );
        }
        for m in cfg.modules.values() {
            add(
                &mut graph,
                &mut index,
                NodeId::Module(path.clone(), m.name.clone()),
                Some(m.header.clone()),
            );
        }
    }
    for p in &config.providers {
        add(
            &mut graph,
            &mut index,
            NodeId::Provider(p.key()),
            Some(p.span.clone()),
        );
    }

    // What each called module's provider names stand for, parents before children.
    let provider_maps = module_provider_maps(
        &modules,
        |k| !k.contains('.') || index.contains_key(&NodeId::Provider(k.to_string())),
        &mut diags,
    );
    for (path, cfg) in &modules {
        for r in &cfg.resources {
            let key = r.provider_key();
            let Some(root_key) = resolve_provider(&provider_maps, path, &key) else {
                let shown = path_prefix(path);
                diags.push(
                    Diagnostic::error(format!(
                        "provider configuration {key} is not passed to {}",
                        shown.trim_end_matches('.')
                    ))
                    .with_detail(format!(
                        "a module gets configurations with an alias only through providers = {{ {key} = ... }} in its module block"
                    ))
                    .with_span(r.provider.as_ref().map(|p| p.span.clone()).or(Some(r.span.clone()))),
                );
                continue;
            };
            if !index.contains_key(&NodeId::Provider(root_key.clone())) {
                if let (Some(explicit), true) =
                    (&r.provider, path.is_empty() || root_key.contains('.'))
                {
                    diags.push(
                        Diagnostic::error(format!(
                            "provider configuration {root_key} is not declared"
                        ))
                        .with_detail(format!(
                            "add a provider \"{}\" block with alias = \"{}\"",
                            explicit.name,
                            explicit.alias.as_deref().unwrap_or_default()
                        ))
                        .with_span(Some(explicit.span.clone())),
                    );
                    continue;
                }
                add(&mut graph, &mut index, NodeId::Provider(root_key), None);
            }
        }
    }

    let mut edges = Vec::new();
    for (path, cfg) in &modules {
        let declared: std::collections::HashSet<(Mode, &str, &str)> = cfg
            .resources
            .iter()
            .map(|r| (r.mode, r.type_name.as_str(), r.name.as_str()))
            .collect();
        let resolver = Resolver {
            config: cfg,
            path,
            declared,
        };
        for l in cfg.locals.values() {
            let Some(file) = sources.get(&l.file) else {
                continue;
            };
            let refs = expr_references(&l.expr, file);
            resolver.resolve(
                &NodeId::Local(path.clone(), l.name.clone()),
                &refs,
                NO_KEYS,
                &mut edges,
                &mut diags,
            );
        }
        for o in cfg.outputs.values() {
            let Some(file) = sources.get(&o.file) else {
                continue;
            };
            let id = NodeId::Output(path.clone(), o.name.clone());
            let refs = expr_references(&o.value, file);
            resolver.resolve(&id, &refs, NO_KEYS, &mut edges, &mut diags);
            for t in &o.depends_on {
                resolver.depends_on(&id, t, &mut edges, &mut diags);
            }
        }
        if path.is_empty() {
            for p in &cfg.providers {
                let Some(file) = sources.get(&p.file) else {
                    continue;
                };
                let refs = body_references(&p.body, &[], file);
                resolver.resolve(
                    &NodeId::Provider(p.key()),
                    &refs,
                    NO_KEYS,
                    &mut edges,
                    &mut diags,
                );
            }
        }
        for r in &cfg.resources {
            let Some(file) = sources.get(&r.file) else {
                continue;
            };
            let id = NodeId::Resource(static_resource_address(path, r));
            let mut refs = body_references(&r.body, &[], file);
            for e in r.count.iter().chain(r.for_each.iter()) {
                refs.extend(expr_references(e, file));
            }
            for e in &r.lifecycle.replace_triggered_by {
                refs.extend(expr_references(e, file));
            }
            resolver.resolve(
                &id,
                &refs,
                (r.count.is_some(), r.for_each.is_some()),
                &mut edges,
                &mut diags,
            );
            for t in &r.depends_on {
                resolver.depends_on(&id, t, &mut edges, &mut diags);
            }
            if let Some(key) = resolve_provider(&provider_maps, path, &r.provider_key()) {
                edges.push(Edge {
                    from: NodeId::Provider(key),
                    to: id,
                });
            }
        }
        for (name, call) in &cfg.modules {
            let Some(file) = sources.get(&call.file) else {
                continue;
            };
            let id = NodeId::Module(path.clone(), name.clone());
            let mut refs = Vec::new();
            for e in call.count.iter().chain(call.for_each.iter()) {
                refs.extend(expr_references(e, file));
            }
            resolver.resolve(&id, &refs, NO_KEYS, &mut edges, &mut diags);
            for t in &call.depends_on {
                resolver.depends_on(&id, t, &mut edges, &mut diags);
            }
            let Some(child) = cfg.children.get(name) else {
                continue;
            };
            let mut child_path = path.clone();
            child_path.push(name.clone());
            let keys = (call.count.is_some(), call.for_each.is_some());
            for (arg, argument) in &call.arguments {
                if !child.variables.contains_key(arg) {
                    continue;
                }
                let refs = expr_references(&argument.expr, file);
                resolver.resolve(
                    &NodeId::Variable(child_path.clone(), arg.clone()),
                    &refs,
                    keys,
                    &mut edges,
                    &mut diags,
                );
            }
            // Every item of the module waits for its call: the call's expansion says which
            // instances the module has, and its depends_on holds for everything inside.
            let mut inner: Vec<NodeId> = Vec::new();
            inner.extend(
                child
                    .variables
                    .keys()
                    .map(|n| NodeId::Variable(child_path.clone(), n.clone())),
            );
            inner.extend(
                child
                    .locals
                    .keys()
                    .map(|n| NodeId::Local(child_path.clone(), n.clone())),
            );
            inner.extend(
                child
                    .outputs
                    .keys()
                    .map(|n| NodeId::Output(child_path.clone(), n.clone())),
            );
            inner.extend(
                child
                    .modules
                    .keys()
                    .map(|n| NodeId::Module(child_path.clone(), n.clone())),
            );
            inner.extend(
                child
                    .resources
                    .iter()
                    .map(|r| NodeId::Resource(static_resource_address(&child_path, r))),
            );
            for to in inner {
                edges.push(Edge {
                    from: id.clone(),
                    to,
                });
            }
        }
    }
    // The expressions of an import block are evaluated when the walk reaches the resource
    // it targets, so what they refer to must come before that resource.
    crate::imports::check_targets(config, &mut diags);
    let root_declared: std::collections::HashSet<(Mode, &str, &str)> = config
        .resources
        .iter()
        .map(|r| (r.mode, r.type_name.as_str(), r.name.as_str()))
        .collect();
    let root_resolver = Resolver {
        config,
        path: &Vec::new(),
        declared: root_declared,
    };
    for import in &config.imports {
        let (Some(file), Some(target)) = (
            sources.get(&import.file),
            crate::imports::target_resource(import),
        ) else {
            continue;
        };
        let target = crate::modules::static_address(&target);
        if !index.contains_key(&NodeId::Resource(target.clone())) {
            continue;
        }
        let mut refs = expr_references(&import.id, file);
        for e in import.for_each.iter().chain(import.to_key.iter()) {
            refs.extend(expr_references(e, file));
        }
        if import.for_each.is_some() {
            refs.retain(|r| !matches!(r.kind, RefKind::EachKey | RefKind::EachValue));
        }
        root_resolver.resolve(
            &NodeId::Resource(target),
            &refs,
            NO_KEYS,
            &mut edges,
            &mut diags,
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    // One edge per pair, as `update_edge` would give, but without its scan of the source's
    // edges per insertion: that was quadratic in the degree of a node that thousands of
    // resources point at (a shared network, the provider configuration).
    let mut seen = std::collections::HashSet::new();
    for e in edges {
        if let (Some(&a), Some(&b)) = (index.get(&e.from), index.get(&e.to)) {
            if seen.insert((a, b)) {
                graph.add_edge(a, b, ());
            }
        }
    }
    let order = match toposort(&graph, None) {
        Ok(order) => order,
        Err(_) => return Err(cycle_diagnostics(&graph)),
    };
    Ok(Graph {
        graph,
        index,
        order,
        provider_maps,
    })
}

/// Neither `count` nor `for_each` (for references made outside resource and module blocks).
const NO_KEYS: (bool, bool) = (false, false);

fn cycle_diagnostics(graph: &DiGraph<Node, ()>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for scc in tarjan_scc(graph) {
        let is_cycle = scc.len() > 1 || graph.find_edge(scc[0], scc[0]).is_some();
        if !is_cycle {
            continue;
        }
        // tarjan_scc returns the nodes of a component in no useful order: walk the cycle.
        let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
        let start = *members
            .iter()
            .min_by(|a, b| graph[**a].id.cmp(&graph[**b].id))
            .expect("non-empty component");
        let mut path = vec![start];
        let mut current = start;
        loop {
            let next = graph
                .neighbors(current)
                .filter(|n| members.contains(n))
                .min_by(|a, b| graph[*a].id.cmp(&graph[*b].id))
                .expect("a cycle member has a successor in the cycle");
            if next == start || path.contains(&next) {
                break;
            }
            path.push(next);
            current = next;
        }
        let names: Vec<String> = path.iter().map(|i| graph[*i].id.to_string()).collect();
        let mut detail = String::from("each of these refers to the next:");
        for i in &path {
            let node = &graph[*i];
            let at = node
                .span
                .as_ref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            let _ = write!(detail, "\n  {}{at}", node.id);
        }
        diags.push(
            Diagnostic::error(format!("cycle: {} -> {}", names.join(" -> "), names[0]))
                .with_detail(detail)
                .with_span(graph[start].span.clone()),
        );
    }
    diags
}

struct Resolver<'a> {
    config: &'a Config,
    /// The static path of the module `config` is.
    path: &'a ModPath,
    /// Every declared resource of the module, for constant-time reference checks.
    declared: std::collections::HashSet<(Mode, &'a str, &'a str)>,
}

impl Resolver<'_> {
    /// Resolves references made in this module into edges. `keys` says whether the block
    /// they are in sets `count` and `for_each` (so `count.index` and `each` are valid).
    fn resolve(
        &self,
        from: &NodeId,
        refs: &[Reference],
        keys: (bool, bool),
        edges: &mut Vec<Edge>,
        diags: &mut Diagnostics,
    ) {
        let path = self.path;
        for r in refs {
            let target = match &r.kind {
                RefKind::Variable(name) => {
                    if !self.config.variables.contains_key(name) {
                        diags.push(undeclared(
                            "input variable",
                            &format!("var.{name}"),
                            name,
                            self.config.variables.keys().map(String::as_str),
                            &r.span,
                        ));
                        continue;
                    }
                    NodeId::Variable(path.clone(), name.clone())
                }
                RefKind::Local(name) => {
                    if !self.config.locals.contains_key(name) {
                        diags.push(undeclared(
                            "local value",
                            &format!("local.{name}"),
                            name,
                            self.config.locals.keys().map(String::as_str),
                            &r.span,
                        ));
                        continue;
                    }
                    NodeId::Local(path.clone(), name.clone())
                }
                RefKind::Resource {
                    mode,
                    type_name,
                    name,
                    ..
                } => {
                    let found = self
                        .declared
                        .contains(&(*mode, type_name.as_str(), name.as_str()));
                    if !found {
                        let prefix = if *mode == Mode::Data { "data." } else { "" };
                        let candidates: Vec<String> = self
                            .config
                            .resources
                            .iter()
                            .filter(|c| c.mode == *mode)
                            .map(|c| format!("{}.{}", c.type_name, c.name))
                            .collect();
                        diags.push(undeclared(
                            "resource",
                            &format!("{prefix}{type_name}.{name}"),
                            &format!("{type_name}.{name}"),
                            candidates.iter().map(String::as_str),
                            &r.span,
                        ));
                        continue;
                    }
                    NodeId::Resource(resource_address(path, *mode, type_name, name))
                }
                RefKind::CountIndex => {
                    if !keys.0 {
                        diags.push(
                            Diagnostic::error("count.index used where count is not set")
                                .with_detail("count.index is only valid in a resource, data or module block that sets count")
                                .with_span(Some(r.span.clone())),
                        );
                    }
                    continue;
                }
                RefKind::EachKey | RefKind::EachValue => {
                    if !keys.1 {
                        diags.push(
                            Diagnostic::error("each used where for_each is not set")
                                .with_detail("each.key and each.value are only valid in a block that sets for_each")
                                .with_span(Some(r.span.clone())),
                        );
                    }
                    continue;
                }
                RefKind::Module { name, output } => {
                    if !self.config.modules.contains_key(name) {
                        diags.push(undeclared(
                            "module call",
                            &format!("module.{name}"),
                            name,
                            self.config.modules.keys().map(String::as_str),
                            &r.span,
                        ));
                        continue;
                    }
                    let call = NodeId::Module(path.clone(), name.clone());
                    // A module that could not be loaded has its own diagnostic.
                    let Some(child) = self.config.children.get(name) else {
                        continue;
                    };
                    let mut child_path = path.clone();
                    child_path.push(name.clone());
                    let outputs: Vec<&String> = match output {
                        Some(o) if child.outputs.contains_key(o) => vec![o],
                        Some(o) => {
                            let mut d =
                                Diagnostic::error(format!("module.{name} has no output {o:?}"))
                                    .with_span(Some(r.span.clone()));
                            let names = child.outputs.keys().map(String::as_str);
                            d = match closest(o, names) {
                                Some(best) => d.with_detail(format!("did you mean {best:?}?")),
                                None => d.with_detail(format!(
                                    "the module in {} declares {}",
                                    child.dir(),
                                    if child.outputs.is_empty() {
                                        "no outputs".to_string()
                                    } else {
                                        format!(
                                            "the outputs {}",
                                            child
                                                .outputs
                                                .keys()
                                                .cloned()
                                                .collect::<Vec<_>>()
                                                .join(", ")
                                        )
                                    }
                                )),
                            };
                            diags.push(d);
                            continue;
                        }
                        None => child.outputs.keys().collect(),
                    };
                    for o in outputs {
                        edges.push(Edge {
                            from: NodeId::Output(child_path.clone(), o.clone()),
                            to: from.clone(),
                        });
                    }
                    call
                }
                RefKind::SelfRef
                | RefKind::Path(_)
                | RefKind::Iterator(_)
                | RefKind::Unknown(_) => continue,
            };
            if &target == from {
                diags.push(
                    Diagnostic::error(format!("{from} refers to itself"))
                        .with_span(Some(r.span.clone())),
                );
                continue;
            }
            edges.push(Edge {
                from: target,
                to: from.clone(),
            });
        }
    }

    fn depends_on(
        &self,
        from: &NodeId,
        traversal: &trellis_config::Traversal,
        edges: &mut Vec<Edge>,
        diags: &mut Diagnostics,
    ) {
        let text = traversal.text.trim();
        if let Some(name) = text.strip_prefix("module.") {
            if let Some(child) = self.config.children.get(name) {
                // Everything inside the module (and the modules it calls) comes first.
                let mut child_path = self.path.clone();
                child_path.push(name.to_string());
                edges.push(Edge {
                    from: NodeId::Module(self.path.clone(), name.to_string()),
                    to: from.clone(),
                });
                let mut stack = vec![(child_path, child)];
                while let Some((p, c)) = stack.pop() {
                    for r in &c.resources {
                        edges.push(Edge {
                            from: NodeId::Resource(static_resource_address(&p, r)),
                            to: from.clone(),
                        });
                    }
                    for (n, grandchild) in &c.children {
                        let mut q = p.clone();
                        q.push(n.clone());
                        stack.push((q, grandchild));
                    }
                }
                return;
            }
            if self.config.modules.contains_key(name) {
                return;
            }
            diags.push(undeclared(
                "module call",
                text,
                name,
                self.config.modules.keys().map(String::as_str),
                &traversal.span,
            ));
            return;
        }
        let found = Address::parse(text).ok().filter(|a| {
            a.module.is_empty()
                && self
                    .declared
                    .contains(&(a.mode, a.type_name.as_str(), a.name.as_str()))
        });
        match found {
            Some(address) => edges.push(Edge {
                from: NodeId::Resource(resource_address(
                    self.path,
                    address.mode,
                    &address.type_name,
                    &address.name,
                )),
                to: from.clone(),
            }),
            None => {
                let candidates: Vec<String> = self
                    .config
                    .resources
                    .iter()
                    .map(|r| r.address().to_string())
                    .collect();
                diags.push(undeclared(
                    "resource",
                    text,
                    text,
                    candidates.iter().map(String::as_str),
                    &traversal.span,
                ));
            }
        }
    }
}

fn undeclared<'a>(
    what: &str,
    shown: &str,
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
    span: &Span,
) -> Diagnostic {
    let mut d = Diagnostic::error(format!("reference to undeclared {what} {shown}"))
        .with_span(Some(span.clone()));
    if let Some(best) = closest(name, candidates) {
        d = d.with_detail(format!("did you mean {best:?}?"));
    }
    d
}

/// The candidate closest to `name`, when it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The span of `file` as a whole, for diagnostics that concern a file.
pub fn file_span(file: &SourceFile) -> Span {
    file.span(0, 0)
}

#[cfg(test)]
mod tests {
    use trellis_types::{SourceFile, SourceMap};

    /// A module whose `aws` is the root's `aws.network` implies `aws.network` only: no
    /// default `aws` configuration (which would need a region the user never gave).
    #[test]
    fn module_resources_imply_the_configurations_their_calls_pass() {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new(
            "main.tf",
            "provider \"aws\" {\n  alias = \"network\"\n}\n\
             module \"m\" {\n  source    = \"./m\"\n  providers = {\n    aws = aws.network\n  }\n}\n\
             module \"plain\" {\n  source = \"./plain\"\n}\n",
        ));
        let (mut config, diags) = trellis_config::parse(&sources);
        assert!(!diags.has_errors(), "{diags:?}");
        let mut read_dir = |dir: &str| -> Result<Vec<SourceFile>, String> {
            let text = match dir {
                "m" => "resource \"aws_vpclattice_service\" \"s\" {\n  name = \"s\"\n}\n",
                _ => "resource \"trellis_test_thing\" \"t\" {\n  name = \"t\"\n}\n",
            };
            Ok(vec![SourceFile::new(format!("{dir}/main.tf"), text)])
        };
        let diags = trellis_config::load_modules(&mut config, &mut sources, &mut read_dir);
        assert!(!diags.has_errors(), "{diags:?}");
        let keys: Vec<String> = super::resource_provider_keys(&config).into_iter().collect();
        assert_eq!(keys, vec!["aws.network".to_string(), "trellis".to_string()]);
    }
}
