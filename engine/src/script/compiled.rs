//! Each thread's engine, the rules it has compiled, and the calls into
//! them (`call`), which keep Rhai's call state from one document to the next.
//!
//! Rhai is built without its `sync` feature: reference counts that are not
//! atomic make rule evaluation about a fifth faster, and two threads no
//! longer contend for the counts of shared strings and functions. The price
//! is that an engine, and a rule compiled by it, stay on the thread that
//! made them. So each thread builds its own engine on first use, compiles a
//! rule the first time it evaluates it, and keeps both for the next
//! document. Loading (`rules::load`) leaves its compiled rules here too, so
//! a scan evaluated on the loading thread compiles nothing twice.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use rhai::{Caches, Dynamic, Engine, EvalAltResult, EvalContext, GlobalRuntimeState, Scope, AST};

use super::fields::Fields;
use super::{build_engine_checking, Limits};
use crate::fxhash::FxBuild;
use crate::rules::Rule;

/// Past this many compiled rules a thread forgets them all. A rule's
/// compiled forms are also forgotten when the rule is dropped (on the thread
/// that drops it; a scan's worker threads end with the scan), so this only
/// bounds a long-lived thread that loads rule sets without dropping them. It
/// must stay above the rules one scan loads: at 1,024, a scan of 1,000
/// custom rules beside the built-in ones forgot them all at every document
/// and compiled each rule again for each document (500 documents: 1.2 ->
/// 6.0 s from 980 to 1,000 rules).
const MAX_PROGRAMS: usize = 1 << 16;
/// Past this many distinct limits a thread forgets its engines.
const MAX_ENGINES: usize = 8;

#[derive(Default)]
struct Compiled {
    /// By limits and whether the engine checks map variables (`Rule::assigns_members`).
    engines: Vec<((Limits, bool), Rc<Engine>)>,
    /// By program id, then by the limits of the engine that compiled it.
    programs: HashMap<u64, Vec<(Limits, Rc<Program>)>, FxBuild>,
}

thread_local! {
    static COMPILED: RefCell<Compiled> = RefCell::new(Compiled::default());
}

static NEXT_PROGRAM: AtomicU64 = AtomicU64::new(1);

/// A number for a newly loaded rule, never given twice in a process: the
/// key of its compiled form on every thread.
pub(crate) fn new_program_id() -> u64 {
    NEXT_PROGRAM.fetch_add(1, Ordering::Relaxed)
}

/// This thread's engine for `limits`, built on first use: the one that
/// checks map variables, which any rule may run on.
pub fn engine(limits: &Limits) -> Rc<Engine> {
    COMPILED.with(|compiled| compiled.borrow_mut().engine(limits, true))
}

/// A rule compiled on this thread, and Rhai's state for calls into it.
struct Program {
    ast: AST,
    /// This thread's copy of `Rule::fields`: counting references to one
    /// shared copy from every evaluation on every thread made two threads
    /// fight over its count.
    fields: Option<Rc<Fields>>,
    /// Kept from one call to the next: above all Rhai's cache of which
    /// function each call in the rule resolves to. A fresh one per call
    /// (as `Engine::call_fn` makes) resolved every function the rule calls
    /// again for every document, twice (Rhai caches a resolution the second
    /// time it is made): 9 M of the 163 M instructions of the 12 benchmark
    /// policies over 200 documents. Made by the first call, with the engine
    /// the rule runs on.
    session: RefCell<Option<Session>>,
}

struct Session {
    global: GlobalRuntimeState,
    caches: Caches,
    /// Emptied before each call, as a fresh one would be, but keeping its
    /// allocations: a new scope grew its lists again for every call.
    scope: Scope<'static>,
}

impl Session {
    fn new(engine: &Engine, ast: &AST) -> Self {
        let mut global = engine.new_global_runtime_state();
        // The rule's own functions, for calls to resolve to.
        global.lib.push(ast.shared_lib().clone());
        Session { global, caches: Caches::new(), scope: Scope::new() }
    }
}

