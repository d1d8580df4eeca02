//! The Rhai sandbox: one function builds the engine that every rule runs in,
//! with only the packages rules need, every limit set, no imports, no `eval`,
//! and `print`/`debug` captured into the report instead of the terminal.

pub mod api;
pub mod bom;
pub mod cards;
pub mod compiled;
pub mod context;
pub mod fields;
pub mod graph;
pub mod mcp;
pub mod secrets;
pub mod workloads;

use rhai::packages::{BasicArrayPackage, BasicMapPackage, BasicMathPackage, CorePackage, LogicPackage, MoreStringPackage, Package};
use rhai::{Engine, Module, OptimizationLevel, Shared};

/// Per-evaluation limits. Each one, when exceeded, turns the (rule,
/// document) outcome into an `error` and the scan goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_function_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    /// Findings one rule may report on one document.
    pub max_findings: usize,
    /// Wall-clock budget of one evaluation, in milliseconds.
    pub max_millis: u64,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_operations: 2_000_000,
        max_call_levels: 48,
        max_expr_depth: 64,
        max_function_expr_depth: 48,
        max_string_size: 1 << 20,
        max_array_size: 100_000,
        max_map_size: 100_000,
        max_findings: 1_000,
        max_millis: 2_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Builds the sandboxed engine. An engine stays on the thread that built it
/// (`compiled` keeps one per thread); rules compile against it there.
pub fn build_engine(limits: &Limits) -> Engine {
    build_engine_checking(limits, true)
}

/// The sandboxed engine, with or without the check of map variables that
/// `enforce_map_size` adds to every variable read. A rule that never assigns
/// to an index or a property (`Rule::assigns_members`) cannot grow a map
/// unseen by Rhai's own checks, and runs without it.
pub(crate) fn build_engine_checking(limits: &Limits, check_map_variables: bool) -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(STANDARD_LIBRARY.with(Shared::clone));

    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels.saturating_add(compiled::ENTRY_LEVELS))
        .set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_optimization_level(OptimizationLevel::Simple)
        // A property that does not exist reads as `()`, so rules can test for it.
        .set_fail_on_invalid_map_property(false);
    // Rules are data, not programs that load more programs.
    engine.disable_symbol("eval");
    engine.disable_symbol("import");
    engine.disable_symbol("export");
    engine.on_print(context::log_print);
    engine.on_debug(context::log_debug);
    let budget = std::time::Duration::from_millis(limits.max_millis);
    engine.on_progress(move |ops| {
        // Checking the clock every 4096 operations costs nothing measurable.
        if ops % 4096 == 0 {
            over_budget(budget)
        } else {
            None
        }
    });
    if check_map_variables && limits.max_map_size > 0 {
        enforce_map_size(&mut engine, limits.max_map_size);
    }
    api::register(&mut engine);
    engine
}

/// The error of an evaluation past its time budget. Out of line: Rhai
/// calls the progress callback at every operation, and with this inlined
/// each call paid for a stack frame the common case does not need.
#[cold]
#[inline(never)]
fn over_budget(budget: std::time::Duration) -> Option<rhai::Dynamic> {
    (context::elapsed() > budget).then(|| rhai::Dynamic::from(format!("time limit of {} ms exceeded", budget.as_millis())))
}

thread_local! {
    /// Built once per thread (a third of the cost of building an engine):
    /// the thread's engines share it.
    static STANDARD_LIBRARY: Shared<Module> = Shared::new(standard_library());
}

/// Rhai's packages that rules may use, as one module: a call that misses
/// the resolution cache (every first call in each evaluation) searches each
/// global module in turn, so one module instead of six halves that work.
/// Later packages win a clash, as they would registered one by one.
pub fn standard_library() -> Module {
    let mut library = Module::new();
    for package in [
        CorePackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
    ] {
        library.combine_flatten(Module::clone(&package));
    }
    // `sleep` would hold a worker past the time limit, which is checked
    // between operations: a rule has no reason to wait, so it is refused.
    library.set_native_fn("sleep", |_: rhai::INT| -> Result<(), Box<rhai::EvalAltResult>> { Err(NO_SLEEP.into()) });
    library.set_native_fn("sleep", |_: rhai::FLOAT| -> Result<(), Box<rhai::EvalAltResult>> { Err(NO_SLEEP.into()) });
    library.build_index();
    library
}

const NO_SLEEP: &str = "`sleep` is not available to rules: a rule cannot wait";

/// Rhai 1.27 checks a map's size when a function returns it, not when
/// `m[key] = value` adds a key. Checking a map variable each time the rule
/// reads it stops such a loop one key past the limit, at the variable. A map
/// nested inside a variable (`m.inner[key] = value`) is not counted here: the
/// operation limit still bounds it.
fn enforce_map_size(engine: &mut Engine, max: usize) {
    #[allow(deprecated)] // `on_var` is marked volatile, not deprecated.
    engine.on_var(move |name, _, context| {
        let len = context.scope().get(name).filter(|v| v.is_map()).and_then(|v| v.as_map_ref().ok().map(|m| m.len()));
        match len {
            // Not `ErrorDataTooLarge`: Rhai moves such system errors to the
            // call of `check`, which has no position; this one keeps the
            // variable's line and column, and displays its text as is.
            Some(len) if len > max => Err(rhai::EvalAltResult::ErrorArithmetic(
                format!("object map `{name}` has {len} keys, over the map size limit of {max}"),
                rhai::Position::NONE,
            )
            .into()),
            _ => Ok(None),
        }
    });
}
