//! Evaluation: every (document, rule) pair, in parallel with rayon, each in
//! the sandbox and isolated from the others (a panic or a limit becomes an
//! `error` outcome for that pair). Results come back in a stable order and in
//! chunks, so output is byte-identical whatever the thread count and memory
//! stays flat on long batch scans.

mod outcome;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;
use rhai::{Dynamic, EvalAltResult};

use crate::document::discover::InputFile;
use crate::document::path::Segments;
use crate::document::{self, projection, Document, InputError, LoadOptions};
use crate::report::{FileResult, Outcome, ScriptError, Status};
use crate::rules::{Rule, Scope};
use crate::script::api::Doc;
use crate::script::compiled::{self, CallError};
use crate::script::{context, Limits};

pub use outcome::document_info;

/// Everything that shapes one scan besides its inputs and rules.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// The evaluation date: `days_since` and expiry are measured against it.
    pub now: jiff::civil::Date,
    pub limits: Limits,
    pub load: LoadOptions,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Files evaluated together before their results are handed on, when
    /// each holds one document; of files that hold more, fewer are taken at
    /// a time, so that a chunk holds about this many documents.
    pub chunk_files: usize,
    /// Which outcomes keep their watched values (`Outcome.evidence`) for the
    /// dispositions file; the fingerprint is always computed.
    pub evidence: crate::reassess::evidence::EvidenceMode,
    /// Whether findings carry their source line (`Finding.snippet`, shown by
    /// the text report). Off, no file's text is redacted for display.
    pub snippets: bool,
    /// Whether `DocumentInfo::hash` is filled in. Hashing a whole document
    /// costs about a tenth of the time to read it, and only the JSON report
    /// and the audit reports use it. A scan with corpus rules hashes anyway:
    /// that tells whether a file changed between its two passes.
    pub document_hashes: bool,
}

impl ScanOptions {
    pub fn new(now: jiff::civil::Date) -> Self {
        ScanOptions {
            now,
            limits: Limits::default(),
            load: LoadOptions::default(),
            threads: 0,
            chunk_files: 64,
            evidence: Default::default(),
            snippets: true,
            document_hashes: true,
        }
    }
}

/// Sizes the process-wide thread pool (0: one thread per core), on which
/// the audit report reads and hashes its inputs, so `--threads 1` keeps a
/// whole command on one core. Only the first call counts, and only before
/// the pool is first used.
pub fn use_threads(threads: usize) {
    // An error means the pool exists already: it keeps its size.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
}

/// What a scan reads: files on disk, or one document from standard input.
pub enum Input {
    File(InputFile),
    /// A boxed slice, not a `Vec`: then an `Input` is no larger than an
    /// `InputFile`, and a list of files becomes a list of inputs in place.
    Bytes {
        display: String,
        format: document::Format,
        bytes: Box<[u8]>,
    },
}

/// Evaluates rules over inputs and hands each file's result to `sink`, in
/// input order. The sink borrows it: what it keeps it takes
/// (`std::mem::take`), and the rest is freed by the thread that made it.
/// Corpus rules see every document at once: a first pass reads
/// every file and keeps only what they read (`for_corpus`), they run, and
/// their outcomes join each file's result in the second pass, which
/// evaluates the document rules and streams, as a scan without corpus rules
/// does. Memory stays flat either way (but for what corpus rules keep).
pub fn scan(
    rules: &[Rule],
    inputs: Vec<Input>,
    options: &ScanOptions,
    sink: &mut dyn FnMut(&mut FileResult) -> std::io::Result<()>,
) -> std::io::Result<()> {
    scan_shard(rules, inputs, &[], options, sink)
}

