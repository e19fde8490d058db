//! The `portico` binary: start-up errors and migrations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn portico() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_portico"));
    c.env_remove("PORTICO_DATABASE_URL")
        .env_remove("PORTICO_CONFIG")
        .env("RUST_LOG", "error");
    c
}

/// Run `portico` and return (exit code, stderr).
fn run(c: &mut Command) -> (i32, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_clean_line(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one readable line, got: {stderr}");
    assert!(lines[0].starts_with("portico: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unreachable_database_is_one_line_and_a_failure_exit() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("portico.toml");
    std::fs::write(&cfg, "[database]\nacquire_timeout_secs = 1\n").unwrap();
    let (code, err) = run(portico().arg("--config").arg(&cfg).args([
        "--database-url",
        "postgres://postgres:hunter2@127.0.0.1:1/portico",
        "serve",
        "--bind",
        "127.0.0.1:0",
    ]));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("cannot connect to PostgreSQL"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the password must not be printed: {err}"
    );
}

#[test]
fn a_malformed_database_url_is_one_line_and_a_failure_exit() {
    let (code, err) =
        run(portico().args(["--database-url", "postgres://u:hunter2@[::1", "migrate"]));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("not valid"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn a_bad_config_file_is_one_line_and_a_failure_exit() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("portico.toml");
    std::fs::write(&cfg, "[database]\nmax_connections = 0\n").unwrap();
    let db = dir.path().join("p.db");
    let (code, err) = run(portico()
        .arg("--config")
        .arg(&cfg)
        .arg("--database-url")
        .arg(&db)
        .args(["serve", "--bind", "127.0.0.1:0"]));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("max_connections"), "{err}");
}

#[test]
fn migrate_alone_then_serve_without_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let out = portico()
        .arg("--database-url")
        .arg(&db)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
    // Migrating again is a no-op.
    assert!(
        portico()
            .arg("--database-url")
            .arg(&db)
            .arg("migrate")
            .output()
            .unwrap()
            .status
            .success()
    );

    // serve --no-migrate starts on the migrated database (it is stopped by
    // the test once it listens).
    let mut child = portico()
        .arg("--database-url")
        .arg(&db)
        .args(["serve", "--no-migrate", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("listening on http://127.0.0.1:"), "{line}");
}

#[test]
fn serve_without_migrations_on_an_empty_database_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    let (code, err) = run(portico().arg("--database-url").arg(&db).args([
        "serve",
        "--no-migrate",
        "--bind",
        "127.0.0.1:0",
    ]));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
}
