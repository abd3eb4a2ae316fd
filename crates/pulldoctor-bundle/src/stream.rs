//! JSON files read in one pass, never as a tree of the whole file: the top-level object key by
//! key, and a Kubernetes list's `items` item by item, each item parsed straight from its bytes
//! into its typed wire shape and on into its model object. A file given as a reader is read in
//! chunks and each chunk dropped once its items are parsed, so a 1 GB `pods.json` never sits in
//! memory whole (issue 17: memory below the bundle's size).
//!
//! Every value is still parsed by serde_json, which checks its syntax; this module only walks the
//! punctuation of the top-level object and of the `items` array, and its errors read like
//! serde_json's, with the line and column in the whole file.
//!
//! An item's `kind` and `apiVersion` decide its type. kubectl and the API print them first, so
//! they are read ahead without parsing the item twice. An item with no kind takes the list's
//! (`PodList` items from the API have none), and kubectl prints the list's `kind` after the
//! items: such items wait, as values, until the list's kind is known.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::error::FileError;
use crate::object::{Objects, Source, implied_kind, is_read_kind, parse_object};

/// Where one file's bytes come from.
pub enum Body<'a> {
    /// Already in memory.
    Bytes(&'a [u8]),
    /// Read as it is parsed, a chunk at a time.
    Reader(Box<dyn Read + Send + 'a>),
}

/// How much is read at a time from a reader (doubled while one value does not fit).
pub(crate) const CHUNK: usize = 8 * 1024 * 1024;

/// How much of a file's beginning is kept to tell what a broken file seems to be.
const HEAD: usize = 64 * 1024;

/// What a JSON file's top level held.
pub(crate) enum Top {
    /// Not an object: the whole value.
    Other(Value),
    /// An object: its keys (but a streamed `items`) and, when `items` is an array, its items.
    Object { map: Map<String, Value>, items: Option<Items> },
}

/// A top-level `items` array, read item by item.
#[derive(Default)]
pub(crate) struct Items {
    /// The objects of the kinds pulldoctor reads.
    pub(crate) objects: Objects,
    /// The position of the first of them.
    pub(crate) first_object: Option<usize>,
    /// The kinds of the items skipped (not read by pulldoctor).
    pub(crate) skipped: Vec<String>,
    /// Items whose kind was not known when they were read (no `kind`, the list's not yet seen),
    /// and items that are not Kubernetes objects pulldoctor reads item by item (its own probe
    /// documents): kept as values, with their position.
    pub(crate) pending: Vec<(usize, Value)>,
}

/// Why a file could not be read: its error (naming it) and the file's beginning, to tell what it
/// seems to be.
pub(crate) struct Failure {
    pub(crate) error: FileError,
    /// The file's first bytes: filled once, by [`read_chunked`], whichever step failed.
    pub(crate) head: Vec<u8>,
}

impl From<FileError> for Failure {
    fn from(error: FileError) -> Failure {
        Failure { error, head: Vec::new() }
    }
}

thread_local! {
    /// The JSON path of the last typed error (serde_path_to_error's, carried out of a stream).
    static PATH: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A value whose data error remembers where in the value it happened.
struct Tracked<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Tracked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_path_to_error::deserialize(deserializer).map(Tracked).map_err(|error| {
            PATH.with(|path| *path.borrow_mut() = Some(error.path().to_string()));
            error.into_inner()
        })
    }
}

/// What parsing one value at the window's position gave.
enum Parsed<T> {
    Value(T),
    /// A syntax error (or the end of the input), at the window's position plus the error's.
    Syntax(serde_json::Error),
    /// A data error: the path inside the value, and the message.
    Data(String, String),
    /// Nothing but whitespace to the end of the input.
    End,
}

/// One file's JSON, read as above.
struct Reader<'a, 'f> {
    window: Window<'a>,
    file: &'f Path,
}

