//! `portico`: serve, migrate, and the admin commands.

use clap::{Parser, Subcommand};
use portico_core::infra::clock::SystemClock;
use portico_server::{Settings, config};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// `portico --version`: the release and the git revision it was built from
/// (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (rev ",
    env!("PORTICO_GIT_REVISION"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "portico",
    version = VERSION,
    about = "Portico: an OAuth 2.0 / OpenID Connect authorization server"
)]
struct Cli {
    /// The config file (optional). Environment variables override it.
    #[arg(long, global = true, env = "PORTICO_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: a SQLite file path, a sqlite:// URL, or postgres://.
    #[arg(long, global = true, env = "PORTICO_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "PORTICO_BIND")]
        bind: Option<String>,
        /// The issuer URL (default: http://<bind address>).
        #[arg(long, env = "PORTICO_ISSUER")]
        issuer: Option<String>,
        /// The built UI (Trunk's dist/).
        #[arg(long, env = "PORTICO_UI_DIR")]
        ui_dir: Option<PathBuf>,
        /// Do not run migrations at start.
        #[arg(long)]
        no_migrate: bool,
        /// Create a demo client and user and print a ready authorize URL.
        #[arg(long)]
        demo: bool,
    },
    /// Run the database migrations and exit.
    Migrate,
    /// Manage entrypoints (the screens' look, words and sign-up fields).
    #[command(subcommand)]
    Entrypoint(EntrypointCommand),
    /// Read the audit log, newest first: sign-ins, lockouts, consent,
    /// tokens issued and revoked, reauthorizations, client changes.
    Audit {
        /// Only entries about this user id (ids may start with '-').
        #[arg(long, allow_hyphen_values = true)]
        user: Option<String>,
        /// Only entries about this client id.
        #[arg(long, allow_hyphen_values = true)]
        client: Option<String>,
        /// Only this event (login.failed, client.updated, ...).
        #[arg(long)]
        event: Option<String>,
        /// Only changes made by this actor: user:<id>, client:<id>, cli, config.
        #[arg(long, allow_hyphen_values = true)]
        actor: Option<String>,
        /// From this time on: 2026-11-21T09:30:00Z, 2026-11-21 or Unix seconds.
        #[arg(long)]
        since: Option<String>,
        /// Before this time (same forms).
        #[arg(long)]
        until: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Client helpers: secrets, and turning clients off, on or away.
    #[command(subcommand)]
    Client(ClientCommand),
    /// User helpers.
    #[command(subcommand)]
    User(UserCommand),
    /// Signing keys: list, rotate, retire.
    #[command(subcommand)]
    Keys(portico_server::admin::KeysCommand),
    /// Copy the SQLite database into FILE, a new file, while Portico runs:
    /// one consistent snapshot (VACUUM INTO). PostgreSQL: use pg_dump -Fc.
    Backup { file: PathBuf },
    /// Replace the SQLite database with the backup FILE, once it passes
    /// SQLite's integrity check and comes from this Portico or an older
    /// one; then migrate it. Run it with Portico stopped.
    Restore { file: PathBuf },
    /// The config file.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check a config file without starting and without opening the
    /// database: print every problem with its key, exit 1 if there is any.
    Check {
        /// Default: --config, PORTICO_CONFIG, or ./portico.toml.
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Make an account for EMAIL and mail it a link to choose its first
    /// password (valid 7 days). Needs `[email]` in the config; the running
    /// server sends the mail from the outbox.
    Invite {
        email: String,
        /// The name on the account (default: the part before the @).
        #[arg(long)]
        name: Option<String>,
        /// The issuer the link points to (default: `[server] issuer`).
        #[arg(long, env = "PORTICO_ISSUER")]
        issuer: Option<String>,
    },
    /// Give the user with EMAIL a role (`admin`: may use the cockpit at
    /// /admin), or take it away with --remove (the last admin keeps it).
    Role {
        email: String,
        role: String,
        #[arg(long)]
        remove: bool,
    },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Print a new client secret (256 random bits) to put in the config.
    Secret,
    /// List the clients: id, state, whether portico.toml created it, name.
    List,
    /// Disable a client: it fails authentication and authorization like an
    /// unknown one, and its grants (refresh and access tokens) are revoked.
    /// Running servers see it within 5 seconds.
    Disable {
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Enable a disabled client again (its old grants stay revoked).
    Enable {
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Delete a client: its grants revoked and its consents forgotten. One
    /// that portico.toml still lists comes back, new, at the next start.
    Delete {
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

#[derive(Subcommand)]
enum EntrypointCommand {
    /// Check an entrypoint file (the keys of one [[entrypoints]] table) and
    /// save it. Nothing is saved when a check fails.
    Put {
        /// The TOML file.
        file: PathBuf,
    },
    /// Check an entrypoint file without saving it.
    Check { file: PathBuf },
    /// List the saved entrypoints.
    List,
    /// Print one saved entrypoint as JSON.
    Show { id: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("portico: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portico: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    // Before the file is loaded below, which stops at its first problem.
    if let Command::Config(ConfigCommand::Check { file }) = &cli.command {
        return config_check(file.as_deref().or(cli.config.as_deref()));
    }
    let file = match &cli.config {
        Some(p) => Some(config::load(p)?),
        None if std::path::Path::new("portico.toml").exists() => {
            Some(config::load(std::path::Path::new("portico.toml"))?)
        }
        None => None,
    };
    let server = file.as_ref().map(|f| &f.server);
    // Kept to the end of `run`: dropping it flushes the queued log lines.
    let _log_guard = portico_server::logging::init(portico_server::logging::format(
        server.and_then(|s| s.log_format),
    )?)?;
    let database_url = cli
        .database_url
        .clone()
        .or_else(|| server.and_then(|s| s.database_url.clone()))
        .unwrap_or_else(|| "portico.db".into());
    let pool = file
        .as_ref()
        .map(|f| f.database.pool_settings())
        .transpose()?
        .unwrap_or_default();
    match cli.command {
        Command::User(UserCommand::Invite {
            email,
            name,
            issuer,
        }) => {
            if file.as_ref().and_then(|f| f.email.as_ref()).is_none() {
                return Err("portico user invite needs [email] in the config file".into());
            }
            let issuer = issuer
                .or_else(|| server.and_then(|s| s.issuer.clone()))
                .ok_or("portico user invite needs the issuer: --issuer or [server] issuer")?;
            let store = portico_store::connect(&database_url, true, &pool)
                .await
                .map_err(|e| e.to_string())?;
            let line =
                portico_server::admin::invite_user(store, &issuer, &email, name.as_deref()).await?;
            println!("{line}");
            Ok(())
        }
        Command::User(UserCommand::Role {
            email,
            role,
            remove,
        }) => {
            let store = portico_store::connect(&database_url, true, &pool)
                .await
                .map_err(|e| e.to_string())?;
            let p = portico_server::admin::provider(store).await?;
            println!(
                "{}",
                portico_server::admin::set_role(&p, &email, &role, !remove).await?
            );
            Ok(())
        }
        Command::Client(ClientCommand::Secret) => {
            println!("{}", portico_server::admin::new_client_secret()?);
            Ok(())
        }
        Command::Client(cmd) => {
            let store = portico_store::connect(&database_url, true, &pool)
                .await
                .map_err(|e| e.to_string())?;
            let listed = |id: &str| {
                file.as_ref()
                    .is_some_and(|f| f.clients.iter().any(|c| c.id == id))
            };
            let p = portico_server::admin::provider(store).await?;
            match cmd {
                // Answered above, without a database.
                ClientCommand::Secret => {}
                ClientCommand::List => {
                    for line in portico_server::admin::client_lines(&p).await? {
                        println!("{line}");
                    }
                }
                ClientCommand::Disable { id } => {
                    println!("{}", portico_server::admin::disable_client(&p, &id).await?);
                }
                ClientCommand::Enable { id } => {
                    println!("{}", portico_server::admin::enable_client(&p, &id).await?);
                }
                ClientCommand::Delete { id } => {
                    println!("{}", portico_server::admin::delete_client(&p, &id).await?);
                    if listed(&id) {
                        println!(
                            "portico: the config file still lists {id}: it comes back at the next start unless removed there"
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Keys(cmd) => {
            let store = portico_store::connect(&database_url, true, &pool)
                .await
                .map_err(|e| e.to_string())?;
            let p = portico_server::admin::keys_provider(store, file.as_ref()).await?;
            for line in portico_server::admin::keys_command(&p, cmd).await? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Audit {
            user,
            client,
            event,
            actor,
            since,
            until,
            limit,
            json,
        } => {
            let exact = portico_core::services::audit::Filter {
                user_id: user,
                client_id: client,
                event,
                actor,
                ..Default::default()
            };
            let filter =
                portico_server::admin::filter(exact, since.as_deref(), until.as_deref(), limit)?;
            let store = portico_store::connect(&database_url, true, &pool)
                .await
                .map_err(|e| e.to_string())?;
            let entries = store.audit_log(&filter).await.map_err(|e| e.to_string())?;
            for r in &entries {
                if json {
                    println!("{}", portico_server::admin::json(r));
                } else {
                    println!("{}", portico_server::admin::line(r));
                }
            }
            Ok(())
        }
        Command::Entrypoint(EntrypointCommand::Check { file }) => {
            let e = read_entrypoint(&file)?;
            println!("portico: entrypoint {} is valid", e.id);
            Ok(())
        }
        Command::Entrypoint(cmd) => {
            let store = portico_store::connect(&database_url, true, &pool)
                .await
                .map_err(|e| e.to_string())?;
            entrypoint_command(store.as_ref(), cmd).await
        }
        // Answered above, before the file is loaded.
        Command::Config(ConfigCommand::Check { .. }) => Ok(()),
        Command::Backup { file } => {
            let made = portico_store::backup(&database_url, &file)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "portico: backed up {} to {} ({} bytes, schema version {})",
                portico_store::redact_url(&database_url),
                file.display(),
                made.bytes,
                made.schema_version
            );
            Ok(())
        }
        Command::Restore { file } => {
            let r = portico_store::restore(&database_url, &file)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "portico: restored {} from {} ({} bytes, schema version {}, {} clients, {} users; {} migrations applied since)",
                r.database.display(),
                file.display(),
                r.bytes,
                r.schema_version,
                r.clients,
                r.users,
                r.migrations_applied
            );
            Ok(())
        }
        Command::Migrate => {
            portico_store::migrate(&database_url, &pool)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "portico: migrations applied to {}",
                portico_store::redact_url(&database_url)
            );
            Ok(())
        }
        Command::Serve {
            bind,
            issuer,
            ui_dir,
            no_migrate,
            demo,
        } => {
            let bind = bind
                .or_else(|| server.and_then(|s| s.bind.clone()))
                .unwrap_or_else(|| "127.0.0.1:8080".into());
            let issuer = issuer.or_else(|| server.and_then(|s| s.issuer.clone()));
            let ui_dir = ui_dir
                .or_else(|| server.and_then(|s| s.ui_dir.clone()).map(PathBuf::from))
                .unwrap_or_else(|| "dist".into());
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
            let settings = Settings {
                database_url,
                issuer,
                ui_dir,
                migrate: !no_migrate,
                demo,
                config: file,
            };
            let mut running =
                portico_server::start(settings, listener, Arc::new(SystemClock)).await?;
            println!(
                "portico: listening on http://{} (issuer {})",
                running.addr, running.issuer
            );
            if let Some(url) = &running.demo_authorize_url {
                println!();
                let (email, password) = portico_server::demo_credentials();
                println!(
                    "Demo ready. Open this URL in a browser and sign in as {email} / {password}:"
                );
                println!();
                println!("  {url}");
                println!();
            }
            if let Some(url) = &running.demo_themed_url {
                println!(
                    "The same sign-in through a branded entrypoint (add &ui_locales=es for Spanish):"
                );
                println!();
                println!("  {url}");
                println!();
            }
            if let Some(url) = &running.demo_authorize_url {
                println!(
                    "Passkeys and an authenticator app: sign in, open {}/account/security (or \
                     the account page's \"Security\"). The same sign-in asking for a second factor:",
                    running.issuer
                );
                println!();
                println!("  {url}&acr_values=urn%3Aportico%3Aacr%3Amfa");
                println!();
            }
            if running.demo_authorize_url.is_some() {
                println!(
                    "The cockpit (admin console: clients, users, themes with a live preview, keys, audit); the demo user is an administrator:"
                );
                println!();
                println!("  {}/admin", running.issuer);
                println!();
                println!(
                    "Mail (password reset links, verification codes) arrives in the demo mailbox:"
                );
                println!();
                println!("  {}{}", running.issuer, portico_server::DEMO_MAILBOX_PATH);
                println!();
            }
            if let Some(addr) = running.metrics_addr {
                println!("portico: metrics on http://{addr}/metrics");
            }
            let signal = stop_signal()?;
            tokio::pin!(signal);
            tokio::select! {
                r = &mut running.task => {
                    r.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
                    Err("the listener stopped".into())
                }
                name = &mut signal => {
                    println!("portico: {name}: draining, then stopping");
                    running.shutdown().await?;
                    println!("portico: stopped");
                    Ok(())
                }
            }
        }
    }
}

/// Resolves with the name of the first SIGTERM or SIGINT.
fn stop_signal() -> Result<impl std::future::Future<Output = &'static str>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot watch for SIGTERM: {e}"))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot watch for SIGINT: {e}"))?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}

/// `portico config check`: every problem on stderr, one a line, each with
/// its key; the file is only read.
fn config_check(file: Option<&std::path::Path>) -> Result<(), String> {
    let path = file.unwrap_or(std::path::Path::new("portico.toml"));
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let problems = config::check(&text);
    if problems.is_empty() {
        println!("portico: {} is valid", path.display());
        return Ok(());
    }
    for p in &problems {
        eprintln!("{}: {p}", path.display());
    }
    Err(match problems.len() {
        1 => format!("{}: 1 problem", path.display()),
        n => format!("{}: {n} problems", path.display()),
    })
}

fn read_entrypoint(path: &std::path::Path) -> Result<portico_core::model::Entrypoint, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    config::parse_entrypoint(&text).map_err(|e| format!("{}: {e}", path.display()))
}

async fn entrypoint_command(
    store: &dyn portico_core::infra::store::Store,
    cmd: EntrypointCommand,
) -> Result<(), String> {
    match cmd {
        EntrypointCommand::Check { file } => {
            read_entrypoint(&file)?;
            Ok(())
        }
        EntrypointCommand::Put { file } => {
            let e = read_entrypoint(&file)?;
            store
                .upsert_entrypoint(&e)
                .await
                .map_err(|e| e.to_string())?;
            println!("portico: entrypoint {} saved", e.id);
            Ok(())
        }
        EntrypointCommand::List => {
            for e in store.entrypoints().await.map_err(|e| e.to_string())? {
                println!("{}\t{}", e.id, e.display_name);
            }
            Ok(())
        }
        EntrypointCommand::Show { id } => {
            let e = store
                .entrypoint(&id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no entrypoint {id}"))?;
            let json = serde_json::to_string_pretty(&e).map_err(|e| e.to_string())?;
            println!("{json}");
            Ok(())
        }
    }
}
