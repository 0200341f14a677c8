//! The comparison itself: Confluent's `SchemaDiff` walk over two models.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::Value;

use super::super::model::{Additional, ArraySchema, Criterion, Kind, Model, NodeId, ObjectSchema};
use super::is_compatible;
use crate::CompatibilityPolicy;

/// A node of one of the two compared models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct NodeRef {
    pub(super) model: usize,
    pub(super) id: NodeId,
}

/// One difference, with its path relative to the pair of schemas it was found in.
#[derive(Clone, Debug)]
pub(super) struct Difference {
    pub(super) rule: &'static str,
    pub(super) path: String,
    /// The original's and the update's schema at the difference.
    pub(super) original: Option<NodeRef>,
    pub(super) update: Option<NodeRef>,
    /// The keyword whose value differs there, if the difference is about one.
    pub(super) keyword: Option<&'static str>,
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}/{path}"),
    }
}

pub(super) fn absolute(path: &str) -> String {
    format!("#/{path}")
}

/// The comparison nesting beyond which a pair is assumed compatible.
const MAX_DEPTH: usize = 64;

pub(super) struct Engine<'a> {
    models: [&'a Model; 2],
    policy: CompatibilityPolicy,
    memo: HashMap<(NodeRef, NodeRef), Rc<Vec<Difference>>>,
    in_progress: HashSet<(NodeRef, NodeRef)>,
    depth: usize,
}

