//! Each thread's engine, and the rules it has compiled.
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
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use rhai::{Engine, AST};

use super::fields::Fields;
use super::{build_engine_checking, Limits};
use crate::fxhash::FxBuild;
use crate::rules::Rule;

/// Past this many compiled rules a thread forgets them all. A rule's
/// compiled forms are also forgotten when the rule is dropped (on the thread
/// that drops it; a scan's worker threads end with the scan).
const MAX_PROGRAMS: usize = 1024;
/// Past this many distinct limits a thread forgets its engines.
const MAX_ENGINES: usize = 8;

#[derive(Default)]
struct Compiled {
    /// By limits and whether the engine checks map variables (`Rule::assigns_members`).
    engines: Vec<((Limits, bool), Rc<Engine>)>,
    /// By program id, then by the limits of the engine that compiled it.
    programs: HashMap<u64, Vec<(Limits, Rc<AST>)>, FxBuild>,
    /// By program id: this thread's copy of `Rule::fields`. Counting
    /// references to one shared copy from every evaluation on every thread
    /// made two threads fight over its count.
    fields: HashMap<u64, Rc<Fields>, FxBuild>,
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

/// The engine `rule` runs on here, for `limits`, and the rule compiled.
/// Both engines register the same functions, so a rule compiled by one runs
/// on the other. The rule compiled when it was loaded, so failing here
/// means the engine changed underneath it; the message says so.
pub fn program(rule: &Rule, limits: &Limits) -> Result<(Rc<Engine>, Rc<AST>), String> {
    // Compiled outside the borrow: nothing here runs a rule, but a native
    // function that someday builds an engine must not find the cell taken.
    let (engine, found) = COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        let engine = compiled.engine(limits, rule.assigns_members);
        let found =
            compiled.programs.get(&rule.program).and_then(|asts| asts.iter().find(|(l, _)| l == limits)).map(|(_, ast)| Rc::clone(ast));
        (engine, found)
    });
    if let Some(ast) = found {
        return Ok((engine, ast));
    }
    let ast = Rc::new(engine.compile(&*rule.source.text).map_err(|e| format!("{} no longer compiles: {e}", rule.source.path))?);
    keep(limits, rule.program, Rc::clone(&ast));
    Ok((engine, ast))
}

/// This thread's copy of the keys the rule's calls convert (`Rule::fields`).
pub(crate) fn fields(rule: &Rule) -> Option<Rc<Fields>> {
    let shared = rule.fields.as_deref()?;
    Some(COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        if compiled.fields.len() >= MAX_PROGRAMS {
            compiled.fields.clear();
        }
        Rc::clone(compiled.fields.entry(rule.program).or_insert_with(|| Rc::new(shared.clone())))
    }))
}

/// Keeps a rule compiled on this thread for later evaluations here.
pub(crate) fn keep(limits: &Limits, program: u64, ast: Rc<AST>) {
    COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        if compiled.programs.len() >= MAX_PROGRAMS {
            compiled.programs.clear();
        }
        let asts = compiled.programs.entry(program).or_default();
        asts.retain(|(l, _)| l != limits);
        asts.push((*limits, ast));
    });
}

/// Forgets this thread's compiled forms of a rule that is going away.
pub(crate) fn forget(program: u64) {
    // `try_with`: a rule dropped while the thread itself ends finds no cache.
    let _ = COMPILED.try_with(|compiled| {
        if let Ok(mut compiled) = compiled.try_borrow_mut() {
            compiled.programs.remove(&program);
            compiled.fields.remove(&program);
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
