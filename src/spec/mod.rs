//! The published contract, built from one source: the OpenAPI document
//! (`/openapi.json`) and the Postman collection (`/postman.json`). Both
//! come from [`OPERATIONS`] (the resource API's operations: their input
//! schema, payload schema, a working example request and a real response)
//! and `base.json` (the OAuth, page and operational routes). The committed
//! `openapi.json` and `postman.json` at the repository root are their
//! output; `GALLEY_WRITE_SPEC=1 cargo test --lib spec` writes them again,
//! and a test fails while they differ. The Markdown reference
//! `docs/api.md` is written from them too.
//!
//! `examples.json` holds responses recorded from `galley demo` (the same
//! server the Postman collection runs against in the test suite).
//!
//! May touch: nothing but its own files; a leaf any area may use.

pub mod schema;

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use self::schema::{choice, date, flag, ids, int, text, MAX_ID};

/// The most products one getVouchers page holds.
pub const MAX_VOUCHERS_LIMIT: i64 = 10_000;

const BASE: &str = include_str!("base.json");
const EXAMPLES: &str = include_str!("examples.json");

/// One operation of `POST /v1/oauth/api`.
pub struct Operation {
    /// `getVouchers`, ...
    pub name: &'static str,
    /// The `query` that names it.
    pub query: &'static str,
    /// Its tag.
    pub tag: &'static str,
    /// What it does, for people.
    pub summary: &'static str,
    /// The key of its input under `variables` (`data` or `add_data`).
    pub input_key: &'static str,
    /// The key its answer is under (`generateLinkEmail` answers under
    /// `generateLink`).
    pub answer_key: &'static str,
    /// Builds the schema of its input object.
    pub input: fn() -> Value,
    /// Builds the schema of its answer (what is under `data.<answer_key>`).
    pub output: fn() -> Value,
    /// A working example of its input (Postman variables in `{{...}}`
    /// replace some values there).
    pub example: fn() -> Value,
    /// The application errors it may answer: `(status, errorId, when)`.
    pub errors: &'static [(u16, &'static str, &'static str)],
}

impl Operation {
    /// The schema name of the whole request body: `GetVouchersRequest`.
    fn schema_name(&self, suffix: &str) -> String {
        let mut name = self.name.to_string();
        if let Some(first) = name.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        format!("{name}{suffix}")
    }

    fn is_xoxo(&self) -> bool {
        self.tag == "xoxo_link"
    }
}

const VALIDATION: (u16, &str, &str) = (
    400,
    "PLE10001",
    "a field is missing or wrong; `errorInfo` names it and says why",
);
const NO_PRODUCT: (u16, &str, &str) = (
    404,
    "PLE10030",
    "no product (or no voucher on this page) matches",
);

