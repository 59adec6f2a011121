//! Files written whole or not at all.

/// Replaces `path` whole or not at all: `write` fills a temporary file beside it (same extension,
/// so writers that go by it, like the PNG encoder, still work), which is then renamed over
/// `path`. The parent folder is created. A failure leaves the previous file as it was.
pub fn replace_file(path: &std::path::Path, write: impl FnOnce(&std::path::Path) -> anyhow::Result<()>) -> anyhow::Result<()> {
    use anyhow::Context;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path.file_name().with_context(|| format!("{} names no file", path.display()))?.to_string_lossy();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{ext}"));
    let result = write(&tmp).and_then(|()| std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} to {}", tmp.display(), path.display())));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// Writes `bytes` to `path` through [`replace_file`].
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    replace_file(path, |tmp| Ok(std::fs::write(tmp, bytes)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn replace_file_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/report.png");
        super::write_atomic(&p, b"first").unwrap();
        let err = super::replace_file(&p, |tmp| {
            assert_eq!(tmp.extension().unwrap(), "png", "the temporary file keeps the extension");
            std::fs::write(tmp, b"half")?;
            anyhow::bail!("plotting failed")
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("report.png"), "{err:#}");
        assert_eq!(std::fs::read(&p).unwrap(), b"first", "the previous file is kept");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1, "no temporary file is left");
        super::write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
    }
}