/// Scans one shard, `inputs`, of a larger set: as `scan` does, except that
/// corpus rules also see the documents of `other_shards`. Only the shard's
/// files are evaluated and reported, so the shards' results together are
/// one scan's, cross-document verdicts included. The other shards' files
/// are read only when there are corpus rules, and their input errors are
/// left to the shards they belong to.
pub fn scan_shard(
    rules: &[Rule],
    inputs: Vec<Input>,
    other_shards: &[Input],
    options: &ScanOptions,
    sink: &mut dyn FnMut(&mut FileResult) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (corpus_rules, document_rules): (Vec<&Rule>, Vec<&Rule>) = rules.iter().partition(|r| r.scope == Scope::Corpus);
    // One thread, or one file (the pre-merge hook): this thread, which
    // compiled the rules when it loaded them, evaluates everything. A pool's
    // workers would each compile the rules again first.
    let serial = options.threads == 1 || inputs.len() <= 1;
    let pool = if serial {
        None
    } else {
        Some(rayon::ThreadPoolBuilder::new().num_threads(options.threads).build().map_err(std::io::Error::other)?)
    };
    let evaluator = Evaluator { options, parallel: !serial, hashes: options.document_hashes || !corpus_rules.is_empty() };
    let mut corpus = (!corpus_rules.is_empty()).then(|| evaluator.corpus_pass(&inputs, other_shards, &corpus_rules, pool.as_ref()));
    let sink = &mut |result: &mut FileResult| {
        if let Some(corpus) = corpus.as_mut() {
            corpus.attach(result);
        }
        sink(result)
    };

    let Some(pool) = pool else {
        return inputs.into_iter().try_for_each(|input| sink(&mut evaluator.file(input, &document_rules)));
    };
    // Once handed on, a chunk's results go back to the worker that made
    // them, which frees them before its next chunk: mimalloc frees memory
    // of its own thread cheaply, while memory freed by another thread waits
    // in a queue for its owner to collect, and the owner meanwhile takes
    // fresh pages. Those cross-thread frees were about half of what a scan on
    // two threads cost over one. So that a chunk has one owner, one worker
    // evaluates all of it.
    let threads = pool.current_num_threads();
    let handed_on: Vec<Mutex<Vec<Vec<FileResult>>>> = (0..threads).map(|_| Mutex::default()).collect();
    let handed_on = &handed_on;
    let free_own = |worker: Option<usize>| {
        if let Some(slot) = worker.and_then(|i| handed_on.get(i)) {
            drop(std::mem::take(&mut *slot.lock().unwrap_or_else(PoisonError::into_inner)));
        }
    };
    let evaluate = |chunk: Vec<Input>| -> (Option<usize>, Vec<FileResult>) {
        let worker = rayon::current_thread_index();
        free_own(worker);
        (worker, chunk.into_iter().map(|input| evaluator.file(input, &document_rules)).collect())
    };
    // The workers evaluate chunks ahead while this thread hands the oldest
    // to the sink (rendering is serial work). Chunks hold about
    // `chunk_files` documents and a bounded number are in flight, so
    // memory stays flat whatever the files hold.
    let mut inputs = inputs.into_iter();
    // Set when the sink fails: the chunks not yet started are skipped.
    let stopped = &std::sync::atomic::AtomicBool::new(false);
    let scanned = pool.in_place_scope(|scope| {
        let mut in_flight = std::collections::VecDeque::new();
        let evaluate = &evaluate;
        // Files and documents handed on so far: how many documents a file holds.
        let (mut files, mut documents) = (0usize, 0usize);
        loop {
            // Until a chunk is back, files may hold any number of documents.
            let ahead = if files == 0 { 2 } else { CHUNKS_AHEAD };
            while in_flight.len() < ahead {
                let size = chunk_size(options.chunk_files, files, documents, inputs.len(), threads);
                let chunk: Vec<Input> = inputs.by_ref().take(size).collect();
                if chunk.is_empty() {
                    break;
                }
                let (done, results) = std::sync::mpsc::sync_channel(1);
                scope.spawn(move |_| {
                    if stopped.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    // The receiver is gone only when the sink failed and the scan is over.
                    let _ = done.send(evaluate(chunk));
                });
                in_flight.push_back(results);
            }
            let Some(results) = in_flight.pop_front() else { return Ok(()) };
            // A worker that panicked drops its sender: say so rather than lose its files.
            let (worker, mut results) = results.recv().map_err(|_| std::io::Error::other("an evaluation worker stopped"))?;
            files += results.len();
            documents += results.iter().map(|r| r.documents.len().max(1)).sum::<usize>();
            results.iter_mut().try_for_each(&mut *sink).inspect_err(|_| stopped.store(true, std::sync::atomic::Ordering::Relaxed))?;
            if let Some(slot) = worker.and_then(|i| handed_on.get(i)) {
                slot.lock().unwrap_or_else(PoisonError::into_inner).push(results);
            }
        }
    });
    // What is still waiting goes back to its workers too.
    pool.broadcast(|worker| free_own(Some(worker.index())));
    scanned
}

/// Chunks evaluated ahead of the one being handed to the sink, once a
/// chunk has shown how many documents files hold. Woken when a chunk is
/// done, the calling thread can wait a scheduler slice for a CPU the
/// workers hold; with two chunks ahead the workers then ran dry (eight:
/// 0.46 -> 0.44 s for 10,000 documents on two threads).
const CHUNKS_AHEAD: usize = 8;

