//! `lorasearch status`: which stages are up to date, stale (and why) or never run.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::hashing::StatCache;
use crate::manifest::Manifest;
use crate::plan::StagePlan;
use crate::stage::first_changed_output;

/// State of one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum StageStatus {
    UpToDate,
    Stale { reasons: Vec<String> },
    NeverRun,
}

impl StageStatus {
    pub fn label(&self) -> &'static str {
        match self {
            Self::UpToDate => "up to date",
            Self::Stale { .. } => "stale",
            Self::NeverRun => "never run",
        }
    }
}

/// Computes the status of every plan, in order. A stage whose upstream is not up to date is stale
/// too, because rerunning the upstream stage may change its inputs.
pub fn pipeline_status(plans: &[StagePlan], cache: &mut StatCache) -> anyhow::Result<Vec<(&'static str, StageStatus)>> {
    let mut known: BTreeMap<&'static str, StageStatus> = BTreeMap::new();
    let mut statuses = Vec::with_capacity(plans.len());
    for plan in plans {
        let mut status = stage_status(plan, cache)?;
        let waiting: Vec<String> = plan
            .upstream
            .iter()
            .filter(|upstream| known.get(*upstream).is_some_and(|state| *state != StageStatus::UpToDate))
            .map(|upstream| format!("upstream stage `{upstream}` is not up to date"))
            .collect();
        if !waiting.is_empty() {
            if let StageStatus::Stale { reasons } = &mut status {
                reasons.extend(waiting);
            } else if status == StageStatus::UpToDate {
                status = StageStatus::Stale { reasons: waiting };
            }
        }
        known.insert(plan.stage, status.clone());
        statuses.push((plan.stage, status));
    }
    Ok(statuses)
}

/// Compares one stage's recorded manifest with what its plan would produce now.
pub fn stage_status(plan: &StagePlan, cache: &mut StatCache) -> anyhow::Result<StageStatus> {
    let Some(manifest) = Manifest::read(&plan.output_dir)? else { return Ok(StageStatus::NeverRun) };

    // The same test the stage runs: the key and the recorded outputs decide.
    if plan.check_inputs_exist().is_ok() {
        let inputs = plan.digest_inputs(cache)?;
        if plan.stage_key(&inputs) == manifest.stage_key && first_changed_output(plan, &manifest, cache).is_none() {
            return Ok(StageStatus::UpToDate);
        }
    }

    let mut reasons = Vec::new();
    if manifest.stage_version != plan.version {
        reasons.push(format!(
            "the output format changed (version {} recorded, {} now)",
            manifest.stage_version, plan.version
        ));
    }
    for key in changed_parameters(&manifest.parameters, &plan.parameters, "") {
        reasons.push(format!("parameter `{key}` changed"));
    }
    reasons.extend(changed_inputs(plan, &manifest, cache));
    if let Some(reason) = first_changed_output(plan, &manifest, cache) {
        reasons.push(reason);
    }
    if reasons.is_empty() {
        reasons.push("the stage key changed".to_string());
    }
    Ok(StageStatus::Stale { reasons })
}

fn changed_inputs(plan: &StagePlan, manifest: &Manifest, cache: &mut StatCache) -> Vec<String> {
    let recorded: BTreeMap<&str, &str> =
        manifest.inputs.iter().map(|record| (record.path.as_str(), record.blake3.as_str())).collect();
    let mut reasons = Vec::new();
    let mut current_paths = Vec::with_capacity(plan.inputs.len());
    for input in &plan.inputs {
        let path = input.path.to_string_lossy().into_owned();
        match (cache.digest(&input.path), recorded.get(path.as_str())) {
            (Err(_), _) => reasons.push(format!("input {path} is missing")),
            (Ok(digest), Some(blake3)) if digest.blake3 == *blake3 => {}
            (Ok(_), Some(_)) => reasons.push(format!("input {path} changed")),
            (Ok(_), None) => reasons.push(format!("input {path} is new")),
        }
        current_paths.push(path);
    }
    for record in &manifest.inputs {
        if !current_paths.contains(&record.path) {
            reasons.push(format!("input {} is no longer used", record.path));
        }
    }
    reasons
}

/// Dotted names of the leaves that differ between two JSON values.
fn changed_parameters(recorded: &serde_json::Value, current: &serde_json::Value, prefix: &str) -> Vec<String> {
    use serde_json::Value;
    match (recorded, current) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|key| {
                    let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    match (old.get(key), new.get(key)) {
                        (Some(a), Some(b)) => changed_parameters(a, b, &name),
                        _ => vec![name],
                    }
                })
                .collect()
        }
        (a, b) if a == b => Vec::new(),
        _ => vec![prefix.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_parameters_names_the_nested_key() {
        let old = json!({"split": {"train": 0.8, "test": 0.2}, "seed": 1});
        let new = json!({"split": {"train": 0.7, "test": 0.2}, "seed": 1});
        assert_eq!(changed_parameters(&old, &new, ""), vec!["split.train".to_string()]);
    }
}