impl<'a> Reader<'a, '_> {
    /// The value at the window's position, read whole (more is read while it is cut by the
    /// window's end); the position moves past it.
    fn value<T: DeserializeOwned>(&mut self) -> Result<Parsed<T>, String> {
        self.value_at(true)
    }

    /// [`Reader::value`]; the position moves past it only if `advance`.
    fn value_at<T: DeserializeOwned>(&mut self, advance: bool) -> Result<Parsed<T>, String> {
        loop {
            let rest = self.window.rest();
            // parsed without following the path (a quarter of the time); an error is parsed
            // again below, following it
            let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<T>();
            let outcome = stream.next();
            let end = stream.byte_offset();
            let cut = match &outcome {
                None => true,
                Some(Err(error)) => error.is_eof(),
                // a number may go on in the next chunk
                Some(Ok(_)) => end == rest.len(),
            };
            if cut && self.window.more()? {
                continue;
            }
            // serde_json skips the strings of fields it ignores without checking their UTF-8;
            // the whole value is checked here (a fraction of the parse), and invalid text is an
            // error as a tree of the whole file would have it
            let outcome = match outcome {
                Some(Ok(_)) if std::str::from_utf8(&self.window.rest()[..end]).is_err() => {
                    match serde_json::Deserializer::from_slice(self.window.rest()).into_iter::<Value>().next() {
                        Some(Err(error)) => return Ok(Parsed::Syntax(error)),
                        _ => outcome,
                    }
                }
                outcome => outcome,
            };
            return Ok(match outcome {
                Some(Ok(value)) => {
                    if advance {
                        self.window.pos += end;
                    }
                    Parsed::Value(value)
                }
                Some(Err(error)) if error.is_data() => {
                    PATH.with(|path| path.borrow_mut().take());
                    let again = serde_json::Deserializer::from_slice(self.window.rest()).into_iter::<Tracked<T>>().next();
                    let path = PATH.with(|path| path.borrow_mut().take()).unwrap_or_default();
                    let error = match again {
                        Some(Err(again)) => again,
                        _ => error,
                    };
                    Parsed::Data(path, strip_position(&error.to_string()).to_string())
                }
                // serde_json words a syntax error by what it was parsing into; the whole-file
                // tree pulldoctor parsed before said it as a value would: say it the same way
                Some(Err(error)) => match serde_json::Deserializer::from_slice(self.window.rest()).into_iter::<Value>().next() {
                    Some(Err(error)) => Parsed::Syntax(error),
                    Some(Ok(value)) => match serde_path_to_error::deserialize::<_, T>(&value) {
                        Err(error) => Parsed::Data(error.path().to_string(), error.into_inner().to_string()),
                        Ok(_) => Parsed::Syntax(error),
                    },
                    None => Parsed::End,
                },
                None => Parsed::End,
            });
        }
    }

    /// A syntax error of serde_json's at the window's position, as the file's error.
    fn syntax(&self, error: &serde_json::Error) -> Failure {
        let (line, column) = self.window.position(self.window.pos);
        let (line, column) = if error.line() <= 1 { (line, column + error.column()) } else { (line + error.line() - 1, error.column()) };
        let message = strip_position(&error.to_string()).to_string();
        self.failure(error.is_eof(), line, column, &message)
    }

    /// Our own syntax error, where serde_json would say it: at the byte at the window's
    /// position (its column counted from 1), or (`eof`) at the end of the input.
    fn expected(&self, eof: bool, message: &str) -> Failure {
        if eof {
            let (line, column) = self.window.position(self.window.bytes().len());
            self.failure(true, line, column, message)
        } else {
            let (line, column) = self.window.position(self.window.pos);
            self.failure(false, line, column + 1, message)
        }
    }

    fn failure(&self, eof: bool, line: usize, column: usize, message: &str) -> Failure {
        let what = if eof { "the JSON ends early (truncated?)" } else { "not valid JSON" };
        self.whole(format!("{what}: line {line}, column {column}: {message}"))
    }

    fn whole(&self, message: String) -> Failure {
        FileError { file: self.file.to_path_buf(), json_path: String::new(), message }.into()
    }

    fn data(&self, at: &str, path: &str, message: String) -> Failure {
        let json_path = match (at.is_empty(), path) {
            (_, "" | ".") => at.to_string(),
            (true, _) => path.to_string(),
            (false, _) => format!("{at}.{path}"),
        };
        FileError { file: self.file.to_path_buf(), json_path, message }.into()
    }

    /// A value that must be there (after a key, in an array).
    fn required<T: DeserializeOwned>(&mut self, at: &str) -> Result<T, Failure> {
        match self.value::<T>().map_err(|message| self.whole(message))? {
            Parsed::Value(value) => Ok(value),
            Parsed::Syntax(error) => Err(self.syntax(&error)),
            Parsed::Data(path, message) => Err(self.data(at, &path, message)),
            Parsed::End => Err(self.expected(true, "EOF while parsing a value")),
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, Failure> {
        self.window.peek().map_err(|message| self.whole(message))
    }

    /// Before the next key of an object (serde_json's `has_next_key`): true when there is one,
    /// false at the closing `}`.
    fn next_key(&mut self, first: bool) -> Result<bool, Failure> {
        match self.peek()? {
            None => Err(self.expected(true, "EOF while parsing an object")),
            Some(b'}') => {
                self.window.pos += 1;
                Ok(false)
            }
            Some(b'"') if first => Ok(true),
            Some(_) if first => Err(self.expected(false, "key must be a string")),
            Some(b',') => {
                self.window.pos += 1;
                match self.peek()? {
                    Some(b'"') => Ok(true),
                    Some(b'}') => Err(self.expected(false, "trailing comma")),
                    Some(_) => Err(self.expected(false, "key must be a string")),
                    None => Err(self.expected(true, "EOF while parsing a value")),
                }
            }
            Some(_) => Err(self.expected(false, "expected `,` or `}`")),
        }
    }

    /// The `:` after a key.
    fn colon(&mut self) -> Result<(), Failure> {
        match self.peek()? {
            Some(b':') => {
                self.window.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.expected(false, "expected `:`")),
            None => Err(self.expected(true, "EOF while parsing an object")),
        }
    }

    /// Before the next element of an array (serde_json's `has_next_element`): true when there
    /// is one, false at the closing `]`.
    fn next_element(&mut self, first: bool) -> Result<bool, Failure> {
        match self.peek()? {
            None => Err(self.expected(true, "EOF while parsing a list")),
            Some(b']') => {
                self.window.pos += 1;
                Ok(false)
            }
            Some(_) if first => Ok(true),
            Some(b',') => {
                self.window.pos += 1;
                match self.peek()? {
                    Some(b']') => Err(self.expected(false, "trailing comma")),
                    Some(_) => Ok(true),
                    None => Err(self.expected(true, "EOF while parsing a value")),
                }
            }
            Some(_) => Err(self.expected(false, "expected `,` or `]`")),
        }
    }
}

/// Read a JSON file as above, `chunk` bytes at a time from a reader ([`CHUNK`] but in tests).
/// Items are made into model objects by [`parse_object`].
pub(crate) fn read_chunked(file: &Path, body: Body<'_>, chunk: usize) -> Result<Top, Failure> {
    let mut window = Window::new(body);
    window.chunk = chunk.max(1);
    let mut reader = Reader { window, file };
    read_top(&mut reader).map_err(|mut failure| {
        // what the file seems to be is told by its beginning, read on if need be
        failure.head = reader.window.beginning();
        failure
    })
}

fn read_top(reader: &mut Reader<'_, '_>) -> Result<Top, Failure> {
    let top = match reader.peek()? {
        Some(b'{') => {
            reader.window.pos += 1;
            object(reader)?
        }
        Some(_) => Top::Other(reader.required::<Value>("")?),
        None => return Err(reader.expected(true, "EOF while parsing a value")),
    };
    match reader.peek()? {
        None => Ok(top),
        Some(_) => Err(reader.expected(false, "trailing characters")),
    }
}

fn object(reader: &mut Reader<'_, '_>) -> Result<Top, Failure> {
    let mut map = Map::new();
    let mut items = None;
    let mut first = true;
    while reader.next_key(first)? {
        first = false;
        let key: String = reader.required("")?;
        reader.colon()?;
        if key == "items" && reader.peek()? == Some(b'[') {
            reader.window.pos += 1;
            let list_kind = map.get("kind").and_then(Value::as_str).map(str::to_string);
            let list_api = map.get("apiVersion").and_then(Value::as_str).map(str::to_string);
            items = Some(read_items(reader, list_kind.as_deref(), list_api.as_deref())?);
            map.remove("items");
        } else {
            let value: Value = reader.required(&key)?;
            if key == "items" {
                items = None;
            }
            map.insert(key, value);
        }
    }
    Ok(Top::Object { map, items })
}

/// `kind` and `apiVersion` when they are the item's first keys (as kubectl and the API print
/// them); `None` when the item does not begin so (or is cut by the window's end).
fn kind_ahead(bytes: &[u8]) -> Option<(Option<&str>, Option<&str>)> {
    let mut at = 0;
    let skip = |at: &mut usize| {
        while bytes.get(*at).is_some_and(u8::is_ascii_whitespace) {
            *at += 1;
        }
    };
    // a string without escapes
    let string = |at: &mut usize| -> Option<&str> {
        if bytes.get(*at) != Some(&b'"') {
            return None;
        }
        let length = bytes[*at + 1..].iter().position(|&b| b == b'"' || b == b'\\')?;
        let text = std::str::from_utf8(&bytes[*at + 1..*at + 1 + length]).ok()?;
        (bytes[*at + 1 + length] == b'"').then(|| {
            *at += length + 2;
            text
        })
    };
    skip(&mut at);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    let (mut kind, mut api) = (None, None);
    for _ in 0..2 {
        skip(&mut at);
        let key = string(&mut at)?;
        skip(&mut at);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at += 1;
        skip(&mut at);
        match key {
            "kind" => kind = Some(string(&mut at)?),
            "apiVersion" => api = Some(string(&mut at)?),
            _ => return None,
        }
        skip(&mut at);
        match bytes.get(at) {
            Some(b',') => at += 1,
            Some(b'}') => return Some((kind, api)),
            _ => return None,
        }
    }
    kind.map(|kind| (Some(kind), api))
}

/// When `kind_ahead` cannot say: the item's `kind` and `apiVersion`, wherever they are.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KindOf {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    api_version: Option<String>,
}