/// Files in the next chunk: `chunk_files` documents' worth, at the
/// documents per file seen so far. Before any file is back, one: a file
/// may hold any number of documents. Near the end, at most a share of the
/// `remaining` files for each of the `threads` workers: one worker
/// evaluates a whole chunk, and the last chunks should end together.
fn chunk_size(chunk_files: usize, files: usize, documents: usize, remaining: usize, threads: usize) -> usize {
    let by_documents = if files == 0 {
        1
    } else if documents <= files {
        chunk_files.max(1)
    } else {
        (chunk_files.saturating_mul(files) / documents).max(1)
    };
    by_documents.min(remaining.div_ceil(threads.saturating_mul(2).max(1))).max(1)
}

/// One file as the first pass read it.
struct FirstRead {
    /// Its path, when the file is the scan's to report (not another shard's).
    reported: Option<String>,
    /// Its documents' hashes, to tell whether it changed before the second pass.
    hashes: Vec<String>,
    /// What the corpus rules need of its documents.
    kept: Vec<Arc<Document>>,
}

/// The corpus rules' outcomes, by file, from the first pass.
struct CorpusOutcomes {
    files: HashMap<String, CorpusFile>,
}

struct CorpusFile {
    /// The file's documents as the first pass read them.
    hashes: Vec<String>,
    outcomes: Vec<Outcome>,
}

impl CorpusOutcomes {
    /// Adds the corpus rules' outcomes for its file to `result`, in stable
    /// order. A file whose documents changed between the passes gets an
    /// input error instead: those outcomes judged what it held before.
    fn attach(&mut self, result: &mut FileResult) {
        let Some(file) = self.files.remove(&result.path) else { return };
        if file.outcomes.is_empty() {
            return;
        }
        if result.documents.iter().map(|d| d.hash.as_deref()).eq(file.hashes.iter().map(|h| Some(h.as_str()))) {
            result.outcomes.extend(file.outcomes);
            outcome::sort(&mut result.outcomes);
        } else {
            result.errors.push(InputError {
                file: result.path.clone(),
                position: None,
                message:
                    "changed while it was being scanned: the corpus rules judged an earlier version, so their outcomes for it are left out"
                        .into(),
                hint: Some("scan again once the file stops changing".into()),
            });
        }
    }
}

/// What the corpus rules need of a file's documents, kept until every file
/// has been read: nothing of a document no corpus rule looks at, only the
/// declared parts when every corpus rule that looks at it declares `reads`
/// (with the file's text only if findings show source lines), else the
/// whole document.
fn for_corpus(docs: Vec<Arc<Document>>, corpus_rules: &[&Rule], snippets: bool) -> Vec<Arc<Document>> {
    docs.into_iter()
        .filter_map(|doc| {
            let readers: Vec<&Rule> = corpus_rules.iter().copied().filter(|r| r.matches_kind(&doc.kind)).collect();
            if readers.is_empty() {
                return None;
            }
            let reads: Option<Vec<Segments>> = readers.iter().map(|r| r.reads.clone()).collect::<Option<Vec<_>>>().map(|all| all.concat());
            Some(match reads {
                Some(paths) => Arc::new(projection::project(&doc, &paths, snippets)),
                None => doc,
            })
        })
        .collect()
}

/// Evaluates one document rule on one parsed document (for benches and
/// embedders that hold documents already).
pub fn evaluate_one(rule: &Rule, doc: &Arc<Document>, now: jiff::civil::Date) -> Outcome {
    let options = ScanOptions::new(now);
    Evaluator { options: &options, parallel: false, hashes: false }.document(rule, doc)
}

struct Evaluator<'a> {
    options: &'a ScanOptions,
    /// Whether the documents of one file are evaluated in parallel (on the
    /// pool that evaluates the files).
    parallel: bool,
    /// Whether the results carry document hashes (`ScanOptions::document_hashes`).
    hashes: bool,
}

