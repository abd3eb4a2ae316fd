//! JSON log lines on standard output, one object per line: `time`, `level`, `msg`, then fields.

use serde_json::{Map, Value, json};

pub fn line(level: &str, msg: &str, fields: Value) {
    let mut object = Map::new();
    object.insert("time".into(), json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
    object.insert("level".into(), json!(level));
    object.insert("msg".into(), json!(msg));
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    println!("{}", Value::Object(object));
}

pub fn info(msg: &str, fields: Value) {
    line("info", msg, fields);
}

pub fn warn(msg: &str, fields: Value) {
    line("warn", msg, fields);
}

pub fn error(msg: &str, fields: Value) {
    line("error", msg, fields);
}
