//! Which fields of a converted document value a rule can observe.
//!
//! `doc.get`, `doc.list` and `doc.values` turn document nodes into Rhai
//! maps, and building and dropping those maps was the largest single cost of
//! evaluation. Most rules then read two or three fields of each map:
//!
//! ```rhai
//! for (m, i) in doc.list("spec.models") {
//!     if m?.hosting == "self-hosted" && m.weights?.encrypted_at_rest != true { ... }
//! }
//! ```
//!
//! When every use of the variable that holds the result is a property read
//! with a fixed name (`m.name`, `m?.hosting`, `m["x"]`, and chains that
//! start with one), no other key of the map can be seen, so the conversion
//! at that call leaves them out. Any other use (the variable passed to a
//! function, compared, returned, captured, given a method call or assigned
//! through) keeps the whole value, as does anything this analysis does not
//! recognise: it only ever errs towards converting more.

use std::collections::{BTreeSet, HashMap};

use rhai::{ASTNode, Expr, ImmutableString, Position, Stmt, AST};

/// The calls of one rule whose results need only some keys.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields {
    /// By the position of the call (`list` in `doc.list(...)`), the keys its
    /// maps keep. Few per rule: a list beats a map here.
    sites: Vec<(Position, Box<[Box<str>]>)>,
}

/// The native functions whose results this applies to.
const CONVERTING: [&str; 3] = ["get", "list", "values"];

impl Fields {
    /// The keys that the call at `at` needs, if it needs only some.
    pub fn at(&self, at: Position) -> Option<&[Box<str>]> {
        self.sites.iter().find(|(p, _)| *p == at).map(|(_, keys)| &**keys)
    }

    /// Whether no call of the rule can leave keys out.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// The calls of `ast` whose results are only read by fixed property names.
    pub fn of(ast: &AST) -> Fields {
        let Some(declared) = declarations(ast) else { return Fields::default() };
        let mut sites = Vec::new();
        ast.walk(&mut |path: &[ASTNode]| {
            match path.last() {
                // `for x in doc.list(...)`: `x` lives in the loop's body
                // (where another declaration of the name would shadow it).
                Some(ASTNode::Stmt(stmt @ Stmt::For(for_loop, _))) => {
                    let (var, counter, flow) = &**for_loop;
                    if let Some(at) = converting_call(&flow.expr) {
                        let shadowed = counter.as_ref().is_some_and(|c| c.name == var.name);
                        if let Some(keys) = keys_read(&var.name, stmt, |on| stmt.walk(&mut Vec::new(), on)).filter(|_| !shadowed) {
                            sites.push((at, keys));
                        }
                    }
                }
                // `let v = doc.get(...)`: `v` may be read anywhere after,
                // so only a name declared once in the whole rule qualifies,
                // and every use of that name in the rule is looked at.
                Some(ASTNode::Stmt(stmt @ Stmt::Var(var, ..))) => {
                    let (name, init, _) = &**var;
                    if let Some(at) = converting_call(init) {
                        if declared.get(&name.name) == Some(&1) {
                            if let Some(keys) = keys_read(&name.name, stmt, |on| ast.walk(on)) {
                                sites.push((at, keys));
                            }
                        }
                    }
                }
                _ => {}
            }
            true
        });
        // One call can be met twice (a `let` inside a loop over another
        // list); the keys are the same each time.
        sites.sort_by_key(|(at, _)| (at.line(), at.position()));
        sites.dedup_by(|a, b| a.0 == b.0);
        Fields { sites }
    }
}

/// The position of `x.get(...)`, `x.list(...)` or `x.values(...)` with one
/// argument: the position a native function sees as its call position.
fn converting_call(expr: &Expr) -> Option<Position> {
    let Expr::Dot(chain, ..) = expr else { return None };
    match &chain.rhs {
        Expr::MethodCall(call, at) if call.args.len() == 1 && CONVERTING.contains(&call.name.as_str()) => Some(*at),
        _ => None,
    }
}

/// The names `stmt` declares: a `let` or `const`, a loop's variables, a
/// `catch` variable.
fn declared_names(stmt: &Stmt) -> impl Iterator<Item = &ImmutableString> {
    let names = match stmt {
        Stmt::Var(var, ..) => [Some(&var.0.name), None],
        Stmt::For(for_loop, _) => [Some(&for_loop.0.name), for_loop.1.as_ref().map(|c| &c.name)],
        Stmt::TryCatch(flow, _) => match &flow.expr {
            Expr::Variable(v, ..) => [Some(&v.1), None],
            _ => [None, None],
        },
        _ => [None, None],
    };
    names.into_iter().flatten()
}