impl Evaluator<'_> {
    /// Reads one input: its path as shown, and what it holds. Both passes
    /// of a corpus scan read it, so it is borrowed (standard input, the only
    /// `Bytes` input, is one small document).
    fn read(&self, input: &Input) -> (String, document::LoadedFile) {
        match input {
            Input::File(f) => (f.display.clone(), document::load_file(&f.path, &f.display, f.format, &self.options.load)),
            Input::Bytes { display, format, bytes } => {
                (display.clone(), document::load_bytes(bytes.to_vec(), display, *format, &self.options.load))
            }
        }
    }

    /// Reads one input and evaluates the document rules on each of its documents.
    fn file(&self, input: Input, rules: &[&Rule]) -> FileResult {
        let (path, loaded) = self.read(&input);
        let docs: Vec<Arc<Document>> = loaded.documents.into_iter().map(Arc::new).collect();
        let evaluate = |doc: &Arc<Document>| {
            rules.iter().filter(|r| r.matches_kind(&doc.kind)).map(|rule| self.document(rule, doc)).collect::<Vec<_>>()
        };
        let mut outcomes: Vec<Outcome> = if self.parallel && docs.len() > 1 {
            docs.par_iter().flat_map_iter(evaluate).collect()
        } else {
            docs.iter().flat_map(evaluate).collect()
        };
        outcome::sort(&mut outcomes);
        FileResult {
            path,
            documents: docs.iter().map(|d| document_info(d, self.hashes)).collect(),
            outcomes,
            errors: loaded.errors,
            digests: loaded.digests,
        }
    }

    /// The first pass of a scan with corpus rules: reads every input (and
    /// every file of the other shards), keeps what the corpus rules need
    /// (`for_corpus`), and runs them. Outcomes are kept for `inputs` only.
    fn corpus_pass(
        &self,
        inputs: &[Input],
        other_shards: &[Input],
        corpus_rules: &[&Rule],
        pool: Option<&rayon::ThreadPool>,
    ) -> CorpusOutcomes {
        let read = |(input, reported): (&Input, bool)| {
            let (path, loaded) = self.read(input);
            let hashes: Vec<String> = loaded.documents.iter().map(|d| d.hash().to_string()).collect();
            let kept = for_corpus(loaded.documents.into_iter().map(Arc::new).collect(), corpus_rules, self.options.snippets);
            FirstRead { reported: reported.then_some(path), hashes, kept }
        };
        let all: Vec<(&Input, bool)> = inputs.iter().map(|i| (i, true)).chain(other_shards.iter().map(|i| (i, false))).collect();
        let read: Vec<FirstRead> = match pool {
            Some(pool) => pool.install(|| all.into_par_iter().map(read).collect()),
            None => all.into_iter().map(read).collect(),
        };
        let docs: Vec<Arc<Document>> = read.iter().flat_map(|r| r.kept.iter().cloned()).collect();
        let outcomes: Vec<(Arc<Document>, Outcome)> = match pool {
            Some(pool) => pool.install(|| corpus_rules.par_iter().flat_map_iter(|rule| self.corpus(rule, &docs)).collect()),
            None => corpus_rules.iter().flat_map(|rule| self.corpus(rule, &docs)).collect(),
        };
        let mut files: HashMap<String, CorpusFile> =
            read.into_iter().filter_map(|r| r.reported.map(|path| (path, CorpusFile { hashes: r.hashes, outcomes: Vec::new() }))).collect();
        for (doc, outcome) in outcomes {
            if let Some(file) = files.get_mut(&doc.source.path) {
                file.outcomes.push(outcome);
            }
        }
        CorpusOutcomes { files }
    }

    /// One document rule on one document.
    fn document(&self, rule: &Rule, doc: &Arc<Document>) -> Outcome {
        let limits = &self.options.limits;
        let ((status, error), ctx) = context::with_context(self.options.now, limits.max_findings, || {
            let handle = Dynamic::from(Doc::new(doc.clone(), 0));
            if rule.has_applies {
                match self.call(rule, "applies", handle.clone()) {
                    Ok(v) => match v.as_bool() {
                        Ok(true) => {}
                        Ok(false) => return (Status::NotApplicable, None),
                        Err(found) => return (Status::Error, Some(not_a_boolean(found))),
                    },
                    Err(e) => return (Status::Error, Some(e)),
                }
            }
            match self.call(rule, "check", handle) {
                Ok(returned) if returned.is_bool() => (Status::Error, Some(returned_a_verdict("check", &returned))),
                Ok(_) => (Status::Pass, None),
                Err(e) => (Status::Error, Some(e)),
            }
        });
        outcome::build(rule, std::slice::from_ref(doc), 0, status, error, &ctx, self.options)
    }

    /// One corpus rule over every document of its kinds: one outcome per document.
    fn corpus(&self, rule: &Rule, all: &[Arc<Document>]) -> Vec<(Arc<Document>, Outcome)> {
        let docs: Vec<Arc<Document>> = all.iter().filter(|d| rule.matches_kind(&d.kind)).cloned().collect();
        if docs.is_empty() {
            return Vec::new();
        }
        let ((error, not_applicable), mut ctx) = context::with_context(self.options.now, self.options.limits.max_findings, || {
            rule.limit_reads();
            let mut not_applicable = vec![false; docs.len()];
            let mut handles = rhai::Array::new();
            for (slot, doc) in docs.iter().enumerate() {
                let handle = Dynamic::from(Doc::new(doc.clone(), slot));
                if rule.has_applies {
                    match self.call(rule, "applies", handle.clone()).map(|v| v.as_bool()) {
                        Ok(Ok(true)) => {}
                        Ok(Ok(false)) => {
                            if let Some(flag) = not_applicable.get_mut(slot) {
                                *flag = true;
                            }
                            continue;
                        }
                        Ok(Err(found)) => return (Some(not_a_boolean(found)), not_applicable),
                        Err(e) => return (Some(e), not_applicable),
                    }
                }
                handles.push(handle);
            }
            let error = match self.call(rule, "check_all", Dynamic::from_array(handles)) {
                Ok(returned) if returned.is_bool() => Some(returned_a_verdict("check_all", &returned)),
                Ok(_) => None,
                Err(e) => Some(e),
            };
            (error, not_applicable)
        });
        let outside = error.is_none().then(|| rule.read_outside(&ctx)).flatten();
        if outside.is_some() {
            // What it found after reading `()` where the document had a value is not a finding.
            ctx.findings.clear();
        }
        let error = error.or_else(|| outside.map(|message| ScriptError { message, rule_position: None }));
        docs.iter()
            .enumerate()
            .map(|(slot, doc)| {
                let status = match (&error, not_applicable.get(slot)) {
                    (Some(_), _) => Status::Error,
                    (None, Some(true)) => Status::NotApplicable,
                    (None, _) => Status::Pass,
                };
                (doc.clone(), outcome::build(rule, &docs, slot, status, error.clone(), &ctx, self.options))
            })
            .collect()
    }

    /// Calls one function of a rule, turning script errors and panics into a `ScriptError`.
    fn call(&self, rule: &Rule, name: &str, arg: Dynamic) -> Result<Dynamic, ScriptError> {
        compiled::call(rule, &self.options.limits, name, arg).map_err(|e| match e {
            CallError::Script(e) => script_error(*e),
            CallError::NotCompiled(message) => ScriptError { message, rule_position: None },
            CallError::Panicked => {
                ScriptError { message: format!("the script engine failed inside `{name}` (a bug in annexa or Rhai)"), rule_position: None }
            }
        })
    }
}

