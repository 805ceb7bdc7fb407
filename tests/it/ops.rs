//! Health, readiness, metrics, OpenAPI, request ids and shutdown.

use crate::{both_engines, common::*};

both_engines!(
    health_readiness_and_unreachable_database,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (status, body) =
            status_json(app.http.get(app.url("/healthz")).send().await.unwrap()).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
        let (status, _) = status_json(app.http.get(app.url("/readyz")).send().await.unwrap()).await;
        assert_eq!(status, 200);
        app.db.close().await;
        let (status, body) =
            status_json(app.http.get(app.url("/readyz")).send().await.unwrap()).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (503, Some("unavailable"))
        );
        let (status, _) =
            status_json(app.http.get(app.url("/healthz")).send().await.unwrap()).await;
        assert_eq!(status, 200, "liveness does not depend on the database");
    }
);

both_engines!(metrics_count_requests_and_grants, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let s = app.setup().await;
    app.form(
        "/v1/oauth/token/user",
        &[("grant_type", "client_credentials")],
        Some(&s.client),
    )
    .await;
    let text = app.metrics().await;
    assert!(text.contains("galley_http_requests_total{method=\"POST\",route=\"/v1/oauth/token/{token_type}\",status=\"200\"}"), "{text}");
    assert!(
        text.contains("galley_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(
            "galley_token_grants_total{grant_type=\"client_credentials\",outcome=\"success\"}"
        ),
        "{text}"
    );
    assert!(!text.contains(&s.client.secret));
});

both_engines!(openapi_lists_every_route, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let (status, doc) =
        status_json(app.http.get(app.url("/openapi.json")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["servers"][0]["url"], app.base.as_str());
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/oauth/token/{token_type}", "post"),
        ("/v1/oauth/token", "get"),
        ("/v1/oauth/revoke", "post"),
        ("/v1/oauth/introspect", "post"),
        ("/.well-known/oauth-authorization-server", "get"),
        ("/v1/oauth/api", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
        ("/postman.json", "get"),
        ("/docs", "get"),
        ("/v1/oauth/authorize", "get"),
        ("/v1/oauth/authorize", "post"),
        ("/v1/oauth/authorize/login", "post"),
        ("/v1/oauth/authorize/signup", "get"),
        ("/v1/oauth/authorize/signup", "post"),
        ("/assets/galley.css", "get"),
        ("/developers/demo/callback", "get"),
        ("/r/{link_code}", "get"),
        ("/r/{link_code}", "post"),
        ("/r/{link_code}/email", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
});

both_engines!(request_ids_are_set_or_propagated, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let response = app.http.get(app.url("/healthz")).send().await.unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 32);
    let response = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    let (status, body) = status_json(app.http.get(app.url("/nope")).send().await.unwrap()).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    app.stop().await;
});

both_engines!(metrics_need_the_configured_token, |engine| async move {
    let token = "metrics-secret-0123456789";
    let app = TestApp::spawn_with(engine, |c| {
        c.metrics_token = Some(galley::config::Redacted(token.into()))
    })
    .await;
    let get = |auth: Option<&str>| {
        let mut request = app.http.get(app.url("/metrics"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    for auth in [None, Some("Bearer wrong-token-0123456789"), Some(token)] {
        let response = get(auth).await.unwrap();
        assert_eq!(response.status(), 401, "{auth:?}");
        assert!(response.headers().contains_key("www-authenticate"));
    }
    let response = get(Some(&format!("Bearer {token}"))).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("galley_http_requests_total"));
});

// The published contract: what the server serves is what the repository
// commits (openapi.json, postman.json), with this server's URL in it.
both_engines!(
    served_documents_equal_the_committed_ones,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let committed = |file: &str| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(root.join(file)).unwrap()).unwrap()
        };
        let (status, mut served) =
            status_json(app.http.get(app.url("/openapi.json")).send().await.unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(served["servers"][0]["url"], app.base.as_str());
        let mut expected = committed("openapi.json");
        served["servers"] = serde_json::Value::Null;
        expected["servers"] = serde_json::Value::Null;
        assert!(
            served == expected,
            "/openapi.json differs from openapi.json"
        );

        let (status, mut served) =
            status_json(app.http.get(app.url("/postman.json")).send().await.unwrap()).await;
        assert_eq!(status, 200);
        let mut expected = committed("postman.json");
        for doc in [&mut served, &mut expected] {
            for var in doc["variable"].as_array_mut().unwrap() {
                if var["key"] == "OAUTH_URL" {
                    var["value"] = "OAUTH_URL".into();
                }
            }
        }
        assert!(
            served == expected,
            "/postman.json differs from postman.json"
        );

        // Every operation of the resource API is typed, with an example.
        let doc = committed("openapi.json");
        let api = &doc["paths"]["/v1/oauth/api"]["post"];
        let branches = doc["components"]["schemas"]["ApiRequest"]["oneOf"]
            .as_array()
            .unwrap();
        assert_eq!(branches.len(), 10);
        assert_eq!(
            api["requestBody"]["content"]["application/json"]["examples"]
                .as_object()
                .unwrap()
                .len(),
            10
        );
        for status in [
            "200", "400", "401", "403", "404", "409", "413", "422", "429", "500",
        ] {
            assert!(
                api["responses"][status].is_object(),
                "{status} undocumented"
            );
        }
        for name in [
            "Voucher",
            "Order",
            "OrderDetails",
            "Campaign",
            "Link",
            "ApiError",
            "RateLimited",
        ] {
            assert!(doc["components"]["schemas"][name].is_object(), "{name}");
        }
    }
);

both_engines!(
    docs_page_renders_the_document_from_the_binary,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let response = app.http.get(app.url("/docs")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("http"),
            "{csp}"
        );
        let html = response.text().await.unwrap();
        for asset in [
            "docs/ui/swagger-ui.css",
            "docs/ui/swagger-ui-bundle.js",
            "docs/init.js",
        ] {
            assert!(html.contains(asset), "{asset}");
            let response = app
                .http
                .get(app.url(&format!("/{asset}")))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{asset}");
            assert!(response.text().await.unwrap().len() > 20, "{asset}");
        }
        assert!(
            !html.contains("https://"),
            "nothing is fetched from elsewhere"
        );
        // RFC 8414 metadata sends readers there.
        let (_, meta) = status_json(
            app.http
                .get(app.url("/.well-known/oauth-authorization-server"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let docs = meta["service_documentation"].as_str().unwrap();
        assert_eq!(docs, app.url("/docs"));
        assert_eq!(app.http.get(docs).send().await.unwrap().status(), 200);
    }
);
