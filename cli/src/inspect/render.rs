//! CBOR value trees as annotated JSON: byte strings as lowercase hex, embedded CBOR (tag 24,
//! COSE payloads and headers) decoded in place, integer-keyed maps given the standard's field
//! names, and codes (curves, algorithms, statuses, retrieval methods) given their meaning.

use mdl_proximity::cbor::{value_from_slice, Limits, Value};
use mdl_proximity::crypto::Curve;
use serde_json::{json, Map, Value as Json};

use super::detect::{detect, Kind};
use super::x509;

/// Renders value trees, collecting the faults found in embedded items on the way (the outer
/// item decoded, so these are reported beside the output rather than instead of it).
#[derive(Debug, Default)]
pub(crate) struct Renderer {
    /// `path: error` of every embedded item that did not decode.
    pub(crate) problems: Vec<String>,
}

fn join(path: &str, seg: &str) -> String {
    if path.is_empty() {
        seg.to_owned()
    } else if seg.starts_with('[') {
        format!("{path}{seg}")
    } else {
        format!("{path}.{seg}")
    }
}

fn int(v: &Value) -> Option<i128> {
    match v {
        Value::Integer(i) => Some(i128::from(*i)),
        _ => None,
    }
}

fn text_field<'a>(entries: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    entries
        .iter()
        .find(|(k, _)| matches!(k, Value::Text(t) if t == key))
        .map(|(_, v)| v)
}

impl Renderer {
    fn problem(&mut self, path: &str, what: &dyn std::fmt::Display) {
        self.problems.push(if path.is_empty() {
            what.to_string()
        } else {
            format!("{path}: {what}")
        });
    }

    /// Renders `value` as the structure `kind`, at `path` (for problem reports).
    pub(crate) fn kind(&mut self, kind: Kind, value: &Value, path: &str) -> Json {
        match (kind, value) {
            (Kind::DeviceEngagement, Value::Map(m)) => self.engagement(m, path),
            (Kind::CoseKey, Value::Map(m)) => self.cose_key(m, path),
            (Kind::CoseSign1 | Kind::CoseMac0, _) => self.cose(kind, value, path),
            (Kind::SessionTranscript, Value::Array(a)) => self.transcript(a, path),
            (Kind::DeviceAuthentication | Kind::ReaderAuthentication, Value::Array(a)) => {
                self.authentication(kind, a, path)
            }
            (Kind::SessionEstablishment | Kind::SessionData, Value::Map(m)) => {
                self.session(m, path)
            }
            (Kind::DeviceResponse, Value::Map(m)) => self.response(m, path),
            _ => self.value(value, path),
        }
    }

