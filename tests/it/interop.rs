//! A strict client written by others, panva's `oauth4webapi` (npm), drives
//! the server: discovery, client_credentials, introspection, revocation and
//! refresh (tests/interop/oauth4webapi.test.mjs, run by `node --test`).

use std::{path::Path, process::Command};

use crate::{both_engines, common::*};

both_engines!(oauth4webapi, |engine| async move {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        dir.join("node_modules/oauth4webapi").exists(),
        "oauth4webapi is not installed: run `npm ci` in tests/interop (scripts/test.sh does)"
    );
    let app = TestApp::spawn(engine).await;
    let s = app.setup().await;
    let output = tokio::task::spawn_blocking({
        let base = app.base.clone();
        move || {
            Command::new("node")
                .args(["--test", "oauth4webapi.test.mjs"])
                .current_dir(dir)
                .env("GALLEY_ISSUER", base)
                .env("GALLEY_CLIENT_ID", s.client.id)
                .env("GALLEY_CLIENT_SECRET", s.client.secret)
                .env("GALLEY_REFRESH_TOKEN", s.tokens.refresh)
                .output()
                .expect("run node")
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("# pass 4") && stdout.contains("# fail 0"), "{stdout}");
});
