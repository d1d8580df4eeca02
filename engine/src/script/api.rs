//! The functions rules call. Each is documented in `docs/rule-api.md` with an
//! example, and tested in `engine/tests/rule_api.rs`.
//!
//! Documents reach scripts as a `Document` handle over shared, read-only
//! data: `doc.get(path)` converts only the value it returns, so the cost of
//! reading one field does not grow with the size of the document.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, NativeCallContext, INT};

use super::context::{self, RawFinding};
use super::graph::Graph;
use crate::document::path::{self, Segments};
use crate::document::{Document, Node, Value};
use crate::fxhash::FxBuild;

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// A document as a rule sees it.
#[derive(Clone)]
pub struct Doc {
    pub(crate) doc: Arc<Document>,
    /// Which document of the evaluation this is (corpus rules see many).
    pub(crate) slot: usize,
}

impl Doc {
    pub fn new(doc: Arc<Document>, slot: usize) -> Self {
        Doc { doc, slot }
    }

    /// Resolves a path, recording it as evidence the verdict depends on.
    fn read(&self, path: &str) -> Fallible<(Rc<Segments>, Option<&Node>)> {
        let segments = parse_path(path)?;
        context::record_read(self.slot, Rc::clone(&segments));
        let node = self.doc.root.get(&segments);
        Ok((segments, node))
    }
}

thread_local! {
    /// Paths already parsed on this thread: a rule passes the same literals
    /// for every document, and its reads are recorded by sharing them.
    static PARSED: RefCell<HashMap<Box<str>, Rc<Segments>, FxBuild>> = RefCell::default();
}

/// Past this many paths a thread forgets them (paths built with `${i}`
/// differ per item).
const MAX_PARSED: usize = 1024;
/// Longer paths are parsed each time, not kept: a document's key can be a
/// megabyte long, and the cache would keep a thousand of them.
const MAX_PARSED_LEN: usize = 256;

/// A path as a rule wrote it, wildcards allowed.
fn parse_any_path(path: &str) -> Fallible<Rc<Segments>> {
    if let Some(parsed) = PARSED.with(|cache| cache.borrow().get(path).cloned()) {
        return Ok(parsed);
    }
    let parsed = Rc::new(path::parse(path).map_err(|reason| format!("invalid path `{path}`: {reason}"))?);
    if path.len() > MAX_PARSED_LEN {
        return Ok(parsed);
    }
    PARSED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= MAX_PARSED {
            cache.clear();
        }
        cache.insert(path.into(), Rc::clone(&parsed));
    });
    Ok(parsed)
}

/// A path to one place: no wildcards.
fn parse_path(path: &str) -> Fallible<Rc<Segments>> {
    let segments = parse_any_path(path)?;
    if segments.contains(&path::Segment::Any) {
        return Err(format!(
            "invalid path `{path}`: wildcards are for `doc.values(...)` and `reassess.on_change`; iterate with `doc.list(...)` instead"
        )
        .into());
    }
    Ok(segments)
}

/// A node as the rule sees it: whole, or as a map of only the keys the
/// call's result is read by (`script::fields`).
fn convert(node: &Node, keys: Option<&[Box<str>]>) -> Dynamic {
    keys.map_or_else(|| node.to_dynamic(), |keys| node.to_dynamic_keeping(keys))
}

fn is_present(node: Option<&Node>) -> bool {
    match node.map(|n| &n.value) {
        None | Some(Value::Null) => false,
        Some(Value::Str(s)) => !s.trim().is_empty(),
        Some(Value::Seq(items)) => !items.is_empty(),
        Some(Value::Map(entries)) => !entries.is_empty(),
        Some(_) => true,
    }
}

fn parse_date(value: &Dynamic) -> Option<jiff::civil::Date> {
    let text = value.read_lock::<ImmutableString>()?;
    // Accept a full timestamp too (`2025-02-12T10:00:00Z`): only the date counts.
    text.get(..10)?.parse().ok()
}

fn days_between(from: jiff::civil::Date, to: jiff::civil::Date) -> INT {
    from.until(to).map(|span| span.get_days() as INT).unwrap_or_default()
}