pub(crate) fn script_error(mut e: EvalAltResult) -> ScriptError {
    // An error inside a function comes wrapped once per call level, and the
    // outermost wrapper (the call of `check` itself) has no position: the
    // innermost error says what failed and where.
    while let EvalAltResult::ErrorInFunctionCall(_, _, inner, _) = e {
        e = *inner;
    }
    let position = e.take_position();
    let message = match &e {
        EvalAltResult::ErrorTooManyOperations(_) => "operation limit exceeded (does the rule loop forever?)".to_string(),
        EvalAltResult::ErrorTerminated(reason, _) => reason.to_string(),
        EvalAltResult::ErrorDataTooLarge(what, _) => format!("{what} exceeds its size limit"),
        EvalAltResult::ErrorStackOverflow(_) => "call depth limit exceeded (unbounded recursion?)".to_string(),
        _ => e.to_string(),
    };
    ScriptError { message, rule_position: crate::rules::meta::rhai_position(position) }
}

/// The error of a `check` (or `check_all`) that returned a boolean, as if it
/// were the verdict: a rule that returns `false` to fail would pass without
/// a word. (Other values are let be: Rhai returns the last statement's value,
/// so `fn check(doc) { helper(doc); }` returns whatever `helper` does.)
pub(crate) fn returned_a_verdict(function: &str, value: &Dynamic) -> ScriptError {
    ScriptError {
        message: format!(
            "`{function}` returned {value}: a rule reports what fails with `doc.fail(path, message)`; its return value is not a verdict"
        ),
        rule_position: None,
    }
}

/// The error of an `applies` that returned `found`, the name of a type other than bool.
fn not_a_boolean(found: &str) -> ScriptError {
    ScriptError { message: format!("`applies` must return true or false, it returned {found}"), rule_position: None }
}