/// A typed value parsed straight from the window, for [`parse_object`].
struct InWindow<'r, 'a, 'f> {
    reader: &'r mut Reader<'a, 'f>,
    failure: Option<Failure>,
}

impl Source for InWindow<'_, '_, '_> {
    fn typed<T: DeserializeOwned>(&mut self, _file: &Path, at: &str) -> Result<T, FileError> {
        match self.reader.required::<T>(at) {
            Ok(value) => Ok(value),
            Err(failure) => {
                let error = failure.error.clone();
                self.failure = Some(failure);
                Err(error)
            }
        }
    }
}

fn read_items(reader: &mut Reader<'_, '_>, list_kind: Option<&str>, list_api: Option<&str>) -> Result<Items, Failure> {
    let mut items = Items::default();
    let implied = list_kind.and_then(implied_kind);
    let mut position = 0;
    while reader.next_element(position == 0)? {
        let at = format!("items[{position}]");
        // the kind and API version, read ahead (more is read if the window cuts them)
        let ahead = loop {
            let found = kind_ahead(reader.window.rest()).map(|(kind, api)| (kind.map(str::to_string), api.map(str::to_string)));
            if found.is_none() && reader.window.rest().len() < 4096 && reader.window.more().map_err(|m| reader.whole(m))? {
                continue;
            }
            break found;
        };
        let (kind, api) = match ahead {
            Some(found) => found,
            None => {
                // look without moving: parse the item's kind, then parse the item from its start
                match reader.value_at::<KindOf>(false).map_err(|m| reader.whole(m))? {
                    Parsed::Value(found) => (found.kind, found.api_version),
                    _ => (None, None),
                }
            }
        };
        let kind = kind.or_else(|| implied.map(str::to_string));
        let api = api.or_else(|| list_api.map(str::to_string)).unwrap_or_default();
        match kind {
            // not known yet, or not a Kubernetes object read item by item: kept as a value
            None => items.pending.push((position, reader.required::<Value>(&at)?)),
            Some(kind) if kind == crate::probe::KIND || kind == crate::probe::LIST_KIND => {
                items.pending.push((position, reader.required::<Value>(&at)?))
            }
            Some(kind) if !is_read_kind(&kind) => {
                let _: IgnoredAny = reader.required(&at)?;
                items.skipped.push(kind);
            }
            Some(kind) => {
                let start = reader.window.pos;
                let mut source = InWindow { reader, failure: None };
                let object = parse_object(source.reader.file, &at, &kind, &api, &mut source);
                if let Some(failure) = source.failure {
                    return Err(failure);
                }
                match object.map_err(Failure::from)? {
                    Some(object) => {
                        items.first_object.get_or_insert(position);
                        items.objects.push(object)
                    }
                    None => {
                        // a kind read only from some API groups: not parsed, so passed over here
                        if reader.window.pos == start {
                            let _: IgnoredAny = reader.required(&at)?;
                        }
                        items.skipped.push(kind)
                    }
                }
            }
        }
        position += 1;
    }
    Ok(items)
}

/// serde_json appends " at line X column Y"; the position is printed on its own.
pub(crate) fn strip_position(message: &str) -> &str {
    message.rfind(" at line ").map(|i| &message[..i]).unwrap_or(message)
}

mod window;
use window::Window;

#[cfg(test)]
mod tests;
