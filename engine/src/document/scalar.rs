//! Plain scalars resolved by the YAML 1.2 core schema: `no`, `off`, `yes`,
//! `on` and `y` stay strings (YAML 1.1 made them booleans; 1.2 does not), and
//! dates stay strings (the core schema has no timestamp type).

use super::value::Value;

/// Resolves a plain (unquoted, untagged) scalar.
pub fn resolve_plain(text: &str) -> Value {
    special(text).unwrap_or_else(|| Value::Str(text.into()))
}

/// The value of a plain scalar that does not read as a string (null, a
/// boolean, a number); `None` for a string. Builds nothing for a string.
pub fn special(text: &str) -> Option<Value> {
    // Every special value starts with one of these bytes; most strings do
    // not, and skip the comparisons.
    if !matches!(text.as_bytes().first(), None | Some(b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'.' | b'+' | b'-' | b'0'..=b'9')) {
        return None;
    }
    // The named values are at most five bytes long: longer text skips the comparisons.
    match text {
        _ if text.len() > 5 => {}
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(Value::Float(f64::INFINITY)),
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Value::Float(f64::NAN)),
        _ => {}
    }
    if let Some(i) = parse_int(text) {
        return Some(Value::Int(i));
    }
    if is_core_float(text) {
        if let Ok(f) = text.parse::<f64>() {
            return Some(Value::Float(f));
        }
    }
    None
}

/// Resolves a scalar with an explicit core-schema tag (`!!int 3`, `!!str yes`).
/// Returns `None` when the text does not fit the tag.
pub fn resolve_tagged(suffix: &str, text: &str) -> Option<Value> {
    match suffix {
        "str" => Some(Value::Str(text.into())),
        "null" => matches!(text, "" | "~" | "null" | "Null" | "NULL").then_some(Value::Null),
        "bool" => match resolve_plain(text) {
            v @ Value::Bool(_) => Some(v),
            _ => None,
        },
        "int" => parse_int(text).map(Value::Int),
        "float" => match resolve_plain(text) {
            Value::Int(i) => Some(Value::Float(i as f64)),
            v @ Value::Float(_) => Some(v),
            _ => None,
        },
        _ => None,
    }
}

/// Core-schema integers: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`.
fn parse_int(text: &str) -> Option<i64> {
    if let Some(octal) = text.strip_prefix("0o") {
        return (!octal.is_empty() && octal.bytes().all(|b| (b'0'..=b'7').contains(&b)))
            .then(|| i64::from_str_radix(octal, 8).ok())
            .flatten();
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| i64::from_str_radix(hex, 16).ok()).flatten();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, in one pass over the bytes.
fn is_core_float(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |from: usize| b.get(from..).map_or(0, |rest| rest.iter().take_while(|c| c.is_ascii_digit()).count());
    let mut at = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let whole = digits(at);
    at += whole;
    let mantissa_ok = if b.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        at += 1 + fraction;
        whole + fraction > 0
    } else {
        whole > 0
    };
    if !mantissa_ok {
        return false;
    }
    if matches!(b.get(at), Some(b'e' | b'E')) {
        at += 1;
        at += usize::from(matches!(b.get(at), Some(b'-' | b'+')));
        let exponent = digits(at);
        if exponent == 0 {
            return false;
        }
        at += exponent;
    }
    at == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        for word in ["no", "No", "NO", "off", "Off", "yes", "Yes", "on", "On", "y", "Y", "n", "N"] {
            assert_eq!(resolve_plain(word), Value::Str(word.into()), "{word}");
        }
    }

    #[test]
    fn core_schema_values() {
        assert_eq!(resolve_plain("true"), Value::Bool(true));
        assert_eq!(resolve_plain("FALSE"), Value::Bool(false));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain(""), Value::Null);
        assert_eq!(resolve_plain("42"), Value::Int(42));
        assert_eq!(resolve_plain("-7"), Value::Int(-7));
        assert_eq!(resolve_plain("0o17"), Value::Int(15));
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
        assert_eq!(resolve_plain("1e3"), Value::Float(1000.0));
        assert_eq!(resolve_plain(".5"), Value::Float(0.5));
        assert_eq!(resolve_plain("2025-02-12"), Value::Str("2025-02-12".into()));
        assert_eq!(resolve_plain("1.2.3"), Value::Str("1.2.3".into()));
        assert_eq!(resolve_plain("."), Value::Str(".".into()));
        assert_eq!(resolve_plain("0x"), Value::Str("0x".into()));
        // Beyond 64 bits an integer becomes the nearest float, as JSON parsers do.
        assert_eq!(resolve_plain("99999999999999999999"), Value::Float(1e20));
        assert_eq!(resolve_plain("1_000"), Value::Str("1_000".into()));
    }

    /// Every short string over the bytes a float is made of, against the grammar as a regex.
    #[test]
    fn core_floats_are_exactly_the_grammar() {
        let grammar = regex::Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").unwrap();
        let alphabet = ["1", "0", ".", "e", "E", "+", "-", "x"];
        let mut texts = vec![String::new()];
        for _ in 0..6 {
            let longer: Vec<String> = texts.iter().flat_map(|t| alphabet.iter().map(move |a| format!("{t}{a}"))).collect();
            for text in &longer {
                assert_eq!(is_core_float(text), grammar.is_match(text), "{text:?}");
            }
            texts = longer;
        }
    }

    #[test]
    fn tagged_scalars() {
        assert_eq!(resolve_tagged("str", "yes"), Some(Value::Str("yes".into())));
        assert_eq!(resolve_tagged("int", "12"), Some(Value::Int(12)));
        assert_eq!(resolve_tagged("float", "12"), Some(Value::Float(12.0)));
        assert_eq!(resolve_tagged("int", "twelve"), None);
        assert_eq!(resolve_tagged("bool", "yes"), None);
    }
}