/// The benches' document generator, for tests that want many varied systems.
#[cfg(test)]
#[path = "../../../benches/generate.rs"]
mod generate;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reassess::evidence::EvidenceMode;
    use crate::report::DocumentInfo;
    use crate::rules::{load, RuleSource};

    const AIMS: &str = "apiVersion: annexa/v1\nkind: AIManagementSystem\nmetadata:\n  name: aims\nspec:\n  scope: everything\n  suppliers:\n    - {name: openai, agreement: dpa.pdf}\n  ai_systems: [bot]\n";
    const BOT: &str = "apiVersion: annexa/v1\nkind: AISystem\nmetadata:\n  name: bot\n  owner: me\nspec:\n  purpose: answers\n  models:\n    - {name: a-long-model-name-for-the-digest, provider: openai, version: '1', hosting: api}\n    - {name: another-long-model-name, provider: mistral, version: '2', hosting: api}\n  tools: [{name: t, effect: read}]\n";
    const STRAY: &str = "apiVersion: annexa/v1\nkind: AISystem\nmetadata:\n  name: stray\nspec:\n  models: []\n";

    fn documents() -> Vec<Arc<Document>> {
        [("aims.yaml", AIMS), ("bot.yaml", BOT), ("stray.yaml", STRAY)]
            .iter()
            .flat_map(|(name, text)| {
                document::load_bytes(text.as_bytes().to_vec(), name, document::Format::Yaml, &LoadOptions::default()).documents
            })
            .map(Arc::new)
            .collect()
    }

    /// The built-in corpus rules (CORP001, CORP002), loaded.
    fn builtin_corpus_rules() -> crate::rules::RuleSet {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/corpus");
        let (sources, errors) = crate::rules::read_dir(&root);
        assert!(errors.is_empty(), "{errors:?}");
        let set = load(sources, &Limits::default());
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        set
    }

    #[test]
    fn corpus_rules_that_declare_reads_judge_projections_as_they_judge_whole_documents() {
        let set = builtin_corpus_rules();
        assert!(set.rules.iter().all(|r| r.reads.is_some()), "the built-in corpus rules declare what they read");
        let rules: Vec<&Rule> = set.rules.iter().collect();

        let whole = documents();
        let kept = for_corpus(whole.clone(), &rules, true);
        let at = |docs: &[Arc<Document>], i: usize, p: &str| {
            docs.get(i).and_then(|d| d.root.get(&crate::document::path::parse(p).unwrap()).cloned())
        };
        for dropped in ["spec.purpose", "spec.tools", "metadata.owner", "apiVersion"] {
            assert!(at(&whole, 1, dropped).is_some() && at(&kept, 1, dropped).is_none(), "{dropped} is not kept");
        }
        assert_eq!(at(&kept, 1, "spec.models"), at(&whole, 1, "spec.models"));

        let mut options = ScanOptions::new(jiff::civil::date(2025, 6, 1));
        options.evidence = EvidenceMode::All;
        let evaluator = Evaluator { options: &options, parallel: false, hashes: false };
        for rule in &rules {
            let on_whole: Vec<Outcome> = evaluator.corpus(rule, &whole).into_iter().map(|(_, o)| o).collect();
            let on_kept: Vec<Outcome> = evaluator.corpus(rule, &kept).into_iter().map(|(_, o)| o).collect();
            assert!(on_whole.iter().any(|o| o.status == Status::Fail), "{}: the case has a finding", rule.id);
            assert_eq!(on_whole, on_kept, "{}: same statuses, findings, regions, fingerprints and evidence", rule.id);
        }
    }

    #[test]
    fn a_corpus_rule_that_reads_outside_its_reads_is_an_error_naming_the_path() {
        let text = "const RULE = #{ id: \"X001\", title: \"t\", severity: \"low\", kinds: [\"AISystem\"], scope: \"corpus\", reads: [\"spec.models\"], controls: #{ iso42001: [\"A.9.2\"] }, remediation: \"r\" };\nfn check_all(docs) { for d in docs { let m = d.list(\"spec.models\"); if d.get(\"spec.purpose\") == () { d.fail(\"spec.models\", \"x\"); } } }\n";
        let set = load(vec![RuleSource { path: "X001.rhai".into(), text: text.into() }], &Limits::default());
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let rule = set.rules.first().unwrap();
        let options = ScanOptions::new(jiff::civil::date(2025, 6, 1));
        let evaluator = Evaluator { options: &options, parallel: false, hashes: false };
        for docs in [documents(), for_corpus(documents(), &[rule], false)] {
            let outcomes: Vec<Outcome> = evaluator.corpus(rule, &docs).into_iter().map(|(_, o)| o).collect();
            assert_eq!(outcomes.len(), 2, "both AISystems");
            for o in &outcomes {
                assert_eq!(o.status, Status::Error);
                assert_eq!(
                    o.error.as_ref().map(|e| e.message.as_str()),
                    Some("read `spec.purpose`, outside the paths in RULE.reads (spec.models): a corpus scan keeps only those parts of each document")
                );
                // What it found after reading `()` in place of `spec.purpose` is not reported.
                assert!(o.findings.is_empty(), "{:?}", o.findings);
            }
        }
    }

    #[test]
    fn chunks_hold_about_chunk_files_documents() {
        let many = 10_000;
        assert_eq!(chunk_size(64, 0, 0, many, 2), 1, "nothing seen yet: one file at a time");
        assert_eq!(chunk_size(64, 128, 128, many, 2), 64);
        assert_eq!(chunk_size(64, 128, 256, many, 2), 32, "two documents a file");
        assert_eq!(chunk_size(64, 128, 6_400, many, 2), 1, "fifty a file: one file a chunk");
        assert_eq!(chunk_size(64, 1, 100_000, many, 2), 1, "never an empty chunk");
        assert_eq!(chunk_size(0, 5, 5, many, 2), 1);
        // The last files: a quarter of them each on two threads, so the workers end together.
        assert_eq!(chunk_size(64, 128, 128, 100, 2), 25);
        assert_eq!(chunk_size(64, 128, 128, 3, 2), 1);
        assert_eq!(chunk_size(64, 128, 128, 1_000, 4), 64, "far from the end the documents decide");
    }

    #[test]
    fn converting_only_the_keys_a_rule_reads_changes_no_outcome() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut sources = Vec::new();
        for dir in ["rules", "benches/policies"] {
            let (found, errors) = crate::rules::read_dir(&repo.join(dir));
            assert!(errors.is_empty(), "{errors:?}");
            sources.extend(found);
        }
        let mut set = load(sources, &Limits::default());
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let mut docs = Vec::new();
        for dir in ["fixtures", "examples/formats"] {
            let mut files: Vec<_> = std::fs::read_dir(repo.join(dir)).unwrap().map(|e| e.unwrap().path()).collect();
            files.sort();
            for file in files {
                let format = document::Format::from_path(&file).unwrap();
                let loaded = document::load_file(&file, &file.display().to_string(), format, &LoadOptions::default());
                assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
                docs.extend(loaded.documents.into_iter().map(Arc::new));
            }
        }
        // And the benches' generated systems, which vary every list the policies read.
        for i in 0..100 {
            let text = super::generate::document(i, 1 + (i as usize % 3));
            let loaded =
                document::load_bytes(text.into_bytes(), &format!("generated-{i}.yaml"), document::Format::Yaml, &LoadOptions::default());
            docs.extend(loaded.documents.into_iter().map(Arc::new));
        }
        let mut options = ScanOptions::new(jiff::civil::date(2025, 6, 1));
        options.evidence = EvidenceMode::All;
        let evaluator = Evaluator { options: &options, parallel: false, hashes: false };
        let projected: Vec<&str> = set.rules.iter().filter(|r| r.fields.is_some()).map(|r| r.id.as_str()).collect();
        for id in ["P03", "P04", "P05", "P06", "P07", "P10", "P12", "CORP001"] {
            assert!(projected.contains(&id), "{id} reads list items by fixed keys: {projected:?}");
        }
        let (mut compared, mut failed) = (0, 0);
        for rule in set.rules.iter_mut().filter(|r| r.fields.is_some()) {
            let matching: Vec<Arc<Document>> = docs.iter().filter(|d| rule.matches_kind(&d.kind)).cloned().collect();
            let evaluate = |rule: &Rule| -> Vec<Outcome> {
                match rule.scope {
                    crate::rules::Scope::Document => matching.iter().map(|doc| evaluator.document(rule, doc)).collect(),
                    crate::rules::Scope::Corpus => evaluator.corpus(rule, &matching).into_iter().map(|(_, o)| o).collect(),
                }
            };
            let kept = evaluate(rule);
            // Compiled again without the kept keys, then as loaded.
            let fields = rule.fields.take();
            compiled::forget(rule.program);
            let whole = evaluate(rule);
            rule.fields = fields;
            compiled::forget(rule.program);
            assert_eq!(kept, whole, "{}: same statuses, findings, fingerprints and evidence", rule.id);
            compared += whole.len();
            failed += whole.iter().filter(|o| o.status == Status::Fail).count();
        }
        assert!(compared >= 2_000 && failed >= 500, "{compared} outcomes compared, {failed} of them failures");
    }

    fn result(path: &str, hash: &str, rules: &[&str]) -> FileResult {
        FileResult {
            path: path.into(),
            documents: vec![DocumentInfo {
                index: 0,
                identity: "bot".into(),
                kind: "AISystem".into(),
                api_version: None,
                hash: Some(hash.into()),
                region: Default::default(),
            }],
            outcomes: rules.iter().map(|r| outcome(r)).collect(),
            ..FileResult::default()
        }
    }

    fn outcome(rule: &str) -> Outcome {
        Outcome {
            rule: rule.into(),
            document: 0,
            status: Status::Pass,
            findings: Vec::new(),
            error: None,
            logs: Vec::new(),
            fingerprint: String::new(),
            evidence: None,
            disposition: None,
        }
    }

    fn first_pass() -> CorpusOutcomes {
        let file = |hash: &str| CorpusFile { hashes: vec![hash.into()], outcomes: vec![outcome("CORP001")] };
        CorpusOutcomes { files: [("a.yaml".to_string(), file("h1")), ("b.yaml".to_string(), file("h2"))].into_iter().collect() }
    }

    #[test]
    fn corpus_outcomes_join_their_file_in_rule_order_unless_the_file_changed_between_the_passes() {
        let mut corpus = first_pass();
        let attach = |corpus: &mut CorpusOutcomes, mut result: FileResult| {
            corpus.attach(&mut result);
            result
        };
        let same = attach(&mut corpus, result("a.yaml", "h1", &["AIS001", "ZZZ001"]));
        assert_eq!(same.outcomes.iter().map(|o| o.rule.as_str()).collect::<Vec<_>>(), ["AIS001", "CORP001", "ZZZ001"]);
        assert!(same.errors.is_empty());

        let changed = attach(&mut corpus, result("b.yaml", "h2-edited", &["AIS001"]));
        assert_eq!(changed.outcomes.iter().map(|o| o.rule.as_str()).collect::<Vec<_>>(), ["AIS001"]);
        assert_eq!(changed.errors.len(), 1);
        assert!(changed.errors[0].message.starts_with("changed while it was being scanned"), "{:?}", changed.errors);

        let unknown = attach(&mut corpus, result("c.yaml", "h3", &["AIS001"]));
        assert_eq!((unknown.outcomes.len(), unknown.errors.len()), (1, 0), "a file the first pass did not see is left as it is");
        assert!(corpus.files.is_empty(), "each file's outcomes are handed on once, then let go");
    }

    #[test]
    fn a_shard_reports_its_own_files_with_corpus_verdicts_over_every_shard() {
        let set = builtin_corpus_rules();
        let bytes = |display: &str, text: &str| Input::Bytes {
            display: display.into(),
            format: document::Format::Yaml,
            bytes: text.as_bytes().into(),
        };
        let scan_of = |inputs: Vec<Input>, others: &[Input]| {
            let mut results = Vec::new();
            let options = ScanOptions { threads: 1, ..ScanOptions::new(jiff::civil::date(2025, 6, 1)) };
            scan_shard(&set.rules, inputs, others, &options, &mut |r| {
                results.push(std::mem::take(r));
                Ok(())
            })
            .unwrap();
            results
        };
        let verdict = |results: &[FileResult], rule: &str| {
            results.iter().flat_map(|r| &r.outcomes).find(|o| o.rule == rule).map(|o| (o.status, o.findings.len()))
        };
        // The stray system's shard alone: no management system, no inventory to be missing from.
        let alone = scan_of(vec![bytes("stray.yaml", STRAY)], &[]);
        assert_eq!(verdict(&alone, "CORP002"), Some((Status::Pass, 0)));
        let others = [bytes("aims.yaml", AIMS), bytes("bot.yaml", BOT), bytes("broken.yaml", "a: [unclosed\n")];
        let shard = scan_of(vec![bytes("stray.yaml", STRAY)], &others);
        assert_eq!(shard.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["stray.yaml"], "only the shard's files are reported");
        assert_eq!(verdict(&shard, "CORP002"), Some((Status::Fail, 1)), "the inventory in another shard counts");
        assert!(shard.iter().all(|r| r.errors.is_empty()), "another shard's broken file is that shard's to report");
    }

    #[test]
    fn documents_are_hashed_when_asked_and_always_in_a_corpus_scan() {
        let hashes = |rules: &[Rule], document_hashes: bool| {
            let options = ScanOptions { threads: 1, document_hashes, ..ScanOptions::new(jiff::civil::date(2025, 6, 1)) };
            let input = Input::Bytes { display: "bot.yaml".into(), format: document::Format::Yaml, bytes: BOT.as_bytes().into() };
            let mut hashes = Vec::new();
            scan(rules, vec![input], &options, &mut |r| {
                hashes.extend(r.documents.iter().map(|d| d.hash.clone()));
                Ok(())
            })
            .unwrap();
            hashes
        };
        let bot = document::load_bytes(BOT.as_bytes().to_vec(), "bot.yaml", document::Format::Yaml, &LoadOptions::default());
        let expected = bot.documents.first().map(|d| d.hash().to_string());
        assert_eq!(expected.as_ref().map(String::len), Some(32));
        assert_eq!(hashes(&[], true), std::slice::from_ref(&expected));
        assert_eq!(hashes(&[], false), [None]);
        // The corpus pass compares hashes to tell whether a file changed in between.
        assert_eq!(hashes(&builtin_corpus_rules().rules, false), [expected]);
    }

    #[test]
    fn a_list_of_files_becomes_a_list_of_inputs_in_place() {
        // A scan of 100,000 files would otherwise hold both lists at once.
        assert_eq!(std::mem::size_of::<Input>(), std::mem::size_of::<InputFile>());
        assert_eq!(std::mem::align_of::<Input>(), std::mem::align_of::<InputFile>());
    }
}
