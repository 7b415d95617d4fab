//! `lorasearch status` for never-run, up-to-date and stale stages.

use lorasearch_e2e::{Project, flat_pairs_csv, pairs_settings, stderr, stdout};

fn status(project: &Project) -> String {
    let output = project.run("lorasearch", &["status"]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

fn pairs_project() -> Project {
    let project = Project::new(&pairs_settings("pairs.csv", ""));
    project.write("pairs.csv", flat_pairs_csv(10));
    project
}

fn ingest(project: &Project) {
    let output = project.run("lorasearch-ingest", &[]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn fresh_project_is_never_run() {
    let project = pairs_project();
    assert!(status(&project).contains("ingest     never run"), "{}", status(&project));
}

#[test]
fn finished_stage_is_up_to_date() {
    let project = pairs_project();
    ingest(&project);
    assert!(status(&project).contains("ingest     up to date"), "{}", status(&project));
}

#[test]
fn changed_parameter_is_named() {
    let project = pairs_project();
    ingest(&project);
    project.set_settings(&format!("[pipeline]\nseed = 3\n{}", pairs_settings("pairs.csv", "")));

    let report = status(&project);
    assert!(report.contains("ingest     stale"), "{report}");
    assert!(report.contains("parameter `seed` changed"), "{report}");
}

#[test]
fn changed_input_is_named() {
    let project = pairs_project();
    ingest(&project);
    project.write("pairs.csv", flat_pairs_csv(11));

    let report = status(&project);
    assert!(report.contains("input pairs.csv changed"), "{report}");
}

#[test]
fn status_json_lists_the_state() {
    let project = pairs_project();
    let output = project.run("lorasearch", &["status", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["ingest"]["state"], "never-run");
}

#[test]
fn status_check_fails_when_stale() {
    let project = pairs_project();
    let output = project.run("lorasearch", &["status", "--check"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("ingest"), "{}", stderr(&output));
}