/// Parses durations such as `90d`, `12w`, `6m`, `1y` into days, measured from `now`.
pub fn duration_days(text: &str, now: jiff::civil::Date) -> Result<INT, String> {
    let span = parse_duration(text)?;
    let later = now.checked_add(span).map_err(|e| format!("duration `{text}` is out of range: {e}"))?;
    Ok(days_between(now, later))
}

/// Parses `90d`, `12w`, `6m` (calendar months) or `1y` (calendar years).
pub fn parse_duration(text: &str) -> Result<jiff::Span, String> {
    let bad = || format!("`{text}` is not a duration: write a whole number and a unit, as in `90d`, `12w`, `6m` or `1y`");
    let unit = text.chars().last().ok_or_else(bad)?;
    let digits = text.get(..text.len() - unit.len_utf8()).ok_or_else(bad)?;
    // Digits only: `+90d` would parse, and be shown back as written.
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let number: i64 = digits.parse().map_err(|_| bad())?;
    if number <= 0 {
        return Err(bad());
    }
    // At most a century: `every: "10000y"` would end past the calendar's
    // last date (9999), and such an expiry could never come due.
    let century = match unit {
        'd' => 36_525,
        'w' => 5_218,
        'm' => 1_200,
        _ => 100,
    };
    if number > century {
        return Err(format!("`{text}` is longer than 100 years, the longest duration annexa takes"));
    }
    match unit {
        'd' => jiff::Span::new().try_days(number).map_err(|_| bad()),
        'w' => jiff::Span::new().try_weeks(number).map_err(|_| bad()),
        'm' => jiff::Span::new().try_months(number).map_err(|_| bad()),
        'y' => jiff::Span::new().try_years(number).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

thread_local! {
    // Compiled patterns, per thread: native functions must be Send + Sync, a cache behind a lock would contend.
    static REGEXES: std::cell::RefCell<std::collections::HashMap<String, regex::Regex>> = Default::default();
}

thread_local! {
    // The schema problems of the last document validated on this thread, by its serial.
    static SCHEMA_PROBLEMS: std::cell::RefCell<Option<(u64, Vec<crate::schema::Problem>)>> = const { std::cell::RefCell::new(None) };
    // The architecture graph of the last document that asked on this thread, by its serial:
    // AIS010 asks once per component it reaches.
    static ARCHITECTURE: std::cell::RefCell<Option<(u64, Rc<Graph>)>> = const { std::cell::RefCell::new(None) };
}

fn with_regex<T>(pattern: &str, f: impl FnOnce(&regex::Regex) -> T) -> Fallible<T> {
    REGEXES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(pattern) {
            let re = regex::RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("invalid regular expression `{pattern}`: {e}"))?;
            if cache.len() > 256 {
                cache.clear();
            }
            cache.insert(pattern.to_string(), re);
        }
        cache.get(pattern).map(f).ok_or_else(|| "regular expression cache".into())
    })
}

