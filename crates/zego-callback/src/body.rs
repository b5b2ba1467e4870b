//! A callback body, JSON or form, as fields of strings.
//!
//! ZEGO documents every value as a string, but receivers see numbers too (and older pages
//! show a form body), so both bodies become one map of field name to string values: a JSON
//! number or boolean becomes its text, an array its elements, an object its JSON text.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::CallbackError;

/// The fields of a callback, in name order; most have one value, URL lists several.
pub(crate) type Fields = BTreeMap<String, Vec<String>>;

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Json,
    Form,
}

/// Reads a body by its `Content-Type`: `application/json` (or `+json`) and
/// `application/x-www-form-urlencoded`; without one, or with `text/plain` or
/// `application/octet-stream`, by its first non-space byte (`{` is JSON).
pub(crate) fn parse(body: &[u8], content_type: Option<&str>) -> Result<Fields, CallbackError> {
    match encoding(body, content_type)? {
        Encoding::Json => parse_json(body),
        Encoding::Form => Ok(parse_form(body)),
    }
}

fn encoding(body: &[u8], content_type: Option<&str>) -> Result<Encoding, CallbackError> {
    let media_type = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match media_type.as_str() {
        "application/json" => Ok(Encoding::Json),
        t if t.starts_with("application/") && t.ends_with("+json") => Ok(Encoding::Json),
        "application/x-www-form-urlencoded" => Ok(Encoding::Form),
        "" | "text/plain" | "application/octet-stream" => {
            let first = body.iter().find(|b| !b.is_ascii_whitespace());
            Ok(if first == Some(&b'{') {
                Encoding::Json
            } else {
                Encoding::Form
            })
        }
        _ => Err(CallbackError::UnsupportedContentType {
            content_type: media_type.chars().take(64).collect(),
        }),
    }
}

fn parse_json(body: &[u8]) -> Result<Fields, CallbackError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| CallbackError::Malformed {
        reason: "not valid JSON",
    })?;
    let Value::Object(object) = value else {
        return Err(CallbackError::Malformed {
            reason: "the JSON body is not an object",
        });
    };
    let mut fields = Fields::new();
    for (name, value) in object {
        let values = match value {
            Value::Null => continue,
            Value::Array(items) => items.into_iter().map(text).collect(),
            other => vec![text(other)],
        };
        fields.insert(name, values);
    }
    Ok(fields)
}

/// The text of a JSON value: a string as is, anything else as JSON.
fn text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn parse_form(body: &[u8]) -> Fields {
    let mut fields = Fields::new();
    for (name, value) in form_urlencoded::parse(body) {
        fields
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(fields: &Fields, name: &str) -> String {
        fields[name].join("|")
    }

    #[test]
    fn json_values_become_strings() {
        let f = parse(
            br#"{"a":"x","n":12,"b":true,"z":null,"l":["u1","u2"],"o":{"cid":0}}"#,
            Some("application/json; charset=utf-8"),
        )
        .unwrap();
        assert_eq!(one(&f, "a"), "x");
        assert_eq!(one(&f, "n"), "12");
        assert_eq!(one(&f, "b"), "true");
        assert!(!f.contains_key("z"));
        assert_eq!(one(&f, "l"), "u1|u2");
        assert_eq!(one(&f, "o"), r#"{"cid":0}"#);
    }

    #[test]
    fn form_bodies_decode_plus_and_percent_and_repeat() {
        let f = parse(
            b"a=x+y&b=%7B%22cid%22%3A0%7D&l=1&l=2",
            Some("Application/X-WWW-Form-Urlencoded"),
        )
        .unwrap();
        assert_eq!(one(&f, "a"), "x y");
        assert_eq!(one(&f, "b"), r#"{"cid":0}"#);
        assert_eq!(one(&f, "l"), "1|2");
    }

    #[test]
    fn sniffs_without_a_content_type_and_refuses_others() {
        assert_eq!(one(&parse(b" {\"a\":\"1\"}", None).unwrap(), "a"), "1");
        assert_eq!(one(&parse(b"a=1", Some("text/plain")).unwrap(), "a"), "1");
        assert!(matches!(
            parse(b"a=1", Some("multipart/form-data; boundary=x")),
            Err(CallbackError::UnsupportedContentType { content_type }) if content_type == "multipart/form-data"
        ));
        assert!(matches!(
            parse(b"[1]", Some("application/json")),
            Err(CallbackError::Malformed { .. })
        ));
        assert!(matches!(
            parse(b"{", Some("application/json")),
            Err(CallbackError::Malformed { .. })
        ));
    }
}