    /// Renders any value, recognising embedded structures by their tag or shape.
    pub(crate) fn value(&mut self, value: &Value, path: &str) -> Json {
        match value {
            Value::Integer(i) => {
                let i = i128::from(*i);
                i64::try_from(i)
                    .map(Json::from)
                    .or_else(|_| u64::try_from(i).map(Json::from))
                    .unwrap_or_else(|_| Json::from(i.to_string()))
            }
            Value::Bytes(b) => json!(hex::encode(b)),
            Value::Float(f) => json!(f),
            Value::Text(t) => json!(t),
            Value::Bool(b) => json!(b),
            Value::Null => Json::Null,
            Value::Tag(24, inner) => match &**inner {
                Value::Bytes(b) => self.embedded(b, path),
                other => json!({ "tag": 24, "value": self.value(other, path) }),
            },
            Value::Tag(0, inner) if matches!(**inner, Value::Text(_)) => {
                json!({ "tdate": self.value(inner, path) })
            }
            Value::Tag(1004, inner) if matches!(**inner, Value::Text(_)) => {
                json!({ "full-date": self.value(inner, path) })
            }
            Value::Tag(t @ (17 | 18), _) => {
                let kind = if *t == 18 {
                    Kind::CoseSign1
                } else {
                    Kind::CoseMac0
                };
                self.cose(kind, value, path)
            }
            Value::Tag(t, inner) => json!({ "tag": t, "value": self.value(inner, path) }),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.field(v, &join(path, &format!("[{i}]")), None))
                .collect(),
            Value::Map(entries) => {
                let mut out = Map::new();
                for (k, v) in entries {
                    let key = key_string(k);
                    let rendered = self.field(v, &join(path, &key), Some(&key));
                    out.insert(key, rendered);
                }
                Json::Object(out)
            }
            _ => json!("(simple value)"),
        }
    }

    /// A member of a text-keyed map: a few field names say what their bytes are.
    fn field(&mut self, value: &Value, path: &str, name: Option<&str>) -> Json {
        match (name, value) {
            (Some("issuerAuth" | "readerAuth" | "deviceSignature"), _) => {
                self.cose(Kind::CoseSign1, value, path)
            }
            (Some("deviceMac"), _) => self.cose(Kind::CoseMac0, value, path),
            (Some("deviceKey"), Value::Map(m)) => self.cose_key(m, path),
            (_, Value::Array(_)) if matches!(detect(value), Kind::CoseSign1 | Kind::CoseMac0) => {
                self.cose(detect(value), value, path)
            }
            _ => self.value(value, path),
        }
    }

    /// `#6.24(bstr .cbor X)`: decode X, name it, and check it with the typed decoder.
    fn embedded(&mut self, bytes: &[u8], path: &str) -> Json {
        let inner = match value_from_slice(bytes, &Limits::default()) {
            Ok(v) => v,
            Err(e) => {
                self.problem(path, &format!("embedded CBOR: {e}"));
                return json!({ "type": "EncodedCBOR", "length": bytes.len(), "error": e.to_string(), "hex": hex::encode(bytes) });
            }
        };
        let kind = detect(&inner);
        let mut out = Map::new();
        out.insert("type".into(), json!(kind.bytes_name()));
        out.insert("length".into(), json!(bytes.len()));
        if let Err(e) = kind.validate(&inner) {
            let e = e.within(kind.name());
            self.problem(path, &e);
            out.insert("error".into(), json!(e.to_string()));
        }
        out.insert("value".into(), self.kind(kind, &inner, path));
        Json::Object(out)
    }

    fn engagement(&mut self, m: &[(Value, Value)], path: &str) -> Json {
        let mut out = Map::new();
        for (k, v) in m {
            let p = join(path, &key_string(k));
            let (name, rendered) = match int(k) {
                Some(0) => ("version".to_owned(), self.value(v, &p)),
                Some(1) => ("security".to_owned(), self.security(v, &p)),
                Some(2) => ("deviceRetrievalMethods".to_owned(), self.retrieval(v, &p)),
                Some(5) => ("originInfos".to_owned(), self.value(v, &p)),
                Some(6) => (
                    "capabilities".to_owned(),
                    self.labelled(v, &p, capability_name),
                ),
                _ => (key_string(k), self.value(v, &p)),
            };
            out.insert(name, rendered);
        }
        Json::Object(out)
    }

    fn security(&mut self, v: &Value, path: &str) -> Json {
        match v {
            Value::Array(a) if a.len() == 2 => json!({
                "cipherSuite": self.value(&a[0], &join(path, "[0]")),
                "eDeviceKeyBytes": self.value(&a[1], &join(path, "[1]")),
            }),
            other => self.value(other, path),
        }
    }

    fn retrieval(&mut self, v: &Value, path: &str) -> Json {
        let Value::Array(methods) = v else {
            return self.value(v, path);
        };
        let mut out = Vec::new();
        for (i, m) in methods.iter().enumerate() {
            let p = join(path, &format!("[{i}]"));
            let rendered = match m {
                Value::Array(parts) if parts.len() >= 3 => {
                    let ty = int(&parts[0]);
                    let labels: fn(i128) -> Option<&'static str> = match ty {
                        Some(1) => nfc_option_name,
                        Some(2) => ble_option_name,
                        Some(3) => wifi_option_name,
                        Some(-10 | -18224) => tcp_option_name,
                        _ => |_| None,
                    };
                    json!({
                        "type": self.value(&parts[0], &p),
                        "transport": ty.and_then(transport_name),
                        "version": self.value(&parts[1], &p),
                        "options": self.labelled(&parts[2], &join(&p, "[2]"), labels),
                    })
                }
                other => self.value(other, &p),
            };
            out.push(rendered);
        }
        Json::Array(out)
    }

    /// An integer-keyed map whose keys have names; UUIDs shown as UUIDs.
    fn labelled(&mut self, v: &Value, path: &str, names: fn(i128) -> Option<&'static str>) -> Json {
        let Value::Map(m) = v else {
            return self.value(v, path);
        };
        let mut out = Map::new();
        for (k, v) in m {
            let key = int(k)
                .and_then(names)
                .map_or_else(|| key_string(k), str::to_owned);
            let rendered = match v {
                Value::Bytes(b) if b.len() == 16 && key.ends_with("Uuid") => json!(uuid(b)),
                other => self.value(other, &join(path, &key)),
            };
            out.insert(key, rendered);
        }
        Json::Object(out)
    }

    fn cose_key(&mut self, m: &[(Value, Value)], path: &str) -> Json {
        let kty = m
            .iter()
            .find(|(k, _)| int(k) == Some(1))
            .and_then(|(_, v)| int(v));
        let mut out = Map::new();
        for (k, v) in m {
            let rendered = match (int(k), int(v)) {
                (Some(1), Some(1)) => json!("OKP"),
                (Some(1), Some(2)) => json!("EC2"),
                (Some(1), Some(4)) => json!("Symmetric"),
                (Some(3), Some(a)) => alg_name(a).map_or_else(|| json!(a), |n| json!(n)),
                (Some(-1), Some(c)) if kty != Some(4) => i64::try_from(c)
                    .ok()
                    .and_then(|c| Curve(c).name())
                    .map_or_else(|| json!(c), |n| json!(n)),
                _ => self.value(v, &join(path, &key_string(k))),
            };
            let name = match (int(k), kty) {
                (Some(1), _) => "kty".to_owned(),
                (Some(2), _) => "kid".to_owned(),
                (Some(3), _) => "alg".to_owned(),
                (Some(4), _) => "key_ops".to_owned(),
                (Some(-1), Some(4)) => "k".to_owned(),
                (Some(-1), _) => "crv".to_owned(),
                (Some(-2), _) => "x".to_owned(),
                (Some(-3), _) => "y".to_owned(),
                (Some(-4), _) => "d".to_owned(),
                _ => key_string(k),
            };
            out.insert(name, rendered);
        }
        Json::Object(out)
    }

    /// COSE_Sign1 / COSE_Mac0: headers decoded and named, the payload decoded if it is CBOR,
    /// x5chain certificates summarised.
    fn cose(&mut self, kind: Kind, value: &Value, path: &str) -> Json {
        let (tag, arr) = match value {
            Value::Tag(t, inner) => (Some(*t), &**inner),
            other => (None, other),
        };
        let Value::Array(parts) = arr else {
            return self.value(value, path);
        };
        let [protected, unprotected, payload, last] = parts.as_slice() else {
            return self.value(value, path);
        };
        let mut out = Map::new();
        out.insert("structure".into(), json!(kind.name()));
        if let Some(t) = tag {
            out.insert("tag".into(), json!(t));
        }
        let prot = match protected {
            Value::Bytes(b) if b.is_empty() => json!({}),
            Value::Bytes(b) => match value_from_slice(b, &Limits::default()) {
                Ok(h) => self.headers(&h, &join(path, "protected")),
                Err(e) => {
                    self.problems.push(format!("{path}.protected: {e}"));
                    json!({ "error": e.to_string(), "hex": hex::encode(b) })
                }
            },
            other => self.value(other, &join(path, "protected")),
        };
        out.insert("protected".into(), prot);
        out.insert(
            "unprotected".into(),
            self.headers(unprotected, &join(path, "unprotected")),
        );
        let payload = match payload {
            Value::Null => json!("detached (null): computed over the structure it authenticates"),
            Value::Bytes(b) => match value_from_slice(b, &Limits::default()) {
                Ok(v) => {
                    let p = join(path, "payload");
                    self.value(&v, &p)
                }
                Err(_) => json!(hex::encode(b)),
            },
            other => self.value(other, &join(path, "payload")),
        };
        out.insert("payload".into(), payload);
        let last_name = if kind == Kind::CoseMac0 {
            "tag"
        } else {
            "signature"
        };
        out.insert(last_name.into(), self.value(last, path));
        Json::Object(out)
    }

    fn headers(&mut self, h: &Value, path: &str) -> Json {
        let Value::Map(m) = h else {
            return self.value(h, path);
        };
        let mut out = Map::new();
        for (k, v) in m {
            let (name, rendered) = match int(k) {
                Some(1) => (
                    "alg".to_owned(),
                    int(v)
                        .and_then(alg_name)
                        .map_or_else(|| self.value(v, path), |n| json!(n)),
                ),
                Some(3) => ("content type".to_owned(), self.value(v, path)),
                Some(4) => ("kid".to_owned(), self.value(v, path)),
                Some(33) => (
                    "x5chain".to_owned(),
                    self.x5chain(v, &join(path, "x5chain")),
                ),
                _ => (key_string(k), self.value(v, &join(path, &key_string(k)))),
            };
            out.insert(name, rendered);
        }
        Json::Object(out)
    }

    fn x5chain(&mut self, v: &Value, path: &str) -> Json {
        let mut one = |b: &[u8], p: &str| match x509::parse(b) {
            Ok(cert) => x509::render(&cert),
            Err(e) => {
                self.problems.push(format!("{p}: certificate: {e}"));
                json!({ "error": e.to_string(), "hex": hex::encode(b) })
            }
        };
        match v {
            Value::Bytes(b) => Json::Array(vec![one(b, path)]),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Value::Bytes(b) => one(b, &format!("{path}[{i}]")),
                    other => json!({ "error": format!("expected byte string, found {other:?}") }),
                })
                .collect(),
            other => json!({ "error": format!("expected byte string or array, found {other:?}") }),
        }
    }

    fn transcript(&mut self, a: &[Value], path: &str) -> Json {
        let [de, erk, handover] = a else {
            return self.value(&Value::Array(a.to_vec()), path);
        };
        let handover_json = match handover {
            Value::Null => json!({ "kind": "QR (null)" }),
            Value::Array(h) if h.len() == 2 => {
                let select = self.ndef(&h[0], &join(path, "[2][0]"));
                let request = match &h[1] {
                    Value::Null => Json::Null,
                    other => self.ndef(other, &join(path, "[2][1]")),
                };
                let kind = if h[1] == Value::Null {
                    "NFC static"
                } else {
                    "NFC negotiated"
                };
                json!({ "kind": kind, "handoverSelect": select, "handoverRequest": request })
            }
            other => self.value(other, &join(path, "[2]")),
        };
        json!({
            "deviceEngagementBytes": self.value(de, &join(path, "[0]")),
            "eReaderKeyBytes": self.value(erk, &join(path, "[1]")),
            "handover": handover_json,
        })
    }

    fn ndef(&mut self, v: &Value, path: &str) -> Json {
        match v {
            Value::Bytes(b) => match super::ndef::render_with(self, b) {
                Ok(j) => j,
                Err(e) => {
                    self.problems.push(format!("{path}: {e}"));
                    json!({ "error": e.to_string(), "hex": hex::encode(b) })
                }
            },
            other => self.value(other, path),
        }
    }

    fn authentication(&mut self, kind: Kind, a: &[Value], path: &str) -> Json {
        let mut out = Map::new();
        out.insert("context".into(), self.value(&a[0], path));
        if let Some(Value::Array(st)) = a.get(1) {
            out.insert(
                "sessionTranscript".into(),
                self.transcript(st, &join(path, "[1]")),
            );
        }
        if kind == Kind::DeviceAuthentication {
            if let Some(doc_type) = a.get(2) {
                out.insert("docType".into(), self.value(doc_type, path));
            }
            if let Some(ns) = a.get(3) {
                out.insert(
                    "deviceNameSpacesBytes".into(),
                    self.value(ns, &join(path, "[3]")),
                );
            }
        } else if let Some(items) = a.get(2) {
            out.insert(
                "itemsRequestBytes".into(),
                self.value(items, &join(path, "[2]")),
            );
        }
        Json::Object(out)
    }

    fn session(&mut self, m: &[(Value, Value)], path: &str) -> Json {
        let mut out = Map::new();
        for (k, v) in m {
            let key = key_string(k);
            let rendered = match (key.as_str(), v) {
                ("data", Value::Bytes(b)) => json!({
                    "length": b.len(),
                    "note": "AES-256-GCM ciphertext followed by its 16-byte tag (2021 9.1.1.5)",
                    "hex": hex::encode(b),
                }),
                ("status", Value::Integer(_)) => status(v, session_status_meaning),
                _ => self.field(v, &join(path, &key), Some(&key)),
            };
            out.insert(key, rendered);
        }
        Json::Object(out)
    }

    fn response(&mut self, m: &[(Value, Value)], path: &str) -> Json {
        let mut rendered = self.value(&Value::Map(m.to_vec()), path);
        if let (Some(s), Json::Object(obj)) = (text_field(m, "status"), &mut rendered) {
            obj.insert("status".into(), status(s, response_status_meaning));
        }
        rendered
    }
}

