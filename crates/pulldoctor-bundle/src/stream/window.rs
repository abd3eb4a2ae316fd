//! The bytes being parsed: a slice, or a reader's output read in chunks, with what is needed to
//! place an error in the whole file (lines and columns of what was dropped).

use std::io::Read;

use super::{Body, CHUNK, HEAD};

/// The bytes being parsed: a slice, or the part of a reader's output not yet parsed.
pub(super) struct Window<'a> {
    pub(super) slice: &'a [u8],
    pub(super) data: Vec<u8>,
    pub(super) reader: Option<Box<dyn Read + Send + 'a>>,
    /// The next byte to parse, in `bytes()`.
    pub(super) pos: usize,
    pub(super) eof: bool,
    /// Lines, and bytes after the last newline, in what was dropped before `bytes()`.
    pub(super) dropped_lines: usize,
    pub(super) dropped_column: usize,
    /// The file's beginning (a reader's first chunk, up to 64 KiB).
    pub(super) head: Vec<u8>,
    /// How much to read at a time ([`CHUNK`]; tests make it small to cut every value).
    pub(super) chunk: usize,
}

impl<'a> Window<'a> {
    pub(super) fn new(body: Body<'a>) -> Window<'a> {
        let (slice, reader) = match body {
            Body::Bytes(bytes) => (bytes, None),
            Body::Reader(reader) => (&[][..], Some(reader)),
        };
        let eof = reader.is_none();
        Window { slice, data: Vec::new(), reader, pos: 0, eof, dropped_lines: 0, dropped_column: 0, head: Vec::new(), chunk: CHUNK }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        if self.reader.is_some() { &self.data } else { self.slice }
    }

    pub(super) fn rest(&self) -> &[u8] {
        &self.bytes()[self.pos..]
    }

    /// Drop what is parsed and read another chunk; false when the input has ended.
    pub(super) fn more(&mut self) -> Result<bool, String> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(false);
        };
        if self.eof {
            return Ok(false);
        }
        let dropped = &self.data[..self.pos];
        self.dropped_lines += memchr::memchr_iter(b'\n', dropped).count();
        match memchr::memrchr(b'\n', dropped) {
            Some(last) => self.dropped_column = dropped.len() - last - 1,
            None => self.dropped_column += dropped.len(),
        }
        self.data.drain(..self.pos);
        self.pos = 0;
        let start = self.data.len();
        self.data.resize(start + self.chunk.max(start), 0);
        let mut filled = start;
        while filled < self.data.len() {
            match reader.read(&mut self.data[filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(read) => filled += read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read: {e}")),
            }
        }
        self.data.truncate(filled);
        let wanted = HEAD.saturating_sub(self.head.len()).min(filled - start);
        self.head.extend_from_slice(&self.data[start..start + wanted]);
        Ok(filled > start)
    }

    /// The file's first [`HEAD`] bytes (fewer if it is shorter), read on from a reader if need be.
    pub(super) fn beginning(&mut self) -> Vec<u8> {
        let Some(reader) = self.reader.as_mut() else {
            return self.slice[..self.slice.len().min(HEAD)].to_vec();
        };
        let mut head = std::mem::take(&mut self.head);
        if !self.eof && head.len() < HEAD {
            // what follows the data read is read straight into the head
            let mut more = Vec::new();
            let _ = reader.take((HEAD - head.len()) as u64).read_to_end(&mut more);
            head.extend_from_slice(&more);
        }
        head
    }

    /// The next byte that is not whitespace, reading more as needed; `None` at the end.
    pub(super) fn peek(&mut self) -> Result<Option<u8>, String> {
        loop {
            if let Some(at) = self.rest().iter().position(|b| !b.is_ascii_whitespace()) {
                self.pos += at;
                return Ok(Some(self.rest()[0]));
            }
            self.pos = self.bytes().len();
            if !self.more()? {
                return Ok(None);
            }
        }
    }

    /// Line and column (serde_json's way: 1-based line, bytes since the line's start) of
    /// `bytes()[at]`.
    pub(super) fn position(&self, at: usize) -> (usize, usize) {
        let before = &self.bytes()[..at.min(self.bytes().len())];
        let lines = before.iter().filter(|&&b| b == b'\n').count();
        let column = match before.iter().rposition(|&b| b == b'\n') {
            Some(last) => before.len() - last - 1,
            None => self.dropped_column + before.len(),
        };
        (self.dropped_lines + lines + 1, column)
    }
}