/// Every operation of the resource API.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "getVouchers",
        query: "plumProAPI.mutation.getVouchers",
        tag: "plumProAPI",
        summary: "The catalog: filtered, sorted, a page at a time, optionally with the exchange rate to the company's base currency. `limit` is at most 10,000 (a whole catalog in one call); `page` counts from 1 and `0` is the first page too. Past the last page (or when nothing matches) the answer is 404 `PLE10030`, the same on every page.",
        input_key: "data",
        answer_key: "getVouchers",
        input: get_vouchers_input,
        output: || payload(json!({ "type": "array", "items": r("Voucher") })),
        example: || {
            json!({
                "limit": 10, "page": 1, "includeProducts": "", "excludeProducts": "",
                "sort": { "field": "name", "order": "ASC" },
                "filters": [{ "key": "country", "value": "IN" }],
                "exchangeRate": 1
            })
        },
        errors: &[VALIDATION, NO_PRODUCT],
    },
    Operation {
        name: "getFilters",
        query: "plumProAPI.mutation.getFilters",
        tag: "plumProAPI",
        summary: "Filter groups (country, currency, category, price) built from the live catalog, with the values getVouchers' `filters` accept.",
        input_key: "data",
        answer_key: "getFilters",
        input: || {
            object(
                &[],
                &[
                    ("filterGroupCode", choice(&["country", "currency", "category", "price"], "Only this group; blank or absent: every group.")),
                    ("includeFilters", text(2000, false, true, "Comma-separated `filterValueCode`s to keep (in the chosen group, or in every group).")),
                    ("excludeFilters", text(2000, false, true, "Comma-separated `filterValueCode`s to leave out.")),
                ],
            )
        },
        output: || payload(json!({ "type": "array", "items": r("FilterGroup") })),
        example: || json!({ "filterGroupCode": "country", "includeFilters": "", "excludeFilters": "" }),
        errors: &[VALIDATION],
    },
    Operation {
        name: "placeOrder",
        query: "plumProAPI.mutation.placeOrder",
        tag: "plumProAPI",
        summary: "Buys `quantity` vouchers of one product and denomination, charged to the company's balance, all or nothing. `poNumber` is the idempotency key: the same request again answers the first order and charges nothing.",
        input_key: "data",
        answer_key: "placeOrder",
        input: || {
            let mut input = object(
                &["productId", "quantity", "denomination", "poNumber"],
                &[
                    ("productId", int(1, MAX_ID, true, "The product (getVouchers `productId`).")),
                    ("quantity", int(1, 10_000, true, "How many vouchers; at most the product's `orderQuantityLimit` (else 409 `PLE10041`).")),
                    ("denomination", text(32, true, true, "The value of each voucher in the product's currency, one of its `valueDenominations` (or within `minValue`..`maxValue`); else 404 `PLE10018`.")),
                    ("email", json!({ "description": "The receiver's e-mail address (plain `local@domain.tld`); required with `notifyReceiverEmail` 1.", "oneOf": [{ "type": "string", "format": "email", "maxLength": 254 }, { "type": "string", "enum": [""] }, { "type": "null" }] })),
                    ("contact", json!({ "description": "The receiver's phone number, such as `+91-9999999999`.", "oneOf": [{ "type": "string", "maxLength": 32, "pattern": format!("^[0-9+() -]*{}", schema::END) }, { "type": "null" }] })),
                    ("tag", text(100, false, true, "Your label for the order (getOrderHistory filters by it).")),
                    ("poNumber", json!({ "description": "Your order number, the idempotency key per company (at most 64 characters; not starting with `link:`, which reward links use).", "oneOf": [{ "type": "string", "minLength": 1, "maxLength": 64, "pattern": format!("^(?!link:)[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*{}", schema::END) }, { "type": "number" }] })),
                    ("notifyReceiverEmail", flag("1: e-mail the codes to `email`.")),
                    ("notifyAdminEmail", flag("1: e-mail a summary (without codes) to the company's admins.")),
                ],
            );
            // notifyReceiverEmail 1 needs an address.
            input["anyOf"] = json!([
                { "properties": { "notifyReceiverEmail": { "enum": [0, false, "", "0", "false", null] } } },
                { "required": ["email"], "properties": { "email": { "type": "string", "format": "email", "minLength": 1 } } }
            ]);
            input
        },
        output: || payload(r("Order")),
        example: || {
            json!({
                "productId": 102, "quantity": 1, "denomination": "10",
                "email": "receiver@example.com", "contact": "+91-9999999999", "tag": "welcome",
                "poNumber": "PO-1001", "notifyReceiverEmail": 0, "notifyAdminEmail": 0
            })
        },
        errors: &[
            VALIDATION,
            (401, "PLE10019", "the product is not sold in the company's country"),
            (404, "PLE10018", "the product has no such denomination"),
            (404, "PLE10030", "no such product"),
            (409, "PLE10001", "the `poNumber` was used for an order of another product, denomination or quantity"),
            (409, "PLE10041", "`quantity` is above the product's `orderQuantityLimit`"),
            (422, "PLE10012", "the order could not be processed: not enough inventory, not enough balance or no exchange rate (`errorInfo` says which)"),
        ],
    },
    Operation {
        name: "getOrderDetails",
        query: "plumProAPI.mutation.getOrderDetails",
        tag: "plumProAPI",
        summary: "One of the company's orders, by `orderId` or `poNumber`; `sendMailToReceiver` 1 e-mails the codes to the order's receiver again.",
        input_key: "data",
        answer_key: "getOrderDetails",
        input: || {
            let mut input = object(
                &[],
                &[
                    ("orderId", int(1, MAX_ID, false, "The order's id (placeOrder `orderId`).")),
                    ("poNumber", text(64, false, true, "Or: your order number.")),
                    ("sendMailToReceiver", flag("1: e-mail the codes to the order's receiver again (the order must have an e-mail address).")),
                ],
            );
            input["anyOf"] = json!([
                { "required": ["orderId"], "properties": { "orderId": int(1, MAX_ID, true, "") } },
                { "required": ["poNumber"], "properties": { "poNumber": text(64, true, true, "") } }
            ]);
            input
        },
        output: || payload(r("OrderDetails")),
        example: || json!({ "poNumber": "PO-1001", "sendMailToReceiver": 0 }),
        errors: &[VALIDATION, (404, "PLE10027", "the company has no such order")],
    },
    Operation {
        name: "getOrderHistory",
        query: "plumProAPI.mutation.getOrderHistory",
        tag: "plumProAPI",
        summary: "The company's orders between two dates (UTC, both included), newest first, a page at a time. An `endDate` before `startDate` is a range without days: an empty list.",
        input_key: "data",
        answer_key: "getOrderHistory",
        input: || {
            object(
                &["startDate", "endDate"],
                &[
                    ("startDate", date("First day, `YYYY-MM-DD`.")),
                    ("endDate", date("Last day, `YYYY-MM-DD`.")),
                    ("limit", int(1, 1000, false, "Orders per page (default 10).")),
                    ("page", int(0, MAX_ID, false, "Page from 1 (`0` is the first page too); past the last page the list is empty.")),
                    ("tag", text(100, false, true, "Only orders with this `tag`.")),
                ],
            )
        },
        output: || payload(json!({ "type": "array", "items": r("OrderSummary") })),
        example: || json!({ "startDate": "2026-01-01", "endDate": "2026-12-31", "limit": 10, "page": 1 }),
        errors: &[
            VALIDATION,
            (400, "PLE10032", "`startDate` or `endDate` is missing or not a date `YYYY-MM-DD`"),
        ],
    },
    Operation {
        name: "getBalance",
        query: "plumProAPI.query.getBalance",
        tag: "plumProAPI",
        summary: "The company's balance in its base currency.",
        input_key: "data",
        answer_key: "getBalance",
        input: || object(&[], &[]),
        output: || payload(r("Balance")),
        example: || json!({}),
        errors: &[VALIDATION],
    },
    Operation {
        name: "campaignList",
        query: "xoxo_link.query.campaignList",
        tag: "xoxo_link",
        summary: "A page of the company's reward campaigns, filtered by a name substring and, optionally, by status.",
        input_key: "add_data",
        answer_key: "campaignList",
        input: || {
            object(
                &[],
                &[
                    ("limit", int(1, 1000, false, "Campaigns per page (default 10).")),
                    ("offset", int(0, 10_000_000, false, "Campaigns to skip (default 0).")),
                    ("name", text(120, false, true, "Only campaigns whose name contains this text.")),
                    ("enabled", flag("1: enabled campaigns only; 0: disabled only; absent: all.")),
                ],
            )
        },
        output: || r("CampaignListAnswer"),
        example: || json!({ "limit": 10, "offset": 0, "name": "" }),
        errors: &[],
    },
    Operation {
        name: "campaignDetails",
        query: "xoxo_link.mutation.campaignDetails",
        tag: "xoxo_link",
        summary: "One of the company's campaigns with the vouchers its recipients choose from.",
        input_key: "data",
        answer_key: "campaignDetails",
        input: || object(&["campaignId"], &[("campaignId", int(1, MAX_ID, true, "The campaign (campaignList `campaignId`)."))]),
        output: || r("CampaignDetailsAnswer"),
        example: || json!({ "campaignId": 1 }),
        errors: &[],
    },
    Operation {
        name: "generateLink",
        query: "xoxo_link.mutation.generateLink",
        tag: "xoxo_link",
        summary: "`links_quantity` reward links of a campaign, charged to the balance at generation (value × quantity, converted to the base currency), all or none.",
        input_key: "data",
        answer_key: "generateLink",
        input: || {
            object(
                &["campaignId", "links_quantity", "link_expiry"],
                &[
                    ("campaignId", int(1, MAX_ID, true, "The campaign (enabled).")),
                    ("links_quantity", int(1, 10_000, true, "How many links; at most `max_links_per_request` (default 10,000).")),
                    ("link_expiry", text(20, true, false, "`DD-MM-YYYY`, today or later; a link is valid through the end of that day (UTC).")),
                ],
            )
        },
        output: || r("GenerateLinkAnswer"),
        example: || json!({ "campaignId": 1, "links_quantity": 1, "link_expiry": "31-12-2030" }),
        errors: &[],
    },
    Operation {
        name: "generateLinkEmail",
        query: "xoxo_link.mutation.generateLinkEmail",
        tag: "xoxo_link",
        summary: "One reward link per address of `email_ids`, charged as generateLink, each e-mailed to its recipient. Every address is checked before anything is charged. Answered under the key `generateLink`, as the live service does.",
        input_key: "data",
        answer_key: "generateLink",
        input: || {
            object(
                &["campaignId", "email_ids", "link_expiry"],
                &[
                    ("campaignId", int(1, MAX_ID, true, "The campaign (enabled).")),
                    ("email_ids", text(1_048_576, true, false, "Comma-separated plain addresses (`local@domain.tld`).")),
                    ("link_expiry", text(20, true, false, "`DD-MM-YYYY`, today or later.")),
                ],
            )
        },
        output: || r("GenerateLinkAnswer"),
        example: || json!({ "campaignId": 1, "email_ids": "recipient@example.com", "link_expiry": "31-12-2030" }),
        errors: &[],
    },
];

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// An input object with `required` fields and `fields`; no other field.
fn object(required: &[&str], fields: &[(&str, Value)]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let mut o =
        json!({ "type": "object", "additionalProperties": false, "properties": properties });
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// `{"status": 1, "data": <data>}`.
fn payload(data: Value) -> Value {
    json!({
        "type": "object",
        "required": ["status", "data"],
        "properties": { "status": { "type": "integer", "enum": [1] }, "data": data }
    })
}

fn get_vouchers_input() -> Value {
    let filter_text = json!({
        "type": "object",
        "required": ["key", "value"],
        "properties": {
            "key": { "type": "string", "enum": ["country", "currency", "category", "productName"] },
            "value": { "oneOf": [{ "type": "string", "maxLength": 200 }, { "type": "number" }], "description": "country: code or name (`IN`, `India`); currency: code; category: one category; productName: part of the name." }
        }
    });
    let amount = "[0-9]{1,18}(\\.[0-9]{1,12})?";
    let filter_price = json!({
        "type": "object",
        "required": ["key", "value"],
        "properties": {
            "key": { "type": "string", "enum": ["price"] },
            "value": {
                "oneOf": [
                    { "type": "string", "pattern": format!("^{amount}(-{amount})?{}", schema::END) },
                    { "type": "integer", "minimum": 0, "maximum": MAX_ID }
                ],
                "description": "One amount (`100`: products that sell it) or a range (`100-500`), in each product's currency."
            }
        }
    });
    let filter_blank = json!({
        "type": "object",
        "description": "A filter the client does not use: skipped.",
        "properties": { "key": { "enum": ["", null] }, "value": { "enum": ["", null] } }
    });
    let sort = json!({
        "description": "Order of the products: by `productId` (default) or `name`, `ASC` (default) or `DESC`.",
        "oneOf": [
            {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "field": { "enum": ["", "name", "productId", null] },
                    "order": { "enum": ["", "ASC", "DESC", "asc", "desc", null] }
                }
            },
            { "type": "string", "enum": [""] },
            { "type": "null" }
        ]
    });
    let filters = json!({
        "description": "Products that match every filter: `key` `country` (code or name), `currency` (code), `category`, `price` (`100`: products that sell that amount; `100-500`: a range) or `productName` (part of the name); `{\"key\": \"\", \"value\": \"\"}` is skipped.",
        "oneOf": [
            { "type": "array", "items": { "oneOf": [filter_text, filter_price, filter_blank] } },
            { "type": "string", "enum": [""] },
            { "type": "null" }
        ]
    });
    object(
        &[],
        &[
            ("limit", int(1, MAX_VOUCHERS_LIMIT, false, "Products per page, 1 to 10,000 (default 10).")),
            ("page", int(0, MAX_ID, false, "Page from 1; `0` is the first page too (default 1).")),
            ("includeProducts", ids("Only these product ids.")),
            ("excludeProducts", ids("Not these product ids.")),
            ("sort", sort),
            ("filters", filters),
            ("exchangeRate", flag("1: fill in `exchangeRate` (base-currency units per unit of the product's currency); 0 or absent: `null`.")),
        ],
    )
}