fn status(v: &Value, meaning: fn(i128) -> &'static str) -> Json {
    let code = int(v).unwrap_or(-1);
    json!({ "code": i64::try_from(code).unwrap_or(-1), "meaning": meaning(code) })
}

/// 2021 9.1.1.4 Table 20.
fn session_status_meaning(code: i128) -> &'static str {
    match code {
        10 => "error: session encryption",
        11 => "error: CBOR decoding",
        20 => "session termination",
        _ => "unknown status",
    }
}

/// 2021 8.3.2.1.2.3 Table 8.
fn response_status_meaning(code: i128) -> &'static str {
    match code {
        0 => "OK",
        10 => "general error",
        11 => "CBOR decoding error",
        12 => "CBOR validation error",
        _ => "unknown status",
    }
}

fn key_string(k: &Value) -> String {
    match k {
        Value::Text(t) => t.clone(),
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Bytes(b) => format!("h'{}'", hex::encode(b)),
        other => format!("{other:?}"),
    }
}

/// COSE algorithm names (RFC 9053, IANA).
fn alg_name(a: i128) -> Option<&'static str> {
    Some(match a {
        -7 => "ES256",
        -35 => "ES384",
        -36 => "ES512",
        -8 => "EdDSA",
        -19 => "Ed25519",
        -53 => "Ed448",
        4 => "HMAC 256/64",
        5 => "HMAC 256/256",
        6 => "HMAC 384/384",
        7 => "HMAC 512/512",
        _ => return None,
    })
}

