//! The Postman collection (`/postman.json`) runs as published: newman (npm)
//! runs every request of the collection served by a seeded `galley demo`,
//! with the demo's printed credentials filled into the collection's
//! variables, and every request passes its tests (token requests store the
//! new tokens; each operation answers 200 with `status` or `success` 1).

use std::process::Command;

use serde_json::{json, Value};

use crate::{both_engines, common::*};

both_engines!(newman_runs_every_request, |engine| async move {
    let dir = interop_dir("newman");
    let demo = Demo::start(engine, &[]).await;
    let mut collection: Value = reqwest::get(format!("{}/postman.json", demo.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let info = &demo.info;
    for var in collection["variable"].as_array_mut().unwrap() {
        let value = match var["key"].as_str().unwrap() {
            "OAUTH_URL" => {
                assert_eq!(
                    var["value"],
                    demo.base.as_str(),
                    "served with this server's URL"
                );
                continue;
            }
            "CLIENT_ID" => info["client_id"].clone(),
            "CLIENT_SECRET" => info["client_secret"].clone(),
            "REFRESH_TOKEN" => info["refresh_token"].clone(),
            _ => continue,
        };
        var["value"] = value;
    }
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("collection.json");
    let report = work.path().join("report.json");
    std::fs::write(&file, collection.to_string()).unwrap();
    let (file_arg, report_arg) = (file.clone(), report.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(dir.join("node_modules/.bin/newman"))
            .arg("run")
            .arg(&file_arg)
            .args(["--reporters", "cli,json", "--reporter-json-export"])
            .arg(&report_arg)
            .args(["--color", "off", "--disable-unicode"])
            .current_dir(&dir)
            .output()
            .expect("run newman")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let run: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap_or_default())
        .unwrap_or(Value::Null);
    let stats = &run["run"]["stats"];
    println!(
        "newman ({engine:?}): {} requests, {} failed; {} assertions, {} failed",
        stats["requests"]["total"],
        stats["requests"]["failed"],
        stats["assertions"]["total"],
        stats["assertions"]["failed"]
    );
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let requests: usize = collection["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|folder| folder["item"].as_array().unwrap().len())
        .sum();
    assert_eq!(requests, 13, "3 token requests and 10 operations");
    assert_eq!(stats["requests"]["total"], json!(requests), "{stdout}");
    assert_eq!(stats["requests"]["failed"], json!(0), "{stdout}");
    assert_eq!(stats["assertions"]["failed"], json!(0), "{stdout}");
    assert!(
        stats["assertions"]["total"].as_u64().unwrap() >= 2 * requests as u64,
        "{stdout}"
    );
});