/// Named schemas of the API's objects.
fn object_schemas() -> Map<String, Value> {
    let s = |t: &str| json!({ "type": t });
    let num_or_null = json!({ "type": ["number", "null"] });
    let mut m = Map::new();
    m.insert("Voucher".into(), json!({
        "type": "object",
        "description": "A product of the catalog.",
        "required": ["productId", "name", "currencyCode", "valueType", "countries", "valueDenominations", "orderQuantityLimit", "exchangeRate"],
        "properties": {
            "productId": s("integer"), "name": s("string"),
            "description": { "type": "string", "description": "HTML" },
            "termsAndConditionsInstructions": { "type": "string", "description": "HTML" },
            "expiryAndValidity": { "type": "string", "description": "HTML" },
            "redemptionInstructions": { "type": "string", "description": "HTML" },
            "categories": { "type": "string", "description": "Comma-separated." },
            "lastUpdateDate": { "type": "string", "description": "`YYYY-MM-DD HH:MM:SS` (UTC)" },
            "imageUrl": s("string"), "currencyCode": s("string"), "currencyName": s("string"),
            "countryName": s("string"), "countryCode": s("string"),
            "countries": { "type": "array", "items": { "type": "object", "required": ["code", "name"], "properties": { "code": s("string"), "name": s("string") } } },
            "exchangeRateRule": num_or_null,
            "valueType": { "type": "string", "enum": ["fixed_denomination", "open_value"] },
            "minValue": num_or_null, "maxValue": num_or_null,
            "valueDenominations": { "type": "string", "description": "Comma-separated values, `\"100,500,1000\"`." },
            "tatInDays": s("string"), "usageType": s("string"),
            "deliveryType": { "type": "string", "enum": ["realtime", "delayed"] },
            "isCommon": s("string"),
            "fee": num_or_null, "discount": num_or_null,
            "exchangeRate": { "type": ["number", "null"], "description": "Base-currency units per unit of the product's currency, with `exchangeRate: 1` in the request; else null." },
            "orderQuantityLimit": s("integer")
        }
    }));
    m.insert("FilterGroup".into(), json!({
        "type": "object",
        "required": ["filterGroupName", "filterGroupDescription", "filterGroupCode", "filters"],
        "properties": {
            "filterGroupName": s("string"), "filterGroupDescription": s("string"),
            "filterGroupCode": { "type": "string", "enum": ["country", "currency", "category", "price"] },
            "filters": { "type": "array", "items": { "type": "object", "required": ["filterValue", "isoCode", "filterValueCode"], "properties": { "filterValue": s("string"), "isoCode": s("string"), "filterValueCode": s("string") } } }
        }
    }));
    m.insert("OrderVoucher".into(), json!({
        "type": "object",
        "required": ["productId", "orderId", "voucherCode", "pin", "validity", "amount", "currency", "country", "type", "currencyValue"],
        "properties": {
            "productId": s("integer"), "orderId": s("integer"), "voucherCode": s("string"), "pin": s("string"),
            "validity": { "type": "string", "description": "`YYYY-MM-DD`, the last day the code can be used." },
            "amount": s("number"), "currency": s("string"), "country": s("string"),
            "type": { "type": "string", "enum": ["code", "codePin", "url", "urlPin"] },
            "currencyValue": num_or_null
        }
    }));
    let order_properties = json!({
        "orderId": s("integer"),
        "orderTotal": { "type": "string", "description": "Value × quantity in the product's currency." },
        "orderDiscount": s("string"), "discountPercent": s("string"),
        "currencyCode": s("string"),
        "currencyValue": { "type": ["number", "null"], "description": "Base-currency units per unit of the product's currency." },
        "amountCharged": { "type": "number", "description": "Charged to the balance, in the base currency." },
        "orderStatus": { "type": "string", "enum": ["complete", "pending", "canceled"] },
        "deliveryStatus": { "type": "string", "enum": ["delivered", "pending", "canceled"] },
        "tag": s("string"),
        "vouchers": { "type": "array", "items": r("OrderVoucher"), "description": "Empty while the order is pending." }
    });
    let order_required = json!([
        "orderId",
        "orderTotal",
        "orderDiscount",
        "discountPercent",
        "currencyCode",
        "currencyValue",
        "amountCharged",
        "orderStatus",
        "deliveryStatus",
        "tag",
        "vouchers"
    ]);
    m.insert(
        "Order".into(),
        json!({ "type": "object", "required": order_required, "properties": order_properties }),
    );
    let mut details = order_properties.clone();
    details["orderDate"] =
        json!({ "type": "string", "description": "`YYYY-MM-DD HH:MM:SS` (UTC)" });
    details["deliveryDate"] = json!({ "type": "string", "description": "`YYYY-MM-DD HH:MM:SS` (UTC), empty while pending." });
    let mut details_required = order_required.clone();
    if let Some(list) = details_required.as_array_mut() {
        list.extend([json!("orderDate"), json!("deliveryDate")]);
    }
    m.insert(
        "OrderDetails".into(),
        json!({ "type": "object", "required": details_required, "properties": details }),
    );
    m.insert("OrderSummary".into(), json!({
        "type": "object",
        "required": ["orderId", "orderDate", "email", "deliveryStatus", "tag", "poNumber", "products"],
        "properties": {
            "orderId": s("integer"), "orderDate": s("string"), "email": s("string"),
            "deliveryStatus": { "type": "string", "enum": ["delivered", "pending", "canceled"] },
            "tag": s("string"), "poNumber": s("string"),
            "products": { "type": "array", "items": { "type": "object", "required": ["productName", "receiverMobileNumber", "price", "quantity", "orderProductStatus"], "properties": { "productName": s("string"), "receiverMobileNumber": s("string"), "price": s("string"), "quantity": s("integer"), "orderProductStatus": { "type": "string", "enum": ["complete", "pending", "canceled"] } } } }
        }
    }));
    m.insert(
        "Balance".into(),
        json!({
            "type": "object",
            "required": ["points", "value", "currency"],
            "properties": { "points": s("number"), "value": s("number"), "currency": s("string") }
        }),
    );
    let success = json!({ "type": "integer", "enum": [0, 1], "description": "1: done; 0: refused, `message` says why (nothing charged)." });
    m.insert("Campaign".into(), json!({
        "type": "object",
        "required": ["campaignId", "campaignName", "denomination_value", "countryName", "currencyCode", "created_date", "product_count", "status"],
        "properties": {
            "campaignId": s("integer"), "campaignName": s("string"), "denomination_value": num_or_null,
            "countryName": s("string"), "currencyCode": s("string"),
            "created_date": { "type": "string", "description": "ISO 8601" },
            "product_count": s("integer"), "status": { "type": "integer", "enum": [0, 1] }
        }
    }));
    m.insert("CampaignListAnswer".into(), json!({
        "type": "object",
        "required": ["success", "data"],
        "properties": {
            "success": success, "message": s("string"),
            "data": { "type": "array", "items": r("Campaign") },
            "count": { "type": "integer", "description": "Campaigns matching, on every page." },
            "errors": { "type": "array", "items": { "type": "object", "properties": { "message": s("string") } } }
        }
    }));
    m.insert("CampaignDetails".into(), json!({
        "type": "object",
        "required": ["campaignId", "campaignName", "denomination_value", "currency_code", "countryName", "status", "vouchers"],
        "properties": {
            "campaignId": s("integer"), "campaignName": s("string"), "denomination_value": num_or_null,
            "currency_code": s("string"), "countryName": s("string"), "status": { "type": "integer", "enum": [0, 1] },
            "vouchers": { "type": "array", "items": { "type": "object", "required": ["name", "image"], "properties": { "name": s("string"), "image": s("string") } } }
        }
    }));
    m.insert("CampaignDetailsAnswer".into(), json!({
        "type": "object",
        "required": ["success", "data"],
        "properties": { "success": success, "message": s("string"), "data": { "type": "array", "items": r("CampaignDetails") } }
    }));
    m.insert("Link".into(), json!({ "type": "string", "format": "uri", "description": "A reward link: `{OAUTH_URL}/r/{code}`, redeemable once." }));
    m.insert("GenerateLinkAnswer".into(), json!({
        "type": "object",
        "required": ["success", "links"],
        "properties": {
            "success": success, "message": s("string"),
            "links": { "type": "array", "items": r("Link") },
            "batchId": s("string"), "campaignName": s("string"), "campaignId": s("string"),
            "denomination_value": num_or_null, "countryName": s("string"), "currencyCode": s("string")
        }
    }));
    m.insert("ApiError".into(), json!({
        "type": "object",
        "description": "An application error: HTTP status = `code`.",
        "required": ["code", "errorId", "errorInfo", "error"],
        "properties": {
            "code": s("integer"),
            "errorId": { "type": "string", "enum": ["PLE10000", "PLE10001", "PLE10012", "PLE10018", "PLE10019", "PLE10027", "PLE10030", "PLE10032", "PLE10041", "PIPE10013"] },
            "errorInfo": { "type": "string", "description": "What happened: which field and why." },
            "error": { "type": "string", "description": "Short title." }
        }
    }));
    m.insert("RateLimited".into(), json!({
        "type": "object",
        "required": ["errors"],
        "properties": { "errors": { "type": "array", "items": { "type": "object", "required": ["message", "penaltySeconds"], "properties": { "message": { "type": "string", "enum": ["auth.request_limit_exceeded"] }, "penaltySeconds": s("integer") } } } }
    }));
    m
}

