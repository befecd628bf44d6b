//! The dependency graph of a configuration.
//!
//! Nodes are variables, locals, resources (and data sources), outputs and provider
//! configurations. An edge `a -> b` means `b` refers to `a` (or names it in `depends_on`), so a
//! topological order is an evaluation order. Building the graph checks every reference: a
//! reference to something undeclared, or a cycle, is a diagnostic with its position.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use trellis_config::{Config, Resource};
use trellis_eval::{body_references, expr_references, RefKind, Reference};
use trellis_types::{Address, Diagnostic, Diagnostics, Mode, SourceFile, SourceMap, Span};

/// What a graph node stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeId {
    Variable(String),
    Local(String),
    /// A resource or data source (all its instances).
    Resource(Address),
    Output(String),
    /// A provider configuration, by key (`aws`, `aws.network`).
    Provider(String),
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeId::Variable(n) => write!(f, "var.{n}"),
            NodeId::Local(n) => write!(f, "local.{n}"),
            NodeId::Resource(a) => write!(f, "{a}"),
            NodeId::Output(n) => write!(f, "output.{n}"),
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

/// Builds the graph of `config` and checks its references.
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
    for v in config.variables.values() {
        add(
            &mut graph,
            &mut index,
            NodeId::Variable(v.name.clone()),
            Some(v.span.clone()),
        );
    }
    for l in config.locals.values() {
        add(
            &mut graph,
            &mut index,
            NodeId::Local(l.name.clone()),
            Some(l.span.clone()),
        );
    }
    for o in config.outputs.values() {
        add(
            &mut graph,
            &mut index,
            NodeId::Output(o.name.clone()),
            Some(o.span.clone()),
        );
    }
    for r in &config.resources {
        add(
            &mut graph,
            &mut index,
            NodeId::Resource(r.address()),
            Some(r.span.clone()),
        );
    }
    for p in &config.providers {
        add(
            &mut graph,
            &mut index,
            NodeId::Provider(p.key()),
            Some(p.span.clone()),
        );
    }
    for r in &config.resources {
        let key = r.provider_key();
        if !index.contains_key(&NodeId::Provider(key.clone())) {
            if let Some(explicit) = &r.provider {
                diags.push(
                    Diagnostic::error(format!("provider configuration {key} is not declared"))
                        .with_detail(format!(
                            "add a provider \"{}\" block with alias = \"{}\"",
                            explicit.name,
                            explicit.alias.as_deref().unwrap_or_default()
                        ))
                        .with_span(Some(explicit.span.clone())),
                );
                continue;
            }
            add(&mut graph, &mut index, NodeId::Provider(key), None);
        }
    }

    let mut edges = Vec::new();
    let declared: std::collections::HashSet<(Mode, &str, &str)> = config
        .resources
        .iter()
        .map(|r| (r.mode, r.type_name.as_str(), r.name.as_str()))
        .collect();
    let resolver = Resolver { config, declared };
    for l in config.locals.values() {
        let Some(file) = sources.get(&l.file) else {
            continue;
        };
        let refs = expr_references(&l.expr, file);
        resolver.resolve(
            &NodeId::Local(l.name.clone()),
            &refs,
            None,
            &mut edges,
            &mut diags,
        );
    }
    for o in config.outputs.values() {
        let Some(file) = sources.get(&o.file) else {
            continue;
        };
        let id = NodeId::Output(o.name.clone());
        let refs = expr_references(&o.value, file);
        resolver.resolve(&id, &refs, None, &mut edges, &mut diags);
        for t in &o.depends_on {
            resolver.depends_on(&id, t, &mut edges, &mut diags);
        }
    }
    for p in &config.providers {
        let Some(file) = sources.get(&p.file) else {
            continue;
        };
        let refs = body_references(&p.body, &[], file);
        resolver.resolve(
            &NodeId::Provider(p.key()),
            &refs,
            None,
            &mut edges,
            &mut diags,
        );
    }
    for r in &config.resources {
        let Some(file) = sources.get(&r.file) else {
            continue;
        };
        let id = NodeId::Resource(r.address());
        let mut refs = body_references(&r.body, &[], file);
        for e in r.count.iter().chain(r.for_each.iter()) {
            refs.extend(expr_references(e, file));
        }
        for e in &r.lifecycle.replace_triggered_by {
            refs.extend(expr_references(e, file));
        }
        resolver.resolve(&id, &refs, Some(r), &mut edges, &mut diags);
        for t in &r.depends_on {
            resolver.depends_on(&id, t, &mut edges, &mut diags);
        }
        edges.push(Edge {
            from: NodeId::Provider(r.provider_key()),
            to: id,
        });
    }
    // The expressions of an import block are evaluated when the walk reaches the resource
    // it targets, so what they refer to must come before that resource.
    crate::imports::check_targets(config, &mut diags);
    for import in &config.imports {
        let (Some(file), Some(target)) = (
            sources.get(&import.file),
            crate::imports::target_resource(import),
        ) else {
            continue;
        };
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
        resolver.resolve(
            &NodeId::Resource(target),
            &refs,
            None,
            &mut edges,
            &mut diags,
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    for e in edges {
        if let (Some(&a), Some(&b)) = (index.get(&e.from), index.get(&e.to)) {
            graph.update_edge(a, b, ());
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
    })
}

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
    /// Every declared resource, for constant-time reference checks.
    declared: std::collections::HashSet<(Mode, &'a str, &'a str)>,
}

impl Resolver<'_> {
    fn resolve(
        &self,
        from: &NodeId,
        refs: &[Reference],
        resource: Option<&Resource>,
        edges: &mut Vec<Edge>,
        diags: &mut Diagnostics,
    ) {
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
                    NodeId::Variable(name.clone())
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
                    NodeId::Local(name.clone())
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
                    let address = match mode {
                        Mode::Managed => Address::managed(type_name, name),
                        Mode::Data => Address::data(type_name, name),
                    };
                    NodeId::Resource(address)
                }
                RefKind::CountIndex => {
                    if resource.is_none_or(|r| r.count.is_none()) {
                        diags.push(
                            Diagnostic::error("count.index used where count is not set")
                                .with_detail("count.index is only valid in a resource or data block that sets count")
                                .with_span(Some(r.span.clone())),
                        );
                    }
                    continue;
                }
                RefKind::EachKey | RefKind::EachValue => {
                    if resource.is_none_or(|r| r.for_each.is_none()) {
                        diags.push(
                            Diagnostic::error("each used where for_each is not set")
                                .with_detail("each.key and each.value are only valid in a block that sets for_each")
                                .with_span(Some(r.span.clone())),
                        );
                    }
                    continue;
                }
                RefKind::Module(name) => {
                    diags.push(
                        Diagnostic::error(format!(
                            "reference to module.{name}: modules are not supported yet"
                        ))
                        .with_span(Some(r.span.clone())),
                    );
                    continue;
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
        let found = Address::parse(text).ok().filter(|a| {
            self.declared
                .contains(&(a.mode, a.type_name.as_str(), a.name.as_str()))
        });
        match found {
            Some(address) => edges.push(Edge {
                from: NodeId::Resource(address.resource()),
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
