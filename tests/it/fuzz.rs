//! The OpenAPI document is the contract: schemathesis (PyPI, in the test
//! tools' virtual environment) generates requests for every operation of
//! `/openapi.json` — the resource API's ten operations, the OAuth
//! endpoints and the pages — and runs every check (`--checks all`: no 5xx,
//! status codes, content types, headers and bodies as documented,
//! schema-valid input accepted, schema-violating input refused) against a
//! seeded `galley demo`, with a fixed seed and a bounded number of
//! examples. Every failure is a bug of the server or of the document.

use std::process::Command;

use crate::{both_engines, common::*};

/// Examples per operation: enough to cross every input schema, bounded so
/// that a run takes well under a minute per engine.
const MAX_EXAMPLES: &str = "60";
const SEED: &str = "20261130";

both_engines!(schemathesis_finds_no_failure, |engine| async move {
    let st = test_python().with_file_name("st");
    assert!(
        st.exists(),
        "schemathesis is missing from the test tools' venv: run scripts/test.sh"
    );
    // Generous limits, so that the run reaches the operations' logic; 429
    // is documented and accepted either way.
    let limits = "{getVouchers=100000,getFilters=100000,placeOrder=100000,getOrderDetails=100000,getOrderHistory=100000,getBalance=100000,generateLink=100000,generateLinkEmail=100000}";
    let demo = Demo::start(engine, &[("GALLEY_API_RATE_LIMITS", limits)]).await;
    let token = demo.info["access_token"].as_str().unwrap().to_string();
    let doc: serde_json::Value = reqwest::get(format!("{}/openapi.json", demo.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    let report = tempfile::tempdir().unwrap();
    let schema = format!("{}/openapi.json", demo.base);
    let report_dir = report.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .args([
                "run",
                &schema,
                "--checks",
                "all",
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                SEED,
                "--workers",
                "1",
                "--no-color",
                "-H",
                &format!("Authorization: Bearer {token}"),
                "--report",
                "junit",
                "--report-dir",
            ])
            .arg(&report_dir)
            // Its caches (.hypothesis, .schemathesis) go there too.
            .current_dir(&report_dir)
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or("no summary")
        .trim()
        .to_string();
    println!("schemathesis ({engine:?}): {summary}");
    assert!(
        output.status.success() && summary.contains("passed") && !summary.contains("fail"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Every documented operation was exercised (but `GET /openapi.json`,
    // the document itself, which schemathesis leaves out).
    assert!(
        stdout.contains(&format!("Tested: {}", operations - 1)),
        "{operations} operations: {stdout}"
    );
});