/// How many times each name is declared in the rule, parameters included;
/// `None` when a call is written `f!(...)`, which lets a function read the
/// caller's variables: uses this analysis cannot see.
fn declarations(ast: &AST) -> Option<HashMap<ImmutableString, usize>> {
    let mut count: HashMap<ImmutableString, usize> = HashMap::new();
    for function in ast.iter_fn_def() {
        for param in &function.params {
            *count.entry(param.clone()).or_default() += 1;
        }
    }
    let mut shares_scope = false;
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Stmt(stmt)) => {
                if let Stmt::FnCall(call, _) = stmt {
                    shares_scope |= call.capture_parent_scope;
                }
                for name in declared_names(stmt) {
                    *count.entry(name.clone()).or_default() += 1;
                }
            }
            Some(ASTNode::Expr(Expr::FnCall(call, _))) => shares_scope |= call.capture_parent_scope,
            _ => {}
        }
        !shares_scope
    });
    (!shares_scope).then_some(count)
}

/// The keys read from variable `name`, declared by `declaring`, in the
/// nodes `walk` visits, or `None` when some use of it may see the whole
/// value or another declaration of the name may shadow it.
fn keys_read(name: &str, declaring: &Stmt, walk: impl FnOnce(&mut dyn FnMut(&[ASTNode]) -> bool) -> bool) -> Option<Box<[Box<str>]>> {
    let mut keys = BTreeSet::new();
    let mut whole = false;
    walk(&mut |path: &[ASTNode]| {
        match path {
            [.., ASTNode::Stmt(stmt)] if !std::ptr::eq(*stmt, declaring) && declared_names(stmt).any(|n| n == name) => whole = true,
            [.., parent, ASTNode::Expr(var @ Expr::Variable(v, ..))] if v.1 == name => match key_of(parent, var) {
                Some(key) => {
                    keys.insert(key);
                }
                None => whole = true,
            },
            // Assigning through the variable (`v.k = x`) or to it.
            [.., ASTNode::Stmt(Stmt::Assignment(assignment))] => whole |= root_is(&assignment.1.lhs, name),
            // `break v`: the walk does not go into a break's value.
            [.., ASTNode::Stmt(Stmt::BreakLoop(Some(value), ..))] => whole |= mentions(value, name),
            // A use with no parent in sight (a statement `v;`) shows the value.
            [ASTNode::Expr(Expr::Variable(v, ..))] if v.1 == name => whole = true,
            _ => {}
        }
        !whole
    });
    (!whole).then(|| keys.into_iter().map(String::into_boxed_str).collect())
}

