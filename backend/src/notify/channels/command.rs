//! Command channels: runs a program (never through a shell) with its arguments, the webhook's
//! JSON body on standard input, `VIGIE_EVENT` and `VIGIE_DELIVERY` in its environment. Exit
//! status 0 is success; otherwise, or past its timeout (then it is killed), the error quotes the
//! start of what it wrote. The program must still be inside `[notify] command_dir` when it runs.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::{quoted, Context, MAX_ANSWER_BYTES};
use crate::notify::channel::{program_in, CommandConfig};
use crate::notify::Notification;

pub async fn run(
    ctx: &Context,
    config: &CommandConfig,
    delivery_id: &str,
    notification: &Notification,
) -> Result<(), String> {
    let dir = ctx.command_dir.as_deref().ok_or("command channels are off ([notify] command_dir is not set)")?;
    let program = program_in(&config.program, dir).map_err(|reason| format!("the program {reason}"))?;
    let mut child = Command::new(&program)
        .args(&config.args)
        .env("VIGIE_EVENT", notification.event.as_str())
        .env("VIGIE_DELIVERY", delivery_id)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{} could not start: {e}", program.display()))?;
    let input = super::webhook::body(notification);
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let (stdout, stderr) = (child.stdout.take().expect("piped"), child.stderr.take().expect("piped"));
    let timeout = Duration::from_secs(u64::from(config.timeout_secs));
    let work = async {
        // A program that does not read its input (or exits first) is not an error.
        let feed = async move {
            let _ = stdin.write_all(&input).await;
            drop(stdin);
        };
        let (_, out, err, status) = tokio::join!(feed, bounded(stdout), bounded(stderr), child.wait());
        (out, err, status)
    };
    let (out, err, status) = tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("{} did not finish within {} s and was killed", program.display(), timeout.as_secs()))?;
    let status = status.map_err(|e| format!("{} could not be waited for: {e}", program.display()))?;
    if status.success() {
        return Ok(());
    }
    let said = if err.iter().all(u8::is_ascii_whitespace) { out } else { err };
    Err(format!("{} exited with {status}{}", program.display(), quoted(&said)))
}

/// The first bytes of a program's output; the rest is read and thrown away, so that the program
/// never blocks on a full pipe.
async fn bounded(mut pipe: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                let room = MAX_ANSWER_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::notify::NotifyEvent;

    fn script(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn notification() -> Notification {
        Notification {
            event: NotifyEvent::Test,
            incident: serde_json::Map::new(),
            summary: "a test".into(),
            detail: String::new(),
        }
    }

    #[tokio::test]
    async fn the_program_gets_the_json_and_its_failures_are_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context::new(Duration::from_secs(5), Some(dir.path().to_path_buf()));
        let out = dir.path().join("got.json");
        let ok = script(dir.path(), "ok.sh", "#!/bin/sh\ncat > \"$1\"\n");
        let config = CommandConfig { program: ok, args: vec![out.display().to_string()], timeout_secs: 5 };
        run(&ctx, &config, "d1", &notification()).await.unwrap();
        let got: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(got["event"], "test");
        assert_eq!(got["summary"], "a test");

        let failing = script(dir.path(), "fail.sh", "#!/bin/sh\necho \"no route to pager\" >&2\nexit 3\n");
        let config = CommandConfig { program: failing, args: vec![], timeout_secs: 5 };
        let error = run(&ctx, &config, "d2", &notification()).await.unwrap_err();
        assert!(error.ends_with("exited with exit status: 3: \"no route to pager\""), "{error}");

        let slow = script(dir.path(), "slow.sh", "#!/bin/sh\nexec sleep 30\n");
        let config = CommandConfig { program: slow, args: vec![], timeout_secs: 1 };
        let error = run(&ctx, &config, "d3", &notification()).await.unwrap_err();
        assert!(error.contains("did not finish within 1 s"), "{error}");
    }
}
