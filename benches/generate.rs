//! A small deterministic generator of `kind: AISystem` documents for the
//! benches: document `i` depends only on `i`; `scale` multiplies every list,
//! so the same shape comes in small, medium and large.

use std::fmt::Write as _;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.next(items.len() as u64) as usize).copied().unwrap_or_default()
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next(100) < percent
    }
}

/// One AISystem document of about 3 KB at scale 1.
pub fn document(i: u64, scale: usize) -> String {
    let mut r = Lcg(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5);
    let mut y = String::new();
    let tier = r.pick(&["minimal", "limited", "high", "unacceptable"]);
    let _ = writeln!(y, "apiVersion: annexa/v1\nkind: AISystem\nmetadata:\n  name: system-{i:06}\n  owner: team-{}", r.next(9));
    let _ = writeln!(y, "spec:\n  purpose: answers questions about orders\n  risk:\n    tier: {tier}");
    let _ = writeln!(y, "  impact_assessment:\n    date: 2024-{:02}-{:02}\n    approved_by: risk-board", 1 + r.next(12), 1 + r.next(28));
    let level = r.pick(&["assistive", "human-in-the-loop", "human-on-the-loop", "autonomous"]);
    let _ =
        writeln!(y, "  autonomy:\n    level: {level}\n  oversight:\n    can_override: {}\n    can_stop: {}", r.chance(80), r.chance(70));
    y.push_str("  models:\n");
    for m in 0..(1 + r.next(3) as usize) * scale {
        let _ = writeln!(
            y,
            "    - name: model-{m}\n      provider: {}\n      hosting: {}\n      weights: {{encrypted_at_rest: {}}}",
            r.pick(&["openai", "anthropic", "internal", "mistral"]),
            r.pick(&["api", "self-hosted"]),
            r.chance(60)
        );
    }
    y.push_str("  data:\n");
    for d in 0..(1 + r.next(4) as usize) * scale {
        let _ = writeln!(
            y,
            "    - name: data-{d}\n      contains_personal_data: {}\n      legal_basis: {}\n      store: {{type: {}, encrypted_at_rest: {}}}",
            r.chance(50),
            if r.chance(60) { "contract" } else { "\"\"" },
            r.pick(&["vector", "sql", "object"]),
            r.chance(60)
        );
    }
    y.push_str("  tools:\n");
    let mut tools = Vec::new();
    for t in 0..(r.next(5) as usize) * scale {
        let effect = r.pick(&["read", "write", "code-execution"]);
        let _ = writeln!(y, "    - {{name: tool_{t}, effect: {effect}, requires_approval: {}}}", r.chance(50));
        tools.push(t);
    }
    let events = if r.chance(60) { "tool_calls" } else { "errors" };
    let _ = writeln!(y, "  logging:\n    events: [requests, {events}]\n    retention_days: {}", r.pick(&["30", "180", "365"]));
    let _ = writeln!(y, "  secrets: {{manager: vault, rotation_days: {}}}", r.pick(&["30", "90", "180"]));
    let _ = writeln!(y, "  access: {{authentication: {}}}", r.pick(&["oauth", "sso", "api-key", "none"]));
    y.push_str("  suppliers:\n    - {name: openai, agreement: contracts/openai.pdf}\n    - {name: mistral}\n");
    let _ = writeln!(y, "  incident_response:\n    categories: [data_leakage{}]", if r.chance(50) { ", prompt_injection" } else { "" });
    y.push_str("  architecture:\n    components:\n      - {id: web, type: ui, trust: untrusted}\n      - {id: orchestrator, type: service}\n      - {id: gate, type: human-approval}\n");
    for t in &tools {
        let _ = writeln!(y, "      - {{id: tool-{t}, type: tool, tool: tool_{t}}}");
    }
    y.push_str("    flows:\n      - {from: web, to: orchestrator}\n      - {from: orchestrator, to: gate}\n");
    for t in &tools {
        let from = if r.chance(50) { "gate" } else { "orchestrator" };
        let _ = writeln!(y, "      - {{from: {from}, to: tool-{t}}}");
    }
    y
}
