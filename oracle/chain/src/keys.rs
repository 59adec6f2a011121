//! The operator's key in an encrypted JSON keystore (Web3 Secret Storage, scrypt + AES-128-CTR, as
//! geth and `cast wallet` write it), made and opened with alloy's signer (the `eth-keystore`
//! crate): no key material is handled here beyond passing the password through. Where the
//! password comes from (a file, an environment variable, a prompt) is the caller's.

use alloy::primitives::Address;
use alloy::signers::local::{LocalSignerError, PrivateKeySigner};
use anyhow::{anyhow, Context};
use std::path::{Path, PathBuf};

/// A keystore made by [`new_keystore`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewKey {
    pub address: Address,
    pub path: PathBuf,
}

/// Makes a fresh random key and writes it encrypted with `password` to `dir/name` (the folder is
/// made, owner-only; the file is owner-only). An existing file is never overwritten, and an empty
/// password is refused.
pub fn new_keystore(dir: &Path, name: &str, password: &str) -> anyhow::Result<NewKey> {
    anyhow::ensure!(!password.is_empty(), "refusing an empty keystore password");
    anyhow::ensure!(
        !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..",
        "keystore name {name:?} must be a plain file name (the folder is --keystore)"
    );
    let path = dir.join(name);
    anyhow::ensure!(!path.exists(), "{} exists already: choose another name, or remove it if it is not in use", path.display());
    std::fs::create_dir_all(dir).with_context(|| format!("cannot make the keystore folder {}", dir.display()))?;
    restrict(dir, 0o700)?;
    let (signer, _uuid) = PrivateKeySigner::new_keystore(dir, &mut rand::thread_rng(), password, Some(name))
        .map_err(|e| anyhow!("cannot write the keystore {}: {e}", path.display()))?;
    restrict(&path, 0o600)?;
    Ok(NewKey { address: signer.address(), path })
}

/// Opens a keystore with its password. Errors say which of the two is wrong: a missing or
/// unreadable file, a file that is not a keystore, or a password that does not decrypt it.
pub fn open_keystore(path: &Path, password: &str) -> anyhow::Result<PrivateKeySigner> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read the keystore {}", path.display()))?;
    anyhow::ensure!(meta.is_file(), "the keystore {} is not a file (give the keystore file, not its folder)", path.display());
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| match e {
        LocalSignerError::EthKeystoreError(k) if k.to_string() == "Mac Mismatch" => {
            anyhow!("the password does not decrypt the keystore {} (wrong password)", path.display())
        }
        LocalSignerError::EthKeystoreError(k) if k.to_string().starts_with("serde-json") => {
            anyhow!("{} is not a JSON keystore ({k})", path.display())
        }
        other => anyhow!("cannot open the keystore {}: {other}", path.display()),
    })
}

/// A password kept in a file: its content without the final line break (as `echo` writes it).
pub fn read_password_file(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the password file {}", path.display()))?;
    let password = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text).to_string();
    anyhow::ensure!(!password.is_empty(), "the password file {} is empty", path.display());
    Ok(password)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).with_context(|| format!("cannot restrict the permissions of {}", path.display()))
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_keystore_opens_with_its_password_only() {
        let dir = tempfile::tempdir().unwrap();
        let ks = dir.path().join("keys");
        let k = new_keystore(&ks, "op.json", "correct horse").unwrap();
        assert_eq!(open_keystore(&k.path, "correct horse").unwrap().address(), k.address);
        let e = open_keystore(&k.path, "wrong").unwrap_err().to_string();
        assert!(e.contains("wrong password"), "{e}");
        // Never overwritten, never empty, never outside the folder.
        assert!(new_keystore(&ks, "op.json", "x").unwrap_err().to_string().contains("exists already"));
        assert!(new_keystore(&ks, "other.json", "").unwrap_err().to_string().contains("empty"));
        assert!(new_keystore(&ks, "../up.json", "x").unwrap_err().to_string().contains("plain file name"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&k.path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(&ks).unwrap().permissions().mode() & 0o777, 0o700);
        }
        // The file holds no key in the clear.
        let text = std::fs::read_to_string(&k.path).unwrap();
        let key = hex::encode(open_keystore(&k.path, "correct horse").unwrap().to_bytes());
        assert!(!text.contains(&key));
        let e = open_keystore(&ks, "correct horse").unwrap_err().to_string();
        assert!(e.contains("not a file"), "{e}");
        std::fs::write(dir.path().join("junk.json"), "{}").unwrap();
        let e = open_keystore(&dir.path().join("junk.json"), "x").unwrap_err().to_string();
        assert!(e.contains("not a JSON keystore"), "{e}");
        let e = open_keystore(&dir.path().join("none.json"), "x").unwrap_err().to_string();
        assert!(e.contains("cannot read the keystore"), "{e}");
    }

    #[test]
    fn a_password_file_loses_its_final_line_break_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, " pass word \r\n").unwrap();
        assert_eq!(read_password_file(&f).unwrap(), " pass word ");
        std::fs::write(&f, "\n").unwrap();
        assert!(read_password_file(&f).unwrap_err().to_string().contains("empty"));
    }
}