/// Registers the `Document` type and every function of the rule API.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Doc>("Document");

    // Reading.
    engine.register_fn("get", |call: NativeCallContext, d: &mut Doc, path: &str| -> Fallible<Dynamic> {
        let node = d.read(path)?.1;
        Ok(context::with_keys(call.call_position(), |keys| node.map_or(Dynamic::UNIT, |n| convert(n, keys))))
    });
    engine.register_fn("has", |d: &mut Doc, path: &str| -> Fallible<bool> { Ok(d.read(path)?.1.is_some_and(|n| n.value != Value::Null)) });
    engine.register_fn("present", |d: &mut Doc, path: &str| -> Fallible<bool> { Ok(is_present(d.read(path)?.1)) });
    engine.register_fn("list", |call: NativeCallContext, d: &mut Doc, path: &str| -> Fallible<Array> {
        let items = d.read(path)?.1.and_then(Node::as_seq).unwrap_or_default();
        Ok(context::with_keys(call.call_position(), |keys| items.iter().map(|n| convert(n, keys)).collect()))
    });
    engine.register_fn("values", |call: NativeCallContext, d: &mut Doc, path: &str| -> Fallible<Array> {
        let segments = parse_any_path(path)?;
        // The evidence is the collection before the first wildcard, as for `doc.list`:
        // an item added, removed or changed re-opens the verdict.
        let collection: Segments = segments.iter().take_while(|s| **s != path::Segment::Any).cloned().collect();
        context::record_read(d.slot, Rc::new(collection));
        let mut nodes = Vec::new();
        path::matching_nodes(&d.doc.root, &segments, &mut nodes);
        Ok(context::with_keys(call.call_position(), |keys| nodes.into_iter().map(|n| convert(n, keys)).collect()))
    });
    engine.register_fn("keys", |d: &mut Doc, path: &str| -> Fallible<Array> {
        Ok(d.read(path)?
            .1
            .and_then(Node::as_map)
            .map(|e| e.iter().map(|(k, _)| Dynamic::from(ImmutableString::from(&**k))).collect())
            .unwrap_or_default())
    });
    engine.register_get("kind", |d: &mut Doc| -> ImmutableString { d.doc.kind.as_str().into() });
    engine.register_get("name", |d: &mut Doc| -> ImmutableString { d.doc.identity.as_str().into() });
    engine.register_get("file", |d: &mut Doc| -> ImmutableString { d.doc.source.path.as_str().into() });
    engine.register_get("index", |d: &mut Doc| -> INT { d.doc.index as INT });

    // Reporting.
    engine.register_fn("fail", |d: &mut Doc, path: &str, message: &str| -> Fallible<()> {
        // One finding is at one place: `spec.tools[*].name` would be shown as missing.
        let segments = parse_path(path)?;
        if !context::record_finding(RawFinding { slot: d.slot, path: Segments::clone(&segments), message: message.to_string() }) {
            return Err("too many findings from one rule on one document".into());
        }
        Ok(())
    });

    // Membership in a missing list is false, not an error: `"x" in doc.get("missing")`.
    engine.register_fn("contains", |_: (), _: Dynamic| false);
    // `"x" in list`, the commonest test in rules, natively: Rhai's generic
    // `contains` calls the `==` operator through the interpreter once per item.
    // Same answers: a string equals only a string (or a one-character string a char).
    engine.register_fn("contains", |list: &mut Array, wanted: ImmutableString| -> bool {
        list.iter().any(|item| match item.read_lock::<ImmutableString>() {
            Some(s) => *s == wanted,
            None => item.as_char().is_ok_and(|c| wanted.chars().eq(std::iter::once(c))),
        })
    });

    // Dates, measured against the scan's `--now`.
    engine.register_fn("today", || -> ImmutableString { context::now().to_string().into() });
    engine.register_fn("is_date", |value: Dynamic| parse_date(&value).is_some());
    engine.register_fn("days_since", |value: Dynamic| -> Dynamic {
        parse_date(&value).map_or(Dynamic::UNIT, |date| Dynamic::from_int(days_between(date, context::now())))
    });
    engine.register_fn("days_until", |value: Dynamic| -> Dynamic {
        parse_date(&value).map_or(Dynamic::UNIT, |date| Dynamic::from_int(days_between(context::now(), date)))
    });
    engine.register_fn("duration_days", |text: &str| -> Fallible<INT> { Ok(duration_days(text, context::now())?) });

    // Regular expressions (Rust `regex` syntax; linear time, so no pattern can hang a scan).
    engine.register_fn("matches", |text: &str, pattern: &str| -> Fallible<bool> { with_regex(pattern, |re| re.is_match(text)) });
    engine.register_fn("matches", |_: (), pattern: &str| -> Fallible<bool> { with_regex(pattern, |_| false) });
    engine.register_fn("capture", |text: &str, pattern: &str| -> Fallible<Dynamic> {
        with_regex(pattern, |re| {
            re.captures(text).and_then(|c| c.get(1).or_else(|| c.get(0))).map_or(Dynamic::UNIT, |m| Dynamic::from(m.as_str().to_string()))
        })
    });

    // The published formats: problems of this document against the JSON Schema of its kind.
    engine.register_fn("schema_problems", |d: &mut Doc| -> Array {
        let Some(validator) = crate::schema::validator_for_kind(&d.doc.kind) else { return Array::new() };
        // SCH001 and SCH002 both ask for the same document in a row: validate it once per thread.
        let problems = SCHEMA_PROBLEMS.with(|last| {
            let mut last = last.borrow_mut();
            match &*last {
                Some((serial, problems)) if *serial == d.doc.serial() => problems.clone(),
                _ => {
                    let problems = validator.validate(&d.doc.root);
                    *last = Some((d.doc.serial(), problems.clone()));
                    problems
                }
            }
        });
        problems
            .into_iter()
            .map(|p| {
                // The evidence is where the problems are: recording the whole document would
                // reopen every reviewed schema verdict on any edit. A new problem changes the verdict itself.
                context::record_read(d.slot, Rc::new(p.path.clone()));
                let mut map = rhai::Map::new();
                map.insert("path".into(), Dynamic::from(path::render(&p.path)));
                map.insert("kind".into(), Dynamic::from(p.kind.as_str().to_string()));
                map.insert("message".into(), Dynamic::from(p.message));
                Dynamic::from_map(map)
            })
            .collect()
    });

    // The architecture graph.
    engine.register_fn("reachable", |d: &mut Doc, from: &str, stop_types: Array| -> Fallible<Array> {
        let stops = strings(&stop_types)?;
        let stops: Vec<&str> = stops.iter().map(|s| s.as_str()).collect();
        Ok(architecture(d).reachable(from, &stops).iter().map(|c| Dynamic::from(c.id.clone())).collect())
    });
    engine.register_fn("reaches", |d: &mut Doc, from: &str, to: &str, avoiding: Array| -> Fallible<bool> {
        let stops = strings(&avoiding)?;
        let stops: Vec<&str> = stops.iter().map(|s| s.as_str()).collect();
        Ok(architecture(d).reachable(from, &stops).iter().any(|c| c.id == to))
    });
    engine.register_fn("component_index", |d: &mut Doc, id: &str| -> Dynamic {
        architecture(d).component(id).map_or(Dynamic::UNIT, |c| Dynamic::from_int(c.index as INT))
    });

    // Real configuration formats: credentials (`looks_like_secret`, `redact`, ...), Kubernetes workloads, model-card sections.
    super::secrets::register(engine);
    super::workloads::register(engine);
    super::cards::register(engine);
    super::mcp::register(engine);
    super::bom::register(engine);
}

