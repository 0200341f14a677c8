//! Where schema files are read from: the working tree, or a git revision
//! (through the `git` command, so that a checkout needs nothing else).

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::CliError;

/// A tree of files under a project's root directory.
#[derive(Clone, Debug)]
pub enum Tree {
    /// The files on disk.
    Working { root: PathBuf },
    /// The files committed at a git revision, read with `git show`.
    Git { root: PathBuf, revision: String },
}

impl Tree {
    /// The tree of `revision` for the project at `root`; fails at once when
    /// git is missing, `root` is not in a repository or the revision is
    /// unknown.
    pub fn git(root: &Path, revision: &str) -> Result<Tree, CliError> {
        if revision.is_empty() || revision.starts_with('-') {
            return Err(CliError::Usage(format!(
                "`git:{revision}` names no git revision"
            )));
        }
        let commit = format!("{revision}^{{commit}}");
        let output = git(root, &["rev-parse", "--verify", "--quiet", &commit])?;
        if !output.status.success() {
            // Distinguish "not a repository" from an unknown revision.
            let inside = git(root, &["rev-parse", "--is-inside-work-tree"])?;
            if !inside.status.success() {
                return Err(CliError::Usage(format!(
                    "{} is not inside a git repository, so `--against git:{revision}` cannot be used",
                    display_dir(root)
                )));
            }
            return Err(CliError::Usage(format!(
                "unknown git revision `{revision}` (no branch, tag or commit of that name; in a \
                 shallow CI checkout, fetch it first, e.g. `git fetch origin {revision}`)"
            )));
        }
        Ok(Tree::Git {
            root: root.to_owned(),
            revision: revision.to_owned(),
        })
    }

    /// What this tree is called in reports: `working tree` or `git:REV`.
    pub fn name(&self) -> String {
        match self {
            Tree::Working { .. } => "working tree".to_owned(),
            Tree::Git { revision, .. } => format!("git:{revision}"),
        }
    }

    /// The files under `dir` (relative to the root, `/`-separated, empty
    /// for the root itself), recursively, as paths relative to the root.
    pub fn files_under(&self, dir: &str) -> Result<Vec<String>, CliError> {
        match self {
            Tree::Working { root } => {
                let mut files = Vec::new();
                let start = if dir.is_empty() {
                    root.clone()
                } else {
                    root.join(dir)
                };
                if start.is_dir() {
                    walk(&start, dir, &mut files)?;
                }
                files.sort();
                Ok(files)
            }
            Tree::Git { root, revision } => {
                let mut args = vec!["ls-tree", "-r", "--name-only", "-z", revision.as_str()];
                if !dir.is_empty() {
                    args.extend(["--", dir]);
                }
                let output = git(root, &args)?;
                if !output.status.success() {
                    return Err(git_failure(&args, &output));
                }
                let mut files: Vec<String> = output
                    .stdout
                    .split(|byte| *byte == 0)
                    .filter(|name| !name.is_empty())
                    .map(|name| String::from_utf8_lossy(name).into_owned())
                    .collect();
                files.sort();
                Ok(files)
            }
        }
    }

    /// The text of the file at `path` (relative to the root), or `None`
    /// when the tree has no such file.
    pub fn read(&self, path: &str) -> Result<Option<String>, CliError> {
        match self {
            Tree::Working { root } => match std::fs::read_to_string(root.join(path)) {
                Ok(text) => Ok(Some(text)),
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(CliError::ReadFile {
                    path: PathBuf::from(path),
                    source,
                }),
            },
            Tree::Git { root, revision } => {
                // `./` makes the path relative to the project root, not to
                // the repository's top level.
                let object = format!("{revision}:./{path}");
                let args = ["show", object.as_str()];
                let output = git(root, &args)?;
                if !output.status.success() {
                    // Absent at the revision, or git failed: only the rare
                    // failure pays for asking which.
                    let exists = git(root, &["cat-file", "-e", &object])?;
                    if !exists.status.success() {
                        return Ok(None);
                    }
                    return Err(git_failure(&args, &output));
                }
                String::from_utf8(output.stdout).map(Some).map_err(|_| {
                    CliError::Usage(format!("{path} at git:{revision} is not UTF-8 text"))
                })
            }
        }
    }
}

fn git(root: &Path, args: &[&str]) -> Result<std::process::Output, CliError> {
    Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|error| CliError::Usage(format!("cannot run git: {error}")))
}

fn git_failure(args: &[&str], output: &std::process::Output) -> CliError {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reason = stderr.lines().next().unwrap_or("no message").trim();
    CliError::Usage(format!("`git {}` failed: {reason}", args.join(" ")))
}

fn display_dir(root: &Path) -> String {
    if root.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        root.display().to_string()
    }
}

/// Collects the files under `dir` (shown as `relative`), skipping hidden
/// entries (`.git` and the like).
fn walk(dir: &Path, relative: &str, files: &mut Vec<String>) -> Result<(), CliError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CliError::ReadFile {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| CliError::ReadFile {
            path: dir.to_owned(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = if relative.is_empty() {
            name.clone()
        } else {
            format!("{relative}/{name}")
        };
        let file_type = entry.file_type().map_err(|source| CliError::ReadFile {
            path: entry.path(),
            source,
        })?;
        if file_type.is_dir() {
            walk(&entry.path(), &path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