/// The key that `parent` reads from `var`, when `parent` is a property read
/// with a fixed name whose object is `var`.
fn key_of(parent: &ASTNode, var: &Expr) -> Option<String> {
    match parent {
        // `v.k`, `v?.k`, `v.k.more`, `v.k[0]`, `v.k.len()`: the first
        // property after `v` names the key; what follows reads that key's value.
        ASTNode::Expr(Expr::Dot(chain, ..)) if std::ptr::eq(&chain.lhs, var) => {
            let mut first = &chain.rhs;
            loop {
                match first {
                    Expr::Property(property, _) => return Some(property.2.to_string()),
                    Expr::Dot(inner, ..) | Expr::Index(inner, ..) => first = &inner.lhs,
                    // `v.len()`, `v.keys()`, a method of the rule's own: the whole map.
                    _ => return None,
                }
            }
        }
        // `v["k"]`.
        ASTNode::Expr(Expr::Index(chain, ..)) if std::ptr::eq(&chain.lhs, var) => match &chain.rhs {
            Expr::StringConstant(key, _) => Some(key.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `target` (an assignment's left side) is the variable `name` or
/// reaches into it.
fn root_is(target: &Expr, name: &str) -> bool {
    match target {
        Expr::Variable(v, ..) => v.1 == name,
        Expr::Dot(chain, ..) | Expr::Index(chain, ..) => root_is(&chain.lhs, name),
        _ => false,
    }
}

/// Whether `name` occurs anywhere in `expr`.
fn mentions(expr: &Expr, name: &str) -> bool {
    let mut found = false;
    expr.walk(&mut Vec::new(), &mut |path: &[ASTNode]| {
        found |= matches!(path.last(), Some(ASTNode::Expr(Expr::Variable(v, ..))) if v.1 == name);
        !found
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys kept at each site of `body` (a rule's functions), by line:column.
    fn sites(body: &str) -> Vec<(String, Vec<String>)> {
        let engine = crate::script::build_engine(&crate::script::Limits::default());
        // Tests may panic: a compile error here is a mistake in the test.
        #[allow(clippy::unwrap_used)]
        let ast = engine.compile(body).unwrap();
        Fields::of(&ast)
            .sites
            .iter()
            .map(|(at, keys)| {
                (format!("{}:{}", at.line().unwrap_or(0), at.position().unwrap_or(0)), keys.iter().map(|k| k.to_string()).collect())
            })
            .collect()
    }

    fn one(at: &str, keys: &[&str]) -> Vec<(String, Vec<String>)> {
        vec![(at.to_string(), keys.iter().map(|k| k.to_string()).collect())]
    }

    #[test]
    fn a_loop_variable_read_by_fixed_names_keeps_those_keys() {
        let rule = "fn check(doc) {\n  for (m, i) in doc.list(\"spec.models\") {\n    if m?.hosting == \"self-hosted\" && m.weights?.encrypted_at_rest != true {\n      doc.fail(`spec.models[${i}]`, `${m.name} ${m[\"version\"]}`);\n    }\n  }\n}";
        assert_eq!(sites(rule), one("2:21", &["hosting", "name", "version", "weights"]));
    }

    #[test]
    fn a_variable_declared_once_and_read_by_fixed_names_keeps_those_keys() {
        let rule = "fn check(doc) {\n  let logging = doc.get(\"spec.logging\");\n  if logging?.events.len() == 0 || logging.retention_days < 30 { doc.fail(\"spec.logging\", \"x\"); }\n}";
        assert_eq!(sites(rule), one("2:21", &["events", "retention_days"]));
        let values =
            "fn check(doc) {\n  for s in doc.values(\"spec.tools[*]\") { if s.effect == \"write\" { doc.fail(\"spec\", \"x\"); } }\n}";
        assert_eq!(sites(values), one("2:16", &["effect"]));
    }

    #[test]
    fn a_loop_that_reads_nothing_from_its_items_keeps_no_key() {
        assert_eq!(sites("fn check(doc) { let n = 0; for t in doc.list(\"spec.tools\") { n += 1; } }"), one("1:41", &[]));
    }

    #[test]
    fn any_use_of_the_whole_value_keeps_every_key() {
        let rule =
            |use_of_m: &str| format!("fn helper() {{ this }}\nfn check(doc) {{\n  for m in doc.list(\"spec.models\") {{ {use_of_m} }}\n}}");
        assert_eq!(sites(&rule("if m.x == 1 {}")), one("3:16", &["x"]), "the loop alone keeps one key");
        for (what, use_of_m) in [
            ("passed to a function", "if type_of(m) == \"map\" {}"),
            ("compared", "if m == () {}"),
            ("a method call", "if m.len() > 2 {}"),
            ("a method call after elvis", "if m?.keys().len() > 2 {}"),
            ("copied", "let w = m; if w.x == 1 {}"),
            ("an index that is not a literal", "let k = \"a\"; if m[k] == 1 {}"),
            ("a number index", "if m[0] == 1 {}"),
            ("interpolated whole", "doc.fail(\"spec\", `${m}`);"),
            ("membership", "if \"a\" in m {}"),
            ("switched on", "switch m { () => {}, _ => {} }"),
            ("captured by a closure", "let f = || m.a; if f.call() == 1 {}"),
            ("assigned through", "m.a = 1; if m.b == 1 {}"),
            ("assigned", "m = #{}; if m.a == 1 {}"),
            ("broken out with", "let r = loop { break m; }; if r.a == 1 {}"),
            ("returned", "return m;"),
            ("a rule's own method", "m.helper();"),
        ] {
            assert_eq!(sites(&rule(use_of_m)), vec![], "{what}: {use_of_m}");
        }
    }

    #[test]
    fn a_name_declared_again_keeps_every_key() {
        let shadowed = "fn check(doc) {\n  for m in doc.list(\"spec.models\") { let m = 1; if m.x == 1 {} }\n}";
        assert_eq!(sites(shadowed), vec![]);
        let twice = "fn applies(doc) { let v = 1; v == 1 }\nfn check(doc) { let v = doc.get(\"spec.logging\"); if v.a == 1 {} }";
        assert_eq!(sites(twice), vec![], "a `let` name declared elsewhere in the rule");
        let parameter = "fn helper(v) { v }\nfn check(doc) { let v = doc.get(\"spec.logging\"); if v.a == 1 {} }";
        assert_eq!(sites(parameter), vec![], "a `let` name that is also a parameter");
        let caught = "fn check(doc) { let v = doc.get(\"spec.logging\"); try { throw 1; } catch (v) { } if v.a == 1 {} }";
        assert_eq!(sites(caught), vec![], "a `let` name that is also a catch variable");
    }

    #[test]
    fn a_value_that_a_function_gives_back_keeps_every_key() {
        let rule = "fn logging(doc) {\n  let v = doc.get(\"spec.logging\");\n  if v.a == 1 { print(\"a\"); }\n  v\n}";
        assert_eq!(sites(rule), vec![]);
    }

    #[test]
    fn a_call_that_shares_the_callers_scope_keeps_every_key_in_the_rule() {
        let rule = "fn peek() { m }\nfn check(doc) {\n  for m in doc.list(\"spec.models\") { if m.a == 1 { peek!(); } }\n}";
        assert_eq!(sites(rule), vec![]);
    }

    #[test]
    fn only_conversions_of_document_values_count() {
        let rule = "fn check(doc) {\n  let m = #{a: 1};\n  let v = m.get(\"a\", 2);\n  for x in [1, 2] { if x.a == 1 {} }\n}";
        assert_eq!(sites(rule), vec![], "a call with two arguments and a literal array are not conversions");
    }
}
