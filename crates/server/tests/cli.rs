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

const GOOD_ENTRYPOINT: &str = r##"
id = "garden"
display_name = "Garden Centre"
x_methods = ["login", "sign_up"]
default_locale = "es"
[sign_up]
birthdate = "required"
[theme]
primary = "#166534"
logo_url = "https://garden.example/logo.svg"
[theme.texts.es]
title = "Bienvenido al vivero"
"##;

#[test]
fn an_unreadable_theme_is_refused_at_save_with_the_pair_and_the_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "id = \"pale\"\ndisplay_name = \"Pale\"\n[theme]\nprimary = \"#a5f3fc\"\nradius = \"huge\"\n",
    )
    .unwrap();
    let (code, err) = run(portico().args(["entrypoint", "check"]).arg(&file));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("entrypoint pale"), "{err}");
    assert!(
        err.contains("on_primary #ffffff on primary #a5f3fc has a contrast of"),
        "{err}"
    );
    assert!(err.contains("WCAG AA needs at least 4.5:1"), "{err}");
    assert!(err.contains("theme.radius \"huge\""), "{err}");

    // The same theme in the config stops the server before it listens.
    let db = dir.path().join("p.db");
    let cfg = dir.path().join("portico.toml");
    std::fs::write(
        &cfg,
        "[[entrypoints]]\nid = \"pale\"\ndisplay_name = \"Pale\"\n[entrypoints.theme]\ntext = \"#999999\"\n",
    )
    .unwrap();
    let (code, err) = run(portico()
        .arg("--config")
        .arg(&cfg)
        .arg("--database-url")
        .arg(&db)
        .args(["serve", "--bind", "127.0.0.1:0"]));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("text #999999 on surface #ffffff"), "{err}");
}

#[test]
fn entrypoints_are_saved_listed_and_shown_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let file = dir.path().join("garden.toml");
    std::fs::write(&file, GOOD_ENTRYPOINT).unwrap();
    let ok = |c: &mut Command| {
        let out = c.arg("--database-url").arg(&db).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(
        ok(portico().args(["entrypoint", "put"]).arg(&file)).contains("entrypoint garden saved")
    );
    assert_eq!(
        ok(portico().args(["entrypoint", "list"])),
        "garden\tGarden Centre\n"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&ok(portico().args(["entrypoint", "show", "garden"]))).unwrap();
    assert_eq!(shown["theme"]["primary"], "#166534");
    assert_eq!(shown["sign_up"]["birthdate"], "required");
    assert_eq!(shown["x_methods"], serde_json::json!(["login", "sign_up"]));
    // A typo in a key is an error, not silently ignored.
    std::fs::write(&file, GOOD_ENTRYPOINT.replace("primary =", "primry =")).unwrap();
    let (code, err) = run(portico()
        .arg("--database-url")
        .arg(&db)
        .args(["entrypoint", "put"])
        .arg(&file));
    assert_ne!(code, 0);
    assert!(err.contains("primry"), "{err}");
}
