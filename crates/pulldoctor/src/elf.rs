//! Enough of an ELF header to say whether a binary can be copied onto a node: its architecture,
//! and whether it is static (no program interpreter, so it runs in any image).

/// What a Linux binary is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binary {
    /// As Kubernetes names it (`status.nodeInfo.architecture`): `amd64`, `arm64`, ...
    pub architecture: &'static str,
    /// No `PT_INTERP`: no dynamic loader needed.
    pub is_static: bool,
}

/// `None` when `bytes` are not a 64-bit little-endian ELF file.
pub fn inspect(bytes: &[u8]) -> Option<Binary> {
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let u64_at = |at: usize| bytes.get(at..at + 8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
    // magic, 64-bit class, little-endian data
    if bytes.get(..4) != Some(b"\x7fELF") || bytes.get(4) != Some(&2) || bytes.get(5) != Some(&1) {
        return None;
    }
    let architecture = match u16_at(18)? {
        62 => "amd64",
        183 => "arm64",
        243 => "riscv64",
        21 => "ppc64le",
        22 => "s390x",
        _ => "unknown",
    };
    let program_headers = usize::try_from(u64_at(32)?).ok()?;
    let entry_size = usize::from(u16_at(54)?);
    let count = usize::from(u16_at(56)?);
    const PT_INTERP: u32 = 3;
    let is_static = (0..count).all(|i| u32_at(program_headers + i * entry_size) != Some(PT_INTERP));
    Some(Binary { architecture, is_static })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_is_read() {
        let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let binary = inspect(&bytes).unwrap();
        let expected = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        };
        assert_eq!(binary.architecture, expected);
        // cargo test binaries on glibc are dynamic; a musl build is static
        assert_eq!(binary.is_static, cfg!(target_env = "musl"));
        assert_eq!(inspect(b"#!/bin/sh\n"), None);
        assert_eq!(inspect(&bytes[..20]), None, "cut short: no program headers to read");
    }
}
