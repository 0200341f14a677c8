//! `accord user`, `accord key` and `accord role`: principals, API keys and
//! role bindings, written straight to the registry's database (a running
//! server notices within `SECURITY_POLL`).

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::audit::{self, AuditScope};
use crate::auth::{Secret, Security, SecurityOptions};
use crate::settings::DatabaseUrl;
use crate::store::Store;

#[derive(Clone, Debug, Args)]
pub struct DatabaseArg {
    /// Database URL: `sqlite://FILE` or `postgres://…`, as for `accord serve`.
    #[arg(
        long = "database",
        env = "ACCORD_DATABASE_URL",
        default_value = "sqlite://accord.db",
        global = true
    )]
    pub database_url: DatabaseUrl,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
    #[command(flatten)]
    database: DatabaseArg,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user. The password comes from --password, else from stdin
    /// (a prompt on a terminal); --no-password makes a key-only principal.
    Add {
        name: String,
        /// A role to grant (repeatable): reader, writer, owner, admin or a custom role.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// The resources the roles are granted on: `*`, `global`, `admin`
        /// or `subject:<glob>`.
        #[arg(long, default_value = "*")]
        resource: String,
        #[arg(long, conflicts_with = "no_password")]
        password: Option<Secret>,
        #[arg(long)]
        no_password: bool,
    },
    /// Set a user's password (from --password, else stdin or a prompt).
    Passwd {
        name: String,
        #[arg(long)]
        password: Option<Secret>,
    },
    /// Remove a user with its keys and bindings.
    Remove { name: String },
    /// List users with their role bindings.
    List,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    command: KeyCommand,
    #[command(flatten)]
    database: DatabaseArg,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Create an API key for a principal; the key is printed once, alone on
    /// stdout. Use it as `Authorization: Bearer KEY`.
    Create {
        principal: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List keys (ids only, never the keys).
    List {
        #[arg(long)]
        principal: Option<String>,
    },
    /// Revoke a key by its id.
    Revoke { key_id: String },
}

#[derive(Debug, Args)]
pub struct RoleArgs {
    #[command(subcommand)]
    command: RoleCommand,
    #[command(flatten)]
    database: DatabaseArg,
}

#[derive(Debug, Subcommand)]
enum RoleCommand {
    /// List built-in and custom roles with their operations.
    List,
    /// Create or replace a custom role.
    Create {
        name: String,
        /// An operation (repeatable), e.g. SUBJECT_READ.
        #[arg(long = "operation", required = true)]
        operations: Vec<String>,
    },
    /// Delete a custom role and its bindings.
    Delete { name: String },
    /// Grant a role to a principal on a resource pattern.
    Bind {
        principal: String,
        role: String,
        #[arg(long, default_value = "*")]
        resource: String,
    },
    /// Take a role back.
    Unbind {
        principal: String,
        role: String,
        #[arg(long, default_value = "*")]
        resource: String,
    },
    /// List role bindings.
    Bindings {
        #[arg(long)]
        principal: Option<String>,
    },
}

/// The store and the security service over it; `None` (said on `err`)
/// when the database cannot be opened.
async fn open(database: &DatabaseArg, err: &mut impl Write) -> Option<(Store, Security)> {
    match Store::connect(database.database_url.expose()).await {
        Ok(store) => {
            let security = Security::new(store.clone(), SecurityOptions::default());
            Some((store, security))
        }
        Err(error) => {
            let _ = writeln!(
                err,
                "accord: cannot open {}: {}",
                database.database_url,
                chain(&error)
            );
            None
        }
    }
}

use crate::error_chain as chain;

/// The password from the flag, else the first line of stdin (prompted for,
/// without echo, on a terminal).
fn read_password(given: Option<Secret>) -> Result<Secret, String> {
    if let Some(password) = given {
        return Ok(password);
    }
    if io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords differ".to_owned());
        }
        return Ok(Secret::new(first));
    }
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Runs a change with the command line as its audit scope: the principal
/// is the operating-system user, the source `cli`.
async fn audited<F: std::future::Future>(
    operation: &'static str,
    target: &str,
    change: F,
) -> F::Output {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    let request_id = format!("cli-{}-{}", std::process::id(), crate::store::now_millis());
    let scope = AuditScope::new(
        format!("cli:{user}"),
        "cli",
        request_id,
        operation,
        format!("Admin: {target}"),
    );
    audit::scoped(scope, change).await
}

async fn finish(
    store: Store,
    result: Result<(), crate::auth::AuthError>,
    err: &mut impl Write,
) -> ExitCode {
    store.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(err, "accord: {}", chain(&error));
            ExitCode::FAILURE
        }
    }
}

pub async fn user(args: UserArgs, out: &mut impl Write, err: &mut impl Write) -> ExitCode {
    let Some((store, security)) = open(&args.database, err).await else {
        return ExitCode::from(2);
    };
    let result = async {
        match args.command {
            UserCommand::Add {
                name,
                roles,
                resource,
                password,
                no_password,
            } => {
                let password = if no_password {
                    None
                } else {
                    Some(read_password(password).map_err(crate::auth::AuthError::Invalid)?)
                };
                let bindings: Vec<(String, String)> = roles
                    .into_iter()
                    .map(|role| (role, resource.clone()))
                    .collect();
                let add = security.add_principal(&name, password, &bindings);
                audited("principal.add", &name, add).await?;
                let _ = writeln!(out, "added user {name}");
            }
            UserCommand::Passwd { name, password } => {
                let password = read_password(password).map_err(crate::auth::AuthError::Invalid)?;
                let change = security.set_password(&name, Some(password));
                audited("principal.password", &name, change).await?;
                let _ = writeln!(out, "password of {name} changed");
            }
            UserCommand::Remove { name } => {
                audited("principal.remove", &name, security.remove_principal(&name)).await?;
                let _ = writeln!(out, "removed user {name}");
            }
            UserCommand::List => {
                for principal in security.principals().await? {
                    let bindings: Vec<String> = principal
                        .bindings
                        .iter()
                        .map(|b| format!("{} on {}", b.role, b.resource))
                        .collect();
                    let login = if principal.has_password {
                        "password"
                    } else {
                        "keys only"
                    };
                    let _ = writeln!(
                        out,
                        "{}\t{login}\t{}",
                        principal.name,
                        if bindings.is_empty() {
                            "no roles".to_owned()
                        } else {
                            bindings.join(", ")
                        }
                    );
                }
            }
        }
        Ok(())
    }
    .await;
    finish(store, result, err).await
}

