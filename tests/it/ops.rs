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
