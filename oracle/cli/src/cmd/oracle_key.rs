use alloy::signers::local::PrivateKeySigner;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use veriregime_chain::keys;

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Make a new random key in an encrypted keystore (Web3 Secret Storage, as geth and `cast
    /// wallet` write it) and print its address. The password comes from --password-file, else
    /// VERIREGIME_KEYSTORE_PASSWORD, else a prompt (asked twice); it is never printed or logged.
    /// Point the node's `chain.keystore` at the file written.
    /// Example: veriregime oracle key new --keystore /etc/veriregime --name operator.json --password-file /etc/veriregime/operator.pw
    New(NewArgs),
    /// Print the address of a keystore, after decrypting it (so it also checks the password).
    /// Example: veriregime oracle key address --keystore /etc/veriregime/operator.json --password-file /etc/veriregime/operator.pw
    Address(AddressArgs),
}

impl KeyCmd {
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            KeyCmd::New(a) => a.run(),
            KeyCmd::Address(a) => a.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Folder to write the keystore into (made, owner-only, when missing).
    #[arg(long)]
    pub keystore: PathBuf,
    /// File name of the keystore in that folder; an existing file is never overwritten.
    #[arg(long, default_value = "operator.json")]
    pub name: String,
    /// File holding the password (its final line break is not part of it).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Print JSON ({"address", "path"}) instead of text.
    #[arg(long)]
    pub json: bool,
}

impl NewArgs {
    fn run(self) -> anyhow::Result<()> {
        let password = password(self.password_file.as_deref(), true)?;
        let k = keys::new_keystore(&self.keystore, &self.name, &password)?;
        if self.json {
            println!("{}", serde_json::to_string(&k)?);
        } else {
            println!("{}\t{}", k.address, k.path.display());
            eprintln!("keep the password safe: without it the keystore cannot be opened. Fund {} and have the governor grant it the submitter role.", k.address);
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct AddressArgs {
    /// The keystore file.
    #[arg(long)]
    pub keystore: PathBuf,
    #[arg(long)]
    pub password_file: Option<PathBuf>,
}

impl AddressArgs {
    fn run(self) -> anyhow::Result<()> {
        let password = password(self.password_file.as_deref(), false)?;
        println!("{}", keys::open_keystore(&self.keystore, &password)?.address());
        Ok(())
    }
}

/// The key a command signs with: a keystore (with its password from a file, the environment or a
/// prompt), else VERIREGIME_PRIVATE_KEY.
#[derive(Debug, Args)]
pub struct SignerArgs {
    /// Keystore file to sign with; without it the key comes from VERIREGIME_PRIVATE_KEY (hex).
    #[arg(long)]
    pub keystore: Option<PathBuf>,
    /// File holding the keystore's password; without it VERIREGIME_KEYSTORE_PASSWORD, else a prompt.
    #[arg(long, requires = "keystore")]
    pub password_file: Option<PathBuf>,
}

impl SignerArgs {
    pub fn signer(&self) -> anyhow::Result<PrivateKeySigner> {
        match &self.keystore {
            Some(path) => keys::open_keystore(path, &password(self.password_file.as_deref(), false)?).context("--keystore"),
            None => {
                let key = std::env::var("VERIREGIME_PRIVATE_KEY").context("give --keystore, or set VERIREGIME_PRIVATE_KEY to the hex private key")?;
                veriregime_core::redact::register_secret(key.trim());
                key.trim().parse().map_err(|_| anyhow::anyhow!("VERIREGIME_PRIVATE_KEY is not a valid hex secp256k1 key"))
            }
        }
    }
}

/// A keystore password: from the file, else VERIREGIME_KEYSTORE_PASSWORD, else asked on the
/// terminal (twice for a new key).
fn password(file: Option<&Path>, new: bool) -> anyhow::Result<String> {
    let p = ask_password(file, new)?;
    // Masked wherever it might be printed.
    veriregime_core::redact::register_secret(&p);
    Ok(p)
}

fn ask_password(file: Option<&Path>, new: bool) -> anyhow::Result<String> {
    if let Some(f) = file {
        return keys::read_password_file(f).context("--password-file");
    }
    if let Ok(p) = std::env::var("VERIREGIME_KEYSTORE_PASSWORD") {
        anyhow::ensure!(!p.is_empty(), "VERIREGIME_KEYSTORE_PASSWORD is empty");
        return Ok(p);
    }
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "no keystore password: give --password-file or VERIREGIME_KEYSTORE_PASSWORD (there is no terminal to ask on)"
    );
    let p = rpassword::prompt_password("keystore password: ")?;
    if new {
        anyhow::ensure!(rpassword::prompt_password("again: ")? == p, "the two passwords differ");
    }
    Ok(p)
}