pub async fn key(args: KeyArgs, out: &mut impl Write, err: &mut impl Write) -> ExitCode {
    let Some((store, security)) = open(&args.database, err).await else {
        return ExitCode::from(2);
    };
    let result = async {
        match args.command {
            KeyCommand::Create {
                principal,
                description,
            } => {
                let create = security.create_key(&principal, &description);
                let created = audited("key.create", &principal, create).await?;
                let _ = writeln!(out, "{}", created.key);
                let _ = writeln!(
                    err,
                    "created key {} for {principal}; it is shown only now",
                    created.details.key_id
                );
            }
            KeyCommand::List { principal } => {
                for key in security.keys(principal.as_deref()).await? {
                    let _ = writeln!(
                        out,
                        "{}\t{}\t{}",
                        key.key_id, key.principal, key.description
                    );
                }
            }
            KeyCommand::Revoke { key_id } => {
                audited("key.revoke", &key_id, security.revoke_key(&key_id)).await?;
                let _ = writeln!(out, "revoked key {key_id}");
            }
        }
        Ok(())
    }
    .await;
    finish(store, result, err).await
}

pub async fn role(args: RoleArgs, out: &mut impl Write, err: &mut impl Write) -> ExitCode {
    let Some((store, security)) = open(&args.database, err).await else {
        return ExitCode::from(2);
    };
    let result = async {
        match args.command {
            RoleCommand::List => {
                for role in security.roles().await? {
                    let operations: Vec<&str> =
                        role.operations.iter().map(|op| op.name()).collect();
                    let kind = if role.built_in { "built-in" } else { "custom" };
                    let _ = writeln!(out, "{}\t{kind}\t{}", role.name, operations.join(","));
                }
            }
            RoleCommand::Create { name, operations } => {
                audited("role.put", &name, security.put_role(&name, &operations)).await?;
                let _ = writeln!(out, "role {name} saved");
            }
            RoleCommand::Delete { name } => {
                audited("role.delete", &name, security.delete_role(&name)).await?;
                let _ = writeln!(out, "role {name} deleted");
            }
            RoleCommand::Bind {
                principal,
                role,
                resource,
            } => {
                let bind = security.bind(&principal, &role, &resource);
                let binding = audited("binding.add", &principal, bind).await?;
                let _ = writeln!(
                    out,
                    "granted {} on {} to {}",
                    binding.role, binding.resource, binding.principal
                );
            }
            RoleCommand::Unbind {
                principal,
                role,
                resource,
            } => {
                let unbind = security.unbind(&principal, &role, &resource);
                audited("binding.remove", &principal, unbind).await?;
                let _ = writeln!(out, "took {role} on {resource} from {principal}");
            }
            RoleCommand::Bindings { principal } => {
                for binding in security.bindings(principal.as_deref()).await? {
                    let _ = writeln!(
                        out,
                        "{}\t{}\t{}",
                        binding.principal, binding.role, binding.resource
                    );
                }
            }
        }
        Ok(())
    }
    .await;
    finish(store, result, err).await
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
    #[command(flatten)]
    database: DatabaseArg,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the audit trail's hash chain; exits 1 and names the first
    /// event that was edited, removed or inserted.
    Verify,
    /// Print events as JSON lines, oldest first.
    List {
        /// Events after this position.
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        principal: Option<String>,
        #[arg(long)]
        operation: Option<String>,
    },
}

pub async fn audit_command(
    args: AuditArgs,
    out: &mut impl Write,
    err: &mut impl Write,
) -> ExitCode {
    let Some((store, _)) = open(&args.database, err).await else {
        return ExitCode::from(2);
    };
    let code = match args.command {
        AuditCommand::Verify => match audit::verify(&store).await {
            Ok(Ok(count)) => {
                let _ = writeln!(out, "the audit trail is intact: {count} events");
                ExitCode::SUCCESS
            }
            Ok(Err(broken)) => {
                let _ = writeln!(err, "accord: the audit trail is broken: {broken}");
                ExitCode::FAILURE
            }
            Err(error) => {
                let _ = writeln!(err, "accord: {}", chain(&error));
                ExitCode::from(2)
            }
        },
        AuditCommand::List {
            after,
            limit,
            principal,
            operation,
        } => {
            let filter = crate::store::AuditFilter {
                after,
                limit,
                principal,
                operation,
                ..Default::default()
            };
            match audit::events(&store, &filter).await {
                Ok(events) => {
                    for event in events {
                        let _ = writeln!(
                            out,
                            "{}",
                            serde_json::to_string(&event).expect("events serialize")
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    let _ = writeln!(err, "accord: {}", chain(&error));
                    ExitCode::from(2)
                }
            }
        }
    };
    store.close().await;
    code
}