impl<'a> Engine<'a> {
    /// Compares the roots of `[original, update]` under `policy`.
    pub(super) fn compare_roots(
        models: [&'a Model; 2],
        policy: CompatibilityPolicy,
    ) -> Vec<Difference> {
        let mut engine = Engine {
            models,
            policy,
            memo: HashMap::new(),
            in_progress: HashSet::new(),
            depth: 0,
        };
        let mut out = Vec::new();
        let original = NodeRef {
            model: 0,
            id: models[0].root,
        };
        let update = NodeRef {
            model: 1,
            id: models[1].root,
        };
        engine.compare(&mut out, "", Some(original), Some(update));
        out
    }

    fn kind(&self, node: NodeRef) -> &Kind {
        &self.models[node.model].node(node.id).kind
    }

    fn follow(&self, node: NodeRef) -> NodeRef {
        NodeRef {
            model: node.model,
            id: self.models[node.model].follow(node.id),
        }
    }

    fn compatible(&self, differences: &[Difference]) -> bool {
        differences
            .iter()
            .all(|difference| is_compatible(difference.rule, self.policy))
    }

    fn difference(
        rule: &'static str,
        path: &str,
        original: Option<NodeRef>,
        update: Option<NodeRef>,
        keyword: Option<&'static str>,
    ) -> Difference {
        Difference {
            rule,
            path: path.to_owned(),
            original,
            update,
            keyword,
        }
    }

    fn extend(out: &mut Vec<Difference>, prefix: &str, differences: &[Difference]) {
        out.extend(differences.iter().map(|difference| Difference {
            path: join(prefix, &difference.path),
            ..difference.clone()
        }));
    }

    /// Compares two optional subschemas found at `path`.
    fn compare(
        &mut self,
        out: &mut Vec<Difference>,
        path: &str,
        original: Option<NodeRef>,
        update: Option<NodeRef>,
    ) {
        match (original, update) {
            (None, None) => {}
            (None, Some(_)) => out.push(Self::difference("SCHEMA_ADDED", path, None, update, None)),
            (Some(_), None) => out.push(Self::difference(
                "SCHEMA_REMOVED",
                path,
                original,
                None,
                None,
            )),
            (Some(original), Some(update)) => {
                let differences = self.pair(original, update);
                Self::extend(out, path, &differences);
            }
        }
    }

    /// The differences of a pair of schemas, relative to the pair.
    fn pair(&mut self, original: NodeRef, update: NodeRef) -> Rc<Vec<Difference>> {
        let key = (self.follow(original), self.follow(update));
        if let Some(found) = self.memo.get(&key) {
            return Rc::clone(found);
        }
        if self.depth >= MAX_DEPTH || !self.in_progress.insert(key) {
            // A recursive schema meeting itself, or too deep to follow: assumed compatible.
            return Rc::new(Vec::new());
        }
        self.depth += 1;
        let differences = Rc::new(self.compute(key.0, key.1));
        self.depth -= 1;
        self.in_progress.remove(&key);
        self.memo.insert(key, Rc::clone(&differences));
        differences
    }

    fn subschemas(&self, node: NodeRef) -> Option<(Criterion, Vec<NodeRef>)> {
        match self.kind(node) {
            Kind::Combined {
                criterion,
                subschemas,
            } => Some((
                *criterion,
                subschemas
                    .iter()
                    .map(|id| NodeRef {
                        model: node.model,
                        id: *id,
                    })
                    .collect(),
            )),
            _ => None,
        }
    }

    fn compute(&mut self, original: NodeRef, update: NodeRef) -> Vec<Difference> {
        let here = |rule| Self::difference(rule, "", Some(original), Some(update), None);
        match (self.subschemas(original), self.subschemas(update)) {
            (None, Some((criterion, subschemas))) => {
                if subschemas.len() == 1 {
                    let differences = self.pair(original, subschemas[0]);
                    if self.compatible(&differences) {
                        return differences.to_vec();
                    }
                } else if criterion != Criterion::All {
                    for subschema in subschemas {
                        let differences = self.pair(original, subschema);
                        if self.compatible(&differences) {
                            let mut differences = differences.to_vec();
                            differences.push(here("SUM_TYPE_EXTENDED"));
                            return differences;
                        }
                    }
                }
            }
            (Some((criterion, subschemas)), None) => {
                if subschemas.len() == 1 {
                    let differences = self.pair(subschemas[0], update);
                    if self.compatible(&differences) {
                        return differences.to_vec();
                    }
                } else if criterion == Criterion::All {
                    for subschema in subschemas {
                        let differences = self.pair(subschema, update);
                        if self.compatible(&differences) {
                            let mut differences = differences.to_vec();
                            differences.push(here("PRODUCT_TYPE_NARROWED"));
                            return differences;
                        }
                    }
                }
            }
            _ => {}
        }
        let original_node = self.models[original.model].node(original.id);
        let update_node = self.models[update.model].node(update.id);
        if original_node.class() != update_node.class() {
            let both_bytes = original_node.connect_type.as_deref() == Some("bytes")
                && update_node.connect_type.as_deref() == Some("bytes");
            if matches!(original_node.kind, Kind::False)
                || update_node.is_empty_schema()
                || both_bytes
            {
                return Vec::new();
            }
            return vec![here("TYPE_CHANGED")];
        }
        let mut out = Vec::new();
        if original_node.id != update_node.id {
            out.push(here("ID_CHANGED"));
        }
        if original_node.title != update_node.title {
            out.push(here("TITLE_CHANGED"));
        }
        if original_node.description != update_node.description {
            out.push(here("DESCRIPTION_CHANGED"));
        }
        if original_node.default != update_node.default {
            out.push(here("DEFAULT_CHANGED"));
        }
        let keyword = |rule, keyword| {
            Self::difference(rule, keyword, Some(original), Some(update), Some(keyword))
        };
        match (&original_node.kind, &update_node.kind) {
            (Kind::String(a), Kind::String(b)) => {
                bound(
                    &mut out,
                    keyword,
                    "maxLength",
                    a.max_length,
                    b.max_length,
                    MAX_LENGTH,
                );
                bound(
                    &mut out,
                    keyword,
                    "minLength",
                    a.min_length,
                    b.min_length,
                    MIN_LENGTH,
                );
                match (&a.pattern, &b.pattern) {
                    (None, Some(_)) => out.push(keyword("PATTERN_ADDED", "pattern")),
                    (Some(_), None) => out.push(keyword("PATTERN_REMOVED", "pattern")),
                    (Some(a), Some(b)) if a != b => out.push(keyword("PATTERN_CHANGED", "pattern")),
                    _ => {}
                }
            }
            (Kind::Number(a), Kind::Number(b)) => {
                bound(&mut out, keyword, "maximum", a.maximum, b.maximum, MAXIMUM);
                bound(&mut out, keyword, "minimum", a.minimum, b.minimum, MINIMUM);
                bound(
                    &mut out,
                    keyword,
                    "exclusiveMaximum",
                    a.exclusive_maximum,
                    b.exclusive_maximum,
                    EXCLUSIVE_MAXIMUM,
                );
                bound(
                    &mut out,
                    keyword,
                    "exclusiveMinimum",
                    a.exclusive_minimum,
                    b.exclusive_minimum,
                    EXCLUSIVE_MINIMUM,
                );
                match (a.multiple_of, b.multiple_of) {
                    (None, Some(_)) => out.push(keyword("MULTIPLE_OF_ADDED", "multipleOf")),
                    (Some(_), None) => out.push(keyword("MULTIPLE_OF_REMOVED", "multipleOf")),
                    (Some(a), Some(b)) if a != b => {
                        let rule = if is_multiple(b, a) {
                            "MULTIPLE_OF_EXPANDED"
                        } else if is_multiple(a, b) {
                            "MULTIPLE_OF_REDUCED"
                        } else {
                            "MULTIPLE_OF_CHANGED"
                        };
                        out.push(keyword(rule, "multipleOf"));
                    }
                    _ => {}
                }
                if a.requires_integer && !b.requires_integer {
                    out.push(here("TYPE_EXTENDED"));
                } else if !a.requires_integer && b.requires_integer {
                    out.push(here("TYPE_NARROWED"));
                }
            }
            (Kind::Enum(a), Kind::Enum(b)) => {
                let a: HashSet<String> = a.iter().map(value_key).collect();
                let b: HashSet<String> = b.iter().map(value_key).collect();
                let a_in_b = a.is_subset(&b);
                let b_in_a = b.is_subset(&a);
                match (a_in_b, b_in_a) {
                    (true, true) => {}
                    (true, false) => out.push(keyword("ENUM_ARRAY_EXTENDED", "enum")),
                    (false, true) => out.push(keyword("ENUM_ARRAY_NARROWED", "enum")),
                    (false, false) => out.push(keyword("ENUM_ARRAY_CHANGED", "enum")),
                }
            }
            (Kind::Const(a), Kind::Const(b)) if a != b => {
                out.push(keyword("ENUM_ARRAY_CHANGED", "const"));
            }
            (Kind::Opaque(a), Kind::Opaque(b)) if a != b => {
                out.push(here("TYPE_CHANGED"));
            }
            (Kind::Combined { .. }, Kind::Combined { .. }) => {
                self.combined(&mut out, original, update);
            }
            (Kind::Not(a), Kind::Not(b)) => {
                // What the update must not match has to exclude no more than the
                // original's: compare them the other way round.
                let a = NodeRef {
                    model: original.model,
                    id: *a,
                };
                let b = NodeRef {
                    model: update.model,
                    id: *b,
                };
                let reversed = self.pair(b, a);
                let rule = if self.compatible(&reversed) {
                    "NOT_TYPE_NARROWED"
                } else {
                    "NOT_TYPE_EXTENDED"
                };
                out.push(Self::difference(rule, "not", Some(a), Some(b), None));
            }
            (Kind::Object(a), Kind::Object(b)) => {
                let (a, b) = (a.clone(), b.clone());
                self.object(&mut out, original, update, &a, &b);
            }
            (Kind::Array(a), Kind::Array(b)) => {
                let (a, b) = (a.clone(), b.clone());
                self.array(&mut out, original, update, &a, &b);
            }
            _ => {}
        }
        out
    }

    fn combined(&mut self, out: &mut Vec<Difference>, original: NodeRef, update: NodeRef) {
        let (
            Some((original_criterion, original_subschemas)),
            Some((update_criterion, update_subschemas)),
        ) = (self.subschemas(original), self.subschemas(update))
        else {
            return;
        };
        let here = |rule| Self::difference(rule, "", Some(original), Some(update), None);
        let criterion_change = if original_criterion == update_criterion {
            None
        } else {
            match update_criterion {
                Criterion::Any => Some("COMBINED_TYPE_EXTENDED"),
                Criterion::One if original_subschemas.len() == 1 => Some("COMBINED_TYPE_EXTENDED"),
                Criterion::All
                    if original_subschemas.len() == 1 && update_subschemas.len() == 1 =>
                {
                    Some("COMBINED_TYPE_EXTENDED")
                }
                _ => Some("COMBINED_TYPE_CHANGED"),
            }
        };
        if let Some(rule) = criterion_change {
            out.push(here(rule));
            if rule == "COMBINED_TYPE_CHANGED" {
                return;
            }
        }
        let original_subschemas = self.distinct(original_subschemas);
        let update_subschemas = self.distinct(update_subschemas);
        let (original_count, update_count) = (original_subschemas.len(), update_subschemas.len());
        let product = update_criterion == Criterion::All;
        if original_count < update_count {
            out.push(here(if product {
                "PRODUCT_TYPE_EXTENDED"
            } else {
                "SUM_TYPE_EXTENDED"
            }));
        } else if original_count > update_count {
            out.push(here(if product {
                "PRODUCT_TYPE_NARROWED"
            } else {
                "SUM_TYPE_NARROWED"
            }));
        }
        let mut edges: Vec<Vec<(usize, Rc<Vec<Difference>>)>> = Vec::new();
        for original_subschema in &original_subschemas {
            let mut compatible = Vec::new();
            for (index, update_subschema) in update_subschemas.iter().enumerate() {
                let differences = self.pair(*original_subschema, *update_subschema);
                if self.compatible(&differences) {
                    compatible.push((index, differences));
                }
            }
            edges.push(compatible);
        }
        let matching = maximum_matching(&edges, update_count);
        let mut matched = 0;
        for (index, partner) in matching.iter().enumerate() {
            if let Some(partner) = partner {
                matched += 1;
                let (_, differences) = edges[index]
                    .iter()
                    .find(|(candidate, _)| candidate == partner)
                    .expect("matched along an edge");
                let prefix = format!("{}/{index}", original_criterion.keyword());
                Self::extend(out, &prefix, differences);
            }
        }
        if matched < original_count.min(update_count) {
            out.push(here("COMBINED_TYPE_SUBSCHEMAS_CHANGED"));
        }
    }

    /// Subschemas without repeats (Confluent collects them in a set).
    fn distinct(&self, subschemas: Vec<NodeRef>) -> Vec<NodeRef> {
        let mut seen = HashSet::new();
        subschemas
            .into_iter()
            .filter(|subschema| {
                let model = self.models[subschema.model];
                let key = if model.node(subschema.id).part {
                    format!("part {}", subschema.id)
                } else {
                    model.fragment(subschema.id, None).unwrap_or_default()
                };
                seen.insert(key)
            })
            .collect()
    }

    fn node_ref(model: usize, id: NodeId) -> NodeRef {
        NodeRef { model, id }
    }

    fn object(
        &mut self,
        out: &mut Vec<Difference>,
        original: NodeRef,
        update: NodeRef,
        a: &ObjectSchema,
        b: &ObjectSchema,
    ) {
        let (om, um) = (original.model, update.model);
        let at = |rule, path: String, o: Option<NodeRef>, u: Option<NodeRef>, keyword| Difference {
            rule,
            path,
            original: o,
            update: u,
            keyword,
        };
        // required
        let a_properties: HashMap<&str, NodeId> = a
            .properties
            .iter()
            .map(|(name, id)| (name.as_str(), *id))
            .collect();
        let b_properties: HashMap<&str, NodeId> = b
            .properties
            .iter()
            .map(|(name, id)| (name.as_str(), *id))
            .collect();
        let a_required: HashSet<&str> = a.required.iter().map(String::as_str).collect();
        let b_required: HashSet<&str> = b.required.iter().map(String::as_str).collect();
        let original_names = entry_names(&a.properties);
        for name in java_hash_order(&original_names, &[], None) {
            if let Some(&property) = b_properties.get(name) {
                let path = format!("required/{name}");
                let was = a_required.contains(name);
                let is = b_required.contains(name);
                if was && !is {
                    out.push(at(
                        "REQUIRED_ATTRIBUTE_REMOVED",
                        path,
                        Some(original),
                        Some(update),
                        Some("required"),
                    ));
                } else if !was && is {
                    let rule = if self.has_default(Self::node_ref(um, property)) {
                        "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED"
                    } else {
                        "REQUIRED_ATTRIBUTE_ADDED"
                    };
                    out.push(at(
                        rule,
                        path,
                        Some(original),
                        Some(update),
                        Some("required"),
                    ));
                }
            }
        }
        // properties
        let update_names = entry_names(&b.properties);
        let lenient = self.policy == CompatibilityPolicy::Lenient;
        for name in java_hash_order(&original_names, &update_names, Some(original_names.len())) {
            let path = format!("properties/{name}");
            let original_property = a_properties.get(name).map(|id| Self::node_ref(om, *id));
            let update_property = b_properties.get(name).map(|id| Self::node_ref(um, *id));
            match (original_property, update_property) {
                (Some(original_property), None) => {
                    if self.object_is_open(um, b) {
                        out.push(at(
                            "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
                            path,
                            Some(original_property),
                            None,
                            None,
                        ));
                    } else if let Some(cover) = self.object_cover(um, b, name) {
                        let mut covered = Vec::new();
                        self.compare(&mut covered, &path, Some(original_property), Some(cover));
                        let rule = if self.compatible(&covered) {
                            "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                        } else {
                            "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                        };
                        out.extend(covered);
                        out.push(at(rule, path, Some(original_property), Some(cover), None));
                    } else {
                        let rule = if matches!(self.kind(original_property), Kind::False) {
                            "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                        } else {
                            "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                        };
                        out.push(at(rule, path, Some(original_property), None, None));
                    }
                }
                (None, Some(update_property)) => {
                    let required = b_required.contains(name);
                    let with_default = self.has_default(update_property);
                    if self.object_is_open(om, a) {
                        let empty = self.models[um].node(update_property.id).is_empty_schema();
                        let rule = if empty {
                            "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                        } else if !lenient {
                            "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                        } else if !required {
                            "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                        } else if with_default {
                            "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
                        } else {
                            "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                        };
                        out.push(at(rule, path, None, Some(update_property), None));
                    } else {
                        if let Some(cover) = self.object_cover(om, a, name) {
                            let mut covered = Vec::new();
                            self.compare(&mut covered, &path, Some(cover), Some(update_property));
                            let rule = if self.compatible(&covered) {
                                "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                            } else {
                                "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                            };
                            out.extend(covered);
                            out.push(at(
                                rule,
                                path.clone(),
                                Some(cover),
                                Some(update_property),
                                None,
                            ));
                        }
                        let rule = match (required, with_default) {
                            (true, true) => {
                                "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
                            }
                            (true, false) => "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                            (false, _) => "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                        };
                        out.push(at(rule, path, None, Some(update_property), None));
                    }
                }
                (Some(original_property), Some(update_property)) => {
                    self.compare(out, &path, Some(original_property), Some(update_property));
                }
                (None, None) => {}
            }
        }
        // dependencies
        let original_keys = entry_names(&a.property_dependencies);
        let update_keys = entry_names(&b.property_dependencies);
        for name in java_hash_order(&original_keys, &update_keys, Some(original_keys.len())) {
            let path = format!("dependencies/{name}");
            let was = entry(&a.property_dependencies, name);
            let is = entry(&b.property_dependencies, name);
            let rule = match (was, is) {
                (_, None) => Some("DEPENDENCY_ARRAY_REMOVED"),
                (None, Some(_)) => Some("DEPENDENCY_ARRAY_ADDED"),
                (Some(was), Some(is)) => {
                    let was_in_is = was.iter().all(|name| is.contains(name));
                    let is_in_was = is.iter().all(|name| was.contains(name));
                    match (was_in_is, is_in_was) {
                        (true, true) => None,
                        (true, false) => Some("DEPENDENCY_ARRAY_EXTENDED"),
                        (false, true) => Some("DEPENDENCY_ARRAY_NARROWED"),
                        (false, false) => Some("DEPENDENCY_ARRAY_CHANGED"),
                    }
                }
            };
            if let Some(rule) = rule {
                out.push(at(
                    rule,
                    path,
                    Some(original),
                    Some(update),
                    Some("dependencies"),
                ));
            }
        }
        let original_keys = entry_names(&a.schema_dependencies);
        let update_keys = entry_names(&b.schema_dependencies);
        for name in java_hash_order(&original_keys, &update_keys, Some(original_keys.len())) {
            let path = format!("dependencies/{name}");
            let was = entry(&a.schema_dependencies, name).map(|id| Self::node_ref(om, *id));
            let is = entry(&b.schema_dependencies, name).map(|id| Self::node_ref(um, *id));
            match (was, is) {
                (_, None) => out.push(at("DEPENDENCY_SCHEMA_REMOVED", path, was, None, None)),
                (None, Some(_)) => out.push(at("DEPENDENCY_SCHEMA_ADDED", path, None, is, None)),
                (Some(_), Some(_)) => self.compare(out, &path, was, is),
            }
        }
        // additionalProperties
        self.additional(
            out,
            (original, update),
            (a.additional, b.additional),
            "additionalProperties",
            [
                "ADDITIONAL_PROPERTIES_ADDED",
                "ADDITIONAL_PROPERTIES_REMOVED",
                "ADDITIONAL_PROPERTIES_EXTENDED",
                "ADDITIONAL_PROPERTIES_NARROWED",
            ],
        );
        // unevaluatedProperties
        self.unevaluated(
            out,
            (original, update),
            (a.unevaluated, b.unevaluated),
            "unevaluatedProperties",
            [
                "UNEVALUATED_PROPERTIES_ADDED",
                "UNEVALUATED_PROPERTIES_REMOVED",
                "UNEVALUATED_PROPERTIES_EXTENDED",
                "UNEVALUATED_PROPERTIES_NARROWED",
            ],
        );
        let keyword = |rule, keyword| {
            Self::difference(rule, keyword, Some(original), Some(update), Some(keyword))
        };
        bound(
            out,
            keyword,
            "maxProperties",
            a.max_properties,
            b.max_properties,
            MAX_PROPERTIES,
        );
        bound(
            out,
            keyword,
            "minProperties",
            a.min_properties,
            b.min_properties,
            MIN_PROPERTIES,
        );
    }

    fn has_default(&self, node: NodeRef) -> bool {
        self.models[node.model].node(node.id).default.is_some()
    }

    /// A node that is `true`/`{}` (or absent) for the `unevaluated…` keywords.
    fn unconstrained(&self, node: Option<NodeRef>) -> Option<NodeRef> {
        node.filter(|node| !self.models[node.model].node(node.id).is_empty_schema())
    }

    fn object_is_open(&self, model: usize, object: &ObjectSchema) -> bool {
        object.pattern_properties.is_empty()
            && object.additional == Additional::Permitted
            && self
                .unconstrained(object.unevaluated.map(|id| Self::node_ref(model, id)))
                .is_none()
    }

    /// The schema a partially open object applies to a property it does not list.
    fn object_cover(&self, model: usize, object: &ObjectSchema, name: &str) -> Option<NodeRef> {
        for (pattern, node) in &object.pattern_properties {
            if self.models[model].patterns[*pattern].is_match(name) {
                return Some(Self::node_ref(model, *node));
            }
        }
        if let Some(node) = object.additional.schema() {
            return Some(Self::node_ref(model, node));
        }
        if object.additional == Additional::Permitted {
            let unevaluated = object.unevaluated.map(|id| Self::node_ref(model, id));
            return self
                .unconstrained(unevaluated)
                .filter(|node| !matches!(self.kind(*node), Kind::False));
        }
        None
    }

    fn additional(
        &mut self,
        out: &mut Vec<Difference>,
        (original, update): (NodeRef, NodeRef),
        (a, b): (Additional, Additional),
        keyword: &'static str,
        [added, removed, extended, narrowed]: [&'static str; 4],
    ) {
        let at =
            |rule| Self::difference(rule, keyword, Some(original), Some(update), Some(keyword));
        if a.permits() != b.permits() {
            out.push(at(if b.permits() { added } else { removed }));
        } else {
            match (a.schema(), b.schema()) {
                (None, Some(_)) => out.push(at(narrowed)),
                (Some(_), None) => out.push(at(extended)),
                (Some(a), Some(b)) => self.compare(
                    out,
                    keyword,
                    Some(Self::node_ref(original.model, a)),
                    Some(Self::node_ref(update.model, b)),
                ),
                (None, None) => {}
            }
        }
    }

    fn unevaluated(
        &mut self,
        out: &mut Vec<Difference>,
        (original, update): (NodeRef, NodeRef),
        (a, b): (Option<NodeId>, Option<NodeId>),
        keyword: &'static str,
        [added, removed, extended, narrowed]: [&'static str; 4],
    ) {
        let a = self.unconstrained(a.map(|id| Self::node_ref(original.model, id)));
        let b = self.unconstrained(b.map(|id| Self::node_ref(update.model, id)));
        let at =
            |rule| Self::difference(rule, keyword, Some(original), Some(update), Some(keyword));
        let is_false = |engine: &Self, node: NodeRef| matches!(engine.kind(node), Kind::False);
        match (a, b) {
            (None, None) => {}
            (None, Some(b)) => out.push(at(if is_false(self, b) { removed } else { narrowed })),
            (Some(a), None) => out.push(at(if is_false(self, a) { added } else { extended })),
            (Some(a), Some(b)) => match (is_false(self, a), is_false(self, b)) {
                (true, false) => out.push(at(added)),
                (false, true) => out.push(at(removed)),
                (true, true) => {}
                (false, false) => self.compare(out, keyword, Some(a), Some(b)),
            },
        }
    }

    fn array_is_open(&self, model: usize, array: &ArraySchema) -> bool {
        array.additional == Additional::Permitted
            && self
                .unconstrained(array.unevaluated.map(|id| Self::node_ref(model, id)))
                .is_none()
    }

    /// The schema a partially open array applies to items past its tuple.
    fn array_cover(&self, model: usize, array: &ArraySchema) -> Option<NodeRef> {
        if let Some(node) = array.additional.schema() {
            return Some(Self::node_ref(model, node));
        }
        if array.additional == Additional::Permitted {
            let unevaluated = array.unevaluated.map(|id| Self::node_ref(model, id));
            return self
                .unconstrained(unevaluated)
                .filter(|node| !matches!(self.kind(*node), Kind::False));
        }
        None
    }

    fn array(
        &mut self,
        out: &mut Vec<Difference>,
        original: NodeRef,
        update: NodeRef,
        a: &ArraySchema,
        b: &ArraySchema,
    ) {
        let (om, um) = (original.model, update.model);
        self.compare(
            out,
            "items",
            a.all_items.map(|id| Self::node_ref(om, id)),
            b.all_items.map(|id| Self::node_ref(um, id)),
        );
        let shared = a.item_schemas.len().min(b.item_schemas.len());
        for index in 0..shared {
            self.compare(
                out,
                &format!("items/{index}"),
                Some(Self::node_ref(om, a.item_schemas[index])),
                Some(Self::node_ref(um, b.item_schemas[index])),
            );
        }
        let at = |rule, path: String, o: Option<NodeRef>, u: Option<NodeRef>| Difference {
            rule,
            path,
            original: o,
            update: u,
            keyword: None,
        };
        let update_open = self.array_is_open(um, b);
        for index in shared..a.item_schemas.len() {
            let path = format!("items/{index}");
            let item = Self::node_ref(om, a.item_schemas[index]);
            if update_open {
                out.push(at(
                    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
                    path,
                    Some(item),
                    None,
                ));
            } else if let Some(cover) = self.array_cover(um, b) {
                let mut covered = Vec::new();
                self.compare(&mut covered, &path, Some(item), Some(cover));
                let rule = if self.compatible(&covered) {
                    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                } else {
                    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                };
                out.extend(covered);
                out.push(at(rule, path, Some(item), Some(cover)));
            } else {
                let rule = if matches!(self.kind(item), Kind::False) {
                    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                } else {
                    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                };
                out.push(at(rule, path, Some(item), None));
            }
        }
        let original_open = self.array_is_open(om, a);
        for index in shared..b.item_schemas.len() {
            let path = format!("items/{index}");
            let item = Self::node_ref(um, b.item_schemas[index]);
            if original_open {
                let rule = if self.models[um].node(item.id).is_empty_schema() {
                    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                } else {
                    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL"
                };
                out.push(at(rule, path, None, Some(item)));
            } else if let Some(cover) = self.array_cover(om, a) {
                let mut covered = Vec::new();
                self.compare(&mut covered, &path, Some(cover), Some(item));
                let rule = if self.compatible(&covered) {
                    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                } else {
                    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                };
                out.extend(covered);
                out.push(at(rule, path, Some(cover), Some(item)));
            } else {
                out.push(at(
                    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
                    path,
                    None,
                    Some(item),
                ));
            }
        }
        self.additional(
            out,
            (original, update),
            (a.additional, b.additional),
            "additionalItems",
            [
                "ADDITIONAL_ITEMS_ADDED",
                "ADDITIONAL_ITEMS_REMOVED",
                "ADDITIONAL_ITEMS_EXTENDED",
                "ADDITIONAL_ITEMS_NARROWED",
            ],
        );
        self.unevaluated(
            out,
            (original, update),
            (a.unevaluated, b.unevaluated),
            "unevaluatedItems",
            [
                "UNEVALUATED_ITEMS_ADDED",
                "UNEVALUATED_ITEMS_REMOVED",
                "UNEVALUATED_ITEMS_EXTENDED",
                "UNEVALUATED_ITEMS_NARROWED",
            ],
        );
        let keyword = |rule, keyword| {
            Self::difference(rule, keyword, Some(original), Some(update), Some(keyword))
        };
        bound(
            out,
            keyword,
            "maxItems",
            a.max_items,
            b.max_items,
            MAX_ITEMS,
        );
        bound(
            out,
            keyword,
            "minItems",
            a.min_items,
            b.min_items,
            MIN_ITEMS,
        );
        if a.unique_items != b.unique_items {
            out.push(keyword(
                if a.unique_items {
                    "UNIQUE_ITEMS_REMOVED"
                } else {
                    "UNIQUE_ITEMS_ADDED"
                },
                "uniqueItems",
            ));
        }
        bound(
            out,
            keyword,
            "maxContains",
            a.max_contains,
            b.max_contains,
            MAX_CONTAINS,
        );
        bound(
            out,
            keyword,
            "minContains",
            a.min_contains,
            b.min_contains,
            MIN_CONTAINS,
        );
    }
}

/// The `ADDED`, `REMOVED`, `INCREASED`, `DECREASED` names of a bound.
type BoundRules = [&'static str; 4];
const MAX_LENGTH: BoundRules = [
    "MAX_LENGTH_ADDED",
    "MAX_LENGTH_REMOVED",
    "MAX_LENGTH_INCREASED",
    "MAX_LENGTH_DECREASED",
];
const MIN_LENGTH: BoundRules = [
    "MIN_LENGTH_ADDED",
    "MIN_LENGTH_REMOVED",
    "MIN_LENGTH_INCREASED",
    "MIN_LENGTH_DECREASED",
];
const MAXIMUM: BoundRules = [
    "MAXIMUM_ADDED",
    "MAXIMUM_REMOVED",
    "MAXIMUM_INCREASED",
    "MAXIMUM_DECREASED",
];
const MINIMUM: BoundRules = [
    "MINIMUM_ADDED",
    "MINIMUM_REMOVED",
    "MINIMUM_INCREASED",
    "MINIMUM_DECREASED",
];
const EXCLUSIVE_MAXIMUM: BoundRules = [
    "EXCLUSIVE_MAXIMUM_ADDED",
    "EXCLUSIVE_MAXIMUM_REMOVED",
    "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_DECREASED",
];
const EXCLUSIVE_MINIMUM: BoundRules = [
    "EXCLUSIVE_MINIMUM_ADDED",
    "EXCLUSIVE_MINIMUM_REMOVED",
    "EXCLUSIVE_MINIMUM_INCREASED",
    "EXCLUSIVE_MINIMUM_DECREASED",
];
const MAX_PROPERTIES: BoundRules = [
    "MAX_PROPERTIES_ADDED",
    "MAX_PROPERTIES_REMOVED",
    "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_DECREASED",
];
const MIN_PROPERTIES: BoundRules = [
    "MIN_PROPERTIES_ADDED",
    "MIN_PROPERTIES_REMOVED",
    "MIN_PROPERTIES_INCREASED",
    "MIN_PROPERTIES_DECREASED",
];
const MAX_ITEMS: BoundRules = [
    "MAX_ITEMS_ADDED",
    "MAX_ITEMS_REMOVED",
    "MAX_ITEMS_INCREASED",
    "MAX_ITEMS_DECREASED",
];
const MIN_ITEMS: BoundRules = [
    "MIN_ITEMS_ADDED",
    "MIN_ITEMS_REMOVED",
    "MIN_ITEMS_INCREASED",
    "MIN_ITEMS_DECREASED",
];
const MAX_CONTAINS: BoundRules = [
    "MAX_CONTAINS_ADDED",
    "MAX_CONTAINS_REMOVED",
    "MAX_CONTAINS_INCREASED",
    "MAX_CONTAINS_DECREASED",
];
const MIN_CONTAINS: BoundRules = [
    "MIN_CONTAINS_ADDED",
    "MIN_CONTAINS_REMOVED",
    "MIN_CONTAINS_INCREASED",
    "MIN_CONTAINS_DECREASED",
];

fn bound(
    out: &mut Vec<Difference>,
    at: impl Fn(&'static str, &'static str) -> Difference,
    keyword: &'static str,
    original: Option<f64>,
    update: Option<f64>,
    [added, removed, increased, decreased]: BoundRules,
) {
    let rule = match (original, update) {
        (None, Some(_)) => added,
        (Some(_), None) => removed,
        (Some(original), Some(update)) if original < update => increased,
        (Some(original), Some(update)) if original > update => decreased,
        _ => return,
    };
    out.push(at(rule, keyword));
}

/// The names of named entries (properties, dependencies), in order.
fn entry_names<T>(entries: &[(String, T)]) -> Vec<&str> {
    entries.iter().map(|(name, _)| name.as_str()).collect()
}

/// The value of the entry named `name`, if any.
fn entry<'e, T>(entries: &'e [(String, T)], name: &str) -> Option<&'e T> {
    entries
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Whether `value` is an integer multiple of `base`.
fn is_multiple(value: f64, base: f64) -> bool {
    if base == 0.0 {
        return false;
    }
    let ratio = value / base;
    ratio.is_finite() && ratio.abs() >= 1.0 && (ratio - ratio.round()).abs() <= 1e-9 * ratio.abs()
}

/// A maximum matching of a bipartite graph (a greedy start, then Kuhn's
/// augmenting paths, searched without recursion): for each left vertex, the
/// right vertex it is matched with.
fn maximum_matching<T>(edges: &[Vec<(usize, T)>], right_count: usize) -> Vec<Option<usize>> {
    let mut right_match: Vec<Option<usize>> = vec![None; right_count];
    let mut left_matched = vec![false; edges.len()];
    for (left, candidates) in edges.iter().enumerate() {
        if let Some((right, _)) = candidates
            .iter()
            .find(|(right, _)| right_match[*right].is_none())
        {
            right_match[*right] = Some(left);
            left_matched[left] = true;
        }
    }
    for (start, matched) in left_matched.into_iter().enumerate() {
        if matched {
            continue;
        }
        let mut visited = vec![false; right_count];
        // Each level: a left vertex and the next of its edges to try; `chosen`
        // holds the right vertex each level went through.
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        let mut chosen: Vec<usize> = Vec::new();
        while let Some(top) = stack.last_mut() {
            let (left, next) = *top;
            let Some((right, _)) = edges[left].get(next) else {
                stack.pop();
                chosen.pop();
                continue;
            };
            top.1 += 1;
            let right = *right;
            if visited[right] {
                continue;
            }
            visited[right] = true;
            chosen.push(right);
            match right_match[right] {
                Some(other) => stack.push((other, 0)),
                None => {
                    for ((left, _), right) in stack.iter().zip(&chosen) {
                        right_match[*right] = Some(*left);
                    }
                    break;
                }
            }
        }
    }
    let mut left_match = vec![None; edges.len()];
    for (right, left) in right_match.iter().enumerate() {
        if let Some(left) = left {
            left_match[*left] = Some(right);
        }
    }
    left_match
}

/// A text equal for equal JSON values, whatever their key order.
fn value_key(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(members) => {
                let mut keys: Vec<&String> = members.keys().collect();
                keys.sort();
                out.push('{');
                for key in keys {
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(&members[key], out);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for item in items {
                    write(item, out);
                    out.push(',');
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// Java's `String.hashCode`.
pub(super) fn java_hash(text: &str) -> u32 {
    let mut hash: i32 = 0;
    for unit in text.encode_utf16() {
        hash = hash.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    hash as u32
}

/// The order in which Java iterates a `HashSet<String>` built from `first`
/// (with `HashSet(Collection)`'s initial capacity when `copied` gives the
/// collection's size, else a default `HashMap`) and then `then`: by bucket
/// of the final table, ties in insertion order.
pub(super) fn java_hash_order<'a>(
    first: &[&'a str],
    then: &[&'a str],
    copied: Option<usize>,
) -> Vec<&'a str> {
    let mut capacity: usize = match copied {
        Some(size) => ((size as f32 / 0.75) as usize + 1)
            .max(16)
            .next_power_of_two(),
        None => 16,
    };
    let mut inserted: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for name in first.iter().chain(then) {
        if !seen.insert(name) {
            continue;
        }
        inserted.push(name);
        if inserted.len() as f64 > capacity as f64 * 0.75 {
            capacity *= 2;
        }
    }
    let bucket = |name: &str| {
        let hash = java_hash(name);
        ((hash ^ (hash >> 16)) as usize) & (capacity - 1)
    };
    let mut ordered: Vec<(usize, usize, &str)> = inserted
        .into_iter()
        .enumerate()
        .map(|(position, name)| (bucket(name), position, name))
        .collect();
    ordered.sort();
    ordered.into_iter().map(|(_, _, name)| name).collect()
}
