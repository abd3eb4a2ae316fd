//! Manifests and indexes: what the reference points at, and which variant this node would pull.
//!
//! The Accept list is what containerd and CRI-O send (OCI and Docker v2, index and image). An
//! index (manifest list) is matched against the node's platform the way the runtimes do: same OS
//! and architecture, and the same variant when both name one (`arm64` and `arm64/v8` are the
//! same, as are `amd64` and `amd64/v1`).

use serde::Deserialize;

/// The Accept header of a manifest request.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// An OS/architecture/variant triple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`, `windows`.
    pub os: String,
    /// GOARCH names: `amd64`, `arm64`, `s390x`, `ppc64le`, ...
    pub architecture: String,
    /// `v8`, `v7`, ... or empty.
    pub variant: String,
}

impl Platform {
    /// Parses `os/arch[/variant]` (`linux/arm64`, `linux/arm/v7`).
    pub fn parse(text: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform::new(os, arch, "")),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() => Ok(Platform::new(os, arch, variant)),
            _ => Err(format!("`{text}` is not OS/ARCH[/VARIANT] (e.g. linux/arm64)")),
        }
    }

    fn new(os: &str, architecture: &str, variant: &str) -> Platform {
        Platform { os: os.to_ascii_lowercase(), architecture: architecture.to_ascii_lowercase(), variant: variant.to_ascii_lowercase() }
    }

    /// This machine's platform, named as Go names it.
    pub fn this_machine() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
            "powerpc64" => "ppc64",
            "arm" => "arm",
            other => other,
        };
        Platform::new(std::env::consts::OS, architecture, "")
    }

    fn normalised_variant(&self) -> &str {
        match (self.architecture.as_str(), self.variant.as_str()) {
            ("arm64", "v8") | ("amd64", "v1") => "",
            (_, variant) => variant,
        }
    }

    /// Whether an image built for `self` runs where `node` is wanted.
    pub fn serves(&self, node: &Platform) -> bool {
        self.os == node.os
            && self.architecture == node.architecture
            && (self.normalised_variant().is_empty()
                || node.normalised_variant().is_empty()
                || self.normalised_variant() == node.normalised_variant())
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The media type, when given.
    #[serde(default)]
    pub media_type: String,
    /// `sha256:...`.
    pub digest: String,
    /// Bytes.
    #[serde(default)]
    pub size: u64,
    /// For index entries.
    #[serde(default)]
    platform: Option<RawPlatform>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct RawPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: String,
}

impl Descriptor {
    /// The platform of an index entry.
    pub fn platform(&self) -> Option<Platform> {
        self.platform.as_ref().map(|p| Platform::new(&p.os, &p.architecture, &p.variant))
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Raw {
    media_type: String,
    manifests: Option<Vec<Descriptor>>,
    layers: Option<Vec<Descriptor>>,
    config: Option<Descriptor>,
    fs_layers: Option<Vec<Schema1Layer>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Schema1Layer {
    blob_sum: String,
}

/// What a manifest request returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// An index (manifest list): one entry per platform.
    Index(Vec<Descriptor>),
    /// An image: its config and layers.
    Image {
        /// The config blob (absent in schema 1).
        config: Option<Descriptor>,
        /// The layers, base first.
        layers: Vec<Descriptor>,
    },
}

/// Parses a manifest body; `content_type` is the response's `Content-Type`.
pub fn parse(body: &[u8], content_type: &str) -> Result<Manifest, String> {
    let raw: Raw = serde_json::from_slice(body).map_err(|e| format!("the manifest is not JSON: {e}"))?;
    let media_type = if raw.media_type.is_empty() { content_type } else { raw.media_type.as_str() };
    if let Some(manifests) = raw.manifests {
        return Ok(Manifest::Index(manifests));
    }
    if let Some(layers) = raw.layers {
        return Ok(Manifest::Image { config: raw.config, layers });
    }
    if let Some(fs_layers) = raw.fs_layers {
        // schema 1 lists layers top first
        let layers = fs_layers
            .into_iter()
            .rev()
            .map(|l| Descriptor { media_type: String::new(), digest: l.blob_sum, size: 0, platform: None })
            .collect();
        return Ok(Manifest::Image { config: None, layers });
    }
    Err(format!("a manifest of type `{media_type}` with neither `manifests` nor `layers`"))
}

/// The index entry the node would pull, if any (the first that serves it, as the runtimes pick).
pub fn choose<'a>(entries: &'a [Descriptor], node: &Platform) -> Option<&'a Descriptor> {
    entries.iter().find(|entry| entry.platform().is_some_and(|p| p.serves(node)))
}

/// The platforms an index offers, as text (attestation entries `unknown/unknown` left out).
pub fn platforms(entries: &[Descriptor]) -> Vec<String> {
    entries.iter().filter_map(|e| e.platform()).filter(|p| p.os != "unknown").map(|p| p.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(platforms: &[(&str, &str, &str)]) -> Vec<u8> {
        let manifests: Vec<serde_json::Value> = platforms
            .iter()
            .enumerate()
            .map(|(i, (os, arch, variant))| {
                serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{i:064}"), "size": 1,
                    "platform": {"os": os, "architecture": arch, "variant": variant}})
            })
            .collect();
        serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn chooses_the_node_platform_from_an_index() {
        let body = index(&[("linux", "amd64", ""), ("linux", "arm64", "v8"), ("linux", "arm", "v7"), ("unknown", "unknown", "")]);
        let Manifest::Index(entries) = parse(&body, "").unwrap() else { panic!("an index") };
        assert_eq!(platforms(&entries), ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);
        let pick = |p: &str| choose(&entries, &Platform::parse(p).unwrap()).map(|d| d.digest.clone());
        assert_eq!(pick("linux/amd64"), Some(format!("sha256:{:064}", 0)));
        assert_eq!(pick("linux/arm64"), Some(format!("sha256:{:064}", 1)), "arm64 is arm64/v8");
        assert_eq!(pick("linux/arm/v6"), None, "arm/v7 does not serve arm/v6");
        assert_eq!(pick("linux/s390x"), None);
        assert_eq!(pick("windows/amd64"), None);
    }

    #[test]
    fn reads_image_manifests_of_every_schema() {
        let oci = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:c","size":2},
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:l1","size":3}]}"#;
        let Manifest::Image { config, layers } = parse(oci, "").unwrap() else { panic!("an image") };
        assert_eq!((config.unwrap().digest.as_str(), layers[0].digest.as_str(), layers[0].size), ("sha256:c", "sha256:l1", 3));
        let schema1 = br#"{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:top"},{"blobSum":"sha256:base"}]}"#;
        let Manifest::Image { layers, .. } = parse(schema1, "application/vnd.docker.distribution.manifest.v1+prettyjws").unwrap() else {
            panic!("an image")
        };
        assert_eq!(layers[0].digest, "sha256:base");
        assert!(parse(b"{}", "application/json").is_err());
        assert!(parse(b"<html>", "text/html").is_err());
    }

    #[test]
    fn platforms_parse_and_print() {
        assert_eq!(Platform::parse("linux/arm/v7").unwrap().to_string(), "linux/arm/v7");
        assert!(Platform::parse("arm64").is_err());
        assert!(Platform::parse("linux//v7").is_err());
        assert_eq!(Platform::this_machine().os, std::env::consts::OS);
    }
}
