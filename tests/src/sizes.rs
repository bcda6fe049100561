//! Measuring shipped bytes the way browsers receive them: raw, gzip -9, brotli q11.

use std::io::Write;
use std::path::Path;

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