fn examples() -> &'static Value {
    static EX: OnceLock<Value> = OnceLock::new();
    EX.get_or_init(|| serde_json::from_str(EXAMPLES).unwrap_or(Value::Null))
}

/// The request body of `op` with `data` as its input.
pub fn request_body(op: &Operation, data: Value) -> Value {
    json!({ "query": op.query, "tag": op.tag, "variables": { op.input_key: data } })
}

/// The OpenAPI document (servers: the default listen address; the server
/// answers with its own public URL).
pub fn openapi() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build_openapi)
}

fn build_openapi() -> Value {
    let mut doc: Value = serde_json::from_str(BASE).unwrap_or_else(|_| json!({}));
    let mut schemas = object_schemas();
    let mut request_branches = Vec::new();
    let mut response_branches = Vec::new();
    let mut mapping = Map::new();
    let mut request_examples = Map::new();
    let mut response_examples = Map::new();
    for op in OPERATIONS {
        let input_name = op.schema_name("Input");
        let request_name = op.schema_name("Request");
        let mut input = (op.input)();
        let mut description = op.summary.to_string();
        if op.is_xoxo() {
            description.push_str(" Input it cannot use (a wrong or missing field, an unknown field, a disabled campaign, a past date, not enough balance) is answered HTTP 200 with `success: 0` and a `message` saying what to change; nothing is charged then.");
        }
        input["description"] = json!(description);
        schemas.insert(input_name.clone(), input.clone());
        // Xoxo Link operations answer any `data` (200, `success` 0 or 1),
        // so their request admits any value beside the typed input.
        // An operation with required input needs `variables.<key>`.
        let needs_input =
            !op.is_xoxo() && (input.get("required").is_some() || input.get("anyOf").is_some());
        let data = if op.is_xoxo() {
            json!({ "anyOf": [r(&input_name), { "description": "Anything else: answered 200 with `success: 0` and a `message`." }] })
        } else if needs_input {
            r(&input_name)
        } else {
            json!({ "oneOf": [r(&input_name), { "type": "null", "description": "The same as `{}`." }] })
        };
        let mut variables = json!({
            "type": if needs_input { json!("object") } else { json!(["object", "null"]) },
            "properties": { op.input_key: data },
            "description": format!("`{}` holds the input; absent (or `null`) means `{{}}`.", op.input_key)
        });
        let mut required = vec!["query"];
        if needs_input {
            variables["required"] = json!([op.input_key]);
            required.push("variables");
        }
        schemas.insert(request_name.clone(), json!({
            "type": "object",
            "description": format!("`{}` (tag `{}`, scope `{}`).", op.query, op.tag, if op.is_xoxo() { "xoxo_link" } else { "plum_pro_api" }),
            "required": required,
            "properties": {
                "query": { "type": "string", "enum": [op.query] },
                "tag": { "type": ["string", "null"], "enum": [op.tag, null], "description": "Optional; when present, the first part of `query`." },
                "variables": variables
            }
        }));
        request_branches.push(r(&request_name));
        mapping.insert(
            op.query.to_string(),
            json!(format!("#/components/schemas/{request_name}")),
        );
        if !schemas.contains_key(&op.schema_name("Response")) && op.answer_key == op.name {
            schemas.insert(
                op.schema_name("Response"),
                json!({
                    "type": "object",
                    "required": ["data"],
                    "additionalProperties": false,
                    "properties": { "data": {
                        "type": "object",
                        "required": [op.answer_key],
                        "additionalProperties": false,
                        "properties": { op.answer_key: (op.output)() }
                    } }
                }),
            );
            response_branches.push(r(&op.schema_name("Response")));
        }
        request_examples.insert(
            op.name.to_string(),
            json!({
                "summary": op.query,
                "value": request_body(op, (op.example)())
            }),
        );
        if let Some(response) = examples().get(op.name).filter(|v| !v.is_null()) {
            response_examples.insert(
                op.name.to_string(),
                json!({ "summary": op.name, "value": response }),
            );
        }
    }
    schemas.insert(
        "ApiRequest".into(),
        json!({
            "description": "One operation of the resource API, named by `query`.",
            "oneOf": request_branches,
            "discriminator": { "propertyName": "query", "mapping": mapping }
        }),
    );
    schemas.insert("ApiResponse".into(), json!({
        "description": "`{\"data\": {\"<operation>\": ...}}`: Rewards operations answer `{\"status\": 1, \"data\": ...}`, Xoxo Link operations `{\"success\": 0|1, ...}`.",
        "oneOf": response_branches
    }));
    let mut operations_table = String::from("\n\n| query | what it does |\n|---|---|\n");
    for op in OPERATIONS {
        operations_table.push_str(&format!(
            "| `{}` | {} |\n",
            op.query,
            op.summary.replace('|', "\\|")
        ));
    }
    let error_example =
        |id: &str| -> Option<Value> { examples().get("errors").and_then(|e| e.get(id)).cloned() };
    let mut by_status: std::collections::BTreeMap<u16, Vec<(&str, String)>> = Default::default();
    for op in OPERATIONS {
        for (status, id, when) in op.errors {
            let entry = by_status.entry(*status).or_default();
            let line = format!("`{id}` ({}): {when}", op.name);
            if !entry.iter().any(|(i, l)| i == id && l == &line) {
                entry.push((id, line));
            }
        }
    }
    let mut responses = Map::new();
    responses.insert("200".into(), json!({
        "description": "The operation's answer under `data.<operation>`.",
        "content": { "application/json": { "schema": r("ApiResponse"), "examples": response_examples } }
    }));
    for (status, entries) in &by_status {
        let mut examples_map = Map::new();
        for (id, _) in entries {
            let key = if *status == 409 && *id == "PLE10001" {
                "PLE10001-conflict"
            } else {
                id
            };
            if let Some(example) = error_example(key) {
                examples_map.insert(key.to_string(), json!({ "value": example }));
            }
        }
        let mut text = String::from("Application error (the `ApiError` envelope):\n");
        for (_, line) in entries {
            text.push_str(&format!("- {line}\n"));
        }
        let schema = if *status == 401 {
            json!({ "anyOf": [r("ApiError"), r("OAuthError")] })
        } else {
            r("ApiError")
        };
        if *status == 401 {
            text.push_str("- `PIPE10013`: no `Authorization: Bearer` header\n- `invalid_token` (RFC 6750 body): the token is unknown, malformed, expired or revoked\n");
            for key in ["PIPE10013", "invalid_token"] {
                if let Some(example) = error_example(key) {
                    examples_map.insert(key.into(), json!({ "value": example }));
                }
            }
        }
        responses.insert(status.to_string(), json!({
            "description": text,
            "headers": if *status == 401 { json!({ "WWW-Authenticate": { "schema": { "type": "string" }, "description": "`Bearer realm=\"galley\"...` (not for PLE10019)" } }) } else { json!({}) },
            "content": { "application/json": { "schema": schema, "examples": examples_map } }
        }));
    }
    responses.insert("403".into(), json!({
        "description": "`insufficient_scope`: the token lacks the operation's scope (`plum_pro_api` or `xoxo_link`).",
        "headers": { "WWW-Authenticate": { "schema": { "type": "string" } } },
        "content": { "application/json": { "schema": r("OAuthError"), "example": error_example("insufficient_scope") } }
    }));
    responses.insert(
        "413".into(),
        json!({
            "description": "`PLE10001`: the body is larger than `max_body_bytes`.",
            "content": { "application/json": { "schema": r("ApiError") } }
        }),
    );
    responses.insert("429".into(), json!({
        "description": "Over the client's per-minute limit for this operation; retry after `Retry-After` seconds.",
        "headers": { "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds until the next minute's window." } },
        "content": { "application/json": { "schema": r("RateLimited"), "example": { "errors": [{ "message": "auth.request_limit_exceeded", "penaltySeconds": 60 }] } } }
    }));
    responses.insert("500".into(), json!({
        "description": "`PLE10000`: the server could not complete the request (the detail is logged, never shown).",
        "content": { "application/json": { "schema": r("ApiError") } }
    }));
    let path = json!({
        "post": {
            "operationId": "callApi",
            "tags": ["Resource API"],
            "summary": "Run a Rewards or Xoxo Link operation, named by `query`",
            "description": format!("Bearer access token with the operation's scope; body `{{\"query\", \"tag\", \"variables\"}}`. Numbers may be sent as JSON numbers or as digit strings, text fields accept numbers, and an empty string (or `null`) is an optional field left out. Unknown fields are refused (`PLE10001`, naming the field).{operations_table}"),
            "security": [{ "bearer": [] }],
            "requestBody": {
                "required": true,
                "content": { "application/json": { "schema": r("ApiRequest"), "examples": request_examples } }
            },
            "responses": responses
        }
    });
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        paths.insert("/v1/oauth/api".into(), path);
        for (name, item) in paths.iter_mut() {
            let tag = if name == "/v1/oauth/api" {
                "Resource API"
            } else if name.starts_with("/v1/oauth/authorize")
                || name.starts_with("/r/")
                || name.starts_with("/developers/")
                || name.starts_with("/assets/")
            {
                "Pages"
            } else if name.starts_with("/v1/oauth/") || name.starts_with("/.well-known/") {
                "OAuth 2.0"
            } else {
                "Operations"
            };
            for operation in item
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                operation["tags"] = json!([tag]);
            }
        }
    }
    doc["tags"] = json!([
        { "name": "Resource API", "description": "`POST /v1/oauth/api`: the Rewards API (tag `plumProAPI`) and the Xoxo Link API (tag `xoxo_link`), one operation per `query`." },
        { "name": "OAuth 2.0", "description": "Tokens (RFC 6749), validation, revocation (RFC 7009), introspection (RFC 7662), metadata (RFC 8414)." },
        { "name": "Pages", "description": "Server-rendered pages: authorization (log-in, sign-up, consent), reward links, the demo app's callback." },
        { "name": "Operations", "description": "Health, readiness, metrics and this contract (`/openapi.json`, `/postman.json`, `/docs`)." }
    ]);
    if let Some(existing) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        existing.extend(schemas);
    }
    doc
}

