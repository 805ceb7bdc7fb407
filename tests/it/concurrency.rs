//! Real concurrency: dozens of simultaneous refreshes of one token, in one
//! process and across two `galley serve` processes sharing one database.

use std::process::{Child, Command, Stdio};

use futures::future::join_all;

use crate::{both_engines, common::*};

/// Fires `n` refreshes of the refresh token of `s` at once, round-robin over
/// `bases`; returns the statuses.
async fn refresh_storm(app: &TestApp, bases: &[String], s: &Setup, n: usize) -> Vec<u16> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let requests = (0..n).map(|i| {
        let url = format!("{}/v1/oauth/token/user", bases[i % bases.len()]);
        let body = serde_json::json!({
            "grant_type": "refresh_token", "refresh_token": s.tokens.refresh,
            "client_id": s.client.id, "client_secret": s.client.secret,
        });
        let http = app.http.clone();
        let barrier = barrier.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

both_engines!(
    concurrent_refreshes_of_one_token_never_both_succeed,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        for _ in 0..3 {
            let s = app.setup().await;
            let statuses = refresh_storm(&app, std::slice::from_ref(&app.base), &s, 50).await;
            let won = statuses.iter().filter(|s| **s == 200).count();
            assert_eq!(won, 1, "{statuses:?}");
            assert!(
                statuses.iter().all(|s| *s == 200 || *s == 400),
                "{statuses:?}"
            );
        }
    }
);

both_engines!(
    concurrent_refreshes_inside_the_reuse_interval_all_get_pairs,
    |engine| async move {
        let app = TestApp::spawn_with(engine, |c| c.refresh_reuse_interval = 60).await;
        let s = app.setup().await;
        let statuses = refresh_storm(&app, std::slice::from_ref(&app.base), &s, 30).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    }
);

/// A `galley serve` child process, killed on drop.
pub struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `galley serve` on a free port of 127.0.0.1 with `db_url`; returns the
/// command (to be spawned) and the node's base URL.
pub fn serve_command(db_url: &str) -> (Command, String) {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_galley"));
    command.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--database-url",
        db_url,
    ]);
    (command, format!("http://127.0.0.1:{port}"))
}

/// Starts a `galley serve` node on `db_url`; returns it and its base URL once
/// it is ready.
pub async fn start_node(db_url: &str, http: &reqwest::Client) -> (Node, String) {
    start_node_with(db_url, http, &[]).await
}

/// Like [`start_node`] with extra environment variables for the node.
pub async fn start_node_with(
    db_url: &str,
    http: &reqwest::Client,
    env: &[(&str, &str)],
) -> (Node, String) {
    let (mut serve, base) = serve_command(db_url);
    let child = serve
        .env("GALLEY_LOG_LEVEL", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start galley serve");
    let node = Node(child);
    wait_ready(http, &base).await;
    (node, base)
}

both_engines!(
    two_nodes_sharing_one_database_never_both_rotate,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_a, node_a) = start_node(&app.test_db.url, &app.http).await;
        let (_b, node_b) = start_node(&app.test_db.url, &app.http).await;
        let bases = [node_a.clone(), node_b.clone()];
        for _ in 0..3 {
            // Tokens issued by the in-process app live in the shared database.
            let s = app.setup().await;
            let statuses = refresh_storm(&app, &bases, &s, 60).await;
            assert_eq!(
                statuses.iter().filter(|s| **s == 200).count(),
                1,
                "{statuses:?}"
            );
            // Every other answer is the refusal (never a 5xx from a node).
            assert!(
                statuses.iter().all(|s| *s == 200 || *s == 400),
                "{statuses:?}"
            );
            // Reuse seen by either node revoked the family for both.
            for base in &bases {
                assert_eq!(app.validate_on(base, &s.tokens.access).await.0, 401);
            }
        }
    }
);