/// Call levels a rule's function starts at when `Program::call` enters it
/// (through `EvalContext::call_fn_raw`), two deeper than under
/// `Engine::call_fn`. Engines allow that many more levels, so that
/// `Limits::max_call_levels` counts from the rule's function as before.
pub(crate) const ENTRY_LEVELS: usize = 2;

/// Why a call into a rule gave no value.
pub enum CallError {
    /// The rule failed: a script error or a limit reached.
    Script(Box<EvalAltResult>),
    /// The rule no longer compiles on this thread (the message says why).
    NotCompiled(String),
    /// The script engine panicked (a bug in annexa or Rhai).
    Panicked,
}

impl Program {
    fn new(rule: &Rule, ast: AST) -> Self {
        let fields = rule.fields.as_deref().map(|fields| Rc::new(fields.clone()));
        Program { ast, fields, session: RefCell::new(None) }
    }

    /// Calls the rule's function `name` with `arg`, as `Engine::call_fn`
    /// would (no top-level statements run, a fresh scope, the operation
    /// count from zero), but with the state kept from the last call.
    fn call(&self, engine: &Engine, name: &str, mut arg: Dynamic) -> Result<Dynamic, CallError> {
        if let Some(fields) = &self.fields {
            super::context::convert_only(Rc::clone(fields));
        }
        // Never busy: a rule's evaluation does not call into a rule. Were
        // it so, a session of its own does the same work, only slower.
        let mut kept = self.session.try_borrow_mut();
        let mut fresh = None;
        let session = match kept.as_deref_mut() {
            Ok(slot) => slot.get_or_insert_with(|| Session::new(engine, &self.ast)),
            Err(_) => fresh.insert(Session::new(engine, &self.ast)),
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            let Session { global, caches, scope } = &mut *session;
            global.num_operations = 0;
            global.level = 0;
            global.scope_level = 0;
            scope.clear();
            let result = EvalContext::new(engine, global, caches, scope, None).call_fn_raw(name, false, false, &mut [&mut arg]);
            // The rule's values go now, not at the next call.
            scope.clear();
            result
        }));
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => match *error {
                // `exit(v)` ends the function with `v`, as under `call_fn`.
                EvalAltResult::Exit(value, _) => Ok(value),
                // The error of the called function itself comes unwrapped, as from `call_fn`.
                EvalAltResult::ErrorInFunctionCall(function, _, inner, _) if function == name => Err(CallError::Script(inner)),
                _ => Err(CallError::Script(error)),
            },
            Err(_) => {
                // Whatever the panic left half-done is not carried into the next call.
                *session = Session::new(engine, &self.ast);
                Err(CallError::Panicked)
            }
        }
    }
}

/// Calls `name` of `rule` with `arg`, on this thread's engine for `limits`.
pub fn call(rule: &Rule, limits: &Limits, name: &str, arg: Dynamic) -> Result<Dynamic, CallError> {
    let (engine, program) = program(rule, limits).map_err(CallError::NotCompiled)?;
    program.call(&engine, name, arg)
}

/// The engine `rule` runs on here, for `limits`, and the rule compiled.
/// Both engines register the same functions, so a rule compiled by one runs
/// on the other. The rule compiled when it was loaded, so failing here
/// means the engine changed underneath it; the message says so.
fn program(rule: &Rule, limits: &Limits) -> Result<(Rc<Engine>, Rc<Program>), String> {
    // Compiled outside the borrow: nothing here runs a rule, but a native
    // function that someday builds an engine must not find the cell taken.
    let (engine, found) = COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        let engine = compiled.engine(limits, rule.assigns_members);
        let found = compiled
            .programs
            .get(&rule.program)
            .and_then(|kept| kept.iter().find(|(l, _)| l == limits))
            .map(|(_, program)| Rc::clone(program));
        (engine, found)
    });
    if let Some(program) = found {
        return Ok((engine, program));
    }
    let ast = engine.compile(&*rule.source.text).map_err(|e| format!("{} no longer compiles: {e}", rule.source.path))?;
    let program = Rc::new(Program::new(rule, ast));
    keep_program(limits, rule.program, Rc::clone(&program));
    Ok((engine, program))
}