/// The Postman collection (v2.1): token requests and every operation,
/// with `OAUTH_URL` and the credentials as collection variables.
pub fn postman() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build_postman)
}

/// A Postman test script from lines of JavaScript.
fn script(kind: &str, lines: &[&str]) -> Value {
    json!({ "listen": kind, "script": { "type": "text/javascript", "exec": lines } })
}

fn build_postman() -> Value {
    let base = "{{OAUTH_URL}}";
    let ok_json = "pm.test('answers 200 with JSON', function () { pm.response.to.have.status(200); pm.response.to.be.json; });";
    let token_tests = [
        ok_json,
        "const t = pm.response.json();",
        "pm.test('issues an access token', function () { pm.expect(t.access_token).to.match(/^gly_at_/); pm.expect(t.token_type.toLowerCase()).to.eql('bearer'); });",
    ];
    let client_credentials = json!({
        "name": "Token: client credentials",
        "event": [script("test", &[
            token_tests[0], token_tests[1], token_tests[2],
            "pm.collectionVariables.set('ACCESS_TOKEN', t.access_token);",
        ])],
        "request": {
            "method": "POST",
            "description": "`client_credentials` grant at the company token endpoint; stores the access token in `ACCESS_TOKEN`.",
            "auth": { "type": "noauth" },
            "header": [{ "key": "Content-Type", "value": "application/x-www-form-urlencoded" }],
            "body": { "mode": "urlencoded", "urlencoded": [
                { "key": "grant_type", "value": "client_credentials" },
                { "key": "client_id", "value": "{{CLIENT_ID}}" },
                { "key": "client_secret", "value": "{{CLIENT_SECRET}}" },
                { "key": "scope", "value": "plum_pro_api xoxo_link" }
            ] },
            "url": format!("{base}/v1/oauth/token/company")
        }
    });
    let refresh = json!({
        "name": "Token: refresh",
        "event": [script("test", &[
            token_tests[0], token_tests[1], token_tests[2],
            "pm.test('rotates the refresh token', function () { pm.expect(t.refresh_token).to.match(/^gly_rt_/); });",
            "pm.collectionVariables.set('ACCESS_TOKEN', t.access_token);",
            "pm.collectionVariables.set('REFRESH_TOKEN', t.refresh_token);",
        ])],
        "request": {
            "method": "POST",
            "description": "`refresh_token` grant at the user token endpoint (a company token endpoint refresh needs the `company_session` scope): the refresh token is rotated on every use; the new pair is stored in `ACCESS_TOKEN` and `REFRESH_TOKEN`.",
            "auth": { "type": "noauth" },
            "header": [{ "key": "Content-Type", "value": "application/x-www-form-urlencoded" }],
            "body": { "mode": "urlencoded", "urlencoded": [
                { "key": "grant_type", "value": "refresh_token" },
                { "key": "refresh_token", "value": "{{REFRESH_TOKEN}}" },
                { "key": "client_id", "value": "{{CLIENT_ID}}" },
                { "key": "client_secret", "value": "{{CLIENT_SECRET}}" }
            ] },
            "url": format!("{base}/v1/oauth/token/user")
        }
    });
    let validate = json!({
        "name": "Token: validate",
        "event": [script("test", &[ok_json, "pm.test('the token is active', function () { pm.expect(pm.response.json()).to.be.an('object'); });"])],
        "request": {
            "method": "GET",
            "description": "Checks the access token (`GET /v1/oauth/token`).",
            "auth": { "type": "bearer", "bearer": [{ "key": "token", "value": "{{ACCESS_TOKEN}}", "type": "string" }] },
            "url": format!("{base}/v1/oauth/token")
        }
    });
    let mut rewards = Vec::new();
    let mut xoxo = Vec::new();
    for op in OPERATIONS {
        let mut data = (op.example)();
        let mut pre: Vec<&str> = Vec::new();
        let mut tests: Vec<String> = vec![
            ok_json.to_string(),
            "const body = pm.response.json();".into(),
        ];
        let answer = format!("body.data.{}", op.answer_key);
        if op.is_xoxo() {
            tests.push(format!("pm.test('success is 1', function () {{ pm.expect({answer}.success, {answer}.message).to.eql(1); }});"));
        } else {
            tests.push(format!(
                "pm.test('status is 1', function () {{ pm.expect({answer}.status).to.eql(1); }});"
            ));
        }
        match op.name {
            "placeOrder" => {
                pre.push("pm.collectionVariables.set('PO_NUMBER', 'postman-' + Date.now() + '-' + Math.floor(Math.random() * 1e6));");
                data["poNumber"] = json!("{{PO_NUMBER}}");
                tests.push(format!(
                    "pm.collectionVariables.set('ORDER_ID', String({answer}.data.orderId));"
                ));
            }
            "getOrderDetails" => {
                data = json!({ "orderId": "{{ORDER_ID}}", "sendMailToReceiver": 0 });
            }
            "getOrderHistory" => {
                pre.push("const today = new Date().toISOString().slice(0, 10);");
                pre.push("pm.collectionVariables.set('TODAY', today);");
                data["startDate"] = json!("{{TODAY}}");
                data["endDate"] = json!("{{TODAY}}");
            }
            "campaignList" => {
                tests.push(format!("if ({answer}.data.length > 0) {{ pm.collectionVariables.set('CAMPAIGN_ID', String({answer}.data[0].campaignId)); }}"));
            }
            "campaignDetails" | "generateLink" | "generateLinkEmail" => {
                data["campaignId"] = json!("{{CAMPAIGN_ID}}");
                if op.name != "campaignDetails" {
                    pre.push("const d = new Date(Date.now() + 30 * 86400000);");
                    pre.push("const pad = function (n) { return String(n).padStart(2, '0'); };");
                    pre.push("pm.collectionVariables.set('LINK_EXPIRY', pad(d.getUTCDate()) + '-' + pad(d.getUTCMonth() + 1) + '-' + d.getUTCFullYear());");
                    data["link_expiry"] = json!("{{LINK_EXPIRY}}");
                }
            }
            _ => {}
        }
        let body = request_body(op, data);
        let raw = serde_json::to_string_pretty(&body).unwrap_or_default();
        let mut events = vec![script(
            "test",
            &tests.iter().map(String::as_str).collect::<Vec<_>>(),
        )];
        if !pre.is_empty() {
            events.insert(0, script("prerequest", &pre));
        }
        let item = json!({
            "name": op.name,
            "event": events,
            "request": {
                "method": "POST",
                "description": format!("`{}`: {}", op.query, op.summary),
                "header": [{ "key": "Content-Type", "value": "application/json" }],
                "body": { "mode": "raw", "raw": raw, "options": { "raw": { "language": "json" } } },
                "url": format!("{base}/v1/oauth/api")
            }
        });
        if op.is_xoxo() {
            xoxo.push(item);
        } else {
            rewards.push(item);
        }
    }
    json!({
        "info": {
            "name": "Galley: OAuth, Rewards API and Xoxo Link API",
            "description": "Every operation of Galley's API with a working example. Set `OAUTH_URL` and the client's credentials (`CLIENT_ID`, `CLIENT_SECRET`, and a `REFRESH_TOKEN` for the refresh request); the token requests store new tokens in the collection variables. The reference is the OpenAPI document at `{OAUTH_URL}/openapi.json` (rendered at `{OAUTH_URL}/docs`).",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        },
        "auth": { "type": "bearer", "bearer": [{ "key": "token", "value": "{{ACCESS_TOKEN}}", "type": "string" }] },
        "variable": [
            { "key": "OAUTH_URL", "value": "http://127.0.0.1:8080" },
            { "key": "CLIENT_ID", "value": "" },
            { "key": "CLIENT_SECRET", "value": "" },
            { "key": "ACCESS_TOKEN", "value": "" },
            { "key": "REFRESH_TOKEN", "value": "" },
            { "key": "CAMPAIGN_ID", "value": "1" },
            { "key": "ORDER_ID", "value": "" },
            { "key": "PO_NUMBER", "value": "" },
            { "key": "TODAY", "value": "" },
            { "key": "LINK_EXPIRY", "value": "" }
        ],
        "item": [
            { "name": "OAuth tokens", "item": [client_credentials, refresh, validate] },
            { "name": "Rewards API (plumProAPI)", "item": rewards },
            { "name": "Xoxo Link API (xoxo_link)", "item": xoxo }
        ]
    })
}

