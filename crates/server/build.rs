//! The git revision `portico --version` prints: `git rev-parse` when the
//! source is a git checkout, else `PORTICO_GIT_REVISION` (Docker builds copy
//! the source without `.git`), else `unknown`. It never fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PORTICO_GIT_REVISION");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    watch_git(&dir);
    let revision = from_git(&dir)
        .or_else(|| {
            std::env::var("PORTICO_GIT_REVISION")
                .ok()
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=PORTICO_GIT_REVISION={revision}");
}

fn from_git(dir: &Path) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    let rev = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !rev.is_empty()).then_some(rev)
}

/// Rebuild when HEAD moves: a commit, a checkout. In a worktree `.git` is a
/// file naming the worktree's git dir, whose `commondir` names the
/// repository's, where the branches are. Only files that exist are named
/// (cargo reruns every time for one that does not).
fn watch_git(dir: &Path) {
    let Some(dot_git) = dir.ancestors().map(|d| d.join(".git")).find(|p| p.exists()) else {
        return;
    };
    let git_dir = if dot_git.is_file() {
        let Some(named) = std::fs::read_to_string(&dot_git).ok().and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("gitdir:"))
                .map(|p| PathBuf::from(p.trim()))
        }) else {
            return;
        };
        match dot_git.parent() {
            Some(base) if named.is_relative() => base.join(named),
            _ => named,
        }
    } else {
        dot_git
    };
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .ok()
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|| git_dir.clone());
    let head = git_dir.join("HEAD");
    let mut watched = vec![head.clone(), common.join("packed-refs")];
    if let Some(branch) = std::fs::read_to_string(&head)
        .ok()
        .and_then(|h| h.strip_prefix("ref:").map(|r| r.trim().to_owned()))
    {
        watched.push(git_dir.join(&branch));
        watched.push(common.join(&branch));
    }
    for path in watched.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