/// The architecture graph of a document, recorded as evidence on every call
/// but read once per document and thread.
fn architecture(d: &Doc) -> Rc<Graph> {
    if let Ok(segments) = parse_any_path("spec.architecture") {
        context::record_read(d.slot, segments);
    }
    ARCHITECTURE.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((serial, graph)) if *serial == d.doc.serial() => Rc::clone(graph),
            _ => {
                let graph = Rc::new(Graph::from_root(&d.doc.root));
                *last = Some((d.doc.serial(), Rc::clone(&graph)));
                graph
            }
        }
    })
}

fn strings(array: &Array) -> Fallible<Vec<ImmutableString>> {
    array
        .iter()
        .map(|v| {
            v.read_lock::<ImmutableString>()
                .map(|s| s.clone())
                .ok_or_else(|| format!("expected a list of strings, found a {}", v.type_name()).into())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{describe, yaml, Source};

    fn eval(text: &str, script: &str) -> Array {
        eval_with(&[("doc", text)], script)
    }

    /// Evaluates `script` with each text's document in a variable of its own.
    fn eval_with(docs: &[(&str, &str)], script: &str) -> Array {
        let engine = crate::script::build_engine(&crate::script::Limits::default());
        let mut scope = rhai::Scope::new();
        for (slot, (name, text)) in docs.iter().enumerate() {
            let source = Arc::new(Source::new("x.yaml".into(), text.to_string()));
            let root = yaml::parse_stream(text, &yaml::Limits::default()).0.remove(0).root;
            scope.push(name.to_string(), Doc::new(Arc::new(describe(&source, 0, root)), slot));
        }
        engine.eval_with_scope::<Array>(&mut scope, script).unwrap()
    }

    #[test]
    fn schema_problems_lists_path_kind_and_message() {
        let text = "apiVersion: annexa/v1\nkind: AISystem\nmetadata: {name: bot}\nspec:\n  ovresight: {}\n  risk: {tier: severe}\n";
        let problems = eval(text, "doc.schema_problems().map(|p| `${p.kind} ${p.path}`)");
        let problems: Vec<String> = problems.into_iter().map(|p| p.to_string()).collect();
        assert_eq!(problems, ["unknown_key spec.ovresight", "invalid spec.risk.tier"]);
        assert!(
            eval("kind: Deployment\nfoo: 1\n", "doc.schema_problems()").is_empty(),
            "kinds without a published schema have no problems"
        );
    }

    #[test]
    fn one_graph_per_document_answers_every_call_and_each_call_is_evidence() {
        // `a` twice (the first counts), a component without an id, flows from and to unknown ids.
        let first = "spec:\n  architecture:\n    components:\n      - {id: a, type: ui}\n      - {id: b, type: gate}\n      - {id: a, type: tool}\n      - {id: c, type: tool}\n      - {type: tool}\n    flows:\n      - {from: a, to: b}\n      - {from: b, to: c}\n      - {from: a, to: nowhere}\n      - {from: ghost, to: c}\n      - {from: c, to: a}\n";
        // The same ids, other flows and order.
        let second = "spec:\n  architecture:\n    components:\n      - {id: c, type: tool}\n      - {id: a, type: ui}\n    flows:\n      - {from: a, to: c}\n";
        let calls = "[doc.reachable(\"a\", []), doc.reachable(\"a\", [\"gate\"]), doc.reaches(\"c\", \"a\", [\"gate\"]), doc.reaches(\"c\", \"b\", [\"ui\"]), \
                     doc.component_index(\"a\"), doc.component_index(\"c\"), doc.component_index(\"nowhere\"), doc.reachable(\"nowhere\", [])]";
        let first_answers = r#"[["a", "b", "c"], ["b"], true, false, 0, 3, (), []]"#;
        let second_answers = r#"[["c"], ["c"], false, false, 1, 0, (), []]"#;
        let date = "2025-07-01".parse().unwrap();
        for _ in 0..2 {
            let (answers, context) = context::with_context(date, 10, || eval(first, calls));
            assert_eq!(format!("{answers:?}"), first_answers);
            let architecture = parse_any_path("spec.architecture").unwrap();
            assert_eq!(
                context.reads.iter().map(|r| Rc::clone(&r.path)).collect::<Vec<_>>(),
                vec![architecture; 8],
                "every call is evidence"
            );
            assert_eq!(format!("{:?}", eval(second, calls)), second_answers);
        }
        // Two documents in turn on one thread.
        let both = eval_with(
            &[("doc", first), ("other", second)],
            "[doc.component_index(\"c\"), other.component_index(\"c\"), doc.reachable(\"a\", []), other.reachable(\"a\", [])]",
        );
        assert_eq!(format!("{both:?}"), r#"[3, 0, ["a", "b", "c"], ["c"]]"#);
    }

    #[test]
    fn durations_are_a_whole_number_and_a_unit() {
        for good in ["90d", "12w", "6m", "1y", "10000d", "36525d", "5218w", "1200m", "100y"] {
            assert!(super::parse_duration(good).is_ok(), "{good}");
        }
        for bad in ["+90d", "-5d", "0d", "d", "", "1 year", "9x", " 9d", "99999999999999999999d"] {
            assert!(super::parse_duration(bad).unwrap_err().contains("is not a duration"), "{bad}");
        }
        for long in ["36526d", "5219w", "1201m", "101y", "10000y"] {
            assert_eq!(
                super::parse_duration(long).unwrap_err(),
                format!("`{long}` is longer than 100 years, the longest duration annexa takes")
            );
        }
    }
}