/// How a field's schema reads, in words.
fn describe(schema: &Value) -> String {
    let branches: Vec<&Value> = schema["oneOf"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let has = |t: &str| branches.iter().any(|b| b["type"] == t);
    let nullable = has("null");
    let mut words = if let Some(int) = branches
        .iter()
        .find(|b| b["type"] == "integer" && b["minimum"].is_number())
    {
        if branches.iter().any(|b| b["type"] == "array") {
            "product ids: `\"101,102\"`, `101` or `[101, \"102\"]`".to_string()
        } else {
            format!(
                "whole number {}–{} (a JSON number or its digits as text)",
                int["minimum"],
                if int["maximum"] == json!(MAX_ID) {
                    "999999999999999999".to_string()
                } else {
                    int["maximum"].to_string()
                }
            )
        }
    } else if branches
        .iter()
        .any(|b| b["type"] == "integer" && b["enum"].is_array())
    {
        "flag: `0` or `1` (also `true`/`false`, `\"0\"`/`\"1\"`)".to_string()
    } else if let Some(choice) = branches
        .iter()
        .find(|b| b["type"] == "string" && b["enum"].as_array().is_some_and(|e| e.len() > 1))
    {
        let values: Vec<String> = choice["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(|v| format!("`{v}`"))
            .collect();
        format!("one of {}", values.join(", "))
    } else if has("object") {
        "object `{\"field\", \"order\"}` (or `\"\"`)".to_string()
    } else if has("array") {
        "array of `{\"key\", \"value\"}`".to_string()
    } else if let Some(text) = branches
        .iter()
        .find(|b| b["type"] == "string" && b["maxLength"].is_number())
    {
        let mut t = if text["format"] == "email" {
            format!("e-mail address, at most {} characters", text["maxLength"])
        } else {
            format!("text, at most {} characters", text["maxLength"])
        };
        if has("number") {
            t.push_str(" (a number is read as its text)");
        }
        t
    } else if schema["format"] == "date" {
        "date `YYYY-MM-DD`".to_string()
    } else {
        "any".to_string()
    };
    if nullable {
        words.push_str("; `\"\"` or `null`: absent");
    }
    words
}

fn json_block(value: &Value) -> String {
    format!(
        "```json\n{}\n```\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    )
}

/// The API reference in Markdown (`docs/api.md`), from the same source as
/// the OpenAPI document.
pub fn markdown() -> String {
    let doc = openapi();
    let mut out = String::new();
    out.push_str("# Galley API reference\n\n");
    out.push_str("<!-- Generated by src/spec from the same source as openapi.json and postman.json: `GALLEY_WRITE_SPEC=1 cargo test --lib spec` writes it again. Do not edit by hand. -->\n\n");
    out.push_str("Every path is relative to `OAUTH_URL`, the server's public URL (which may have a base path). A running server serves this reference as an OpenAPI 3.1 document at `/openapi.json`, renders it at `/docs`, and serves a Postman collection of every request at `/postman.json`.\n\n");
    out.push_str("## Contents\n\n- [Calling the resource API](#calling-the-resource-api)\n- [Errors](#errors)\n");
    for op in OPERATIONS {
        out.push_str(&format!("- [{}](#{})\n", op.name, op.name.to_lowercase()));
    }
    out.push_str("- [Other endpoints](#other-endpoints)\n\n");
    out.push_str("## Calling the resource API\n\n");
    out.push_str("`POST /v1/oauth/api` with `Authorization: Bearer <access token>` and a JSON body `{\"query\", \"tag\", \"variables\"}`. `query` names the operation; `tag` (optional) is its first part; `variables.data` (`variables.add_data` for campaignList) holds the input. Rewards operations (tag `plumProAPI`) need the `plum_pro_api` scope and answer `{\"data\": {\"<operation>\": {\"status\": 1, \"data\": ...}}}`; Xoxo Link operations (tag `xoxo_link`) need the `xoxo_link` scope and answer `{\"data\": {\"<operation>\": {\"success\": 1, ...}}}`.\n\n");
    out.push_str("The reader is tolerant of what published Plum clients send: a whole number may be a JSON number (`10`, `10.0`) or its digits as text (`\"10\"`, spaces around them allowed); a text field accepts a number (`\"includeProducts\": 101`); a flag is `0`/`1`, `true`/`false`, `\"0\"`/`\"1\"` or `\"true\"`/`\"false\"`; an empty string or `null` is an optional field left out. A field the operation does not have is refused, naming it.\n\n");
    out.push_str("Tokens come from `POST /v1/oauth/token/{user|company}` (see [Other endpoints](#other-endpoints)):\n\n");
    out.push_str("```sh\ncurl -s -X POST \"$OAUTH_URL/v1/oauth/token/company\" \\\n  -d grant_type=client_credentials -d client_id=$CLIENT_ID -d client_secret=$CLIENT_SECRET\n```\n\n");
    out.push_str("## Errors\n\n");
    out.push_str(
        "Rewards operations refuse input with an application error, HTTP status = `code`:\n\n",
    );
    out.push_str(&json_block(&json!({ "code": 404, "errorId": "PLE10030", "errorInfo": "Failed to find vouchers.", "error": "No Vouchers Found" })));
    out.push_str("\n| status | errorId | operation | when |\n|---|---|---|---|\n");
    for op in OPERATIONS {
        for (status, id, when) in op.errors {
            out.push_str(&format!("| {status} | `{id}` | {} | {when} |\n", op.name));
        }
    }
    out.push_str("| 401 | `PIPE10013` | every | no `Authorization: Bearer` header (with `WWW-Authenticate: Bearer`) |\n");
    out.push_str("| 401 | `invalid_token` | every | the token is unknown, malformed, expired or revoked: `{\"error\": \"invalid_token\", \"error_description\"}` |\n");
    out.push_str("| 403 | `insufficient_scope` | every | the token lacks the operation's scope: `{\"error\": \"insufficient_scope\", \"error_description\"}` |\n");
    out.push_str("| 413 | `PLE10001` | every | the body is larger than `max_body_bytes` |\n");
    out.push_str("| 429 | | every | over the client's per-minute limit for the operation: `Retry-After` header and `{\"errors\": [{\"message\": \"auth.request_limit_exceeded\", \"penaltySeconds\": 60}]}` |\n");
    out.push_str("| 500 | `PLE10000` | every | the server could not complete the request (the detail is logged, never shown) |\n\n");
    out.push_str("Xoxo Link operations answer input they cannot use (a wrong, missing or unknown field, a disabled campaign, a past date, not enough balance) with HTTP 200, `success: 0` and a `message` saying what to change; nothing is charged then.\n\n");
    for op in OPERATIONS {
        out.push_str(&format!(
            "## {}\n\n`{}` — scope `{}`\n\n{}\n\n",
            op.name,
            op.query,
            if op.is_xoxo() {
                "xoxo_link"
            } else {
                "plum_pro_api"
            },
            op.summary
        ));
        let input = (op.input)();
        let required: Vec<&str> = input["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if let Some(fields) = input["properties"].as_object().filter(|f| !f.is_empty()) {
            out.push_str(&format!("Input `variables.{}`:\n\n| field | required | value | meaning |\n|---|---|---|---|\n", op.input_key));
            for (name, schema) in fields {
                out.push_str(&format!(
                    "| `{name}` | {} | {} | {} |\n",
                    if required.contains(&name.as_str()) {
                        "yes"
                    } else {
                        "no"
                    },
                    describe(schema),
                    schema["description"]
                        .as_str()
                        .unwrap_or("")
                        .replace('|', "\\|")
                ));
            }
            if op.name == "getOrderDetails" {
                out.push_str("\nOne of `orderId` and `poNumber` is required.\n");
            }
            if op.name == "placeOrder" {
                out.push_str("\nWith `notifyReceiverEmail` 1, `email` is required.\n");
            }
            out.push('\n');
        } else {
            out.push_str(&format!(
                "Input `variables.{}`: `{{}}` (no fields).\n\n",
                op.input_key
            ));
        }
        out.push_str("Example request:\n\n");
        out.push_str(&json_block(&request_body(op, (op.example)())));
        if let Some(response) = examples().get(op.name) {
            out.push_str("\nExample response (recorded from `galley demo`):\n\n");
            out.push_str(&json_block(response));
        }
        out.push('\n');
    }
    out.push_str("## Other endpoints\n\n| method | path | what |\n|---|---|---|\n");
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            if path == "/v1/oauth/api" {
                continue;
            }
            for (method, operation) in item.as_object().into_iter().flatten() {
                let statuses: Vec<&str> = operation["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(s, _)| s.as_str())
                    .collect();
                out.push_str(&format!(
                    "| {} | `{path}` | {} (answers {}) |\n",
                    method.to_uppercase(),
                    operation["summary"]
                        .as_str()
                        .unwrap_or("")
                        .replace('|', "\\|"),
                    statuses.join(", ")
                ));
            }
        }
    }
    out.push_str("\nTheir parameters, bodies and answers are in `/openapi.json`.\n");
    out
}

/// A document as committed: pretty JSON with a final newline.
pub fn pretty(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed `openapi.json` and `postman.json` are this module's
    /// output (`GALLEY_WRITE_SPEC=1` writes them).
    #[test]
    fn committed_documents_are_up_to_date() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for (file, text) in [
            ("openapi.json", pretty(openapi())),
            ("postman.json", pretty(postman())),
            ("docs/api.md", markdown()),
        ] {
            let path = root.join(file);
            if std::env::var_os("GALLEY_WRITE_SPEC").is_some() {
                std::fs::write(&path, &text).unwrap();
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == text,
                "{file} differs from what src/spec builds: run `GALLEY_WRITE_SPEC=1 cargo test --lib spec` and commit it"
            );
        }
    }

    #[test]
    fn every_operation_has_a_recorded_response() {
        for op in OPERATIONS {
            assert!(
                examples().get(op.name).is_some_and(|v| !v.is_null()),
                "{}",
                op.name
            );
        }
        assert!(openapi()["paths"]["/v1/oauth/api"]["post"]["responses"]["404"].is_object());
    }
}
