//! Incremental reruns: skipping, re-running on real changes, crash safety and locking.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use lorasearch_e2e::{Project, flat_pairs_csv, pairs_settings, stderr};

const INGEST: &str = "lorasearch-ingest";
const OUTPUTS: [&str; 5] = ["train.parquet", "validation.parquet", "test.parquet", "catalog.parquet", "manifest.json"];

fn pairs_project() -> Project {
    let project = Project::new(&pairs_settings("pairs.csv", ""));
    project.write("pairs.csv", flat_pairs_csv(30));
    project
}

fn run_ok(project: &Project, args: &[&str]) -> String {
    let output = project.run(INGEST, args);
    assert!(output.status.success(), "{}", stderr(&output));
    stderr(&output)
}

/// (bytes, mtime) of every output, to tell whether a run rewrote anything.
fn snapshot(project: &Project) -> Vec<(Vec<u8>, SystemTime)> {
    OUTPUTS
        .iter()
        .map(|name| {
            let path = project.path(&format!("artifacts/ingest/{name}"));
            let modified = std::fs::metadata(&path).and_then(|metadata| metadata.modified()).unwrap();
            (std::fs::read(&path).unwrap(), modified)
        })
        .collect()
}

fn stage_key(project: &Project) -> String {
    project.manifest("ingest")["stage_key"].as_str().unwrap_or_default().to_string()
}

fn set_mtime_forward(path: &Path) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(5)).unwrap();
}

#[test]
fn second_run_touches_nothing() {
    let project = pairs_project();
    run_ok(&project, &[]);
    let before = snapshot(&project);

    let log = run_ok(&project, &[]);
    assert!(log.contains("up to date"), "{log}");
    assert_eq!(snapshot(&project), before);
}

#[test]
fn touched_input_does_not_rerun() {
    let project = pairs_project();
    run_ok(&project, &[]);
    let before = snapshot(&project);

    set_mtime_forward(&project.path("pairs.csv"));
    let log = run_ok(&project, &[]);
    assert!(log.contains("up to date"), "{log}");
    assert_eq!(snapshot(&project), before);
}

#[test]
fn changed_byte_reruns() {
    let project = pairs_project();
    run_ok(&project, &[]);
    let key_before = stage_key(&project);

    let text = std::fs::read_to_string(project.path("pairs.csv")).unwrap();
    project.write("pairs.csv", text.replacen("product 0 for query 0", "product 0 for query O", 1));
    let log = run_ok(&project, &[]);
    assert!(log.contains("running"), "{log}");
    assert_ne!(stage_key(&project), key_before);
}

#[test]
fn changed_parameter_reruns() {
    let project = pairs_project();
    run_ok(&project, &[]);
    let key_before = stage_key(&project);

    project.set_settings(&format!("[pipeline]\nseed = 7\n{}", pairs_settings("pairs.csv", "")));
    let log = run_ok(&project, &[]);
    assert!(log.contains("running"), "{log}");
    assert_ne!(stage_key(&project), key_before);
}

#[test]
fn force_reruns() {
    let project = pairs_project();
    run_ok(&project, &[]);
    let log = run_ok(&project, &["--force"]);
    assert!(log.contains("running"), "{log}");
}

#[test]
fn modified_output_reruns() {
    let project = pairs_project();
    run_ok(&project, &[]);
    let original = std::fs::read(project.path("artifacts/ingest/train.parquet")).unwrap();

    project.write("artifacts/ingest/train.parquet", b"damaged");
    let log = run_ok(&project, &[]);
    assert!(log.contains("running"), "{log}");
    assert_eq!(std::fs::read(project.path("artifacts/ingest/train.parquet")).unwrap(), original);
}

#[test]
fn kill_before_swap_keeps_previous_artifacts() {
    let project = pairs_project();
    run_ok(&project, &[]);
    let before = snapshot(&project);

    project.set_settings(&format!("[pipeline]\nseed = 9\n{}", pairs_settings("pairs.csv", "")));
    let killed = project.command(INGEST, &[]).env("LORASEARCH_FAILPOINT", "before-swap:abort").output().unwrap();
    assert!(!killed.status.success(), "the failpoint did not stop the run");
    assert_eq!(snapshot(&project), before, "the previous artifacts changed");

    let log = run_ok(&project, &[]);
    assert!(log.contains("running"), "{log}");
    let leftovers = std::fs::read_dir(project.path("artifacts"))
        .unwrap()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().contains(".staging-"))
        .count();
    assert_eq!(leftovers, 0, "the staging folder of the killed run was not removed");
}

#[test]
fn concurrent_run_fails_naming_the_holder() {
    let project = pairs_project();
    let mut holder = project
        .command(INGEST, &[])
        .env("LORASEARCH_FAILPOINT", "before-swap:sleep=4000")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait until the holder has written its pid into the lock file.
    let lock = project.path("artifacts/.locks/ingest.lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != holder.id().to_string() {
        assert!(Instant::now() < deadline, "the first run never took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }

    let second = project.run(INGEST, &[]);
    let message = stderr(&second);
    assert_eq!(second.status.code(), Some(1), "{message}");
    assert!(message.contains(&format!("already running (pid {},", holder.id())), "{message}");

    assert!(holder.wait().unwrap().success());
    assert_eq!(project.parquet("artifacts/ingest/catalog.parquet").height(), 90);
}

#[test]
fn stale_lock_of_dead_process_is_taken_over() {
    let project = pairs_project();
    project.write("artifacts/.locks/ingest.lock", "999999999");
    run_ok(&project, &[]);
    assert!(project.path("artifacts/ingest/manifest.json").is_file());
}