/// Keeps a rule compiled on this thread for later evaluations here.
pub(crate) fn keep(limits: &Limits, rule: &Rule, ast: AST) {
    keep_program(limits, rule.program, Rc::new(Program::new(rule, ast)));
}

fn keep_program(limits: &Limits, program: u64, compiled_rule: Rc<Program>) {
    COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        if compiled.programs.len() >= MAX_PROGRAMS {
            compiled.programs.clear();
        }
        let programs = compiled.programs.entry(program).or_default();
        programs.retain(|(l, _)| l != limits);
        programs.push((*limits, compiled_rule));
    });
}

/// Forgets this thread's compiled forms of a rule that is going away.
pub(crate) fn forget(program: u64) {
    // `try_with`: a rule dropped while the thread itself ends finds no cache.
    let _ = COMPILED.try_with(|compiled| {
        if let Ok(mut compiled) = compiled.try_borrow_mut() {
            compiled.programs.remove(&program);
        }
    });
}

impl Compiled {
    fn engine(&mut self, limits: &Limits, check_map_variables: bool) -> Rc<Engine> {
        let key = (*limits, check_map_variables);
        if let Some((_, engine)) = self.engines.iter().find(|(k, _)| *k == key) {
            return Rc::clone(engine);
        }
        if self.engines.len() >= MAX_ENGINES {
            self.engines.clear();
        }
        let engine = Rc::new(build_engine_checking(limits, check_map_variables));
        self.engines.push((key, Rc::clone(&engine)));
        engine
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{load, RuleSource};

    fn kept(program: u64) -> bool {
        COMPILED.with(|compiled| compiled.borrow().programs.contains_key(&program))
    }

    /// More rules than the old bound (1,024) stay compiled on the thread
    /// that loaded them, so evaluating them again compiles none.
    #[test]
    fn every_rule_of_a_large_set_stays_compiled() {
        let sources = (0..1_100)
            .map(|i| RuleSource {
                path: format!("L{i:04}.rhai"),
                text: format!("const RULE = #{{ id: \"L{i:04}\", title: \"t\", severity: \"low\", kinds: [\"*\"], controls: #{{ iso42001: [\"A.9.2\"] }}, remediation: \"r\" }};\nfn check(doc) {{}}\n").into(),
            })
            .collect();
        let set = load(sources, &Limits::default());
        assert!(set.errors.is_empty(), "{:?}", set.errors.first());
        assert_eq!(set.rules.len(), 1_100);
        assert!(set.rules.iter().all(|rule| kept(rule.program)), "every loaded rule is still compiled here");
        let (_, first) = super::program(&set.rules[0], &Limits::default()).unwrap();
        let (_, again) = super::program(&set.rules[0], &Limits::default()).unwrap();
        assert!(Rc::ptr_eq(&first, &again), "the first rule was not compiled again");
    }

    #[test]
    fn a_rule_compiled_on_load_is_reused_here_and_forgotten_when_dropped() {
        let text = "const RULE = #{ id: \"X001\", title: \"t\", severity: \"low\", kinds: [\"*\"], controls: #{ iso42001: [\"A.9.2\"] }, remediation: \"r\" };\nfn check(doc) {}\n";
        let mut set = load(vec![RuleSource { path: "X001.rhai".into(), text: text.into() }], &Limits::default());
        let rule = set.rules.pop().unwrap();
        let program = rule.program;
        assert!(kept(program), "loading leaves the compiled rule on this thread");
        let (_, first) = super::program(&rule, &Limits::default()).unwrap();
        let (_, again) = super::program(&rule, &Limits::default()).unwrap();
        assert!(Rc::ptr_eq(&first, &again), "compiled once");
        let other = Limits { max_operations: 10, ..Limits::default() };
        let (_, stricter) = super::program(&rule, &other).unwrap();
        assert!(!Rc::ptr_eq(&first, &stricter), "other limits, another engine and compilation");
        drop(rule);
        assert!(!kept(program), "dropping the rule lets its compiled forms go");
    }
}
