//! Measuring shipped bytes the way browsers receive them: raw, gzip -9, brotli q11.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Sizes of one file (or a sum of files), in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sizes {
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

impl std::ops::Add for Sizes {
    type Output = Sizes;
    fn add(self, o: Sizes) -> Sizes {
        Sizes { raw: self.raw + o.raw, gzip: self.gzip + o.gzip, brotli: self.brotli + o.brotli }
    }
}

pub fn measure_bytes(bytes: &[u8]) -> Sizes {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let gzip = gz.write_all(bytes).and_then(|()| gz.finish()).map(|v| v.len()).unwrap_or(0);
    let mut br = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    let brotli = brotli::BrotliCompress(&mut &bytes[..], &mut br, &params).map(|_| br.len()).unwrap_or(0);
    Sizes { raw: bytes.len(), gzip, brotli }
}

/// Sizes of a file, or an error naming it.
pub fn measure(path: &Path) -> Result<Sizes, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(measure_bytes(&bytes))
}

/// Lowercase hex SHA-256 (content hashes in file names).
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// The built widget's files in `www/widget/`: the loader a shop embeds (stable name)
/// and the content-hashed main script, wasm and language packs (one per language; a
/// page downloads its own) it loads, as the build's `manifest.json` names them.
#[derive(Debug, Clone)]
pub struct WidgetFiles {
    pub loader: PathBuf,
    pub main: PathBuf,
    pub wasm: PathBuf,
    /// (language tag, file), by tag.
    pub texts: Vec<(String, PathBuf)>,
}

impl WidgetFiles {
    /// Reads `dir/manifest.json` (written by `cargo xtask build`).
    pub fn read(dir: &Path) -> Result<WidgetFiles, String> {
        let path = dir.join("manifest.json");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e} (cargo xtask build first)", path.display()))?;
        let manifest: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = |key: &str| {
            manifest[key].as_str().map(|name| dir.join(name)).ok_or_else(|| format!("{}: no {key}", path.display()))
        };
        let texts = manifest["texts"]
            .as_object()
            .ok_or_else(|| format!("{}: no texts", path.display()))?
            .iter()
            .map(|(lang, name)| Ok((lang.clone(), dir.join(name.as_str().ok_or("a text pack's name")?))))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(WidgetFiles { loader: dir.join("widget.js"), main: file("main")?, wasm: file("wasm")?, texts })
    }

    /// The language pack of `lang` (a tag: `en`, `ar`).
    pub fn pack(&self, lang: &str) -> Option<&Path> {
        self.texts.iter().find(|(l, _)| l == lang).map(|(_, p)| p.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_shrinks_repetitive_bytes() {
        let s = measure_bytes(&b"restock ".repeat(1000));
        assert_eq!(s.raw, 8000);
        assert!(s.gzip < 200 && s.brotli < 200, "{s:?}");
    }
}