/// DeviceRetrievalMethod types (2021 8.2.1.1 Table 5; −10, formerly −18224, is the GmDL TCP
/// test transport: `DeviceRetrievalMethod::TYPE_TCP` and `TYPE_TCP_LEGACY`).
fn transport_name(t: i128) -> Option<&'static str> {
    Some(match t {
        1 => "NFC",
        2 => "BLE",
        3 => "Wi-Fi Aware",
        -10 | -18224 => "TCP (GmDL test transport)",
        _ => return None,
    })
}

fn nfc_option_name(k: i128) -> Option<&'static str> {
    Some(match k {
        0 => "maxLenCommandDataField",
        1 => "maxLenResponseDataField",
        _ => return None,
    })
}

fn ble_option_name(k: i128) -> Option<&'static str> {
    Some(match k {
        0 => "peripheralServerMode",
        1 => "centralClientMode",
        10 => "peripheralServerModeUuid",
        11 => "centralClientModeUuid",
        20 => "peripheralServerModeDeviceAddress",
        21 => "peripheralServerModeL2capPsm",
        _ => return None,
    })
}

fn wifi_option_name(k: i128) -> Option<&'static str> {
    Some(match k {
        0 => "passPhrase",
        1 => "channelInfoOperatingClass",
        2 => "channelInfoChannelNumber",
        3 => "bandInfo",
        _ => return None,
    })
}

fn tcp_option_name(k: i128) -> Option<&'static str> {
    Some(match k {
        0 => "host",
        1 => "port",
        _ => return None,
    })
}

fn capability_name(k: i128) -> Option<&'static str> {
    Some(match k {
        2 => "handoverSessionEstablishmentSupport",
        3 => "readerAuthAllSupport",
        4 => "extendedRequestSupport",
        _ => return None,
    })
}

/// A 16-byte UUID in its canonical form (as sent in CBOR: big-endian).
pub(crate) fn uuid(b: &[u8]) -> String {
    let h = hex::encode(b);
    if h.len() != 32 {
        return h;
    }
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}
