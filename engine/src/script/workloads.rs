//! Kubernetes workloads as rules see them: the containers of every pod
//! template a manifest holds (Deployments, StatefulSets, LeaderWorkerSets,
//! KServe runtimes and predictors, ...), and which model server a container runs.

use rhai::{Array, Dynamic, Engine, ImmutableString, Map};

use super::api::Doc;
use super::context;
use crate::document::path;
use crate::document::Node;

/// Where pod specs (objects with `containers`) sit in the workload kinds annexa knows.
const POD_SPECS: [&str; 6] = [
    "spec.template.spec",
    "spec.jobTemplate.spec.template.spec",
    "spec.leaderWorkerTemplate.leaderTemplate.spec",
    "spec.leaderWorkerTemplate.workerTemplate.spec",
    "spec.predictor",
    "spec",
];

/// Model servers: words naming them in an image, and entrypoints that start
/// them from a command line (arguments mention model names such as
/// `vllm-llama3`, so a name alone there proves nothing).
const SERVERS: [(&str, &[&str], &[&str]); 6] = [
    ("vllm", &["vllm"], &["vllm.entrypoints", "vllm serve"]),
    ("tgi", &["text-generation-inference"], &["text-generation-launcher"]),
    ("ollama", &["ollama"], &["ollama serve"]),
    ("triton", &["tritonserver", "triton-inference-server"], &["tritonserver"]),
    ("sglang", &["sglang"], &["sglang.launch_server"]),
    ("llama.cpp", &["llama.cpp", "llama-cpp"], &["llama-server"]),
];

/// The containers of every pod spec in the document, each as
/// `#{path, pod, container, server}` (`path` is the container's own path,
/// `server` what `model_server` says of it).
pub fn containers(doc: &Doc) -> Array {
    let mut out = Array::new();
    for pod in POD_SPECS {
        let Ok(segments) = path::parse(pod) else { continue };
        let Some(spec) = doc.doc.root.get(&segments) else { continue };
        let Some(items) = spec.child_key("containers").and_then(Node::as_seq) else { continue };
        context::record_read(doc.slot, std::rc::Rc::new(segments.clone()));
        for (i, container) in items.iter().enumerate() {
            let mut entry = Map::new();
            entry.insert("path".into(), Dynamic::from(format!("{pod}.containers[{i}]")));
            entry.insert("pod".into(), Dynamic::from(pod.to_string()));
            let value = container.to_dynamic();
            let server = value.read_lock::<Map>().map_or("", |m| model_server(&m));
            entry.insert("server".into(), Dynamic::from(server.to_string()));
            entry.insert("container".into(), value);
            out.push(Dynamic::from_map(entry));
        }
        if pod == "spec.predictor" {
            // `spec` of an InferenceService is not a pod spec; its predictor was.
            break;
        }
    }
    out
}

/// The model server a container runs (`vllm`, `tgi`, `ollama`, `triton`,
/// `sglang`, `llama.cpp`), or `""`, from its image, command and args.
pub fn model_server(container: &Map) -> &'static str {
    let image = container.get("image").filter(|v| v.is_string()).map(|v| v.to_string().to_ascii_lowercase()).unwrap_or_default();
    // The repository path of the image, without registry host and tag.
    let repository = image.split(['@', ':']).next().unwrap_or_default();
    let mut line = String::new();
    for field in ["command", "args"] {
        match container.get(field) {
            Some(v) if v.is_string() => line.push_str(&v.to_string().to_ascii_lowercase()),
            Some(v) if v.is_array() => {
                if let Some(items) = v.read_lock::<Array>() {
                    for item in items.iter().filter(|i| i.is_string()) {
                        line.push(' ');
                        line.push_str(&item.to_string().to_ascii_lowercase());
                    }
                }
            }
            _ => {}
        }
        line.push(' ');
    }
    SERVERS
        .iter()
        .find(|(_, images, entrypoints)| images.iter().any(|n| repository.contains(n)) || entrypoints.iter().any(|e| line.contains(e)))
        .map_or("", |(name, _, _)| name)
}

/// The containers that serve models: those running a known model server, or
/// every container of a KServe `ServingRuntime` or `InferenceService`.
pub fn serving_containers(doc: &Doc) -> Array {
    let everything = matches!(doc.doc.kind.as_str(), "ServingRuntime" | "ClusterServingRuntime" | "InferenceService");
    containers(doc)
        .into_iter()
        .filter(|c| everything || c.read_lock::<Map>().and_then(|m| m.get("server").map(|s| !s.to_string().is_empty())).unwrap_or(false))
        .collect()
}

/// Registers the workload helpers of the rule API.
pub fn register(engine: &mut Engine) {
    engine.register_fn("containers", |d: &mut Doc| containers(d));
    engine.register_fn("serving_containers", |d: &mut Doc| serving_containers(d));
    engine.register_fn("model_server", |c: Map| -> ImmutableString { model_server(&c).into() });
    engine.register_fn("model_server", |_: ()| -> ImmutableString { "".into() });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(image: &str, command: &[&str]) -> Map {
        let mut m = Map::new();
        m.insert("image".into(), Dynamic::from(image.to_string()));
        m.insert("command".into(), Dynamic::from_array(command.iter().map(|c| Dynamic::from(c.to_string())).collect()));
        m
    }

    #[test]
    fn model_servers_by_image_or_command() {
        assert_eq!(model_server(&container("vllm/vllm-openai:v0.6.3", &[])), "vllm");
        assert_eq!(model_server(&container("lmcache/custom:1", &["python3", "-m", "vllm.entrypoints.openai.api_server"])), "vllm");
        assert_eq!(model_server(&container("ghcr.io/huggingface/text-generation-inference:2.4", &[])), "tgi");
        assert_eq!(model_server(&container("ollama/ollama:0.3.12", &[])), "ollama");
        assert_eq!(model_server(&container("nvcr.io/nvidia/tritonserver:24.08-py3", &[])), "triton");
        assert_eq!(model_server(&container("nginx:1.27", &["nginx"])), "");
        // A model name in the arguments is not a model server.
        assert_eq!(model_server(&container("lmcache/gateway:latest", &["-poolName", "vllm-llama3-1b-instruct"])), "");
    }
}
