//! `vigie user add|passwd|list|remove`: edits `<data-dir>/auth.json` through [`Auth`], as the
//! server does; a running server sees the change at once (see [`super::SYNC_EVERY_SECS`]).

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::{Auth, AuthError, Role, SessionPolicy, SystemClock};
use crate::secret::Secret;
use crate::store::auth_file::AuthFile;

#[derive(Debug, Args)]
pub struct UserArgs {
    /// The data directory of the Vigie whose users to change [default: ./data]
    #[arg(long, env = "VIGIE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub action: UserAction,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user; the password is asked twice on a terminal, else read as one line of stdin.
    Add {
        username: String,
        /// admin, operator or viewer
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Set a user's password (asked as for `add`); their sessions end.
    Passwd { username: String },
    /// List users: name, role, last login.
    List,
    /// Remove a user; their sessions end. The last admin cannot be removed.
    Remove { username: String },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

/// Runs the command; answers what to print.
pub fn run(args: UserArgs) -> Result<String, AuthError> {
    let data_dir = args.data_dir.unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_DATA_DIR));
    let auth = Auth::open(AuthFile::new(&data_dir), true, SessionPolicy::default(), Arc::new(SystemClock))?;
    match args.action {
        UserAction::Add { username, role } => {
            super::validate_username(&username)?;
            let password = read_password()?;
            auth.add_user(&username, &password, role, false)?;
            Ok(format!("User {username} added with the {} role.", role.name()))
        }
        UserAction::Passwd { username } => {
            auth.user(&username)?;
            let password = read_password()?;
            auth.update_user(&username, None, Some(&password), false)?;
            Ok(format!("Password of {username} changed; their sessions end."))
        }
        UserAction::List => {
            let mut out = format!("{:<24} {:<9} {}\n", "USERNAME", "ROLE", "LAST LOGIN (Unix s)");
            for u in auth.users() {
                let last = u.last_login_at.map_or("never".to_string(), |t| t.to_string());
                let flag = if u.must_change_password { " (must change password)" } else { "" };
                out.push_str(&format!("{:<24} {:<9} {last}{flag}\n", u.username, u.role.name()));
            }
            Ok(out.trim_end().to_string())
        }
        UserAction::Remove { username } => {
            auth.remove_user(&username)?;
            Ok(format!("User {username} removed."))
        }
    }
}

/// The new password: typed twice without echo on a terminal, else the first line of stdin.
fn read_password() -> Result<Secret, AuthError> {
    let io = |e: std::io::Error| {
        AuthError::Invalid(crate::device::InvalidField { field: "password", reason: format!("could not be read: {e}") })
    };
    let password = if std::io::stdin().is_terminal() {
        let first = Secret::new(rpassword::prompt_password("New password: ").map_err(io)?);
        let again = Secret::new(rpassword::prompt_password("Again: ").map_err(io)?);
        if first != again {
            return Err(AuthError::Invalid(crate::device::InvalidField {
                field: "password",
                reason: "the two passwords differ".into(),
            }));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(io)?;
        Secret::new(line.trim_end_matches(['\n', '\r']).to_string())
    };
    super::validate_password("password", &password)?;
    Ok(password)
}
